"""securityhub-standards: whether each standard in ``Params.StandardArns`` is enabled.

``REGION`` in a standard ARN is replaced by the target's region, so one input serves every region
(the seed's pattern). An account/region where Security Hub is not enabled reports every standard
as not enabled, with status ``HUB_NOT_ENABLED``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from orgops.operations.base import Operation, Param, Row
from orgops.sessions import client

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target

FSBP = "arn:aws:securityhub:REGION::standards/aws-foundational-security-best-practices/v/1.0.0"
STANDARD_ARN = r"arn:aws[a-z-]*:securityhub:[A-Za-z0-9-]*::(standards|ruleset)/.+"


def standard_arns(params: Mapping[str, Any], region: str) -> list[str]:
    return [arn.replace("REGION", region) for arn in params["StandardArns"]]


def enabled_standards(hub: Any) -> dict[str, dict[str, Any]] | None:
    """Subscriptions by standard ARN, or None when Security Hub is not enabled here."""
    try:
        pages = hub.get_paginator("get_enabled_standards").paginate()
        return {s["StandardsArn"]: s for page in pages for s in page["StandardsSubscriptions"]}
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("InvalidAccessException", "ResourceNotFoundException"):
            return None
        raise


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    hub = client(session, "securityhub", target.region)
    enabled = enabled_standards(hub)
    for arn in standard_arns(params, target.region):
        sub = (enabled or {}).get(arn)
        yield {
            "standard_arn": arn,
            "enabled": sub is not None and sub["StandardsStatus"] in ("READY", "PENDING"),
            "status": "HUB_NOT_ENABLED" if enabled is None else (sub or {}).get("StandardsStatus", "NOT_ENABLED"),
            "subscription_arn": (sub or {}).get("StandardsSubscriptionArn", ""),
        }


OPERATION = Operation(
    name="securityhub-standards",
    description="Whether each Security Hub standard in Params.StandardArns is enabled.",
    role="readonly",
    columns=("standard_arn", "enabled", "status", "subscription_arn"),
    run=run,
    params=(
        Param(
            "StandardArns",
            "string_list",
            "Standard ARNs to check; REGION is replaced by the target's region.",
            default=[FSBP],
            pattern=STANDARD_ARN,
        ),
    ),
)
