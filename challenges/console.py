"""The in-page AWS CLI console: a command line typed by the learner, run by the real AWS CLI, contained twice.

1. An allow-list, not a deny-list (challenges/cli_child.py): the command is parsed by the AWS CLI's own argument
   tables with abbreviations off, and only the services, operations and arguments the lab serves may run; local
   files (`file://`, `--body`, local `aws s3` paths, `--outfile` ...) are refused each with its own message.
2. The operating system (challenges/jail.py): the child runs in a bubblewrap sandbox that holds the Python runtime
   and awscli's packages only: no project directory, no data directory, no secrets. Where bwrap is missing or cannot
   start, the console stays off and says why, unless the operator accepted the weaker mode (LAB_CONSOLE=unsandboxed:
   a plain child process, the allow-list and an audit-hook file fence).

This module only splits the line (shlex, never a shell), refuses what needs no CLI to refuse (no `aws`, shell
syntax, length), hands out run slots and runs the child. Fair share: a run takes a slot of its sandbox, of its
browser session, of its client address and of the server, each a lease in the shared cache ("throttle", Redis
when sharded) so every worker process counts the same slots; a run that finds none answers at once, never waiting
in a web thread. Commands that wait by design (`aws ... wait`) get a shorter time limit.

Where the child's requests go: with LAB_GATEWAY_URL the gateway process; otherwise a loopback HTTP server in this
process around the same GatewayApp the web layer uses (one moto, one Lab), started on first use on a free port.
"""
from __future__ import annotations

import functools
import json
import os
import selectors
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches

from . import jail
from .cli_child import CALLS_MARKER, MAX_CALLS_REPORTED, REFUSED_EXIT, REFUSED_MARKER

MAX_COMMAND_CHARS = 8192
TIME_LIMIT_SECONDS = 15.0
WAIT_TIME_LIMIT_SECONDS = 10.0    # `aws ec2 wait ...`: polls every 15 s by design; well under any web timeout
OUTPUT_LIMIT_BYTES = 256 * 1024
SERVER_SLOTS = 4                  # commands running at once on this server (every worker process together)
ADDRESS_SLOTS = 2                 # of them, from one client address: one address never holds every slot
SLOT_GRACE_SECONDS = 10           # a slot whose process died mid-run frees itself this long after its time limit

SHELL_TOKENS = {"|", "||", "&", "&&", ";", ">", ">>", "<", "<<", "2>", "2>&1", "&>", "`"}

_CONFIG = """[default]
cli_follow_urlparam = false
max_attempts = 1
s3 =
    addressing_style = path
"""


class Refused(ValueError):
    """A command the console will not run; str(error) is the message shown to the learner."""


def parse(command: str) -> list[str]:
    """The command line as argv after `aws` (shlex, POSIX rules; never a shell). Raises Refused for what needs no
    CLI to refuse; everything else is decided by the CLI's own tables in the child."""
    command = command.strip()
    if not command:
        raise Refused("type an AWS CLI command, for example: aws sts get-caller-identity")
    if len(command) > MAX_COMMAND_CHARS:
        raise Refused(f"the command is longer than {MAX_COMMAND_CHARS} characters")
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise Refused(f"the command line could not be split into words: {error} (check your quotes)") from None
    if not argv or argv[0] != "aws":
        raise Refused("the console runs the AWS CLI only: start the command with `aws`")
    for token in argv[1:]:
        if token in SHELL_TOKENS or token.startswith(("|", ">", "<", "$(")) or token.endswith(("|", ";")):
            raise Refused(f"`{token}`: there is no shell here, so pipes, redirections and command separators do not "
                          "work; use --query and --output to shape the output")
    if len(argv) == 1:
        raise Refused("name a service, for example: aws sts get-caller-identity")
    return argv[1:]


def time_limit_for(argv: list[str]) -> float:
    words = [token for token in argv if not token.startswith("-")]
    return WAIT_TIME_LIMIT_SECONDS if "wait" in words[1:2] else TIME_LIMIT_SECONDS


# ------------------------------------------------------------------------------------------------ availability
@dataclass(frozen=True)
class Status:
    """Whether the console runs here, in which mode, and if not, why (shown on the console's pages)."""
    mode: str                  # "bubblewrap", "unsandboxed" or "off"
    reason: str = ""

    @property
    def available(self) -> bool:
        return not self.reason


@functools.lru_cache(maxsize=1)
def kit() -> jail.Kit:
    """This process's allow-list (what the gateway serves) and CLI config, as files the child reads."""
    from gateway.served import served_operations

    return jail.Kit.write(json.dumps({"operations": served_operations()}), _CONFIG)


def status() -> Status:
    mode = settings.LAB_CONSOLE
    if mode == "off":
        return Status(mode, "the operator turned the console off (LAB_CONSOLE=off)")
    if mode == "unsandboxed":
        return Status(mode)
    reason = jail.unavailable_reason(kit())
    return Status(mode, f"the console is off: {reason}" if reason else "")


# ------------------------------------------------------------------------------------------------ fair share
@dataclass(frozen=True)
class Requester:
    """Who asks for a run: their sandbox, browser session and address (each holds at most its share of slots)."""
    sandbox_id: str
    browser: str = ""
    address: str = ""


@dataclass
class Lease:
    keys: list[str] = field(default_factory=list)

    def release(self) -> None:
        caches["throttle"].delete_many(self.keys)


# Commands a browser and an address may send in RATE_WINDOW seconds, running or refused: a person types far fewer;
# a script that resends on every "busy" is told to slow down before its requests cost the room anything.
BROWSER_COMMANDS_PER_WINDOW = 10
ADDRESS_COMMANDS_PER_WINDOW = 100   # a class of 40 behind one NAT, each typing a command every few seconds
RATE_WINDOW = 10
SLOW_DOWN = "that is more commands than anyone types in a few seconds; wait a moment, then run it again"

BUSY_SANDBOX = "your previous command is still running; wait for it to finish"
BUSY_ADDRESS = "several commands from your network are running; try again in a few seconds"
BUSY_SERVER = "the console is busy with other learners' commands; try again in a few seconds"


def take_slots(requester: Requester, seconds: float) -> Lease | str:
    """A lease on one slot of each of the requester's holders, or the reason there is none (nothing is held then).
    Each slot is a cache key added atomically (`add`: Redis SET NX; LocMem under its lock) with a time-out, so a
    worker that died mid-run cannot keep one."""
    cache = caches["throttle"]
    ttl = int(seconds) + SLOT_GRACE_SECONDS
    owner = uuid.uuid4().hex
    holders = [(f"sandbox:{requester.sandbox_id}", 1, BUSY_SANDBOX)]
    if requester.browser:
        holders.append((f"browser:{requester.browser}", 1, BUSY_SANDBOX))
    if requester.address:
        holders.append((f"address:{requester.address}", ADDRESS_SLOTS, BUSY_ADDRESS))
    holders.append(("server", SERVER_SLOTS, BUSY_SERVER))
    lease = Lease()
    for name, capacity, busy in holders:
        for index in range(capacity):
            key = f"console-slot:{name}:{index}"
            if cache.add(key, owner, ttl):
                lease.keys.append(key)
                break
        else:
            lease.release()
            return busy
    return lease


def over_rate(browser: str, address: str) -> bool:
    """Count one command for the browser and the address (atomic counters in the shared cache); True once either
    sent more than its share in the current window."""
    from securecart.throttle import count_in_window

    by_browser, _ = count_in_window("console-browser", browser, RATE_WINDOW)
    by_address, _ = count_in_window("console-address", address, RATE_WINDOW)
    return by_browser > BROWSER_COMMANDS_PER_WINDOW or by_address > ADDRESS_COMMANDS_PER_WINDOW


# ------------------------------------------------------------------------------------------------ running
@dataclass
class ConsoleCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str = ""
    label: str = ""


@dataclass
class RunResult:
    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    truncated: bool = False
    refused: str = ""          # the allow-list refused the command (nothing was run against AWS)
    busy: str = ""             # no free slot: nothing was started
    time_limit: float = TIME_LIMIT_SECONDS
    calls: list[dict[str, Any]] = field(default_factory=list)   # the AWS requests it made (cli_child CALLS_MARKER)


_endpoint_lock = threading.Lock()
_endpoint: dict[str, str] = {}


def endpoint() -> str:
    """Where the console's CLI sends its requests: the gateway process, or this process's loopback server."""
    if settings.LAB_GATEWAY_URL:
        from gateway import routing

        # the gateway's root: it serves AWS there whether or not it was started with --mount /aws; sharded
        # (LAB_GATEWAY_URLS), the gateway of the sandbox this request is routed to (sandboxes/shards.py)
        return (routing.chosen() or settings.LAB_GATEWAY_URL).rstrip("/")
    with _endpoint_lock:
        if "url" not in _endpoint:
            from gateway.client import default_gateway
            from gateway.server import serve_in_thread

            # each request goes to the runtime's GatewayApp of the moment (gateway.runtime: tests start a fresh one)
            server, _ = serve_in_thread("127.0.0.1", 0, lambda environ, start: default_gateway()(environ, start))
            _endpoint["url"] = f"http://127.0.0.1:{server.server_port}"
        return _endpoint["url"]


def child_environment(credentials: ConsoleCredentials, sandbox_id: str, home: str, sandboxed: bool
                      ) -> dict[str, str]:
    files = kit()
    config, allowlist = ((f"{jail.KIT}/config", f"{jail.KIT}/allowlist.json") if sandboxed
                         else (files.config, files.allowlist))
    env = {
        "PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "none"),
        "AWS_DEFAULT_REGION": settings.LAB_REGION, "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": credentials.access_key_id, "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_ENDPOINT_URL": endpoint(), "AWS_PAGER": "",
        "LAB_CONSOLE_SANDBOX": sandbox_id, "LAB_CONSOLE_ENDPOINT": endpoint(), "LAB_CONSOLE_ALLOWLIST": allowlist,
    }
    if sandboxed:
        env["LAB_CONSOLE_SITE"] = jail.SITE
        env.update(jail.Runtime.current().environment())
    else:   # the weaker mode's fence: awscli's packages, the kit and the working directory are all it may read
        env["LAB_CONSOLE_FENCE"] = os.pathsep.join([*map(str, jail.awscli_packages()), files.directory,
                                                    "/etc/mime.types"])
    if credentials.session_token:
        env["AWS_SESSION_TOKEN"] = credentials.session_token
    return env


def run(argv: list[str], credentials: ConsoleCredentials, requester: Requester | str, *,
        time_limit: float | None = None, output_limit: int | None = None) -> RunResult:
    """Run `aws <argv>` (split by `parse`) for the requester's sandbox with these credentials."""
    if isinstance(requester, str):
        requester = Requester(requester)
    time_limit = time_limit_for(argv) if time_limit is None else time_limit
    output_limit = OUTPUT_LIMIT_BYTES if output_limit is None else output_limit
    state = status()
    if not state.available:
        return RunResult(None, "", "", 0.0, refused=state.reason, time_limit=time_limit)
    lease = take_slots(requester, time_limit)
    if isinstance(lease, str):
        return RunResult(None, "", "", 0.0, busy=lease, time_limit=time_limit)
    try:
        if state.mode == "bubblewrap":
            command = jail.sandbox_argv(jail.child_argv(argv), kit())
            env = child_environment(credentials, requester.sandbox_id, jail.HOME, sandboxed=True)
            result = _run_child(command, env, None, time_limit, output_limit)
        else:
            with tempfile.TemporaryDirectory(prefix="lab-console-") as home:
                command = [sys.executable, "-I", "-B", str(jail.CHILD_SOURCE), *argv]
                env = child_environment(credentials, requester.sandbox_id, home, sandboxed=False)
                result = _run_child(command, env, home, time_limit, output_limit)
                result.stdout, result.stderr = (_scrub(text, {home: jail.HOME})
                                                for text in (result.stdout, result.stderr))
    finally:
        lease.release()
    result.time_limit = time_limit
    result.stdout, result.stderr = _scrub(result.stdout), _scrub(result.stderr)
    lines = result.stderr.rstrip("\n").rsplit("\n", 1)
    if result.exit_code == REFUSED_EXIT:
        if lines[-1].startswith(REFUSED_MARKER):
            result.refused = json.loads(lines[-1][len(REFUSED_MARKER):])
            result.stdout = result.stderr = ""
    elif lines[-1].startswith(CALLS_MARKER):
        result.calls = _calls(lines[-1][len(CALLS_MARKER):])
        result.stderr = lines[0].rstrip("\n") + "\n" if len(lines) > 1 and lines[0].strip() else ""
    return result


def _calls(text: str) -> list[dict[str, Any]]:
    """The child's list of requests, kept only in the expected shape (a refusal's explanation is looked up by these
    ids, and only within the sandbox: sandboxes/explain.py)."""
    try:
        calls = json.loads(text)
    except ValueError:
        return []
    if not isinstance(calls, list):
        return []
    return [{"operation": str(c.get("operation", ""))[:64], "request_id": str(c.get("request_id", ""))[:64],
             "status": c.get("status") if isinstance(c.get("status"), int) else 0}
            for c in calls[-MAX_CALLS_REPORTED:] if isinstance(c, dict)]


def _scrub(text: str, extra: dict[str, str] | None = None) -> str:
    """The server's own paths never reach the page (`--debug` prints where botocore loads its models from). In the
    sandbox the child sees none of them (challenges/jail.py); this is the second line, and the weaker mode's."""
    replacements = {**(extra or {})}
    paths = [(settings.BASE_DIR, "<lab>"), (settings.LAB_DATA_DIR, "<lab-data>"), (sys.prefix, "<python>"),
             (kit().directory, jail.KIT)]
    runtime = jail.Runtime.current()
    if runtime.moved:
        paths.append((runtime.prefix, jail.RUNTIME))
    for path, shown in paths:
        for form in {str(path), os.path.realpath(path)}:
            replacements[form] = shown
    for real in sorted(replacements, key=len, reverse=True):
        text = text.replace(real, replacements[real])
    return text


def _run_child(command: list[str], env: dict[str, str], cwd: str | None, time_limit: float,
               output_limit: int) -> RunResult:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True, preexec_fn=jail.limit_resources)
    streams = {process.stdout: bytearray(), process.stderr: bytearray()}
    selector = selectors.DefaultSelector()
    for stream in streams:
        selector.register(stream, selectors.EVENT_READ)
    timed_out = truncated = False
    deadline = started + time_limit
    try:
        while selector.get_map():
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                timed_out = True
                break
            for key, _ in selector.select(timeout=min(remaining, 0.5)):
                chunk = os.read(key.fileobj.fileno(), 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                streams[key.fileobj].extend(chunk)
            if sum(len(b) for b in streams.values()) > output_limit:
                truncated = True
                break
    finally:
        selector.close()
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()
        for stream in streams:
            stream.close()
    out, err = (bytes(b) for b in streams.values())
    if truncated:
        out = out[:output_limit]
        err = err[:max(0, output_limit - len(out))]
    return RunResult(None if (timed_out or truncated) else process.returncode,
                     out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                     time.perf_counter() - started, timed_out, truncated)


# ------------------------------------------------------------------------------------------------ what the page says
# Options that carry a policy document, and the kind of policy each is (engine.policy kinds).
POLICY_OPTIONS = {
    ("iam", "--policy-document"): "identity", ("iam", "--assume-role-policy-document"): "trust",
    ("s3api", "--policy"): "resource", ("sts", "--policy"): "session", ("organizations", "--content"): "scp",
}


def _option_values(argv: list[str]) -> list[tuple[str, str]]:
    values = []
    for index, word in enumerate(argv):
        if not word.startswith("--"):
            continue
        name, equals, value = word.partition("=")
        if equals:
            values.append((name, value))
        elif index + 1 < len(argv):
            values.append((name, argv[index + 1]))
    return values


def policy_advice(argv: list[str]) -> list[str]:
    """What IAM Access Analyzer would say about the policy documents a command passes (engine.policy.advice), and the
    parser's warnings (a part that matches nothing): shown under the command's output. IAM itself saves such a
    policy without a word; a document that does not parse is left to AWS's own error."""
    from engine.errors import MalformedPolicyDocument
    from engine.policy import parse_policy
    from engine.policy.advice import editor_notes

    if len(argv) < 2:
        return []
    options = _option_values(argv)
    kind_of_type = {"RESOURCE_CONTROL_POLICY": "rcp"}.get(dict(options).get("--type", ""), "scp")
    notes: list[str] = []
    for name, value in options:
        kind = POLICY_OPTIONS.get((argv[0], name))
        if kind is None:
            continue
        if argv[0] == "iam" and argv[1] == "update-assume-role-policy":
            kind = "trust"
        if kind == "scp":
            kind = kind_of_type
        try:
            document = parse_policy(value, kind=kind)
        except (MalformedPolicyDocument, ValueError):
            continue
        notes += editor_notes(document)
    return notes


def refusal_explained(sandbox: Any, result: RunResult) -> dict[str, Any] | None:
    """The engine's decision (Decision.to_dict(), with its layers) for the last request the command made that AWS
    refused, when the lab still holds it and it concerns this sandbox (sandboxes/explain.py)."""
    from sandboxes.explain import sandbox_decision

    for call in reversed(result.calls):
        if call["status"] >= 400:
            return sandbox_decision(sandbox, call["request_id"])
    return None
