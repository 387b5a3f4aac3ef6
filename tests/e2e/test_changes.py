"""What changed since the last run, through the state machines in the emulator: two runs of
unused-ebs-volumes, between which one volume is created, one deleted and one retagged, give exactly
those three changes in changes.csv, the counts in the summary, and the SNS message's first line.

The world: "alpha" with a volume in eu-west-1 and one in us-east-1, "beta" whose member role the
StackSet never created (its targets fail in both runs: not compared), "gamma" with a volume in
eu-west-1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from orgops import store
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings, World
from orgops.emulator.runs import Execution
from orgops.emulator.world import member_session
from tests.conftest import fake_aws_environment

pytestmark = pytest.mark.e2e

OPERATION = "unused-ebs-volumes"
REGIONS = ("eu-west-1", "us-east-1")
SPECS = (
    AccountSpec("alpha", "Workloads"),
    AccountSpec("beta", "Sandbox", member_roles=False),
    AccountSpec("gamma", "Dev"),
)
INPUT = {"Regions": list(REGIONS)}


@dataclass(frozen=True)
class TwoRuns:
    emu: Emulator
    world: World
    first: Execution
    second: Execution
    volumes: dict[str, dict[str, Any]]  # "kept", "deleted", "retagged", "created" -> the volume as created
    messages: list[dict[str, Any]]  # what SNS delivered, in order

    def id(self, name: str) -> str:
        return self.world.account_id(name)


@pytest.fixture(scope="module")
def runs() -> Iterator[TwoRuns]:
    settings = StackSettings(defaults=OperationSettings(regions=REGIONS))
    with (
        pytest.MonkeyPatch.context() as mp,
        Emulator.in_process(operations=(OPERATION,), settings=settings) as emu,
    ):
        fake_aws_environment(mp)
        world = emu.build_organization(SPECS)
        sqs = emu.session().client("sqs")
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        emu.session().client("sns").subscribe(TopicArn=emu.stack.topic_arn, Protocol="sqs", Endpoint=queue_arn)

        def ec2(account: str, region: str) -> Any:
            return member_session(emu.session(), world.account_id(account)).client("ec2", region_name=region)

        def volume(account: str, region: str, size: int, **tags: str) -> dict[str, Any]:
            spec = [{"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
            return dict(
                ec2(account, region).create_volume(
                    Size=size, AvailabilityZone=f"{region}a", VolumeType="gp3", TagSpecifications=spec
                )
            )

        kept = volume("alpha", "eu-west-1", 5, team="a")
        retagged = volume("alpha", "us-east-1", 6, team="a")
        deleted = volume("gamma", "eu-west-1", 7, team="g")
        first = emu.run(OPERATION, INPUT)
        ec2("gamma", "eu-west-1").delete_volume(VolumeId=deleted["VolumeId"])
        ec2("alpha", "us-east-1").create_tags(Resources=[retagged["VolumeId"]], Tags=[{"Key": "team", "Value": "=b"}])
        created = volume("gamma", "eu-west-1", 8, team="g")
        second = emu.run(OPERATION, INPUT)
        received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        messages = [json.loads(m["Body"]) for m in received]
        yield TwoRuns(
            emu,
            world,
            first,
            second,
            {"kept": kept, "retagged": retagged, "deleted": deleted, "created": created},
            messages,
        )


def _time(volume: dict[str, Any]) -> str:
    return store.format_cell(volume["CreateTime"])


def test_the_first_run_has_nothing_to_compare(runs: TwoRuns) -> None:
    assert runs.first.status == "SUCCEEDED", runs.first.cause
    assert runs.first.output is not None
    assert (runs.first.output["ComparedWith"], runs.first.output["ChangesUri"]) == (None, None)


def test_the_second_run_counts_one_new_one_resolved_one_changed(runs: TwoRuns) -> None:
    assert runs.second.status == "SUCCEEDED", runs.second.cause
    out = runs.second.output
    assert out is not None
    name = store.ExecutionRef.parse(runs.second.arn).name
    bucket = runs.emu.stack.data_bucket
    assert {k: out[k] for k in ("ComparedWith", "New", "Resolved", "Changed", "NotCompared", "ChangesUri")} == {
        "ComparedWith": runs.first.arn,
        "New": 1,
        "Resolved": 1,
        "Changed": 1,
        "NotCompared": 2,  # beta, in both regions
        "ChangesUri": f"s3://{bucket}/reports/{OPERATION}/{name}/changes.csv",
    }


def test_changes_csv_holds_exactly_the_created_deleted_and_retagged_volumes(runs: TwoRuns) -> None:
    assert runs.second.output is not None
    v = runs.volumes
    alpha, gamma = runs.id("alpha"), runs.id("gamma")
    rows = {
        alpha: [
            {
                "change": "changed",
                "changed_columns": "tags",
                "previous": '{"tags":"team=a"}',
                "account_id": alpha,
                "account_name": "alpha",
                "region": "us-east-1",
                "volume_id": v["retagged"]["VolumeId"],
                "size_gib": "6",
                "volume_type": "gp3",
                "create_time": _time(v["retagged"]),
                "availability_zone": "us-east-1a",
                "tags": "team==b",
            }
        ],
        gamma: [
            {
                "change": change,
                "changed_columns": "",
                "previous": "",
                "account_id": gamma,
                "account_name": "gamma",
                "region": "eu-west-1",
                "volume_id": volume["VolumeId"],
                "size_gib": str(volume["Size"]),
                "volume_type": "gp3",
                "create_time": _time(volume),
                "availability_zone": "eu-west-1a",
                "tags": "team=g",
            }
            for change, volume in sorted(
                (("removed", v["deleted"]), ("added", v["created"])), key=lambda cv: cv[1]["VolumeId"]
            )
        ],
    }
    expected = [row for account in sorted(rows) for row in rows[account]]  # identity order: account first

    assert runs.emu.read_csv(runs.second.output["ChangesUri"]) == expected


def test_the_sns_message_leads_with_the_changes(runs: TwoRuns) -> None:
    first_name = store.ExecutionRef.parse(runs.first.arn).name
    (second,) = [m for m in runs.messages if "since" in m["Message"]]

    assert len(runs.messages) == 2
    assert second["Message"].splitlines()[0] == (
        f"+1 new unused EBS volumes, 1 resolved, 1 changed since {first_name} "
        "(2 targets not compared: failed or skipped in one of the runs)."
    )
    assert second["Subject"] == (
        "orgops unused-ebs-volumes: +1 new unused EBS volumes, 1 resolved, 1 changed (FAILED TARGETS)"
    )
