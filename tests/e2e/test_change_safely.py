"""Changing the organization safely: MaxErrors stops a run, RetryFailed runs what failed, Preflight
fails fast. The emulator's deployed state machines, both paths.

One emulated world for the module: ``ok-a`` and ``ok-b`` (member roles deployed), ``gone-1`` to
``gone-5`` (the StackSet never reached them: every target there fails with ``AccessDenied``), and
``closed`` (suspended). Every operation runs one target at a time (``max_concurrency`` 1; the
distributed stack, ``dist``, one child of one-target batches at a time), so which targets ran
before the budget was exceeded is decided by the targets' order (account id, then region).
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from orgops import store
from orgops.cli import app as cli
from orgops.cli.common import EXIT_TARGETS_FAILED, EXIT_USAGE
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings, World
from orgops.emulator.runs import Execution
from orgops.emulator.server import quiet_moto
from orgops.emulator.stack import Stack
from orgops.sessions import client
from tests.conftest import fake_aws_environment

pytestmark = pytest.mark.e2e

OPERATION = "unused-ebs-volumes"
WITH_PARAMS = "unused-nat-gateways"  # Params.Days: a retry must reuse the earlier run's
OTHER = "public-ips"
REGION = "eu-west-1"
GONE = ("gone-1", "gone-2", "gone-3", "gone-4", "gone-5")
SPECS = (
    AccountSpec("ok-a"),
    AccountSpec("ok-b"),
    *(AccountSpec(name, member_roles=False) for name in GONE),
    AccountSpec("closed", suspended=True),
)


@dataclass
class Invocations:
    """The workers' events, in the order they were invoked (a before_invoke hook)."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, function: str, event: dict[str, Any]) -> None:
        if function.endswith("-worker"):
            with self.lock:
                self.events.append((function, json.loads(json.dumps(event))))

    def of(self, execution_arn: str, preflight: bool = False) -> list[dict[str, Any]]:
        with self.lock:
            return [
                e
                for _, e in self.events
                if e.get("ExecutionId") == execution_arn and bool(e.get("Preflight")) is preflight
            ]


@dataclass(frozen=True)
class Env:
    emu: Emulator
    world: World
    dist: Stack
    calls: Invocations

    def id(self, name: str) -> str:
        return self.world.account_id(name)

    def ids(self, *names: str) -> list[str]:
        return [self.id(n) for n in names]

    def statuses(self, execution_arn: str, stack: Stack | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        ddb = client(self.emu.session(), "dynamodb")
        items = store.iter_statuses(ddb, (stack or self.emu.stack).status_table, execution_arn)
        return {(i["account_id"], i["region"]): i for i in items}

    def errors_csv(self, execution: Execution) -> list[dict[str, str]]:
        uri = (execution.output or {}).get("ErrorsUri")
        return list(csv.DictReader(io.StringIO(self.emu.read_object(uri).decode()))) if uri else []


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    quiet_moto()
    one_at_a_time = OperationSettings(regions=(REGION,), max_concurrency=1)
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        with Emulator.in_process(
            operations=(OPERATION, WITH_PARAMS, OTHER), settings=StackSettings(defaults=one_at_a_time)
        ) as emu:
            world = emu.build_organization(SPECS)
            distributed = OperationSettings(
                regions=(REGION,),
                distributed_threshold=1,
                batch_size=1,
                distributed_max_concurrency=1,
                batch_max_concurrency=1,
            )
            dist = emu.deploy_stack(StackSettings(name_prefix="dist", defaults=distributed), operations=(OPERATION,))
            calls = Invocations()
            emu.router.before_invoke.append(calls)
            yield Env(emu, world, dist, calls)


def expected_statuses(env: Env, names: tuple[str, ...], max_errors: int) -> dict[tuple[str, str], str]:
    """What a one-at-a-time run gives: targets in account-id order, a failing one FAILED while no
    more than ``max_errors`` have failed, NOT_RUN after."""
    failures, out = 0, {}
    for account in sorted(env.ids(*names)):
        key = (account, REGION)
        if failures > max_errors:
            out[key] = store.NOT_RUN
        elif account in env.ids(*GONE):
            out[key] = store.FAILED
            failures += 1
        else:
            out[key] = store.SUCCEEDED
    return out


# -- MaxErrors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["inline", "distributed"])
def test_max_errors_2_with_5_failing_targets_stops_after_the_third_failure_and_records_the_rest_not_run(
    env: Env, path: str
) -> None:
    stack = env.dist if path == "distributed" else None

    ex = env.emu.run(OPERATION, {"Accounts": {"Include": env.ids(*GONE)}, "MaxErrors": 2}, stack=stack)

    assert ex.status == "SUCCEEDED"
    order = sorted(env.ids(*GONE))
    recorded = env.statuses(ex.arn, stack)
    statuses = {k: (s["status"], s["error_code"]) for k, s in recorded.items()}
    assert statuses == {
        **{(a, REGION): (store.FAILED, "AccessDenied") for a in order[:3]},
        **{(a, REGION): (store.NOT_RUN, "MaxErrors") for a in order[3:]},
    }
    assert {k: v for k, v in ex.output.items() if k not in ("ReportUri", "ErrorsUri")} == {
        "Operation": OPERATION,
        "Targets": 5,
        "Succeeded": 0,
        "Failed": 3,
        "Skipped": 0,
        "NotRun": 2,
        "Rows": 0,
        "Stopped": "MaxErrors 2 exceeded: 3 targets failed, more than the 2 allowed, so 2 targets were not run "
        "(NOT_RUN, listed in the errors CSV)",
        # the first run of this selection on this path: nothing to compare with
        "ComparedWith": None,
        "ChangesUri": None,
    }
    not_run = recorded[(order[3], REGION)]["error_message"]
    assert not_run.startswith(
        "not run: 3 targets of this execution had failed when this one was to start, more than MaxErrors 2 allows"
    )
    assert [(r["account_id"], r["error_code"]) for r in env.errors_csv(ex)] == [
        *((a, "AccessDenied") for a in order[:3]),
        *((a, "MaxErrors") for a in order[3:]),
    ]


def test_a_percentage_is_a_count_of_the_planned_targets_and_targets_already_succeeded_stay(env: Env) -> None:
    names = ("ok-a", "ok-b", *GONE)  # 7 targets: "30%" of 7 is 2 (rounded down)

    ex = env.emu.run(OPERATION, {"Accounts": {"Include": env.ids(*names)}, "MaxErrors": "30%"})

    assert {k: s["status"] for k, s in env.statuses(ex.arn).items()} == expected_statuses(env, names, 2)
    assert ex.output["Stopped"].startswith("MaxErrors 30% exceeded (30% of 7 planned targets: 2): 3 targets failed")


def test_without_max_errors_every_target_runs_and_nothing_is_counted(env: Env) -> None:
    ex = env.emu.run(OPERATION, {"Accounts": {"Include": env.ids(*GONE)}})

    assert {s["status"] for s in env.statuses(ex.arn).values()} == {store.FAILED}
    assert "NotRun" not in ex.output and "Stopped" not in ex.output
    ddb = client(env.emu.session(), "dynamodb")
    assert store.read_run(ddb, env.emu.stack.status_table, ex.arn) is None


def test_terraforms_max_errors_is_the_default_and_the_inputs_overrides_it(env: Env) -> None:
    settings = OperationSettings(regions=(REGION,), max_concurrency=1, max_errors="1")
    budget = env.emu.deploy_stack(StackSettings(name_prefix="budget", defaults=settings), operations=(OPERATION,))
    selected = {"Accounts": {"Include": env.ids(*GONE)}}

    by_default = env.emu.run(OPERATION, selected, stack=budget)
    overridden = env.emu.run(OPERATION, {**selected, "MaxErrors": "100%"}, stack=budget)

    assert (
        sorted(s["status"] for s in env.statuses(by_default.arn, budget).values())
        == [store.FAILED] * 2 + [store.NOT_RUN] * 3
    )
    assert {s["status"] for s in env.statuses(overridden.arn, budget).values()} == {store.FAILED}


@pytest.mark.parametrize(
    ("max_errors", "shown"),
    [("150%", '"150%"'), (-1, "-1"), ("x", '"x"'), ("0%", '"0%"'), (2.5, "2.5"), (True, "true")],
)
def test_a_bad_max_errors_fails_the_execution_before_any_worker_runs_with_the_exact_message(
    env: Env, max_errors: Any, shown: str
) -> None:
    ex = env.emu.run(OPERATION, {"MaxErrors": max_errors})

    assert (ex.status, ex.error) == ("FAILED", "InvalidInput")
    assert json.loads(ex.cause or "{}")["errorMessage"] == (
        "MaxErrors: must be a whole number of failed targets from 0 (0: stop after the first failure) or a "
        f'percentage of the planned targets from "1%" to "100%", like 3 or "10%"; got {shown}'
    )
    assert env.calls.of(ex.arn) == []
    assert env.statuses(ex.arn) == {}


def test_orgops_run_refuses_a_bad_max_errors_before_starting_anything(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["run", OPERATION, "--max-errors", "150%", "--no-wait"])

    assert code == EXIT_USAGE
    assert capsys.readouterr().err == (
        "orgops: MaxErrors: must be a whole number of failed targets from 0 (0: stop after the first failure) or a "
        'percentage of the planned targets from "1%" to "100%", like 3 or "10%"; got "150%"\n'
    )


# -- RetryFailed -------------------------------------------------------------------------------
def run_cli(*args: str) -> int:
    return cli.main([*args, "--region", "us-east-1", "--poll-seconds", "0.05"])


def latest_execution(env: Env, operation: str) -> str:
    sfn = client(env.emu.session(), "stepfunctions")
    found = sfn.list_executions(stateMachineArn=env.emu.stack.state_machines[operation])["executions"]
    return str(max(found, key=lambda e: e["startDate"])["executionArn"])


def test_retry_failed_runs_exactly_the_failed_and_not_run_targets_with_the_earlier_params(
    env: Env, tmp_path: Path
) -> None:
    names = ("ok-a", "gone-1", "gone-2", "gone-3", "gone-4")
    earlier = env.emu.run(
        WITH_PARAMS, {"Accounts": {"Include": env.ids(*names)}, "Params": {"Days": 30}, "MaxErrors": 1}
    )
    first = {k: s["status"] for k, s in env.statuses(earlier.arn).items()}
    assert first == expected_statuses(env, names, 1)
    wanted = {k for k, s in first.items() if s in (store.FAILED, store.NOT_RUN)}

    code = run_cli("run", WITH_PARAMS, "--retry-failed", earlier.arn, "--out", str(tmp_path))

    retry = latest_execution(env, WITH_PARAMS)
    assert retry != earlier.arn
    workers = env.calls.of(retry)
    assert sorted((e["Target"]["AccountId"], e["Target"]["Region"]) for e in workers) == sorted(wanted)
    assert {json.dumps(e["Common"]["Params"]) for e in workers} == {'{"Days": 30}'}
    assert set(env.statuses(retry)) == wanted
    summary = json.loads((tmp_path / "summary.json").read_text())
    failing = {k for k in wanted if k[0] in env.ids(*GONE)}  # the rest were NOT_RUN, and succeed now
    assert (summary["RetryOf"], summary["Targets"], summary["Failed"], summary["Succeeded"]) == (
        earlier.arn,
        len(wanted),
        len(failing),
        len(wanted - failing),
    )
    assert code == EXIT_TARGETS_FAILED


def test_retry_failed_of_a_run_where_everything_succeeded_runs_nothing(env: Env) -> None:
    earlier = env.emu.run(OPERATION, {"Accounts": {"Include": env.ids("ok-a", "ok-b")}})

    retry = env.emu.run(OPERATION, {"RetryFailed": earlier.arn})

    assert retry.status == "SUCCEEDED"
    assert (retry.output["Targets"], retry.output["RetryOf"]) == (0, earlier.arn)
    assert env.calls.of(retry.arn) == []


def test_retry_failed_of_another_operations_execution_is_refused_naming_both(env: Env) -> None:
    other = env.emu.run(OTHER, {"Accounts": {"Include": env.ids("ok-a")}})

    ex = env.emu.run(OPERATION, {"RetryFailed": other.arn})

    assert (ex.status, ex.error) == ("FAILED", "InvalidInput")
    assert json.loads(ex.cause or "{}")["errorMessage"] == (
        f"RetryFailed: {other.arn} is an execution of state machine orgops-{OTHER} (operation {OTHER}), not of "
        f"orgops-{OPERATION} (operation {OPERATION}), which this execution runs: retry it with orgops run {OTHER} "
        "--retry-failed ARN"
    )
    assert env.calls.of(ex.arn) == []


def test_retry_failed_of_an_execution_that_does_not_exist_is_refused(env: Env) -> None:
    missing = env.emu.stack.state_machines[OPERATION].replace(":stateMachine:", ":execution:") + ":no-such-run"

    ex = env.emu.run(OPERATION, {"RetryFailed": missing})

    assert (ex.status, ex.error) == ("FAILED", "InvalidInput")
    message = json.loads(ex.cause or "{}")["errorMessage"]
    assert message.startswith(f"RetryFailed: no execution {missing} (ExecutionDoesNotExist): check the ARN")


def test_orgops_run_refuses_retry_failed_of_another_operation_before_starting_anything(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    other = env.emu.stack.state_machines[OTHER].replace(":stateMachine:", ":execution:") + ":run-1"

    code = run_cli("run", OPERATION, "--retry-failed", other, "--no-wait")

    assert code == EXIT_USAGE
    assert f"is an execution of state machine orgops-{OTHER} (operation {OTHER})" in capsys.readouterr().err


def test_retry_failed_with_target_flags_is_refused_naming_the_field(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = env.emu.stack.state_machines[OPERATION].replace(":stateMachine:", ":execution:") + ":run-1"

    code = run_cli("run", OPERATION, "--retry-failed", arn, "--regions", REGION, "--no-wait")

    assert code == EXIT_USAGE
    assert capsys.readouterr().err == (
        "orgops: Regions: does not apply with RetryFailed, which runs exactly the failed and not-run targets of the "
        "earlier execution: remove Regions\n"
    )


# -- Preflight ---------------------------------------------------------------------------------
def test_preflight_fails_fast_naming_the_unreachable_accounts_and_runs_no_target(env: Env) -> None:
    names = ("ok-a", "gone-1", "gone-2", "closed")

    ex = env.emu.run(OPERATION, {"Accounts": {"Include": env.ids(*names)}, "Preflight": True})

    assert (ex.status, ex.error) == ("FAILED", "PreflightFailed")
    message = json.loads(ex.cause or "{}")["errorMessage"]
    gone = sorted(env.ids("gone-1", "gone-2"))
    assert message.startswith("2 of 3 accounts cannot be reached (the worker's role cannot assume their member role)")
    for account in gone:
        name = dict(zip(env.ids(*names), names, strict=True))[account]
        assert (
            f"{account} ({name}): AccessDenied: cannot assume arn:aws:iam::{account}:role/operation-readonly" in message
        )
    assert env.id("ok-a") not in message
    # one pre-flight invocation per active account, no target run, nothing recorded
    assert sorted(e["Target"]["AccountId"] for e in env.calls.of(ex.arn, preflight=True)) == sorted(
        env.ids("ok-a", "gone-1", "gone-2")
    )
    assert env.calls.of(ex.arn) == []
    assert env.statuses(ex.arn) == {}


def test_preflight_with_every_account_reachable_runs_the_targets(env: Env) -> None:
    ex = env.emu.run(OPERATION, {"Accounts": {"Include": env.ids("ok-a", "ok-b")}, "Preflight": True})

    assert ex.status == "SUCCEEDED"
    assert {s["status"] for s in env.statuses(ex.arn).values()} == {store.SUCCEEDED}
    assert len(env.calls.of(ex.arn, preflight=True)) == 2
