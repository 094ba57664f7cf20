"""World extensions: other apps add to the SecureCart world through sandboxes.world.register_world_extension, and a
reset takes their data away too (Identity Center lives in moto's sso-admin/identitystore, apart from IAM)."""
from __future__ import annotations

import pathlib

import pytest

from gateway.client import admin_client
from sandboxes import world

S2 = "identity-center"


def _identity_center_data(account_id: str) -> dict[str, list[str]]:
    sso_admin, store = admin_client("sso-admin", account_id), admin_client("identitystore", account_id)
    instance = sso_admin.list_instances()["Instances"][0]
    store_id = instance["IdentityStoreId"]
    iam = admin_client("iam", account_id)
    return {
        "users": [u["UserName"] for u in store.list_users(IdentityStoreId=store_id)["Users"]],
        "groups": [g["DisplayName"] for g in store.list_groups(IdentityStoreId=store_id)["Groups"]],
        "permission_sets": sso_admin.list_permission_sets(InstanceArn=instance["InstanceArn"])["PermissionSets"],
        "reserved_roles": [r["RoleName"] for r in iam.list_roles()["Roles"]
                           if r["RoleName"].startswith("AWSReservedSSO_")],
        "sso_providers": [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"] if "AWSSSO_" in p["Arn"]],
    }


def _provision(learner) -> None:
    for step in ("directory", "permission-set", "assign", "provision"):
        learner.run(S2, step)
        assert learner.last_result(S2, step)["succeeded"], step


def test_reset_after_scenario_2_leaves_no_identity_center_data_and_it_can_be_built_again(learner):
    accounts = learner.sandbox.account_ids()
    _provision(learner)
    before = {name: _identity_center_data(account_id) for name, account_id in accounts.items()}
    assert set(before["production"]["users"]) == {"alice", "bob", "carol"}
    assert before["production"]["permission_sets"]
    assert before["developer"]["reserved_roles"] and before["developer"]["sso_providers"]

    assert learner.client.post("/sandbox/reset/").status_code == 302

    for name, account_id in accounts.items():
        assert _identity_center_data(account_id) == {"users": [], "groups": [], "permission_sets": [],
                                                     "reserved_roles": [], "sso_providers": []}, name
    # The federation extension's part of the seed is back: its roles and the IdPs they trust.
    iam = admin_client("iam", accounts["production"])
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert {"SecureCart-SAML-Developers", "SecureCart-GitHubDeploy", "SecureCart-AuditRole"} <= roles
    assert [p["Arn"].rsplit("/", 1)[1] for p in iam.list_saml_providers()["SAMLProviderList"]] == ["SecureCartIdP"]
    assert len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 2

    # Scenario 2 runs again from the start on the fresh world, through to the portal's credentials.
    _provision(learner)
    learner.run(S2, "portal")
    assert learner.last_result(S2, "portal")["succeeded"]


def test_an_extension_is_seeded_and_wiped_with_the_world(learner):
    calls: list[tuple[str, object]] = []
    world.register_world_extension("test-probe", seed=lambda sandbox_id, accounts: calls.append(("seed", accounts)),
                                   wipe=lambda sandbox_id, account_id: calls.append(("wipe", account_id)))
    try:
        learner.client.post("/sandbox/reset/")
    finally:
        world.unregister_world_extension("test-probe")
    accounts = learner.sandbox.account_ids()
    assert calls == [("wipe", account_id) for account_id in accounts.values()] + [("seed", accounts)]


def test_scenario_5s_on_call_user_is_in_the_world_from_the_start(learner):
    """A world extension, not step code: the user, its policies and its long-term key exist before any step of
    scenario 5 ran, and a reset brings them back."""
    production = learner.sandbox.account_ids()["production"]
    for _ in range(2):
        assert not learner.sandbox.progress.filter(scenario="mfa-protected-access").exists()
        iam = admin_client("iam", production)
        assert iam.get_user(UserName="securecart-oncall")["User"]["Arn"].endswith(":user/securecart-oncall")
        assert sorted(iam.list_user_policies(UserName="securecart-oncall")["PolicyNames"]) == [
            "ManageOwnMFADevice", "ReadDBPasswordWithRecentMFA"]
        key = learner.sandbox.access_keys.get(account_name="production", user_name="securecart-oncall")
        assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="securecart-oncall")["AccessKeyMetadata"]
                ] == [key.access_key_id]
        assert learner.client.post("/sandbox/reset/").status_code == 302


def test_an_extension_cannot_take_a_user_the_world_has():
    with pytest.raises(ValueError, match="auditor/securecart-auditor"):
        world.register_world_extension("clash", users=[world.UserSpec("auditor", "securecart-auditor")])
    assert "clash" not in world.world_extension_names()


def test_an_extension_cannot_take_a_role_name_the_world_has():
    with pytest.raises(ValueError, match="SecureCart-AuditRole"):
        world.register_world_extension("clash", roles=[world.role_spec("SecureCart-AuditRole")])
    assert "clash" not in world.world_extension_names()


def test_sandboxes_does_not_import_the_apps_that_extend_it():
    for path in pathlib.Path(world.__file__).parent.rglob("*.py"):
        text = path.read_text()
        assert "import federation" not in text and "from federation" not in text, path
