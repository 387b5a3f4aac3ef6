"""The concurrency sweep's table and goal line, from given measurements (the bench itself is `make bench`)."""

from __future__ import annotations

import math

from benchmarks import bench
from benchmarks.bench import WallTime


def sweep_rows(concurrency: int, pool: float, map_state: float, whole: float, cpu: float) -> list[WallTime]:
    return [
        WallTime(f"thread pool (orgops local, {concurrency} threads)", 200, concurrency, pool, 1.0),
        WallTime("state machine, inline path, whole execution", 200, concurrency, whole, cpu),
        WallTime("state machine, inline path, Map state only", 200, concurrency, map_state, math.nan),
    ]


SWEEP = sweep_rows(5, 8.6, 9.2, 11.0, 5.6) + sweep_rows(40, 2.0, 3.6, 5.4, 5.5)


def test_the_sweep_table_has_one_row_per_concurrency_with_ratios_to_the_ideal() -> None:
    assert bench.sweep_table(SWEEP).splitlines()[2:] == [
        "| 5 | 8.0 | 8.6 (1.07x) | 9.2 (1.15x) | 11.0 (1.38x) | 5.6 | 0.70 |",
        "| 40 | 1.0 | 2.0 (2.00x) | 3.6 (3.60x) | 5.4 (5.40x) | 5.5 | 5.50 |",
    ]


def test_the_goal_line_names_the_concurrencies_within_one_and_a_half_and_the_cpu_per_target() -> None:
    line = bench.goals_from_sweep(SWEEP)

    assert line == (
        "- Concurrency sweep (200 targets, 200 ms): the Map state is within 1.5x at concurrency 5; "
        "the execution costs the emulator 28-28 ms of CPU per target in one Python process, so its wall "
        "time cannot drop below that CPU time however high the concurrency."
    )


def test_a_sweep_with_no_concurrency_within_one_and_a_half_says_so() -> None:
    line = bench.goals_from_sweep(sweep_rows(40, 2.0, 3.6, 5.4, 5.5))

    assert "the Map state is within 1.5x at concurrency none of 5, 10, 20, 40;" in line
