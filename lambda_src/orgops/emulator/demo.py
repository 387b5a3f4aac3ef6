"""``make demo``: every operation, through its state machine, on an emulated organization.

Deploys the stack as Terraform does, creates 13 member accounts in nested OUs (one suspended,
one the member-roles StackSet never reached) plus the management account, seeds resources in
three regions so that every operation with a seeder finds something, runs each operation's
state machine (dry run) with progress shown, prints a summary table and writes each report's
CSVs under ``./reports/<operation>/``. No AWS account: moto, in this process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
BAR = 24


@dataclass
class Progress:
    """Targets done for the running execution, from the router's after-invoke hook."""

    worker: str = ""
    total: int | None = None
    done: int = 0
    failed: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def reset(self, worker: str) -> None:
        with self._lock:
            self.worker, self.total, self.done, self.failed = worker, None, 0, 0

    def hook(self, function_name: str, event: dict[str, Any], result: Any) -> None:
        with self._lock:
            if function_name.endswith("-fanout") and isinstance(result, dict):
                self.total = int(result.get("TargetCount", 0))
            elif function_name == self.worker:
                self.done += 1
                if not isinstance(result, dict) or result.get("Status") == "FAILED":
                    self.failed += 1

    def line(self, operation: str, started: float) -> str:
        with self._lock:
            total, done, failed = self.total, self.done, self.failed
        filled = BAR if not total else min(BAR, BAR * done // total)
        count = f"{done}/{total}" if total is not None else "listing"
        return (
            f"  {operation:<28} [{'#' * filled}{'.' * (BAR - filled)}] {count:>9} targets"
            f"  {failed:>2} failed  {time.monotonic() - started:5.1f}s"
        )


def _isolate_from_local_aws_config() -> None:
    """The demo talks to moto only: no profile, config file or endpoint of the user's may leak in."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's fake credentials
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        MOTO_EC2_LOAD_DEFAULT_AMIS="false",
    )
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)


def table(rows: list[dict[str, Any]]) -> str:
    headers = ("operation", "targets", "succeeded", "failed", "skipped", "rows", "seconds")
    cells = [[str(r[h]) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    fmt = lambda values: "  ".join(  # noqa: E731
        v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))
    )
    lines = [fmt(headers), fmt(["-" * w for w in widths]), *(fmt(c) for c in cells)]
    return "\n".join(lines)


def run_demo(out_dir: Path, stream: TextIO = sys.stdout, operation_names: list[str] | None = None) -> int:
    _isolate_from_local_aws_config()
    from orgops import operations
    from orgops.emulator import seed
    from orgops.emulator.core import Emulator
    from orgops.emulator.server import quiet_moto
    from orgops.emulator.stack import OperationSettings, StackSettings, worker_name
    from orgops.emulator.world import DEMO_ACCOUNTS

    quiet_moto()
    tty = stream.isatty()
    say: Callable[[str], None] = lambda text: print(text, file=stream, flush=True)  # noqa: E731
    names = sorted(operation_names or operations.REGISTRY)
    started = time.monotonic()
    settings = StackSettings(defaults=OperationSettings(regions=tuple(REGIONS)))
    with Emulator.in_process(operations=names, settings=settings) as emu:
        say(f"orgops demo: emulated AWS (moto) in this process; {len(names)} operations deployed as Terraform does")
        world = emu.build_organization(DEMO_ACCOUNTS)
        suspended = [s.name for s in DEMO_ACCOUNTS if s.suspended]
        unreachable = [s.name for s in DEMO_ACCOUNTS if not s.member_roles]
        say(
            f"  organization: {len(world.accounts)} accounts in {len(world.ous)} OUs "
            f"(suspended: {', '.join(suspended)}; no member roles: {', '.join(unreachable)})"
        )
        expected = seed.seed_world(emu.session(), world, REGIONS, names)
        say(
            f"  seeded {sum(len(v) for v in expected.values())} findings in {len(REGIONS)} regions "
            f"({', '.join(REGIONS)}) [{time.monotonic() - started:.1f}s]"
        )
        progress = Progress()
        emu.router.after_invoke.append(progress.hook)
        results: list[dict[str, Any]] = []
        failures = 0
        for name in names:
            progress.reset(worker_name(settings.name_prefix, name))
            op_started = time.monotonic()
            show = (lambda _d, n=name, t=op_started: stream.write("\r" + progress.line(n, t))) if tty else None
            ex = emu.run(name, {"Params": seed.EXAMPLE_PARAMS.get(name, {})}, progress=show)
            if tty:
                stream.write("\r" + progress.line(name, op_started) + "\n")
            else:
                say(progress.line(name, op_started))
            out = ex.output or {}
            if ex.status != "SUCCEEDED":
                failures += 1
                say(f"    {ex.status}: {ex.error}: {ex.cause}")
            results.append(
                {
                    "operation": name,
                    "targets": out.get("Targets", 0),
                    "succeeded": out.get("Succeeded", 0),
                    "failed": out.get("Failed", 0),
                    "skipped": out.get("Skipped", 0),
                    "rows": out.get("Rows", 0),
                    "seconds": f"{ex.seconds:.1f}",
                }
            )
            results[-1]["summary"] = out
            if out:
                write_reports(emu, out, out_dir / name)
        say("")
        say(table(results))
        say("")
        say(
            f"Reports: {out_dir}/<operation>/report.csv (and errors.csv, summary.json). "
            "Failed targets are the account without member roles and, for admin operations, the management "
            "account, which has no operation-admin unless member_roles.management_account_roles asks (AccessDenied). "
            f"Total {time.monotonic() - started:.0f}s."
        )
        plan_run = next((r for r in results if r["operation"] == PLAN_OPERATION), None)
        failures += show_plan_apply(emu, world, plan_run, out_dir, say)
        failures += show_changes(emu, world, expected.get(CHANGES_OPERATION, []), out_dir, say)
        say("Next: `make emulator` serves this world to the AWS CLI (see the README's emulator section).")
    return 1 if failures else 0


CHANGES_OPERATION = "unused-ebs-volumes"
PLAN_OPERATION = "tag-remediation"


def show_plan_apply(
    emu: Any, world: Any, plan_run: dict[str, Any] | None, out_dir: Path, say: Callable[[str], None]
) -> int:
    """One plan/apply cycle of a remediation: tag-remediation's dry run above wrote its plan; one
    planned snapshot is tagged by hand since (its change goes stale), then the plan is applied
    exactly. Prints the plan, what the apply made of each change, and where the change log is.
    Returns 1 when the apply failed, else 0 (0 too when the operation was not run)."""
    from orgops.emulator.world import member_session

    dry = (plan_run or {}).get("summary") or {}
    if not dry.get("PlanUri"):
        return 0
    plan = json.loads(emu.read_object(dry["PlanUri"]))
    say("")
    say(
        f"Plan and apply ({PLAN_OPERATION}): the dry run above planned {len(plan['Changes'])} changes in "
        f"{len(plan['Targets'])} targets; plan {plan['Digest'][:19]}..., expires {plan['ExpiresAt']}"
    )
    stale = plan["Changes"][0]
    session = emu.session()
    if stale["AccountId"] != world.management_account_id:
        session = member_session(session, stale["AccountId"])
    arn = stale["Row"]["resource_arn"]
    session.client("ec2", region_name=stale["Region"]).create_tags(
        Resources=[arn.rsplit("/", 1)[-1]], Tags=[{"Key": "reviewed", "Value": "by-hand"}]
    )
    say(f"  since the plan, {arn} was tagged by hand: its planned change no longer holds")
    execution_input = {
        "Plan": {"Uri": dry["PlanUri"], "Digest": dry["PlanDigest"]},
        "DryRun": False,
        "StartedBy": f"arn:aws:iam::{world.management_account_id}:user/demo",
    }
    ex = emu.run(PLAN_OPERATION, execution_input)
    out = ex.output or {}
    if ex.status != "SUCCEEDED":
        say(f"    {ex.status}: {ex.error}: {ex.cause}")
        return 1
    say(
        f"  applied exactly the plan: {out['Applied']} applied, {out['Stale']} stale (skipped), "
        f"{out['NotPlanned']} not planned, {out['ChangesFailed']} failed"
    )
    say(f"  change log (written once, never overwritten): {out['AuditUri']}")
    write_reports(emu, out, out_dir / PLAN_OPERATION / "apply")
    return 0


def show_changes(emu: Any, world: Any, seeded: list[dict[str, str]], out_dir: Path, say: Callable[[str], None]) -> int:
    """What changed since the last run: one volume deleted, one retagged, one created, then
    unused-ebs-volumes run again with the same input; prints the summary's lead line and changes.csv
    as a table, and saves both runs under ``out_dir/unused-ebs-volumes/<execution name>/`` (for
    ``orgops diff``). Returns 1 when the run failed, else 0 (0 too when the operation was not run)."""
    from orgops import changes, operations, store
    from orgops.cli.diff import table_lines
    from orgops.emulator import seed
    from orgops.emulator.world import member_session

    if len(seeded) < 2:
        return 0
    gone, retagged = seeded[0], seeded[1]

    def ec2(row: dict[str, str]) -> Any:
        account = row["account_id"]
        session = emu.session()
        if account != world.management_account_id:
            session = member_session(session, account)
        return session.client("ec2", region_name=row["region"])

    ec2(gone).delete_volume(VolumeId=gone["volume_id"])
    ec2(retagged).create_tags(Resources=[retagged["volume_id"]], Tags=[{"Key": "owner", "Value": "platform-team"}])
    ec2(gone).create_volume(Size=20, AvailabilityZone=f"{gone['region']}a", VolumeType="gp3")
    say("")
    say(
        f"What changed since the last run: in the emulated world, {gone['volume_id']} deleted, "
        f"{retagged['volume_id']} retagged (owner=platform-team), a new 20 GiB volume in {gone['account_name']} "
        f"{gone['region']}; {CHANGES_OPERATION} runs again with the same input"
    )
    ex = emu.run(CHANGES_OPERATION, {"Params": seed.EXAMPLE_PARAMS.get(CHANGES_OPERATION, {})})
    out = ex.output or {}
    if ex.status != "SUCCEEDED" or not out.get("ChangesUri"):
        say(f"    {ex.status}: {ex.error or 'no changes.csv'}: {ex.cause or out.get('ComparedWith')}")
        return 1
    operation = operations.get(CHANGES_OPERATION)
    say(f"  {changes.lead_line(out, operation.noun)}")
    for line in table_lines(operation, emu.read_csv(out["ChangesUri"])):
        say(f"  {line}")
    folder = out_dir / CHANGES_OPERATION
    baseline_ref = store.ExecutionRef.parse(out["ComparedWith"])
    baseline, name = baseline_ref.name, store.ExecutionRef.parse(ex.arn).name
    before_uri = store.s3_uri(emu.stack.data_bucket, store.report_keys(CHANGES_OPERATION, baseline_ref)["summary"])
    before = {k: v for k, v in json.loads(emu.read_object(before_uri)).items() if k != "ExecutionId"}
    write_reports(emu, before, folder / baseline)
    write_reports(emu, out, folder / name)
    (folder / name / "changes.csv").write_bytes(emu.read_object(out["ChangesUri"]))
    say(f"  Saved: {folder / name}/changes.csv. Compare any two runs: orgops diff {folder / baseline} {folder / name}")
    return 0


def write_reports(emu: Any, summary: dict[str, Any], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.csv").write_bytes(emu.read_object(summary["ReportUri"]))
    errors = directory / "errors.csv"
    if summary.get("ErrorsUri"):
        errors.write_bytes(emu.read_object(summary["ErrorsUri"]))
    elif errors.exists():
        errors.unlink()
    if summary.get("PlanUri"):  # a remediation's dry run: its plan (orgops apply reads it)
        (directory / "plan.json").write_bytes(emu.read_object(summary["PlanUri"]))
    (directory / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orgops.emulator.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports"), help="where the CSVs go (default ./reports)")
    parser.add_argument("operations", nargs="*", help="operations to run (default: all)")
    args = parser.parse_args(argv)
    return run_demo(args.out, operation_names=args.operations or None)


if __name__ == "__main__":
    sys.exit(main())
