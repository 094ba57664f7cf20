"""The in-page AWS CLI console: a command line typed by the learner, checked, then run by the real AWS CLI.

`refusal(argv)` decides what the console will not run, each with its own message (shared server: no shell, no
local files, no endpoint but the lab's, no profiles or config). `run(...)` runs what is left in a child process
(challenges/cli_child.py) with a clean environment, an empty temporary HOME and config, the learner's chosen
credentials, a time limit and an output cap. Measured (scripts/bench_console.py): a subprocess costs the CLI's own
start-up, the same as the learner's terminal; running awscli in the web process would be faster but shares
sys.stdout, os.environ and ~/.aws with every other request and cannot be stopped when it runs forever.

Where the child's requests go: with LAB_GATEWAY_URL the gateway process; otherwise a loopback HTTP server in this
process around the same GatewayApp the web layer uses (one moto, one Lab), started on first use on a free port.
"""
from __future__ import annotations

import os
import selectors
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from django.conf import settings

MAX_COMMAND_CHARS = 8192
TIME_LIMIT_SECONDS = 20.0
OUTPUT_LIMIT_BYTES = 256 * 1024
MAX_CONCURRENT_RUNS = 4

# Services the lab's gateway speaks (gateway/protocols.py); `s3` is the CLI's high-level S3 command.
SERVICES = {"sts", "iam", "s3", "s3api", "ec2", "secretsmanager", "cloudtrail", "sso-admin", "identitystore"}

SHELL_TOKENS = {"|", "||", "&", "&&", ";", ">", ">>", "<", "<<", "2>", "2>&1", "&>", "`"}

REFUSED_GLOBAL_OPTIONS = {
    "--endpoint-url": "the console always talks to your sandbox's endpoint; --endpoint-url is not needed here",
    "--profile": "the console has no profiles: choose the credentials above the command line instead",
    "--ca-bundle": "the console's endpoint needs no certificate bundle",
    "--no-verify-ssl": "the console's endpoint needs no TLS switches",
    "--no-sign-request": "requests from the console are always signed with the credentials you chose",
}
# Options that name a local file to read or write.
LOCAL_FILE_OPTIONS = {
    "--outfile": "writes a local file (iam create-virtual-mfa-device --outfile): the console has no files; run "
                 "it without --outfile and the seed is printed in the JSON output instead",
    "--priv-launch-key": "reads a local private key file",
    "--body": "reads a local file (s3api put-object --body): the console cannot upload files; use your own "
              "terminal against the lab's /aws endpoint for uploads",
}


class Refused(ValueError):
    """A command the console will not run; str(error) is the message shown to the learner."""


def parse(command: str) -> list[str]:
    """The command line as argv (shlex, POSIX rules; never a shell). Raises Refused."""
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
    argv = argv[1:]
    refused = refusal(argv)
    if refused:
        raise Refused(refused)
    return argv


def _option_name(token: str) -> str:
    return token.split("=", 1)[0] if token.startswith("--") else token


def _positionals_after(argv: list[str], start: int) -> list[str]:
    """Positional words of the subcommand (options and their values skipped as the CLI would: best effort)."""
    found, skip = [], False
    for token in argv[start:]:
        if skip:
            skip = False
            continue
        if token.startswith("--"):
            # flags without a value in `aws s3`: --recursive, --dryrun, --quiet, ...; a value follows otherwise
            skip = "=" not in token and token not in _S3_FLAGS
            continue
        found.append(token)
    return found


_S3_FLAGS = {"--recursive", "--dryrun", "--quiet", "--only-show-errors", "--no-progress", "--follow-symlinks",
             "--no-follow-symlinks", "--delete", "--exact-timestamps", "--size-only", "--no-guess-mime-type",
             "--ignore-glacier-warnings", "--force-glacier-transfer", "--human-readable", "--summarize",
             "--request-payer", "--page-size", "--debug", "--no-paginate"}


def refusal(argv: list[str]) -> str | None:
    """Why the console will not run `aws <argv>`, or None when it may."""
    for token in argv:
        if token in SHELL_TOKENS or token.startswith(("|", ">", "<", "$(")) or token.endswith(("|", ";")):
            return (f"`{token}`: there is no shell here, so pipes, redirections and command separators do not work; "
                    "use --query and --output to shape the output")
        lowered = token.lower()
        if "file://" in lowered or "fileb://" in lowered:
            return (f"`{token}`: the console cannot read local files (file://, fileb://); paste the JSON itself "
                    "inside single quotes instead")
        name = _option_name(token)
        if name in REFUSED_GLOBAL_OPTIONS:
            return f"`{name}`: {REFUSED_GLOBAL_OPTIONS[name]}"
        if name in LOCAL_FILE_OPTIONS:
            return f"`{name}` {LOCAL_FILE_OPTIONS[name]}"
    words = [t for t in argv if not t.startswith("-")]
    if not words:
        return "name a service, for example: aws sts get-caller-identity"
    service = words[0]
    if service in ("configure", "history"):
        return (f"`aws {service}` reads and writes the CLI's local files; the console has none: choose the "
                "credentials above the command line and pass --region/--output per command")
    if "help" in words:
        return ("the CLI's help pages need a pager the console does not have; the same text is at "
                "https://docs.aws.amazon.com/cli/latest/reference/")
    if service not in SERVICES:
        return (f"`{service}`: the lab's AWS has {', '.join(sorted(SERVICES))}; other services are not simulated")
    if service == "s3" and len(words) > 1 and words[1] in ("cp", "mv", "sync"):
        index = argv.index(words[1]) + 1
        paths = _positionals_after(argv, index)
        local = [p for p in paths if not p.startswith("s3://") and p != "-"]
        if local:
            return (f"`aws s3 {words[1]}` with the local path `{local[0]}`: the console has no local files; copy "
                    "between s3:// locations, or print an object with `aws s3 cp s3://bucket/key -`")
        if "-" in paths and words[1] != "cp":
            return f"`aws s3 {words[1]}` cannot use `-` (standard input or output)"
        if paths and paths[0] == "-":
            return "uploading from standard input needs a local terminal; the console has no input stream"
    if service == "s3api" and len(words) > 1 and words[1] in ("get-object", "get-object-torrent"):
        index = argv.index(words[1]) + 1
        if _positionals_after(argv, index):
            return (f"`aws s3api {words[1]}` writes the object to a local file (its last argument); the console has "
                    "no files: print it with `aws s3 cp s3://bucket/key -`")
        return f"`aws s3api {words[1]}` needs an output file; print the object with `aws s3 cp s3://bucket/key -`"
    return None


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


_runs = threading.BoundedSemaphore(MAX_CONCURRENT_RUNS)
# One command at a time per sandbox, so one learner cannot take every slot of the shared server.
_sandbox_runs: set[str] = set()
_sandbox_runs_lock = threading.Lock()
_endpoint_lock = threading.Lock()
_endpoint: dict[str, str] = {}

_CONFIG = """[default]
cli_follow_urlparam = false
max_attempts = 1
s3 =
    addressing_style = path
"""


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

            server, _ = serve_in_thread("127.0.0.1", 0, default_gateway())
            _endpoint["url"] = f"http://127.0.0.1:{server.server_port}"
        return _endpoint["url"]


def child_environment(credentials: ConsoleCredentials, sandbox_id: str, home: str) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_CONFIG_FILE": os.path.join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "none"),
        "AWS_DEFAULT_REGION": settings.LAB_REGION, "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": credentials.access_key_id, "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_ENDPOINT_URL": endpoint(), "AWS_PAGER": "",
        "LAB_CONSOLE_SANDBOX": sandbox_id, "LAB_CONSOLE_ENDPOINT": endpoint(),
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    if credentials.session_token:
        env["AWS_SESSION_TOKEN"] = credentials.session_token
    return env


def is_running(sandbox_id: str) -> bool:
    """Whether a command of this sandbox is running now."""
    with _sandbox_runs_lock:
        return sandbox_id in _sandbox_runs


def run(argv: list[str], credentials: ConsoleCredentials, sandbox_id: str, *,
        time_limit: float | None = None, output_limit: int | None = None) -> RunResult:
    """Run `aws <argv>` (already checked by parse/refusal) for this sandbox with these credentials."""
    time_limit = TIME_LIMIT_SECONDS if time_limit is None else time_limit
    output_limit = OUTPUT_LIMIT_BYTES if output_limit is None else output_limit
    with _sandbox_runs_lock:
        if sandbox_id in _sandbox_runs:
            return RunResult(None, "", "your previous command is still running; wait for it to finish or stop", 0.0)
        _sandbox_runs.add(sandbox_id)
    if not _runs.acquire(timeout=time_limit):
        with _sandbox_runs_lock:
            _sandbox_runs.discard(sandbox_id)
        return RunResult(None, "", "the console is busy with other learners' commands; try again in a moment", 0.0)
    try:
        with tempfile.TemporaryDirectory(prefix="lab-console-") as home:
            with open(os.path.join(home, "config"), "w") as config:
                config.write(_CONFIG)
            return _run_child([sys.executable, "-m", "challenges.cli_child", *argv],
                              child_environment(credentials, sandbox_id, home), home, time_limit, output_limit)
    finally:
        _runs.release()
        with _sandbox_runs_lock:
            _sandbox_runs.discard(sandbox_id)


def _run_child(command: list[str], env: dict[str, str], cwd: str, time_limit: float, output_limit: int) -> RunResult:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, process_group=0)
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
