"""The operating system's wall around the console's child: a bubblewrap sandbox (Debian package `bubblewrap`).

What the child sees (everything else of the machine is absent, not merely refused):
- /usr (and the /lib, /bin links into it) and the Python runtime (at /lab/python unless it is under /usr), read-only;
- awscli and the packages it imports, read-only under /lab/site (not the project, not the rest of the venv);
- challenges/cli_child.py and this process's allow-list and CLI config, read-only under /lab/console;
- an empty 1 MB tmpfs as HOME and /tmp and a minimal /dev; no /proc (it would show the mounts' host paths, the
  command line of bwrap and, through the shared network namespace, the host's sockets);
- /etc/hosts, /etc/resolv.conf and /etc/nsswitch.conf when present (a gateway named by host, as in compose).
No project directory, no data directory (secret key, database), no other process (a PID namespace), and it dies
with its parent (`--die-with-parent`). The network stays shared: the child must reach the lab's endpoint, and the
child's own `before-send` fence keeps its requests there; it holds no token for lab control.

Limits: CPU seconds, address space, file size (0: the child writes no file) and, where the server runs as root,
processes: bwrap then sets up the mounts as root and `setpriv` drops the child to uid/gid 65534 (nobody) with no
capabilities, so RLIMIT_NPROC counts nobody's processes (a root process is exempt from it). Run as another user,
bwrap uses a user namespace and the child keeps that user's uid; RLIMIT_NPROC would then count the server's own
threads, so it is left to the PID namespace and the wall-time kill. The child runs at nice 10: it uses CPU the
room leaves idle and never slows a step's Run.
"""
from __future__ import annotations

import atexit
import functools
import importlib.metadata
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SITE = "/lab/site"
KIT = "/lab/console"
RUNTIME = "/lab/python"
HOME = "/home/console"
NOBODY = 65534
# Lower priority than the web server, not starved: at nice 10 a child gets about a tenth of a core the server and
# other work contend for (CFS weights 1024 vs 110), so awscli's ~0.5 s start takes seconds, never the 15 s limit, on a
# saturated machine (nice 19, weight 15, let concurrent test workers starve it past the limit).
NICE = 10
AUTOGROUP_NICE = 10
CPU_SECONDS = 30
MEMORY_BYTES = 1024 * 1024 * 1024
PROCESSES = 256          # nobody's processes and threads at once, every console child together
TMPFS_BYTES = 1024 * 1024
NAME_SERVICE_FILES = ("/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf")
CHILD_SOURCE = Path(__file__).resolve().parent / "cli_child.py"


@functools.lru_cache(maxsize=1)
def awscli_packages() -> tuple[Path, ...]:
    """The top-level packages and modules of awscli and everything it requires (importlib.metadata), installed."""
    seen: set[str] = set()
    found: dict[str, Path] = {}
    todo = ["awscli"]
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        distribution = importlib.metadata.distribution(name)
        for requirement in distribution.requires or []:
            if "extra ==" not in requirement:
                todo.append(re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0])
        for file in distribution.files or []:
            top = file.parts[0]
            if top.endswith((".dist-info", ".egg-info")) or top in ("..", "__pycache__"):
                continue
            path = Path(distribution.locate_file(top))
            if path.exists():
                found[top] = path
    return tuple(sorted(found.values()))


@dataclass(frozen=True)
class Runtime:
    """The Python the child runs: the real interpreter (not the venv's link) and the prefix it needs."""
    python: str
    prefix: str

    @classmethod
    def current(cls) -> Runtime:
        python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
        return cls(python=python, prefix=os.path.realpath(sys.base_prefix))

    @property
    def moved(self) -> bool:
        """Mounted at RUNTIME inside, so no host path of it shows (a runtime under /usr is there already)."""
        return not (self.prefix == "/usr" or self.prefix.startswith("/usr/"))

    @property
    def inside_python(self) -> str:
        return RUNTIME + self.python[len(self.prefix):] if self.moved else self.python

    def environment(self) -> dict[str, str]:
        """Moved, its libpython is found through LD_LIBRARY_PATH (its rpath names the host path, absent inside)."""
        return {"LD_LIBRARY_PATH": f"{RUNTIME}/lib"} if self.moved else {}


@dataclass(frozen=True)
class Kit:
    """Files the child reads, written once per process (nothing secret in them): its allow-list and CLI config."""
    directory: str

    @property
    def allowlist(self) -> str:
        return os.path.join(self.directory, "allowlist.json")

    @property
    def config(self) -> str:
        return os.path.join(self.directory, "config")

    @classmethod
    def write(cls, allowlist_json: str, config: str) -> Kit:
        directory = tempfile.mkdtemp(prefix="lab-console-kit-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        os.chmod(directory, 0o755)
        kit = cls(directory)
        for path, text in ((kit.allowlist, allowlist_json), (kit.config, config)):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(path, 0o644)
        return kit


def bwrap() -> str | None:
    return shutil.which("bwrap")


def runs_as_root() -> bool:
    return os.geteuid() == 0


def sandbox_argv(inner: list[str], kit: Kit, runtime: Runtime | None = None) -> list[str]:
    """`bwrap ... -- inner`: the mounts above; `inner` runs in HOME."""
    runtime = runtime or Runtime.current()
    # no --new-session: the child already has a session of its own with no terminal (limit_resources runs in it
    # after setsid), and a session bwrap made would be a new scheduler autogroup at nice 0 (see limit_resources)
    argv = [bwrap() or "bwrap", "--die-with-parent", "--unshare-ipc", "--unshare-pid",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "lab-console"]
    as_root = runs_as_root() and shutil.which("setpriv") is not None
    if not as_root:
        argv += ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for link in ("lib", "lib64", "bin", "sbin"):
        target = f"/{link}"
        if os.path.islink(target):
            argv += ["--symlink", os.readlink(target), target]
        elif os.path.isdir(target):
            argv += ["--ro-bind", target, target]
    argv += ["--perms", "0755", "--dir", "/lab", "--perms", "0755", "--dir", SITE,
             "--perms", "0755", "--dir", KIT]
    if runtime.moved:
        argv += ["--ro-bind", runtime.prefix, RUNTIME]
    for path in NAME_SERVICE_FILES:
        if os.path.exists(path):
            argv += ["--ro-bind", path, path]
    for package in awscli_packages():
        argv += ["--ro-bind", str(package), f"{SITE}/{package.name}"]
    argv += ["--ro-bind", str(CHILD_SOURCE), f"{KIT}/cli_child.py",
             "--ro-bind", kit.allowlist, f"{KIT}/allowlist.json", "--ro-bind", kit.config, f"{KIT}/config",
             "--dev", "/dev",
             "--perms", "01777", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp",
             "--perms", "01777", "--size", str(TMPFS_BYTES), "--tmpfs", HOME, "--chdir", HOME, "--"]
    if as_root:
        argv += ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--no-new-privs",
                 "--inh-caps=-all", "--bounding-set=-all", "--"]
    return argv + inner


def child_argv(args: list[str], runtime: Runtime | None = None) -> list[str]:
    """The interpreter inside the sandbox running the console child with the CLI's arguments."""
    runtime = runtime or Runtime.current()
    return [runtime.inside_python, "-I", "-B", f"{KIT}/cli_child.py", *args]


def limit_resources() -> None:
    """In the forked child, before exec (subprocess's preexec_fn, after start_new_session's setsid): limits that
    bwrap and the child inherit. Linux's scheduler autogroups (sched_autogroup, on by default) share the CPU between
    sessions first and apply nice only inside one; a new session starts a new autogroup at nice 0, which would let
    one console child take as much CPU as the whole web server. So the child's autogroup is made nice too."""
    if os.getsid(0) == os.getpid():   # only a session of its own: never the server's autogroup
        try:
            with open("/proc/self/autogroup", "w") as autogroup:
                autogroup.write(str(AUTOGROUP_NICE))
        except OSError:   # no autogroups here (kernel option off): plain nice below is all there is
            pass
    os.nice(NICE)
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    except (ValueError, OSError):
        pass
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    if runs_as_root():
        resource.setrlimit(resource.RLIMIT_NPROC, (PROCESSES, PROCESSES))


@functools.lru_cache(maxsize=1)
def unavailable_reason(kit: Kit) -> str | None:
    """None when the sandbox starts here (bwrap present, namespaces allowed, awscli importable inside), else why.
    Tried once per process."""
    if bwrap() is None:
        return ("bubblewrap (`bwrap`) is not installed: install the `bubblewrap` package (.ci/run does), or set "
                "LAB_CONSOLE=unsandboxed to accept the weaker mode")
    runtime = Runtime.current()
    probe = sandbox_argv([runtime.inside_python, "-I", "-c",
                          f"import sys; sys.path.insert(0, {SITE!r}); import awscli.clidriver"], kit)
    try:
        done = subprocess.run(probe, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **runtime.environment()},
                              capture_output=True,
                              timeout=30, start_new_session=True, preexec_fn=limit_resources)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"the bubblewrap sandbox did not start ({error})"
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        return f"the bubblewrap sandbox did not start here: {detail[0]}"
    return None
