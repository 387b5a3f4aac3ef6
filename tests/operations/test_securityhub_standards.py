"""securityhub-standards: report, enable, disable standards; disable controls with a reason (Stubber)."""

from __future__ import annotations

from typing import Any

from tests.operations.conftest import REGION
from tests.operations.helpers import run

FSBP = f"arn:aws:securityhub:{REGION}::standards/aws-foundational-security-best-practices/v/1.0.0"
CIS = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"
PCI = f"arn:aws:securityhub:{REGION}::standards/pci-dss/v/3.2.1"
CIS_SUB = f"arn:aws:securityhub:{REGION}:123456789012:subscription/cis-aws-foundations-benchmark/v/1.2.0"
PCI_SUB = f"arn:aws:securityhub:{REGION}:123456789012:subscription/pci-dss/v/3.2.1"
FSBP_SUB = f"arn:aws:securityhub:{REGION}:123456789012:subscription/aws-foundational-security-best-practices/v/1.0.0"
PARAMS = {
    "StandardArns": ["arn:aws:securityhub:REGION::standards/aws-foundational-security-best-practices/v/1.0.0", CIS],
    "DisableStandardArns": ["arn:aws:securityhub:REGION::standards/pci-dss/v/3.2.1"],
    "DisabledControls": {"EC2.2": "default SGs are managed by Terraform"},
}
REASON = "default SGs are managed by Terraform"


def subscription(standard: str, sub: str, status: str) -> dict[str, Any]:
    return {
        "StandardsSubscriptionArn": sub,
        "StandardsArn": standard,
        "StandardsInput": {},
        "StandardsStatus": status,
    }


def association(standard: str, status: str, reason: str = "") -> dict[str, Any]:
    out = {
        "StandardsArn": standard,
        "SecurityControlId": "EC2.2",
        "SecurityControlArn": f"arn:aws:securityhub:{REGION}:123456789012:security-control/EC2.2",
        "AssociationStatus": status,
    }
    return {**out, "UpdatedReason": reason} if reason else out


def expect_reads(stubber: Any) -> None:
    """CIS is enabled, PCI is enabled, FSBP is not; EC2.2 is enabled in CIS, disabled in PCI."""
    stubber.add_response(
        "get_enabled_standards",
        {"StandardsSubscriptions": [subscription(CIS, CIS_SUB, "READY"), subscription(PCI, PCI_SUB, "READY")]},
        {},
    )


def expect_controls(stubber: Any) -> None:
    stubber.add_response(
        "list_standards_control_associations",
        {
            "StandardsControlAssociationSummaries": [
                association(CIS, "ENABLED"),
                association(PCI, "DISABLED", "not in scope"),
            ]
        },
        {"SecurityControlId": "EC2.2"},
    )


def row(standard: str, control: str, action: str, before: str, after: str, reason: str, applied: bool) -> dict:
    return {
        "standard_arn": standard,
        "control_id": control,
        "action": action,
        "status_before": before,
        "status_after": after,
        "reason": reason,
        "applied": applied,
        "error": "",
    }


def test_dry_run_reports_the_planned_changes_and_calls_nothing_that_changes(stubbed: Any) -> None:
    hub = stubbed("securityhub")
    expect_reads(hub.stubber)
    expect_controls(hub.stubber)

    rows = run("securityhub-standards", hub, PARAMS)

    assert rows == [
        row(FSBP, "", "enable-standard", "NOT_ENABLED", "PENDING", "", False),
        row(CIS, "", "none", "READY", "READY", "", False),
        row(PCI, "", "disable-standard", "READY", "DELETING", "", False),
        row(CIS, "EC2.2", "disable-control", "ENABLED", "DISABLED", REASON, False),
        row(PCI, "EC2.2", "none", "DISABLED", "DISABLED", "not in scope", False),
    ]


def test_apply_enables_disables_and_disables_controls_with_the_reason(stubbed: Any) -> None:
    hub = stubbed("securityhub")
    expect_reads(hub.stubber)
    hub.stubber.add_response(
        "batch_enable_standards",
        {"StandardsSubscriptions": [subscription(FSBP, FSBP_SUB, "PENDING")]},
        {"StandardsSubscriptionRequests": [{"StandardsArn": FSBP}]},
    )
    hub.stubber.add_response(
        "batch_disable_standards",
        {"StandardsSubscriptions": [subscription(PCI, PCI_SUB, "DELETING")]},
        {"StandardsSubscriptionArns": [PCI_SUB]},
    )
    expect_controls(hub.stubber)
    hub.stubber.add_response(
        "batch_update_standards_control_associations",
        {"UnprocessedAssociationUpdates": []},
        {
            "StandardsControlAssociationUpdates": [
                {
                    "StandardsArn": CIS,
                    "SecurityControlId": "EC2.2",
                    "AssociationStatus": "DISABLED",
                    "UpdatedReason": REASON,
                }
            ]
        },
    )

    rows = run("securityhub-standards", hub, PARAMS, dry_run=False)

    assert rows == [
        row(FSBP, "", "enable-standard", "NOT_ENABLED", "PENDING", "", True),
        row(CIS, "", "none", "READY", "READY", "", False),
        row(PCI, "", "disable-standard", "READY", "DELETING", "", True),
        row(CIS, "EC2.2", "disable-control", "ENABLED", "DISABLED", REASON, True),
        row(PCI, "EC2.2", "none", "DISABLED", "DISABLED", "not in scope", False),
    ]


def test_a_change_that_fails_is_reported_and_the_next_ones_still_run(stubbed: Any) -> None:
    hub = stubbed("securityhub")
    expect_reads(hub.stubber)
    hub.stubber.add_client_error(
        "batch_enable_standards",
        "AccessDeniedException",
        "no securityhub:BatchEnableStandards",
        expected_params={"StandardsSubscriptionRequests": [{"StandardsArn": FSBP}]},
    )
    hub.stubber.add_response(
        "batch_disable_standards",
        {"StandardsSubscriptions": [subscription(PCI, PCI_SUB, "DELETING")]},
        {"StandardsSubscriptionArns": [PCI_SUB]},
    )
    expect_controls(hub.stubber)
    hub.stubber.add_response(
        "batch_update_standards_control_associations",
        {
            "UnprocessedAssociationUpdates": [
                {
                    "StandardsControlAssociationUpdate": {
                        "StandardsArn": CIS,
                        "SecurityControlId": "EC2.2",
                        "AssociationStatus": "DISABLED",
                    },
                    "ErrorCode": "ResourceNotFoundException",
                    "ErrorReason": "control not found",
                }
            ]
        },
        None,
    )

    rows = run("securityhub-standards", hub, PARAMS, dry_run=False)

    assert [(r["action"], r["applied"], r["status_after"], r["error"]) for r in rows] == [
        ("enable-standard", False, "NOT_ENABLED", "AccessDeniedException: no securityhub:BatchEnableStandards"),
        ("none", False, "READY", ""),
        ("disable-standard", True, "DELETING", ""),
        ("disable-control", False, "ENABLED", "ResourceNotFoundException: control not found"),
        ("none", False, "DISABLED", ""),
    ]


def test_without_security_hub_every_requested_change_says_so(stubbed: Any) -> None:
    hub = stubbed("securityhub")
    hub.stubber.add_client_error(
        "get_enabled_standards", "InvalidAccessException", "Account is not subscribed to AWS Security Hub"
    )

    rows = run("securityhub-standards", hub, PARAMS, dry_run=False)

    error = "SecurityHubNotEnabled: enable Security Hub in this account and region first"
    assert [(r["standard_arn"] or r["control_id"], r["action"], r["status_before"], r["error"]) for r in rows] == [
        (FSBP, "enable-standard", "HUB_NOT_ENABLED", error),
        (CIS, "enable-standard", "HUB_NOT_ENABLED", error),
        (PCI, "none", "HUB_NOT_ENABLED", ""),
        ("EC2.2", "disable-control", "HUB_NOT_ENABLED", error),
    ]


def test_defaults_only_report_and_enable_foundational_best_practices(stubbed: Any) -> None:
    hub = stubbed("securityhub")
    hub.stubber.add_response(
        "get_enabled_standards", {"StandardsSubscriptions": [subscription(FSBP, FSBP_SUB, "READY")]}, {}
    )

    rows = run("securityhub-standards", hub)

    assert rows == [row(FSBP, "", "none", "READY", "READY", "", False)]
