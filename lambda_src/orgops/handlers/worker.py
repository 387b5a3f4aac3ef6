"""Worker: run one operation for one target, store its rows, return a small status.

Event (the Map's ItemSelector): {"Target": {"AccountId", "AccountName", "Region"},
"Common": {"Operation", "Params", "DryRun", "ExpiresAt"}, "ExecutionId": <execution ARN>}.
Output: {"AccountId", "AccountName", "Region", "Status", "Rows", "ErrorCode", "ErrorMessage"}
(never the rows). Expected failures (the role cannot be assumed, an AWS error the operation did
not handle) are returned as FAILED; a bug raises, and the state machine's Catch records it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from orgops import observability, operations, store
from orgops.config import WorkerSettings
from orgops.errors import ConfigurationError, OrgopsError
from orgops.operations.base import TARGET_COLUMNS, Operation
from orgops.sessions import RoleSessions, client, new_session
from orgops.targets import Target
from orgops.text import safe_message

# A region the account has not enabled never reaches a worker: the fanout decides it from the
# account's region opt status (SKIPPED RegionNotEnabled). Every ClientError here is FAILED:
# ``OptInRequired`` means "not subscribed to this service", not "region not enabled".
MAX_MESSAGE = 1000
MAX_CODE = 200


def status(target: Target, state: str, rows: int = 0, code: str = "", message: str = "") -> dict[str, Any]:
    return {
        **target.as_item(),
        "Status": state,
        "Rows": rows,
        "ErrorCode": safe_message(code, MAX_CODE),
        "ErrorMessage": safe_message(message, MAX_MESSAGE),
    }


def declared_operation(settings: WorkerSettings) -> Operation:
    """The worker's operation, refused when it declares a role other than the one Terraform
    deployed this worker for (a user's module changed its role, or the ``operations`` map's
    ``role`` overrode the declaration): it would run with permissions it did not ask for."""
    operation = operations.get(settings.operation)
    if settings.operation_role and operation.role != settings.operation_role:
        raise ConfigurationError(
            f"operation {operation.name!r} declares role {operation.role!r} ({operations.ORIGINS[operation.name]}), "
            f"but this worker was deployed for role {settings.operation_role!r} (member role "
            f"{settings.member_role_name}); run make package and terraform apply, and leave the operations "
            "entry's role out (Terraform reads it from the declaration)"
        )
    return operation


def run_target(
    event: Mapping[str, Any], settings: WorkerSettings, member_session: boto3.Session, base: boto3.Session
) -> dict[str, Any]:
    """Run the operation in ``member_session`` and store the rows; returns the status."""
    target = Target.from_item(event["Target"])
    common = event["Common"]
    operation = declared_operation(settings)
    execution = store.ExecutionRef.parse(str(event["ExecutionId"]))
    # Escaped like every other cell: an account name such as '=HYPERLINK(...)' is a formula to a spreadsheet.
    prefix = [store.format_cell(v) for v in (target.account_id, target.account_name, target.region)]
    lines = [
        prefix + store.format_row(operation.columns, row)
        for row in operation.run(member_session, target, common.get("Params") or {}, bool(common.get("DryRun", True)))
    ]
    assert len(prefix) == len(TARGET_COLUMNS)  # noqa: S101 - the report's first columns
    # A target without rows writes nothing: the report reads only targets whose status counts rows,
    # so an object left by an earlier attempt of this target is never read either.
    if lines:
        store.put_rows(
            client(base, "s3"), settings.data_bucket, store.rows_key(execution, target), store.encode_rows(lines)
        )
    return status(target, store.SUCCEEDED, rows=len(lines))


def work(
    event: Mapping[str, Any], settings: WorkerSettings, base: boto3.Session, sessions: RoleSessions | None = None
) -> dict[str, Any]:
    target = Target.from_item(event["Target"])
    sessions = sessions or RoleSessions(base, settings.member_role_name)
    try:
        declared_operation(settings)  # before assuming anything
        member = sessions.for_account(target.account_id)
        return run_target(event, settings, member, base)
    except OrgopsError as exc:
        return status(target, store.FAILED, code=exc.code, message=str(exc))
    except ClientError as exc:
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "ClientError"))
        return status(target, store.FAILED, code=code, message=str(err.get("Message", "")))
    except BotoCoreError as exc:
        # No response from AWS (a connection, endpoint or signing problem): botocore's message can
        # quote the request, Authorization header included; status() scrubs it.
        return status(target, store.FAILED, code=type(exc).__name__, message=str(exc))


# One cache per warm Lambda environment, made on the first invocation (never at import time):
# consecutive targets of one account, in any region, reuse its credentials until near expiry.
# Keyed by the base credentials too: if the execution role's credentials change, the cache
# (which assumes member roles with them) starts afresh instead of using the old ones.
_SESSIONS: dict[tuple[str, str], RoleSessions] = {}


def role_sessions(role_name: str, base: boto3.Session) -> RoleSessions:
    credentials = base.get_credentials()
    key = (role_name, credentials.access_key if credentials else "")
    if key not in _SESSIONS:
        _SESSIONS.clear()
        _SESSIONS[key] = RoleSessions(base, role_name)
    return _SESSIONS[key]


@observability.observed(observability.WORKER)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = WorkerSettings.from_env()
    base = new_session()
    return work(event, settings, base, role_sessions(settings.member_role_name, base))
