"""inspector-activation: enable Amazon Inspector scanning for ``Params.ResourceTypes``.

Reads the account's Inspector status (``BatchGetAccountStatus``) and enables (``Enable``) each
requested resource type that is not ``ENABLED`` or ``ENABLING``, one call per type so that one
failure never hides the others. Types are enabled in the order EC2, ECR, LAMBDA, LAMBDA_CODE
(Lambda code scanning needs Lambda standard scanning). Dry run by default.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from orgops.errors import InvalidInput
from orgops.operations.base import Operation, Param, Row
from orgops.operations.common import attempt
from orgops.sessions import client

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target

# Params.ResourceTypes value -> key of ``resourceState`` / ``resourceStatus`` in the API.
RESOURCE_KEYS = {"EC2": "ec2", "ECR": "ecr", "LAMBDA": "lambda", "LAMBDA_CODE": "lambdaCode"}
ACTIVE = ("ENABLED", "ENABLING")


def current_state(inspector: Any) -> dict[str, str]:
    """The caller account's status per resource type (``DISABLED`` when not reported)."""
    accounts = inspector.batch_get_account_status()["accounts"]
    state = accounts[0].get("resourceState", {}) if accounts else {}
    return {t: str(state.get(key, {}).get("status", "DISABLED")) for t, key in RESOURCE_KEYS.items()}


def _enable(inspector: Any, resource_type: str) -> str:
    """Enable one type; the resulting status, or a ``ClientError`` for a failed account."""
    response = inspector.enable(resourceTypes=[resource_type])
    for failed in response.get("failedAccounts", []):
        raise ClientError(
            {"Error": {"Code": failed.get("errorCode", "Failed"), "Message": failed.get("errorMessage", "")}}, "Enable"
        )
    accounts = response.get("accounts") or [{}]
    return str(accounts[0].get("resourceStatus", {}).get(RESOURCE_KEYS[resource_type], "ENABLING"))


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    inspector = client(session, "inspector2", target.region)
    state = current_state(inspector)
    for resource_type in [t for t in RESOURCE_KEYS if t in params["ResourceTypes"]]:
        before = state[resource_type]
        if before in ACTIVE:
            yield {
                "resource_type": resource_type,
                "action": "none",
                "status_before": before,
                "status_after": before,
                "applied": False,
                "error": "",
            }
            continue
        finding = {"resource_type": resource_type, "action": "enable", "status_before": before}
        outcome = attempt(dry_run, partial(_enable, inspector, resource_type), finding=finding)
        yield {
            "resource_type": resource_type,
            "action": "enable",
            "status_before": before,
            "status_after": outcome.response if outcome.applied else ("ENABLING" if dry_run else before),
            "applied": outcome.applied,
            "error": outcome.error,
        }


def check(params: Mapping[str, Any]) -> None:
    """Inspector's Lambda code scanning needs Lambda standard scanning: Enable refuses LAMBDA_CODE alone."""
    types = params["ResourceTypes"]
    if "LAMBDA_CODE" in types and "LAMBDA" not in types:
        raise InvalidInput(
            f"Params.ResourceTypes[{types.index('LAMBDA_CODE')}]",
            "LAMBDA_CODE (Lambda code scanning) needs LAMBDA (Lambda standard scanning): add LAMBDA",
        )


OPERATION = Operation(
    name="inspector-activation",
    description=(
        "Enables Amazon Inspector scanning for Params.ResourceTypes (EC2, ECR, LAMBDA, LAMBDA_CODE) where it "
        "is not enabled. Dry run unless DryRun is false."
    ),
    role="admin",
    actions=(
        "inspector2:BatchGetAccountStatus",
        "inspector2:Enable",
    ),
    # Enable creates Inspector's service-linked role (AWSServiceRoleForAmazonInspector2) the first
    # time, with the caller's permission.
    extra_actions=("iam:CreateServiceLinkedRole",),
    # inspector2:Enable and BatchGetAccountStatus support no resource-level permission ("*"); the
    # service-linked role is Inspector's own, and only Inspector's (iam:AWSServiceName).
    resources={
        "iam:CreateServiceLinkedRole": (
            "arn:${Partition}:iam::${Account}:role/aws-service-role/inspector2.amazonaws.com/AWSServiceRoleForAmazonInspector2",
        ),
    },
    conditions={"iam:CreateServiceLinkedRole": {"StringEquals": {"iam:AWSServiceName": ("inspector2.amazonaws.com",)}}},
    mutating=True,
    key=("resource_type", "action"),
    before=("status_before",),
    noun="Inspector scan types",
    columns=("resource_type", "action", "status_before", "status_after", "applied", "error"),
    column_types={"applied": "boolean"},
    run=run,
    check=check,
    params=(
        Param(
            "ResourceTypes",
            "string_list",
            "Resource types to scan.",
            default=["EC2", "ECR", "LAMBDA"],
            choices=tuple(RESOURCE_KEYS),
        ),
    ),
)
