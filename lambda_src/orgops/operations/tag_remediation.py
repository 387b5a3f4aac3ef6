"""tag-remediation: add the missing ``Params.RequiredTags`` with their default values.

``RequiredTags`` maps each required key to the value given to a resource that lacks it
(``{"CostCenter": "unassigned"}``); existing values are never changed. Resources are found with
the Resource Groups Tagging API (so only resources that are or once were tagged) and tagged with
``TagResources``, up to 20 resources per call. Dry run by default.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from orgops.errors import InvalidInput
from orgops.operations.base import Operation, Param, Row
from orgops.operations.common import (
    ADMITTED,
    TAG_KEY_PATTERN,
    TAG_VALUE_PATTERN,
    Outcome,
    attempt,
    chunks,
    refusal,
    resource_type,
    tagged_resources,
)
from orgops.operations.tags import RESOURCE_TYPES
from orgops.sessions import client

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target

ACTION = "add-tags"
# TagResources takes at most 20 ARNs per call.
ARNS_PER_CALL = 20


def plan(
    resources: list[tuple[str, dict[str, str]]], required: Mapping[str, str]
) -> dict[tuple[tuple[str, str], ...], list[tuple[str, dict[str, str]]]]:
    """Resources that lack some required keys, grouped by the tags to add (one call per group)."""
    groups: dict[tuple[tuple[str, str], ...], list[tuple[str, dict[str, str]]]] = {}
    for arn, tags in resources:
        missing = tuple((k, v) for k, v in required.items() if k not in tags)
        if missing:
            groups.setdefault(missing, []).append((arn, tags))
    return groups


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    tagging = client(session, "resourcegroupstaggingapi", target.region)
    resources = list(tagged_resources(tagging, params["ResourceTypes"]))
    for adds, members in plan(resources, params["RequiredTags"]).items():
        added = dict(adds)
        for batch in chunks(members, ARNS_PER_CALL):
            # A plan being applied admits each resource on its own: the refused ones leave the call.
            refused = {
                arn: refusal({"resource_arn": arn, "action": ACTION, "tags_before": before}) for arn, before in batch
            }
            arns = [arn for arn, _ in batch if not refused.get(arn)]
            outcome = (
                attempt(dry_run, partial(tagging.tag_resources, ResourceARNList=arns, Tags=added), finding=ADMITTED)
                if arns
                else Outcome(applied=False)
            )
            failed = (outcome.response or {}).get("FailedResourcesMap", {})
            for arn, before in batch:
                error = refused.get(arn) or outcome.error
                if arn in failed:
                    error = f"{failed[arn].get('ErrorCode', 'Failed')}: {failed[arn].get('ErrorMessage', '')}"
                applied = outcome.applied and not error
                yield {
                    "resource_arn": arn,
                    "resource_type": resource_type(arn),
                    "action": ACTION,
                    "tags_added": added,
                    "tags_before": before,
                    "tags_after": {**before, **added} if applied or dry_run else before,
                    "applied": applied,
                    "error": error,
                }


def check(params: Mapping[str, Any]) -> None:
    """AWS reserves the ``aws:`` prefix: TagResources refuses such keys, so the dry run must too."""
    for key in params["RequiredTags"]:
        if key.lower().startswith("aws:"):
            raise InvalidInput(
                f"Params.RequiredTags.{key}",
                "tag keys starting with aws: are reserved for AWS and cannot be added; use another prefix",
            )


OPERATION = Operation(
    name="tag-remediation",
    description=(
        "Adds the tags of Params.RequiredTags (key -> default value) that resources lack; never changes "
        "an existing value. Dry run unless DryRun is false."
    ),
    role="admin",
    actions=(
        "tag:GetResources",
        "tag:TagResources",
    ),
    # TagResources also checks the resource's own tagging permission: EC2's here (the resource
    # types the emulator seeds); add the service's (s3:PutBucketTagging, rds:AddTagsToResource, ...)
    # for the ResourceTypes you remediate.
    extra_actions=("ec2:CreateTags",),
    # tag:GetResources and tag:TagResources support no resource-level permission ("*"); the
    # service's own tagging action does: ec2:CreateTags on the account's EC2 resources, and on AMIs
    # and snapshots, whose ARNs name no account (tags on a shared one are this account's own).
    resources={
        "ec2:CreateTags": (
            "arn:${Partition}:ec2:*:${Account}:*",
            "arn:${Partition}:ec2:*::image/*",
            "arn:${Partition}:ec2:*::snapshot/*",
        ),
    },
    mutating=True,
    key=("resource_arn", "action"),
    before=("tags_before",),
    noun="resources missing tags",
    columns=(
        "resource_arn",
        "resource_type",
        "action",
        "tags_added",
        "tags_before",
        "tags_after",
        "applied",
        "error",
    ),
    column_types={"applied": "boolean"},
    run=run,
    check=check,
    params=(
        Param(
            "RequiredTags",
            "string_map",
            "Tag key -> the default value added where the key is missing.",
            required=True,
            key_pattern=TAG_KEY_PATTERN,
            pattern=TAG_VALUE_PATTERN,
        ),
        RESOURCE_TYPES,
    ),
)
