"""The ``orgops`` command. Subcommands register themselves in ``build_parser``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from orgops import operations
from orgops.cli import diff as cli_diff
from orgops.cli import operator as cli_operator
from orgops.cli import plan as cli_plan
from orgops.cli import query as cli_query
from orgops.cli import scaffold as new_operation
from orgops.cli.common import EXIT_INTERRUPTED, EXIT_USAGE, interrupted_message, sigterm_as_interrupt
from orgops.errors import OrgopsError
from orgops.operations import catalog


def cmd_list(args: argparse.Namespace) -> int:
    ops = [operations.REGISTRY[name].describe() for name in sorted(operations.REGISTRY)]
    if args.output == "json":
        print(json.dumps(ops, indent=2))
        return 0
    width = max(len(o["name"]) for o in ops)
    role_w = max(len("ROLE"), *(len(o["role"]) for o in ops))
    scope_w = max(len("SCOPE"), *(len(o["scope"]) for o in ops))
    print(f"{'OPERATION':<{width}}  {'ROLE':<{role_w}}  {'SCOPE':<{scope_w}}  DESCRIPTION")
    for o in ops:
        print(f"{o['name']:<{width}}  {o['role']:<{role_w}}  {o['scope']:<{scope_w}}  {o['description']}")
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    op = operations.get(args.operation).describe()
    if args.output == "json":
        print(json.dumps(op, indent=2))
        return 0
    print(f"{op['name']}: {op['description']}")
    print(f"  role: {op['role']}   scope: {op['scope']}   changes resources: {'yes' if op['mutating'] else 'no'}")
    print(f"  columns: {', '.join(op['columns'])}")
    print(f"  IAM actions: {', '.join(op['actions']) or 'none'}")
    print("  params:" if op["params"] else "  params: none")
    for p in op["params"]:
        default = "required" if p.get("required") else f"default {json.dumps(p.get('default'))}"
        limits = catalog.constraints(p)
        print(f"    {p['name']} ({p['type']}, {default}{'; ' + limits if limits else ''}): {p['description']}")
    scoped = [catalog.grant(op, a) for a in op["actions"] if a in op["resources"] or a in op["conditions"]]
    print(
        '  scoped resources (every other action on "*"):'
        if scoped
        else '  scoped resources: none (every action on "*")'
    )
    for line in scoped:
        print(f"    {line}")
    # What runs are compared by (changes.csv, orgops diff) and a plan names its changes by.
    print(f"  a finding is: account_id, region, {', '.join(op['key']) or 'every column'}")
    if op["mutating"]:
        print(f"  a plan pins: {', '.join(op['before']) or 'nothing beyond the key'} (else the change is stale)")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    planned = new_operation.plan(args.name, args.dir, args.package, args.tests)
    scaffold = new_operation.write(planned, args.name, args.mutating)
    for path in scaffold:
        print(path)
    print(
        f"next: edit {planned.module_path.name} and {planned.test_path.name}; "
        f"run the test (pytest {planned.test_path}); "
        f"orgops --operations-path {args.dir} describe {args.name}; "
        f"package it: python build.py --operations-path {args.dir}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orgops",
        description="Run operation scripts across every account and region of an AWS Organization.",
    )
    parser.add_argument(
        "--operations-path",
        type=Path,
        action="append",
        metavar="DIR",
        help=f"a folder of your own operation modules (repeatable; default ${OPERATIONS_PATH_ENV}); installed "
        f"packages' '{operations.ENTRY_POINT_GROUP}' entry points are always read",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("list", help="list the operations with their role and scope")
    p.add_argument("--output", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("describe", help="an operation's role, scope, columns and parameters")
    p.add_argument("operation")
    p.add_argument("--output", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_describe)
    p = sub.add_parser("new", help="scaffold an operation module and its test in your own folder")
    p.add_argument("name", metavar="NAME", help="the operation's name, e.g. stopped-instances")
    p.add_argument("--dir", type=Path, default=Path("src"), help="the folder your packages live in (default: src)")
    p.add_argument("--package", default="ops", help="the package to put the module in (default: ops)")
    p.add_argument("--tests", type=Path, default=Path("tests"), help="the folder for its test (default: tests)")
    p.add_argument("--mutating", action="store_true", help="an operation that changes resources (dry run by default)")
    p.set_defaults(func=cmd_new)
    cli_operator.register(sub)
    cli_plan.register(sub)
    cli_query.register(sub)
    cli_diff.register(sub)
    register_emulator(sub)
    return parser


EMULATOR_MISSING = (
    "the emulator needs moto, which is not installed: pip install 'orgops[dev]' "
    "(or, in a checkout, make emulator, which creates .venv with it)"
)


def register_emulator(sub: argparse._SubParsersAction) -> None:
    """``orgops emulator``: dev-only (it serves moto). Without moto the command is still listed and
    says how to install it, instead of an ImportError."""
    try:
        from orgops.emulator.server import register
    except ImportError:
        p = sub.add_parser("emulator", help="serve an emulated AWS with orgops deployed (needs moto: orgops[dev])")
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=lambda _args: _emulator_missing())
        return
    register(sub)


def _emulator_missing() -> int:
    print(f"orgops: {EMULATOR_MISSING}", file=sys.stderr)
    return EXIT_USAGE


OPERATIONS_PATH_ENV = "ORGOPS_OPERATIONS_PATH"


def load_operations(folders: Sequence[Path] | None, env: dict[str, str] | None = None) -> None:
    """The user's operations, found the way the Lambdas find them: the ``orgops.operations``
    entry points of installed packages, ``ORGOPS_OPERATION_MODULES``, and each
    ``--operations-path`` folder (default: ``ORGOPS_OPERATIONS_PATH``, ``:``-separated)."""
    environ = os.environ if env is None else env
    operations.register(operations.entry_point_modules(), operations.ENTRY_POINT_GROUP)
    operations.register(operations.env_modules(environ), operations.MODULES_ENV)
    if folders is None:
        folders = [Path(p) for p in environ.get(OPERATIONS_PATH_ENV, "").split(os.pathsep) if p]
    for folder in folders:
        operations.register(operations.discover(folder), f"--operations-path {folder}")


def split_operations_path(argv: Sequence[str]) -> tuple[list[Path] | None, list[str]]:
    """``--operations-path DIR`` anywhere on the line (before or after the command), and the rest."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--operations-path", type=Path, action="append")
    known, rest = early.parse_known_args(list(argv))
    return known.operations_path, rest


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    folders, rest = split_operations_path(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(rest)
    args.operations_path = folders
    if not getattr(args, "func", None):
        args = parser.parse_args(["list"])
    try:
        load_operations(args.operations_path)
        with sigterm_as_interrupt():  # SIGTERM (a CI cancel, `kill`, `timeout`) is handled as Ctrl-C is
            return int(args.func(args))
    except OrgopsError as exc:
        print(f"orgops: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        print(f"\n{interrupted_message(exc)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `orgops list | head`: the reader left; exit quietly instead of a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
