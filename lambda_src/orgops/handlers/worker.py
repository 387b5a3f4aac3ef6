"""Worker: run one operation for one target, store its rows, return a small status.

Event (the Map's ItemSelector): {"Target": {"AccountId", "AccountName", "Region"},
"Common": {"Operation", "Params", "DryRun", "ExpiresAt", "MaxErrors"?}, "ExecutionId": <execution ARN>}.
Output: {"AccountId", "AccountName", "Region", "Status", "Rows", "ErrorCode", "ErrorMessage"}
(never the rows). Expected failures (the role cannot be assumed, an AWS error the operation did
not handle) are returned as FAILED; a bug raises, and the state machine's Catch records it.

The error budget (``Common.MaxErrors``, a count of targets): before starting, the worker reads the
run's failure counter (``store.RUN_TARGET``); once more targets than MaxErrors have failed it returns
``NOT_RUN`` and never calls the operation. Each of its own failures, and each exception it raises,
adds one to the counter (atomically). A worker that times out or runs out of memory cannot: the
report counts it, the budget does not.

Pre-flight (``{"Preflight": true, "Target": {...}}``, from the fanout or ``orgops doctor``): only
assume the member role in the target's account and answer ``OK`` or the error; nothing else runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from orgops import observability, operations, plans, store
from orgops.config import WorkerSettings
from orgops.errors import ConfigurationError, OrgopsError, PlanMismatch
from orgops.operations.base import TARGET_COLUMNS, Operation
from orgops.sessions import RoleSessions, client, new_session
from orgops.targets import Target
from orgops.text import safe_message

# A region the account has not enabled never reaches a worker: the fanout decides it from the
# account's region opt status (SKIPPED RegionNotEnabled). Every ClientError here is FAILED:
# ``OptInRequired`` means "not subscribed to this service", not "region not enabled".
MAX_MESSAGE = 1000
MAX_CODE = 200
PREFLIGHT_OK = "OK"  # orgops.preflight.OK: the member role was assumed
MAX_ERRORS_CODE = "MaxErrors"  # the error code of a NOT_RUN target
LOG = logging.getLogger(__name__)


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
    rows = operation.run(member_session, target, common.get("Params") or {}, bool(common.get("DryRun", True)))
    plan = common.get("Plan")
    if plan:  # exactly the planned changes, each admitted by the gate (orgops.plans)
        gate = plans.Gate.of(operation, target, planned_changes(client(base, "s3"), settings, operation, target, plan))
        lines = gate.apply(prefix, rows)
    else:
        # A mutating operation's rows end with the plan column (empty: no plan is being applied).
        tail = [""] if operation.mutating else []
        lines = [prefix + store.format_row(operation.columns, row) + tail for row in rows]
    assert len(prefix) == len(TARGET_COLUMNS)  # noqa: S101 - the report's first columns
    # A target without rows writes nothing: the report reads only targets whose status counts rows,
    # so an object left by an earlier attempt of this target is never read either.
    if lines:
        store.put_rows(
            client(base, "s3"), settings.data_bucket, store.rows_key(execution, target), store.encode_rows(lines)
        )
    return status(target, store.SUCCEEDED, rows=len(lines))


def planned_changes(
    s3: Any, settings: WorkerSettings, operation: Operation, target: Target, plan: Mapping[str, Any]
) -> list[list[str]]:
    """This target's planned changes: the change rows the dry run stored for it, which must hash to
    the digest the plan gave the target (the fanout checked the plan's own digest)."""
    dry_run = store.ExecutionRef.parse(str(plan["Execution"]))
    key = store.rows_key(dry_run, target)
    try:
        body = store.fetch_rows(s3, settings.data_bucket, key)
    except ClientError as exc:
        if not store.missing_object(exc):
            raise
        raise PlanMismatch(
            f"the dry run's rows of this target (s3://{settings.data_bucket}/{key}) are gone (expired?): nothing was "
            "changed; make a new plan"
        ) from None
    changes = plans.target_changes(operation, store.parse_rows(body))
    found = plans.target_digest(changes)
    if not target.plan or found != target.plan:
        raise PlanMismatch(
            f"this target's planned changes hash to {found}, but the plan sealed {target.plan or 'none'}: the dry "
            "run's stored rows changed since the plan was made; nothing was changed; make a new plan"
        )
    return changes


def preflight(event: Mapping[str, Any], settings: WorkerSettings, sessions: RoleSessions) -> dict[str, Any]:
    """Assume the member role in the target's account, nothing more: ``OK``, or FAILED with the error."""
    target = Target.from_item(event["Target"])
    answer = {"Preflight": True, "Role": settings.member_role_name}
    try:
        declared_operation(settings)
        sessions.for_account(target.account_id)
    except OrgopsError as exc:
        return {**status(target, store.FAILED, code=exc.code, message=str(exc)), **answer}
    except ClientError as exc:
        err = exc.response.get("Error", {})
        code, message = str(err.get("Code", "ClientError")), str(err.get("Message", ""))
        return {**status(target, store.FAILED, code=code, message=message), **answer}
    except BotoCoreError as exc:
        return {**status(target, store.FAILED, code=type(exc).__name__, message=str(exc)), **answer}
    return {**status(target, PREFLIGHT_OK), **answer}


class ErrorBudget:
    """The run's MaxErrors, read and counted in the status table (``store.RUN_TARGET``)."""

    def __init__(self, limit: int, ddb: Any, table: str, execution_arn: str) -> None:
        self.limit, self._ddb, self._table, self._arn = limit, ddb, table, execution_arn

    @classmethod
    def of(cls, event: Mapping[str, Any], settings: WorkerSettings, base: boto3.Session) -> ErrorBudget | None:
        limit = (event.get("Common") or {}).get("MaxErrors")
        if limit is None:
            return None
        if not settings.status_table:
            raise ConfigurationError(
                "this run has MaxErrors, but the worker has no ORGOPS_STATUS_TABLE to count failures in; "
                "deploy it with Terraform (modules/operation)"
            )
        return cls(int(limit), client(base, "dynamodb"), settings.status_table, str(event["ExecutionId"]))

    def failures(self) -> int:
        return store.read_failures(self._ddb, self._table, self._arn)

    def count(self) -> str:
        """Count one failure; '' or, when the counter could not be written, what to add to the message."""
        try:
            store.count_failure(self._ddb, self._table, self._arn)
        except (ClientError, BotoCoreError) as exc:
            code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else type(exc).__name__
            LOG.warning("failure not counted against MaxErrors: %s", code)
            return f" (not counted against MaxErrors: {code})"
        return ""


def not_run(target: Target, limit: int, failures: int) -> dict[str, Any]:
    return status(
        target,
        store.NOT_RUN,
        code=MAX_ERRORS_CODE,
        message=(
            f"not run: {failures} targets of this execution had failed when this one was to start, more than "
            f"MaxErrors {limit} allows, so the run stopped starting targets (those already running finished); "
            "orgops run OPERATION --retry-failed EXECUTION_ARN runs the failed and not-run targets"
        ),
    )


def work(
    event: Mapping[str, Any], settings: WorkerSettings, base: boto3.Session, sessions: RoleSessions | None = None
) -> dict[str, Any]:
    sessions = sessions or RoleSessions(base, settings.member_role_name)
    if event.get("Preflight") is True:
        return preflight(event, settings, sessions)
    target = Target.from_item(event["Target"])
    budget = ErrorBudget.of(event, settings, base)
    if budget is None:
        return run_or_fail(event, settings, base, sessions)
    failures = budget.failures()
    if failures > budget.limit:
        return not_run(target, budget.limit, failures)
    try:
        result = run_or_fail(event, settings, base, sessions)
    except Exception:  # the state machine's Catch records it FAILED: count it first
        budget.count()
        raise
    if result["Status"] == store.FAILED:
        result["ErrorMessage"] = safe_message(result["ErrorMessage"] + budget.count(), MAX_MESSAGE)
    return result


def run_or_fail(
    event: Mapping[str, Any], settings: WorkerSettings, base: boto3.Session, sessions: RoleSessions
) -> dict[str, Any]:
    """Run the target: its status, FAILED for the errors a target can meet; a bug raises."""
    target = Target.from_item(event["Target"])
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
