"""The progress bar as a pure function of counts, and counts from history events and map runs."""

from __future__ import annotations

import io
import json
from typing import Any

from orgops.cli import progress
from orgops.cli.progress import Counts


def test_render_shows_the_fraction_done_and_each_count() -> None:
    line = progress.render(Counts(total=4, succeeded=1, failed=1, running=2, phase="running"), 5, unicode=False)
    assert line == "[##########..........]  2/4 targets  ok 1  failed 1  running 2  0:05  running"


def test_render_before_the_total_is_known_shows_an_empty_bar() -> None:
    line = progress.render(Counts(phase="listing accounts"), 61, width=100, unicode=False)
    assert line == "[....................]  0 targets  ok 0  failed 0  running 0  1:01  listing accounts"


def test_render_uses_block_characters_on_a_utf8_terminal_and_fits_the_width() -> None:
    line = progress.render(Counts(total=10, succeeded=10, phase="done"), 3725, width=40)
    assert line == ("[" + "\u2588" * 20 + "]  10/10 targets  ok 10  failed 0")[:40]
    assert len(line) == 40


def test_durations_over_an_hour_show_hours() -> None:
    assert progress.format_duration(3725) == "1:02:05"


def fanout_exit(count: int) -> dict[str, Any]:
    output = {"TargetCount": count, "Mode": "INLINE", "AccountRegions": [{"AccountId": "1"}] * count}
    return {
        "type": "TaskStateExited",
        "stateExitedEventDetails": {"name": "Fanout", "output": json.dumps(output)},
    }


def record_exit(status: str) -> dict[str, Any]:
    return {"type": "TaskStateExited", "stateExitedEventDetails": {"name": "RecordStatus", "output": f'"{status}"'}}


ITERATION = {"type": "MapIterationStarted", "mapIterationStartedEventDetails": {"index": 0}}


def test_history_events_count_started_recorded_and_failed_targets() -> None:
    events = [
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Fanout"}},
        fanout_exit(5),
        ITERATION,
        ITERATION,
        ITERATION,
        record_exit("SUCCEEDED"),
        record_exit("FAILED"),
        record_exit("SKIPPED"),
        ITERATION,
    ]
    assert progress.apply_events(Counts(), events) == Counts(total=5, succeeded=2, failed=1, running=1, phase="running")


def test_history_folds_page_by_page_to_the_same_counts() -> None:
    events = [fanout_exit(3), ITERATION, ITERATION, record_exit("SUCCEEDED"), ITERATION, record_exit("FAILED")]
    whole = progress.apply_events(Counts(), events)
    paged = progress.apply_events(progress.apply_events(Counts(), events[:3]), events[3:])
    assert paged == whole == Counts(total=3, succeeded=1, failed=1, running=1, phase="running")


def test_the_report_step_and_the_end_set_the_phase() -> None:
    counts = progress.apply_events(
        Counts(), [{"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Report"}}]
    )
    assert counts.phase == "writing report"
    assert progress.apply_events(counts, [{"type": "ExecutionSucceeded"}]).phase == "done"


class PagedHistory:
    """GetExecutionHistory as AWS pages it: a nextToken only after a full page."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.calls: list[str | None] = []

    def get_execution_history(self, executionArn: str, maxResults: int, nextToken: str | None = None) -> dict:
        self.calls.append(nextToken)
        start = int(nextToken or 0)
        page = self.events[start : start + maxResults]
        out: dict[str, Any] = {"events": page}
        if len(page) == maxResults:
            out["nextToken"] = str(start + maxResults)
        return out


def test_history_counter_reads_full_pages_once_and_keeps_the_fanout_output() -> None:
    history = PagedHistory([fanout_exit(3), ITERATION, ITERATION, record_exit("SUCCEEDED")])
    counter = progress.HistoryCounter(history, "arn", page_size=2)
    assert counter.poll() == Counts(total=3, succeeded=1, running=1, phase="running")
    assert counter.fanout_output == {"TargetCount": 3, "Mode": "INLINE"}
    history.events += [ITERATION, record_exit("FAILED")]
    history.calls.clear()
    assert counter.poll() == Counts(total=3, succeeded=1, failed=1, running=1, phase="running")
    assert history.calls[0] == "4"  # the first two full pages were not read again


def test_map_run_counts_are_batches_with_timeouts_and_aborts_as_failed() -> None:
    described = {"itemCounts": {"total": 10, "succeeded": 4, "failed": 1, "timedOut": 1, "aborted": 1, "running": 2}}
    assert progress.map_run_counts(described) == Counts(
        total=10, succeeded=4, failed=3, running=2, phase="running", unit="batches"
    )


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_off_a_terminal_a_plain_line_is_logged_once_a_minute() -> None:
    clock = iter([0.0, 10.0, 30.0, 61.0, 61.0, 90.0, 90.0])
    stream = Stream(tty=False)
    line = progress.ProgressLine(stream, clock=lambda: next(clock))  # starts at 0
    assert not line.wants_counts()  # 10 s
    line.update(Counts(total=2, succeeded=1, running=1, phase="running"))  # 30 s: not yet
    assert line.wants_counts()  # 61 s
    line.update(Counts(total=2, succeeded=1, running=1, phase="running"))  # 61 s: logged
    assert not line.wants_counts()  # 90 s
    line.finish(Counts(total=2, succeeded=2, phase="done"))
    assert stream.getvalue() == "[##########..........]  1/2 targets  ok 1  failed 0  running 1  1:01  running\n"


def test_the_progress_line_redraws_in_place_only_when_it_changes() -> None:
    stream = Stream(tty=True)
    line = progress.ProgressLine(stream, width=60)
    line.update(Counts(total=2, succeeded=1, phase="running"))
    line.update(Counts(total=2, succeeded=1, phase="running"))
    line.finish(Counts(total=2, succeeded=2, phase="done"))
    draws = stream.getvalue().split("\r\x1b[K")
    assert draws[0] == ""
    assert [d.split("]")[1][:22] for d in draws[1:]] == ["  1/2 targets  ok 1  f", "  2/2 targets  ok 2  f"]
    assert stream.getvalue().endswith("\n")
