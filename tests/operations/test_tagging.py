"""tags (inventory) and tag-remediation (adds missing required tags; dry run by default)."""

from __future__ import annotations

from typing import Any

import boto3

from tests.operations.conftest import REGION
from tests.operations.helpers import run

REQUIRED = {"Owner": "unassigned", "CostCenter": "0000"}


def resources(session: boto3.Session) -> tuple[str, str, str]:
    """A volume tagged Owner, a bucket tagged Owner+CostCenter, a bucket tagged Env: (arns)."""
    ec2 = session.client("ec2", region_name=REGION)
    s3 = session.client("s3", region_name=REGION)
    volume = ec2.create_volume(
        AvailabilityZone=f"{REGION}a",
        Size=1,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Owner", "Value": "ana"}]}],
    )["VolumeId"]
    for bucket, tags in (("complete", {"Owner": "bo", "CostCenter": "42"}), ("bare", {"Env": "dev"})):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})
    return f"arn:aws:ec2:{REGION}:123456789012:volume/{volume}", "arn:aws:s3:::complete", "arn:aws:s3:::bare"


def tags_of(session: boto3.Session) -> dict[str, dict[str, str]]:
    tagging = session.client("resourcegroupstaggingapi", region_name=REGION)
    return {
        m["ResourceARN"]: {t["Key"]: t["Value"] for t in m["Tags"]}
        for m in tagging.get_resources()["ResourceTagMappingList"]
    }


def test_tags_lists_resources_missing_a_required_key(session: boto3.Session) -> None:
    volume, _complete, bare = resources(session)

    rows = run("tags", session, {"RequiredTags": ["Owner", "CostCenter"]})

    assert rows == [
        {
            "resource_arn": volume,
            "resource_type": "ec2:volume",
            "missing_tags": ["CostCenter"],
            "tags": {"Owner": "ana"},
        },
        {"resource_arn": bare, "resource_type": "s3", "missing_tags": ["Owner", "CostCenter"], "tags": {"Env": "dev"}},
    ]


def test_tags_resource_type_filter_limits_the_resources(session: boto3.Session) -> None:
    _volume, _complete, bare = resources(session)

    rows = run("tags", session, {"RequiredTags": ["Owner"], "ResourceTypes": ["s3"]})

    assert [r["resource_arn"] for r in rows] == [bare]


def test_tag_remediation_dry_run_plans_the_tags_and_changes_nothing(session: boto3.Session) -> None:
    volume, _complete, bare = resources(session)
    before = tags_of(session)

    rows = run("tag-remediation", session, {"RequiredTags": REQUIRED})

    assert rows == [
        {
            "resource_arn": volume,
            "resource_type": "ec2:volume",
            "action": "add-tags",
            "tags_added": {"CostCenter": "0000"},
            "tags_before": {"Owner": "ana"},
            "tags_after": {"Owner": "ana", "CostCenter": "0000"},
            "applied": False,
            "error": "",
        },
        {
            "resource_arn": bare,
            "resource_type": "s3",
            "action": "add-tags",
            "tags_added": {"Owner": "unassigned", "CostCenter": "0000"},
            "tags_before": {"Env": "dev"},
            "tags_after": {"Env": "dev", "Owner": "unassigned", "CostCenter": "0000"},
            "applied": False,
            "error": "",
        },
    ]
    assert tags_of(session) == before


def test_tag_remediation_apply_adds_only_the_missing_tags(session: boto3.Session) -> None:
    volume, complete, bare = resources(session)

    rows = run("tag-remediation", session, {"RequiredTags": REQUIRED}, dry_run=False)

    assert [(r["resource_arn"], r["applied"], r["error"]) for r in rows] == [(volume, True, ""), (bare, True, "")]
    assert tags_of(session) == {
        volume: {"Owner": "ana", "CostCenter": "0000"},
        complete: {"Owner": "bo", "CostCenter": "42"},
        bare: {"Env": "dev", "Owner": "unassigned", "CostCenter": "0000"},
    }


def mapping(arn: str, tags: dict[str, str]) -> dict[str, Any]:
    return {"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


def test_tag_remediation_reports_a_failed_call_and_goes_on(stubbed: Any) -> None:
    fake = stubbed("resourcegroupstaggingapi")
    a, b, c = (f"arn:aws:sqs:{REGION}:123456789012:q{i}" for i in range(3))
    fake.stubber.add_response(
        "get_resources",
        {"ResourceTagMappingList": [mapping(a, {"Owner": "x"}), mapping(b, {}), mapping(c, {"Env": "p"})]},
        {},
    )
    fake.stubber.add_client_error(
        "tag_resources",
        "AccessDeniedException",
        "not allowed",
        expected_params={"ResourceARNList": [a], "Tags": {"CostCenter": "0000"}},
    )
    fake.stubber.add_response(
        "tag_resources",
        {
            "FailedResourcesMap": {
                c: {"StatusCode": 400, "ErrorCode": "InvalidParameterException", "ErrorMessage": "no"}
            }
        },
        {"ResourceARNList": [b, c], "Tags": {"Owner": "unassigned", "CostCenter": "0000"}},
    )

    rows = run("tag-remediation", fake, {"RequiredTags": REQUIRED}, dry_run=False)

    assert [(r["resource_arn"], r["applied"], r["error"], r["tags_after"]) for r in rows] == [
        (a, False, "AccessDeniedException: not allowed", {"Owner": "x"}),
        (b, True, "", {"Owner": "unassigned", "CostCenter": "0000"}),
        (c, False, "InvalidParameterException: no", {"Env": "p"}),
    ]


def test_tag_remediation_tags_at_most_20_resources_per_call(stubbed: Any) -> None:
    fake = stubbed("resourcegroupstaggingapi")
    arns = [f"arn:aws:sqs:{REGION}:123456789012:q{i:02}" for i in range(21)]
    fake.stubber.add_response("get_resources", {"ResourceTagMappingList": [mapping(a, {"Env": "p"}) for a in arns]}, {})
    for batch in (arns[:20], arns[20:]):
        fake.stubber.add_response(
            "tag_resources", {"FailedResourcesMap": {}}, {"ResourceARNList": batch, "Tags": {"Owner": "unassigned"}}
        )

    rows = run("tag-remediation", fake, {"RequiredTags": {"Owner": "unassigned"}}, dry_run=False)

    assert [r["applied"] for r in rows] == [True] * 21
