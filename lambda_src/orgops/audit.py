"""What a mutating run leaves behind: a dry run's plan, an applying run's change log.

The report streams a mutating operation's rows through ``ChangeRecorder``:

- a dry run (not itself applying a plan) becomes a plan (``orgops.plans``): ``plan.json`` beside
  report.csv, and ``PlanUri``, ``PlanDigest``, ``PlanExpiresAt``, ``Planned`` in the summary;
- an applying run (``DryRun: false``, with or without a plan) writes its change log to
  ``audit/<operation>/<execution name>.jsonl``: a first line for the run (who started it, as its
  input declared it; when; the plan's digest and where it came from; its Params), then one line
  per change (the target, the result — ``applied``, ``failed``, ``stale``, ``not-planned`` — and
  the row, which holds the before and after). It is written with ``If-None-Match: *``, and the data
  bucket's policy (modules/platform) denies any write to ``audit/`` without it and every delete
  there: once written, a change log cannot be overwritten or removed by anyone the policy binds.
  The summary gets ``Applied``, ``ChangesFailed``, ``Stale``, ``NotPlanned`` and ``AuditUri``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from orgops import plans, store
from orgops.operations.base import PLAN_COLUMN, Operation

LOG = logging.getLogger(__name__)

AUDIT_PREFIX = "audit"
APPLIED, FAILED = "applied", "failed"


def audit_key(operation: str, execution: store.ExecutionRef) -> str:
    return f"{AUDIT_PREFIX}/{operation}/{execution.name}.jsonl"


def result_of(row: Mapping[str, str]) -> str | None:
    """What became of the change a row reports (None: the row is no change)."""
    status = row.get(PLAN_COLUMN, "")
    if status in (plans.STALE, plans.NOT_PLANNED):
        return status
    if row.get("applied") == "true":
        return APPLIED
    if row.get("action", "") in plans.NO_CHANGE:
        return None
    return FAILED


@dataclass
class ChangeRecorder:
    operation: Operation
    execution: store.ExecutionRef
    run: Mapping[str, Any]  # the run's item (store.read_run): dry_run, params, started_by, plan_*
    started: datetime
    ttl_hours: int = plans.DEFAULT_TTL_HOURS
    names: dict[tuple[str, str], str] = field(default_factory=dict)
    counts: dict[str, int] = field(
        default_factory=lambda: {APPLIED: 0, FAILED: 0, plans.STALE: 0, plans.NOT_PLANNED: 0}
    )
    changes: list[dict[str, Any]] = field(default_factory=list)
    _plan: plans.PlanBuilder | None = None

    @property
    def dry_run(self) -> bool:
        return str(self.run.get("dry_run", "true")) != "false"

    @property
    def makes_plan(self) -> bool:
        """A dry run that is not itself checking a plan."""
        return self.dry_run and not self.run.get("plan_digest")

    def statuses(self, items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The statuses, passed through; the accounts' names are kept for the plan's targets."""
        for s in items:
            self.names[(str(s.get("account_id", "")), str(s.get("region", "")))] = str(s.get("account_name", ""))
            yield s

    def rows(self, rows: Iterable[list[str]]) -> Iterator[list[str]]:
        columns = self.operation.report_columns
        for cells in rows:
            if self.makes_plan:
                if self._plan is None:
                    self._plan = self._builder()
                self._plan.add(cells)
            elif not self.dry_run:
                row = dict(zip(columns, cells, strict=False))
                result = result_of(row)
                if result is not None:
                    self.counts[result] += 1
                    self.changes.append(
                        {
                            "Record": "change",
                            "AccountId": row["account_id"],
                            "Region": row["region"],
                            "Result": result,
                            "Row": row,
                        }
                    )
            yield cells

    def _builder(self) -> plans.PlanBuilder:
        return plans.PlanBuilder(
            self.operation,
            self.execution.arn,
            json.loads(str(self.run.get("params") or "{}")),
            self.started,
            self.ttl_hours,
            names=self.names,
        )

    def finish(self, s3: Any, bucket: str, partial: bool, failed_targets: int) -> dict[str, Any]:
        """Write the plan or the change log; the summary's fields for them."""
        if self.makes_plan:
            if partial:  # an execution that did not finish plans nothing: its dry run is incomplete
                return {}
            builder = self._plan or self._builder()
            key = plans.plan_key(self.operation.name, self.execution)
            doc = builder.document(store.s3_uri(bucket, key))
            body = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False).encode()
            s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
            out = {
                "Planned": len(doc["Changes"]),
                "PlanUri": store.s3_uri(bucket, key),
                "PlanDigest": doc["Digest"],
                "PlanExpiresAt": doc["ExpiresAt"],
            }
            if failed_targets:
                out["PlanIncomplete"] = (
                    f"{failed_targets} targets failed in this dry run: the plan has no change for them"
                )
            return out
        if self.dry_run:
            return {}
        key = audit_key(self.operation.name, self.execution)
        write_once(s3, bucket, key, self.change_log())
        return {
            "Applied": self.counts[APPLIED],
            "ChangesFailed": self.counts[FAILED],
            "Stale": self.counts[plans.STALE],
            "NotPlanned": self.counts[plans.NOT_PLANNED],
            "AuditUri": store.s3_uri(bucket, key),
        }

    def change_log(self) -> bytes:
        head = {
            "Record": "run",
            "Operation": self.operation.name,
            "Execution": self.execution.arn,
            "StartedBy": self.run.get("started_by") or None,
            "StartedAt": plans.iso(self.started),
            "ReportedAt": plans.iso(datetime.now(UTC)),
            "Plan": (
                {"Digest": self.run["plan_digest"], "Uri": self.run.get("plan_uri"), "Of": self.run.get("plan_of")}
                if self.run.get("plan_digest")
                else None
            ),
            "Params": json.loads(str(self.run.get("params") or "{}")),
            "Counts": dict(self.counts),
        }
        lines = [head, *self.changes]
        return b"".join(json.dumps(line, sort_keys=True, ensure_ascii=False).encode() + b"\n" for line in lines)


def write_once(s3: Any, bucket: str, key: str, body: bytes) -> bool:
    """Put ``body`` at ``key`` only if nothing is there (``If-None-Match: *``); False when a change
    log is already there (a report written again for the same execution keeps the first one)."""
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/x-ndjson", IfNoneMatch="*")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
            LOG.warning("change log %s was written already: kept as it is", key)
            return False
        raise
    return True
