"""The operating system's wall (challenges/jail.py): whatever runs inside the console's bubblewrap sandbox, even code
of the attacker's choosing (argv parsing bypassed entirely: a Python program instead of the console child), sees no
project directory, no data directory, no other process, and writes nothing. And when the sandbox cannot be had, the
console says so and stays off unless the operator accepted the weaker mode."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings

from challenges import console, jail

PROBE = textwrap.dedent("""
    import json, os, sys
    report = {"uid": os.getuid(), "read": {}, "listed": {}, "wrote": None}
    for path in json.loads(sys.argv[1]):
        try:
            with open(path, "rb") as handle:
                report["read"][path] = handle.read(64).decode("latin-1")
        except OSError as error:
            report["read"][path] = None
        try:
            report["listed"][path] = os.listdir(path)
        except OSError:
            report["listed"][path] = None
    try:
        with open(os.path.expanduser("~/escape.txt"), "w") as handle:
            handle.write("x" * 100)
            handle.flush()
        report["wrote"] = os.path.getsize(os.path.expanduser("~/escape.txt"))
    except OSError as error:
        report["wrote"] = 0
    print(json.dumps(report))
""")


def run_in_jail(code: str, *args: str) -> dict:
    runtime = jail.Runtime.current()
    argv = jail.sandbox_argv([runtime.inside_python, "-I", "-c", code, *args], console.kit())
    done = subprocess.run(argv, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **runtime.environment()},
                          capture_output=True, text=True,
                          timeout=60, start_new_session=True, preexec_fn=jail.limit_resources)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def server_paths() -> list[str]:
    database = str(settings.DATABASES["default"]["NAME"])
    test_database = str(settings.DATABASES["default"].get("TEST", {}).get("NAME") or database)
    return [str(settings.SECRET_KEY_PATH), database, test_database, str(settings.LAB_DATA_DIR),
            str(settings.BASE_DIR), str(settings.BASE_DIR / "securecart" / "settings" / "base.py"),
            "/proc/1/environ", f"/proc/{os.getpid()}/environ", "/etc/passwd", "/etc/shadow",
            os.path.expanduser("~")]


def test_code_of_the_attackers_choosing_reads_nothing_of_the_server():
    assert jail.unavailable_reason(console.kit()) is None
    paths = server_paths()
    assert os.path.exists(paths[0]) and os.path.exists(paths[2])   # on the host: the sandbox just lacks them
    report = run_in_jail(PROBE, json.dumps(paths))
    for path in paths:
        assert report["read"][path] is None, path
        assert report["listed"][path] is None, path
    assert report["wrote"] == 0                        # RLIMIT_FSIZE 0: no file gets a byte
    if os.geteuid() == 0:
        assert report["uid"] == jail.NOBODY            # setpriv: not root inside, so RLIMIT_NPROC holds


def test_the_sandbox_has_only_the_runtime_and_awscli():
    listing = run_in_jail("import json, os, sys; print(json.dumps({**{p: sorted(os.listdir(p)) for p in "
                          "['/', '/lab', '/lab/site', '/lab/console']}, 'prefix': sys.prefix}))")
    assert "work" not in listing["/"] and "srv" not in listing["/"] and "proc" not in listing["/"]
    runtime = jail.Runtime.current()
    if runtime.moved:   # no host path of the Python runtime shows either
        assert "root" not in listing["/"] and listing["prefix"] == jail.RUNTIME
        assert listing["/lab"] == ["console", "python", "site"]
    else:
        assert listing["/lab"] == ["console", "site"]
    assert listing["/lab/console"] == ["allowlist.json", "cli_child.py", "config"]
    assert "awscli" in listing["/lab/site"] and "django" not in listing["/lab/site"]
    assert "moto" not in listing["/lab/site"] and "securecart" not in listing["/lab/site"]


def test_a_fork_bomb_stops_at_the_process_limit():
    if os.geteuid() != 0:
        pytest.skip("RLIMIT_NPROC is set where the server runs as root (the child is dropped to nobody)")
    report = run_in_jail(textwrap.dedent(f"""
        import json, os, time
        n = 0
        try:
            for _ in range({jail.PROCESSES} + 50):
                if os.fork() == 0:
                    time.sleep(3); os._exit(0)
                n += 1
        except OSError:
            pass
        print(json.dumps({{"forked": n}}))
    """))
    assert report["forked"] < jail.PROCESSES


def test_without_bubblewrap_the_console_is_off_and_says_why(learner, monkeypatch):
    monkeypatch.setattr(jail, "bwrap", lambda: None)
    jail.unavailable_reason.cache_clear()
    try:
        state = console.status()
        assert not state.available and "bubblewrap" in state.reason and "LAB_CONSOLE=unsandboxed" in state.reason
        page = learner.client.get("/challenges/console/").content.decode()
        assert "bubblewrap (`bwrap`) is not installed" in page
        r = learner.client.post("/challenges/console/run/", {"command": "aws sts get-caller-identity",
                                                             "identity": "key:production/lab-admin"},
                                HTTP_HX_REQUEST="true")
        assert "Not run:" in r.content.decode() and "exit code" not in r.content.decode()
    finally:
        jail.unavailable_reason.cache_clear()


def test_the_operator_can_turn_the_console_off(learner, settings):
    settings.LAB_CONSOLE = "off"
    r = learner.client.post("/challenges/console/run/", {"command": "aws sts get-caller-identity",
                                                         "identity": "key:production/lab-admin"},
                            HTTP_HX_REQUEST="true")
    assert "LAB_CONSOLE=off" in r.content.decode() and "exit code" not in r.content.decode()


def test_the_accepted_weaker_mode_keeps_the_allow_list_and_a_file_fence(learner, settings):
    """LAB_CONSOLE=unsandboxed: a plain child process. The allow-list is the same child's; its audit-hook fence lets
    it read Python's library, awscli's packages and its kit only: never the code tree's other files, never the data
    directory."""
    settings.LAB_CONSOLE = "unsandboxed"
    r = learner.client.post("/challenges/console/run/", {"command": "aws sts get-caller-identity --query Account "
                                                                    "--output text --debug",
                                                         "identity": "key:production/lab-admin"},
                            HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert learner.sandbox.account_ids()["production"] in html and "exit code 0" in html
    assert str(settings.BASE_DIR) not in html and str(settings.LAB_DATA_DIR) not in html   # --debug scrubbed
    probe = textwrap.dedent("""
        import json, os, sys
        sys.path.insert(0, os.path.dirname(sys.argv[1]))
        import cli_child
        cli_child.install_file_fence(sys.argv[2].split(os.pathsep), os.getcwd())
        found = {}
        for path in json.loads(sys.argv[3]):
            try:
                open(path, "rb").read(1)
                found[path] = True
            except OSError:
                found[path] = False
        print(json.dumps(found))
    """)
    fence = os.pathsep.join([*map(str, jail.awscli_packages()), console.kit().directory])
    targets = [str(settings.SECRET_KEY_PATH), str(settings.BASE_DIR / "securecart" / "settings" / "base.py"),
               str(jail.awscli_packages()[0] / "__init__.py") if jail.awscli_packages()[0].is_dir() else
               str(jail.awscli_packages()[0])]
    done = subprocess.run([sys.executable, "-I", "-c", probe, str(jail.CHILD_SOURCE), fence,
                           json.dumps(targets)], capture_output=True, text=True, timeout=60,
                          cwd=console.kit().directory)
    found = json.loads(done.stdout)
    assert found[targets[0]] is False and found[targets[1]] is False and found[targets[2]] is True


def test_the_child_runs_at_nice_10_in_an_autogroup_of_its_own_by_default(console_children_at_the_suites_priority,
                                                                         monkeypatch):
    """The product's default (the suite lowers it, see tests/conftest.py): a process started as the console starts
    its child (a session of its own, jail.limit_resources before exec) runs at nice 10, in an autogroup at 10."""
    import subprocess
    import sys

    from challenges import jail

    assert console_children_at_the_suites_priority == (10, 10)
    monkeypatch.setattr(jail, "NICE", 10)
    monkeypatch.setattr(jail, "AUTOGROUP_NICE", 10)
    probe = "import os; print(os.nice(0)); print(open('/proc/self/autogroup').read().split()[-1])"
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30,
                            start_new_session=True, preexec_fn=jail.limit_resources)
    nice, autogroup = answer.stdout.split()
    assert nice == "10" and autogroup == "10"
