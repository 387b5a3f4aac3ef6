"""Stopping a run: Ctrl-C and "y" in `orgops run`, against the emulator's deployed state machine.

One emulated world for the module: the management account, "alpha" (an unattached volume in
eu-west-1: the only report row), "beta", and "gamma" (suspended: its two targets are SKIPPED by
the fanout). ``unused-ebs-volumes`` runs its 6 targets one at a time (``max_concurrency`` 1),
each worker slowed down by a ``before_invoke`` hook, so that a stop lands mid-run. Ctrl-C is a
real SIGINT to this process, sent from the hook when a given worker starts; the terminal that
answers the prompt is ``Operator``.

AWS ends a stopped execution ``ABORTED``, starts no task after the stop, and the operation's
EventBridge rule hands the report function the status change, which writes the report of the
targets that finished (``"Partial": true``).
"""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from orgops import cli, store
from orgops.cli import progress
from orgops.cli.common import EXIT_EXECUTION_FAILED, EXIT_INTERRUPTED, EXIT_OK
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings, World
from orgops.emulator.lambdas import status_change_event
from orgops.emulator.server import quiet_moto
from orgops.emulator.world import member_session
from tests.conftest import fake_aws_environment
from tests.terraform import hcl

pytestmark = pytest.mark.e2e

OPERATION = "unused-ebs-volumes"
MACHINE = f"orgops-{OPERATION}"
REGIONS = ("eu-west-1", "us-east-1")
SPECS = (AccountSpec("alpha"), AccountSpec("beta"), AccountSpec("gamma", suspended=True))
RUN_TARGETS, SKIPPED_TARGETS = 6, 2  # management, alpha, beta in two regions; gamma's two
WORKER_SECONDS = 0.3
STOP_AT_WORKER = 3  # Ctrl-C when the third worker starts: two targets have finished by then


@dataclass
class Workers:
    """The before_invoke hook: slows each worker down, notes when each started, may act on a start."""

    seconds: float = WORKER_SECONDS
    started: list[float] = field(default_factory=list)
    on_start: Callable[[int], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, function_name: str, event: dict[str, Any]) -> None:
        if not function_name.endswith("-worker"):
            return
        with self.lock:
            self.started.append(time.time())
            count = len(self.started)
        if self.on_start is not None:
            self.on_start(count)
        time.sleep(self.seconds)

    def reset(self, on_start: Callable[[int], None] | None = None) -> None:
        with self.lock:
            self.started.clear()
            self.on_start = on_start


@dataclass(frozen=True)
class Env:
    emu: Emulator
    world: World
    workers: Workers

    def arn(self, name: str) -> str:
        return f"arn:aws:states:{self.emu.region}:{self.world.management_account_id}:execution:{MACHINE}:{name}"

    def describe(self, name: str) -> dict[str, Any]:
        return self.emu.session().client("stepfunctions").describe_execution(executionArn=self.arn(name))

    def statuses(self, name: str) -> list[dict[str, Any]]:
        ddb = self.emu.session().client("dynamodb")
        return list(store.iter_statuses(ddb, self.emu.stack.status_table, self.arn(name)))

    def summary(self, name: str) -> dict[str, Any]:
        uri = f"s3://{self.emu.stack.data_bucket}/reports/{OPERATION}/{name}/summary.json"
        return json.loads(self.emu.read_object(uri))


class Operator(io.StringIO):
    """The terminal: ``isatty``, and ``answer()`` typed at the prompt (``input`` reads ``readline``)."""

    def __init__(self, answer: Callable[[], str]) -> None:
        super().__init__()
        self._answer = answer

    def isatty(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:
        return self._answer() + "\n"


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    quiet_moto()
    settings = StackSettings(defaults=OperationSettings(regions=REGIONS, max_concurrency=1))
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        with Emulator.in_process(operations=[OPERATION], settings=settings) as emu:
            world = emu.build_organization(SPECS)
            ec2 = member_session(emu.session(), world.account_id("alpha")).client("ec2", region_name="eu-west-1")
            ec2.create_volume(Size=5, AvailabilityZone="eu-west-1a", VolumeType="gp3")
            workers = Workers()
            emu.router.before_invoke.append(workers)
            yield Env(emu, world, workers)


def ctrl_c_at(worker: int) -> Callable[[int], None]:
    def on_start(count: int) -> None:
        if count == worker:
            os.kill(os.getpid(), signal.SIGINT)  # the main thread, following the run, gets KeyboardInterrupt

    return on_start


def run_cli(monkeypatch: pytest.MonkeyPatch, operator: Operator, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", operator)
    return cli.main(["run", OPERATION, "--regions", *REGIONS, "--poll-seconds", "0.05", *args])


@dataclass(frozen=True)
class Stopped:
    code: int
    name: str
    out: Path
    stdout: str
    stderr: str
    answered_at: float  # when the operator typed "y": StopExecution follows at once
    worker_starts: list[float]  # when each worker started, until well after the stop


@pytest.fixture(scope="module")
def stopped(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stopped]:
    """One run interrupted when its third worker starts, the operator answering "y" at once."""
    out = tmp_path_factory.mktemp("stopped")
    answered: list[float] = []

    def yes() -> str:
        answered.append(time.time())
        return "y"

    env.workers.reset(ctrl_c_at(STOP_AT_WORKER))
    capture = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdout", capture[0])
        mp.setattr("sys.stderr", capture[1])
        code = run_cli(mp, Operator(yes), "--name", "stopped-1", "--out", str(out))
    time.sleep(3 * WORKER_SECONDS)  # time for more workers to start, were any still to
    starts = list(env.workers.started)
    env.workers.reset()
    yield Stopped(code, "stopped-1", out, capture[0].getvalue(), capture[1].getvalue(), answered[0], starts)


def test_a_stopped_execution_ends_aborted_with_the_operators_error_and_exit_130(env: Env, stopped: Stopped) -> None:
    described = env.describe(stopped.name)
    assert (described["status"], described.get("error")) == ("ABORTED", "orgops.Interrupted")
    assert described["cause"] == "stopped by the operator (Ctrl-C)"
    history = env.emu.history(env.arn(stopped.name))
    assert history[-1]["type"] == "ExecutionAborted"
    assert not [e for e in history if e["type"] == "ExecutionFailed"]
    assert f"orgops: stopped {env.arn(stopped.name)}" in stopped.stderr
    assert stopped.code == EXIT_INTERRUPTED


def test_no_worker_starts_after_the_stop(env: Env, stopped: Stopped) -> None:
    # The third worker was running when "y" was typed (workers run one at a time): no fourth.
    assert len(stopped.worker_starts) == STOP_AT_WORKER
    assert max(stopped.worker_starts) < stopped.answered_at
    history = env.emu.history(env.arn(stopped.name))
    assert sum(e["type"] == "MapIterationStarted" for e in history) == STOP_AT_WORKER
    # Whoever asks: an invocation for the stopped execution is refused before anything runs.
    before = env.emu.router.invocations.get(f"{MACHINE}-worker", 0)
    target = {"AccountId": env.world.account_id("beta"), "AccountName": "beta", "Region": REGIONS[1]}
    task = {"Target": target, "Common": {"Operation": OPERATION}, "ExecutionId": env.arn(stopped.name)}
    answer = (
        env.emu.session()
        .client("lambda")
        .invoke(FunctionName=env.emu.stack.functions[f"worker:{OPERATION}"], Payload=json.dumps(task).encode())
    )
    assert answer.get("FunctionError") == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorType"] == "ExecutionStopped"
    assert env.workers.started == []  # the hook never ran
    assert env.emu.router.invocations.get(f"{MACHINE}-worker", 0) == before


def test_the_partial_report_holds_exactly_the_targets_that_finished(env: Env, stopped: Stopped) -> None:
    summary = env.summary(stopped.name)
    recorded = env.statuses(stopped.name)  # what RecordStatus (and the fanout, for SKIPPED) wrote
    history = env.emu.history(env.arn(stopped.name))
    ran = sum(
        e["type"] == "TaskStateExited" and e["stateExitedEventDetails"]["name"] == progress.RECORD_STATE
        for e in history
    )
    assert ran == STOP_AT_WORKER - 1
    assert (summary["Partial"], summary["Status"]) == (True, "ABORTED")
    assert len(recorded) == ran + SKIPPED_TARGETS < RUN_TARGETS + SKIPPED_TARGETS
    # Every planned target appears once: the ones that never finished are FAILED NotRun.
    not_run = RUN_TARGETS - ran
    assert summary["Targets"] == RUN_TARGETS + SKIPPED_TARGETS
    assert (summary["Succeeded"], summary["Failed"], summary["Skipped"]) == (ran, not_run, SKIPPED_TARGETS)
    errors = env.emu.read_csv(summary["ErrorsUri"])
    finished = {(s["account_id"], s["region"]) for s in recorded}
    assert [e["error_code"] for e in errors] == ["NotRun"] * not_run
    assert not {(e["account_id"], e["region"]) for e in errors} & finished
    # Downloaded, and said to be partial.
    assert json.loads((stopped.out / "summary.json").read_text())["Partial"] is True
    assert (stopped.out / "report.csv").exists()
    assert "partial    the report holds only the targets that finished before the execution ended ABORTED" in (
        stopped.stdout
    )


def test_a_run_that_finished_before_the_yes_is_reported_as_it_finished(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "finished-before-yes"

    def yes_once_it_ended() -> str:  # the operator is slow to answer: the run ends meanwhile
        for _ in range(600):
            if env.describe(name)["status"] != "RUNNING":
                break
            time.sleep(0.05)
        return "y"

    env.workers.reset(ctrl_c_at(RUN_TARGETS - 1))
    try:
        code = run_cli(monkeypatch, Operator(yes_once_it_ended), "--name", name, "--out", str(tmp_path))
    finally:
        env.workers.reset()
    assert env.describe(name)["status"] == "SUCCEEDED"
    assert code == EXIT_OK
    out, err = capsys.readouterr()
    assert "status     SUCCEEDED" in out
    assert "the execution had already ended SUCCEEDED before the stop reached it" in err
    assert f"orgops: stopped {env.arn(name)}" not in err
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["Targets"], summary["Succeeded"], summary["Rows"]) == (8, 6, 1)
    assert "Partial" not in summary


def test_an_execution_that_failed_after_the_fanout_gets_a_partial_report_too(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def report_step_fails(function_name: str, event: dict[str, Any]) -> None:
        if function_name.endswith("-report") and "ExecutionId" in event:  # the Report step, not the rule's
            raise RuntimeError("report step down")

    env.workers.reset()
    env.workers.seconds = 0.0
    env.emu.router.before_invoke.append(report_step_fails)
    try:
        code = run_cli(monkeypatch, Operator(lambda: "n"), "--name", "failed-1", "--out", str(tmp_path))
    finally:
        env.emu.router.before_invoke.remove(report_step_fails)
        env.workers.seconds = WORKER_SECONDS
    assert env.describe("failed-1")["status"] == "FAILED"
    assert code == EXIT_EXECUTION_FAILED
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["Partial"], summary["Status"]) == (True, "FAILED")
    assert (summary["Targets"], summary["Succeeded"], summary["Skipped"], summary["Rows"]) == (8, 6, 2, 1)
    assert (tmp_path / "report.csv").read_text().count("\n") == 2  # the header and alpha's volume
    assert "partial    the report holds only the targets that finished before the execution ended FAILED" in (
        capsys.readouterr().out
    )


def test_the_emulator_hands_the_report_function_the_event_the_terraform_rule_does() -> None:
    (target,) = [
        b
        for b in hcl.typed_blocks("resource", [hcl.MODULES / "operation" / "main.tf"])
        if (b.type, b.name) == ("aws_cloudwatch_event_target", "partial_report")
    ]
    assert hcl.string(target.body["rule"]) == "${aws_cloudwatch_event_rule.failed.name}"
    assert hcl.string(target.body["arn"]) == "${var.report_function_arn}"
    (transformer,) = target.body["input_transformer"]
    paths = transformer["input_paths"]
    values = {
        "$.detail.executionArn": "arn:aws:states:us-east-1:123456789012:execution:orgops-x:run-1",
        "$.detail.stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:orgops-x",
        "$.detail.status": "ABORTED",
    }
    # A heredoc (<<-EOT ... EOT); EventBridge puts each path's JSON value in place of <name>, and
    # Terraform renders ${var.operation}.
    template = hcl.string(transformer["input_template"])
    if template.startswith("<<"):
        template = template.split("\n", 1)[1].rsplit("\n", 1)[0]
    text = template.strip().replace("${var.operation}", OPERATION)
    for name, path in paths.items():
        text = text.replace(f"<{name}>", json.dumps(values[hcl.string(path)]))
    assert json.loads(text) == status_change_event(OPERATION, *values.values())


def test_an_execution_refused_by_the_fanout_gets_no_partial_report(env: Env) -> None:
    before = env.emu.router.invocations.get("orgops-report", 0)

    ex = env.emu.run(OPERATION, {"Accounts": {"Include": ["999999999999"]}})

    assert (ex.status, ex.error) == ("FAILED", "InvalidInput")
    assert env.emu.router.invocations.get("orgops-report", 0) == before + 1  # the rule fired
    s3 = env.emu.session().client("s3")
    name = ex.arn.rsplit(":", 1)[1]
    listed = s3.list_objects_v2(Bucket=env.emu.stack.data_bucket, Prefix=f"reports/{OPERATION}/{name}/")
    assert listed.get("KeyCount", 0) == 0  # no target ran: nothing to report


def test_the_report_function_accepts_the_raw_eventbridge_status_change(env: Env, stopped: Stopped) -> None:
    arn = env.arn(stopped.name)
    key = f"reports/{OPERATION}/{stopped.name}/summary.json"
    s3 = env.emu.session().client("s3")
    s3.delete_object(Bucket=env.emu.stack.data_bucket, Key=key)
    event = {  # as EventBridge delivers it without an input transformer: the operation is not named
        "version": "0",
        "id": "0b8d2a45-0000-0000-0000-000000000000",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": env.world.management_account_id,
        "region": env.emu.region,
        "resources": [arn],
        "detail": {
            "executionArn": arn,
            "stateMachineArn": env.emu.stack.state_machines[OPERATION],
            "name": stopped.name,
            "status": "ABORTED",
            "error": "orgops.Interrupted",
        },
    }
    answer = (
        env.emu.session()
        .client("lambda")
        .invoke(FunctionName=env.emu.stack.functions["report"], Payload=json.dumps(event).encode())
    )

    assert "FunctionError" not in answer
    summary = env.summary(stopped.name)
    assert (summary["Operation"], summary["Partial"], summary["Status"]) == (OPERATION, True, "ABORTED")
    assert summary["Targets"] == RUN_TARGETS + SKIPPED_TARGETS  # the unfinished ones as NotRun
    assert summary["Succeeded"] == STOP_AT_WORKER - 1
