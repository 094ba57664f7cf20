"""IAM Access Analyzer's policy validation (ValidatePolicy), the part the lab gives: a separate, optional pass after
parsing, as cedar's validator is; authorization never depends on it. The trust-policy editor and the console show
the errors and security warnings (editor_notes), the gateway answers `accessanalyzer validate-policy` with all of
them (validate_policy).

Issue codes, finding types and wording are AWS's ("Access Analyzer policy check reference", IAM User Guide;
awsdocs/iam-user-guide doc_source/access-analyzer-reference-policy-checks.md) except where marked as the lab's:
- ERROR: the grammar errors the parser raises, under the code AWS gives the same mistake (JSON_SYNTAX_ERROR,
  MISSING_EFFECT, MISSING_ACTION, MISSING_RESOURCE, MISSING_PRINCIPAL, UNSUPPORTED_PRINCIPAL, INVALID_PRINCIPAL_FORMAT,
  INVALID_PRINCIPAL_KEY, INVALID_EFFECT, INVALID_VERSION, MISSING_STATEMENT, INVALID_CONDITION_OPERATOR, ...);
  INVALID_ACTION ("The action {action} does not exist. Did you mean {valid_action}?": IAM accepts `s3:GetObjects`
  silently and it then matches nothing). The lab flags an action only when a real one is a near miss
  (engine.policy.catalog.near_miss), so an IAM action that is no API operation is never flagged wrongly.
- SECURITY_WARNING: PASS_ROLE_WITH_STAR_IN_RESOURCE, PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE,
  ALLOW_WITH_NOT_PRINCIPAL, MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL, MISSING_GITHUB_REPO_CONDITION_KEY; and the
  lab's TRUST_POLICY_ALLOWS_ANY_PRINCIPAL (`{"AWS": "*"}` in a role trust policy without a Condition: AWS reports
  such a role through its external/public access findings, not through ValidatePolicy).
- WARNING: MISSING_VERSION, WILDCARD_WITHOUT_LIKE_OPERATOR.
- SUGGESTION: REDUNDANT_STATEMENT, REDUNDANT_ACTION, EMPTY_SID_VALUE, WILDCARD_IN_SERVICE_NAME.
Locations are AWS's: a path of {"value": key} / {"index": n} elements and a span whose line is 1-based and column
and offset 0-based (as AWS's answers show: column equals offset on line 1).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .catalog import near_miss
from .document import INVALID_JSON, PolicyDocument, PolicyError, parse_policy
from .jsonpos import JsonSyntaxError, SourceMap, format_path, load_with_positions

JsonPath = tuple[str | int, ...]
LEARN_MORE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
ORDER = {"ERROR": 0, "SECURITY_WARNING": 1, "WARNING": 2, "SUGGESTION": 3}
# The finding types an editor shows when a policy is saved: what breaks it or opens it up.
EDITOR_TYPES = ("ERROR", "SECURITY_WARNING")


@dataclass(frozen=True)
class Finding:
    issue_code: str           # Access Analyzer's issue code
    finding_type: str         # ERROR | SECURITY_WARNING | WARNING | SUGGESTION (Access Analyzer's types)
    message: str              # the console's wording: "<title>: <details>"
    path: str                 # "Statement[0].Action[1]" (as the parser's warnings name places)
    line: int | None = None
    details: str = ""         # findingDetails: the API's wording (the message without its title)
    location: JsonPath = ()   # the JSON path the finding points at

    def to_dict(self) -> dict[str, Any]:
        return {"issue_code": self.issue_code, "finding_type": self.finding_type, "message": self.message,
                "path": self.path, "line": self.line}

    def to_aws(self, smap: SourceMap | None) -> dict[str, Any]:
        """ValidatePolicyFinding."""
        location: dict[str, Any] = {"path": [{"index": p} if isinstance(p, int) else {"value": p}
                                             for p in self.location]}
        span = _span(smap, self.location)
        if span is not None:
            location["span"] = span
        return {"findingDetails": self.details or self.message, "findingType": self.finding_type,
                "issueCode": self.issue_code,
                "learnMoreLink": f"{LEARN_MORE}#access-analyzer-reference-policy-checks-"
                                 f"{_ANCHOR_TYPES[self.finding_type]}-{self.issue_code.lower().replace('_', '-')}",
                "locations": [location]}


_ANCHOR_TYPES = {"ERROR": "error", "SECURITY_WARNING": "security-warning", "WARNING": "general-warning",
                 "SUGGESTION": "suggestion"}


def _span(smap: SourceMap | None, path: JsonPath) -> dict[str, Any] | None:
    if smap is None:
        return None
    span = smap.value_spans.get(path)
    while span is None and path:
        path = path[:-1]
        span = smap.value_spans.get(path)
    if span is None:
        return None

    def position(offset: int) -> dict[str, int]:
        line, column = smap.line_col(offset)
        return {"line": line, "column": column - 1, "offset": offset}
    return {"start": position(span[0]), "end": position(span[1])}


def finding(code: str, kind: str, title: str, details: str, location: JsonPath,
            line: int | None = None) -> Finding:
    return Finding(code, kind, f"{title}: {details}", format_path(location) or "$", line, details, location)


def _statement_location(document: PolicyDocument, index: int) -> JsonPath:
    return ("Statement", index) if isinstance(document.raw.get("Statement"), list) else ("Statement",)


def _element(statement_raw: dict[str, Any], base: JsonPath, element: str, index: int | None) -> JsonPath:
    listed = isinstance(statement_raw.get(element), list)
    return base + (element,) + ((index,) if listed and index is not None else ())


def _is_pass_role(pattern: str) -> bool:
    return re.fullmatch(pattern.lower().replace("*", ".*").replace("?", "."), "iam:passrole") is not None


def findings(document: PolicyDocument) -> list[Finding]:
    """Access Analyzer's findings the lab knows how to give for a document that parses, in document order."""
    found: list[Finding] = []
    if not document.version_explicit:
        found.append(finding("MISSING_VERSION", "WARNING", "Missing version", "We recommend that you specify the "
                             "Version element to help you with debugging permission issues.", ()))
    seen: dict[str, int] = {}
    for statement in document.statements:
        base = _statement_location(document, statement.index)
        raw = statement.raw
        line = statement.lines[0] if statement.lines else None
        element = "NotAction" if statement.action_negated else "Action"
        patterns = statement.actions.patterns
        for index, action in enumerate(patterns):
            where = _element(raw, base, element, index)
            suggestion = near_miss(action)
            if suggestion is not None:
                found.append(finding("INVALID_ACTION", "ERROR", "Invalid action", f"The action {action} does not "
                                     f"exist. Did you mean {suggestion}?", where, line))
            prefix = action.split(":", 1)[0]
            if action != "*" and ("*" in prefix or "?" in prefix):
                found.append(finding("WILDCARD_IN_SERVICE_NAME", "SUGGESTION", "Wildcard in service name",
                                     "Avoid using wildcards (*, ?) in the service name because it might grant "
                                     "unintended access to other AWS services with similar names.", where, line))
        redundant = [a for a in patterns if any(b != a and _covers(b, a) for b in patterns)]
        if redundant and not statement.action_negated:
            found.append(finding("REDUNDANT_ACTION", "SUGGESTION", "Redundant action",
                                 f"The {len(redundant)} action(s) are redundant because they provide similar "
                                 f"permissions. Update the policy to remove the redundant action such as: "
                                 f"{redundant[0]}.", base + (element,), line))
        if raw.get("Sid") == "":
            found.append(finding("EMPTY_SID_VALUE", "SUGGESTION", "Empty Sid value", "Add a value to the empty "
                                 "string in the Sid element.", base + ("Sid",), line))
        if statement.is_allow:
            found += _pass_role(statement, base, line)
            if statement.principal_negated:
                found.append(finding("ALLOW_WITH_NOT_PRINCIPAL", "SECURITY_WARNING", "Allow with NotPrincipal",
                                     "Using Allow with NotPrincipal can be overly permissive. We recommend that you "
                                     "use Principal instead.", base + ("NotPrincipal",), line))
            elif document.kind == "trust" and statement.principal is not None:
                found += _trust(statement, base, line)
        for condition in statement.conditions:
            if condition.base in ("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase",
                                  "StringNotEqualsIgnoreCase") and any("*" in v or "?" in v for v in condition.values):
                found.append(finding("WILDCARD_WITHOUT_LIKE_OPERATOR", "WARNING", "Wildcard without like operator",
                                     "Your condition value includes a * or ? character. If you meant to use a "
                                     "wildcard (*, ?), update the condition operator to include Like.",
                                     base + ("Condition", condition.operator, condition.key), line))
        same = json.dumps({k: v for k, v in raw.items() if k != "Sid"}, sort_keys=True)
        if same in seen:
            found.append(finding("REDUNDANT_STATEMENT", "SUGGESTION", "Redundant statement", "The statements are "
                                 "redundant because they provide identical permissions. Update the policy to remove "
                                 "the redundant statement.", base, line))
        seen.setdefault(same, statement.index)
    return found


def _covers(wide: str, narrow: str) -> bool:
    """Does action pattern `wide` match everything `narrow` matches (s3:* covers s3:Get*, s3:GetObject)?"""
    if "*" not in wide and "?" not in wide:
        return False
    regex = re.escape(wide.lower()).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, narrow.lower()) is not None and wide.lower() != narrow.lower()


def _pass_role(statement: Any, base: JsonPath, line: int | None) -> list[Finding]:
    if statement.action_negated or statement.resources is None or statement.resource_negated:
        return []
    if "*" not in statement.resources.patterns:
        return []
    if any(c.key_lc == "iam:passedtoservice" for c in statement.conditions):
        return []
    patterns = statement.actions.patterns
    if "iam:passrole" in (p.lower() for p in patterns):
        return [finding("PASS_ROLE_WITH_STAR_IN_RESOURCE", "SECURITY_WARNING", "Pass role with star in resource",
                        "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive "
                        "because it allows iam:PassRole permissions on multiple resources. We recommend that you "
                        "specify resource ARNs or add the iam:PassedToService condition key to your statement.",
                        base + ("Resource",), line)]
    if any(_is_pass_role(p) for p in patterns):
        return [finding("PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE", "SECURITY_WARNING",
                        "Pass role with star in action and resource", "Using wildcards (*) in the action and the "
                        "resource can be overly permissive because it allows iam:PassRole permissions on all "
                        "resources. We recommend that you specify resource ARNs or add the iam:PassedToService "
                        "condition key to your statement.", base + ("Resource",), line)]
    return []


def _trust(statement: Any, base: JsonPath, line: int | None) -> list[Finding]:
    found: list[Finding] = []
    principal = statement.principal
    keys = [c.key_lc for c in statement.conditions]
    if principal.wildcard and not statement.conditions:
        # the lab's finding: AWS reports a role anyone can assume through external/public access findings
        found.append(finding("TRUST_POLICY_ALLOWS_ANY_PRINCIPAL", "SECURITY_WARNING", "Any principal may assume "
                             "this role", "The principal * with no Condition lets anyone, in any AWS account, assume "
                             "this role. Name the accounts or roles that may, or add a Condition such as "
                             "aws:PrincipalOrgID or sts:ExternalId.", base + ("Principal",), line))
    for federated in sorted(principal.federated):
        host = federated.split("oidc-provider/", 1)[-1] if "oidc-provider/" in federated else federated
        if ":saml-provider/" in federated or "." not in host:
            continue
        if host == "token.actions.githubusercontent.com":
            if f"{host}:sub" not in keys:
                found.append(finding("MISSING_GITHUB_REPO_CONDITION_KEY", "SECURITY_WARNING",
                                     "Missing github repo condition key", "Granting a federated GitHub principal "
                                     "permissions without a condition key can allow more sources to assume the role "
                                     "than you intended. Add the token.actions.githubusercontent.com:sub condition "
                                     "key and specify the branch and repository name in the value.",
                                     base + ("Principal",), line))
        elif not any(key.startswith(f"{host.lower()}:") for key in keys):
            found.append(finding("MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL", "SECURITY_WARNING",
                                 "Missing condition key for oidc principal", "Using an Open ID Connect principal "
                                 "without a condition can be overly permissive. Add condition keys with a prefix "
                                 "that matches your federated OIDC principals to ensure that only the intended "
                                 "identity provider assumes the role.", base + ("Principal",), line))
    return found


# ---- the grammar errors, under AWS's issue codes ---------------------------------------------------------------------
_ERROR_CODES: tuple[tuple[str, str, str], ...] = (
    # (pattern in the parser's message, issue code, title)
    (r"Missing required field `Effect`", "MISSING_EFFECT", "Missing effect"),
    (r"`Effect` must be", "INVALID_EFFECT", "Invalid effect"),
    (r"must contain actions", "MISSING_ACTION", "Missing action"),
    (r"must contain resources", "MISSING_RESOURCE", "Missing resource"),
    (r"Missing required field Principal", "MISSING_PRINCIPAL", "Missing principal"),
    (r"should not specify a principal", "UNSUPPORTED_PRINCIPAL", "Unsupported principal"),
    (r"invalid principal: \"STAR\"", "INVALID_PRINCIPAL_FORMAT", "Invalid principal format"),
    (r"Unknown principal type", "INVALID_PRINCIPAL_KEY", "Invalid principal key"),
    (r"Invalid principal in policy", "INVALID_PRINCIPAL_FORMAT", "Invalid principal format"),
    (r"`Version`", "INVALID_VERSION", "Invalid version"),
    (r"Missing required field `Statement`|must hold at least one statement", "MISSING_STATEMENT",
     "Missing statement"),
    (r"Unknown condition operator", "INVALID_CONDITION_OPERATOR", "Invalid condition operator"),
    (r"Has prohibited field|not a policy element|Unknown (field|element)", "INVALID_POLICY_ELEMENT",
     "Invalid policy element"),
    (r"must be unique", "UNIQUE_SIDS_REQUIRED", "Unique Sids required"),
)


def error_finding(error: PolicyError, text: str) -> Finding:
    """A document the parser refuses, as Access Analyzer's ERROR finding (the lab's POLICY_GRAMMAR where AWS's
    reference names no check for the mistake)."""
    location: JsonPath = _path_of(error.path)
    if error.aws_message == INVALID_JSON or error.detail.startswith("Invalid JSON"):
        offset = _offset(text, error.line, error.column)
        return finding("JSON_SYNTAX_ERROR", "ERROR", "Json syntax error", f"Fix the JSON syntax error at index "
                       f"{offset} line {error.line} column {(error.column or 1) - 1}.", (), error.line)
    words = f"{error.aws_message} {error.detail}"
    for pattern, code, title in _ERROR_CODES:
        if re.search(pattern, words):
            return finding(code, "ERROR", title, error.message, location, error.line)
    return finding("POLICY_GRAMMAR", "ERROR", "Policy grammar", error.message, location, error.line)


def _path_of(path: str | None) -> JsonPath:
    out: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path or ""):
        if part == "$":
            continue
        out.append(int(part[1:-1]) if part.startswith("[") else part)
    return tuple(out)


def _offset(text: str, line: int | None, column: int | None) -> int:
    lines = text.split("\n")
    if not line:
        return 0
    return sum(len(row) + 1 for row in lines[:line - 1]) + (column or 1) - 1


# ---- the two uses --------------------------------------------------------------------------------------------------
POLICY_KINDS = {"IDENTITY_POLICY": "identity", "RESOURCE_POLICY": "resource", "SERVICE_CONTROL_POLICY": "scp",
                "RESOURCE_CONTROL_POLICY": "rcp"}


def validate_policy(text: str, policy_type: str, resource_type: str | None = None) -> tuple[list[Finding],
                                                                                            SourceMap | None]:
    """ValidatePolicy: every finding, ERROR first (AWS's order of types), and the document's source map for spans."""
    kind = "trust" if resource_type == "AWS::IAM::AssumeRolePolicyDocument" else POLICY_KINDS[policy_type]
    try:
        _, smap = load_with_positions(text)
    except JsonSyntaxError:
        smap = None
    found: list[Finding] = []
    try:
        document = parse_policy(text, kind=kind)
    except PolicyError as error:
        found.append(error_finding(error, text))
        if kind != "trust" or found[0].issue_code != "INVALID_PRINCIPAL_FORMAT" or smap is None:
            return found, smap
        # IAM refuses a bare "Principal": "*" in a trust policy; read as the {"AWS": "*"} it means, what else would
        # Access Analyzer say about the role? (anyone may assume it)
        raw = json.loads(text)
        statements = raw.get("Statement") if isinstance(raw, dict) else None
        for statement in statements if isinstance(statements, list) else [statements]:
            if isinstance(statement, dict) and statement.get("Principal") == "*":
                statement["Principal"] = {"AWS": "*"}
        try:
            document = parse_policy(raw, kind="trust")
        except PolicyError:
            return found, smap
    found += findings(document)
    found.sort(key=lambda f: ORDER[f.finding_type])
    return found, smap


def editor_notes(document: PolicyDocument) -> list[str]:
    """What an editor or the console shows under a policy IAM saves: Access Analyzer's errors and security warnings,
    then the parser's warnings (a part that matches nothing), one note per place."""
    shown = [f for f in findings(document) if f.finding_type in EDITOR_TYPES]
    places = {f.path for f in shown}

    def said(path: str) -> bool:
        return any(path == p or path.startswith((p + ".", p + "[")) for p in places)
    return [f.message for f in shown] + [w.message for w in document.warnings if not said(w.path)]
