"""securityhub-standards: report and manage Security Hub standards and controls.

For the target account and region:

- each standard in ``Params.StandardArns`` is reported, and enabled when it is not
  (``BatchEnableStandards``);
- each standard in ``Params.DisableStandardArns`` that is enabled is disabled
  (``BatchDisableStandards``);
- each control in ``Params.DisabledControls`` (a map of security control id to the reason, e.g.
  ``{"EC2.2": "default SGs are managed by Terraform"}``) is disabled, with that reason, in every
  standard it is enabled in (``BatchUpdateStandardsControlAssociations``). Controls of a standard
  enabled by this same run are disabled by the next run (the standard is still ``PENDING``).

``REGION`` in a standard ARN is replaced by the target's region, so one input serves every region.
Security Hub itself is never enabled: where it is not, every requested change is reported with
``status_before`` ``HUB_NOT_ENABLED`` and an error. Dry run by default; in apply mode a change that
fails is reported (``applied`` false, ``error``) and the others still run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from orgops.errors import InvalidInput
from orgops.operations.base import Operation, Param, Row
from orgops.operations.common import attempt, client_error
from orgops.sessions import client
from orgops.text import show

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target

FSBP = "arn:aws:securityhub:REGION::standards/aws-foundational-security-best-practices/v/1.0.0"
STANDARD_ARN = r"arn:aws[a-z-]*:securityhub:[A-Za-z0-9-]*::(standards|ruleset)/.+"
CONTROL_ID = r"[A-Za-z0-9]+(\.[A-Za-z0-9]+)+"
REASON = r"\S.{0,1023}"
HUB_NOT_ENABLED = "HUB_NOT_ENABLED"
NOT_ENABLED = "NOT_ENABLED"
HUB_ERROR = "SecurityHubNotEnabled: enable Security Hub in this account and region first"
ENABLED_STATES = ("READY", "PENDING", "INCOMPLETE")


def standard_arns(arns: list[str], region: str) -> list[str]:
    return [arn.replace("REGION", region) for arn in arns]


def enabled_standards(hub: Any) -> dict[str, dict[str, Any]] | None:
    """Subscriptions by standard ARN, or None when Security Hub is not enabled here."""
    try:
        pages = hub.get_paginator("get_enabled_standards").paginate()
        return {s["StandardsArn"]: s for page in pages for s in page["StandardsSubscriptions"]}
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("InvalidAccessException", "ResourceNotFoundException"):
            return None
        raise


def _row(
    standard: str, control: str, action: str, before: str, after: str, reason: str, applied: bool, error: str
) -> Row:
    return {
        "standard_arn": standard,
        "control_id": control,
        "action": action,
        "status_before": before,
        "status_after": after,
        "reason": reason,
        "applied": applied,
        "error": error,
    }


def _finding(standard: str, control: str, action: str, before: str) -> Row:
    """The key and before columns of a change, as its row reports them (what a plan checks)."""
    return {"standard_arn": standard, "control_id": control, "action": action, "status_before": before}


def _status(response: Any, fallback: str) -> str:
    subs = (response or {}).get("StandardsSubscriptions") or [{}]
    return str(subs[0].get("StandardsStatus", fallback))


def enable(hub: Any, arns: list[str], enabled: dict[str, dict[str, Any]], dry_run: bool) -> Iterator[Row]:
    for arn in arns:
        sub = enabled.get(arn)
        if sub is not None:
            status = sub["StandardsStatus"]
            yield _row(arn, "", "none", status, status, "", False, "")
            continue
        outcome = attempt(
            dry_run,
            partial(hub.batch_enable_standards, StandardsSubscriptionRequests=[{"StandardsArn": arn}]),
            finding=_finding(arn, "", "enable-standard", NOT_ENABLED),
        )
        after = _status(outcome.response, "PENDING") if outcome.applied else ("PENDING" if dry_run else NOT_ENABLED)
        yield _row(arn, "", "enable-standard", NOT_ENABLED, after, "", outcome.applied, outcome.error)


def disable(hub: Any, arns: list[str], enabled: dict[str, dict[str, Any]], dry_run: bool) -> Iterator[Row]:
    for arn in arns:
        sub = enabled.get(arn)
        if sub is None or sub["StandardsStatus"] == "DELETING":
            status = NOT_ENABLED if sub is None else sub["StandardsStatus"]
            yield _row(arn, "", "none", status, status, "", False, "")
            continue
        before = sub["StandardsStatus"]
        sub_arn = sub["StandardsSubscriptionArn"]
        outcome = attempt(
            dry_run,
            partial(hub.batch_disable_standards, StandardsSubscriptionArns=[sub_arn]),
            finding=_finding(arn, "", "disable-standard", before),
        )
        after = _status(outcome.response, "DELETING") if outcome.applied else ("DELETING" if dry_run else before)
        yield _row(arn, "", "disable-standard", before, after, "", outcome.applied, outcome.error)


def _disable_control(hub: Any, standard: str, control: str, reason: str) -> Any:
    response = hub.batch_update_standards_control_associations(
        StandardsControlAssociationUpdates=[
            {
                "StandardsArn": standard,
                "SecurityControlId": control,
                "AssociationStatus": "DISABLED",
                "UpdatedReason": reason,
            }
        ]
    )
    for failed in response.get("UnprocessedAssociationUpdates", []):
        code = failed.get("ErrorCode", "Unprocessed")
        raise ClientError({"Error": {"Code": code, "Message": failed.get("ErrorReason", "")}}, "BatchUpdate")
    return response


def disable_controls(hub: Any, controls: Mapping[str, str], dry_run: bool) -> Iterator[Row]:
    for control, reason in controls.items():
        try:
            pages = hub.get_paginator("list_standards_control_associations").paginate(SecurityControlId=control)
            associations = [a for page in pages for a in page["StandardsControlAssociationSummaries"]]
        except ClientError as exc:
            yield _row("", control, "disable-control", "", "", reason, False, client_error(exc))
            continue
        if not associations:
            yield _row("", control, "none", "NOT_IN_ENABLED_STANDARDS", "NOT_IN_ENABLED_STANDARDS", reason, False, "")
        for a in associations:
            standard, before = a["StandardsArn"], a["AssociationStatus"]
            if before == "DISABLED":
                yield _row(standard, control, "none", before, before, a.get("UpdatedReason", ""), False, "")
                continue
            outcome = attempt(
                dry_run,
                partial(_disable_control, hub, standard, control, reason),
                finding=_finding(standard, control, "disable-control", before),
            )
            after = "DISABLED" if outcome.applied or dry_run else before
            yield _row(standard, control, "disable-control", before, after, reason, outcome.applied, outcome.error)


def hub_not_enabled(params: Mapping[str, Any], region: str) -> Iterator[Row]:
    for arn in standard_arns(params["StandardArns"], region):
        yield _row(arn, "", "enable-standard", HUB_NOT_ENABLED, HUB_NOT_ENABLED, "", False, HUB_ERROR)
    for arn in standard_arns(params["DisableStandardArns"], region):
        yield _row(arn, "", "none", HUB_NOT_ENABLED, HUB_NOT_ENABLED, "", False, "")
    for control, reason in params["DisabledControls"].items():
        yield _row("", control, "disable-control", HUB_NOT_ENABLED, HUB_NOT_ENABLED, reason, False, HUB_ERROR)


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    hub = client(session, "securityhub", target.region)
    enabled = enabled_standards(hub)
    if enabled is None:
        yield from hub_not_enabled(params, target.region)
        return
    yield from enable(hub, standard_arns(params["StandardArns"], target.region), enabled, dry_run)
    yield from disable(hub, standard_arns(params["DisableStandardArns"], target.region), enabled, dry_run)
    yield from disable_controls(hub, params["DisabledControls"], dry_run)


ARN_REGION = re.compile(r"\Aarn:aws[a-z-]*:securityhub:([A-Za-z0-9-]*)::")


def _check_regionless(field: str, arns: list[str]) -> None:
    """A standard ARN names its region, and Security Hub refuses another region's standard: the
    ARNs must say REGION (replaced by each target's region) or no region (legacy CIS 1.2.0)."""
    for i, arn in enumerate(arns):
        match = ARN_REGION.match(arn)
        region = match.group(1) if match else ""
        if region not in ("", "REGION"):
            raise InvalidInput(
                f"Params.{field}[{i}]",
                f"names the region {show(region)}; write REGION there (replaced by each target's region): "
                "Security Hub refuses a standard of another region",
            )


def check(params: Mapping[str, Any]) -> None:
    _check_regionless("StandardArns", params["StandardArns"])
    _check_regionless("DisableStandardArns", params["DisableStandardArns"])
    both = sorted(set(params["StandardArns"]) & set(params["DisableStandardArns"]))
    if both:
        raise InvalidInput(
            "Params.DisableStandardArns", f"{', '.join(both)} is also in Params.StandardArns; keep it in one list"
        )


OPERATION = Operation(
    name="securityhub-standards",
    description=(
        "Reports the Security Hub standards of Params.StandardArns and enables those not enabled; disables "
        "Params.DisableStandardArns and the controls of Params.DisabledControls (with their reason). "
        "Dry run unless DryRun is false."
    ),
    role="admin",
    actions=(
        "securityhub:BatchDisableStandards",
        "securityhub:BatchEnableStandards",
        "securityhub:BatchUpdateStandardsControlAssociations",
        "securityhub:GetEnabledStandards",
        "securityhub:ListStandardsControlAssociations",
    ),
    # The Service Authorization Reference lists these as the dependent actions of
    # BatchUpdateStandardsControlAssociations and ListStandardsControlAssociations: AWS checks
    # them behind those calls.
    extra_actions=(
        "securityhub:DescribeStandardsControls",
        "securityhub:UpdateStandardsControl",
    ),
    # The account's hub in each region (IAM database: hub); the two control-association actions
    # support no resource-level permission ("*").
    resources={
        action: ("arn:${Partition}:securityhub:*:${Account}:hub/default",)
        for action in (
            "securityhub:BatchDisableStandards",
            "securityhub:BatchEnableStandards",
            "securityhub:DescribeStandardsControls",
            "securityhub:GetEnabledStandards",
            "securityhub:UpdateStandardsControl",
        )
    },
    mutating=True,
    key=("standard_arn", "control_id", "action"),
    before=("status_before",),
    noun="Security Hub standards and controls",
    columns=(
        "standard_arn",
        "control_id",
        "action",
        "status_before",
        "status_after",
        "reason",
        "applied",
        "error",
    ),
    column_types={"applied": "boolean"},
    run=run,
    check=check,
    params=(
        Param(
            "StandardArns",
            "string_list",
            "Standards that must be enabled; REGION is replaced by the target's region.",
            default=[FSBP],
            pattern=STANDARD_ARN,
            min_items=0,
        ),
        Param(
            "DisableStandardArns",
            "string_list",
            "Standards that must be disabled; REGION is replaced by the target's region.",
            default=[],
            pattern=STANDARD_ARN,
            min_items=0,
        ),
        Param(
            "DisabledControls",
            "string_map",
            "Security control id (EC2.2) -> the reason it is disabled, in every standard it belongs to.",
            default={},
            key_pattern=CONTROL_ID,
            pattern=REASON,
            min_items=0,
        ),
    ),
)
