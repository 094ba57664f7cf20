"""The in-page console's command latency next to the same command by the AWS CLI in a terminal, same run.

Console: a POST to /challenges/console/run/ through Django (view, checks, the fenced awscli child process, the
gateway), as the browser sends it. Terminal: `aws --endpoint-url http://127.0.0.1:PORT/aws ...` in a subprocess
against the same Django app served over HTTP (the /aws mount), with the same keys. Median of --runs each; the ratio
console / terminal is the figure (target: about 1, i.e. "as fast as your terminal").

    .venv/bin/python scripts/bench_console.py [--runs 10]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securecart.settings.test")

COMMANDS = [
    "aws sts get-caller-identity",
    "aws s3 ls",
    "aws iam list-roles --query Roles[].RoleName --output text",
    "aws s3 cp s3://securecart-invoices/2024/10/INV-100231.pdf -",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    import django

    django.setup()
    from django.test.runner import DiscoverRunner
    from django.test.utils import setup_test_environment

    setup_test_environment()
    DiscoverRunner(verbosity=0).setup_databases()  # a throw-away database, as the tests use

    from django.core.wsgi import get_wsgi_application
    from django.test import Client

    from gateway.server import serve_in_thread
    from sandboxes.models import AccessKey, Sandbox

    server, _ = serve_in_thread("127.0.0.1", 0, get_wsgi_application())
    endpoint = f"http://127.0.0.1:{server.server_port}/aws"
    browser = Client()
    # the first visit only starts the session (the "Preparing your sandbox" page); the next request builds the world
    assert browser.get("/").status_code == 200 and browser.get("/").status_code == 200
    sandbox = Sandbox.objects.get(pk=browser.session["sandbox_id"])
    key = AccessKey.objects.get(sandbox=sandbox, account_name="production", user_name="lab-admin")

    aws = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")
    home = tempfile.mkdtemp(prefix="bench-console-")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "AWS_ACCESS_KEY_ID": key.access_key_id,
           "AWS_SECRET_ACCESS_KEY": key.secret_access_key, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": os.path.join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "none")}

    def terminal(command: str) -> float:
        argv = [aws, "--endpoint-url", endpoint, *command.split()[1:]]
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, timeout=60)
        elapsed = time.perf_counter() - started
        assert done.returncode == 0, done.stderr.decode()[:500]
        return elapsed

    def console(command: str) -> float:
        started = time.perf_counter()
        r = browser.post("/challenges/console/run/", {"command": command, "identity": "key:production/lab-admin"},
                         HTTP_HX_REQUEST="true")
        elapsed = time.perf_counter() - started
        assert r.status_code == 200 and b"exit code 0" in r.content, r.content[:800]
        return elapsed

    print(f"{'command':60} {'terminal':>9} {'console':>9} {'ratio':>6}")
    ratios = []
    for command in COMMANDS:
        terminal(command), console(command)  # warm up
        t_terminal, t_console = [], []
        for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
            t_terminal.append(terminal(command))
            t_console.append(console(command))
        mt, mc = statistics.median(t_terminal), statistics.median(t_console)
        ratios.append(mc / mt)
        print(f"{command[:60]:60} {mt * 1000:7.0f}ms {mc * 1000:7.0f}ms {mc / mt:6.2f}")
    print(f"console / terminal, median over commands: {statistics.median(ratios):.2f} (target about 1.0)")
    server.shutdown()
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
