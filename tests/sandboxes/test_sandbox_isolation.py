"""One learner's credentials never reach another learner's accounts (called through the gateway, as any SDK)."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from gateway import s3names
from sandboxes.labclient import learner_client
from sandboxes.models import WORLD_ACCOUNTS
from sandboxes.world import ADMIN_USER, AUDIT_EXTERNAL_ID, SECURITY_LOGS


def _keys(learner, account: str, user: str) -> dict:
    key = learner.sandbox.access_keys.get(account_name=account, user_name=user)
    return {"access_key_id": key.access_key_id, "secret_access_key": key.secret_access_key}


def test_alices_admin_cannot_assume_bobs_audit_role(learner, other_learner):
    # Alice's lab-admin may do anything in *her* account; Bob's trust policy trusts only Bob's auditor account.
    sts = learner_client("sts", **_keys(learner, "auditor", ADMIN_USER))
    bob_role = f"arn:aws:iam::{other_learner.sandbox.account_ids()['production']}:role/SecureCart-AuditRole"
    with pytest.raises(ClientError) as error:
        sts.assume_role(RoleArn=bob_role, RoleSessionName="snoop", ExternalId=AUDIT_EXTERNAL_ID)
    assert error.value.response["Error"]["Code"] == "AccessDenied"


def test_alices_audit_session_cannot_read_bobs_bucket(learner, other_learner):
    sts = learner_client("sts", **_keys(learner, "auditor", "securecart-auditor"))
    alice_role = f"arn:aws:iam::{learner.sandbox.account_ids()['production']}:role/SecureCart-AuditRole"
    creds = sts.assume_role(RoleArn=alice_role, RoleSessionName="mine", ExternalId=AUDIT_EXTERNAL_ID)["Credentials"]
    s3 = learner_client("s3", access_key_id=creds["AccessKeyId"], secret_access_key=creds["SecretAccessKey"],
                        session_token=creds["SessionToken"])
    # The familiar name always means her own bucket...
    assert s3.list_objects_v2(Bucket=SECURITY_LOGS)["KeyCount"] == 2
    # ...and Bob's bucket under the name moto stores it as is out of reach.
    bobs_bucket = s3names.stored_name(other_learner.sandbox.id, SECURITY_LOGS)
    with pytest.raises(ClientError) as error:
        s3.list_objects_v2(Bucket=bobs_bucket)
    assert error.value.response["Error"]["Code"] in ("AccessDenied", "NoSuchBucket")


def test_alices_admin_sees_only_her_buckets_and_cannot_write_bobs(learner, other_learner):
    s3 = learner_client("s3", **_keys(learner, "production", ADMIN_USER))
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert sorted(names) == ["securecart-invoices", "securecart-product-images", "securecart-security-logs"]
    bobs_bucket = s3names.stored_name(other_learner.sandbox.id, "securecart-invoices")
    with pytest.raises(ClientError) as error:
        s3.put_object(Bucket=bobs_bucket, Key="planted.txt", Body=b"x")
    assert error.value.response["Error"]["Code"] in ("AccessDenied", "NoSuchBucket")
    bob_s3 = learner_client("s3", **_keys(other_learner, "production", ADMIN_USER))
    keys = [o["Key"] for o in bob_s3.list_objects_v2(Bucket="securecart-invoices")["Contents"]]
    assert "planted.txt" not in keys


def test_each_sandbox_gets_its_own_account_ids(learner, other_learner):
    mine = set(learner.sandbox.account_ids().values())
    theirs = set(other_learner.sandbox.account_ids().values())
    assert len(mine) == len(WORLD_ACCOUNTS) == len(theirs) and not mine & theirs
    assert all(len(a) == 12 and a.isdigit() for a in mine | theirs)


def test_a_visitor_cannot_use_someone_elses_step_pages(learner, other_learner):
    # Progress and credentials follow the session's sandbox, never a sandbox id from the request.
    learner.run("cross-account-auditors", "assume-audit-role")
    html = other_learner.client.get("/scenarios/cross-account-auditors/assume-audit-role/").content.decode()
    assert learner.sandbox.account_ids()["production"] not in html
    assert "Nothing run yet" in html


def test_a_session_naming_a_sandbox_that_is_gone_gets_one_of_its_own(learner, other_learner):
    # sandbox_for_request looks the session's sandbox up with get() (by primary key, no ORDER BY); the mistakes it
    # must not make: a 500 on DoesNotExist, or handing the visitor someone else's sandbox.
    from sandboxes.models import Sandbox
    from sandboxes.services import SESSION_KEY

    gone = learner.sandbox.pk
    Sandbox.objects.filter(pk=gone).delete()
    page = learner.client.get("/")
    assert page.status_code == 200
    mine = learner.client.session[SESSION_KEY]
    assert mine not in (gone, other_learner.sandbox.pk) and Sandbox.objects.filter(pk=mine).exists()
