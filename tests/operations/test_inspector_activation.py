"""inspector-activation: enable Inspector scanning for the requested resource types (Stubber)."""

from __future__ import annotations

from typing import Any

from tests.operations.helpers import run

ACCOUNT = "123456789012"


# errorCode and errorMessage are required, non-empty members of the API's State shape.
CODES = {"ENABLED": "ALREADY_ENABLED", "ENABLING": "ENABLE_IN_PROGRESS", "SUSPENDED": "SUSPEND_IN_PROGRESS"}


def status(value: str) -> dict[str, str]:
    return {"status": value, "errorCode": CODES.get(value, "RESOURCE_NOT_FOUND"), "errorMessage": value.lower()}


def state(ec2: str, ecr: str, lam: str, code: str) -> dict[str, Any]:
    return {
        "accounts": [
            {
                "accountId": ACCOUNT,
                "state": status("ENABLED"),
                "resourceState": {
                    "ec2": status(ec2),
                    "ecr": status(ecr),
                    "lambda": status(lam),
                    "lambdaCode": status(code),
                },
            }
        ],
        "failedAccounts": [],
    }


def enabled(key: str) -> dict[str, Any]:
    statuses = {"ec2": "DISABLED", "ecr": "DISABLED", "lambda": "DISABLED", "lambdaCode": "DISABLED", key: "ENABLING"}
    return {
        "accounts": [{"accountId": ACCOUNT, "status": "ENABLING", "resourceStatus": statuses}],
        "failedAccounts": [],
    }


def row(resource_type: str, action: str, before: str, after: str, applied: bool, error: str = "") -> dict[str, Any]:
    return {
        "resource_type": resource_type,
        "action": action,
        "status_before": before,
        "status_after": after,
        "applied": applied,
        "error": error,
    }


PARAMS = {"ResourceTypes": ["LAMBDA_CODE", "EC2", "LAMBDA"]}


def test_dry_run_lists_what_would_be_enabled_and_enables_nothing(stubbed: Any) -> None:
    inspector = stubbed("inspector2")
    inspector.stubber.add_response("batch_get_account_status", state("ENABLED", "DISABLED", "DISABLED", "DISABLED"), {})

    rows = run("inspector-activation", inspector, PARAMS)

    assert rows == [
        row("EC2", "none", "ENABLED", "ENABLED", False),
        row("LAMBDA", "enable", "DISABLED", "ENABLING", False),
        row("LAMBDA_CODE", "enable", "DISABLED", "ENABLING", False),
    ]


def test_apply_enables_each_missing_type_lambda_before_lambda_code(stubbed: Any) -> None:
    inspector = stubbed("inspector2")
    inspector.stubber.add_response("batch_get_account_status", state("ENABLED", "DISABLED", "DISABLED", "DISABLED"), {})
    inspector.stubber.add_response("enable", enabled("lambda"), {"resourceTypes": ["LAMBDA"]})
    inspector.stubber.add_response("enable", enabled("lambdaCode"), {"resourceTypes": ["LAMBDA_CODE"]})

    rows = run("inspector-activation", inspector, PARAMS, dry_run=False)

    assert rows == [
        row("EC2", "none", "ENABLED", "ENABLED", False),
        row("LAMBDA", "enable", "DISABLED", "ENABLING", True),
        row("LAMBDA_CODE", "enable", "DISABLED", "ENABLING", True),
    ]


def test_a_failed_enable_is_reported_and_the_next_type_still_runs(stubbed: Any) -> None:
    inspector = stubbed("inspector2")
    inspector.stubber.add_response(
        "batch_get_account_status", state("DISABLED", "SUSPENDED", "ENABLING", "DISABLED"), {}
    )
    inspector.stubber.add_client_error(
        "enable", "AccessDeniedException", "no inspector2:Enable", expected_params={"resourceTypes": ["EC2"]}
    )
    failed = {
        "accounts": [],
        "failedAccounts": [{"accountId": ACCOUNT, "errorCode": "ACCESS_DENIED", "errorMessage": "SCP denies ECR"}],
    }
    inspector.stubber.add_response("enable", failed, {"resourceTypes": ["ECR"]})

    rows = run("inspector-activation", inspector, {"ResourceTypes": ["EC2", "ECR", "LAMBDA"]}, dry_run=False)

    assert rows == [
        row("EC2", "enable", "DISABLED", "DISABLED", False, "AccessDeniedException: no inspector2:Enable"),
        row("ECR", "enable", "SUSPENDED", "SUSPENDED", False, "ACCESS_DENIED: SCP denies ECR"),
        row("LAMBDA", "none", "ENABLING", "ENABLING", False),
    ]
