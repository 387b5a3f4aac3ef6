"""The real fanout for 100,000 targets (6,250 accounts x 16 regions) in moto: only the organization
listing is replaced (moto would take minutes to create 6,250 accounts); the targets go to S3 and
the output the state machine carries stays a pointer, far below the 256 KiB payload limit."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest

from orgops import org, store
from orgops.config import FanoutSettings
from orgops.handlers import fanout
from tests.handlers.org_fixture import DATA_BUCKET, STATUS_TABLE, create_data_plane

ACCOUNTS = 6_250
# Regions every account has (none opt-in: an opt-in one makes the fanout list each account's regions).
REGIONS = [
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
]
TARGETS = ACCOUNTS * len(REGIONS)
PAYLOAD_LIMIT = 256 * 1024
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:orgops-public-ips:big-run"


@pytest.fixture
def big_run(aws: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    create_data_plane(aws)
    accounts = [org.Account(id=f"{100000000000 + i}", name=f"account-{i:05d}") for i in range(ACCOUNTS)]
    monkeypatch.setattr(org, "load_accounts", lambda *_a, **_k: accounts)
    event = {
        "Input": {"Regions": REGIONS},
        "Operation": "public-ips",
        "DefaultRegions": "us-east-1",
        "DistributedThreshold": 1000,
        "BatchSize": 20,
        "ExecutionId": EXECUTION,
    }
    output = fanout.fanout(event, FanoutSettings(DATA_BUCKET, STATUS_TABLE, None), aws, now=1_700_000_000)
    key = store.targets_key(store.ExecutionRef.parse(EXECUTION))
    body = aws.client("s3", region_name="us-east-1").get_object(Bucket=DATA_BUCKET, Key=key)["Body"].read()
    return output, json.loads(body)


def test_the_output_for_100000_targets_is_a_pointer_under_one_kib(big_run: tuple[dict, list]) -> None:
    output, _batches = big_run

    assert (output["Mode"], output["TargetCount"], output["AccountRegions"]) == ("DISTRIBUTED", TARGETS, [])
    assert output["Batches"] == {"Bucket": DATA_BUCKET, "Key": "targets/orgops-public-ips/big-run/batches.json"}
    assert len(json.dumps(output).encode()) < 1024


def test_every_one_of_the_100000_targets_is_in_exactly_one_batch(big_run: tuple[dict, list]) -> None:
    _output, batches = big_run

    assert len(batches) == TARGETS // 20 and {len(b["Targets"]) for b in batches} == {20}
    pairs = Counter((t["AccountId"], t["Region"]) for b in batches for t in b["Targets"])
    assert len(pairs) == TARGETS and set(pairs.values()) == {1}


def test_the_largest_child_input_stays_far_below_the_payload_limit(big_run: tuple[dict, list]) -> None:
    output, batches = big_run
    # What the Distributed Map's ItemSelector hands each child: one batch, Common, the execution id.
    largest = max(
        len(json.dumps({"Targets": b["Targets"], "Common": output["Common"], "ExecutionId": EXECUTION}).encode())
        for b in batches
    )

    assert largest < PAYLOAD_LIMIT // 64
