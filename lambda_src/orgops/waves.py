"""Canary waves: the planned targets in waves that run one after another, and the gate between them.

``Canary`` (account ids, OU or root ids) puts those targets in wave 1; ``Waves`` splits the rest:
``3`` is three equal waves of the targets after the canary, ``["5%", "25%", "100%"]`` cumulative
percentages of all the planned targets (the canary counts toward them). ``split`` decides, a pure
function: the plan's order is kept inside each wave, no wave is empty, every target is in exactly
one wave.

The state machine runs one wave per pass of its Map (inline or distributed, by the wave's size).
After each wave but the last, ``NextWave`` (the fanout's function, ``next_wave``) is the gate:
it counts the finished waves' failures in the status table and compares them with the budget
(``budget_allows``). Within it, it loads the next wave's targets; over it, it records every later
wave's targets ``NOT_RUN`` (``WaveStopped``) and the reason in the run's item, and the report says
``Stopped``. What counts as a failure of a wave: a target ``FAILED`` or without a status (its
worker or its status write failed, or its batch did). A ``NOT_RUN`` target (MaxErrors stopped
starting targets inside the wave) did not run, so it proves nothing: the gate stops the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orgops import store
from orgops.errors import InvalidInput
from orgops.targets import ACCOUNT_ID, Target, Waves, batches

WAVE_STOPPED_CODE = "WaveStopped"  # the error code of a target a wave's gate never started
INLINE = "INLINE"  # orgops.handlers.fanout's modes
DISTRIBUTED = "DISTRIBUTED"
# A status that is not a failure of its wave (SKIPPED targets are in no wave).
PASSED = (store.SUCCEEDED, store.SKIPPED)

Key = tuple[str, str]  # (account id, region)


# -- splitting (pure) ---------------------------------------------------------------------------
def in_canary(target: Target, ids: Sequence[str], parents: Mapping[str, Sequence[str]]) -> list[str]:
    """The canary ids ``target`` matches: its account's id, or an OU or root on its account's path."""
    path = set(parents.get(target.account_id, ()))
    return [i for i in ids if i == target.account_id or (not ACCOUNT_ID.match(i) and i in path)]


def canary_split(
    targets: Sequence[Target], canary: Sequence[str], parents: Mapping[str, Sequence[str]]
) -> tuple[tuple[Target, ...], tuple[Target, ...]]:
    """(the canary's targets, the rest), each in the plan's order; refuses canary ids that match nothing."""
    first: list[Target] = []
    rest: list[Target] = []
    matched: set[str] = set()
    for target in targets:
        hits = in_canary(target, canary, parents)
        matched.update(hits)
        (first if hits else rest).append(target)
    unmatched = [f"{c} (Canary[{i}])" for i, c in enumerate(canary) if c not in matched]
    if unmatched:
        verb = "matches" if len(unmatched) == 1 else "match"
        raise InvalidInput(
            "Canary",
            f"{', '.join(unmatched)} {verb} no planned target of this run: a canary account must be selected by the "
            "run's Accounts filters, ACTIVE and have a region to run in (an OU or root: hold such an account); fix "
            "or remove it",
        )
    return tuple(first), tuple(rest)


def equal_waves(targets: Sequence[Target], count: int) -> list[tuple[Target, ...]]:
    """``targets`` in ``count`` waves whose sizes differ by at most one (the larger first); none empty."""
    size, extra = divmod(len(targets), count)
    out: list[tuple[Target, ...]] = []
    start = 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        if end > start:
            out.append(tuple(targets[start:end]))
        start = end
    return out


def percent_waves(first: Sequence[Target], rest: Sequence[Target], percents: Sequence[int]) -> list[tuple[Target, ...]]:
    """The canary, then the rest cut where the cumulative percentages of all the targets fall (rounded
    up, so "5%" of 10 targets is 1); a cut the canary already passed gives no wave."""
    ordered = [*first, *rest]
    out = [tuple(first)] if first else []
    start = len(first)
    for percent in percents:
        end = max(start, -(-len(ordered) * percent // 100))
        if end > start:
            out.append(tuple(ordered[start:end]))
            start = end
    return out


def split(
    targets: Sequence[Target],
    canary: Sequence[str] = (),
    spec: Waves | None = None,
    parents: Mapping[str, Sequence[str]] | None = None,
) -> list[tuple[Target, ...]]:
    """The planned ``targets`` in waves: the canary's first, then the rest as ``spec`` says (one wave
    without it). Always at least one wave (an empty one only when there is no target)."""
    first, rest = canary_split(targets, canary, parents or {}) if canary else ((), tuple(targets))
    if spec is not None and spec.percents:
        out = percent_waves(first, rest, spec.percents)
    else:
        out = ([first] if first else []) + equal_waves(rest, spec.count if spec and spec.count else 1)
    return out or [()]


def asked(canary: Sequence[str], spec: Waves | None) -> bool:
    """Whether the input asked for waves (then the run has wave files and a ``Waves`` summary)."""
    return bool(canary) or spec is not None


def state(number: int, count: int, targets: int) -> dict[str, Any]:
    """The state machine's ``$.Waves``: small, present in every run (Count 1 without waves)."""
    return {"Count": count, "Number": number, "Remaining": count - number, "Stopped": False, "Targets": targets}


# -- the gate (pure) ----------------------------------------------------------------------------
@dataclass(frozen=True)
class WaveTally:
    number: int
    targets: int
    failed: int  # FAILED, or no status at all
    not_run: int  # NOT_RUN: MaxErrors stopped starting targets inside the wave (or a gate did)


@dataclass(frozen=True)
class Budget:
    """The run's MaxErrors as the gate reads it from the run's item: a count (``limit``, compared with
    the failures of every wave so far), a percentage (compared with each wave's failure rate), or
    none (a wave must finish clean: a canary with no budget is a canary that must not fail)."""

    limit: int | None = None
    percent: int | None = None

    @classmethod
    def of_run(cls, run: Mapping[str, Any]) -> Budget:
        if "max_errors" not in run:
            return cls()
        given = str(run.get("max_errors_input", run["max_errors"]))
        if given.endswith("%"):
            return cls(percent=int(given[:-1]))
        return cls(limit=int(run["max_errors"]))


def tally(number: int, targets: Iterable[Target], statuses: Mapping[Key, str]) -> WaveTally:
    count = failed = not_run = 0
    for t in targets:
        count += 1
        status = statuses.get((t.account_id, t.region))
        if status == store.NOT_RUN:
            not_run += 1
        elif status not in PASSED:
            failed += 1
    return WaveTally(number, count, failed, not_run)


def budget_allows(finished: Sequence[WaveTally], budget: Budget) -> bool:
    """Whether the next wave may start after ``finished`` (waves 1 to n, in order)."""
    wave = finished[-1]
    if wave.not_run:
        return False
    if budget.percent is not None:
        return wave.failed * 100 <= budget.percent * wave.targets
    if budget.limit is not None:
        return sum(w.failed for w in finished) <= budget.limit
    return wave.failed == 0


def _rate(failed: int, targets: int) -> str:
    return format(round(failed * 100 / targets, 1), "g") if targets else "0"


@dataclass(frozen=True)
class Stop:
    why: str  # "wave 1 of 3 (canary, 2 targets): 1 failed, more than MaxErrors 0 allows"
    remaining: int  # the targets of the later waves, never started

    @property
    def summary(self) -> str:
        return f"{self.why}; {targets_text(self.remaining)} not run"

    @property
    def target_message(self) -> str:
        return (
            f"not run: {self.why}, so the later waves never started; orgops run OPERATION --retry-failed "
            "EXECUTION_ARN runs the failed and not-run targets"
        )


def targets_text(count: int) -> str:
    return f"{count} target" if count == 1 else f"{count} targets"


def wave_label(number: int, count: int, targets: int, canary: bool) -> str:
    return f"wave {number} of {count} ({'canary, ' if canary and number == 1 else ''}{targets_text(targets)})"


def stop_reason(finished: Sequence[WaveTally], count: int, canary: bool, budget: Budget, remaining: int) -> Stop | None:
    """None when the next wave may start; else why not, in the words of the summary's ``Stopped``."""
    if budget_allows(finished, budget):
        return None
    wave = finished[-1]
    failed = f"{wave.failed} failed"
    if budget.percent is not None:
        failed += f" ({_rate(wave.failed, wave.targets)}% of the wave)"
        allows = f"more than MaxErrors {budget.percent}% allows"
    elif budget.limit is not None:
        total = sum(w.failed for w in finished)
        if total != wave.failed:
            failed += f" ({total} in waves 1 to {wave.number})"
        allows = f"more than MaxErrors {budget.limit} allows"
    else:
        allows = "more than the 0 failures allowed without MaxErrors"
    if wave.not_run:
        failed += f" and {wave.not_run} not run (MaxErrors stopped starting targets)"
        if budget_allows([*finished[:-1], WaveTally(wave.number, wave.targets, wave.failed, 0)], budget):
            allows = "so the next wave does not start"
    return Stop(f"{wave_label(wave.number, count, wave.targets, canary)}: {failed}, {allows}", remaining)


def summary(waves: Sequence[Sequence[Target]], statuses: Mapping[Key, str]) -> list[dict[str, int]]:
    """The report's ``Waves``: each wave's targets, failures (FAILED or no status) and NOT_RUN ones."""
    out = []
    for number, targets in enumerate(waves, start=1):
        t = tally(number, targets, statuses)
        entry = {"Wave": number, "Targets": t.targets, "Failed": t.failed}
        if t.not_run:
            entry["NotRun"] = t.not_run
        out.append(entry)
    return out


def status_map(statuses: Iterable[Mapping[str, Any]]) -> dict[Key, str]:
    return {(str(s.get("account_id", "")), str(s.get("region", ""))): str(s.get("status", "")) for s in statuses}


# -- the store ----------------------------------------------------------------------------------
def write(s3: Any, bucket: str, execution: store.ExecutionRef, waves: Sequence[Sequence[Target]], size: int) -> None:
    """Each wave's targets at ``store.wave_key``, in the batches format the distributed Map reads."""
    for number, targets in enumerate(waves, start=1):
        body = json.dumps([{"Targets": b} for b in batches(targets, size)]).encode()
        s3.put_object(Bucket=bucket, Key=store.wave_key(execution, number), Body=body, ContentType="application/json")


def read(s3: Any, bucket: str, execution: store.ExecutionRef, number: int) -> tuple[Target, ...]:
    body = s3.get_object(Bucket=bucket, Key=store.wave_key(execution, number))["Body"].read()
    return tuple(Target.from_item(t) for batch in json.loads(body) for t in batch.get("Targets", []))


def load(
    current: Mapping[str, Any], bucket: str, execution: store.ExecutionRef, targets: Sequence[Target], threshold: int
) -> dict[str, Any]:
    """The state for the next wave: its targets inline, or above ``threshold`` a pointer for the distributed Map."""
    waves = current["Waves"]
    number = int(waves["Number"]) + 1
    distributed = len(targets) > threshold
    return {
        **current,
        "Mode": DISTRIBUTED if distributed else INLINE,
        "AccountRegions": [] if distributed else [t.as_item() for t in targets],
        "Batches": {"Bucket": bucket, "Key": store.wave_key(execution, number)} if distributed else None,
        "MapError": None,
        "Waves": state(number, int(waves["Count"]), len(targets)),
    }


def next_wave(current: Mapping[str, Any], bucket: str, table: str, s3: Any, ddb: Any) -> dict[str, Any]:
    """``NextWave``: the gate after wave ``$.Waves.Number``. Returns the state for the next wave, or
    the state with ``Waves.Stopped`` true once every later target is recorded NOT_RUN (WaveStopped)."""
    execution = store.ExecutionRef.parse(str(current["ExecutionId"]))
    number, count = int(current["Waves"]["Number"]), int(current["Waves"]["Count"])
    run = store.read_run(ddb, table, execution.arn)
    if run is None or "waves" not in run:
        raise RuntimeError(f"{execution.arn} has no run item with its waves: its fanout wrote none")
    if number >= count:
        raise RuntimeError(f"NextWave after wave {number} of {count}: there is no next wave")
    statuses = status_map(store.iter_statuses(ddb, table, execution.arn))
    finished = [tally(n, read(s3, bucket, execution, n), statuses) for n in range(1, number + 1)]
    later = [read(s3, bucket, execution, n) for n in range(number + 1, count + 1)]
    stop = stop_reason(finished, count, bool(run.get("canary_wave")), Budget.of_run(run), sum(map(len, later)))
    if stop is None:
        return load(current, bucket, execution, later[0], int(run["distributed_threshold"]))
    expires_at = int(run["expires_at"])
    store.batch_write(
        ddb,
        table,
        (
            item
            for wave in later
            for item in store.not_run_items(execution.arn, wave, WAVE_STOPPED_CODE, stop.target_message, expires_at)
        ),
    )
    store.record_stopped(ddb, table, execution.arn, stop.summary)
    return {
        **current,
        "AccountRegions": [],
        "Batches": None,
        "Waves": {**state(number, count, finished[-1].targets), "Stopped": True},
    }


def report(
    s3: Any, bucket: str, ddb: Any, table: str, execution: store.ExecutionRef, count: int
) -> list[dict[str, int]]:
    """The report's ``Waves`` of an execution of ``count`` waves, from its wave files and statuses."""
    statuses = status_map(store.iter_statuses(ddb, table, execution.arn))
    return summary([read(s3, bucket, execution, n) for n in range(1, count + 1)], statuses)
