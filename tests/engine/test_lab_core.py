"""The Lab façade: sandboxes and clocks, authenticate, authorize_call (sandbox rule, boundaries, resource
policies), decisions, session listing, and the hooks for federation and EC2 instance roles."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from engine.errors import AccessDenied, InvalidClientTokenId
from engine.lab import Lab, RequestMeta
from engine.policy import Principal
from test_sts_world import World, allow, doc, trust, world  # noqa: F401


# ---- sandboxes ------------------------------------------------------------------------------------------------------

def test_register_sandbox_maps_accounts_and_refuses_sharing(world: World) -> None:
    assert world.lab.sandbox_of_account(world.a) == world.sandbox
    assert world.lab.accounts_of(world.sandbox) == {"dev": world.a, "prod": world.b}
    with pytest.raises(ValueError):
        world.lab.register_sandbox("thief", {"x": world.a})
    with pytest.raises(ValueError):
        world.lab.register_sandbox("bad", {"x": "12345"})


def test_clock_offset_moves_sandbox_time_only(world: World) -> None:
    before = world.lab.now(world.sandbox)
    world.lab.set_clock_offset(world.sandbox, 7200)
    assert world.lab.now(world.sandbox) - before >= timedelta(seconds=7199)
    assert world.lab.now("other-" + world.sandbox) - before < timedelta(seconds=60)


def test_forget_sandbox_drops_its_sessions(world: World) -> None:
    caller = world.login(world.a, "alice", doc(allow("sts:AssumeRole")))
    role_arn = world.role(world.b, "R", trust({"AWS": world.a}))
    creds = world.assume(caller, role_arn)["Credentials"]
    world.lab.forget_sandbox(world.sandbox)
    with pytest.raises(InvalidClientTokenId):
        world.lab.authenticate(creds["AccessKeyId"], creds["SessionToken"])
    assert world.lab.sandbox_of_account(world.a) is None


def test_forget_sandbox_drops_user_boundaries_and_root_keys(world: World) -> None:
    world.user(world.a, "bounded")
    world.lab.set_user_boundary(world.a, "bounded", f"arn:aws:iam::{world.a}:policy/B")
    root_key, _ = world.lab.create_root_access_key(world.sandbox, world.a)
    world.lab.forget_sandbox(world.sandbox)
    assert world.lab.directory.user_boundary(world.a, "bounded") is None
    world.lab.register_sandbox(world.sandbox, {"dev": world.a, "prod": world.b})
    with pytest.raises(InvalidClientTokenId):
        world.lab.authenticate(root_key, None)


# ---- authenticate -------------------------------------------------------------------------------------------------

def test_unknown_key_is_invalid_client_token_id(world: World) -> None:
    with pytest.raises(InvalidClientTokenId) as err:
        world.lab.authenticate("AKIAZZZZZZZZZZZZZZZZ", None)
    assert err.value.message == "The security token included in the request is invalid."
    assert err.value.status == 403


def test_temporary_key_without_or_with_wrong_token(world: World) -> None:
    caller = world.login(world.a, "alice", doc(allow("sts:AssumeRole")))
    role_arn = world.role(world.b, "R", trust({"AWS": world.a}))
    creds = world.assume(caller, role_arn)["Credentials"]
    with pytest.raises(InvalidClientTokenId):
        world.lab.authenticate(creds["AccessKeyId"], None)
    with pytest.raises(InvalidClientTokenId) as err:
        world.lab.authenticate(creds["AccessKeyId"], creds["SessionToken"][:-4] + "AAAA")
    assert err.value.message == "The security token included in the request is invalid"


def test_long_term_key_with_a_session_token_is_refused(world: World) -> None:
    key_id, _ = world.user(world.a, "alice")
    with pytest.raises(InvalidClientTokenId):
        world.lab.authenticate(key_id, "IQoJb3JpZ2luX2VjEforged")


def test_inactive_long_term_key_is_refused(world: World) -> None:
    key_id, secret = world.user(world.a, "alice")
    assert world.lab.authenticate(key_id, None).secret_access_key == secret
    world.iam(world.a).update_access_key("alice", key_id, "Inactive")
    with pytest.raises(InvalidClientTokenId):
        world.lab.authenticate(key_id, None)


def test_keys_of_accounts_outside_any_sandbox_are_unknown(world: World) -> None:
    from test_sts_world import new_account
    loose = new_account()
    from moto.iam.models import iam_backends
    iam = iam_backends[loose]["global"]
    iam.create_user("us-east-1", "stray", "/")
    key = iam.create_access_key("stray")
    try:
        with pytest.raises(InvalidClientTokenId):
            world.lab.authenticate(key.access_key_id, None)
    finally:
        iam_backends.pop(loose, None)


def test_caller_carries_what_the_gateway_needs(world: World) -> None:
    key_id, secret = world.user(world.a, "alice", tags={"team": "cart"})
    caller = world.lab.authenticate(key_id, None)
    assert caller.secret_access_key == secret and caller.sandbox_id == world.sandbox and caller.account == world.a
    assert caller.is_long_term and caller.session is None and caller.mfa is None
    assert caller.principal.kind == "user" and caller.principal.tags == {"team": "cart"}


# ---- authorize_call -------------------------------------------------------------------------------------------------

def test_authorize_call_identity_policy_and_decision_recording(world: World) -> None:
    caller = world.login(world.a, "alice", doc(allow("s3:GetObject", "arn:aws:s3:::securecart-product-images/*")))
    meta = RequestMeta(request_id="call-1")
    decision = world.lab.authorize_call(caller, "s3:GetObject", "arn:aws:s3:::securecart-product-images/a.png",
                                        world.a, request_meta=meta)
    assert decision.allowed
    assert world.lab.decision("call-1") is decision
    assert not world.lab.authorize_call(caller, "s3:PutObject", "arn:aws:s3:::securecart-product-images/a.png",
                                        world.a).allowed


def test_sandbox_rule_blocks_other_sandboxes_accounts(world: World) -> None:
    admin = world.login(world.a, "admin", doc(allow("*")))
    assert world.lab.authorize_call(admin, "s3:GetObject", "arn:aws:s3:::x/y", world.a).allowed
    decision = world.lab.authorize_call(admin, "s3:GetObject", "arn:aws:s3:::x/y", world.c)
    assert not decision.allowed and "sandbox" in decision.reason


def test_permissions_boundary_limits_user(world: World) -> None:
    caller = world.login(world.a, "bounded", doc(allow("*")))
    boundary = world.managed(world.a, "OnlyS3", doc(allow("s3:*")))
    world.lab.set_user_boundary(world.a, "bounded", boundary)
    assert world.lab.authorize_call(caller, "s3:GetObject", "arn:aws:s3:::x/y", world.a).allowed
    decision = world.lab.authorize_call(caller, "ec2:RunInstances", "*", world.a)
    assert not decision.allowed and decision.denied_by == "boundary"


def test_role_boundary_limits_the_session(world: World) -> None:
    caller = world.login(world.a, "alice", doc(allow("sts:AssumeRole")))
    boundary = world.managed(world.b, "OnlyLogs", doc(allow("logs:*")))
    role_arn = world.role(world.b, "R", trust({"AWS": world.a}), doc(allow("*")), boundary=boundary)
    session = world.session_caller(world.assume(caller, role_arn))
    assert world.lab.authorize_call(session, "logs:GetLogEvents", "*", world.b).allowed
    assert not world.lab.authorize_call(session, "s3:GetObject", "arn:aws:s3:::x/y", world.b).allowed


def test_cross_account_resource_policy(world: World) -> None:
    reader = world.login(world.a, "reader", doc(allow("s3:GetObject")))
    bucket_policy = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{world.a}:user/reader"},
                         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::invoices/*"})
    resource = "arn:aws:s3:::invoices/2024.pdf"
    assert not world.lab.authorize_call(reader, "s3:GetObject", resource, world.b).allowed
    assert world.lab.authorize_call(reader, "s3:GetObject", resource, world.b, resource_policy=bucket_policy).allowed


def test_session_of_deleted_role_loses_its_permissions(world: World) -> None:
    caller = world.login(world.a, "alice", doc(allow("sts:AssumeRole")))
    role_arn = world.role(world.b, "Temp", trust({"AWS": world.a}), doc(allow("s3:*")))
    session = world.session_caller(world.assume(caller, role_arn))
    assert world.lab.authorize_call(session, "s3:GetObject", "arn:aws:s3:::x/y", world.b).allowed
    world.iam(world.b).delete_role_policy("Temp", "rp0")
    world.iam(world.b).delete_role("Temp")
    assert not world.lab.authorize_call(session, "s3:GetObject", "arn:aws:s3:::x/y", world.b).allowed


def test_policy_edits_apply_to_the_next_call(world: World) -> None:
    caller = world.login(world.a, "alice")
    assert not world.lab.authorize_call(caller, "s3:ListBucket", "arn:aws:s3:::x", world.a).allowed
    world.iam(world.a).put_user_policy("alice", "late", doc(allow("s3:ListBucket")))
    assert world.lab.authorize_call(caller, "s3:ListBucket", "arn:aws:s3:::x", world.a).allowed


def test_decisions_lru_is_bounded(world: World) -> None:
    from engine import lab as lab_module
    caller = world.login(world.a, "alice")
    for i in range(lab_module.DECISION_LRU_SIZE + 5):
        world.lab.authorize_call(caller, "s3:ListBucket", "*", world.a, request_meta=RequestMeta(request_id=f"r{i}"))
    assert world.lab.decision("r0") is None
    assert world.lab.decision(f"r{lab_module.DECISION_LRU_SIZE + 4}") is not None


# ---- sessions listing -----------------------------------------------------------------------------------------------

def test_sessions_lists_active_sessions_without_secrets(world: World) -> None:
    caller = world.login(world.a, "alice", doc(allow("sts:AssumeRole")))
    role_arn = world.role(world.b, "R", trust({"AWS": world.a}))
    creds = world.assume(caller, role_arn, "first", DurationSeconds=900)["Credentials"]
    world.assume(caller, role_arn, "second")
    listed = world.lab.sessions(world.sandbox)
    assert [s["session_name"] for s in listed] == ["first", "second"]      # soonest expiry first
    assert listed[0]["access_key_id"] == creds["AccessKeyId"] and listed[0]["seconds_remaining"] <= 900
    assert all("secret" not in key and "token" not in key for s in listed for key in s)
    world.lab.advance_clock(world.sandbox, 1000)
    assert [s["session_name"] for s in world.lab.sessions(world.sandbox)] == ["second"]


# ---- hooks ----------------------------------------------------------------------------------------------------------

def test_service_role_session_for_an_ec2_instance(world: World) -> None:
    role_arn = world.role(world.a, "WebRole", trust({"Service": "ec2.amazonaws.com"}),
                          doc(allow("s3:GetObject", "arn:aws:s3:::securecart-product-images/*")), max_session=3600)
    session = world.lab.issue_service_role_session(world.sandbox, role_arn, session_name="i-0abc", duration=21600)
    assert session.arn == f"arn:aws:sts::{world.a}:assumed-role/WebRole/i-0abc"
    assert not session.chained and session.service == "ec2.amazonaws.com"
    # not capped by MaxSessionDuration ("sessions assumed by AWS services")
    assert session.expires_at - session.issued_at == timedelta(seconds=21600)
    caller = world.lab.authenticate(session.access_key_id, session.session_token)
    assert world.lab.authorize_call(caller, "s3:GetObject", "arn:aws:s3:::securecart-product-images/a",
                                    world.a).allowed
    # and a role the service is not trusted by is refused
    user_role = world.role(world.a, "UserOnly", trust({"AWS": world.a}))
    with pytest.raises(AccessDenied):
        world.lab.issue_service_role_session(world.sandbox, user_role, session_name="i-0abc")


def test_federated_session_hook_evaluates_trust_with_federation_context(world: World) -> None:
    provider = f"arn:aws:iam::{world.a}:oidc-provider/token.actions.githubusercontent.com"
    role_arn = world.role(world.a, "Deploy", trust(
        {"Federated": provider}, "sts:AssumeRoleWithWebIdentity",
        Condition={"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                   "StringLike": {"token.actions.githubusercontent.com:sub": "repo:securecart/*"}}))
    principal = Principal(arn="", account=world.a, kind="web-identity", federated=provider)
    good = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:securecart/shop:ref:refs/heads/main"}
    session, result = world.lab.issue_federated_session(
        world.sandbox, role_arn=role_arn, principal=principal, action="sts:AssumeRoleWithWebIdentity",
        session_name="gha-run", context=good, duration_cap=1200, params={"DurationSeconds": 3600})
    assert result.assumed_role_user.arn == f"arn:aws:sts::{world.a}:assumed-role/Deploy/gha-run"
    assert session.expires_at - session.issued_at == timedelta(seconds=1200)
    assert session.origin == "AssumeRoleWithWebIdentity" and session.federated_provider == provider
    with pytest.raises(AccessDenied) as err:
        world.lab.issue_federated_session(
            world.sandbox, role_arn=role_arn, principal=principal, action="sts:AssumeRoleWithWebIdentity",
            session_name="evil", context={**good, "token.actions.githubusercontent.com:sub": "repo:mallory/x:ref:y"})
    assert err.value.message == "Not authorized to perform sts:AssumeRoleWithWebIdentity"


# ---- process and threads ------------------------------------------------------------------------------------------

def test_the_runtime_has_one_lab_and_a_fresh_runtime_another() -> None:
    from gateway import runtime
    from gateway.client import default_lab

    first = default_lab()
    assert default_lab() is first and isinstance(first, Lab)
    configured: list[Lab] = []
    runtime.current().on_new_lab(configured.append)   # configuration: runs now, and on every new Lab
    assert configured == [first]
    try:
        runtime.fresh()
        assert default_lab() is not first and configured[-1] is default_lab() and len(configured) == 2
    finally:
        runtime.current().config.lab_setups.remove(configured.append)


def test_concurrent_assume_role_calls_are_safe(world: World) -> None:
    caller = world.login(world.a, "alice", doc(allow("sts:AssumeRole")))
    role_arn = world.role(world.b, "R", trust({"AWS": world.a}))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                creds = world.assume(caller, role_arn)["Credentials"]
                world.lab.authenticate(creds["AccessKeyId"], creds["SessionToken"])
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(world.lab.store) == 200
