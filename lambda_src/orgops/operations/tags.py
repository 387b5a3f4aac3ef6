"""tags: resources missing any of the tag keys in ``Params.RequiredTags`` (via the tagging API).

The Resource Groups Tagging API lists resources that are, or once were, tagged; a resource that
was never tagged at all is not listed by AWS and so not reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from orgops.operations.base import Operation, Param, Row
from orgops.operations.common import RESOURCE_TYPE_PATTERN, TAG_KEY_PATTERN, resource_type, tagged_resources
from orgops.sessions import client

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target

RESOURCE_TYPES = Param(
    "ResourceTypes",
    "string_list",
    "Tagging-API resource type filters (ec2:instance, s3, rds:db); empty means every type.",
    default=[],
    pattern=RESOURCE_TYPE_PATTERN,
    min_items=0,
)


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    tagging = client(session, "resourcegroupstaggingapi", target.region)
    required = params["RequiredTags"]
    for arn, tags in tagged_resources(tagging, params["ResourceTypes"]):
        missing = [k for k in required if k not in tags]
        if not missing:
            continue
        yield {
            "resource_arn": arn,
            "resource_type": resource_type(arn),
            "missing_tags": missing,
            "tags": tags,
        }


OPERATION = Operation(
    name="tags",
    description="Resources missing any of the tag keys in Params.RequiredTags (Resource Groups Tagging API).",
    role="readonly",
    actions=("tag:GetResources",),
    key=("resource_arn",),
    noun="resources missing tags",
    columns=("resource_arn", "resource_type", "missing_tags", "tags"),
    run=run,
    params=(
        Param(
            "RequiredTags", "string_list", "Tag keys every resource must have.", required=True, pattern=TAG_KEY_PATTERN
        ),
        RESOURCE_TYPES,
    ),
)
