"""AssumeRoleWithSAML validation rules, each proved with a REAL signed SAML Response from the mock IdP.

Sources: awsdocs iam-user-guide id_roles_providers_create_saml_assertions.md; API_AssumeRoleWithSAML; observed AWS
messages quoted in GitHub issues (aws-google-auth #270, gimme-aws-creds #251, ...).
"""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest

from engine.federation import tamper
from engine.federation.errors import FederationError
from engine.federation.idp import SamlIdp, SamlPerson, encode_saml_response
from engine.federation.keys import SigningKey
from engine.federation.saml import (SamlProviderRecord, name_qualifier, validate_saml_response)

ACCOUNT = "111122223333"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:saml-provider/SecureCartIdP"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SecureCart-Developer"
ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/SecureCart-Admin"
# A sandbox clock deliberately far from real time: python3-saml must judge times by it, not by time.time().
NOW = datetime(2031, 3, 4, 10, 0, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def idp_key() -> SigningKey:
    return SigningKey.generate("idp.securecart.example")


@pytest.fixture(scope="module")
def attacker_key() -> SigningKey:
    return SigningKey.generate("attacker.example")


@pytest.fixture(scope="module")
def idp(idp_key: SigningKey) -> SamlIdp:
    return SamlIdp("https://idp.securecart.example/saml/metadata", "https://idp.securecart.example/saml/sso", idp_key)


@pytest.fixture(scope="module")
def provider(idp: SamlIdp) -> SamlProviderRecord:
    return SamlProviderRecord(PROVIDER_ARN, idp.metadata_xml())


def alice(**overrides) -> SamlPerson:
    values = dict(name_id="alice", role_pairs=[(ROLE, PROVIDER_ARN)], role_session_name="alice@securecart.example",
                  session_duration=3600, principal_tags={"Department": "Engineering", "CostCenter": "42"},
                  transitive_tag_keys=["Department"], source_identity="alice")
    values.update(overrides)
    return SamlPerson(**values)


def signed_xml(idp: SamlIdp, person: SamlPerson | None = None, *, now: datetime = NOW, **options) -> str:
    return idp.build_response(person or alice(), now=now, **options)


def check(xml: str, provider: SamlProviderRecord, *, role_arn: str = ROLE, now: datetime = NOW):
    return validate_saml_response(encode_saml_response(xml), provider=provider, role_arn=role_arn, now=now)


def refused(xml: str, provider: SamlProviderRecord, *, role_arn: str = ROLE, now: datetime = NOW) -> FederationError:
    with pytest.raises(FederationError) as info:
        check(xml, provider, role_arn=role_arn, now=now)
    return info.value


# ---------------------------------------------------------------------------------------------------- accepted
def test_valid_signed_assertion_gives_aws_result_fields(idp, provider):
    result = check(signed_xml(idp), provider)
    assert result.subject == "alice"
    assert result.subject_type == "persistent"
    assert result.issuer == "https://idp.securecart.example/saml/metadata"
    assert result.audience == "https://signin.aws.amazon.com/saml"
    assert result.role_session_name == "alice@securecart.example"
    assert result.principal_tags == {"Department": "Engineering", "CostCenter": "42"}
    assert result.transitive_tag_keys == ["Department"]
    assert result.source_identity == "alice"
    assert result.console_session_duration == 3600
    assert all(c.passed for c in result.checks)
    fields = result.result_fields()
    assert set(fields) == {"Subject", "SubjectType", "Issuer", "Audience", "NameQualifier", "SourceIdentity"}


def test_name_qualifier_is_base64_sha1_of_issuer_account_and_provider_name(idp, provider):
    import hashlib
    result = check(signed_xml(idp), provider)
    expected = base64.b64encode(hashlib.sha1(
        b"https://idp.securecart.example/saml/metadata" + ACCOUNT.encode() + b"/SecureCartIdP").digest()).decode()
    assert result.name_qualifier == expected == name_qualifier(result.issuer, ACCOUNT, "SecureCartIdP")


def test_condition_keys_come_from_the_assertion(idp, provider):
    result = check(signed_xml(idp, alice(name_id_format="transient")), provider)
    ctx = result.condition_context
    assert ctx["saml:aud"] == "https://signin.aws.amazon.com/saml"      # from Recipient
    assert ctx["saml:iss"] == "https://idp.securecart.example/saml/metadata"
    assert ctx["saml:sub"] == "alice"
    assert ctx["saml:sub_type"] == "transient"
    assert ctx["saml:doc"] == f"{ACCOUNT}/SecureCartIdP"
    assert ctx["saml:namequalifier"] == result.name_qualifier


def test_response_signature_instead_of_assertion_signature_is_accepted(idp, provider):
    assert check(signed_xml(idp, sign="response"), provider).subject == "alice"
    assert check(signed_xml(idp, sign="both"), provider).subject == "alice"


def test_urn_amazon_webservices_audience_is_accepted(idp, provider):
    assert check(signed_xml(idp, audience="urn:amazon:webservices"), provider).audience == \
        "https://signin.aws.amazon.com/saml"


def test_role_pair_in_reverse_order_is_accepted(idp, provider):
    person = alice(role_pairs=[])
    person.extra_attributes = {"https://aws.amazon.com/SAML/Attributes/Role": [f"{PROVIDER_ARN},{ROLE}"]}
    assert check(signed_xml(idp, person), provider).role_arn == ROLE


def test_session_not_on_or_after_caps_the_session(idp, provider):
    result = check(signed_xml(idp, session_not_on_or_after=NOW + timedelta(minutes=20)), provider)
    assert result.max_session_seconds(NOW) == 1200


# ---------------------------------------------------------------------------------------------------- refused
def test_tampered_role_after_signing_is_response_signature_invalid(idp, provider):
    forged = tamper.change_role(signed_xml(idp), ADMIN_ROLE, PROVIDER_ARN)
    error = refused(forged, provider, role_arn=ADMIN_ROLE)
    assert (error.code, error.message, error.status) == ("InvalidIdentityToken", "Response signature invalid", 400)
    assert error.defence == "signature-crypto"


def test_stretched_expiry_breaks_the_signature(idp, provider):
    late = NOW + timedelta(hours=2)
    forged = tamper.stretch_expiry(signed_xml(idp), 3 * 3600, refresh_issue_instant=late)
    error = refused(forged, provider, now=late)
    assert error.message == "Response signature invalid"


def test_unsigned_assertion_is_refused(idp, provider):
    error = refused(signed_xml(idp, sign="none"), provider)
    assert (error.code, error.defence) == ("InvalidIdentityToken", "signature-missing")


def test_stripped_signature_is_refused(idp, provider):
    error = refused(tamper.strip_signature(signed_xml(idp)), provider)
    assert error.defence == "signature-missing"


def test_assertion_signed_with_a_key_not_in_the_metadata_is_refused(idp, provider, attacker_key):
    error = refused(signed_xml(idp, signing_key=attacker_key), provider)
    assert (error.code, error.message, error.defence) == ("InvalidIdentityToken", "Response signature invalid",
                                                          "signature-crypto")


def test_resigned_with_attacker_key_after_editing_the_role_is_refused(idp, provider, attacker_key):
    forged = tamper.resign_with_key(signed_xml(idp), idp, attacker_key, role_arn=ADMIN_ROLE, provider_arn=PROVIDER_ARN)
    assert refused(forged, provider, role_arn=ADMIN_ROLE).message == "Response signature invalid"


@pytest.mark.parametrize("wrap", [tamper.xsw_sibling, tamper.xsw_wrap_in_object, tamper.xsw_in_extensions],
                         ids=["sibling", "in-signature-object", "in-extensions"])
def test_signature_wrapping_variants_are_refused(idp, provider, wrap):
    forged = wrap(signed_xml(idp), ADMIN_ROLE, PROVIDER_ARN)
    error = refused(forged, provider, role_arn=ADMIN_ROLE)
    assert error.code == "InvalidIdentityToken"
    assert error.defence.startswith("xsw")


def test_redeemed_after_five_minutes_is_expired_token(idp, provider):
    # an IdP that issues long-lived assertions still cannot beat the 5-minute redeem window
    xml = signed_xml(idp, lifetime_seconds=3600)
    check(xml, provider, now=NOW + timedelta(minutes=4, seconds=59))
    error = refused(xml, provider, now=NOW + timedelta(minutes=5, seconds=1))
    assert (error.code, error.message, error.status) == ("ExpiredTokenException",
                                                         "Token must be redeemed within 5 minutes of issuance", 400)


def test_expired_not_on_or_after_is_expired_token(idp, provider):
    xml = signed_xml(idp, lifetime_seconds=60)
    error = refused(xml, provider, now=NOW + timedelta(seconds=61))
    assert (error.code, error.defence) == ("ExpiredTokenException", "validity")


def test_times_are_judged_by_the_sandbox_clock_not_real_time(idp, provider):
    # issued "now" in real time, but the sandbox clock is years ahead: expired there.
    real_now = datetime.now(timezone.utc).replace(microsecond=0)
    xml = signed_xml(idp, now=real_now)
    assert check(xml, provider, now=real_now).subject == "alice"
    assert refused(xml, provider, now=NOW).code == "ExpiredTokenException"
    # and an assertion issued at sandbox time NOW is valid although real time is years earlier
    assert check(signed_xml(idp, now=NOW), provider, now=NOW + timedelta(seconds=30)).subject == "alice"


def test_wrong_recipient_is_refused(idp, provider):
    error = refused(signed_xml(idp, recipient="https://evil.example/saml"), provider)
    assert (error.code, error.defence) == ("InvalidIdentityToken", "recipient")


def test_recipient_changed_after_signing_breaks_the_signature(idp, provider):
    forged = tamper.set_recipient(signed_xml(idp, recipient="https://other-sp.example/acs"),
                                  "https://signin.aws.amazon.com/saml")
    assert refused(forged, provider).defence == "signature-crypto"


def test_wrong_audience_is_refused(idp, provider):
    error = refused(signed_xml(idp, audience="https://jira.securecart.example"), provider)
    assert (error.code, error.defence) == ("InvalidIdentityToken", "audience")


def test_issuer_not_in_provider(idp_key, provider):
    other = SamlIdp("https://other-idp.example/metadata", "https://other-idp.example/sso", idp_key)
    error = refused(other.build_response(alice(), now=NOW), provider)
    assert (error.code, error.message) == ("InvalidIdentityToken", "Issuer not present in specified provider")


def test_role_not_granted_by_the_assertion(idp, provider):
    error = refused(signed_xml(idp), provider, role_arn=ADMIN_ROLE)
    assert (error.code, error.message, error.defence) == ("ValidationError", "Request ARN is invalid", "role-pair")


def test_provider_not_paired_in_the_assertion(idp, provider):
    person = alice(role_pairs=[(ROLE, f"arn:aws:iam::{ACCOUNT}:saml-provider/SomeOtherIdP")])
    assert refused(signed_xml(idp, person), provider).message == "Principal ARN is invalid"


def test_provider_in_another_account_than_the_role(idp, provider):
    other_role = "arn:aws:iam::444455556666:role/SecureCart-Developer"
    person = alice(role_pairs=[(other_role, PROVIDER_ARN)])
    error = refused(signed_xml(idp, person), provider, role_arn=other_role)
    assert error.message == "Principal exists outside the account of the Role being assumed."


@pytest.mark.parametrize("name", ["John Doe", "x", "a" * 65, "alice/admin"])
def test_bad_role_session_name_attribute(idp, provider, name):
    error = refused(signed_xml(idp, alice(role_session_name=name)), provider)
    assert (error.code, error.message) == ("InvalidIdentityToken",
                                           "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")


def test_missing_role_session_name_attribute(idp, provider):
    assert refused(signed_xml(idp, alice(role_session_name=None)), provider).defence == "role-session-name"


@pytest.mark.parametrize("duration", [60, 899, 43201, "an hour"])
def test_session_duration_attribute_out_of_range(idp, provider, duration):
    error = refused(signed_xml(idp, alice(session_duration=duration)), provider)
    assert (error.code, error.defence) == ("InvalidIdentityToken", "session-duration")


def test_transitive_key_that_is_not_a_session_tag(idp, provider):
    error = refused(signed_xml(idp, alice(transitive_tag_keys=["Team"])), provider)
    assert error.defence == "session-tags"


def test_source_identity_with_reserved_prefix(idp, provider):
    assert refused(signed_xml(idp, alice(source_identity="aws:alice")), provider).defence == "source-identity"


@pytest.mark.parametrize("blob", ["not base64!!", base64.b64encode(b"<not-xml").decode(),
                                  base64.b64encode(b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>")
                                  .decode(), base64.b64encode(b"<foo/>").decode()])
def test_garbage_is_invalid_identity_token_not_a_crash(provider, blob):
    with pytest.raises(FederationError) as info:
        validate_saml_response(blob, provider=provider, role_arn=ROLE, now=NOW)
    assert info.value.code == "InvalidIdentityToken"
    assert info.value.defence == "decode"


def test_provider_metadata_that_is_not_metadata(idp):
    bogus = SamlProviderRecord(PROVIDER_ARN, "<not-really-metadata/>")   # moto accepts this at CreateSAMLProvider
    with pytest.raises(FederationError) as info:
        check(signed_xml(idp), bogus)
    assert (info.value.code, info.value.defence) == ("InvalidIdentityToken", "metadata")


def test_failure_carries_the_checks_passed_so_far(idp, provider):
    error = refused(tamper.change_role(signed_xml(idp), ADMIN_ROLE, PROVIDER_ARN), provider, role_arn=ADMIN_ROLE)
    names = [(c.name, c.passed) for c in error.checks]
    assert names == [("decode", True), ("issuer", True), ("signature", False)]


def test_tamper_helpers_never_resolve_entities(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>')
    with pytest.raises(ValueError):
        tamper.strip_signature(xxe)
