"""The console child's allow-list (challenges/cli_child.py), driven in this process with the CLI's own tables.

Each case is an attack from issue 22 or a neighbour of one: argparse abbreviations of every refused option (awscli
v1 accepts any unambiguous prefix, so `--bod` was `--body` and `--endpoint` was `--endpoint-url`), value-less flags
in front of local paths (`--force` is a prefix of the value-less `--force-glacier-transfer`), `file://` in any case
or position, and the commands that write or read local files. A refusal is the child's REFUSED_EXIT with its
message; a command that is allowed gets as far as sending its request, which the endpoint fence stops here (no
endpoint is configured in this process, so the request would go to AWS: "only talks to the lab's endpoint").
"""
from __future__ import annotations

import contextlib
import io

import pytest

from challenges import cli_child
from gateway.served import served_operations

ENDPOINT = "http://127.0.0.1:9"   # nothing listens: the fence stops every request before it leaves
SECRET = "/srv/lab/.secret_key"


@pytest.fixture(scope="module")
def driver():
    return cli_child.build_driver(cli_child.AllowList(served_operations()), ENDPOINT, "sbx-test")


@pytest.fixture(autouse=True)
def cli_environment(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


def run(driver, command: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    import shlex

    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_child.run(driver, shlex.split(command)[1:])   # the console passes what follows `aws`
    return code, err.getvalue()


def refused(driver, command: str) -> str:
    code, err = run(driver, command)
    assert code == cli_child.REFUSED_EXIT, f"{command!r} was not refused: exit {code}\n{err[-600:]}"
    line = err.rstrip().rsplit("\n", 1)[-1]
    assert line.startswith(cli_child.REFUSED_MARKER)
    import json

    return json.loads(line[len(cli_child.REFUSED_MARKER):])


def reaches_the_network(driver, command: str) -> None:
    code, err = run(driver, command)
    assert code != cli_child.REFUSED_EXIT and "only talks to the lab's endpoint" in err, (command, code, err[-600:])


def abbreviations(option: str) -> list[str]:
    """Every proper prefix of `--name` that still has a letter after the dashes."""
    return [option[:n] for n in range(3, len(option))]


# ------------------------------------------------------------------------------------------------ global options
GLOBAL_REFUSED = {
    "--endpoint-url http://169.254.169.254": "always talks to your sandbox",
    "--profile prod": "has no profiles",
    "--ca-bundle /etc/ssl/x.pem": "no certificate bundle",
    "--no-verify-ssl": "no TLS switches",
    "--no-sign-request": "always signed",
    "--cli-read-timeout 0": "its own time limits",
    "--cli-connect-timeout 0": "its own time limits",
}


@pytest.mark.parametrize("option", list(GLOBAL_REFUSED))
def test_each_refused_global_option_is_refused_before_and_after_the_command(driver, option):
    message = GLOBAL_REFUSED[option]
    assert message in refused(driver, f"aws {option} sts get-caller-identity")
    assert message in refused(driver, f"aws sts get-caller-identity {option}")
    name, *value = option.split(" ", 1)
    assert message in refused(driver, f"aws sts get-caller-identity {name}={value[0] if value else ''}")


@pytest.mark.parametrize("option", [o.split(" ")[0] for o in GLOBAL_REFUSED])
def test_no_abbreviation_of_a_refused_global_option_gets_through(driver, option):
    for short in abbreviations(option):
        message = refused(driver, f"aws sts get-caller-identity {short} http://attacker.example")
        assert "spelled in full" in message or "always talks" in message, (short, message)


# ------------------------------------------------------------------------------------------------ arguments
ARGUMENTS_REFUSED = [
    ("aws s3api put-object --bucket b --key k --body {}", "--body", "cannot upload files"),
    ("aws s3api upload-part --bucket b --key k --part-number 1 --upload-id u --body {}", "--body",
     "cannot upload files"),
    ("aws iam create-virtual-mfa-device --virtual-mfa-device-name d --bootstrap-method QRCodePNG --outfile {}",
     "--outfile", "writes a local file"),
    ("aws ec2 get-password-data --instance-id i-1 --priv-launch-key {}", "--priv-launch-key", "private key"),
    ("aws iam list-roles --cli-input-json {}", "--cli-input-json", "type the parameters as options"),
]


@pytest.mark.parametrize("template,option,message", ARGUMENTS_REFUSED)
def test_each_argument_that_touches_local_files_is_refused_in_full_and_abbreviated(driver, template, option,
                                                                                   message):
    assert message in refused(driver, template.format(SECRET))
    for short in abbreviations(option):
        got = refused(driver, template.replace(option, short).format(SECRET))
        assert "spelled in full" in got or message in got, (short, got)


def test_the_virtual_mfa_device_runs_without_its_file_options_and_prints_the_seed_instead(driver):
    assert "printed in the JSON output" in refused(
        driver, "aws iam create-virtual-mfa-device --virtual-mfa-device-name d --bootstrap-method QRCodePNG")
    reaches_the_network(driver, "aws iam create-virtual-mfa-device --virtual-mfa-device-name d")


@pytest.mark.parametrize("command", [
    f"aws s3api get-object --bucket b --key k {SECRET}",
    "aws s3api get-object --bucket b --key k",
    "aws s3api get-object-torrent --bucket b --key k out",
])
def test_get_object_writes_a_local_file_so_it_is_refused_with_the_console_route(driver, command):
    assert "aws s3 cp s3://bucket/key -" in refused(driver, command)


# ------------------------------------------------------------------------------------------------ values
@pytest.mark.parametrize("value", ["file:///etc/passwd", "FILE:///etc/passwd", "fileb://" + SECRET,
                                   "FileB://" + SECRET, "file://policy.json"])
def test_file_urls_are_refused_in_any_case_and_form(driver, value):
    assert "cannot read local files" in refused(
        driver, f"aws iam create-policy --policy-name p --policy-document {value}")
    assert "cannot read local files" in refused(
        driver, f"aws iam create-policy --policy-name p --policy-document={value}")
    assert "cannot read local files" in refused(
        driver, f"aws iam attach-role-policy --role-name r --policy-arn {value}")
    assert "cannot read local files" in refused(
        driver, f"aws ec2 run-instances --image-id ami-1 --user-data {value}")


@pytest.mark.parametrize("command", [
    # shorthand's `key@=file://...` reads the file itself (awscli.shorthand), past any check of the raw text
    "aws ec2 describe-instances --filters 'Name=tag:x,Values@=file:///proc/self/mountinfo'",
    "aws ec2 create-security-group --group-name g --description d "
    "--tag-specifications 'ResourceType=security-group,Tags=[{Key=a,Value@=fileb:///etc/hostname}]'",
    "aws s3 cp s3://b/k s3://b/k2 --metadata 'a@=file:///etc/passwd'",
    "aws iam list-roles --cli-input-json file:///etc/passwd",
])
def test_no_code_path_of_the_cli_reads_a_paramfile(driver, command):
    message = refused(driver, command)
    assert "cannot read local files" in message or "type the parameters as options" in message, message


def _value_less_flags(command: str) -> list[str]:
    from awscli.customizations.s3.subcommands import CpCommand, MvCommand, SyncCommand

    table = {"cp": CpCommand, "mv": MvCommand, "sync": SyncCommand}[command].ARG_TABLE
    return [f"--{arg['name']}" for arg in table if arg.get("action") == "store_true"]


@pytest.mark.parametrize("command", ["cp", "mv", "sync"])
def test_a_value_less_flag_never_hides_a_local_path(driver, command):
    flags = _value_less_flags(command)
    assert "--force-glacier-transfer" in flags and "--dryrun" in flags
    for flag in flags:
        for source, target in ((SECRET, "s3://b/k"), ("s3://b/k", "/tmp/out")):
            message = refused(driver, f"aws s3 {command} {flag} {source} {target}")
            assert "local path" in message or "no local files" in message, (flag, message)
        for short in abbreviations(flag):
            message = refused(driver, f"aws s3 {command} {short} {SECRET} s3://b/k")
            assert "spelled in full" in message or "local path" in message, (short, message)


@pytest.mark.parametrize("command,message", [
    (f"aws s3 cp -- {SECRET} s3://b/k", "local path"),
    (f"aws s3 cp s3://b/k s3://b/k2 --recursive -- {SECRET}", "Unknown options"),
    ("aws s3 sync s3://b .", "local path"),
    ("aws s3 mv s3://b/k ./here", "local path"),
    ("aws s3 cp - s3://b/k", "no input stream"),
    ("aws s3 mv s3://b/k -", "cannot use `-`"),
    ("aws s3 rm /etc/passwd", "local path"),
    ("aws s3 presign s3://b/k", "internal endpoint"),
])
def test_s3_paths_are_s3_locations_only(driver, command, message):
    code, err = run(driver, command)
    assert code != 0 and message in err, (command, code, err[-400:])


# ------------------------------------------------------------------------------------------------ commands
@pytest.mark.parametrize("command,message", [
    ("aws lambda list-functions", "not simulated"),
    ("aws configure set aws_access_key_id AKIA", "local files"),
    ("aws configure list", "local files"),
    ("aws history show", "local files"),
    ("aws iam create-delegation-request --owner-account-id 1", "does not simulate this operation"),
    ("aws cloudtrail validate-logs --trail-arn t --start-time 2020", "does not simulate"),
    ("aws s3 help", "need a pager"),
    ("aws sts help", "need a pager"),
    ("aws sts get-caller-identity help", "need a pager"),
    ("aws help", "need a pager"),
])
def test_what_the_lab_does_not_serve_is_refused_with_its_reason(driver, command, message):
    assert message in refused(driver, command)


@pytest.mark.parametrize("command", [
    "aws sts get-caller-identity",
    "aws sts get-caller-identity --query Arn --output text --debug",
    "aws iam list-roles --max-items 2 --page-size 1",
    "aws iam update-assume-role-policy --role-name R --policy-document '{\"Statement\": []}'",
    # a URL parameter is a value (the CLI's paramfile handler is not even registered), never something to fetch
    "aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com",
    "aws s3 cp s3://securecart-invoices/2024/10/INV-100231.pdf -",
    "aws s3 cp s3://a/k s3://b/k --recursive --dryrun",
    "aws s3 ls",
    "aws ec2 run-instances --image-id ami-1 --count 1 --instance-type t3.micro",
    "aws ec2 wait instance-running --instance-ids i-1",
    "aws secretsmanager create-secret --name s --secret-binary abc",
    "aws s3 rb s3://b --force",   # runs `aws s3 rm --recursive` itself
    # `@=` with a value that names no file is plain shorthand
    "aws ec2 describe-instances --filters 'Name=tag:x,Values@=abc'",
])
def test_ordinary_commands_pass_the_allow_list(driver, command):
    reaches_the_network(driver, command)


def test_an_unknown_option_is_the_clis_own_error_not_a_run(driver):
    code, err = run(driver, "aws sts get-caller-identity --no-such-option 1")
    assert code not in (0, cli_child.REFUSED_EXIT) and "Unknown options" in err and "only talks" not in err


def test_the_allow_list_is_what_the_gateway_serves():
    served = served_operations()
    assert {"sts", "iam", "s3api", "ec2", "secretsmanager", "cloudtrail"} <= set(served)
    assert "assume-role" in served["sts"] and "list-roles" in served["iam"] and "put-object" in served["s3api"]
    # moto has no delegation requests and the gateway adds none: the console does not offer them
    assert "create-delegation-request" not in served["iam"]


# ------------------------------------------------------------------------------------------------ the policy tools
def test_the_policy_simulator_and_access_analyzers_checks_run_and_nothing_else_of_access_analyzer(driver):
    """The console offers exactly the Access Analyzer operations the gateway answers (moto has none of them)."""
    policy = '\'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjects","Resource":"*"}]}\''
    reaches_the_network(driver, f"aws accessanalyzer validate-policy --policy-type IDENTITY_POLICY "
                                f"--policy-document {policy}")
    reaches_the_network(driver, f"aws accessanalyzer check-no-new-access --policy-type IDENTITY_POLICY "
                                f"--new-policy-document {policy} --existing-policy-document {policy}")
    reaches_the_network(driver, "aws iam simulate-custom-policy --action-names s3:GetObject "
                                f"--policy-input-list {policy}")
    for command in ("aws accessanalyzer list-analyzers", "aws accessanalyzer create-analyzer --analyzer-name a "
                    "--type ACCOUNT"):
        refused(driver, command)
