"""stopped-instances in moto: exact rows, the Days cut-off, and only declared AWS calls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from acme_ops.stopped_instances import OPERATION, stopped_since
from moto import mock_aws

from orgops import testing
from orgops.errors import InvalidInput

REGION = "eu-west-1"


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def launch(session: boto3.Session, *, stop: bool, tags: dict[str, str] | None = None) -> str:
    ec2 = session.client("ec2", region_name=REGION)
    image = "ami-12c6146b"  # moto does not check that the image exists
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}]
    kwargs = {"TagSpecifications": spec} if tags else {}
    instance_id = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", **kwargs)[
        "Instances"
    ][0]["InstanceId"]
    if stop:
        ec2.stop_instances(InstanceIds=[instance_id])
    return str(instance_id)


def test_a_stopped_instance_is_reported_and_a_running_one_is_not(session: boto3.Session) -> None:
    stopped = launch(session, stop=True, tags={"team": "data"})
    launch(session, stop=False)

    with testing.declared_calls(OPERATION) as calls:
        rows = testing.run(OPERATION, session, REGION, params={"Days": 0})

    found = [(r["instance_id"], r["instance_type"], r["tags"]) for r in rows]
    assert found == [(stopped, "t3.micro", {"team": "data"})]
    assert datetime.fromisoformat(rows[0]["stopped_since"]) <= datetime.now(UTC)
    assert calls == ["ec2:DescribeInstances"]


def test_an_instance_stopped_more_recently_than_days_is_left_out(session: boto3.Session) -> None:
    launch(session, stop=True)

    assert testing.run(OPERATION, session, REGION, params={"Days": 30}) == []


def test_the_stop_time_is_read_from_the_state_transition_reason() -> None:
    assert stopped_since("User initiated (2026-11-02 09:30:00 GMT)") == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    assert stopped_since("") is None


def test_days_below_zero_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"^Params\.Days: -1 is below the minimum 0$"):
        OPERATION.validate_params({"Days": -1})
