"""The child process of the in-page console: the real AWS CLI (awscli v1, `awscli.clidriver`), fenced in.

Run as `python -m challenges.cli_child ARGS...` by challenges/console.py with a clean environment (credentials,
region, the lab's endpoint, an empty temporary HOME and config). The parent has already refused every form that
reaches outside the sandbox (console.refusal); this process adds a second fence that does not trust that check:

- every HTTP request must go to the lab's endpoint (a `before-send` handler), and carries the console's sandbox in
  `X-Lab-Console-Sandbox`, which the gateway compares with the sandbox of the access key that signed it;
- an audit hook refuses opening any file outside Python's own installation and the empty working directory, so a
  parameter that slipped through cannot read `/etc/passwd` or write a file;
- resource limits: CPU seconds, memory, and no file larger than zero bytes.

No Django here: this module imports only the standard library and awscli.
"""
from __future__ import annotations

import os
import resource
import sys

CONSOLE_SANDBOX_HEADER = "X-Lab-Console-Sandbox"
CPU_SECONDS = 30
MEMORY_BYTES = 1024 * 1024 * 1024


class LocalFileRefused(PermissionError):
    pass


def _allowed_read_prefixes(workdir: str) -> tuple[str, ...]:
    import sysconfig

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, workdir}
    paths.update(p for p in sysconfig.get_paths().values() if p)
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    # read-only system data the CLI and Python consult: certificates, time zones, MIME types, locale
    paths.update({"/usr/lib", "/usr/share/zoneinfo", "/usr/share/ca-certificates", "/etc/ssl", "/etc/localtime",
                  "/etc/mime.types", "/dev/null", "/dev/urandom", "/etc/pki", "/usr/local/lib"})
    return tuple(sorted(os.path.realpath(p) for p in paths))


def install_file_fence(workdir: str) -> None:
    readable = _allowed_read_prefixes(workdir)
    writable = os.path.realpath(workdir)

    def inside(path: str, prefixes: tuple[str, ...]) -> bool:
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)

    def hook(event: str, args: tuple) -> None:
        if event != "open" or not args or isinstance(args[0], int) or args[0] is None:
            return
        path = os.path.realpath(os.fsdecode(args[0]))
        mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        writing = any(c in mode for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        if writing and not inside(path, (writable,)):
            raise LocalFileRefused(f"the lab console does not write local files ({args[0]})")
        if not writing and not inside(path, readable):
            raise LocalFileRefused(f"the lab console does not read local files ({args[0]})")

    sys.addaudithook(hook)


def limit_resources() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    except (ValueError, OSError):  # some kernels refuse lowering it under a container limit
        pass
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def main(argv: list[str]) -> int:
    sandbox_id = os.environ.pop("LAB_CONSOLE_SANDBOX")
    endpoint = os.environ.pop("LAB_CONSOLE_ENDPOINT").rstrip("/")
    limit_resources()
    from awscli.clidriver import create_clidriver

    driver = create_clidriver()

    def mark_sandbox(request, **kwargs) -> None:
        request.headers[CONSOLE_SANDBOX_HEADER] = sandbox_id

    def only_the_lab(request, **kwargs) -> None:
        url = request.url
        if not (url == endpoint or url.startswith(endpoint + "/") or url.startswith(endpoint + "?")):
            raise LocalFileRefused(f"the lab console only talks to the lab's endpoint, not {url.split('?')[0]}")
        if url[len(endpoint):].startswith("/_lab"):  # the gateway process's lab control, never an AWS path
            raise LocalFileRefused("the lab console only makes AWS requests")

    driver.session.register("before-sign", mark_sandbox)
    driver.session.register("before-send", only_the_lab)
    install_file_fence(os.getcwd())
    return driver.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
