"""The report reads rows objects ahead, in threads: same rows in the same order, bounded, no leaks.

A fake S3 client stands in for botocore's: it records every ``get_object`` and can hold one
until an event is set, so each test controls exactly which reads are running. Waits on events
and conditions have a timeout only so that a broken implementation fails instead of hanging.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from orgops import report, store
from orgops.sessions import client, new_session
from orgops.targets import Target

BUCKET = "data"
REF = store.ExecutionRef.parse("arn:aws:states:us-east-1:123456789012:execution:orgops-prefetch:run-1")
# Only a guard against hanging: no assertion depends on how long anything takes.
TIMEOUT = 10.0


def target(index: int) -> tuple[str, str]:
    return (f"{100000000000 + index:012d}", "eu-west-1")


def key_of(index: int) -> str:
    account_id, region = target(index)
    return store.rows_key(REF, Target(account_id, "", region))


def target_rows(index: int, count: int) -> list[list[str]]:
    account_id, region = target(index)
    return [[account_id, f"n{index}", region, f"r-{index}-{n}", 'é,"q"\n=1'] for n in range(count)]


class FakeS3:
    """``get_object`` over in-memory objects; records calls; a gated key waits for its event."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.gates: dict[str, threading.Event] = {}
        self.errors: dict[str, Exception] = {}
        # Set when the read of the key has returned (or raised).
        self.done = {key: threading.Event() for key in objects}
        self.changed = threading.Condition()
        self.started: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        # The target the consumer last had a row of (1-based), and how far ahead of it reads began.
        self.consumer_at = 0
        self.max_ahead = 0

    def get_object(self, Bucket: str, Key: str) -> dict[str, object]:
        with self.changed:
            self.started.append(Key)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.max_ahead = max(self.max_ahead, index_of(Key) - self.consumer_at)
            self.changed.notify_all()
        try:
            gate = self.gates.get(Key)
            if gate is not None and not gate.wait(TIMEOUT):
                raise TimeoutError(f"{Key} was never released")
            if Key in self.errors:
                raise self.errors[Key]
            data = self.objects[Key]
            return {"Body": StreamingBody(io.BytesIO(data), len(data)), "ContentLength": len(data)}
        finally:
            with self.changed:
                self.in_flight -= 1
                self.changed.notify_all()
            self.done[Key].set()

    def wait_for(self, predicate: Callable[[FakeS3], bool]) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout=TIMEOUT)

    def consumed(self, row: list[str]) -> None:
        with self.changed:
            self.consumer_at = int(row[1].removeprefix("n"))


def index_of(key: str) -> int:
    account_id = key.rsplit("/", 2)[-2]
    return int(account_id) - 100000000000


def world(counts: list[int]) -> tuple[FakeS3, list[tuple[str, str]], list[list[str]]]:
    """Targets 1..len(counts) with those row counts: the fake, ``with_rows`` and the expected rows."""
    objects = {key_of(i): store.encode_rows(target_rows(i, n)) for i, n in enumerate(counts, start=1)}
    expected = [row for i, n in enumerate(counts, start=1) for row in target_rows(i, n)]
    return FakeS3(objects), [target(i) for i in range(1, len(counts) + 1)], expected


def consume(rows: Iterator[list[str]], s3: FakeS3, into: list[list[str]]) -> None:
    for row in rows:
        s3.consumed(row)
        into.append(row)


def read_one_at_a_time(s3: Any, with_rows: Iterable[tuple[str, str]]) -> Iterator[list[str]]:
    """The report's reader before read-ahead: one object after the other, line by line."""
    for account_id, region in with_rows:
        body = s3.get_object(Bucket=BUCKET, Key=store.rows_key(REF, Target(account_id, "", region)))["Body"]
        for line in body.iter_lines(chunk_size=store.READ_CHUNK):
            if line:
                yield json.loads(line)


def new_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t not in before and t.is_alive()]


def test_rows_come_in_target_order_whatever_the_row_counts_and_read_order() -> None:
    # A target larger than READ_CHUNK, so its lines span chunks; the others have 1 to 4 rows.
    counts = [3, 1, 2_000, 4, 1, 2, 3, 1, 4, 2, 1, 3] * 2
    s3, with_rows, expected = world(counts)
    # Target 1's read returns only after target READ_AHEAD's: ordering by completion would put
    # targets 2..READ_AHEAD first.
    s3.gates[key_of(1)] = s3.done[key_of(report.READ_AHEAD)]

    rows = list(report.report_rows(s3, BUCKET, REF, with_rows))

    assert rows == expected
    assert rows == list(read_one_at_a_time(FakeS3(s3.objects), with_rows))
    assert sorted(s3.started) == sorted(s3.objects)


def test_at_most_read_ahead_reads_run_and_none_starts_beyond_the_window() -> None:
    counts = [(i % 3) + 1 for i in range(3 * report.READ_AHEAD)]
    s3, with_rows, expected = world(counts)
    release = threading.Event()
    for i in range(2, len(counts) + 1):
        s3.gates[key_of(i)] = release
    rows = report.report_rows(s3, BUCKET, REF, with_rows)
    received: list[list[str]] = []

    first = next(rows)
    s3.consumed(first)
    received.append(first)

    # While the consumer holds target 1's first row, targets 2..READ_AHEAD + 1 are all being read.
    window = report.READ_AHEAD + 1
    assert s3.wait_for(lambda f: len(f.started) == window and f.in_flight == report.READ_AHEAD)
    assert s3.started[0] == key_of(1)
    assert sorted(s3.started) == sorted(key_of(i) for i in range(1, window + 1))
    release.set()
    consume(rows, s3, received)

    assert received == expected
    assert s3.max_in_flight == report.READ_AHEAD
    # Target j's read starts only once the consumer has had rows of target j - READ_AHEAD - 1:
    # READ_AHEAD objects ahead of the next one it reads.
    assert s3.max_ahead <= report.READ_AHEAD + 1
    assert sorted(s3.started) == sorted(s3.objects)


def test_a_failed_read_raises_its_error_after_the_rows_of_every_target_before_it() -> None:
    counts = [2, 3, 1, 2, 1, 2]
    s3, with_rows, expected = world(counts)
    failing = 4
    error = ClientError({"Error": {"Code": "NoSuchKey", "Message": "gone"}}, "GetObject")
    s3.errors[key_of(failing)] = error
    # Target 1 is read only after target 4 has failed: an error raised as soon as it happened
    # would come before any row.
    s3.gates[key_of(1)] = s3.done[key_of(failing)]
    before = set(threading.enumerate())
    received: list[list[str]] = []

    with pytest.raises(ClientError) as raised:
        consume(report.report_rows(s3, BUCKET, REF, with_rows), s3, received)

    assert raised.value is error
    assert received == expected[: sum(counts[: failing - 1])]
    assert new_threads(before) == []
    assert s3.in_flight == 0


def test_closing_the_rows_early_waits_for_running_reads_and_starts_no_more() -> None:
    counts = [2] * (3 * report.READ_AHEAD)
    s3, with_rows, _ = world(counts)
    release = threading.Event()
    for i in range(2, len(counts) + 1):
        s3.gates[key_of(i)] = release
    before = set(threading.enumerate())
    rows = report.report_rows(s3, BUCKET, REF, with_rows)

    assert next(rows) == target_rows(1, 2)[0]
    assert s3.wait_for(lambda f: f.in_flight == report.READ_AHEAD)
    assert new_threads(before) != []
    release.set()
    rows.close()

    assert new_threads(before) == []
    assert s3.in_flight == 0
    assert len(s3.started) == report.READ_AHEAD + 1


def test_the_csv_is_the_same_bytes_as_when_objects_were_read_one_at_a_time() -> None:
    counts = [1, 4, 2, 3, 700] * 4
    s3, with_rows, _ = world(counts)
    header = ["account_id", "account_name", "region", "resource_id", "note"]
    ahead, sequential = UploadS3(s3), UploadS3(FakeS3(s3.objects))

    count = report.write_csv(ahead, BUCKET, "r.csv", header, report.report_rows(ahead, BUCKET, REF, with_rows))
    report.write_csv(sequential, BUCKET, "r.csv", header, read_one_at_a_time(sequential, with_rows))

    assert count == sum(counts)
    assert ahead.body == sequential.body
    assert ahead.body.startswith(b"account_id,account_name,region,resource_id,note\n")


class UploadS3:
    """The fake's reads, and a ``put_object`` that keeps the body (a small report is one PUT)."""

    def __init__(self, reads: FakeS3) -> None:
        self.get_object = reads.get_object
        self.body = b""

    def put_object(self, Body: bytes, **_: object) -> dict[str, object]:
        self.body = Body
        return {}


@pytest.mark.parametrize("ahead", [1, 2, 5])
def test_prefetched_keeps_the_order_for_any_window(ahead: int) -> None:
    assert list(report.prefetched(lambda n: n * n, range(20), ahead)) == [n * n for n in range(20)]


def test_prefetched_refuses_a_window_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        next(report.prefetched(str, [1], 0))


def test_the_s3_client_pool_has_a_connection_for_every_read_and_the_upload() -> None:
    s3 = client(new_session("us-east-1"), "s3")

    assert s3.meta.config.max_pool_connections >= report.READ_AHEAD + 1
