"""What the operator commands share: exit codes, AWS and targeting flags, building the input.

``build_input`` turns the targeting flags into the execution input exactly as documented
(``{"Regions", "Accounts": {"Include", "Exclude", "OrganizationalUnits", "Tags"}, "Params",
"DryRun", "MaxErrors", "RetryFailed", "Preflight"}``), leaving out what was not given so the
deployed defaults apply; ``check_input`` validates it with the same code the fanout runs, so bad
input fails here, before anything starts.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from types import FrameType
from typing import Any, TextIO
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

from orgops import operations, targets
from orgops.errors import InvalidInput, OrgopsError


class ExitCode(IntEnum):
    """The exit codes scripts rely on: one definition, rendered into every command's help
    (``EXIT_CODES_EPILOG``) and the README's table (``exit_codes_markdown``; a test compares)."""

    OK = 0
    TARGETS_FAILED = 1
    USAGE = 2
    EXECUTION_FAILED = 3
    AWS = 4
    RUNNING = 5
    INTERRUPTED = 130

    @property
    def help(self) -> str:
        return EXIT_HELP[self][0]

    @property
    def detail(self) -> str:
        return EXIT_HELP[self][1]


# (the help's line, the README's longer cell) for each code.
EXIT_HELP: dict[ExitCode, tuple[str, str]] = {
    ExitCode.OK: ("the execution succeeded and every target succeeded (or was skipped)", ""),
    ExitCode.TARGETS_FAILED: ("the execution succeeded but some targets failed: see errors.csv", ""),
    ExitCode.USAGE: (
        "usage error or invalid input: nothing was started",
        "also `--apply` refused; a `--params-file` or `--param` nested too deeply, a malformed `--endpoint-url` or "
        "`AWS_ENDPOINT_URL`, an `--out` that cannot be written: all checked before anything starts",
    ),
    ExitCode.EXECUTION_FAILED: (
        "the execution FAILED, TIMED_OUT or was ABORTED",
        "the error and cause are printed; the partial report of the targets that finished is downloaded",
    ),
    ExitCode.AWS: ("an AWS error: credentials, permissions, state machine or execution not found", ""),
    ExitCode.RUNNING: (
        "the execution is still running (orgops report without --wait): nothing was downloaded",
        "it has no report yet",
    ),
    ExitCode.INTERRUPTED: (
        "interrupted (Ctrl-C or SIGTERM)",
        'after Ctrl-C and "y" the stopped execution\'s partial report is downloaded; one that had already ended '
        "exits with its own code",
    ),
}

EXIT_OK = ExitCode.OK
EXIT_TARGETS_FAILED = ExitCode.TARGETS_FAILED
EXIT_USAGE = ExitCode.USAGE
EXIT_EXECUTION_FAILED = ExitCode.EXECUTION_FAILED
EXIT_AWS = ExitCode.AWS
EXIT_RUNNING = ExitCode.RUNNING
EXIT_INTERRUPTED = ExitCode.INTERRUPTED

EXIT_CODES_EPILOG = "exit codes:\n" + "\n".join(f"  {int(c):<4} {c.help}" for c in ExitCode)


def exit_codes_markdown() -> str:
    """The README's exit code table (between its EXIT_CODES markers)."""
    rows = [f"| {int(c)} | {c.help}{f' ({c.detail})' if c.detail else ''} |" for c in ExitCode]
    return "\n".join(["| Code | Meaning |", "|---|---|", *rows])


# Operation parameters are values, lists and small objects; deeper input is refused before it
# reaches code that recurses (json, the fanout's checks), with the flag named.
MAX_PARAMS_DEPTH = 32
ENDPOINT_SCHEMES = ("http", "https")

CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 10})


class UsageError(OrgopsError):
    """A flag or file the operator gave is wrong; the message says how to fix it."""

    code = "UsageError"


class NotFound(OrgopsError):
    """A state machine, execution or report that the operator named does not exist."""

    code = "NotFound"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it is handled as Ctrl-C is."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGTERM raises ``Terminated`` (a ``KeyboardInterrupt``) in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted_message(exc: KeyboardInterrupt) -> str:
    return "orgops: terminated (SIGTERM)" if isinstance(exc, Terminated) else "orgops: interrupted"


def guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the errors a command can meet into a message on stderr and a documented exit code."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (InvalidInput, UsageError) as exc:
            print(f"orgops: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except NotFound as exc:
            print(f"orgops: {exc}", file=sys.stderr)
            return EXIT_AWS
        except NoCredentialsError:
            print(
                "orgops: no AWS credentials: pass --profile, set AWS_PROFILE, or run `aws sso login`",
                file=sys.stderr,
            )
            return EXIT_AWS
        except (ClientError, BotoCoreError) as exc:
            print(f"orgops: AWS error: {exc}", file=sys.stderr)
            return EXIT_AWS
        except KeyboardInterrupt as exc:
            print(f"\n{interrupted_message(exc)}", file=sys.stderr)
            return EXIT_INTERRUPTED

    return run


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS connection (the standard credential chain applies)")
    group.add_argument("--profile", help="named profile from ~/.aws/config (default: AWS_PROFILE or the default chain)")
    group.add_argument("--region", help="region of the state machine (default: the profile's or AWS_REGION)")
    group.add_argument(
        "--endpoint-url",
        help="send every AWS call to this endpoint, e.g. http://127.0.0.1:5000 for `orgops emulator`",
    )


def add_output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        choices=("table", "json"),
        default="table",
        help="table for people (default), json for scripts (one JSON document on stdout)",
    )


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _csv_items(values: Sequence[str] | None) -> list[str]:
    """``--accounts 1,2 --accounts 3`` and ``--accounts 1 2`` both give ``[1, 2, 3]``."""
    out: list[str] = []
    for value in values or ():
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def _given_items(flag: str, values: Sequence[str] | None, example: str) -> list[str] | None:
    """The items of a list flag; None when the flag is absent. Given but empty (``--regions ''``)
    is refused: dropping it would silently mean "every region" or "every account"."""
    if values is None:
        return None
    items = _csv_items(values)
    if not items:
        raise UsageError(f"{flag} is empty; name at least one ({example}), or leave {flag} out for the defaults")
    return items


def add_targeting_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("targets (all optional: by default every active account, deployed regions)")
    group.add_argument(
        "--regions",
        nargs="+",
        action="extend",
        metavar="REGION",
        help="regions to run in (space or comma separated), or ALL for each account's enabled regions",
    )
    group.add_argument("--accounts", nargs="+", action="extend", metavar="ID", help="only these account ids")
    group.add_argument("--exclude", nargs="+", action="extend", metavar="ID", help="never these account ids")
    group.add_argument(
        "--ou", nargs="+", action="extend", metavar="OU_ID", help="only accounts under these OUs (or the root r-xxxx)"
    )
    group.add_argument(
        "--tag",
        action="append",
        type=_key_value,
        metavar="KEY=VALUE",
        help="only accounts with this tag (repeat: all must match)",
    )
    params = group.add_mutually_exclusive_group()
    params.add_argument(
        "--param",
        action="append",
        type=_key_value,
        metavar="NAME=VALUE",
        help='an operation parameter; VALUE is read as JSON when it parses (7, true, ["a"]), else as a string',
    )
    params.add_argument("--params-file", type=Path, metavar="FILE", help="a JSON object of operation parameters")
    group.add_argument(
        "--max-errors",
        metavar="N|N%",
        help="stop starting targets once more than N targets (or N%% of the planned ones) have failed; the rest "
        'are NOT_RUN ("MaxErrors"; default: the deployed max_errors, else none)',
    )
    group.add_argument(
        "--apply",
        action="store_true",
        help='really change resources ("DryRun": false); asks for confirmation unless --yes',
    )
    group.add_argument(
        "--yes", "-y", action="store_true", help="do not ask before --apply (needed when not on a terminal)"
    )


class TooDeep(ValueError):
    """A JSON document nested deeper than ``MAX_PARAMS_DEPTH`` (or than the parser can follow)."""


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (a scalar is 0); iterative, so any depth is measured."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def load_shallow_json(text: str) -> Any:
    """``json.loads``, refusing (``TooDeep``) a document nested deeper than ``MAX_PARAMS_DEPTH``."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep(f"nested too deeply to read (over {MAX_PARAMS_DEPTH} levels)") from None
    depth = json_depth(value)
    if depth > MAX_PARAMS_DEPTH:
        raise TooDeep(f"nested {depth} levels deep (at most {MAX_PARAMS_DEPTH})")
    return value


def parse_param_value(text: str) -> Any:
    """``7`` -> 7, ``true`` -> True, ``["a"]`` -> ["a"]; anything that is not JSON stays a string.

    Raises ``TooDeep`` for JSON nested deeper than ``MAX_PARAMS_DEPTH``."""
    try:
        return load_shallow_json(text)
    except TooDeep:
        raise
    except ValueError:
        return text


def read_params_file(params_file: Path) -> dict[str, Any]:
    try:
        raw = load_shallow_json(params_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--params-file: cannot read {params_file}: {exc.strerror}") from None
    except TooDeep as exc:
        raise UsageError(
            f"--params-file: {params_file} is {exc}; give a JSON object of parameter name to value, "
            "each a value, a list or a small object"
        ) from None
    except ValueError as exc:
        raise UsageError(f"--params-file: {params_file} is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise UsageError(f"--params-file: {params_file} must hold a JSON object of parameter name to value")
    return raw


def read_params(param: Sequence[tuple[str, str]] | None, params_file: Path | None) -> dict[str, Any]:
    if params_file is not None:
        return read_params_file(params_file)
    out: dict[str, Any] = {}
    for name, value in param or ():
        if name in out:
            raise UsageError(f"--param {name} is given twice")
        try:
            out[name] = parse_param_value(value)
        except TooDeep as exc:
            raise UsageError(f"--param {name}: the value is {exc}; give a value, a list or a small object") from None
    return out


def build_input(args: argparse.Namespace) -> dict[str, Any]:
    """The execution input from the flags; keys not given are left out (the deployed defaults apply)."""
    doc: dict[str, Any] = {}
    regions = _given_items("--regions", args.regions, "eu-west-1,us-east-1 or ALL")
    if regions is not None:
        doc["Regions"] = targets.ALL_REGIONS if [r.upper() for r in regions] == [targets.ALL_REGIONS] else regions
    accounts: dict[str, Any] = {}
    for flag, key, values, example in (
        ("--accounts", "Include", args.accounts, "123456789012"),
        ("--exclude", "Exclude", args.exclude, "123456789012"),
        ("--ou", "OrganizationalUnits", args.ou, "ou-ab12-cd34ef56"),
    ):
        items = _given_items(flag, values, example)
        if items is not None:
            accounts[key] = items
    if args.tag:
        tags: dict[str, str] = {}
        for key, value in args.tag:
            if key in tags and tags[key] != value:
                raise UsageError(f"--tag {key} is given twice with different values; an account has one value per key")
            tags[key] = value
        accounts["Tags"] = tags
    if accounts:
        doc["Accounts"] = accounts
    params = read_params(args.param, args.params_file)
    if params:
        doc["Params"] = params
    doc["DryRun"] = not args.apply
    max_errors = getattr(args, "max_errors", None)
    if max_errors is not None:  # a number as a JSON number: "3" and "-1" are checked as 3 and -1
        doc["MaxErrors"] = int(max_errors) if re.fullmatch(r"-?[0-9]+", max_errors) else max_errors
    if getattr(args, "retry_failed", None):
        doc["RetryFailed"] = args.retry_failed
    if getattr(args, "preflight", False):
        doc["Preflight"] = True
    canary = _given_items("--canary", getattr(args, "canary", None), "111122223333 or ou-ab12-cd34ef56")
    if canary is not None:
        doc["Canary"] = canary
    waves = getattr(args, "waves", None)
    if waves is not None:  # a number of waves as a JSON number, percentages as a list: both checked as given
        doc["Waves"] = int(waves) if re.fullmatch(r"-?[0-9]+", waves.strip()) else _csv_items([waves])
    return doc


def check_input(operation_name: str, doc: Mapping[str, Any]) -> tuple[operations.Operation, dict[str, Any]]:
    """Validate as the fanout will: the operation, the input, then the operation's Params."""
    operation = operations.get(operation_name)
    parsed = targets.parse_input(dict(doc))
    if parsed.retry_failed is not None and not parsed.params_given:
        return operation, {}  # the fanout reuses the earlier run's Params, and checks them
    return operation, operation.validate_params(parsed.params)


def checked_input(args: argparse.Namespace) -> tuple[dict[str, Any], operations.Operation]:
    """The execution input from the flags, validated as the fanout will, ``--apply`` confirmed."""
    doc = build_input(args)
    operation, _params = check_input(args.operation, doc)
    if args.apply:
        confirm_apply(operation, args.yes)
    return doc, operation


def confirm_apply(
    operation: operations.Operation,
    assume_yes: bool,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
    ask: Callable[[str], str] = input,
) -> None:
    """Ask before a run that may change resources; refuse without a terminal unless ``--yes``."""
    stdin = stdin or sys.stdin
    stderr = stderr or sys.stderr
    if assume_yes:
        return
    if not stdin.isatty():
        raise UsageError(
            "--apply changes resources and this shell is not interactive, so nobody can confirm; "
            "add --yes to apply without asking, or drop --apply for a dry run"
        )
    what = "may change resources" if operation.mutating else "is read-only, but will run with DryRun false"
    print(f"{operation.name} {what} in every selected account and region.", file=stderr)
    try:
        answer = ask(f'Type "{operation.name}" to apply, anything else to cancel: ')
    except EOFError:
        answer = ""
    if answer.strip() != operation.name:
        raise UsageError("not confirmed: nothing was started")


def endpoint_url_problem(url: str) -> str | None:
    """Why botocore (or HTTP) would refuse ``url`` as an endpoint, or None when it is usable."""
    if not (is_valid_endpoint_url(url) or is_valid_ipv6_endpoint_url(url)):
        return "is not a URL with a scheme and a host"
    if urlsplit(url).scheme.lower() not in ENDPOINT_SCHEMES:
        return "is not an http:// or https:// URL"
    return None


def check_endpoint_url(url: str | None) -> None:
    """Refuse a malformed ``--endpoint-url`` (or ``AWS_ENDPOINT_URL``) before any client is made."""
    flag, value = ("--endpoint-url", url) if url else ("AWS_ENDPOINT_URL", os.environ.get("AWS_ENDPOINT_URL"))
    if not value:
        return
    problem = endpoint_url_problem(value)
    if problem:
        raise UsageError(
            f"{flag} {value!r} {problem}: give one such as http://127.0.0.1:5000 (`orgops emulator` prints it)"
        )


def check_out_dir(path: Path, flag: str = "--out") -> None:
    """Check that the report files can be written into ``path`` (creating it if needed), leaving nothing behind.

    Missing directories are created, a file is created and removed in ``path``, and the
    directories created here are removed again: a run that then saves nothing leaves no trace.
    """
    missing = []
    probe = path
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    created: list[Path] = []
    try:
        for directory in reversed(missing):
            directory.mkdir()
            created.append(directory)
        if not path.is_dir():
            raise UsageError(f"{flag} {path} is not a directory: pass a directory for the report files")
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise UsageError(
            f"{flag} {path}: cannot write report files there ({exc.strerror}): pass a directory you can write to"
        ) from None
    finally:
        for directory in reversed(created):
            with contextlib.suppress(OSError):
                directory.rmdir()


class Aws:
    """Clients built from the standard credential chain, a profile, a region and an endpoint."""

    def __init__(self, profile: str | None = None, region: str | None = None, endpoint_url: str | None = None):
        check_endpoint_url(endpoint_url)
        self.session = boto3.Session(profile_name=profile, region_name=region)
        self.endpoint_url = endpoint_url
        if not self.session.region_name:
            raise UsageError("no region: pass --region, set AWS_REGION, or set region in your profile")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Aws:
        return cls(args.profile, args.region, args.endpoint_url)

    @property
    def region(self) -> str:
        return str(self.session.region_name)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(
            service, region_name=region or self.region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG
        )


def arn_region(arn: str) -> str | None:
    """``eu-west-1`` of ``arn:aws:states:eu-west-1:...``: a state machine is called in its own region."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 4 and parts[0] == "arn" and parts[3] else None


@contextmanager
def endpoint_environment(endpoint_url: str | None) -> Iterator[None]:
    """Point every client of this process at ``endpoint_url``, including sessions made from assumed roles."""
    if not endpoint_url:
        yield
        return
    old = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = old


def print_json(doc: Any, stream: TextIO | None = None) -> None:
    print(json.dumps(doc, indent=2, default=str), file=stream or sys.stdout)


def invalid_input_message(exc: InvalidInput) -> str:
    return f"invalid input: {exc}"
