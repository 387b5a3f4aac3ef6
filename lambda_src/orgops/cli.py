"""The ``orgops`` command. Subcommands register themselves in ``build_parser``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from orgops import cli_operator, operations
from orgops.cli_common import EXIT_INTERRUPTED, EXIT_USAGE, interrupted_message, sigterm_as_interrupt
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
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orgops",
        description="Run operation scripts across every account and region of an AWS Organization.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("list", help="list the operations with their role and scope")
    p.add_argument("--output", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("describe", help="an operation's role, scope, columns and parameters")
    p.add_argument("operation")
    p.add_argument("--output", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_describe)
    cli_operator.register(sub)
    from orgops.emulator.server import register as register_emulator  # dev-only: serves moto

    register_emulator(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args = parser.parse_args(["list"])
    try:
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
