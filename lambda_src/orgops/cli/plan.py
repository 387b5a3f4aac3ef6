"""``orgops plan`` and ``orgops apply``: review the changes of a dry run, then apply exactly those.

``plan OP [targets]`` runs OP's state machine as a dry run (it must be a mutating operation),
downloads the report files and the plan (``plan.json``: the planned changes, the execution they
came from, when the plan expires, and the digest that seals it), and prints the changes.
``apply PLAN`` checks the file (its seal, its expiry) before anything starts, asks for
confirmation (``--yes`` for scripts), and starts the plan's operation with
``{"Plan": {"Uri", "Digest"}, "DryRun": false, "StartedBy": <your ARN>}``: the fanout reads the
plan from the data bucket and refuses it unless it is the same plan (the digest), and the
workers make exactly its changes (``orgops.plans``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from orgops import operations, plans, targets
from orgops.cli import run as cli_run
from orgops.cli.common import (
    EXIT_CODES_EPILOG,
    Aws,
    UsageError,
    add_aws_arguments,
    add_output_argument,
    add_targeting_arguments,
    build_input,
    check_input,
    check_out_dir,
    confirm_apply,
    guarded,
)

SHOWN_CHANGES = 50

PLAN_EPILOG = f"""\
examples:
  orgops plan tag-remediation --regions eu-west-1 --param 'RequiredTags={{"owner": "unassigned"}}'
  orgops apply reports/tag-remediation/<execution name>/plan.json      # after review

The dry run's report wrote plan.json beside report.csv (s3://<data bucket>/reports/OP/NAME/plan.json);
it is saved into --out with the other files. Review it, then `orgops apply` it within its expiry
(Terraform's plan_ttl_hours, default 24 h from the dry run's start).

{EXIT_CODES_EPILOG}"""

APPLY_EPILOG = f"""\
examples:
  orgops apply reports/tag-remediation/tag-remediation-20261201T101500Z-1a2b/plan.json
  orgops apply plan.json --yes --max-errors 2 --output json     # from a script

Only the plan's changes are made, on the plan's targets, with the plan's Params: a change whose
"before" no longer holds is skipped as stale, a change not in the plan is never made (not-planned).
The raw AWS CLI does the same with the input {{"Plan": {{"Uri": ..., "Digest": ...}}, "DryRun": false}}.

{EXIT_CODES_EPILOG}"""


def read_plan_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"PLAN: cannot read {path}: {exc.strerror}; give the plan.json `orgops plan` saved") from None
    try:
        return dict(json.loads(text))
    except (ValueError, TypeError):
        raise UsageError(f"PLAN: {path} is not a JSON plan; give the plan.json `orgops plan` saved") from None


def checked_plan(path: Path, now: datetime | None = None) -> dict[str, Any]:
    """The plan in ``path``, refused as the fanout would refuse it (edited, expired, not a plan)."""
    doc = read_plan_file(path)
    operation = operations.get(str(doc.get("Operation", "")))
    return plans.check(doc, operation.name, None, now or datetime.now(UTC))


def change_lines(doc: dict[str, Any], limit: int = SHOWN_CHANGES) -> list[str]:
    """One line per planned change: where, which resource (its key), the action, what holds before."""
    key = [c for c in doc.get("Key", []) if c not in ("account_id", "region", "action")]
    before = doc.get("Before", [])
    lines = []
    for change in doc.get("Changes", [])[:limit]:
        row = change["Row"]
        what = " ".join(str(row.get(c, "")) for c in key)
        was = "; ".join(f"{c}={row.get(c, '')}" for c in before)
        lines.append(
            f"  {change['AccountId']} {change['Region']}  {row.get('action', '')}  {what}"
            + (f"  ({was})" if was else "")
        )
    more = len(doc.get("Changes", [])) - limit
    if more > 0:
        lines.append(f"  ... and {more} more (all of them in plan.json)")
    return lines


def print_plan(doc: dict[str, Any], path: Path | None, stream: TextIO) -> None:
    print(f"plan       {doc['Operation']}: {len(doc['Changes'])} changes in {len(doc['Targets'])} targets", file=stream)
    for line in change_lines(doc):
        print(line, file=stream)
    print(f"digest     {doc['Digest']}", file=stream)
    print(f"expires    {doc['ExpiresAt']}", file=stream)
    if path is not None:
        print(f"apply with orgops apply {path}", file=stream)


@guarded
def cmd_plan(args: argparse.Namespace) -> int:
    if args.apply:
        raise UsageError("--apply: orgops plan only plans (a dry run); apply the plan it saves with orgops apply PLAN")
    doc = build_input(args)
    operation, _params = check_input(args.operation, doc)
    if not operation.mutating:
        raise UsageError(f"{operation.name} changes nothing, so it has no plan: run it with orgops run")
    name = args.name or cli_run.execution_name(operation.name)
    out_dir = args.out or cli_run.default_out_dir(operation.name, name)
    check_out_dir(out_dir)
    aws = Aws.from_args(args)
    machine = cli_run.find_state_machine(
        aws.client("stepfunctions"), operation.name, args.state_machine_arn, args.tf_outputs, args.name_prefix
    )
    code = cli_run.start_and_follow(aws, machine, name, doc, args, operation.name, "dry run: the plan", out_dir)
    path = out_dir / plans.PLAN_FILE
    if args.output != "json" and path.exists():
        print_plan(read_plan_file(path), path, sys.stdout)
    return code


def caller_arn(aws: Aws) -> str | None:
    """Who is applying (the audit log's StartedBy), or None when STS cannot say."""
    try:
        return str(aws.client("sts").get_caller_identity()["Arn"])
    except (ClientError, BotoCoreError, KeyError):
        return None


def apply_input(doc: dict[str, Any], started_by: str | None, max_errors: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"Plan": {"Uri": doc["Uri"], "Digest": doc["Digest"]}, "DryRun": False}
    if started_by and targets.STARTED_BY.match(started_by):
        out["StartedBy"] = started_by
    if max_errors is not None:
        out["MaxErrors"] = int(max_errors) if max_errors.isdigit() else max_errors
    targets.parse_input(out)  # as the fanout will: a bad --max-errors is refused here
    return out


@guarded
def cmd_apply(args: argparse.Namespace) -> int:
    doc = checked_plan(args.plan)
    operation = operations.get(doc["Operation"])
    aws = Aws.from_args(args)
    execution_input = apply_input(doc, caller_arn(aws), args.max_errors)
    name = args.name or cli_run.execution_name(operation.name)
    if not args.no_wait:
        check_out_dir(args.out or cli_run.default_out_dir(operation.name, name))
    if args.output != "json":
        print_plan(doc, None, sys.stderr)
    confirm_apply(operation, args.yes)
    machine = cli_run.find_state_machine(
        aws.client("stepfunctions"), operation.name, args.state_machine_arn, args.tf_outputs, args.name_prefix
    )
    mode = f"APPLY the plan {doc['Digest']}"
    return cli_run.start_and_follow(aws, machine, name, execution_input, args, operation.name, mode)


def register(sub: Any) -> None:
    """Add ``plan`` and ``apply`` to the ``orgops`` parser's subparsers."""
    from orgops.cli.operator import _add_lookup_arguments, _add_wait_arguments, _formatter

    p = sub.add_parser(
        "plan",
        help="dry-run a remediation and save its plan (plan.json) for review and orgops apply",
        description="Run mutating OPERATION as a dry run, download its report and its plan, print the changes.",
        epilog=PLAN_EPILOG,
        formatter_class=_formatter,
    )
    p.add_argument("operation", help="a mutating operation (`orgops list`: changes resources)")
    add_targeting_arguments(p)
    p.add_argument("--name", help="execution name (default: OPERATION-<UTC time>-<random>)")
    _add_wait_arguments(p)
    _add_lookup_arguments(p)
    add_aws_arguments(p)
    add_output_argument(p)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser(
        "apply",
        help="apply exactly a reviewed plan (plan.json from orgops plan)",
        description="Start the plan's operation applying exactly the plan's changes; stale ones are skipped.",
        epilog=APPLY_EPILOG,
        formatter_class=_formatter,
    )
    p.add_argument("plan", type=Path, help="the plan.json `orgops plan` saved")
    p.add_argument("--yes", action="store_true", help="apply without asking (scripts)")
    p.add_argument(
        "--max-errors", metavar="N|N%", help="stop starting targets once more than N (or N%%) of them have failed"
    )
    p.add_argument("--name", help="execution name (default: OPERATION-<UTC time>-<random>)")
    p.add_argument("--no-wait", action="store_true", help="print the execution ARN and return at once")
    _add_wait_arguments(p)
    _add_lookup_arguments(p)
    add_aws_arguments(p)
    add_output_argument(p)
    p.set_defaults(func=cmd_apply)
