"""The distributed Map path at scale, in the emulator: the same synthetic organization run through
our state machine twice, once forced inline and once forced distributed (batches of 20 targets in an
S3 JSON file, read by ItemReader, one child per batch, results written by ResultWriter)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from benchmarks.measure import BATCH_SIZE, Bench, bench_world, history
from orgops import store
from orgops.emulator.server import quiet_moto
from orgops.sessions import client
from tests.conftest import fake_aws_environment

TARGETS = 800  # 200 accounts x 4 regions: 40 children (larger runs belong to `make bench`: test time)


@dataclass(frozen=True)
class Run:
    arn: str
    output: dict[str, Any]
    statuses: list[dict[str, Any]]
    report: bytes
    history: list[dict[str, Any]]


@dataclass(frozen=True)
class Scale:
    bench: Bench
    inline: Run
    distributed: Run
    objects: dict[str, bytes]  # key -> body, for targets/ and map-results/


def _run(bench: Bench, design: str) -> Run:
    ex, figures = bench.run(design, TARGETS)
    assert not figures.failure, figures.failure
    session = bench.emu.session()
    statuses = list(store.iter_statuses(client(session, "dynamodb"), bench.emu.stack.status_table, ex.arn))
    return Run(ex.arn, ex.output, statuses, bench.emu.read_object(ex.output["ReportUri"]), history(bench.emu, ex.arn))


@pytest.fixture(scope="module")
def scale() -> Iterator[Scale]:
    quiet_moto()
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        with bench_world([TARGETS]) as bench:
            distributed = _run(bench, "distributed")
            inline = _run(bench, "inline")
            s3 = client(bench.emu.session(), "s3")
            bucket = bench.emu.stack.data_bucket
            objects = {}
            for prefix in ("targets/", "map-results/"):
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                    for o in page.get("Contents", []):
                        objects[o["Key"]] = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            yield Scale(bench, inline, distributed, objects)


def _keys(run: Run) -> Counter[str]:
    return Counter(str(s["target"]) for s in run.statuses)


def test_the_distributed_run_succeeds_for_every_target(scale: Scale) -> None:
    out = scale.distributed.output
    assert (out["Targets"], out["Succeeded"], out["Failed"], out["Skipped"], out["Rows"]) == (
        TARGETS,
        TARGETS,
        0,
        0,
        TARGETS,
    )


def test_every_target_has_exactly_one_status_item(scale: Scale) -> None:
    keys = _keys(scale.distributed)

    assert len(keys) == TARGETS
    assert set(keys.values()) == {1}
    assert {s["status"] for s in scale.distributed.statuses} == {store.SUCCEEDED}


def test_the_distributed_and_inline_paths_record_the_same_targets(scale: Scale) -> None:
    assert _keys(scale.distributed) == _keys(scale.inline)


def test_the_report_is_byte_for_byte_the_inline_paths_report(scale: Scale) -> None:
    assert scale.distributed.report == scale.inline.report
    assert scale.distributed.report.count(b"\n") == TARGETS + 1


def test_the_summary_is_the_inline_paths_summary(scale: Scale) -> None:
    comparison = ("ComparedWith", "New", "Resolved", "Changed", "NotCompared", "ChangesUri")

    def summary(run: Run) -> dict[str, Any]:
        return {k: v for k, v in run.output.items() if k not in ("ReportUri", "ErrorsUri", *comparison)}

    assert summary(scale.distributed) == summary(scale.inline)
    # the inline run (the same selection, after it) is compared with the distributed one: no change
    assert {k: scale.inline.output[k] for k in comparison[:-1]} == {
        "ComparedWith": scale.distributed.arn,
        "New": 0,
        "Resolved": 0,
        "Changed": 0,
        "NotCompared": 0,
    }


def test_the_fanout_packs_every_target_once_into_batches_of_the_batch_size(scale: Scale) -> None:
    execution = store.ExecutionRef.parse(scale.distributed.arn)
    batches = json.loads(scale.objects[store.targets_key(execution)])

    assert [len(b["Targets"]) for b in batches] == [BATCH_SIZE] * (TARGETS // BATCH_SIZE)
    pairs = Counter((t["AccountId"], t["Region"]) for b in batches for t in b["Targets"])
    assert len(pairs) == TARGETS and set(pairs.values()) == {1}


def test_the_result_writer_writes_the_map_run_results_under_map_results(scale: Scale) -> None:
    manifests = [k for k in scale.objects if k.startswith("map-results/") and k.endswith("manifest.json")]
    assert len(manifests) == 1
    manifest = json.loads(scale.objects[manifests[0]])
    assert manifest["MapRunArn"].startswith("arn:aws:states:us-east-1:")


def test_the_parent_history_has_no_per_target_event(scale: Scale) -> None:
    types = Counter(e["type"] for e in scale.distributed.history)

    assert types["MapRunStarted"] == 1 and types["MapRunSucceeded"] == 1
    assert types["TaskScheduled"] == 2  # the fanout and the report
    assert len(scale.distributed.history) < 50


def test_the_inline_paths_history_grows_with_the_targets(scale: Scale) -> None:
    # 12 events per target (2 tasks x 5 events + the iteration's 2): why the threshold exists.
    assert len(scale.inline.history) >= 12 * TARGETS
