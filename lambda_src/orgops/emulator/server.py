"""``orgops emulator``: serve an emulated AWS endpoint with orgops deployed, until SIGINT/SIGTERM.

Prints one JSON line (``Emulator.describe()``: endpoint, region, state machine ARNs by operation,
data/reports bucket, ...) once the stack is deployed, then serves. Point any client at the
endpoint: ``aws --endpoint-url http://127.0.0.1:PORT stepfunctions start-execution ...``.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from typing import Any

DEFAULT_REGION = "us-east-1"


def quiet_moto() -> None:
    """moto logs every failed state (with its whole parse tree) and every unsupported ASL field;
    the execution history already says what failed."""
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=5000, help="port on 127.0.0.1 (default 5000; 0: any free port)")
    parser.add_argument("--region", default=DEFAULT_REGION, help=f"region of the stack (default {DEFAULT_REGION})")
    parser.add_argument(
        "--demo-org",
        action="store_true",
        help="also create the demo organization (13 accounts in nested OUs) and seed resources for every operation",
    )
    parser.add_argument(
        "--seed-regions",
        default="us-east-1,eu-west-1,ap-southeast-2",
        help="regions to seed with --demo-org (comma-separated)",
    )


def serve(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    from orgops.emulator import seed
    from orgops.emulator.core import Emulator
    from orgops.emulator.world import DEMO_ACCOUNTS

    quiet_moto()
    stop = stop or threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _s, _f: stop.set())
    with Emulator.serve(port=args.port, region=args.region) as emu:
        line: dict[str, Any] = emu.describe()
        if args.demo_org:
            world = emu.build_organization(DEMO_ACCOUNTS)
            seed.seed_world(emu.session(), world, [r for r in args.seed_regions.split(",") if r])
            line["accounts"] = world.accounts
        print(json.dumps(line, sort_keys=True), flush=True)
        stop.wait()
    return 0


def cmd_emulator(args: argparse.Namespace) -> int:
    return serve(args)


def register(sub: Any) -> None:
    """Add ``orgops emulator`` to the CLI's subcommands (``orgops.cli.build_parser``)."""
    p = sub.add_parser(
        "emulator",
        help="serve an emulated AWS endpoint with orgops deployed (development, no AWS account)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(p)
    p.set_defaults(func=cmd_emulator)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orgops emulator", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
