"""Retry what failed: exactly the failed and not-run targets of an earlier execution.

``RetryFailed: <execution ARN>`` in the execution input (``orgops run OP --retry-failed ARN``)
makes the fanout plan, instead of listing the organization, the targets of that execution's plan
(``targets/<state machine>/<execution>/batches.json``, written by its fanout for both paths) whose
status is ``FAILED`` or ``NOT_RUN``, or that have no status at all (a worker or a status write that
failed after its retries, a batch whose child failed, a run that was stopped). ``SKIPPED`` targets
(inactive accounts, regions not enabled) and succeeded ones are not run again. The earlier run's
``Params`` are reused unless the retry gives its own (a retry of a retry follows the chain back to
the run that had them). ``failed_targets`` is the decision, a pure function; ``plan_retry`` reads
what it needs: ``states:DescribeExecution``, the plan in S3, the statuses in DynamoDB.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from orgops import report, store
from orgops.errors import InvalidInput
from orgops.sessions import client
from orgops.targets import Target

RETRIED = (store.FAILED, store.NOT_RUN)
# A retry of a retry of ... without Params: how far back the earlier runs' Params are looked for.
MAX_PARAMS_HOPS = 20
FIELD = "RetryFailed"


@dataclass(frozen=True)
class Retry:
    of: str  # the earlier execution's ARN
    targets: tuple[Target, ...]  # its failed and not-run targets, in its plan's order
    params: Mapping[str, Any]  # its Params, as its input gave them (validated again by the fanout)


def failed_targets(planned: Iterable[Mapping[str, Any]], statuses: Iterable[Mapping[str, Any]]) -> tuple[Target, ...]:
    """The planned targets whose status is FAILED or NOT_RUN, or that have none, in the plan's order."""
    recorded = {(str(s.get("account_id", "")), str(s.get("region", ""))): s.get("status") for s in statuses}
    out: list[Target] = []
    for item in planned:
        status = recorded.get((str(item["AccountId"]), str(item["Region"])))
        if status is None or status in RETRIED:
            out.append(Target.from_item(item))
    return tuple(out)


def _machine(arn: str) -> tuple[str, ...]:
    """(partition, region, account, state machine) of an execution ARN."""
    parts = arn.split(":")
    return (parts[1], parts[3], parts[4], parts[6].split("/", 1)[0])


def _operation_of(machine: str, like_machine: str, like_operation: str) -> str | None:
    """The operation of ``machine``, named as ``like_machine`` is (``<prefix>-<operation>``)."""
    if not like_machine.endswith(f"-{like_operation}"):
        return None
    prefix = like_machine[: -len(like_operation)]
    return machine[len(prefix) :] if machine.startswith(prefix) and len(machine) > len(prefix) else None


def check_same_state_machine(earlier_arn: str, execution_arn: str, operation: str) -> None:
    """A retry runs on the state machine of the execution it retries: another one is another operation."""
    earlier, current = _machine(earlier_arn), _machine(execution_arn)
    if earlier == current:
        return
    other = _operation_of(earlier[3], current[3], operation)
    if earlier[:3] != current[:3]:
        where = f"in account {earlier[2]}, region {earlier[1]}"
        fix = f"give an execution of {current[3]} in account {current[2]}, region {current[1]}"
    else:
        where = f"of state machine {earlier[3]}" + (f" (operation {other})" if other else "")
        fix = f"retry it with orgops run {other} --retry-failed ARN" if other else f"give an execution of {current[3]}"
    raise InvalidInput(
        FIELD,
        f"{earlier_arn} is an execution {where}, not of {current[3]} (operation {operation}), "
        f"which this execution runs: {fix}",
    )


def describe(sfn: Any, arn: str, operation: str) -> dict[str, Any]:
    try:
        return dict(sfn.describe_execution(executionArn=arn))
    except ClientError as exc:
        err = exc.response.get("Error", {})
        if err.get("Code") in ("ExecutionDoesNotExist", "InvalidArn"):
            raise InvalidInput(
                FIELD,
                f"no execution {arn} ({err.get('Code')}): check the ARN; orgops executions {operation} lists the "
                "recent ones",
            ) from None
        raise


def read_plan(s3: Any, bucket: str, execution: store.ExecutionRef) -> list[dict[str, str]] | None:
    """The earlier fanout's plan; None when it wrote none (its fanout refused the input, or it expired)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=store.targets_key(execution))["Body"].read()
    except ClientError as exc:
        if store.missing_object(exc):
            return None
        raise
    return report.planned_targets(json.loads(body))


def earlier_params(sfn: Any, described: Mapping[str, Any], operation: str) -> Mapping[str, Any]:
    """The Params of the earlier execution's input; for a retry given none, those of the run it retried."""
    for _ in range(MAX_PARAMS_HOPS):
        try:
            raw = json.loads(described.get("input") or "{}")
        except ValueError:
            raw = {}
        raw = raw if isinstance(raw, dict) else {}
        params = raw.get("Params")
        if params is not None or not isinstance(raw.get("RetryFailed"), str):
            return params if isinstance(params, dict) else {}
        described = describe(sfn, raw["RetryFailed"], operation)
    raise InvalidInput(
        "Params",
        f"the execution to retry is a retry given no Params, {MAX_PARAMS_HOPS} times over: give Params in this input",
    )


def plan_retry(
    session: boto3.Session, data_bucket: str, status_table: str, operation: str, execution_arn: str, earlier_arn: str
) -> Retry:
    """What a retry of ``earlier_arn`` runs, read with the fanout's session; refuses an execution of
    another state machine, one that does not exist, is still running, or planned nothing."""
    check_same_state_machine(earlier_arn, execution_arn, operation)
    sfn = client(session, "stepfunctions", earlier_arn.split(":")[3])
    described = describe(sfn, earlier_arn, operation)
    status = str(described.get("status", ""))
    if status == "RUNNING":
        raise InvalidInput(FIELD, f"{earlier_arn} is still RUNNING: retry it once it has ended")
    earlier = store.ExecutionRef.parse(earlier_arn)
    planned = read_plan(client(session, "s3"), data_bucket, earlier)
    if planned is None:
        raise InvalidInput(
            FIELD,
            f"{earlier_arn} ({status}) has no plan to retry (s3://{data_bucket}/{store.targets_key(earlier)}): its "
            "fanout planned no target (its input was refused: see its error), or the plan has expired",
        )
    statuses = store.iter_statuses(client(session, "dynamodb"), status_table, earlier_arn)
    return Retry(earlier_arn, failed_targets(planned, statuses), earlier_params(sfn, described, operation))
