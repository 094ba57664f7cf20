"""The in-page AWS CLI console on a shared server: every refused form is refused with its own message, a learner
reaches only their own sandbox through it, the child's own fences hold even if a form slipped past the checks, and a
command that runs forever or prints megabytes is cut off."""
from __future__ import annotations

import pytest

from challenges import console
from gateway.client import admin_client
from sandboxes.models import AccessKey

REFUSED = [
    ("aws iam list-roles | grep Admin", "no shell here"),
    ("aws s3 ls > roles.txt", "no shell here"),
    ("aws sts get-caller-identity; cat /etc/passwd", "no shell here"),
    ("aws sts get-caller-identity && aws s3 ls", "no shell here"),
    ("aws iam create-policy --policy-name p --policy-document file:///etc/passwd", "cannot read local files"),
    ("aws iam create-policy --policy-name p --policy-document=file://policy.json", "cannot read local files"),
    ("aws iam put-role-policy --role-name r --policy-name p --policy-document fileb:///etc/hostname",
     "cannot read local files"),
    ("aws iam create-role --cli-input-json file://role.json", "cannot read local files"),
    ("aws s3 cp /etc/passwd s3://securecart-invoices/passwd", "no local files"),
    ("aws s3 cp s3://securecart-invoices/2024/10/INV-100231.pdf ./invoice.pdf", "no local files"),
    ("aws s3 sync s3://securecart-invoices .", "no local files"),
    ("aws s3 mv --recursive s3://securecart-invoices /tmp/x", "no local files"),
    ("aws s3 cp - s3://securecart-invoices/k", "no input stream"),
    ("aws s3api get-object --bucket securecart-invoices --key 2024/10/INV-100231.pdf out.pdf", "writes the object"),
    ("aws s3api put-object --bucket securecart-invoices --key k --body /etc/passwd", "`--body` reads a local file"),
    ("aws iam create-virtual-mfa-device --virtual-mfa-device-name d --outfile /tmp/qr.png --bootstrap-method "
     "QRCodePNG", "`--outfile` writes a local file"),
    ("aws ec2 get-password-data --instance-id i-1 --priv-launch-key /root/key.pem", "reads a local private key"),
    ("aws --endpoint-url https://sts.amazonaws.com sts get-caller-identity", "always talks to your sandbox"),
    ("aws sts get-caller-identity --endpoint-url=http://169.254.169.254", "always talks to your sandbox"),
    ("aws --profile prod s3 ls", "has no profiles"),
    ("aws --no-verify-ssl s3 ls", "no TLS switches"),
    ("aws configure set aws_access_key_id AKIA", "reads and writes the CLI's local files"),
    ("aws configure list", "reads and writes the CLI's local files"),
    ("aws history show", "reads and writes the CLI's local files"),
    ("aws s3 help", "need a pager"),
    ("aws lambda list-functions", "not simulated"),
    ("ls -la", "start the command with `aws`"),
    ("aws iam list-roles --query 'Roles[", "could not be split into words"),
    ("", "type an AWS CLI command"),
    ("aws " + "x" * 9000, "longer than 8192 characters"),
]


@pytest.mark.parametrize("command,message", REFUSED)
def test_each_refused_form_has_its_message(command, message):
    with pytest.raises(console.Refused) as refused:
        console.parse(command)
    assert message in str(refused.value)


@pytest.mark.parametrize("command", [
    "aws sts get-caller-identity --query Arn --output text",
    "aws s3 cp s3://securecart-invoices/2024/10/INV-100231.pdf -",
    "aws s3 cp s3://securecart-invoices/2024/10/INV-100231.pdf s3://securecart-invoices/copy.pdf",
    "aws iam update-assume-role-policy --role-name R --policy-document '{\"Statement\": []}'",
    # a URL parameter is a value (cli_follow_urlparam is off in the child's config), not something to fetch
    "aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com",
])
def test_ordinary_commands_pass_the_checks(command):
    assert console.parse(command)[0] in console.SERVICES


def run(learner, command: str, identity: str = "key:production/lab-admin", **fields) -> str:
    r = learner.client.post("/challenges/console/run/", {"command": command, "identity": identity, **fields},
                            HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    return r.content.decode()


def test_a_refusal_is_shown_and_nothing_runs(learner):
    html = run(learner, "aws s3 cp /etc/passwd s3://securecart-invoices/passwd")
    assert "Not run:" in html and "no local files" in html and "exit code" not in html


def test_the_console_shows_the_cli_output_with_query_and_output(learner):
    html = run(learner, "aws sts get-caller-identity --query Account --output text")
    assert learner.sandbox.account_ids()["production"] in html and "exit code 0" in html


def test_a_named_identity_is_looked_up_in_my_own_sandbox_only(learner, other_learner):
    html = run(learner, "aws sts get-caller-identity --query Arn --output text")
    assert f"arn:aws:iam::{learner.sandbox.account_ids()['production']}:user/lab-admin" in html
    assert other_learner.sandbox.account_ids()["production"] not in html


def test_another_sandboxs_keys_are_refused_by_the_gateway(learner, other_learner):
    bobs = AccessKey.objects.get(sandbox=other_learner.sandbox, account_name="production", user_name="lab-admin")
    html = run(learner, "aws s3 ls", "pasted", access_key_id=bobs.access_key_id,
               secret_access_key=bobs.secret_access_key)
    assert "belong to another sandbox" in html and "securecart-" not in html.split("console-err", 1)[-1][:40]
    html = run(learner, "aws sts get-caller-identity", "pasted", access_key_id=bobs.access_key_id,
               secret_access_key=bobs.secret_access_key)
    assert "InvalidClientTokenId" in html and "belong to another sandbox" in html
    assert other_learner.sandbox.account_ids()["production"] not in html


def test_a_session_kept_for_one_learner_is_not_offered_to_another(learner, other_learner):
    html = run(learner, "aws sts get-session-token")
    assert "Kept:" in html
    from challenges import kept

    name = kept.sessions(learner.sandbox.id)[0].name
    assert name not in run(other_learner, "aws sts get-caller-identity")
    refused = run(other_learner, "aws sts get-caller-identity", f"session:{name}")
    assert "choose whose credentials to use" in refused


def test_the_childs_own_fences_hold_when_the_checks_are_bypassed(learner):
    key = AccessKey.objects.get(sandbox=learner.sandbox, account_name="production", user_name="lab-admin")
    creds = console.ConsoleCredentials(key.access_key_id, key.secret_access_key)
    read = console.run(["iam", "create-policy", "--policy-name", "p", "--policy-document", "file:///etc/passwd"],
                       creds, learner.sandbox.id)
    assert read.exit_code != 0 and "does not read local files" in read.stderr
    write = console.run(["s3", "cp", "s3://securecart-invoices/2024/10/INV-100231.pdf", "/tmp/lab-console-escape"],
                        creds, learner.sandbox.id)
    assert write.exit_code != 0
    import os

    assert not os.path.exists("/tmp/lab-console-escape")
    away = console.run(["--endpoint-url", "http://127.0.0.1:9", "sts", "get-caller-identity"], creds,
                       learner.sandbox.id)
    assert away.exit_code != 0 and "only talks to the lab's endpoint" in away.stderr
    control = console.run(["s3api", "list-objects-v2", "--bucket", "_lab"], creds, learner.sandbox.id)
    assert control.exit_code != 0 and "only makes AWS requests" in control.stderr


def test_a_command_that_runs_forever_is_stopped(learner, monkeypatch):
    accounts = learner.sandbox.account_ids()
    instance = admin_client("ec2", accounts["production"]).run_instances(
        ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    monkeypatch.setattr(console, "TIME_LIMIT_SECONDS", 3.0)
    html = run(learner, f"aws ec2 wait instance-terminated --instance-ids {instance}")
    assert "ran longer than 3 seconds" in html and "stopped ·" in html


def test_a_command_that_prints_megabytes_is_cut_off(learner):
    big = b"0123456789abcdef" * (3 * 1024 * 1024 // 16)  # 3 MB
    admin_client("s3", learner.sandbox.account_ids()["production"], sandbox_id=learner.sandbox.id).put_object(
        Bucket="securecart-invoices", Key="big.bin", Body=big)
    html = run(learner, "aws s3 cp s3://securecart-invoices/big.bin -")
    assert f"passed {console.OUTPUT_LIMIT_BYTES // 1024} KB and was cut off" in html
    assert len(html) < 2 * console.OUTPUT_LIMIT_BYTES


def test_one_learner_runs_one_command_at_a_time(learner, other_learner):
    import threading

    accounts = learner.sandbox.account_ids()
    instance = admin_client("ec2", accounts["production"]).run_instances(
        ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    key = AccessKey.objects.get(sandbox=learner.sandbox, account_name="production", user_name="lab-admin")
    creds = console.ConsoleCredentials(key.access_key_id, key.secret_access_key)
    started = threading.Event()
    results = []

    def forever():
        started.set()
        results.append(console.run(["ec2", "wait", "instance-terminated", "--instance-ids", instance], creds,
                                   learner.sandbox.id, time_limit=6))

    thread = threading.Thread(target=forever)
    thread.start()
    started.wait()
    import time

    deadline = time.monotonic() + 10
    while not console.is_running(learner.sandbox.id) and time.monotonic() < deadline:
        time.sleep(0.01)
    second = console.run(["sts", "get-caller-identity"], creds, learner.sandbox.id)
    assert "previous command is still running" in second.stderr and second.exit_code is None
    bobs = AccessKey.objects.get(sandbox=other_learner.sandbox, account_name="production", user_name="lab-admin")
    meanwhile = console.run(["sts", "get-caller-identity"], console.ConsoleCredentials(
        bobs.access_key_id, bobs.secret_access_key), other_learner.sandbox.id)
    assert meanwhile.exit_code == 0, meanwhile.stderr  # another learner is not held up
    thread.join(10)
    assert results and results[0].timed_out
