"""Parsing and validating policy documents into precompiled statements.

parse_policy(text_or_dict, kind=...) checks the grammar the way IAM does when a policy is saved
(IAM User Guide: reference_policies_grammar, reference_policies_elements_*), and raises PolicyError (a
MalformedPolicyDocument) whose message names the offending element, with the JSON path and, for text input,
the 1-based line and column. Messages start with the wording IAM uses where we know it:
"Has prohibited field Resource", "Missing required field Principal", "Policy document should not specify a
principal.", "Policy statement must contain actions.", "Invalid principal in policy", "Syntax errors in policy."
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.errors import MalformedPolicyDocument

from .conditions import Condition, coerce_condition_value, split_operator, suggest_operator
from .jsonpos import JsonSyntaxError, SourceMap, format_path, load_with_positions
from .patterns import arn_pattern, glob, split_arn
from .variables import VariableSyntaxError, parse_template, resolve

MAX_TEXT = 262144  # a safety cap far above IAM's quotas (2,048-10,240 characters) and above the largest AWS-managed
#                    policy (AWSSupportServiceRolePolicy, 156,916 characters as moto stores it); quotas are the caller's check
KINDS = ("identity", "trust", "resource", "boundary", "session", "scp", "rcp")
VERSIONS = ("2012-10-17", "2008-10-17")
TOP_FIELDS = ("Version", "Id", "Statement")
STATEMENT_FIELDS = ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                    "NotResource", "Condition")
PRINCIPAL_TYPES = ("AWS", "Federated", "Service", "CanonicalUser")

# IAM API pattern for policy documents (IAM-MODEL policyDocumentType; reference_iam-quotas).
_BAD_CHAR = re.compile(r"[^\t\n\r\u0020-\u00FF]")
_ACCOUNT = re.compile(r"^\d{12}$")
_AWS_ARN = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):(?:"
    r"iam::(?P<iam_acct>\d{12}):(?P<iam_res>root|user/.+|role/.+)"
    r"|sts::(?P<sts_acct>\d{12}):(?P<sts_res>assumed-role/[^/]+/.+|federated-user/.+)"
    r")$")
_UNIQUE_ID = re.compile(r"^A[A-Z0-9]{15,127}$")
_FEDERATED_ARN = re.compile(r"^arn:[a-z-]+:iam::\d{12}:(saml-provider|oidc-provider)/.+$")
_HOSTLIKE = re.compile(r"^[A-Za-z0-9.-]+(/[\w./-]*)?$")
_SERVICE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.[a-z0-9.-]+$")
_BUILTIN_WEB_IDPS = ("cognito-identity.amazonaws.com", "accounts.google.com", "www.amazon.com", "graph.facebook.com")
_SID_IAM = re.compile(r"^[A-Za-z0-9]*$")
_VENDOR = re.compile(r"^[A-Za-z0-9-]+$")
_ODD_ACTION_CHARACTERS = re.compile(r"[\s,]")
INVALID_JSON = "This policy contains invalid Json"
_STS_ACTIONS = frozenset(a.lower() for a in (
    "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "DecodeAuthorizationMessage", "GetAccessKeyInfo",
    "GetCallerIdentity", "GetFederationToken", "GetServiceBearerToken", "GetSessionToken", "SetSourceIdentity",
    "TagSession", "SetContext", "AssumeRoot"))


class PolicyError(MalformedPolicyDocument):
    """MalformedPolicyDocument with the AWS wording kept apart from our explanation.

    .message = aws_message + " " + detail (what the learner sees); .aws_message is IAM's own phrase, for a
    wire response that must look like AWS's; .detail says what is wrong and where.
    """

    def __init__(self, aws_message: str, detail: str, *, line: int | None = None, column: int | None = None,
                 path: str | None = None) -> None:
        where = f" (at line {line}, column {column})" if line is not None else ""
        sep = " " if aws_message.endswith((".", ":")) else ". "
        full = f"{aws_message}{sep}{detail}{where}" if detail else f"{aws_message}{where}"
        super().__init__(full, line=line, column=column, path=path)
        self.aws_message = aws_message
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "aws_message": self.aws_message,
                "detail": self.detail, "line": self.line, "column": self.column, "path": self.path}


@dataclass(slots=True)
class Warning_:
    message: str
    path: str
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "path": self.path, "line": self.line, "column": self.column}


class PrincipalMatcher:
    """A compiled Principal/NotPrincipal element."""

    __slots__ = ("wildcard", "accounts", "arns", "services", "federated", "canonical", "raw", "values")

    def __init__(self) -> None:
        self.wildcard = False
        self.accounts: set[str] = set()
        self.arns: set[str] = set()
        self.services: set[str] = set()
        self.federated: set[str] = set()
        self.canonical: set[str] = set()
        self.raw: Any = None
        self.values: list[tuple[str, str]] = []  # (type, value) as written, for the explanation

    def match(self, principal: Any) -> tuple[bool, str | None, str | None]:   # an engine.policy.model.Principal
        """-> (matched, how, matching entry). `how` says what named the caller: "*", "account", "user",
        "role", "session", "federated-user", "root-user", "service", "federated", "canonical"."""
        kind = principal.kind
        best: tuple[str, str] | None = None
        if kind in ("user", "assumed-role", "federated-user", "root"):
            arn = principal.arn
            if arn in self.arns:
                how = {"user": "user", "assumed-role": "session", "federated-user": "federated-user",
                       "root": "account"}[kind]
                best = (how, arn)
            elif kind == "assumed-role" and principal.role_arn and principal.role_arn in self.arns:
                best = ("role", principal.role_arn)
            elif principal.account in self.accounts:
                best = ("account", principal.account)
        elif kind == "service":
            if principal.service and principal.service.lower() in self.services:
                best = ("service", principal.service)
        elif kind in ("web-identity", "saml"):
            fed = principal.federated
            if fed and fed in self.federated:
                best = ("federated", fed)
            elif fed and "oidc-provider/" in fed:
                # the built-in web identity providers are named by host in trust policies
                host = fed.split("oidc-provider/", 1)[1]
                if host in _BUILTIN_WEB_IDPS and host in self.federated:
                    best = ("federated", host)
        if best is None and principal.canonical_user and principal.canonical_user in self.canonical:
            best = ("canonical", principal.canonical_user)
        if best is None and self.wildcard:
            best = ("*", "*")
        if best is None:
            return False, None, None
        return True, best[0], best[1]

    def lists_fully(self, principal: Any) -> bool:
        """For NotPrincipal: the caller is excluded only if every identity it carries is listed — the session
        ARN, the role ARN and the account for a session; the user ARN and the account for a user
        (reference_policies_elements_notprincipal)."""
        if self.wildcard:
            return True
        kind = principal.kind
        if kind == "service":
            return principal.service is not None and principal.service.lower() in self.services
        if kind in ("web-identity", "saml"):
            return bool(principal.federated) and principal.federated in self.federated
        if kind == "anonymous":
            return False
        chain = [principal.account]
        if kind == "assumed-role":
            chain += [principal.arn, principal.role_arn]
        elif kind in ("user", "federated-user"):
            chain.append(principal.arn)
        return all(c in self.accounts or c in self.arns for c in chain if c)


class ActionMatcher:
    __slots__ = ("patterns", "exact", "globs", "any")

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = patterns
        self.any = "*" in patterns
        self.exact: set[str] = set()
        self.globs = []
        for p in patterns:
            low = p.lower()
            if "*" in low or "?" in low:
                self.globs.append((p, glob(low)))
            else:
                self.exact.add(low)

    def first_match(self, action_lc: str) -> str | None:
        if self.any:
            return "*"
        if action_lc in self.exact:
            for p in self.patterns:
                if p.lower() == action_lc:
                    return p
        for p, g in self.globs:
            if g.match(action_lc):
                return p
        return None


class ResourceMatcher:
    __slots__ = ("patterns", "compiled", "templates", "any")

    def __init__(self, patterns: list[str], variables_enabled: bool) -> None:
        self.patterns = patterns
        self.any = "*" in patterns
        self.compiled = []   # (written, ArnPattern)
        self.templates = []  # (written, template)
        for p in patterns:
            template = parse_template(p) if variables_enabled else None
            if template is not None:
                self.templates.append((p, template))
            else:
                self.compiled.append((p, arn_pattern(((p, True),))))

    def first_match(self, resource: str, context_lc: dict[str, Any]) -> tuple[str | None, list[str]]:
        """-> (the pattern that matched, as resolved; patterns whose variables could not be resolved)."""
        if self.any:
            return "*", []
        parts = split_arn(resource)
        for written, pat in self.compiled:
            if pat.match_parts(parts, resource) if parts is not None else pat.match(resource):
                return written, []
        unresolved = []
        if self.templates:
            for written, template in self.templates:
                segments = resolve(template, context_lc)
                if segments is None:
                    unresolved.append(written)
                    continue
                if arn_pattern(segments).match(resource):
                    return "".join(t for t, _ in segments), []
        return None, unresolved


@dataclass(slots=True, eq=False)
class Statement:
    index: int
    sid: str | None
    effect: str
    principal: PrincipalMatcher | None
    principal_negated: bool
    actions: ActionMatcher
    action_negated: bool
    resources: ResourceMatcher | None
    resource_negated: bool
    conditions: tuple[Condition, ...]
    path: str
    lines: tuple[int, int] | None
    raw: dict[str, Any]

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def label(self) -> str:
        return f"`{self.sid}`" if self.sid else f"#{self.index}"


@dataclass(slots=True, eq=False)
class PolicyDocument:
    kind: str
    version: str
    version_explicit: bool
    id: str | None
    statements: list[Statement]
    raw: dict[str, Any]
    text: str | None = None
    warnings: list[Warning_] = field(default_factory=list)

    @property
    def variables_enabled(self) -> bool:
        return self.version == "2012-10-17"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "version": self.version, "id": self.id, "statements": [
            {"index": s.index, "sid": s.sid, "effect": s.effect, "lines": list(s.lines) if s.lines else None}
            for s in self.statements], "warnings": [w.to_dict() for w in self.warnings]}


class _Parser:
    def __init__(self, kind: str, smap: SourceMap | None) -> None:
        self.kind = kind
        self.smap = smap
        self.warnings: list[Warning_] = []

    def where(self, path: tuple[Any, ...]) -> tuple[int | None, int | None]:
        if self.smap is None:
            return None, None
        p = path
        while True:
            loc = self.smap.start_of(p)
            if loc or not p:
                return loc if loc else (None, None)
            p = p[:-1]

    def fail(self, aws: str, detail: str, path: tuple[Any, ...]) -> PolicyError:
        line, col = self.where(path)
        return PolicyError(aws, detail, line=line, column=col, path=format_path(path) or "$")

    def warn(self, message: str, path: tuple[Any, ...]) -> None:
        line, col = self.where(path)
        self.warnings.append(Warning_(message, format_path(path) or "$", line, col))

    def strings(self, value: Any, path: tuple[Any, ...], what: str, aws: str = "Syntax errors in policy.") -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            if not value:
                raise self.fail(aws, f"`{what}` must not be an empty list.", path)
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise self.fail(aws, f"`{what}` values must be strings, found {_json_type(item)}.",
                                    path + (i,))
            return list(value)
        raise self.fail(aws, f"`{what}` must be a string or a list of strings, found {_json_type(value)}.", path)

    def resource_strings(self, value: Any, path: tuple[Any, ...], what: str) -> list[str]:
        """Resource values. A `null` in Resource (alone or in the list) is saved by IAM (outside corpus of
        AWS-validated answers); it names no resource, so the lab reads it as matching nothing and warns. In
        NotResource a null would widen the statement to every resource, so the lab refuses it (its choice: AWS
        documents nothing about null here)."""
        if what == "Resource" and (value is None or (isinstance(value, list) and None in value)):
            self.warn("`null` in Resource names no resource; it matches nothing.", path)
            value = [item for item in value if item is not None] if isinstance(value, list) else []
            if not value:
                return []
        return self.strings(value, path, what)

    # ---- document ----
    def document(self, root: Any) -> tuple[str, bool, str | None, list[Statement]]:
        if not isinstance(root, dict):
            raise self.fail("Syntax errors in policy.", f"A policy must be a JSON object, found {_json_type(root)}.",
                            ())
        for key in root:
            if key not in TOP_FIELDS:
                raise self.fail("Syntax errors in policy.",
                                f"Unknown field `{key}` at the top level{_did_you_mean(key, TOP_FIELDS)}; "
                                f"allowed: Version, Id, Statement.", (key,))
        version_explicit = "Version" in root
        version = root.get("Version", "2008-10-17")
        if not isinstance(version, str) or version not in VERSIONS:
            raise self.fail("Syntax errors in policy.",
                            f"`Version` must be \"2012-10-17\" or \"2008-10-17\", found {_show(version)}.",
                            ("Version",))
        if self.kind == "rcp" and not version_explicit:
            # Organizations User Guide, "RCP syntax": every RCP must include Version "2012-10-17".
            raise self.fail("Syntax errors in policy.", "A resource control policy must say "
                            "\"Version\": \"2012-10-17\".", ())
        if not version_explicit:
            self.warn("No `Version`: the policy is read with 2008-10-17 rules, so policy variables such as "
                      "${aws:username} are plain text. Add \"Version\": \"2012-10-17\".", ())
        pid = root.get("Id")
        if pid is not None and not isinstance(pid, str):
            raise self.fail("Syntax errors in policy.", "`Id` must be a string.", ("Id",))
        if "Statement" not in root:
            raise self.fail("Syntax errors in policy.", "Missing required field `Statement`.", ())
        raw_statements = root["Statement"]
        items: list[tuple[Any, tuple[str | int, ...]]]
        if isinstance(raw_statements, dict):
            items = [(raw_statements, ("Statement",))]
        elif isinstance(raw_statements, list):
            if not raw_statements:
                raise self.fail("Syntax errors in policy.", "`Statement` must hold at least one statement.",
                                ("Statement",))
            items = [(s, ("Statement", i)) for i, s in enumerate(raw_statements)]
        else:
            raise self.fail("Syntax errors in policy.",
                            f"`Statement` must be an object or a list of objects, found "
                            f"{_json_type(raw_statements)}.", ("Statement",))
        statements = []
        sids: dict[str, tuple[Any, ...]] = {}
        for index, (raw, path) in enumerate(items):
            st = self.statement(raw, path, index, version == "2012-10-17")
            if st.sid:
                if st.sid in sids:
                    raise self.fail("Statement IDs (SID) in a single policy must be unique.",
                                    f"Sid `{st.sid}` is used twice.", path + ("Sid",))
                sids[st.sid] = path
            statements.append(st)
        return version, version_explicit, pid, statements

    # ---- statement ----
    def statement(self, raw: Any, path: tuple[Any, ...], index: int, variables: bool) -> Statement:
        kind = self.kind
        if not isinstance(raw, dict):
            raise self.fail("Syntax errors in policy.", f"A statement must be a JSON object, found "
                            f"{_json_type(raw)}.", path)
        for key in raw:
            if key not in STATEMENT_FIELDS:
                raise self.fail("Syntax errors in policy.",
                                f"Unknown field `{key}` in a statement{_did_you_mean(key, STATEMENT_FIELDS)}.",
                                path + (key,))
        sid = raw.get("Sid")
        if sid is not None:
            if not isinstance(sid, str):
                raise self.fail("Syntax errors in policy.", "`Sid` must be a string.", path + ("Sid",))
            if kind != "resource" and not _SID_IAM.match(sid):
                raise self.fail("Syntax errors in policy.",
                                f"Sid `{sid}` may contain only letters A-Z, a-z and digits 0-9 in an IAM policy.",
                                path + ("Sid",))
        if "Effect" not in raw:
            raise self.fail("Syntax errors in policy.", "Missing required field `Effect`.", path)
        effect = raw["Effect"]
        if effect not in ("Allow", "Deny"):
            raise self.fail("Syntax errors in policy.",
                            f"`Effect` must be \"Allow\" or \"Deny\" (case-sensitive), found {_show(effect)}.",
                            path + ("Effect",))

        # Principal / NotPrincipal
        has_p, has_np = "Principal" in raw, "NotPrincipal" in raw
        principal = None
        if has_p and has_np:
            raise self.fail("Syntax errors in policy.", "A statement cannot have both `Principal` and "
                            "`NotPrincipal`.", path + ("NotPrincipal",))
        if kind == "rcp":
            # Organizations User Guide, "RCP syntax" (elements table): Principal is required and only "*" is
            # supported (narrow it with a Condition); NotPrincipal and NotAction are not supported.
            if has_np:
                raise self.fail("Has prohibited field NotPrincipal", "A resource control policy does not support "
                                "`NotPrincipal`; write `\"Principal\": \"*\"` and narrow it with a Condition.",
                                path + ("NotPrincipal",))
            if not has_p:
                raise self.fail("Missing required field Principal", "Every statement of a resource control policy "
                                "says `\"Principal\": \"*\"`.", path)
            if raw["Principal"] != "*" and raw["Principal"] != {"AWS": "*"}:
                raise self.fail("Invalid principal in policy", "A resource control policy accepts only "
                                "`\"Principal\": \"*\"`; narrow it with a Condition such as aws:PrincipalOrgID.",
                                path + ("Principal",))
            if "NotAction" in raw:
                raise self.fail("Has prohibited field NotAction", "A resource control policy does not support "
                                "`NotAction`; list the actions it denies in `Action`.", path + ("NotAction",))
        if kind in ("identity", "boundary", "session", "scp"):
            if has_p or has_np:
                field_ = "Principal" if has_p else "NotPrincipal"
                what = ("a service control policy applies to every principal of the accounts it is attached to"
                        if kind == "scp" else "an identity-based policy applies to whoever it is attached to")
                raise self.fail("Policy document should not specify a principal.",
                                f"`{field_}` is allowed only in trust and resource-based policies; {what}.",
                                path + (field_,))
        else:
            if kind == "trust" and has_np:
                raise self.fail("Has prohibited field NotPrincipal", "`NotPrincipal` cannot be used in a role "
                                "trust policy.", path + ("NotPrincipal",))
            if not (has_p or has_np):
                raise self.fail("Missing required field Principal", f"Every statement of a {kind} policy must "
                                "say whom it applies to.", path)
            field_ = "Principal" if has_p else "NotPrincipal"
            principal = self.principal(raw[field_], path + (field_,))

        # Action / NotAction
        has_a, has_na = "Action" in raw, "NotAction" in raw
        if has_a and has_na:
            raise self.fail("Syntax errors in policy.", "A statement cannot have both `Action` and `NotAction`.",
                            path + ("NotAction",))
        if not (has_a or has_na):
            raise self.fail("Policy statement must contain actions.", "Add an `Action` (or `NotAction`) element.",
                            path)
        a_field = "Action" if has_a else "NotAction"
        actions = self.strings(raw[a_field], path + (a_field,), a_field)
        for i, action in enumerate(actions):
            self.check_action(action, path + (a_field, i) if isinstance(raw[a_field], list) else path + (a_field,))

        # Resource / NotResource
        has_r, has_nr = "Resource" in raw, "NotResource" in raw
        resources = None
        if kind == "trust":
            if has_r or has_nr:
                field_ = "Resource" if has_r else "NotResource"
                raise self.fail(f"Has prohibited field {field_}",
                                "A role trust policy is attached to the role itself, so it takes no "
                                f"`{field_}`; name the role ARN in the caller's identity policy instead.",
                                path + (field_,))
        else:
            if has_r and has_nr:
                raise self.fail("Syntax errors in policy.",
                                "A statement cannot have both `Resource` and `NotResource`.", path + ("NotResource",))
            if not (has_r or has_nr):
                raise self.fail("Policy statement must contain resources.",
                                "Add a `Resource` (or `NotResource`) element.", path)
            r_field = "Resource" if has_r else "NotResource"
            patterns = self.resource_strings(raw[r_field], path + (r_field,), r_field)
            positions = ([i for i, item in enumerate(raw[r_field]) if item is not None]
                         if isinstance(raw[r_field], list) else [])
            for i, pattern in enumerate(patterns):
                rpath = path + (r_field, positions[i]) if positions else path + (r_field,)
                if pattern != "*" and not pattern.startswith("arn:"):
                    raise self.fail(f"Resource {pattern} must be in ARN format or \"*\".", "", rpath)
                if variables:
                    try:
                        parse_template(pattern)
                    except VariableSyntaxError as exc:
                        raise self.fail("Syntax errors in policy.", f"{exc}.", rpath) from None
                elif "${" in pattern:
                    self.warn(f"`{pattern}` holds `${{...}}`, but without Version 2012-10-17 it is plain text, "
                              "not a policy variable.", rpath)
            resources = ResourceMatcher(patterns, variables)

        conditions: tuple[Condition, ...] = ()
        if "Condition" in raw:
            conditions = self.conditions(raw["Condition"], path + ("Condition",), variables)

        lines = self.smap.line_range(path) if self.smap else None
        return Statement(index=index, sid=sid or None, effect=effect, principal=principal,
                         principal_negated=has_np, actions=ActionMatcher(actions), action_negated=has_na,
                         resources=resources, resource_negated=has_nr, conditions=conditions,
                         path=format_path(path), lines=lines, raw=raw)

    def check_action(self, action: str, path: tuple[Any, ...]) -> None:
        if action == "*":
            pass
        elif ":" not in action:
            raise self.fail("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                            f"Action `{action}` has no service prefix; write e.g. `sts:AssumeRole`.", path)
        elif action.count(":") > 1:
            raise self.fail("Actions/Condition can contain only one colon.", f"Action `{action}`.", path)
        else:
            vendor, name = action.split(":", 1)
            if not _VENDOR.match(vendor) or not name:
                raise self.fail("Syntax errors in policy.", f"Action `{action}` is not of the form "
                                "`service:ActionName`.", path)
            if _ODD_ACTION_CHARACTERS.search(name):
                # IAM saves such an action (an outside corpus of AWS-validated answers lists "s3:Get Object" and
                # "s3:GetObject,s3:PutObject" as accepted; the grammar page puts no limit on the name's
                # characters), but no action has a space or a comma in its name, so it matches nothing.
                self.warn(f"Action `{action}` holds a space or a comma, so it matches no action; list each action "
                          "as its own string.", path)
        if self.kind == "trust" and action != "*" and not action.lower().startswith("sts:"):
            raise self.fail("AssumeRole policy may only specify STS AssumeRole actions.",
                            f"Action `{action}` does not belong in a role trust policy.", path)
        if self.kind == "trust" and "*" not in action and "?" not in action and \
                action.split(":", 1)[-1].lower() not in _STS_ACTIONS:
            # STS's actions (Service Authorization Reference, AWS STS); IAM refuses any other in a trust policy
            from .catalog import near_miss
            hint = near_miss(action)
            raise self.fail("AssumeRole policy may only specify STS AssumeRole actions.",
                            f"`{action}` is not an STS action" + (f"; did you mean `{hint}`?" if hint else "."), path)

    def principal(self, value: Any, path: tuple[Any, ...]) -> PrincipalMatcher:
        m = PrincipalMatcher()
        m.raw = value
        if value == "*":
            if self.kind == "trust":
                # IAM refuses the bare form in a role trust policy although the Principal page calls it equivalent
                # to {"AWS": "*"} (observed: hashicorp/terraform-provider-aws#4248, aws/aws-cdk#5732 and #5746).
                raise self.fail('AssumeRolepolicy contained an invalid principal: "STAR":"*"',
                                'IAM does not accept a bare `"Principal": "*"` in a role trust policy; write '
                                '`{"AWS": "*"}` and narrow it with a Condition (for example aws:PrincipalOrgID).',
                                path)
            m.wildcard = True
            m.values.append(("*", "*"))
            return m
        if not isinstance(value, dict) or not value:
            raise self.fail("Invalid principal in policy",
                            f"`{path[-1]}` must be \"*\" or an object such as {{\"AWS\": \"123456789012\"}}, "
                            f"found {_show(value)}.", path)
        for ptype, raw_values in value.items():
            ppath = path + (ptype,)
            if ptype not in PRINCIPAL_TYPES:
                raise self.fail("Invalid principal in policy",
                                f"Unknown principal type `{ptype}`{_did_you_mean(ptype, PRINCIPAL_TYPES)}; "
                                "use AWS, Federated, Service or CanonicalUser.", ppath)
            values = self.strings(raw_values, ppath, ptype, aws="Invalid principal in policy")
            for i, v in enumerate(values):
                vpath = ppath + (i,) if isinstance(raw_values, list) else ppath
                m.values.append((ptype, v))
                self.principal_value(m, ptype, v, vpath)
        return m

    def principal_value(self, m: PrincipalMatcher, ptype: str, v: str, path: tuple[Any, ...]) -> None:
        bad = f'Invalid principal in policy: "{ptype}":"{v}"'
        if ptype == "AWS":
            if v == "*":
                m.wildcard = True
                if self.kind == "trust":
                    self.warn("`{\"AWS\": \"*\"}` lets anyone, in any account, assume this role unless a "
                              "Condition narrows it.", path)
                return
            if "*" in v or "?" in v:
                raise self.fail(bad, "A principal cannot use a wildcard to match part of a name or ARN; use "
                                "\"*\" with a Condition on aws:PrincipalArn instead.", path)
            if _ACCOUNT.match(v):
                m.accounts.add(v)
                return
            arn = _AWS_ARN.match(v)
            if arn:
                if arn.group("iam_res") == "root":
                    m.accounts.add(arn.group("iam_acct"))
                else:
                    m.arns.add(v)
                return
            if _UNIQUE_ID.match(v):
                # IAM rewrites a principal whose user/role was deleted to its unique ID; it matches nobody.
                self.warn(f"`{v}` looks like the unique ID of a deleted user or role; it matches no caller.", path)
                m.arns.add(v)
                return
            raise self.fail(bad, "Use an account ID, or the ARN of the account root, a user, a role, an "
                            "assumed-role session or a federated user.", path)
        if ptype == "Service":
            if v == "*" or not _SERVICE.match(v):
                raise self.fail(bad, "A service principal looks like `ec2.amazonaws.com`.", path)
            m.services.add(v.lower())
        elif ptype == "Federated":
            if v == "*" or not (_FEDERATED_ARN.match(v) or _HOSTLIKE.match(v)):
                raise self.fail(bad, "Use a SAML or OIDC provider ARN, or a web identity provider such as "
                                "`cognito-identity.amazonaws.com`.", path)
            m.federated.add(v)
        elif ptype == "CanonicalUser":
            if v == "*":
                m.wildcard = True
                return
            if not re.match(r"^[0-9a-f]{64}$", v):
                raise self.fail(bad, "A canonical user ID is 64 hexadecimal characters.", path)
            m.canonical.add(v)

    def conditions(self, value: Any, path: tuple[Any, ...], variables: bool) -> tuple[Condition, ...]:
        if not isinstance(value, dict):
            raise self.fail("Syntax errors in policy.", f"`Condition` must be an object of operators, found "
                            f"{_json_type(value)}.", path)
        out: list[Condition] = []
        for operator, block in value.items():
            opath = path + (operator,)
            if block == {}:
                # An operator with no keys tests nothing. IAM saves it (an outside corpus of AWS-validated answers
                # lists `{"a": {}}` as accepted: the operator of an empty block is not even checked); the lab does
                # the same and says so.
                self.warn(f"`{operator}` holds no condition keys, so it tests nothing.", opath)
                continue
            try:
                split_operator(operator)
            except KeyError:
                hint = suggest_operator(operator)
                extra = f" Did you mean `{hint}`? Operator names are case-sensitive." if hint else ""
                if ":" in operator and operator.split(":", 1)[0] not in ("ForAllValues", "ForAnyValue"):
                    extra = " The only qualifiers are `ForAllValues:` and `ForAnyValue:`." + extra
                raise self.fail("Syntax errors in policy.", f"Unknown condition operator `{operator}`.{extra}",
                                opath) from None
            if not isinstance(block, dict) or not block:
                raise self.fail("Syntax errors in policy.",
                                f"`{operator}` must map condition keys to values, e.g. "
                                f"{{\"aws:SourceIp\": \"203.0.113.0/24\"}}.", opath)
            for key, raw_values in block.items():
                kpath = opath + (key,)
                if ":" not in key:
                    # IAM saves a key without a service prefix (outside corpus of AWS-validated answers; the grammar
                    # page defines a condition key as any string), but no request context holds such a key.
                    self.warn(f"Condition key `{key}` has no service prefix (such as `aws:` or `sts:`), so no "
                              "request carries it: the condition reads it as absent.", kpath)
                items = raw_values if isinstance(raw_values, list) else [raw_values]
                if not items:
                    raise self.fail("Syntax errors in policy.", f"Condition key `{key}` has an empty list of "
                                    "values.", kpath)
                values = []
                for i, item in enumerate(items):
                    s = coerce_condition_value(item)
                    if s is None:
                        raise self.fail("Syntax errors in policy.",
                                        f"Condition values must be strings, numbers or booleans, found "
                                        f"{_json_type(item)}.", kpath + ((i,) if isinstance(raw_values, list)
                                                                       else ()))
                    values.append(s)
                try:
                    cond = Condition(operator, key, values, kpath, variables_enabled=variables)
                except VariableSyntaxError as exc:
                    raise self.fail("Syntax errors in policy.", f"{exc}.", kpath) from None
                cond.line = self.where(kpath)[0]
                for i, message in cond.value_errors:
                    self.warn(f"{operator} on `{key}`: {message}, so this value never matches.",
                              kpath + ((i,) if isinstance(raw_values, list) else ()))
                if cond.literal_variables:
                    self.warn(f"`{key}` values hold `${{...}}`, but without Version 2012-10-17 they are plain "
                              "text, not policy variables.", kpath)
                if cond.qualifier and cond.base == "Null":
                    self.warn("A ForAllValues/ForAnyValue qualifier has no meaning on Null.", opath)
                out.append(cond)
        return tuple(out)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(value: Any) -> str:
    import json
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return f"`{text[:60]}`"


def _did_you_mean(key: str, options: tuple[str, ...]) -> str:
    for opt in options:
        if opt.lower() == key.lower():
            return f" (did you mean `{opt}`? field names are case-sensitive)"
    return ""


def find_bad_character(text: str) -> tuple[int, str] | None:
    m = _BAD_CHAR.search(text)
    return (m.start(), m.group()) if m else None


def policy_size(text: str) -> int:
    """Characters IAM counts against the size quotas (whitespace is not counted; reference_iam-quotas)."""
    return sum(1 for ch in text if not ch.isspace())


def parse_policy(text: str | dict[str, Any], *, kind: str = "identity") -> PolicyDocument:
    """Parse and validate a policy document; see the module docstring."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    smap = None
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8", "replace")
    if isinstance(text, str):
        if len(text) > MAX_TEXT:
            raise PolicyError("Syntax errors in policy.", f"The document is {len(text)} characters long; this lab "
                              f"reads at most {MAX_TEXT}.", line=1, column=1, path="$")
        if not text.strip():
            raise PolicyError("Syntax errors in policy.", "The policy document is empty.", line=1, column=1,
                              path="$")
        bad = find_bad_character(text)
        if bad:
            smap = SourceMap(text)
            line, col = smap.line_col(bad[0])
            raise PolicyError("Syntax errors in policy.",
                              f"Character U+{ord(bad[1]):04X} ({bad[1]!r}) is not allowed in a policy; only tab, "
                              "line feed, carriage return and U+0020-U+00FF are (watch for curly quotes).",
                              line=line, column=col, path="$")
        try:
            root, smap = load_with_positions(text)
        except JsonSyntaxError as exc:
            line, col = SourceMap(text).line_col(exc.offset)
            # IAM's words for a document that is not JSON at all (observed against AWS for create-role with a
            # trailing comma, in an outside corpus of AWS-validated answers; issue 25)
            raise PolicyError("Syntax errors in policy." if exc.grammar else INVALID_JSON,
                              f"Invalid JSON: {exc.detail}.", line=line, column=col,
                              path="$") from None
        source_text = text
    elif isinstance(text, dict):
        root, source_text = text, None
    else:
        raise PolicyError("Syntax errors in policy.", f"A policy must be JSON text or an object, found "
                          f"{_json_type(text)}.", path="$")
    parser = _Parser(kind, smap)
    version, explicit, pid, statements = parser.document(root)
    return PolicyDocument(kind=kind, version=version, version_explicit=explicit, id=pid, statements=statements,
                          raw=root, text=source_text, warnings=parser.warnings)


def check_policy(text: str | dict[str, Any], *, kind: str = "identity") -> dict[str, Any]:
    """For an editor's inline validation: never raises on bad input; returns
    {"ok", "error" (PolicyError.to_dict() or None), "warnings", "statements" (index, sid, effect, lines)}."""
    try:
        doc = parse_policy(text, kind=kind)
    except PolicyError as exc:
        return {"ok": False, "error": exc.to_dict(), "warnings": [], "statements": []}
    summary = doc.to_dict()
    return {"ok": True, "error": None, "warnings": summary["warnings"], "statements": summary["statements"]}
