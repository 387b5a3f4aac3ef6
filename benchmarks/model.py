"""The pure half of ``make bench``: prices, cost, extrapolation, limits, the table. No I/O.

Everything the emulator measures for one run is a ``Figures``; ``extrapolate`` turns measured
runs into larger ones; ``cost`` prices a ``Figures`` with the published prices below;
``breaches`` names the Step Functions limits a run exceeds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace

# -- published prices (USD, us-east-1, read 2026-11; change them here and rerun `make bench`) ----------
# https://aws.amazon.com/step-functions/pricing/ : Standard workflows, per state transition
# ($0.025 per 1,000). A Distributed Map is charged one transition per child execution it starts
# (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html); the
# iterations of an inline Map are not, the states inside them are.
SFN_STANDARD_PER_TRANSITION = 0.025 / 1_000
# https://aws.amazon.com/step-functions/pricing/ : Express workflows, $1.00 per million requests
# and $0.00001667 per GB-second (first 1,000 GB-hours a month), memory billed in 64 MB chunks,
# duration rounded up to 100 ms.
SFN_EXPRESS_PER_REQUEST = 1.00 / 1_000_000
SFN_EXPRESS_PER_GB_SECOND = 0.00001667
SFN_EXPRESS_MEMORY_GB = 64 / 1024
# https://aws.amazon.com/lambda/pricing/ : $0.20 per million requests, $0.0000166667 per GB-second (x86).
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_PER_GB_SECOND = 0.0000166667
# https://aws.amazon.com/dynamodb/pricing/on-demand/ : $0.625 per million write request units
# (a status item is under 1 KB: one unit per write).
DYNAMODB_PER_WRITE = 0.625 / 1_000_000
# https://aws.amazon.com/s3/pricing/ : S3 Standard, PUT/COPY/POST/LIST $0.005 per 1,000, GET $0.0004 per 1,000.
S3_PER_PUT = 0.005 / 1_000
S3_PER_GET = 0.0004 / 1_000

# -- assumptions (not measurable in the emulator; stated in the output) --------------------------------
WORKER_SECONDS = 0.5  # one target's worker invocation in AWS (assume role cached, a few API calls, one PUT)
WORKER_MEMORY_GB = 512 / 1024  # the operation module's default worker_memory_mb
FANOUT_REPORT_SECONDS = 2.0  # the fanout and the report, each, for a run (same in every design)
FANOUT_REPORT_MEMORY_GB = 512 / 1024
CHILD_OVERHEAD_SECONDS = 0.5  # an Express child's own time on top of its workers (state transitions, putItems)

# -- Step Functions quotas ------------------------------------------------------------------------------
# https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
MAX_PAYLOAD_BYTES = 256 * 1024  # a state's input or output, a task's parameters or result
MAX_HISTORY_EVENTS = 25_000  # one Standard execution's history

DESIGNS = ("seed", "inline", "distributed")
DESIGN_TITLES = {
    "seed": "seed (inline Map, everything in the payload)",
    "inline": "ours, inline path",
    "distributed": "ours, distributed path",
}


@dataclass(frozen=True)
class Figures:
    """What one run of one design costs, measured in the emulator or extrapolated."""

    design: str
    targets: int
    largest_payload: int  # bytes: the largest state input/output, task parameters or result
    parent_events: int  # history events of the parent (the started) execution
    child_executions: int  # Distributed Map children (0 for inline designs)
    largest_child_events: int  # history events of the largest child (0 without children)
    parent_transitions: int  # states entered by the parent, inline-Map iterations' states included
    child_transitions: int  # states entered inside all children (Express: not billed per transition)
    lambda_invocations: int
    dynamodb_writes: int
    s3_puts: int  # PUT-class requests: PutObject, multipart parts, ResultWriter objects
    s3_gets: int
    measured: bool = True
    failure: str = ""  # the error the emulator's execution failed with ("" when it succeeded)


NUMERIC = tuple(f.name for f in fields(Figures) if f.name not in ("design", "targets", "measured", "failure"))


@dataclass(frozen=True)
class Cost:
    step_functions: float
    lambda_: float
    dynamodb: float
    s3: float

    @property
    def total(self) -> float:
        return self.step_functions + self.lambda_ + self.dynamodb + self.s3


def billed_transitions(f: Figures) -> int:
    """Standard transitions billed: the parent's states, plus one per Distributed Map child."""
    return f.parent_transitions + f.child_executions


def child_seconds(batch_size: int, batch_concurrency: int, worker_seconds: float = WORKER_SECONDS) -> float:
    """An Express child's billed duration: its workers in waves of ``batch_concurrency``, plus overhead,
    rounded up to 100 ms."""
    waves = math.ceil(batch_size / max(1, batch_concurrency))
    return math.ceil((waves * worker_seconds + CHILD_OVERHEAD_SECONDS) * 10) / 10


def cost(f: Figures, batch_size: int, worker_seconds: float = WORKER_SECONDS) -> Cost:
    """USD for one run; the worker's compute is ``worker_seconds`` per invocation in every design."""
    workers = max(0, f.lambda_invocations - 2)
    lambda_seconds = workers * worker_seconds * WORKER_MEMORY_GB + 2 * FANOUT_REPORT_SECONDS * FANOUT_REPORT_MEMORY_GB
    express = f.child_executions * (
        SFN_EXPRESS_PER_REQUEST
        + child_seconds(batch_size, batch_size, worker_seconds) * SFN_EXPRESS_MEMORY_GB * SFN_EXPRESS_PER_GB_SECOND
    )
    return Cost(
        step_functions=billed_transitions(f) * SFN_STANDARD_PER_TRANSITION + express,
        lambda_=f.lambda_invocations * LAMBDA_PER_REQUEST + lambda_seconds * LAMBDA_PER_GB_SECOND,
        dynamodb=f.dynamodb_writes * DYNAMODB_PER_WRITE,
        s3=f.s3_puts * S3_PER_PUT + f.s3_gets * S3_PER_GET,
    )


def per_thousand(f: Figures, batch_size: int, worker_seconds: float = WORKER_SECONDS) -> float:
    return cost(f, batch_size, worker_seconds).total * 1_000 / f.targets


def break_even_worker_seconds(
    seed: Figures, ours: Figures, batch_size: int, ratio: float = 0.25, longest: float = 900.0
) -> float | None:
    """The worker duration (seconds) up to which ``ours`` costs at most ``ratio`` of ``seed``.

    None: not even with an instant worker; ``math.inf``: still true at Lambda's longest run.
    Bisection on the cost functions (the Express child's duration is rounded, so not a line)."""

    def over(w: float) -> bool:
        return cost(ours, batch_size, w).total > ratio * cost(seed, batch_size, w).total

    if over(0.0):
        return None
    if not over(longest):
        return math.inf
    lo, hi = 0.0, longest
    while hi - lo > 1e-4:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if over(mid) else (mid, hi)
    return lo


# -- extrapolation ----------------------------------------------------------------------------------------
def fit_line(points: Sequence[tuple[int, float]]) -> tuple[float, float]:
    """``(fixed, per_target)`` through the two largest measured runs: ``value = fixed + per_target * n``."""
    if len(points) < 2:
        raise ValueError("extrapolation needs at least two measured runs")
    (n1, v1), (n2, v2) = sorted(points)[-2:]
    if n1 == n2:
        raise ValueError(f"two measured runs have the same target count {n1}")
    slope = (v2 - v1) / (n2 - n1)
    return v2 - slope * n2, slope


def extrapolate(measured: Iterable[Figures], targets: int) -> Figures:
    """One design's figures at ``targets``, from its measured runs: every figure is linear in the
    target count (fixed part + per-target part, through the two largest runs), rounded up."""
    runs = sorted(measured, key=lambda f: f.targets)
    succeeded = [f for f in runs if not f.failure]
    if len(succeeded) >= 2:  # a failed run stopped early: its figures are a floor, not the line
        runs = succeeded
    if not runs:
        raise ValueError("no measured runs")
    design = {f.design for f in runs}
    if len(design) != 1:
        raise ValueError(f"runs of several designs: {sorted(design)}")
    values: dict[str, int] = {}
    for name in NUMERIC:
        fixed, slope = fit_line([(f.targets, float(getattr(f, name))) for f in runs])
        values[name] = max(0, math.ceil(fixed + slope * targets - 1e-9))
    return replace(runs[-1], targets=targets, measured=False, failure="", **values)


def breaches(f: Figures) -> list[str]:
    """The Step Functions limits this run exceeds (empty: none)."""
    out = []
    if f.largest_payload > MAX_PAYLOAD_BYTES:
        out.append(f"payload {f.largest_payload:,} B > 256 KiB")
    if f.parent_events > MAX_HISTORY_EVENTS:
        out.append(f"history {f.parent_events:,} events > 25,000")
    if f.largest_child_events > MAX_HISTORY_EVENTS:
        out.append(f"child history {f.largest_child_events:,} events > 25,000")
    return out


def first_breach(measured: Sequence[Figures]) -> int | None:
    """The smallest target count at which a design's extrapolated figures break a limit (None: below 1,000,000)."""
    lo, hi = 1, 1_000_000
    if not breaches(extrapolate(measured, hi)):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if breaches(extrapolate(measured, mid)):
            hi = mid
        else:
            lo = mid + 1
    return lo


# -- wall time --------------------------------------------------------------------------------------------
def ideal_seconds(targets: int, concurrency: int, latency: float) -> float:
    """The wall time of ``targets`` jobs of ``latency`` seconds, ``concurrency`` at a time, with no overhead."""
    if targets < 0 or concurrency < 1 or latency < 0:
        raise ValueError("targets >= 0, concurrency >= 1, latency >= 0")
    return math.ceil(targets / concurrency) * latency


# -- the table ---------------------------------------------------------------------------------------------
def _cell(value: int, measured: bool) -> str:
    return f"{value:,}" if measured else f"{value:,}*"


def table(rows: Sequence[Figures], batch_size: int) -> str:
    """The markdown table: one row per (design, targets); ``*`` marks extrapolated figures."""
    head = (
        "| design | targets | largest payload (B) | parent history events | billed transitions | "
        "child executions | largest child history | Lambda invocations | DynamoDB writes | S3 PUT | S3 GET | "
        "USD per run | USD per 1,000 targets | limits broken |"
    )
    out = [head, "|" + " --- |" * 14]
    for f in rows:
        m = f.measured
        usd = cost(f, batch_size).total
        failed = [f"FAILED in the emulator: {f.failure}"] if f.failure else []
        broken = "; ".join(failed + breaches(f)) or "none"
        out.append(
            f"| {f.design} | {f.targets:,}{'' if m else '*'} | {_cell(f.largest_payload, m)} | "
            f"{_cell(f.parent_events, m)} | {_cell(billed_transitions(f), m)} | {_cell(f.child_executions, m)} | "
            f"{_cell(f.largest_child_events, m)} | {_cell(f.lambda_invocations, m)} | "
            f"{_cell(f.dynamodb_writes, m)} | {_cell(f.s3_puts, m)} | {_cell(f.s3_gets, m)} | "
            f"{usd:,.4f} | {per_thousand(f, batch_size):,.4f} | {broken} |"
        )
    return "\n".join(out)


def cost_breakdown(rows: Sequence[Figures], batch_size: int) -> str:
    out = [
        "| design | targets | Step Functions | Lambda | DynamoDB | S3 | total USD |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in rows:
        c = cost(f, batch_size)
        mark = "" if f.measured else "*"
        out.append(
            f"| {f.design} | {f.targets:,}{mark} | {c.step_functions:,.4f} | {c.lambda_:,.4f} | "
            f"{c.dynamodb:,.4f} | {c.s3:,.4f} | {c.total:,.4f} |"
        )
    return "\n".join(out)


def by_design(rows: Iterable[Figures]) -> Mapping[str, list[Figures]]:
    out: dict[str, list[Figures]] = {d: [] for d in DESIGNS}
    for f in rows:
        out.setdefault(f.design, []).append(f)
    return out
