"""Playing challenges as a learner does, for the challenge tests: open the page, type a solution's or a mistake's
steps into the console (or the policy editor), fetch an instance's credentials as the Terminal page's curl does,
and press Check."""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import threading
import time

import awscli  # noqa: F401 - its import sets AWS_DATA_PATH (where its data lives), kept by run_child_in_process
from django.core.cache import caches

from challenges import catalog, cli_child, console, kept, probes, schema
from challenges.models import ChallengeProgress
from sandboxes import imdsmount

_env_lock = threading.Lock()
_loader: list = []


def run_child_in_process(command, env, cwd, time_limit, output_limit):
    """console._run_child for the weaker mode, in this process: the same CLI, allow-list and endpoint fence
    (cli_child.build_driver), without the child process. The jail is tested on its own (test_console_jail.py); a
    test that types a hundred commands would otherwise spend minutes starting Python and awscli."""
    argv = command[4:]   # [python, -I, -B, cli_child.py, ...argv]
    started = time.perf_counter()
    out, err = io.StringIO(), io.StringIO()
    with _env_lock:
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update({k: v for k, v in env.items() if not k.startswith("LAB_CONSOLE_")})
        if "AWS_DATA_PATH" in saved:   # set by awscli's __init__ when it was imported: where its data lives
            os.environ["AWS_DATA_PATH"] = saved["AWS_DATA_PATH"]
        try:
            allow = cli_child.AllowList.load(env["LAB_CONSOLE_ALLOWLIST"])
            driver = cli_child.build_driver(allow, env["LAB_CONSOLE_ENDPOINT"].rstrip("/"), env["LAB_CONSOLE_SANDBOX"])
            # the service models, read once for every command of the test run (a child reads them each time)
            if _loader:
                driver.session.register_component("data_loader", _loader[0])
            else:
                _loader.append(driver.session.get_component("data_loader"))
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli_child.run(driver, argv)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return console.RunResult(code, out.getvalue(), err.getvalue(), time.perf_counter() - started)


def in_process_console(monkeypatch) -> None:
    """The console's child run in this process, outside the jail: these tests are about what the checkers and the
    editor decide, hundreds of commands each (a jailed child costs ~0.2 s of CPU a command); the jailed default is
    run by tests/integration/test_console_jail.py, test_console_security.py and the browser test."""
    monkeypatch.setattr(console, "status", lambda: console.Status("unsandboxed"))
    monkeypatch.setattr(console, "_run_child", run_child_in_process)


def console_post(client, command: str, identity: str, slug: str = "", **pasted: str) -> str:
    # A person types fewer than BROWSER_COMMANDS_PER_WINDOW commands in 10 s; these tests type at machine speed.
    caches["throttle"].clear()
    r = client.post("/challenges/console/run/", {"command": command, "identity": identity, "challenge": slug,
                                                 **pasted}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200, r.content[:800]
    return r.content.decode()


def printed(html: str) -> str:
    """What the command printed on standard output (the console entry's first <pre>)."""
    found = re.search(r'<pre class="console-out[^"]*"[^>]*>(.*?)</pre>', html, re.S)
    import html as html_module

    return html_module.unescape(found.group(1)).strip() if found else ""


def fetch_instance_credentials(client, sandbox, role: str) -> None:
    """What the learner's curl does against the IMDS address the Terminal page shows (IMDSv2)."""
    instance = next(i for i in imdsmount.sandbox_instances(sandbox) if i["instance_profile"] == role)
    base = f"/imds/{imdsmount.sandbox_key(sandbox)}/{instance['instance_id']}"
    token = client.put(f"{base}/latest/api/token", HTTP_X_AWS_EC2_METADATA_TOKEN_TTL_SECONDS="300")
    assert token.status_code == 200, token.content
    creds = client.get(f"{base}/latest/meta-data/iam/security-credentials/{role}",
                       HTTP_X_AWS_EC2_METADATA_TOKEN=token.content.decode())
    assert creds.status_code == 200 and json.loads(creds.content)["Code"] == "Success"


def play(client, sandbox, slug: str, steps, *, succeed: bool = True) -> dict[str, str]:
    """Type the steps into the console as the challenge's first start identity (or the identity a step names).
    Returns the report of a defender's solution, filled with what the steps printed."""
    spec = catalog.get(slug)
    account, user = spec.start[0]
    values = probes.placeholder_values(sandbox, spec)
    outputs: list[str] = []
    report: dict[str, str] = {}
    for step in steps:
        if step.imds:
            fetch_instance_credentials(client, sandbox, step.imds)
            outputs.append("")
            continue
        if step.report is not None:
            for name, value in step.report.items():
                report[name] = schema.OUTPUT.sub(lambda m: outputs[int(m.group(1)) - 1], schema.fill(value, values))
            continue
        identity, pasted = f"key:{account}/{user}", {}
        if step.who and step.who.startswith("session:"):
            role = step.who[len("session:"):]
            identity = "session:" + next(s.name for s in kept.sessions(sandbox.id) if f":assumed-role/{role}/" in s.arn)
        elif step.who and step.who.startswith("pasted:"):
            made = json.loads(outputs[int(step.who[len("pasted:"):]) - 1])["AccessKey"]
            identity, pasted = "pasted", {"access_key_id": made["AccessKeyId"],
                                          "secret_access_key": made["SecretAccessKey"]}
        elif step.who:
            identity = step.who
        command = schema.OUTPUT.sub(lambda m: outputs[int(m.group(1)) - 1], schema.fill(step.run, values))
        html = console_post(client, command, identity, slug, **pasted)
        assert "Not run:" not in html, html[:1500]
        if succeed and not step.fails:
            assert "exit code 0" in html, f"{slug}: {step.run}\n{html[:2000]}"
        outputs.append(printed(html))
    return report


def check(client, sandbox, slug: str, answers: dict | None = None) -> dict:
    r = client.post(f"/challenges/{slug}/check/", answers or {}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200, r.content[:800]
    return ChallengeProgress.objects.get(sandbox=sandbox, challenge=slug).last_check


def failures(result: dict) -> list[dict]:
    return [f for f in result["findings"] if not f["ok"]]
