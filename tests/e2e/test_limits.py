"""AWS's limits, enforced by the emulator (``orgops.emulator.limits``), and what orgops does at them:
nothing is lost. Lambda concurrency (reserved and the account's quota), Express children's 5
minutes (scaled: ``limits.TEST_TIME_SCALE``, 300 s of AWS time = 3 s here), the distributed Map's
tolerated failures, request rates (ListRegions 5 per second, Organizations' listing calls), and
PutFunctionConcurrency's 100 unreserved.

Each test deploys its own operator stack (its own ``name_prefix``) beside the module's world, so
its counters and settings touch nothing else; limits changed on the router are restored after it.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from orgops import report, store
from orgops.emulator import Execution, OperationSettings, Stack, StackSettings, limits
from orgops.emulator.world import member_session
from orgops.sessions import client
from tests.e2e.conftest import REGIONS, Emulated

pytestmark = pytest.mark.e2e

EBS = "unused-ebs-volumes"
FAST, SLOW = "prod-payments", "prod-search"  # both reachable, seeded
NO_RETRIES = Config(retries={"total_max_attempts": 1})
WAIT = 30.0  # seconds any test waits for the emulator's threads at most


def deploy(emulated: Emulated, prefix: str, **settings: Any) -> Stack:
    op = OperationSettings(regions=tuple(REGIONS), **settings)
    return emulated.emu.deploy_stack(StackSettings(name_prefix=prefix, defaults=op), [EBS])


def run(emulated: Emulated, stack: Stack, *names: str) -> Execution:
    accounts = [emulated.world.account_id(n) for n in names]
    return emulated.emu.run(EBS, {"Regions": REGIONS, "Accounts": {"Include": accounts}}, stack=stack)


def worker_of(stack: Stack) -> str:
    return stack.functions[f"worker:{EBS}"].rsplit(":", 1)[-1]


def statuses(
    emulated: Emulated, execution_arn: str, stack: Stack | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """The status items of an execution, from its stack's status table."""
    ddb = client(emulated.emu.session(), "dynamodb", "us-east-1")
    items = store.iter_statuses(ddb, (stack or emulated.emu.stack).status_table, execution_arn)
    return {(i["account_id"], i["region"]): i for i in items}


def targets(emulated: Emulated, *names: str) -> set[tuple[str, str]]:
    return {(emulated.world.account_id(n), r) for n in names for r in REGIONS}


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def errors_of(emulated: Emulated, execution: Execution) -> list[tuple[str, str, str]]:
    assert execution.output is not None
    uri = execution.output["ErrorsUri"]
    rows = emulated.emu.read_csv(uri) if uri else []
    return sorted((e["account_id"], e["region"], e["error_code"]) for e in rows)


def lists_every_planned_target_once(
    emulated: Emulated, stack: Stack, execution: Execution, planned: set[tuple[str, str]]
) -> None:
    """The report's invariant: every planned target once, succeeded (a status) or failed (errors.csv)."""
    assert execution.output is not None
    out = execution.output
    recorded = {k for k, s in statuses(emulated, execution.arn, stack).items() if s["status"] != store.FAILED}
    failed = [(a, r) for a, r, _code in errors_of(emulated, execution)]
    assert len(failed) == len(set(failed))
    assert sorted([*recorded, *failed]) == sorted(planned)
    assert out["Targets"] == len(planned) == out["Succeeded"] + out["Failed"] + out["Skipped"]
    assert out["Failed"] == len(failed)


@pytest.fixture
def router_limits(emulated: Emulated, monkeypatch: pytest.MonkeyPatch) -> Iterator[limits.Limits]:
    """The running emulator's limits; every change a test makes is undone after it."""
    lim = emulated.emu.router.limits
    for name in ("account_concurrency", "request_rates", "rate_buckets", "time_scale", "clock"):
        monkeypatch.setattr(lim, name, getattr(lim, name))
    yield lim
    emulated.emu.router.usage.reset_requests()


class SlotWaits:
    """Stands in for ``time`` in moto's retrier: each Retry wait is recorded, then lasts until the
    worker has no invocation in flight (so a throttled attempt is retried once a slot is free,
    whatever jitter drew), instead of the drawn seconds."""

    def __init__(self, in_flight: Callable[[], int]) -> None:
        self.sleeps: list[float] = []
        self._in_flight = in_flight
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(float(seconds))
        wait_until(lambda: self._in_flight() == 0, "a free slot")

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


# -- Lambda concurrency ---------------------------------------------------------------------------------
def test_each_deployed_worker_has_terraforms_reserved_concurrency(emulated: Emulated) -> None:
    lam = client(emulated.emu.session(), "lambda", "us-east-1")
    for key, arn in emulated.emu.stack.functions.items():
        reserved = lam.get_function_concurrency(FunctionName=arn).get("ReservedConcurrentExecutions")
        assert reserved == (OperationSettings().worker_reserved_concurrency if key.startswith("worker:") else None)


def test_a_worker_reserved_below_the_maps_concurrency_is_throttled_and_every_target_is_still_recorded(
    emulated: Emulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a worker reserved at 2 under an inline Map of 40 (Terraform's limits.tf refuses this at
    # plan; the emulator shows what the Retry does with it), and 4 targets started at once
    stack = deploy(emulated, "orgops-reserved", worker_reserved_concurrency=2)
    worker, usage = worker_of(stack), emulated.emu.router.usage
    waits = SlotWaits(lambda: usage.in_flight(worker))
    monkeypatch.setattr("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl.time", waits)

    def hold(function_name: str, event: dict[str, Any]) -> None:  # the first two hold their slots
        if function_name == worker:  # until the other two have been throttled
            wait_until(lambda: usage.throttles[worker] >= 2, "two throttles")

    emulated.emu.router.before_invoke.append(hold)
    try:
        execution = run(emulated, stack, FAST, SLOW)
    finally:
        emulated.emu.router.before_invoke.remove(hold)

    # Then exactly the two beyond the reservation got Lambda's 429, the Worker's Retry waited once
    # for each and every target ran once and is recorded SUCCEEDED
    assert execution.status == "SUCCEEDED", execution.cause
    assert usage.throttles[worker] == 2
    failed = [e["taskFailedEventDetails"] for e in emulated.emu.history(execution.arn) if e["type"] == "TaskFailed"]
    assert [f["error"] for f in failed] == ["Lambda.TooManyRequestsException"] * 2
    assert all("Rate Exceeded." in f["cause"] for f in failed)
    assert len(waits.sleeps) == 2 and all(0 <= s <= 2 for s in waits.sleeps)  # IntervalSeconds 2, full jitter
    assert emulated.emu.router.invocations[worker] == 4
    recorded = statuses(emulated, execution.arn, stack)
    assert set(recorded) == targets(emulated, FAST, SLOW)
    assert {s["status"] for s in recorded.values()} == {store.SUCCEEDED}
    assert execution.output is not None and (execution.output["Succeeded"], execution.output["Failed"]) == (4, 0)


HOLD_HANDLER = "tests.e2e.test_limits.hold"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("probe.py", "# run in-process by the emulator's router\n")
    return buf.getvalue()


def test_an_account_concurrency_quota_of_n_refuses_invocation_n_plus_one(
    emulated: Emulated, router_limits: limits.Limits, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an account quota of 3 and, in a region with no reservation, a function whose
    # invocations wait until released
    router = emulated.emu.router
    router_limits.account_concurrency = 3
    release = threading.Event()
    monkeypatch.setitem(router.handlers, HOLD_HANDLER, lambda event, env, session, warm: release.wait(WAIT))
    lam = client(emulated.emu.session(), "lambda", "eu-west-1")
    arn = lam.create_function(
        FunctionName="limits-probe",
        Runtime="python3.13",
        Role=emulated.emu.stack.roles["report_role"],
        Handler=HOLD_HANDLER,
        Code={"ZipFile": _zip()},
    )["FunctionArn"]
    answers: list[int] = []

    def held_invocation() -> None:
        own = emulated.emu.session("eu-west-1").client("lambda", config=NO_RETRIES)
        answers.append(own.invoke(FunctionName=arn, Payload=b"{}")["StatusCode"])

    threads = [threading.Thread(target=held_invocation) for _ in range(3)]
    try:
        for t in threads:
            t.start()
        wait_until(lambda: router.usage.in_flight(arn) == 3, "three invocations in flight")

        # When a fourth is invoked
        with pytest.raises(ClientError) as refused:
            emulated.emu.session("eu-west-1").client("lambda", config=NO_RETRIES).invoke(FunctionName=arn)
    finally:
        release.set()
        for t in threads:
            t.join(WAIT)

    # Then Lambda's throttle answers it, the three held ones complete, and a slot is free again
    error = refused.value.response
    assert (error["Error"]["Code"], error["Reason"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "TooManyRequestsException",
        limits.ACCOUNT_LIMIT,
        429,
    )
    assert error["Error"]["Message"] == "Rate Exceeded."
    assert router.usage.throttles["limits-probe"] == 1
    assert answers == [200, 200, 200]
    assert router.usage.in_flight(arn) == 0
    assert lam.invoke(FunctionName=arn)["StatusCode"] == 200


def test_put_function_concurrency_leaving_less_than_100_unreserved_is_refused(emulated: Emulated) -> None:
    lam = client(emulated.emu.session(), "lambda", "us-east-1")
    fanout = emulated.emu.stack.functions["fanout"]
    names = [f["FunctionName"] for page in lam.get_paginator("list_functions").paginate() for f in page["Functions"]]
    reserved = sum(lam.get_function_concurrency(FunctionName=n).get("ReservedConcurrentExecutions", 0) for n in names)
    most = limits.ACCOUNT_CONCURRENCY - reserved - limits.MIN_UNRESERVED  # leaves exactly 100

    with pytest.raises(ClientError) as refused:
        lam.put_function_concurrency(FunctionName=fanout, ReservedConcurrentExecutions=most + 1)

    error = refused.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidParameterValueException",
        400,
    )
    assert error["Error"]["Message"] == (
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        "below its minimum value of [100]."
    )
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=fanout)
    try:
        assert (
            lam.put_function_concurrency(FunctionName=fanout, ReservedConcurrentExecutions=most)[
                "ReservedConcurrentExecutions"
            ]
            == most
        )
    finally:
        lam.delete_function_concurrency(FunctionName=fanout)


# -- Express children and the tolerated failures ----------------------------------------------------------
@pytest.fixture
def slow_batch(emulated: Emulated, router_limits: limits.Limits) -> Iterator[Callable[[Stack], None]]:
    """Express's 5 minutes scaled to 3 s; ``slow(stack)`` makes that stack's worker run 4.5 s (past
    them) for the SLOW account's targets, one batch of the distributed Map."""
    router_limits.time_scale = limits.TEST_TIME_SCALE
    router = emulated.emu.router
    slow_account = emulated.world.account_id(SLOW)
    workers: list[str] = []

    def hook(function_name: str, event: dict[str, Any]) -> None:
        target = event.get("Target") or {}
        if function_name in workers and target.get("AccountId") == slow_account:
            time.sleep(4.5)

    router.before_invoke.append(hook)
    yield lambda stack: workers.append(worker_of(stack))
    router.before_invoke.remove(hook)
    # The timed-out child's workers return after the run: let them end inside the mock.
    for worker in workers:
        wait_until(lambda w=worker: router.usage.in_flight(w) == 0, "the slow workers to return")


def map_run(emulated: Emulated, execution_arn: str) -> dict[str, Any]:
    sfn = client(emulated.emu.session(), "stepfunctions", "us-east-1")
    (only,) = sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]
    return dict(sfn.describe_map_run(mapRunArn=only["mapRunArn"]))


def test_an_express_child_running_past_five_minutes_fails_with_states_timeout_and_its_targets_are_reported(
    emulated: Emulated, slow_batch: Callable[[Stack], None]
) -> None:
    # Given the distributed path (one batch per account) tolerating every failure, and the SLOW
    # account's batch running past Express's limit (scaled to 3 s)
    stack = deploy(emulated, "orgops-express", distributed_threshold=2, batch_size=2, tolerated_failure_percentage=100)
    slow_batch(stack)

    execution = run(emulated, stack, FAST, SLOW)

    # Then that child failed with States.Timeout at 3 s, the other succeeded, the Map Run too
    assert execution.status == "SUCCEEDED", execution.cause
    fast_id, slow_id = emulated.world.account_id(FAST), emulated.world.account_id(SLOW)
    timeouts = [t for t in emulated.emu.router.usage.child_timeouts if t.execution_arn == execution.arn]
    assert [(t.index, t.error, t.seconds) for t in timeouts] == [(int(slow_id > fast_id), "States.Timeout", 3.0)]
    described = map_run(emulated, execution.arn)
    assert described["status"] == "SUCCEEDED"
    counts = described["itemCounts"]
    assert (counts["total"], counts["succeeded"], counts["timedOut"], counts["failed"]) == (2, 1, 1, 0)
    assert described["executionCounts"]["timedOut"] == 1
    # Its targets have no status; the report lists each of them once, FAILED, with the reason
    assert set(statuses(emulated, execution.arn, stack)) == targets(emulated, FAST)
    assert errors_of(emulated, execution) == [(slow_id, r, report.NOT_RECORDED) for r in sorted(REGIONS)]
    lists_every_planned_target_once(emulated, stack, execution, targets(emulated, FAST, SLOW))
    assert execution.output is not None
    assert (execution.output["Succeeded"], execution.output["Failed"], execution.output["NeverRun"]) == (2, 2, 2)


def test_more_failed_children_than_tolerated_fail_the_distributed_map_and_the_report_lists_every_target(
    emulated: Emulated, slow_batch: Callable[[Stack], None]
) -> None:
    # Given the module's default tolerated_failure_percentage (5) and one of two children timing out
    stack = deploy(emulated, "orgops-tolerance", distributed_threshold=2, batch_size=2)
    slow_batch(stack)

    execution = run(emulated, stack, FAST, SLOW)

    # Then the Map fails as a whole (50% > 5%), its Catch hands the error to the report, which
    # still runs and lists every planned target exactly once
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output is not None
    assert execution.output["MapError"]["Error"] == limits.TOLERANCE_ERROR
    map_failed = [e for e in emulated.emu.history(execution.arn) if e["type"] == "MapRunFailed"]
    assert [e["mapRunFailedEventDetails"]["error"] for e in map_failed] == [limits.TOLERANCE_ERROR]
    assert map_run(emulated, execution.arn)["status"] == "FAILED"
    slow_id = emulated.world.account_id(SLOW)
    assert errors_of(emulated, execution) == [(slow_id, r, report.MAP_FAILED) for r in sorted(REGIONS)]
    assert set(statuses(emulated, execution.arn, stack)) == targets(emulated, FAST)
    lists_every_planned_target_once(emulated, stack, execution, targets(emulated, FAST, SLOW))


# -- request rates --------------------------------------------------------------------------------------------
class FrozenClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_list_regions_beyond_five_per_second_per_account_is_throttled(
    emulated: Emulated, router_limits: limits.Limits
) -> None:
    clock = FrozenClock()
    router_limits.clock = clock
    emulated.emu.router.usage.reset_requests()
    acct = emulated.emu.session().client("account", config=NO_RETRIES)

    answers = []
    for _ in range(6):
        try:
            answers.append(len(acct.list_regions()["Regions"]))
        except ClientError as exc:
            answers.append(exc.response)

    assert answers[:5] == [20] * 5
    throttled = answers[5]
    assert isinstance(throttled, dict)
    assert (throttled["Error"]["Code"], throttled["ResponseMetadata"]["HTTPStatusCode"]) == (
        "TooManyRequestsException",
        429,
    )
    assert emulated.emu.router.usage.refused_requests["account:ListRegions"] == 1
    # Per calling account: a member's own bucket is full
    member = member_session(emulated.emu.session(), emulated.world.account_id(FAST))
    assert member.client("account", region_name="us-east-1", config=NO_RETRIES).list_regions()["Regions"]
    # A fifth of a second later, one more token
    clock.now += 0.2
    assert acct.list_regions()["Regions"]
    with pytest.raises(ClientError):
        acct.list_regions()


def test_organizations_reads_share_one_bucket_per_caller_and_are_throttled_as_organizations_answers(
    emulated: Emulated, router_limits: limits.Limits
) -> None:
    clock = FrozenClock()
    router_limits.clock = clock
    emulated.emu.router.usage.reset_requests()
    org = emulated.emu.session().client("organizations", config=NO_RETRIES)
    assert (limits.ORGANIZATIONS_ASSUMED_RATE.per_second, limits.ORGANIZATIONS_ASSUMED_RATE.burst) == (5, 5)

    for _ in range(3):
        org.list_roots()
    org.list_accounts()
    org.describe_organization()
    refused = []
    for call in (org.list_roots, org.list_accounts):  # the sixth and seventh read of the same caller
        with pytest.raises(ClientError) as raised:
            call()
        refused.append(raised.value.response)

    for error in refused:
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
            "TooManyRequestsException",
            400,
        )
        assert error["Error"]["Message"] == (
            "You have sent too many requests in too short a period of time. Try again later."
        )
    assert dict(emulated.emu.router.usage.refused_requests) == {
        "organizations:ListRoots": 1,
        "organizations:ListAccounts": 1,
    }
    clock.now += 0.2  # one token a fifth of a second later
    assert org.list_accounts()["Accounts"]


def test_the_fanout_rides_out_throttled_list_regions_with_its_retries(
    emulated: Emulated, router_limits: limits.Limits
) -> None:
    # Given ListRegions at one token per half second, and a named opt-in region, which makes the
    # fanout read each selected account's regions (one ListRegions call per account, back to back)
    router_limits.request_rates = {**router_limits.request_rates, "account:ListRegions": limits.Rate(2, 1)}
    emulated.emu.router.usage.reset_requests()
    names = (FAST, SLOW, "dev-payments")

    execution = emulated.emu.run(
        EBS,
        {
            "Regions": ["eu-west-1", "af-south-1"],
            "Accounts": {"Include": [emulated.world.account_id(n) for n in names]},
        },
    )

    assert execution.status == "SUCCEEDED", execution.cause
    assert emulated.emu.router.usage.refused_requests["account:ListRegions"] >= 1
    recorded = statuses(emulated, execution.arn)
    assert {k: s["status"] for k, s in recorded.items()} == {
        **{(emulated.world.account_id(n), "eu-west-1"): store.SUCCEEDED for n in names},
        **{(emulated.world.account_id(n), "af-south-1"): store.SKIPPED for n in names},
    }
    assert {s["error_code"] for k, s in recorded.items() if k[1] == "af-south-1"} == {"RegionNotEnabled"}
    assert execution.output is not None and execution.output["Targets"] == 2 * len(names)  # the report ran
