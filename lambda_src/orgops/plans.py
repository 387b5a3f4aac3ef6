"""Plans: review the changes a dry run found, then apply exactly those.

Every dry run of a mutating operation is a plan. Its report writes ``plan.json`` beside report.csv
(``reports/<operation>/<execution name>/plan.json``): the operation, the execution it came from,
its Params, when it expires, its targets (each with the digest of its changes) and every planned
change (the dry run's row: the resource, the action, before and after), sealed by a digest of all
of it. ``orgops plan OP`` runs the dry run and saves the file; ``orgops apply plan.json`` (or the
execution input ``{"Plan": {"Uri": ..., "Digest": ...}, "DryRun": false}``) applies it:

- the fanout reads the plan from the data bucket, refuses one whose digest is not the one given
  (not the plan that was reviewed), of another operation, or expired, and plans exactly its
  targets with its Params (no organization listing: a target not in the plan is never run);
- each worker reads its target's planned changes from the dry run's stored rows, checks them
  against the digest the plan gave its target, and runs the operation with a ``Gate``: a change
  is made only when it is planned (its ``key`` cells) and its ``before`` cells still hold. A
  planned change whose before changed is skipped as ``stale``; a change the operation would make
  now that is not in the plan is skipped as ``not-planned``; a planned change the operation no
  longer proposes (fixed by hand, resource gone) is reported ``stale`` from the plan's own row.

The operation makes every change through ``orgops.operations.common.attempt(..., finding=row)``;
while a gate is open, a change without ``finding`` is refused (``ConfigurationError``) before it is
made, and a row reporting ``applied`` for a change the gate did not admit fails the target.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from orgops import store
from orgops.errors import ConfigurationError, InvalidInput
from orgops.text import show

if TYPE_CHECKING:
    from orgops.operations.base import Operation
    from orgops.targets import Target

FORMAT = "orgops-plan/1"
FIELD = "Plan"
PLAN_FILE = "plan.json"
DEFAULT_TTL_HOURS = 24
MAX_TTL_HOURS = 720  # 30 days: the stored rows a plan points at expire after results/ (30 days by default)
PLANNED, STALE, NOT_PLANNED = "planned", "stale", "not-planned"
STATUSES = (PLANNED, STALE, NOT_PLANNED)
# The actions that are not changes (a row saying the resource is already as wanted).
NO_CHANGE = ("", "none")
DIGEST_PREFIX = "sha256:"


def canonical(value: Any) -> bytes:
    """The bytes a digest is taken of: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest_of(value: Any) -> str:
    return DIGEST_PREFIX + hashlib.sha256(canonical(value)).hexdigest()


def is_change(operation: Operation, row: Mapping[str, str]) -> bool:
    """Whether a dry run's row (report cells) is a change to plan: an action, and no error."""
    return row.get("action", "") not in NO_CHANGE and not row.get("error", "") and operation.mutating


def target_changes(operation: Operation, rows: Iterable[Sequence[str]]) -> list[list[str]]:
    """The change rows among one target's stored rows (lists of report cells), in order."""
    columns = operation.report_columns
    out = []
    for cells in rows:
        row = dict(zip(columns, cells, strict=False))
        if is_change(operation, row):
            out.append(list(cells))
    return out


def target_digest(changes: Sequence[Sequence[str]]) -> str:
    return digest_of([list(c) for c in changes])


def plan_key(operation: str, execution: store.ExecutionRef) -> str:
    return f"{store.REPORTS_PREFIX}/{operation}/{execution.name}/{PLAN_FILE}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class PlanBuilder:
    """The plan of a dry run, built while the report streams its rows (one target at a time)."""

    operation: Operation
    execution_arn: str
    params: Mapping[str, Any]
    created: datetime
    ttl_hours: int = DEFAULT_TTL_HOURS
    # (account id, region) -> the account's name as its status has it (the cells are escaped).
    names: Mapping[tuple[str, str], str] = field(default_factory=dict)
    targets: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    _current: tuple[str, str] | None = None
    _current_name: str = ""
    _rows: list[list[str]] = field(default_factory=list)

    def add(self, cells: Sequence[str]) -> None:
        """One report row (its cells, the target's first), in the report's target order."""
        columns = self.operation.report_columns
        row = dict(zip(columns, cells, strict=False))
        target = (row["account_id"], row["region"])  # ids and region names are never escaped
        if target != self._current:
            self._close()
            self._current, self._current_name = target, self.names.get(target, "")
        if is_change(self.operation, row):
            self._rows.append(list(cells))
            self.changes.append({"AccountId": target[0], "Region": target[1], "Row": row})

    def _close(self) -> None:
        if self._current is not None and self._rows:
            self.targets.append(
                {
                    "AccountId": self._current[0],
                    "AccountName": self._current_name,
                    "Region": self._current[1],
                    "Changes": len(self._rows),
                    "Digest": target_digest(self._rows),
                }
            )
        self._rows = []

    def document(self, uri: str) -> dict[str, Any]:
        """The sealed plan; ``uri`` is where it is written (``orgops apply`` reads it from the file)."""
        self._close()
        self._current = None
        doc: dict[str, Any] = {
            "Format": FORMAT,
            "Uri": uri,
            "Operation": self.operation.name,
            "Execution": self.execution_arn,
            "CreatedAt": iso(self.created),
            "ExpiresAt": iso(self.created + timedelta(hours=self.ttl_hours)),
            "Params": dict(self.params),
            "Columns": list(self.operation.report_columns),
            "Key": list(self.operation.identity),
            "Before": list(self.operation.before),
            "Targets": self.targets,
            "Changes": self.changes,
        }
        return {**doc, "Digest": digest_of(doc)}


# ---- checking a plan (the fanout, the CLI) -------------------------------------------------------


@dataclass(frozen=True)
class PlanRef:
    """The execution input's ``Plan``: where the reviewed plan is, and its digest."""

    uri: str
    digest: str

    def as_input(self) -> dict[str, str]:
        return {"Uri": self.uri, "Digest": self.digest}


DIGEST_RULE = 'the "Digest" of the reviewed plan.json, "sha256:" and 64 hex digits'


def parse_ref(raw: Any) -> PlanRef | None:
    """``Plan: {"Uri": "s3://<data bucket>/reports/<operation>/<execution>/plan.json", "Digest": "sha256:..."}``."""
    if raw is None:
        return None
    example = '{"Uri": "s3://<data bucket>/reports/<operation>/<dry run>/plan.json", "Digest": "sha256:..."}'
    if not isinstance(raw, dict):
        raise InvalidInput(FIELD, f"must be an object like {example}, got {show(raw)}")
    unknown = sorted(set(raw) - {"Uri", "Digest"})
    if unknown:
        raise InvalidInput(f"{FIELD}.{unknown[0]}", f"unknown field; a plan reference is {example}")
    uri, digest = raw.get("Uri"), raw.get("Digest")
    if not isinstance(uri, str) or not uri.startswith("s3://") or not uri.endswith(f"/{PLAN_FILE}"):
        raise InvalidInput(f"{FIELD}.Uri", f"must be the s3:// URI of a dry run's {PLAN_FILE}, got {show(uri)}")
    if not isinstance(digest, str) or not digest.startswith(DIGEST_PREFIX) or len(digest) != len(DIGEST_PREFIX) + 64:
        raise InvalidInput(f"{FIELD}.Digest", f"must be {DIGEST_RULE}, got {show(digest)}")
    if any(c not in "0123456789abcdef" for c in digest[len(DIGEST_PREFIX) :]):
        raise InvalidInput(f"{FIELD}.Digest", f"must be {DIGEST_RULE}, got {show(digest)}")
    return PlanRef(uri, digest)


def parse_time(text: Any, where: str) -> datetime:
    try:
        return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(where, f"is not a time like 2026-12-01T10:00:00Z: {show(text)}") from None


def check(doc: Any, operation: str, digest: str | None, now: datetime) -> dict[str, Any]:
    """The plan, refused when it is not a plan, not the one reviewed (``digest``), of another
    operation, or expired. ``digest`` None: only its own seal is checked (``orgops apply`` reading
    a local file before it starts anything)."""
    if not isinstance(doc, dict) or doc.get("Format") != FORMAT:
        raise InvalidInput(FIELD, f"is not an orgops plan ({FORMAT}): make one with orgops plan OPERATION")
    sealed = digest_of({k: v for k, v in doc.items() if k != "Digest"})
    if doc.get("Digest") != sealed:
        raise InvalidInput(
            FIELD,
            f"the plan's contents do not match its own Digest {show(doc.get('Digest'))} (they hash to {sealed}): it "
            "was edited after it was made; apply the plan as it was written, or make a new one with orgops plan",
        )
    if digest is not None and sealed != digest:
        raise InvalidInput(
            f"{FIELD}.Digest",
            f"the plan at that URI has digest {sealed}, not {digest}: it is not the plan you reviewed; review "
            "this one (orgops plan writes plan.json) or give the digest of the one you reviewed",
        )
    if doc.get("Operation") != operation:
        raise InvalidInput(
            FIELD,
            f"is a plan of {doc.get('Operation')}, not of {operation}: apply it to {doc.get('Operation')}'s "
            "state machine (orgops apply PLAN finds it)",
        )
    expires = parse_time(doc.get("ExpiresAt"), f"{FIELD}.ExpiresAt")
    if now >= expires:
        raise InvalidInput(
            FIELD,
            f"expired at {iso(expires)} (made {doc.get('CreatedAt')}, from {doc.get('Execution')}): what it "
            f"reviewed may no longer hold; make a new one with orgops plan {operation}",
        )
    return doc


# ---- applying a plan (the worker) ----------------------------------------------------------------


def _cell(value: Any) -> str:
    return store.format_cell(value)


@dataclass
class Gate:
    """What a worker applying a plan admits for one target: the planned changes by their key cells."""

    operation: Operation
    target: Target
    planned: dict[tuple[str, ...], dict[str, str]]  # key cells -> the plan's row (report cells)
    decided: dict[tuple[str, ...], str] = field(default_factory=dict)  # key cells -> PLANNED/STALE/NOT_PLANNED

    @classmethod
    def of(cls, operation: Operation, target: Target, changes: Iterable[Sequence[str]]) -> Gate:
        columns = operation.report_columns
        planned: dict[tuple[str, ...], dict[str, str]] = {}
        for cells in changes:
            row = dict(zip(columns, cells, strict=False))
            planned[tuple(row.get(c, "") for c in operation.identity)] = row
        return cls(operation, target, planned)

    def key_of(self, finding: Mapping[str, Any]) -> tuple[str, ...]:
        base = {"account_id": self.target.account_id, "region": self.target.region}
        missing = [c for c in self.operation.identity if c not in base and c not in finding]
        missing += [c for c in self.operation.before if c not in finding]
        if missing:
            raise ConfigurationError(
                f"operation {self.operation.name} made a change whose finding lacks {', '.join(missing)}: "
                "attempt(..., finding=row) must give the key and before columns it declares"
            )
        return tuple(_cell(base[c]) if c in base else _cell(finding[c]) for c in self.operation.identity)

    def refusal(self, finding: Mapping[str, Any]) -> str:
        """'' when the change may be made; else why it is skipped (and the decision is recorded)."""
        key = self.key_of(finding)
        row = self.planned.get(key)
        if row is None:
            self.decided[key] = NOT_PLANNED
            return "not-planned: this change is not in the plan being applied, so it was not made; make a new plan"
        changed = [c for c in self.operation.before if _cell(finding[c]) != row.get(c, "")]
        if changed:
            self.decided[key] = STALE
            was = "; ".join(
                f"{c} was {show(row.get(c, ''))} in the plan, is now {show(_cell(finding[c]))}" for c in changed
            )
            return f"stale: {was}; not applied (make a new plan)"
        self.decided[key] = PLANNED
        return ""

    def annotate(self, cells: list[str]) -> list[str]:
        """A row the operation reported, with its plan status (its last cell); a row that says it
        applied a change the gate did not admit fails the target."""
        row = dict(zip(self.operation.report_columns, cells, strict=False))
        key = tuple(row.get(c, "") for c in self.operation.identity)
        status = self.decided.get(key, "")
        if row.get("applied") == "true" and status != PLANNED:
            raise ConfigurationError(
                f"operation {self.operation.name} reports a change applied to {', '.join(key)} that the plan did not "
                "admit: its run makes a change without attempt(..., finding=row); fix the operation"
            )
        return [*cells[:-1], status]

    def apply(self, prefix: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> list[list[str]]:
        """The report rows of the operation's ``rows`` (a generator: the run happens here, behind
        the gate), each after the target's ``prefix`` cells and with its plan status, then the
        plan's rows of the changes it no longer proposed."""
        with gate_open(self):
            lines = [self.annotate([*prefix, *store.format_row(self.operation.columns, row), ""]) for row in rows]
        return lines + list(self.unseen())

    def unseen(self) -> Iterator[list[str]]:
        """The plan's rows of changes the operation no longer proposed: stale, not applied."""
        columns = self.operation.report_columns
        for key, row in self.planned.items():
            if key in self.decided:
                continue
            out = {**row, "applied": "false", "plan_status": STALE}
            out["error"] = (
                "stale: the operation no longer proposes this change (already made, or the resource "
                "changed or is gone); not applied"
            )
            yield [out.get(c, "") for c in columns]


_GATE: contextvars.ContextVar[Gate | None] = contextvars.ContextVar("orgops_plan_gate", default=None)


@contextmanager
def gate_open(gate: Gate) -> Iterator[Gate]:
    token = _GATE.set(gate)
    try:
        yield gate
    finally:
        _GATE.reset(token)


def current_gate() -> Gate | None:
    return _GATE.get()


def read(s3: Any, data_bucket: str, ref: PlanRef) -> Any:
    """The plan document at ``ref.uri``, which must be in the data bucket (where reports write
    plans, and only orgops's roles write); refused with the fix when it is elsewhere or absent."""
    bucket, key = store.parse_s3_uri(ref.uri)
    if bucket != data_bucket:
        raise InvalidInput(
            f"{FIELD}.Uri",
            f"is in bucket {bucket}; plans are read only from this deployment's data bucket {data_bucket}, where "
            "the dry run's report wrote plan.json",
        )
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if store.missing_object(exc):
            raise InvalidInput(
                f"{FIELD}.Uri", f"there is no plan at {ref.uri}: give the PlanUri of a dry run's summary"
            ) from None
        raise
    try:
        return json.loads(body)
    except ValueError:
        raise InvalidInput(FIELD, f"{ref.uri} is not JSON: it is not a plan orgops wrote") from None


def apply_targets(operation: Operation, doc: Mapping[str, Any]) -> tuple[Target, ...]:
    """The targets of a checked plan, each carrying the digest of its changes."""
    from orgops.targets import Target

    if not operation.mutating:
        raise InvalidInput(FIELD, f"{operation.name} changes nothing, so it has no plans: run it without Plan")
    return tuple(
        Target(str(t["AccountId"]), str(t.get("AccountName", "")), str(t["Region"]), str(t["Digest"]))
        for t in doc.get("Targets", [])
    )
