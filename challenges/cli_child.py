"""The child process of the in-page console: the real AWS CLI (awscli v1), held to an allow-list.

challenges/console.py runs `python -I cli_child.py ARGS...` inside a bubblewrap sandbox (challenges/jail.py): the
Python runtime and awscli's own packages mounted read-only, an empty home, no project directory, no database, no
secrets, the lab's endpoint as the only destination. This module is the first wall inside that second one: the
command is parsed by the CLI's own argument tables (the same `clidriver` that then runs it), and only what the lab
serves may run:

- abbreviations are off (argparse's `allow_abbrev`): `--bod` is not `--body`, `--endpoint` is not `--endpoint-url`;
- services and operations: only those in the allow-list the parent hands over (what the lab's gateway answers);
  every other command is replaced in the CLI's command tables by one that refuses with its own message;
- arguments: those made from the operation's model, and a short list of vetted customizations (paging, skeletons,
  EC2's shorthands), are kept; every other argument in the table is replaced by one that refuses when used, with a
  message saying why (it reads or writes a local file, or it is not needed here); the CLI's parser refuses any option
  its tables do not know;
- values: `file://` and `fileb://` are refused before anything reads them (the CLI's own paramfile handler is never
  registered), and `aws s3` paths must be `s3://` locations (or `-`, standard output, as `cp`'s destination);
- global options: `--endpoint-url`, `--profile`, TLS switches, unsigned requests and socket timeouts are refused.

Every HTTP request must go to the lab's endpoint (a `before-send` handler) and carries the console's sandbox in
`X-Lab-Console-Sandbox`, which the gateway compares with the sandbox of the key that signed it. In the weaker,
explicitly accepted mode without bubblewrap (LAB_CONSOLE=unsandboxed) an audit hook also refuses opening any file
outside Python's standard library, awscli's packages and the empty working directory.

A refusal ends the process with REFUSED_EXIT and, as the last line of standard error, REFUSED_MARKER followed by the
message as JSON. No Django and nothing of the lab's here: the standard library and awscli only.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from typing import Any

CONSOLE_SANDBOX_HEADER = "X-Lab-Console-Sandbox"
REFUSED_EXIT = 99
REFUSED_MARKER = "lab-console-refused: "
# After a command that ran, the last line of standard error: the AWS requests it made (operation, request id, HTTP
# status), so the page can show the engine's explanation of a refusal (challenges/console.py).
CALLS_MARKER = "lab-console-calls: "
MAX_CALLS_REPORTED = 20
CPU_SECONDS = 30
MEMORY_BYTES = 1024 * 1024 * 1024

# ------------------------------------------------------------------------------------------------ the allow-list
GLOBAL_OPTIONS_ALLOWED = {"debug", "no-paginate", "output", "query", "region", "color", "version", "v2-debug"}
GLOBAL_OPTIONS_REFUSED = {
    "endpoint-url": "the console always talks to your sandbox's endpoint; --endpoint-url is not needed here",
    "profile": "the console has no profiles: choose the credentials above the command line instead",
    "ca-bundle": "the console's endpoint needs no certificate bundle",
    "no-verify-ssl": "the console's endpoint needs no TLS switches",
    "no-sign-request": "requests from the console are always signed with the credentials you chose",
    "cli-read-timeout": "the console sets its own time limits",
    "cli-connect-timeout": "the console sets its own time limits",
}
SERVICES_REFUSED = {
    "configure": "reads and writes the CLI's local files; the console has none: choose the credentials above the "
                 "command line and pass --region/--output per command",
    "history": "reads and writes the CLI's local files; the console has none: choose the credentials above the "
               "command line and pass --region/--output per command",
}
# `aws s3` (the CLI's high-level S3 commands) and what each may name: s3:// locations only.
S3_COMMANDS = {"ls", "cp", "mv", "rm", "sync", "mb", "rb", "website"}
S3_COMMANDS_REFUSED = {
    "presign": "a URL presigned here would name the console's internal endpoint, which your browser cannot reach; "
               "presign from your own terminal with --endpoint-url pointing at the lab's /aws endpoint",
}
# Arguments the CLI builds from the operation's model: their values become request parameters, nothing else.
MODEL_ARGUMENTS = {"awscli.arguments.CLIArgument", "awscli.arguments.ListArgument", "awscli.arguments.BooleanArgument"}
# Arguments the CLI's customizations add, vetted: they only shape request parameters or output.
VETTED_ARGUMENTS = {
    "awscli.customizations.paginate.PageArgument",
    "awscli.customizations.generatecliskeleton.GenerateCliSkeletonArgument",
    "awscli.customizations.ec2.addcount.CountArgument",
    "awscli.customizations.ec2.runinstances.AssociatePublicIpAddressArgument",
    "awscli.customizations.ec2.runinstances.NoAssociatePublicIpAddressArgument",
    "awscli.customizations.ec2.runinstances.SecondaryPrivateIpAddressesArgument",
    "awscli.customizations.ec2.runinstances.SecondaryPrivateIpAddressCountArgument",
    "awscli.customizations.ec2.secgroupsimplify.CidrArgument",
    "awscli.customizations.ec2.secgroupsimplify.GroupOwnerArgument",
    "awscli.customizations.ec2.secgroupsimplify.PortArgument",
    "awscli.customizations.ec2.secgroupsimplify.ProtocolArgument",
    "awscli.customizations.ec2.secgroupsimplify.SourceGroupArgument",
    "awscli.customizations.toplevelbool.PositiveBooleanArgument",
    "awscli.customizations.toplevelbool.NegativeBooleanParameter",
}
NO_FILES = "the console has no local files"
ARGUMENTS_REFUSED = {
    "awscli.customizations.cliinputjson.CliInputJSONArgument":
        "reads the whole request from JSON; type the parameters as options instead (JSON values go inside single "
        "quotes)",
    "awscli.customizations.iamvirtmfa.FileArgument":
        "writes a local file: the console has no files; run it without --outfile and --bootstrap-method and the "
        "seed (Base32StringSeed) is printed in the JSON output instead",
    "awscli.customizations.arguments.StatefulArgument":
        "goes with --outfile, which writes a local file: run it without both and the seed (Base32StringSeed) is "
        "printed in the JSON output instead",
    "awscli.customizations.ec2.decryptpassword.LaunchKeyArgument": f"reads a local private key file; {NO_FILES}",
    "awscli.customizations.streamingoutputarg.StreamingOutputArgument":
        "writes the object to a local file (its last argument); the console has no files: print it with "
        "`aws s3 cp s3://bucket/key -`",
    "awscli.customizations.s3events.S3SelectStreamOutputArgument":
        f"writes the result to a local file; {NO_FILES}",
}
STREAMING_BODY = ("reads a local file (s3api put-object --body): the console cannot upload files; copy between "
                  "s3:// locations with `aws s3 cp`, or upload from your own terminal against the lab's /aws endpoint")
NOT_OFFERED = "is not offered in the lab console"


class ConsoleRefusal(Exception):
    """A command the console will not run; str(error) is the message shown to the learner."""


class Refusals:
    """The first refusal met while the CLI parses (awscli catches exceptions inside its dispatch; this keeps it)."""

    def __init__(self) -> None:
        self.message: str | None = None

    def refuse(self, message: str) -> ConsoleRefusal:
        if self.message is None:
            self.message = message
        return ConsoleRefusal(message)


REFUSALS = Refusals()


class AllowList:
    """What the lab serves, as the parent computed it: CLI service name -> CLI operation names."""

    def __init__(self, operations: dict[str, list[str]]) -> None:
        self.operations = {service: frozenset(names) for service, names in operations.items()}
        # made once: the command table asks it of each of the ~430 commands the CLI knows
        self.services = frozenset(self.operations) | {"s3"}

    @classmethod
    def load(cls, path: str) -> AllowList:
        with open(path, encoding="utf-8") as handle:
            return cls(json.load(handle)["operations"])


# ------------------------------------------------------------------------------------------------ refusing pieces
class RefuseAction(argparse.Action):
    """An option (or positional) that refuses the command as soon as the parser meets it."""

    def __init__(self, option_strings: list[str], dest: str, message: str = "", **kwargs: Any) -> None:
        self.message = message
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        raise REFUSALS.refuse(self.message)


_classes: dict[str, type] = {}


def _refused_argument_class() -> type:
    """The class of refused arguments, made once (awscli is imported only after main() set up the paths)."""
    if "argument" not in _classes:
        from awscli.arguments import CustomArgument

        class RefusedArgument(CustomArgument):
            lab_refused = True   # already in place: a table the CLI caches is not judged twice

            def __init__(self, name: str, shapes: list[tuple], message: str) -> None:
                super().__init__(name, help_text=message)
                self.shapes, self.message = shapes, message

            def add_to_parser(self, parser) -> None:
                for option_strings, dest, default in self.shapes:
                    if option_strings:   # nargs="?": refused whether or not a value follows
                        parser.add_argument(*option_strings, nargs="?", action=RefuseAction, message=self.message,
                                            dest=dest, default=default)
                    else:
                        parser.add_argument(dest, nargs="?", action=RefuseAction, message=self.message,
                                            default=default)

        _classes["argument"] = RefusedArgument
    return _classes["argument"]


class Shapes:
    """What arguments add to a parser (option strings, dest, default), read from one scratch parser per argument
    table: a parser costs ~0.1 ms to make, and the global options alone refuse fifteen arguments per command.
    Two arguments of one table sharing an option string (none of awscli's ~19,000 tables do; its own parsers would
    resolve it) make this parser raise, so the command fails closed rather than a refusal losing its shape."""

    def __init__(self) -> None:
        self.scratch = argparse.ArgumentParser(add_help=False, allow_abbrev=False)

    def of(self, argument: Any) -> list[tuple[tuple[str, ...], str, Any]]:
        start = len(self.scratch._actions)
        argument.add_to_parser(self.scratch)
        return [(tuple(action.option_strings), action.dest, action.default) for action in self.scratch._actions[start:]]


def refused_argument(original: Any, name: str, message: str, shapes: Shapes | None = None) -> Any:
    """An argument that refuses the command when given, in place of `original`: the same option strings (or the same
    positional), dest and default, so the CLI reads the same attributes as before when it is not given
    (`--no-sign-request` keeps `sign_request=True`). A positional is refused even when left out (argparse calls a
    positional's action with its default): the command cannot run without it."""
    return _refused_argument_class()(name, (shapes or Shapes()).of(original), message)


def refused_command(name: str, message: str) -> Any:
    """A command that refuses with `message` when run (the class made once: a table holds hundreds of them)."""
    if "command" not in _classes:
        from awscli.commands import CLICommand

        class RefusedCommand(CLICommand):
            def __init__(self, name: str, message: str) -> None:
                self._name, self.message = name, message

            @property
            def name(self) -> str:
                return self._name

            @property
            def lineage(self) -> list[Any]:
                return [self]

            @lineage.setter
            def lineage(self, value: list[Any]) -> None:
                pass

            def __call__(self, args, parsed_globals) -> int:
                raise REFUSALS.refuse(self.message)

            def create_help_command(self) -> None:
                raise REFUSALS.refuse(self.message)

        _classes["command"] = RefusedCommand
    return _classes["command"](name, message)


# ------------------------------------------------------------------------------------------------ event handlers
def _kind(argument: Any) -> str:
    return f"{type(argument).__module__}.{type(argument).__qualname__}"


def _is_streaming(argument: Any) -> bool:
    model = getattr(argument, "argument_model", None)
    return bool(model is not None and model.serialization.get("streaming") or
                getattr(model, "metadata", {}).get("streaming"))


# The CLI's global option names ("--debug", ...), as its table was built: an abbreviation of one is refused too.
GLOBAL_OPTION_NAMES: set[str] = set()


class Policy:
    """The handlers that hold the CLI to the allow-list (registered on the CLI's own events, before it parses)."""

    def __init__(self, allow: AllowList) -> None:
        self.allow = allow
        # said of each of the ~400 services the CLI knows and the lab does not: written once, not sorted per service
        self.other_services = (f"the lab's AWS has {', '.join(sorted(allow.services))}; other services are not "
                               "simulated")

    def register(self, session) -> None:
        from awscli.paramfile import register_uri_param_handler

        # file:// and fileb:// are never read: the CLI's handler that would read them is not registered at all, and
        # ours refuses such values first
        session.unregister("session-initialized", register_uri_param_handler)
        session.get_component("event_emitter").register_first("load-cli-arg", self.check_value)
        session.register("building-top-level-params", self.top_level)
        session.register("building-command-table", self.command_table)
        session.register("before-building-argument-table-parser", self.argument_table)

    def top_level(self, argument_table, **kwargs) -> None:
        GLOBAL_OPTION_NAMES.update(f"--{name}" for name in argument_table)
        shapes = Shapes()
        for name in list(argument_table):
            if name in GLOBAL_OPTIONS_ALLOWED:
                continue
            message = GLOBAL_OPTIONS_REFUSED.get(name, NOT_OFFERED)
            argument_table[name] = refused_argument(argument_table[name], name, f"`--{name}`: {message}", shapes)

    def command_table(self, command_table, command_object=None, **kwargs) -> None:
        # the command's own name (botocore may alias the event's: secretsmanager -> secrets-manager)
        owner = getattr(command_object, "name", None) or "main"
        for name in list(command_table):
            message = self._command_refusal(owner, name)
            if message:
                command_table[name] = refused_command(name, message)

    def _command_refusal(self, owner: str, name: str) -> str | None:
        if owner == "main":
            if name in self.allow.services:
                return None
            if name in SERVICES_REFUSED:
                return f"`aws {name}` {SERVICES_REFUSED[name]}"
            return f"`{name}`: {self.other_services}"
        if owner == "s3":
            if name in S3_COMMANDS:
                return None
            return f"`aws s3 {name}`: {S3_COMMANDS_REFUSED.get(name, NOT_OFFERED)}"
        if owner == "wait":   # the waiters of an allowed service: each polls an allowed describe/get operation
            return None
        if owner in self.allow.operations:
            if name in self.allow.operations[owner] or name == "wait":
                return None
            return f"`aws {owner} {name}`: the lab's AWS does not simulate this operation"
        return f"`{owner} {name}` {NOT_OFFERED}"

    def argument_table(self, argument_table, event_name: str, **kwargs) -> None:
        command = " ".join(event_name.split(".")[1:])
        shapes = Shapes()
        for name, argument in list(argument_table.items()):
            if getattr(argument, "lab_refused", False):
                continue
            message = self._argument_refusal(command, name, argument)
            if message:
                shape = shapes.of(argument)
                label = f"aws {command}" if any(not options for options, _, _ in shape) else f"--{name}"
                argument_table[name] = _refused_argument_class()(name, shape, f"`{label}` {message}")

    def _argument_refusal(self, command: str, name: str, argument: Any) -> str | None:
        kind = _kind(argument)
        if kind in MODEL_ARGUMENTS:
            return STREAMING_BODY if _is_streaming(argument) else None
        if kind in VETTED_ARGUMENTS:
            return None
        words = command.split(" ")
        if kind == "awscli.arguments.CustomArgument" and (words[0] == "s3" or words[0] in S3_COMMANDS):
            return None   # `aws s3 <cmd>` options (`rb --force` runs `rm` itself); paths are checked as values
        return ARGUMENTS_REFUSED.get(kind, NOT_OFFERED)

    def check_value(self, event_name: str, value: Any, **kwargs) -> None:
        """Every argument's value, before anything uses it (the CLI's `load-cli-arg` event)."""
        for text in _strings(value):
            if text.lower().startswith(("file://", "fileb://")):
                raise REFUSALS.refuse(f"`{text}`: the console cannot read local files (file://, fileb://); paste the "
                                      "JSON itself inside single quotes instead")
        parts = event_name.split(".")   # load-cli-arg.custom.<s3 command>.<argument>
        if len(parts) == 4 and parts[1] == "custom" and parts[2] in S3_COMMANDS and parts[3] in ("paths", "path"):
            self.check_s3_paths(parts[2], value)

    @staticmethod
    def check_s3_paths(command: str, value: Any) -> None:
        paths = [value] if isinstance(value, str) else list(value or [])
        if command == "ls":
            return   # `aws s3 ls NAME` lists a bucket or prefix; it never touches a local file
        for index, path in enumerate(paths):
            if path.startswith("s3://"):
                continue
            if path == "-":
                if command == "cp" and index == 1:
                    continue   # print the object on standard output
                if command == "cp":
                    raise REFUSALS.refuse("uploading from standard input needs a local terminal; the console has no "
                                          "input stream")
                raise REFUSALS.refuse(f"`aws s3 {command}` cannot use `-` (standard input or output)")
            raise REFUSALS.refuse(f"`aws s3 {command}` with the local path `{path}`: the console has no local files; "
                                  "copy between s3:// locations, or print an object with `aws s3 cp s3://bucket/key -`")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _strings(item)]
    return []


# ------------------------------------------------------------------------------------------------ the parser
def no_abbreviations() -> None:
    """awscli's parsers (all CLIArgParser) with argparse's prefix matching off, and an option given short for one
    the command knows refused with that reason (rather than the CLI's bare "Unknown options"). Once per process."""
    from awscli import argparser

    if getattr(argparser.CLIArgParser, "lab_console_patched", False):
        return
    argparser.CLIArgParser.lab_console_patched = True   # type: ignore[attr-defined]
    base_init = argparse.ArgumentParser.__init__

    def init(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        base_init(self, *args, **kwargs)

    argparser.CLIArgParser.__init__ = init   # type: ignore[method-assign]
    parse = argparser.ArgTableArgParser.parse_known_args

    def parse_known_args(self, args, namespace=None):
        parsed, remaining = parse(self, args, namespace)
        known = set(self._option_string_actions) | GLOBAL_OPTION_NAMES
        for token in remaining:
            name = token.split("=", 1)[0]
            if name.startswith("--") and len(name) > 2 and name not in known and any(k.startswith(name) for k in known):
                raise REFUSALS.refuse(f"`{name}`: the console takes options spelled in full, not abbreviated")
        return parsed, remaining

    argparser.ArgTableArgParser.parse_known_args = parse_known_args   # type: ignore[method-assign]


def no_paramfiles() -> None:
    """No code path of the CLI reads a parameter from a file: every module's `get_paramfile` (the paramfile
    handler's, shorthand's `key@=file://...`, --cli-input-json's) refuses a file or URL prefix and reads nothing."""
    from awscli import paramfile

    prefixes = tuple(paramfile.LOCAL_PREFIX_MAP)   # the remote ones are never fetched: their handler is not registered

    def get_paramfile(path: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(path, str) and path.lower().startswith(prefixes):
            raise REFUSALS.refuse(f"`{path}`: the console cannot read local files (file://, fileb://); paste the "
                                  "JSON itself inside single quotes instead")
        return None

    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "") or ""
        if name.startswith("awscli") and hasattr(module, "get_paramfile"):
            module.get_paramfile = get_paramfile   # type: ignore[attr-defined]


def no_help() -> None:
    from awscli import help
    from awscli.customizations.commands import BasicHelp

    def refuse(self, *args: Any, **kwargs: Any) -> None:
        raise REFUSALS.refuse("the CLI's help pages need a pager the console does not have; the same text is at "
                              "https://docs.aws.amazon.com/cli/latest/reference/")

    help.HelpCommand.__call__ = refuse   # type: ignore[method-assign]
    BasicHelp.__call__ = refuse          # type: ignore[method-assign]


def build_driver(allow: AllowList, endpoint: str, sandbox_id: str):
    """The CLI's driver with the allow-list, the endpoint fence and the sandbox header in place."""
    from awscli.clidriver import create_clidriver

    policy = Policy(allow)
    driver = create_clidriver()
    policy.register(driver.session)
    no_abbreviations()
    no_help()
    no_paramfiles()

    def mark_sandbox(request, **kwargs) -> None:
        request.headers[CONSOLE_SANDBOX_HEADER] = sandbox_id

    def only_the_lab(request, **kwargs) -> None:
        url = request.url
        if not (url == endpoint or url.startswith(endpoint + "/") or url.startswith(endpoint + "?")):
            raise ConsoleRefusal("the lab console only talks to the lab's endpoint; this request would have gone "
                                 "elsewhere (an access point, an outpost or another service's host)")
        if url[len(endpoint):].startswith("/_lab"):  # the gateway process's lab control, never an AWS path
            raise ConsoleRefusal("the lab console only makes AWS requests")

    def note_call(http_response=None, parsed=None, model=None, **kwargs) -> None:
        metadata = (parsed or {}).get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
        CALLS.append({"operation": getattr(model, "name", ""), "request_id": str(metadata.get("RequestId", "")),
                      "status": getattr(http_response, "status_code", 0)})
        del CALLS[:-MAX_CALLS_REPORTED]

    driver.session.register("before-sign", mark_sandbox)
    driver.session.register("before-send", only_the_lab)
    driver.session.register("after-call", note_call)
    return driver


CALLS: list[dict[str, Any]] = []


def run(driver, argv: list[str]) -> int:
    """Run `aws <argv>`; a refusal returns REFUSED_EXIT with the marker line on standard error."""
    REFUSALS.message = None
    CALLS.clear()   # one process runs one command; the in-process console (tests) runs many in one
    # argparse names the program from sys.argv[0] in usage errors: the learner typed `aws`, not this file's name
    program, sys.argv[0] = sys.argv[0], "aws"
    try:
        code = driver.main(argv)
    except ConsoleRefusal as refusal:
        REFUSALS.refuse(str(refusal))
        code = REFUSED_EXIT
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 2
    finally:
        sys.argv[0] = program
    if REFUSALS.message is not None:
        sys.stdout.flush()
        sys.stderr.write("\n" + REFUSED_MARKER + json.dumps(REFUSALS.message) + "\n")
        return REFUSED_EXIT
    if CALLS:
        sys.stdout.flush()
        sys.stderr.write("\n" + CALLS_MARKER + json.dumps(CALLS) + "\n")
    return code


# ------------------------------------------------------------------------------------------------ the process
def install_file_fence(readable: list[str], workdir: str) -> None:
    """The weaker mode's wall (no bubblewrap): opening a file outside `readable` and `workdir` is refused."""
    readable_paths = tuple(sorted({os.path.realpath(p) for p in [*readable, workdir]}))
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
            raise PermissionError(f"the lab console does not write local files ({args[0]})")
        if not writing and not inside(path, readable_paths):
            raise PermissionError(f"the lab console does not read local files ({args[0]})")

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
    allow = AllowList.load(os.environ.pop("LAB_CONSOLE_ALLOWLIST"))
    site = os.environ.pop("LAB_CONSOLE_SITE", "")
    fence = os.environ.pop("LAB_CONSOLE_FENCE", "")
    sys.path[:0] = [p for p in site.split(os.pathsep) if p]
    limit_resources()
    if fence:
        import sysconfig

        stdlib = [p for p in {sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")} if p]
        install_file_fence([*stdlib, *fence.split(os.pathsep), "/dev/null", "/dev/urandom"], os.getcwd())
    driver = build_driver(allow, endpoint, sandbox_id)
    return run(driver, argv)


if __name__ == "__main__":
    code = main(sys.argv[1:])
    # The answer is printed: skip the interpreter's teardown of awscli's thousands of objects (about a fifth of a
    # command's CPU, which at nice 10 on a saturated machine kept a finished command past the time limit). The child
    # writes no file (RLIMIT_FSIZE 0) and holds nothing else to flush.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 1)
