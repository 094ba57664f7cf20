"""The steps of issuing a role session (engine/sts/rolesession.py, issue 24): each one alone, with the mistake it must
catch, then the unreadable-trust-policy diagnostic end to end. Rules cite the STS API Reference [STS-MODEL] and the
IAM User Guide [UG:page] as engine/sts/service.py does."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from engine.directory import RoleInfo
from engine.errors import AccessDenied, ValidationError
from engine.policy import Principal
from engine.sts.caller import RequestMeta
from engine.sts.results import AssumedRoleUser, Credentials, RoleSessionResult, member_name
from engine.sts.rolesession import (CHAINING_MESSAGE, MAX_SESSION_MESSAGE, InvalidParameterValue, RoleSessionRequest,
                                    SessionTags, explain_unreadable_trust_policy, merged_tags, session_duration,
                                    session_tags, source_identity, trust_context, trust_policy)
from test_sts_world import World, allow, doc, trust, world  # noqa: F401

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def role(**changes: Any) -> RoleInfo:
    base = RoleInfo(account="111122223333", name="Auditor", arn="arn:aws:iam::111122223333:role/Auditor",
                    role_id="AROAEXAMPLE0000000001", path="/", trust_policy=trust({"AWS": "111122223333"}),
                    tags={"Team": "audit"}, max_session_duration=7200, policies=[], boundary_arn=None)
    return dataclasses.replace(base, **changes)


def request(**changes: Any) -> RoleSessionRequest:
    base = RoleSessionRequest(
        caller=None, sandbox_id="sbx-1", role_arn="arn:aws:iam::111122223333:role/Auditor", session_name="review",
        principal=Principal(arn="", account=None, kind="service", service="ec2.amazonaws.com"),
        action="sts:AssumeRole", params={}, meta=RequestMeta(request_id="r-1"), mfa_time=None, origin="AssumeRole",
        deny_error=lambda action: AccessDenied(f"Not authorized to perform {action}"))
    return dataclasses.replace(base, **changes)


# ---- session tags [UG:id_session-tags]
def test_session_tags_keep_the_callers_case_and_refuse_duplicates_in_any_case() -> None:
    tags = session_tags({"Tags": [{"Key": "Project", "Value": "shop"}], "TransitiveTagKeys": ["project"]}, {})
    assert tags == SessionTags({"Project": "shop"}, ["project"], {})
    # AWS answers InvalidParameterValue (responses recorded against real AWS, issue 25's outside corpus)
    with pytest.raises(InvalidParameterValue, match="Duplicate tag keys"):
        session_tags({"Tags": [{"Key": "Project", "Value": "a"}, {"Key": "PROJECT", "Value": "b"}]}, {})


def test_a_transitive_key_must_be_a_session_tag_and_an_inherited_tag_cannot_be_overridden() -> None:
    # AWS's codes and words (responses recorded against real AWS, issue 25's outside corpus)
    with pytest.raises(InvalidParameterValue, match="transitive tag key must be included in the requested tags"):
        session_tags({"Tags": [{"Key": "Project", "Value": "a"}], "TransitiveTagKeys": ["Team"]}, {})
    with pytest.raises(InvalidParameterValue, match="conflicts with a transitive tag key from the calling session"):
        session_tags({"Tags": [{"Key": "team", "Value": "b"}]}, {"Team": "a"})


def test_tags_merge_case_insensitively_the_later_winning() -> None:
    assert merged_tags({"Team": "audit", "Env": "prod"}, {"team": "ops"}, {"ENV": "dev"}) == {"team": "ops",
                                                                                              "ENV": "dev"}


# ---- source identity [UG:id_credentials_temp_control-access_monitor]
def test_a_source_identity_is_set_once_and_never_with_the_aws_prefix() -> None:
    assert source_identity("alice", None).effective == "alice"
    assert source_identity(None, "alice").effective == "alice"      # carried along a chain
    assert source_identity("alice", "alice").effective == "alice"
    with pytest.raises(ValidationError, match="cannot be changed"):
        source_identity("mallory", "alice")
    with pytest.raises(ValidationError, match="reserved prefix aws:"):
        source_identity("AWS:admin", None)


# ---- the trust evaluation's request context
def test_the_trust_context_carries_the_calls_keys_tags_and_mfa_age() -> None:
    tags = session_tags({"Tags": [{"Key": "Project", "Value": "shop"}], "TransitiveTagKeys": ["Project"]},
                        {"team": "ops"})
    context = trust_context(request(params={"ExternalId": "X-1", "SourceIdentity": "alice"},
                                    mfa_time=NOW - timedelta(seconds=90), extra_context={"saml:aud": "https://x"}),
                            NOW, role(), tags)
    assert context["sts:RoleSessionName"] == "review" and context["sts:ExternalId"] == "X-1"
    assert context["sts:SourceIdentity"] == "alice" and context["sts:TransitiveTagKeys"] == ["Project"]
    assert context["aws:RequestTag/Project"] == "shop" and context["aws:TagKeys"] == ["Project"]
    # the role's tags as aws:ResourceTag, an inherited transitive tag replacing one of the same key in any case
    assert context["aws:ResourceTag/team"] == "ops" and "aws:ResourceTag/Team" not in context
    assert context["aws:MultiFactorAuthPresent"] == "true" and context["aws:MultiFactorAuthAge"] == "90"
    assert context["saml:aud"] == "https://x" and "aws:PrincipalArn" not in context   # no caller: a federation call
    quiet = trust_context(request(), NOW, None, session_tags({}, {}))
    assert not {"sts:ExternalId", "aws:TagKeys", "aws:MultiFactorAuthPresent"} & set(quiet)


# ---- duration [STS-MODEL AssumeRole DurationSeconds], [UG:id_roles_use]
def test_a_duration_is_capped_by_the_role_by_chaining_and_by_the_request() -> None:
    assert session_duration(request(), role()) == 3600                                         # the default
    assert session_duration(request(params={"DurationSeconds": 7200}), role()) == 7200
    with pytest.raises(ValidationError, match=MAX_SESSION_MESSAGE):
        session_duration(request(params={"DurationSeconds": 7201}), role())
    # an AWS service's credentials are not capped by MaxSessionDuration [UG:reference_iam-quotas]
    assert session_duration(request(params={"DurationSeconds": 21600}, service="ec2.amazonaws.com"), role()) == 21600
    # SAML's SessionNotOnOrAfter shortens the session, never below a second
    assert session_duration(request(params={"DurationSeconds": 3600}, duration_cap=1200), role()) == 1200
    assert session_duration(request(duration_cap=-5), role()) == 1


def test_a_chained_session_lasts_an_hour_at_most(world: World) -> None:
    caller = world.login(world.a, "alice", doc(allow("sts:AssumeRole")))
    first = world.role(world.b, "First", trust({"AWS": world.a}), doc(allow("sts:AssumeRole")))
    hop = world.session_caller(world.assume(caller, first))
    chained = request(caller=hop, sandbox_id=world.sandbox, params={"DurationSeconds": 3601})
    assert chained.chained and chained.one_hour_cap
    with pytest.raises(ValidationError, match=CHAINING_MESSAGE):
        session_duration(chained, role())
    assert session_duration(dataclasses.replace(chained, params={}), role()) == 3600


# ---- an unreadable stored trust policy
def test_a_trust_policy_that_does_not_parse_trusts_nobody_and_says_why() -> None:
    assert trust_policy(None) == (None, "")
    parsed, diagnostic = trust_policy(role())
    assert parsed is not None and diagnostic == ""
    parsed, diagnostic = trust_policy(role(trust_policy='{"Version": "2012-10-17",\n "Statement": [oops]}'))
    # handed to the authorizer as a policy that allows nothing and is reported in Decision.errors
    assert parsed is not None and parsed.document is None and "invalid Json" in parsed.error
    assert diagnostic.startswith("the stored trust policy of role Auditor could not be read (")
    assert "line 2, column" in diagnostic and diagnostic.endswith("so it trusts nobody")


def test_the_diagnostic_leads_the_decisions_explanation() -> None:
    class Decision:   # the Decision's attributes the explanation shows (its class is engine.policy's)
        reason, steps = "no statement allows the call", ["checked the trust policy"]

    decision = Decision()
    explain_unreadable_trust_policy(decision, "the stored trust policy of role X could not be read")
    assert decision.steps == ["the stored trust policy of role X could not be read", "checked the trust policy"]
    assert decision.reason.startswith("the stored trust policy of role X could not be read; no statement")


def test_assume_role_on_an_unreadable_trust_policy_is_refused_with_the_diagnostic(world: World,
                                                                                   monkeypatch) -> None:
    caller = world.login(world.a, "alice", doc(allow("sts:AssumeRole")))
    arn = world.role(world.b, "Broken", trust({"AWS": world.a}))
    stored = world.lab.directory.role_by_arn(arn)
    broken = dataclasses.replace(stored, trust_policy='{"Statement": [}')   # stored around IAM's checks
    monkeypatch.setattr(type(world.lab.directory), "role_by_arn",
                        lambda self, role_arn: broken if role_arn == arn else None)
    with pytest.raises(AccessDenied):
        world.assume(caller, arn)
    decision = world.lab.decision(world.last_request_id)
    assert decision is not None and not decision.allowed
    assert decision.steps[0].startswith("the stored trust policy of role Broken could not be read")
    assert "could not be read" in decision.to_dict()["reason"]


# ---- results as the dialect writes them
def test_a_result_is_written_with_the_sts_models_member_names_and_none_left_out() -> None:
    assert member_name("assumed_role_id") == "AssumedRoleId" and member_name("subject_from_web_identity_token") == \
        "SubjectFromWebIdentityToken"
    result = RoleSessionResult(Credentials("ASIA1", "secret", "token", NOW), AssumedRoleUser("arn:x", "AROA:s"))
    assert result.members() == {"Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "secret",
                                                "SessionToken": "token", "Expiration": NOW},
                                "AssumedRoleUser": {"Arn": "arn:x", "AssumedRoleId": "AROA:s"}}
    federated = result.with_federation({"Subject": "alice", "Audience": "https://signin.aws.amazon.com/saml"})
    assert federated.members()["Subject"] == "alice" and "Federation" not in federated.members()
    assert dataclasses.replace(result, packed_policy_size=6).members()["PackedPolicySize"] == 6
