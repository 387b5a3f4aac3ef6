"""The bench's pure math: ideal wall time, extrapolation, limits, cost (no emulator, no timing)."""

from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

import pytest

from benchmarks import model
from benchmarks.measure import Counters, group_sizes, payload_sizes, states_entered


def figures(design: str = "inline", targets: int = 100, **kw: int) -> model.Figures:
    values = {name: 0 for name in model.NUMERIC} | kw
    return model.Figures(design=design, targets=targets, **values)


# -- ideal wall time ---------------------------------------------------------------------------------------
def test_ideal_wall_time_counts_whole_waves_of_concurrency() -> None:
    assert model.ideal_seconds(401, 40, 0.2) == pytest.approx(11 * 0.2)


def test_ideal_wall_time_of_one_thread_is_targets_times_latency() -> None:
    assert model.ideal_seconds(7, 1, 0.5) == pytest.approx(3.5)


def test_ideal_wall_time_rejects_zero_concurrency() -> None:
    with pytest.raises(ValueError, match="concurrency >= 1"):
        model.ideal_seconds(10, 0, 0.2)


# -- extrapolation -----------------------------------------------------------------------------------------
def test_fit_line_goes_through_the_two_largest_runs() -> None:
    assert model.fit_line([(100, 999.0), (200, 2418.0), (2000, 24018.0)]) == (18.0, 12.0)


def test_fit_line_needs_two_runs() -> None:
    with pytest.raises(ValueError, match="at least two measured runs"):
        model.fit_line([(100, 1.0)])


def test_extrapolate_continues_each_figure_linearly_and_marks_it_extrapolated() -> None:
    runs = [
        figures(targets=200, parent_events=2418, largest_payload=17_800, lambda_invocations=202),
        figures(targets=2000, parent_events=24_018, largest_payload=174_400, lambda_invocations=2002),
    ]

    big = model.extrapolate(runs, 100_000)

    assert (big.targets, big.measured) == (100_000, False)
    assert (big.parent_events, big.largest_payload, big.lambda_invocations) == (1_200_018, 8_700_400, 100_002)


def test_extrapolate_keeps_a_constant_figure_constant() -> None:
    runs = [figures("distributed", 200, parent_events=20), figures("distributed", 2000, parent_events=20)]

    assert model.extrapolate(runs, 100_000).parent_events == 20


def test_extrapolate_refuses_runs_of_two_designs() -> None:
    with pytest.raises(ValueError, match=r"runs of several designs: \['inline', 'seed'\]"):
        model.extrapolate([figures("seed", 100), figures("inline", 200)], 1000)


# -- limits ------------------------------------------------------------------------------------------------
def test_a_run_at_the_limits_breaks_none() -> None:
    assert model.breaches(figures(largest_payload=256 * 1024, parent_events=25_000)) == []


def test_a_payload_over_256_kib_is_named() -> None:
    assert model.breaches(figures(largest_payload=262_145)) == ["payload 262,145 B > 256 KiB"]


def test_a_parent_history_over_25000_events_is_named() -> None:
    assert model.breaches(figures(parent_events=25_001)) == ["history 25,001 events > 25,000"]


def test_first_breach_of_twelve_events_per_target_is_just_above_2080_targets() -> None:
    runs = [figures(targets=200, parent_events=2418), figures(targets=2000, parent_events=24_018)]

    assert model.first_breach(runs) == 2082


def test_first_breach_is_none_for_a_design_that_does_not_grow() -> None:
    runs = [figures("distributed", 200, parent_events=20), figures("distributed", 2000, parent_events=20)]

    assert model.first_breach(runs) is None


# -- cost --------------------------------------------------------------------------------------------------
def test_billed_transitions_add_one_per_child_execution() -> None:
    assert model.billed_transitions(figures(parent_transitions=4, child_executions=50)) == 54


def test_child_seconds_are_the_workers_waves_plus_overhead_in_100_ms_units() -> None:
    assert model.child_seconds(20, 20, 0.5) == pytest.approx(1.0)
    assert model.child_seconds(20, 10, 0.33) == pytest.approx(1.2)  # 2 x 0.33 + 0.5 = 1.16 -> 1.2


def test_cost_prices_every_request_with_the_published_prices() -> None:
    f = figures(
        "distributed",
        1000,
        parent_transitions=4,
        child_executions=50,
        lambda_invocations=1002,
        dynamodb_writes=1000,
        s3_puts=1004,
        s3_gets=1001,
    )

    c = model.cost(f, batch_size=20, worker_seconds=0.5)

    express = 50 * (1e-6 + 1.0 * (64 / 1024) * 0.00001667)
    assert c.step_functions == pytest.approx(54 * 0.000025 + express)
    assert c.lambda_ == pytest.approx(1002 * 0.2e-6 + (1000 * 0.5 * 0.5 + 2 * 2.0 * 0.5) * 0.0000166667)
    assert c.dynamodb == pytest.approx(1000 * 0.625e-6)
    assert c.s3 == pytest.approx(1004 * 0.005e-3 + 1001 * 0.0004e-3)


def test_break_even_worker_seconds_is_where_ours_stops_costing_a_quarter() -> None:
    seed = figures("seed", 1000, parent_transitions=2003, lambda_invocations=1002, dynamodb_writes=1000)
    ours = figures("distributed", 1000, parent_transitions=4, child_executions=50, lambda_invocations=1002)

    w = model.break_even_worker_seconds(seed, ours, 20)

    assert w is not None and math.isfinite(w)
    assert model.cost(ours, 20, w - 0.01).total <= 0.25 * model.cost(seed, 20, w - 0.01).total
    assert model.cost(ours, 20, w + 0.01).total > 0.25 * model.cost(seed, 20, w + 0.01).total


def test_break_even_is_none_when_ours_costs_more_than_a_quarter_with_an_instant_worker() -> None:
    seed = figures("seed", 1000, parent_transitions=10)
    ours = figures("distributed", 1000, parent_transitions=10)

    assert model.break_even_worker_seconds(seed, ours, 20) is None


def test_per_thousand_scales_the_run_cost_to_1000_targets() -> None:
    f = figures(targets=500, parent_transitions=1000, lambda_invocations=2)

    assert model.per_thousand(f, 20, 0.0) == pytest.approx(2 * model.cost(f, 20, 0.0).total)


def test_the_table_marks_extrapolated_cells_with_a_star() -> None:
    measured = figures(targets=100, parent_events=1218)
    row = model.table([measured, replace(measured, targets=1000, measured=False)], 20).splitlines()

    assert "| inline | 100 | 0 | 1,218 |" in row[2]
    assert "| inline | 1,000* | 0* | 1,218* |" in row[3]


# -- the measuring helpers (pure parts) --------------------------------------------------------------------
def test_group_sizes_split_the_organization_into_nested_sizes() -> None:
    assert group_sizes([2000, 100, 200], regions=4) == [25, 25, 450]


def test_group_sizes_refuse_a_size_that_is_not_a_multiple_of_the_regions() -> None:
    with pytest.raises(ValueError, match="increasing multiples of 4"):
        group_sizes([100, 202], regions=4)


def test_payload_sizes_read_inputs_outputs_and_parameters_in_utf8_bytes() -> None:
    events = [
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Worker", "input": '{"a": "é"}'}},
        {"type": "TaskScheduled", "taskScheduledEventDetails": {"parameters": "x" * 20}},
        {"type": "MapRunStarted", "mapRunStartedEventDetails": {"mapRunArn": "y" * 90}},
    ]

    assert payload_sizes(events) == 20


def test_states_entered_counts_every_kind_of_state() -> None:
    events = [{"type": "TaskStateEntered"}, {"type": "MapStateEntered"}, {"type": "TaskScheduled"}]

    assert states_entered(events) == 2


def test_counters_classify_s3_and_dynamodb_requests() -> None:
    c = Counters()
    requests = [
        SimpleNamespace(url="https://b.s3.amazonaws.com/k", method="PUT", headers={}, body=b""),
        SimpleNamespace(url="https://b.s3.amazonaws.com/?list-type=2", method="GET", headers={}, body=b""),
        SimpleNamespace(url="https://b.s3.amazonaws.com/k", method="GET", headers={}, body=b""),
        SimpleNamespace(
            url="https://dynamodb.us-east-1.amazonaws.com/",
            method="POST",
            headers={"X-Amz-Target": b"DynamoDB_20120810.PutItem"},
            body=b"{}",
        ),
        SimpleNamespace(
            url="https://dynamodb.us-east-1.amazonaws.com/",
            method="POST",
            headers={"X-Amz-Target": "DynamoDB_20120810.BatchWriteItem"},
            body=b'{"RequestItems": {"t": [{}, {}, {}]}}',
        ),
    ]

    for r in requests:
        c.count(r)

    assert (c.s3_puts, c.s3_gets, c.dynamodb_writes) == (2, 1, 4)
