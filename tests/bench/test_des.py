"""benchmarks.des, the discrete-event model of a run on AWS: exact properties at small sizes."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from pathlib import Path

import hcl2
import pytest

from benchmarks import des

ROOT = Path(__file__).resolve().parents[2]
# No quota binds, no AWS latency: a target takes exactly its worker_seconds.
FREE = {"worker_reserved_concurrency": None, "quotas": des.Quotas.unlimited(), "latencies": des.Latencies.none()}


def free(targets: int, worker_seconds: float, **kw: object) -> des.Config:
    return des.Config(targets=targets, worker_seconds=worker_seconds, **(FREE | kw))  # type: ignore[arg-type]


# -- exact wall times when nothing binds -------------------------------------------------------------------
def test_inline_run_takes_whole_waves_of_its_concurrency() -> None:
    r = des.simulate(free(101, 2.0, max_concurrency=10, distributed_threshold=1000))

    assert r.config.path == des.INLINE
    assert r.wall_seconds == pytest.approx(math.ceil(101 / 10) * 2.0, abs=1e-9)
    assert (r.outcomes, r.peak_concurrency) == ({des.SUCCEEDED: 101}, 10)


def test_inline_run_adds_exactly_the_fixed_stages_and_each_targets_aws_steps() -> None:
    """N targets at concurrency C and latency L: ceil(N/C) x (L + the per-target steps) + the fixed stages
    (fanout, report, the parent's states) + one cold start (the first wave's new environments)."""
    c = des.Config(
        targets=95,
        worker_seconds=1.5,
        max_concurrency=20,
        worker_reserved_concurrency=None,
        regions_per_account=1,  # a new account per target: every target assumes its role
        quotas=des.Quotas.unlimited(),
    )
    lat = c.latencies
    per_target = des.wave_overhead_seconds(c) + c.worker_seconds
    fixed = (
        lat.lambda_invoke
        + des.fanout_seconds(c)
        + lat.state_transition  # ChoosePath
        + lat.state_transition
        + lat.lambda_invoke
        + des.report_seconds(c, with_rows=95)
    )

    r = des.simulate(c)

    assert r.wall_seconds == pytest.approx(fixed + lat.cold_start + math.ceil(95 / 20) * per_target, abs=1e-9)
    assert r.sts_calls == 95 and r.environments == 20


def test_distributed_run_takes_whole_rounds_of_children() -> None:
    # 95 targets in batches of 10: 10 children, 3 at a time: 4 rounds, each one worker long.
    r = des.simulate(free(95, 3.0, batch_size=10, distributed_max_concurrency=3, distributed_threshold=1))

    assert r.config.path == des.DISTRIBUTED
    assert r.wall_seconds == pytest.approx(4 * 3.0, abs=1e-9)
    assert (r.children, r.peak_concurrency, r.outcomes) == (10, 30, {des.SUCCEEDED: 95})


def test_a_child_runs_its_batch_in_rounds_of_batch_max_concurrency() -> None:
    r = des.simulate(free(10, 2.0, batch_size=10, batch_max_concurrency=4, distributed_threshold=1))

    assert r.wall_seconds == pytest.approx(3 * 2.0, abs=1e-9)
    assert r.peak_concurrency == 4


def test_the_emulators_cpu_is_serialized_on_one_interpreter() -> None:
    """Emulator mode: with every target's wait at zero, the run is its targets' CPU one after another."""
    row = Row(
        "state machine, inline path, whole execution", targets=50, concurrency=40, seconds=1.0, cpu=0.5, latency=0
    )

    r = des.simulate(des.emulator_config(row, Settings()))

    assert r.wall_seconds == pytest.approx(50 * 0.01, abs=1e-9)


def test_the_cross_check_pairs_each_whole_execution_with_its_map_state() -> None:
    whole = Row("state machine, inline path, whole execution", targets=80, concurrency=40, seconds=9, cpu=0, latency=1)
    map_state = Row("state machine, inline path, Map state only", 80, 40, seconds=2.5, cpu=math.nan, latency=1)
    pool = Row("thread pool (orgops local, 40 threads)", 80, 40, seconds=2.2, cpu=0.1, latency=1)

    (row,) = des.cross_check([pool, whole, map_state], Settings())

    assert (row.whole, row.map_state) == (whole, map_state)
    assert row.model.stages["map"] == pytest.approx(2 * 1.0, abs=1e-9)
    assert "| 2.5 | 2.0 | 0.80 |" in des.cross_table([row])


# -- throttles ---------------------------------------------------------------------------------------------
def test_reserved_concurrency_below_the_maps_throttles_and_retries_run_out() -> None:
    c = des.Config(targets=200, worker_seconds=1.0, max_concurrency=40, worker_reserved_concurrency=10)

    r = des.simulate(c)

    assert c.path == des.INLINE
    assert r.peak_concurrency == 10
    assert r.lambda_throttles > 0
    assert r.outcomes[des.THROTTLED] > 0 and r.throttled_to_failure >= r.outcomes[des.THROTTLED]
    assert r.binding == "worker reserved concurrency 10"


def test_no_throttle_when_the_maps_concurrency_equals_the_reservation() -> None:
    r = des.simulate(des.defaults(2_000, 1.0))

    assert (r.lambda_throttles, r.sts_throttles, r.dynamodb_throttles, r.failed) == (0, 0, 0, 0)
    assert r.peak_concurrency == 50


def test_a_reservation_leaves_100_of_the_account_unreserved() -> None:
    c = replace(des.defaults(10_000, 30.0), worker_reserved_concurrency=1_000, distributed_max_concurrency=100)

    assert des.function_limit(c) == 900
    assert des.binding_limit(c) == "Lambda account concurrency 1000 less 100 unreserved"


def test_sts_throttles_beyond_its_rate_and_the_sdk_retries_absorb_them() -> None:
    c = des.Config(
        targets=3_000,
        worker_seconds=1.0,
        worker_reserved_concurrency=None,
        distributed_max_concurrency=50,
        regions_per_account=1,
        quotas=des.Quotas(sts_per_second=100),
    )

    r = des.simulate(c)

    assert r.sts_throttles > 0
    assert des.binding_limit(c) == "STS 100 AssumeRole/s"
    assert r.wall_seconds >= r.floor_seconds == pytest.approx(3_000 / 100)


def test_record_status_out_of_retries_is_throttled_to_failure() -> None:
    r = des.simulate(des.Config(targets=100, worker_seconds=0.1, quotas=des.Quotas(dynamodb_writes_per_second=1)))

    assert r.dynamodb_throttles > 0
    assert r.outcomes[des.NOT_RECORDED] > 0


# -- Express children and the Map Run -----------------------------------------------------------------------
def test_an_express_child_over_300_s_fails_and_its_targets_are_lost() -> None:
    c = free(
        20, 301.0, batch_size=10, distributed_max_concurrency=2, distributed_threshold=1, worker_timeout_seconds=900
    )
    c = replace(c, quotas=replace(c.quotas, express_max_seconds=300), tolerated_failure_percentage=100)

    r = des.simulate(c)

    assert (r.outcomes, r.failed_children) == ({des.LOST: 20}, 2)
    assert r.wall_seconds == pytest.approx(300, abs=1e-9)


def test_a_standard_child_has_no_5_minute_limit() -> None:
    c = free(20, 301.0, batch_size=10, distributed_threshold=1, child_type=des.STANDARD, worker_timeout_seconds=900)
    c = replace(c, quotas=replace(c.quotas, express_max_seconds=300))

    assert des.simulate(c).outcomes == {des.SUCCEEDED: 20}


def test_more_failed_children_than_tolerated_abort_the_map_run() -> None:
    # 40 children of one target, one at a time, each over 300 s: the third failure is 7.5% > 5%.
    c = free(
        40, 400.0, batch_size=1, distributed_max_concurrency=1, distributed_threshold=1, worker_timeout_seconds=900
    )
    c = replace(c, quotas=replace(c.quotas, express_max_seconds=300))

    r = des.simulate(c)

    assert (r.outcomes, r.failed_children) == ({des.LOST: 3, des.ABORTED: 37}, 3)
    assert r.wall_seconds == pytest.approx(3 * 300, abs=1e-9)


def test_a_fanout_over_its_timeout_runs_nothing() -> None:
    r = des.simulate(des.Config(targets=100_000, worker_seconds=1.0, list_regions=True))

    assert r.outcomes == {des.NOT_RUN: 100_000}
    assert "exceeds its 290 s timeout" in r.failure


# -- floor, binding limit, retries, reproducibility, speed -------------------------------------------------------
def test_floor_and_binding_limit_at_the_defaults() -> None:
    c = des.defaults(10_000, 1.0)

    assert des.floor_seconds(c) == pytest.approx(10_000 * 1.0 / 50)
    assert des.binding_limit(c) == "Map: distributed_max_concurrency 5 x batch 10 = worker reserved concurrency 50"


def test_floor_of_an_inline_run_and_of_one_wave() -> None:
    assert des.floor_seconds(des.defaults(300, 2.0)) == pytest.approx(300 * 2.0 / 40)
    assert des.binding_limit(des.defaults(300, 2.0)) == "Map: max_concurrency 40"
    assert des.floor_seconds(des.raised(1_000, 30.0)) == 30.0  # every target at once: the slowest one


def test_floor_under_a_rate_quota() -> None:
    c = des.raised(100_000, 1.0)

    assert des.binding_limit(c) == "STS 600 AssumeRole/s"
    assert des.floor_seconds(c) == pytest.approx(100_000 / 600)


def test_the_prediction_never_beats_the_floor() -> None:
    for c in (des.defaults(1_000, 1.0), des.raised(5_000, 1.0), des.defaults(300, 0.5), des.raised(2_000, 30.0)):
        r = des.simulate(c)
        assert r.wall_seconds >= r.floor_seconds, c


def test_full_jitter_waits_up_to_the_capped_interval() -> None:
    rng = random.Random(7)  # noqa: S311 - jitter, not cryptography
    retry = des.Retry(interval=2, backoff=2, max_delay=60, max_attempts=10)

    first = [retry.delay(1, rng) for _ in range(1_000)]
    late = [retry.delay(8, rng) for _ in range(1_000)]  # 2 x 2^7 = 256, capped at 60

    assert min(first) >= 0 and max(first) <= 2 and max(first) > 1.9
    assert max(late) <= 60 and max(late) > 55


def test_a_seeded_run_is_reproducible() -> None:
    c = des.Config(targets=300, worker_seconds=1.0, worker_reserved_concurrency=10)

    a, b = des.simulate(c), des.simulate(c)

    assert (a.wall_seconds, a.outcomes, a.lambda_throttles) == (b.wall_seconds, b.outcomes, b.lambda_throttles)


def test_100000_targets_simulate_in_well_under_a_minute() -> None:
    r = des.simulate(des.defaults(100_000, 1.0))

    assert r.outcomes == {des.SUCCEEDED: 100_000}
    assert r.simulated_in < 30


def test_the_section_judges_the_goal_per_latency() -> None:
    results = [("defaults", des.simulate(des.defaults(n, 30.0))) for n in des.GOAL_SIZES]

    line = des.goal_line(results)

    assert "MET with 30 s workers" in line and "NOT MET" not in line


# -- parity with the Terraform module --------------------------------------------------------------------------
def _hcl(path: Path, kind: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for block in hcl2.load(path.open())[kind]:
        out.update(block)
    return out


def test_the_models_defaults_are_the_operation_modules() -> None:
    variables = {
        k.strip('"'): v.get("default") for k, v in _hcl(ROOT / "modules/operation/variables.tf", "variable").items()
    }
    c = des.Config(targets=0, worker_seconds=0)

    assert {
        "distributed_threshold": c.distributed_threshold,
        "batch_size": c.batch_size,
        "batch_max_concurrency": c.batch_max_concurrency,
        "max_concurrency": c.max_concurrency,
        "distributed_max_concurrency": c.distributed_max_concurrency,
        "worker_reserved_concurrency": c.worker_reserved_concurrency,
        "worker_retry_max_attempts": c.worker_retry.max_attempts,
        "tolerated_failure_percentage": c.tolerated_failure_percentage,
        "child_execution_type": f'"{c.child_type}"',  # python-hcl2 keeps a string's quotes
        "worker_timeout_seconds": c.worker_timeout_seconds,
        "worker_memory_size": c.worker_memory_mb,
    } == {k: variables[k] for k in (
        "distributed_threshold", "batch_size", "batch_max_concurrency", "max_concurrency",
        "distributed_max_concurrency", "worker_reserved_concurrency", "worker_retry_max_attempts",
        "tolerated_failure_percentage", "child_execution_type", "worker_timeout_seconds", "worker_memory_size",
    )}  # fmt: skip


def test_the_models_retries_are_the_templates() -> None:
    local = _hcl(ROOT / "modules/operation/limits.tf", "locals")
    worker, record = local["worker_retry"], local["record_status"]
    assert isinstance(worker, dict) and isinstance(record, dict)

    for retry, hcl in ((des.WORKER_RETRY, worker), (des.RECORD_RETRY, record)):
        assert (retry.interval, retry.backoff, retry.max_delay) == (
            hcl["interval_seconds"],
            hcl["backoff_rate"],
            hcl["max_delay_seconds"],
        )
    assert des.RECORD_RETRY.max_attempts == record["max_attempts"]


# -- helpers ---------------------------------------------------------------------------------------------------
@dataclass
class Row:
    runner: str
    targets: int
    concurrency: int
    seconds: float
    cpu: float
    latency: float


@dataclass
class Settings:
    batch_size: int = 10
    max_concurrency: int = 40
    distributed_max_concurrency: int = 5
