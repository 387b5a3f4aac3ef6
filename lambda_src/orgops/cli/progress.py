"""Progress of a run: counts from the execution history or a map run, and a one-line bar.

``Counts`` is what the bar shows; ``render`` turns counts into the line (a pure function, tested
without a terminal); ``HistoryCounter`` folds Step Functions history events into counts for the
inline Map path, and ``map_run_counts`` reads ``DescribeMapRun`` for the distributed path, whose
items are batches of targets (their targets run in child executions, outside this history).
``ProgressLine`` redraws the bar in place on a terminal and logs a plain line now and then otherwise.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TextIO

from orgops.asl import FANOUT_STATE, RECORD_STATE, REPORT_STATE

# Phases of a run, in order; the bar shows the one in progress.
STARTING = "starting"
FANOUT = "listing accounts"
RUNNING = "running"
REPORT = "writing report"
DONE = "done"

HISTORY_PAGE = 1000


@dataclass(frozen=True)
class Counts:
    """Targets (or batches, on the distributed path) by state; ``total`` None until known."""

    total: int | None = None
    succeeded: int = 0
    failed: int = 0
    running: int = 0
    phase: str = STARTING
    unit: str = "targets"
    not_run: int = 0  # NOT_RUN: not started, the run's MaxErrors was exceeded

    @property
    def finished(self) -> int:
        return self.succeeded + self.failed + self.not_run


def format_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def render(counts: Counts, elapsed: float, width: int = 80, unicode: bool = True) -> str:
    """The progress line, at most ``width`` characters.

    >>> render(Counts(total=4, succeeded=1, failed=1, running=2, phase=RUNNING), 5, unicode=False)
    '[##########..........]  2/4 targets  ok 1  failed 1  running 2  0:05  running'
    """
    full, empty = ("\u2588", "\u2591") if unicode else ("#", ".")
    cells = 20
    if counts.total:
        filled = min(cells, counts.finished * cells // counts.total)
        bar = full * filled + empty * (cells - filled)
        done = f"{counts.finished}/{counts.total} {counts.unit}"
    else:
        bar = empty * cells
        done = f"{counts.finished} {counts.unit}"
    not_run = f"  not run {counts.not_run}" if counts.not_run else ""
    line = (
        f"[{bar}]  {done}  ok {counts.succeeded}  failed {counts.failed}{not_run}  running {counts.running}  "
        f"{format_duration(elapsed)}  {counts.phase}"
    )
    return line[:width]


def _status_output(event: Mapping[str, Any]) -> str | None:
    details = event.get("stateExitedEventDetails") or {}
    if details.get("name") != RECORD_STATE:
        return None
    try:
        return str(json.loads(details.get("output") or "null"))
    except ValueError:
        return None


def apply_events(counts: Counts, events: Iterable[Mapping[str, Any]]) -> Counts:
    """``counts`` advanced by history events of the inline path (a fold: pages can be added one by one)."""
    started = counts.running + counts.finished
    succeeded, failed, total, phase = counts.succeeded, counts.failed, counts.total, counts.phase
    not_run = counts.not_run
    for event in events:
        kind = event.get("type", "")
        if kind == "TaskStateEntered":
            name = (event.get("stateEnteredEventDetails") or {}).get("name")
            if name == FANOUT_STATE:
                phase = FANOUT
            elif name == REPORT_STATE:
                phase = REPORT
        elif kind == "TaskStateExited" and (event.get("stateExitedEventDetails") or {}).get("name") == FANOUT_STATE:
            output = json.loads((event.get("stateExitedEventDetails") or {}).get("output") or "{}")
            total = int(output.get("TargetCount", 0)) if isinstance(output, dict) else total
            phase = RUNNING
        elif kind == "MapIterationStarted":
            started += 1
        elif kind == "TaskStateExited":
            status = _status_output(event)
            if status == "FAILED":
                failed += 1
            elif status == "NOT_RUN":
                not_run += 1
            elif status is not None:
                succeeded += 1
        elif kind in ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
            phase = DONE
    running = max(0, started - succeeded - failed - not_run)
    return replace(
        counts, total=total, succeeded=succeeded, failed=failed, not_run=not_run, running=running, phase=phase
    )


class HistoryCounter:
    """Counts from ``GetExecutionHistory``, re-reading only the last incomplete page on each poll.

    Full pages are folded once and kept with the token that follows them; AWS returns a
    ``nextToken`` only after a full page, so the tail is the only part read again.
    """

    def __init__(self, sfn: Any, execution_arn: str, page_size: int = HISTORY_PAGE) -> None:
        self._sfn = sfn
        self._arn = execution_arn
        self._page_size = page_size
        self._settled = Counts()
        self._token: str | None = None
        self.fanout_output: dict[str, Any] | None = None

    def poll(self) -> Counts:
        counts = self._settled
        token = self._token
        while True:
            kwargs: dict[str, Any] = {"executionArn": self._arn, "maxResults": self._page_size}
            if token:
                kwargs["nextToken"] = token
            page = self._sfn.get_execution_history(**kwargs)
            events = page.get("events", [])
            self._remember_fanout(events)
            counts = apply_events(counts, events)
            token = page.get("nextToken")
            if not token:
                return counts
            self._settled, self._token = counts, token

    def _remember_fanout(self, events: Iterable[Mapping[str, Any]]) -> None:
        for event in events:
            details = event.get("stateExitedEventDetails") or {}
            if event.get("type") == "TaskStateExited" and details.get("name") == FANOUT_STATE:
                output = json.loads(details.get("output") or "{}")
                if isinstance(output, dict):
                    self.fanout_output = {k: v for k, v in output.items() if k != "AccountRegions"}


def map_run_counts(description: Mapping[str, Any], phase: str = RUNNING) -> Counts:
    """Counts of batches from ``DescribeMapRun``; timed-out and aborted items count as failed."""
    items = description.get("itemCounts") or {}
    return Counts(
        total=int(items.get("total", 0)),
        succeeded=int(items.get("succeeded", 0)),
        failed=int(items.get("failed", 0)) + int(items.get("timedOut", 0)) + int(items.get("aborted", 0)),
        running=int(items.get("running", 0)),
        phase=phase,
        unit="batches",
    )


class ProgressLine:
    """Redraws one line in place on a terminal; elsewhere (CI logs) writes a plain line every
    ``log_every`` seconds, so a long run still shows signs of life without flooding the log."""

    def __init__(
        self,
        stream: TextIO,
        width: int = 80,
        enabled: bool | None = None,
        log_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._width = width
        self._enabled = stream.isatty() if enabled is None else enabled
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        self._unicode = encoding in ("utf8", "utf8sig")
        self._clock = clock
        self._start = clock()
        self._log_every = log_every
        self._logged_at = self._start
        self._last = ""

    @property
    def enabled(self) -> bool:
        """Whether the line is drawn in place (the stream is a terminal)."""
        return self._enabled

    def wants_counts(self) -> bool:
        """Whether the next ``update`` will write: always on a terminal, when a log line is due elsewhere."""
        return self._enabled or self._clock() - self._logged_at >= self._log_every

    def update(self, counts: Counts) -> None:
        now = self._clock()
        if not self._enabled:
            if now - self._logged_at >= self._log_every:
                self._stream.write(render(counts, now - self._start, self._width, unicode=False) + "\n")
                self._stream.flush()
                self._logged_at = now
            return
        line = render(counts, now - self._start, self._width - 1, self._unicode)
        if line != self._last:
            self._stream.write("\r\x1b[K" + line)
            self._stream.flush()
            self._last = line

    def finish(self, counts: Counts | None = None) -> None:
        if not self._enabled:
            return
        if counts is not None:
            self._last = ""
            self.update(counts)
        self._stream.write("\n")
        self._stream.flush()
