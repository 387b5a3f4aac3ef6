"""Canary waves: the canary's targets first, the rest in waves, each behind the gate (NextWave). The
emulator's deployed state machines, both paths.

One emulated world for the module: two accounts in the ``Canaries`` OU, ``canary-ok`` (member roles
deployed) and ``canary-gone`` (the StackSet never reached it: its target fails with
``AccessDenied``), and six healthy accounts in ``Fleet``. One region, so one target per account.
Every operation runs one target at a time (``max_concurrency`` 1; the distributed stack, ``dist``,
one child of one-target batches at a time), so the workers' invocations are in the waves' order.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from orgops import store
from orgops.cli import app as cli
from orgops.cli.common import EXIT_USAGE
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings, World
from orgops.emulator.runs import Execution
from orgops.emulator.server import quiet_moto
from orgops.emulator.stack import Stack
from orgops.sessions import client
from tests.conftest import fake_aws_environment

pytestmark = pytest.mark.e2e

OPERATION = "unused-ebs-volumes"
REGION = "eu-west-1"
FLEET = tuple(f"fleet-{i}" for i in range(1, 7))
SPECS = (
    AccountSpec("canary-ok", "Canaries"),
    AccountSpec("canary-gone", "Canaries", member_roles=False),
    *(AccountSpec(name, "Fleet") for name in FLEET),
)
TOP_STATES = ("Fanout", "ChoosePath", "InlineMap", "DistributedMap", "MoreWaves", "NextWave", "WaveGate", "Report")


@dataclass
class Invocations:
    """The workers' events, in the order they were invoked (a before_invoke hook)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, function: str, event: dict[str, Any]) -> None:
        if function.endswith("-worker"):
            with self.lock:
                self.events.append(json.loads(json.dumps(event)))

    def accounts(self, execution_arn: str) -> list[str]:
        """The accounts whose targets a worker was invoked for, in order (pre-flight checks left out)."""
        with self.lock:
            return [
                e["Target"]["AccountId"]
                for e in self.events
                if e.get("ExecutionId") == execution_arn and not e.get("Preflight")
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

    def statuses(self, execution_arn: str, stack: Stack | None = None) -> dict[str, dict[str, Any]]:
        """Each target's status item, by account id (one region)."""
        ddb = client(self.emu.session(), "dynamodb")
        items = store.iter_statuses(ddb, (stack or self.emu.stack).status_table, execution_arn)
        return {i["account_id"]: i for i in items}

    def errors_csv(self, execution: Execution) -> list[dict[str, str]]:
        uri = (execution.output or {}).get("ErrorsUri")
        return list(csv.DictReader(io.StringIO(self.emu.read_object(uri).decode()))) if uri else []

    def top_states(self, execution_arn: str) -> list[str]:
        """The top-level states the execution entered, in order."""
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.emu.history(execution_arn)
            if e["type"].endswith("StateEntered") and e["stateEnteredEventDetails"]["name"] in TOP_STATES
        ]


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    quiet_moto()
    one_at_a_time = OperationSettings(regions=(REGION,), max_concurrency=1)
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        with Emulator.in_process(operations=(OPERATION,), settings=StackSettings(defaults=one_at_a_time)) as emu:
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


def every_account(env: Env) -> dict[str, Any]:
    """The world's member accounts (not the management account): 8 targets."""
    return {"Accounts": {"Include": env.ids(*(s.name for s in SPECS))}}


# The summary's keys this feature decides (other keys, such as the report's URIs, are other tests').
SUMMARY_KEYS = ("Operation", "Targets", "Succeeded", "Failed", "Skipped", "NotRun", "Rows", "Stopped", "Waves")


def summary_of(ex: Execution) -> dict[str, Any]:
    return {k: v for k, v in (ex.output or {}).items() if k in SUMMARY_KEYS}


# -- a failing canary stops the rest -----------------------------------------------------------------
@pytest.mark.parametrize("path", ["inline", "distributed"])
def test_a_failing_canary_stops_the_run_and_records_every_later_target_not_run_without_starting_it(
    env: Env, path: str
) -> None:
    stack = env.dist if path == "distributed" else None
    canary = [env.id("canary-gone"), env.id("canary-ok")]

    ex = env.emu.run(OPERATION, {**every_account(env), "Canary": canary, "Waves": 2}, stack=stack)

    assert ex.status == "SUCCEEDED"
    # Only the canary's two targets were ever given to a worker, in the plan's (account id) order.
    assert env.calls.accounts(ex.arn) == sorted(canary)
    statuses = {a: (s["status"], s["error_code"]) for a, s in env.statuses(ex.arn, stack).items()}
    assert statuses == {
        env.id("canary-gone"): (store.FAILED, "AccessDenied"),
        env.id("canary-ok"): (store.SUCCEEDED, ""),
        **{a: (store.NOT_RUN, "WaveStopped") for a in env.ids(*FLEET)},
    }
    why = "wave 1 of 3 (canary, 2 targets): 1 failed, more than the 0 failures allowed without MaxErrors"
    assert summary_of(ex) == {
        "Operation": OPERATION,
        "Targets": 8,
        "Succeeded": 1,
        "Failed": 1,
        "Skipped": 0,
        "NotRun": 6,
        "Rows": 0,
        "Stopped": f"{why}; 6 targets not run",
        "Waves": [
            {"Wave": 1, "Targets": 2, "Failed": 1},
            {"Wave": 2, "Targets": 3, "Failed": 0, "NotRun": 3},
            {"Wave": 3, "Targets": 3, "Failed": 0, "NotRun": 3},
        ],
    }
    message = (
        f"not run: {why}, so the later waves never started; orgops run OPERATION --retry-failed EXECUTION_ARN runs "
        "the failed and not-run targets"
    )
    assert {s["error_message"] for a, s in env.statuses(ex.arn, stack).items() if a in env.ids(*FLEET)} == {message}
    assert [(r["account_id"], r["error_code"]) for r in env.errors_csv(ex)] == sorted(
        [(env.id("canary-gone"), "AccessDenied"), *((a, "WaveStopped") for a in env.ids(*FLEET))]
    )
    map_state = "DistributedMap" if path == "distributed" else "InlineMap"
    assert env.top_states(ex.arn) == [
        "Fanout",
        "ChoosePath",
        map_state,
        "MoreWaves",
        "NextWave",
        "WaveGate",
        "Report",
    ]


def test_a_canary_ou_within_max_errors_lets_the_next_waves_run(env: Env) -> None:
    ex = env.emu.run(OPERATION, {**every_account(env), "Canary": [env.world.ous["Canaries"]], "MaxErrors": 1})

    assert ex.status == "SUCCEEDED"
    canary = sorted(env.ids("canary-gone", "canary-ok"))
    assert env.calls.accounts(ex.arn) == canary + sorted(env.ids(*FLEET))
    assert summary_of(ex) == {
        "Operation": OPERATION,
        "Targets": 8,
        "Succeeded": 7,
        "Failed": 1,
        "Skipped": 0,
        "Rows": 0,
        "Waves": [{"Wave": 1, "Targets": 2, "Failed": 1}, {"Wave": 2, "Targets": 6, "Failed": 0}],
    }


def test_max_errors_0_stops_after_a_failing_one_target_canary(env: Env) -> None:
    names = ("canary-gone", "canary-ok", "fleet-1", "fleet-2")
    selected = {"Accounts": {"Include": env.ids(*names)}}

    ex = env.emu.run(OPERATION, {**selected, "Canary": [env.id("canary-gone")], "Waves": 3, "MaxErrors": 0})

    assert env.calls.accounts(ex.arn) == [env.id("canary-gone")]
    assert ex.output["Stopped"] == (
        "wave 1 of 4 (canary, 1 target): 1 failed, more than MaxErrors 0 allows; 3 targets not run"
    )
    assert [w["NotRun"] for w in ex.output["Waves"][1:]] == [1, 1, 1]


def test_max_errors_as_a_percentage_is_compared_with_the_waves_failure_rate(env: Env) -> None:
    # "20%" of 8 targets is 1 for the workers, so the canary's one failure stops no target inside it;
    # but 1 failed of the canary's 4 is 25% of the wave, more than 20%
    canary = env.ids("canary-gone", "canary-ok", "fleet-1", "fleet-2")

    ex = env.emu.run(OPERATION, {**every_account(env), "Canary": canary, "MaxErrors": "20%"})

    assert sorted(env.calls.accounts(ex.arn)) == sorted(canary)
    assert ex.output["Stopped"] == (
        "wave 1 of 2 (canary, 4 targets): 1 failed (25% of the wave), more than MaxErrors 20% allows; 4 targets not run"
    )
    assert ex.output["Waves"] == [
        {"Wave": 1, "Targets": 4, "Failed": 1},
        {"Wave": 2, "Targets": 4, "Failed": 0, "NotRun": 4},
    ]


# -- clean waves run every target, in order -----------------------------------------------------------
def test_a_clean_canary_and_two_waves_run_every_target_one_wave_after_the_other(env: Env) -> None:
    healthy = ("canary-ok", *FLEET)
    rest = sorted(env.ids(*FLEET))

    ex = env.emu.run(
        OPERATION, {"Accounts": {"Include": env.ids(*healthy)}, "Canary": [env.id("canary-ok")], "Waves": 2}
    )

    assert ex.status == "SUCCEEDED"
    assert env.calls.accounts(ex.arn) == [env.id("canary-ok"), *rest]
    assert {s["status"] for s in env.statuses(ex.arn).values()} == {store.SUCCEEDED}
    assert summary_of(ex) == {
        "Operation": OPERATION,
        "Targets": 7,
        "Succeeded": 7,
        "Failed": 0,
        "Skipped": 0,
        "Rows": 0,
        "Waves": [
            {"Wave": 1, "Targets": 1, "Failed": 0},
            {"Wave": 2, "Targets": 3, "Failed": 0},
            {"Wave": 3, "Targets": 3, "Failed": 0},
        ],
    }
    # each wave's Map ended before the gate, and the gate before the next wave's Map began
    wave = ["ChoosePath", "InlineMap", "MoreWaves"]
    assert env.top_states(ex.arn) == [
        "Fanout",
        *wave,
        "NextWave",
        "WaveGate",
        *wave,
        "NextWave",
        "WaveGate",
        *wave,
        "Report",
    ]


def test_percentages_cut_the_plan_at_cumulative_shares_of_every_target(env: Env) -> None:
    healthy = ("canary-ok", *FLEET)  # 7 targets: 25% is 2 (rounded up), 50% is 4, 100% is 7

    ex = env.emu.run(OPERATION, {"Accounts": {"Include": env.ids(*healthy)}, "Waves": ["25%", "50%", "100%"]})

    assert env.calls.accounts(ex.arn) == sorted(env.ids(*healthy))
    assert ex.output["Waves"] == [
        {"Wave": 1, "Targets": 2, "Failed": 0},
        {"Wave": 2, "Targets": 2, "Failed": 0},
        {"Wave": 3, "Targets": 3, "Failed": 0},
    ]
    assert "Stopped" not in ex.output


def test_waves_on_the_distributed_path_take_the_inline_map_for_a_wave_under_the_threshold(env: Env) -> None:
    # distributed_threshold 1: the one-target canary runs inline, the three-target waves distributed
    healthy = ("canary-ok", *FLEET)

    ex = env.emu.run(
        OPERATION,
        {"Accounts": {"Include": env.ids(*healthy)}, "Canary": [env.id("canary-ok")], "Waves": 2},
        stack=env.dist,
    )

    assert ex.status == "SUCCEEDED"
    assert env.calls.accounts(ex.arn) == [env.id("canary-ok"), *sorted(env.ids(*FLEET))]
    assert {s["status"] for s in env.statuses(ex.arn, env.dist).values()} == {store.SUCCEEDED}
    assert [s for s in env.top_states(ex.arn) if s.endswith("Map")] == ["InlineMap", "DistributedMap", "DistributedMap"]
    assert (ex.output["Targets"], ex.output["Succeeded"], [w["Targets"] for w in ex.output["Waves"]]) == (
        7,
        7,
        [1, 3, 3],
    )


# -- refusals --------------------------------------------------------------------------------------------
def test_a_canary_that_matches_no_planned_target_fails_the_execution_naming_it_before_any_worker_runs(
    env: Env,
) -> None:
    outside = env.id("fleet-1")  # not selected by Accounts.Include

    ex = env.emu.run(
        OPERATION, {"Accounts": {"Include": env.ids("canary-ok")}, "Canary": [env.id("canary-ok"), outside]}
    )

    assert (ex.status, ex.error) == ("FAILED", "InvalidInput")
    assert json.loads(ex.cause or "{}")["errorMessage"] == (
        f"Canary: {outside} (Canary[1]) matches no planned target of this run: a canary account must be selected by "
        "the run's Accounts filters, ACTIVE and have a region to run in (an OU or root: hold such an account); fix or "
        "remove it"
    )
    assert env.calls.accounts(ex.arn) == []
    assert env.statuses(ex.arn) == {}


def test_orgops_run_refuses_bad_waves_before_starting_anything(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["run", OPERATION, "--canary", env.id("canary-ok"), "--waves", "5%,25%", "--no-wait"])

    assert code == EXIT_USAGE
    assert capsys.readouterr().err == (
        'orgops: Waves[1]: the last wave must be "100%" (the percentages are cumulative: the last wave runs every '
        'target left), got "25%"\n'
    )
