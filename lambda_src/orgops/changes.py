"""What changed since the last run: two runs' findings of one operation, compared. Pure: no I/O.

A finding is identified by ``Operation.identity``: its target's account and region, then the
operation's ``key`` (every column when it declares none). Between a previous and a current run:

- ``added``: in the current run, not in the previous one (the summary's ``New``);
- ``removed``: in the previous run, not in the current one (``Resolved``); the row is the previous one;
- ``changed``: in both, with another cell different (``Changed``): ``changed_columns`` names them
  and ``previous`` holds their previous cells.

Cells that say nothing about the finding are not compared: ``account_name`` (an account renamed
is the same account) and, for a mutating operation, the outcome of the change attempt
(``applied``, ``error``, ``plan_status``): a change that failed last run and succeeded this run is
an outcome, not a changed finding. ``action`` is compared: what would be done is the finding.

Only targets in ``compared_targets`` (those that SUCCEEDED in both runs) are compared: a target
that failed or was skipped in either run has findings that are neither new nor resolved; they are
counted (``Counts.not_compared``) and left out. An identity found more than once in one run (the
key does not identify the operation's findings) is compared as a multiset: its rows are matched by
their compared cells, and those left over are added or removed (never changed); it is counted in
``Counts.duplicates``, the first few kept in ``Counts.duplicate_identities``.

Rows are ``{column: cell}``: the report's text cells (report.csv's, formula escape included), in
the report's order, grouped by target in target key order (account id, then region, as the status
table sorts ``account#region``). The comparison streams both runs target by target, so memory
holds one target's rows of each run at a time, whatever the runs' sizes. The changes come out in
identity order (account, region, then the key's cells as text).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from orgops import store, targets
from orgops.errors import InvalidInput
from orgops.operations.base import PLAN_COLUMN, Operation

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
CHANGES = (ADDED, REMOVED, CHANGED)
# changes.csv: these, then the report's columns.
LEAD_COLUMNS = ("change", "changed_columns", "previous")
# Never compared: not part of what the finding is.
IGNORED_COLUMNS = ("account_name",)
# A mutating operation's outcome of the attempt (orgops.operations.base.CHANGE_COLUMNS, minus action).
OUTCOME_COLUMNS = ("applied", "error", PLAN_COLUMN)
DUPLICATES_KEPT = 10
# The input fields that select a run's findings: runs with the same ones are comparable.
SELECTION_FIELDS = ("Regions", "Accounts", "Params", "DryRun")
# A report cell the report left unescaped although it starts with "-": a number.
NEGATIVE_NUMBER = re.compile(r"-(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|-inf")

Row = Mapping[str, str]
TargetKey = tuple[str, str]
Identity = tuple[str, ...]


class OutOfOrder(ValueError):
    """Rows not grouped by target in target key order (not a report.csv as the report writes it)."""


def ignored_columns(operation: Operation) -> tuple[str, ...]:
    return IGNORED_COLUMNS + (OUTCOME_COLUMNS if operation.mutating else ())


def compared_columns(operation: Operation) -> tuple[str, ...]:
    """The report columns whose cells make a finding changed: neither identity nor ignored."""
    skip = {*operation.identity, *ignored_columns(operation)}
    return tuple(c for c in operation.report_columns if c not in skip)


def header(operation: Operation) -> tuple[str, ...]:
    """changes.csv's header: ``change``, ``changed_columns``, ``previous``, then the report's columns."""
    return LEAD_COLUMNS + operation.report_columns


def target_of(row: Row) -> TargetKey:
    return (str(row.get("account_id", "")), str(row.get("region", "")))


def target_order(target: TargetKey) -> str:
    """The status table's order of targets (its sort key ``account#region``), which report.csv follows."""
    return f"{target[0]}#{target[1]}"


def identity_of(operation: Operation, row: Row) -> Identity:
    return tuple(str(row.get(c, "")) for c in operation.identity)


def report_cell(text: str) -> str:
    """A report cell written again: the report escaped it already (``store.format_cell``); one that
    comes unescaped (a report.csv edited by hand) is escaped here, but for a negative number, which
    the report writes as it is."""
    return text if NEGATIVE_NUMBER.fullmatch(text) else store.format_cell(text)


@dataclass(frozen=True)
class Change:
    kind: str  # ADDED, REMOVED or CHANGED
    identity: Identity
    row: Row  # the current row (added, changed) or the previous one (removed)
    changed_columns: tuple[str, ...] = ()
    previous: Mapping[str, str] = field(default_factory=dict)  # changed: the previous cells of changed_columns

    def cells(self, columns: Sequence[str]) -> list[str]:
        """changes.csv's record: every cell formula-escaped, ``previous`` a JSON object (tag maps
        hold ``;`` and ``=``, so ``col=old;col=old`` could not be read back)."""
        previous = json.dumps(dict(self.previous), ensure_ascii=False, separators=(",", ":")) if self.previous else ""
        lead = [
            store.format_cell(self.kind),
            store.format_cell(list(self.changed_columns)),
            store.format_cell(previous),
        ]
        return lead + [report_cell(str(self.row.get(c, ""))) for c in columns]


@dataclass
class Counts:
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0
    not_compared: int = 0  # findings (of either run) of targets that did not succeed in both
    duplicates: int = 0  # identities found more than once in a run
    duplicate_identities: list[Identity] = field(default_factory=list)


class ChangeSet:
    """The changes, produced as they are iterated (once); ``counts`` is complete after the last."""

    def __init__(
        self,
        operation: Operation,
        previous_rows: Iterable[Row],
        current_rows: Iterable[Row],
        compared_targets: Container[TargetKey],
    ) -> None:
        self.operation = operation
        self.counts = Counts()
        self._changes = _diff(operation, previous_rows, current_rows, compared_targets, self.counts)

    def __iter__(self) -> Iterator[Change]:
        return self._changes


def diff(
    operation: Operation,
    previous_rows: Iterable[Row],
    current_rows: Iterable[Row],
    compared_targets: Container[TargetKey],
) -> ChangeSet:
    """The changes from ``previous_rows`` to ``current_rows`` over the targets in ``compared_targets``.

    Raises ``OutOfOrder`` (while iterating) when a run's rows are not grouped by target in target key order."""
    return ChangeSet(operation, previous_rows, current_rows, compared_targets)


def _groups(rows: Iterable[Row], run: str) -> Iterator[tuple[TargetKey, list[Row]]]:
    """Each target's rows, in order; a target met again after another is refused."""
    current: TargetKey | None = None
    group: list[Row] = []
    for row in rows:
        target = target_of(row)
        if target != current:
            if current is not None:
                if target_order(target) < target_order(current):
                    raise OutOfOrder(
                        f"the {run} run's rows are not in the report's order: account {target[0]} region {target[1]} "
                        f"comes after account {current[0]} region {current[1]}; compare report.csv files as the "
                        "report writes them (grouped by account, then region)"
                    )
                yield current, group
            current, group = target, []
        group.append(row)
    if current is not None:
        yield current, group


def _diff(
    operation: Operation,
    previous_rows: Iterable[Row],
    current_rows: Iterable[Row],
    compared: Container[TargetKey],
    counts: Counts,
) -> Iterator[Change]:
    before_groups, after_groups = _groups(previous_rows, "previous"), _groups(current_rows, "current")
    before, after = next(before_groups, None), next(after_groups, None)
    while before is not None or after is not None:
        if after is None or (before is not None and target_order(before[0]) < target_order(after[0])):
            assert before is not None  # noqa: S101 - for mypy: one side is left
            target, old, new = before[0], before[1], []
            before = next(before_groups, None)
        elif before is None or target_order(after[0]) < target_order(before[0]):
            target, old, new = after[0], [], after[1]
            after = next(after_groups, None)
        else:
            target, old, new = before[0], before[1], after[1]
            before, after = next(before_groups, None), next(after_groups, None)
        if target not in compared:
            counts.not_compared += len(old) + len(new)
            continue
        yield from _target_changes(operation, old, new, counts)


def _by_identity(operation: Operation, rows: Iterable[Row]) -> dict[Identity, list[Row]]:
    out: dict[Identity, list[Row]] = {}
    for row in rows:
        out.setdefault(identity_of(operation, row), []).append(row)
    return out


def _differing(columns: Sequence[str], old: Row, new: Row) -> tuple[str, ...]:
    """The columns whose cells differ; a column one of the rows lacks (a report of an older version
    of the operation) is not compared."""
    return tuple(c for c in columns if c in old and c in new and old[c] != new[c])


def _target_changes(operation: Operation, old: list[Row], new: list[Row], counts: Counts) -> Iterator[Change]:
    columns = compared_columns(operation)
    before, after = _by_identity(operation, old), _by_identity(operation, new)
    for identity in sorted(before.keys() | after.keys()):
        olds, news = before.get(identity, []), after.get(identity, [])
        if len(olds) > 1 or len(news) > 1:
            counts.duplicates += 1
            if len(counts.duplicate_identities) < DUPLICATES_KEPT:
                counts.duplicate_identities.append(identity)
            yield from _multiset_changes(identity, columns, olds, news, counts)
        elif not olds:
            counts.added += 1
            yield Change(ADDED, identity, news[0])
        elif not news:
            counts.removed += 1
            yield Change(REMOVED, identity, olds[0])
        else:
            changed = _differing(columns, olds[0], news[0])
            if not changed:
                counts.unchanged += 1
                continue
            counts.changed += 1
            yield Change(CHANGED, identity, news[0], changed, {c: olds[0][c] for c in changed})


def _multiset_changes(
    identity: Identity, columns: Sequence[str], olds: list[Row], news: list[Row], counts: Counts
) -> Iterator[Change]:
    """An identity with several rows in a run: rows equal in every compared cell are the same
    finding; the previous ones left over are removed, the current ones left over added."""
    left = list(news)
    for old in olds:
        match = next((i for i, new in enumerate(left) if not _differing(columns, old, new)), None)
        if match is None:
            counts.removed += 1
            yield Change(REMOVED, identity, old)
        else:
            counts.unchanged += 1
            del left[match]
    for new in left:
        counts.added += 1
        yield Change(ADDED, identity, new)


# ---- which runs are compared ------------------------------------------------------------------


def selection(operation: Operation, raw_input: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What selects a run's findings, normalised (regions and account lists sorted, Params with
    their defaults): runs with the same selection are compared. None for a run that is compared
    with nothing: a RetryFailed run (the failed targets of another) or one applying a Plan.
    Raises ``InvalidInput`` for an input the fanout would refuse."""
    raw = dict(raw_input or {})
    if raw.get("RetryFailed") is not None or raw.get("Plan") is not None:
        return None
    parsed = targets.parse_input(raw)
    try:
        params: Mapping[str, Any] = operation.validate_params(parsed.params)
    except InvalidInput:  # the fanout refused it: the run has no findings anyway
        params = parsed.params
    accounts = parsed.accounts
    return {
        "Regions": targets.ALL_REGIONS if parsed.all_regions else sorted(parsed.regions) if parsed.regions else None,
        "Accounts": {
            "Include": sorted(accounts.include),
            "Exclude": sorted(accounts.exclude),
            "OrganizationalUnits": sorted(accounts.organizational_units),
            "Tags": dict(sorted(accounts.tags.items())),
        },
        "Params": dict(params),
        "DryRun": parsed.dry_run,
    }


def fingerprint(chosen: Mapping[str, Any]) -> str:
    """A selection's name in the baseline pointer's key: 32 hex digits of its canonical JSON's SHA-256."""
    text = json.dumps(chosen, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def baseline_refusal(summary: Mapping[str, Any]) -> str | None:
    """Why a run's report may not be the next baseline, or None when it may: only a complete run is."""
    if summary.get("Partial"):
        return f"its report is partial (the execution ended {summary.get('Status')})"
    if summary.get("MapError"):
        return "its Map state failed as a whole"
    if summary.get("Stopped"):
        return "MaxErrors stopped it before every target ran"
    if summary.get("RetryOf"):
        return "it retried another run's failed targets"
    return None


# ---- the summary and the messages ---------------------------------------------------------------

NOTHING_TO_COMPARE: dict[str, Any] = {"ComparedWith": None, "ChangesUri": None}
NOTHING_TO_COMPARE_TEXT = (
    "nothing to compare with: no earlier complete run of this selection (Regions, Accounts, Params, DryRun)"
)


def summary_fields(counts: Counts, compared_with: str, changes_uri: str, not_compared_targets: int) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ComparedWith": compared_with,
        "New": counts.added,
        "Resolved": counts.removed,
        "Changed": counts.changed,
        "NotCompared": not_compared_targets,
        "ChangesUri": changes_uri,
    }
    if counts.duplicates:
        fields["Duplicates"] = counts.duplicates
    return fields


def execution_name(arn: str) -> str:
    try:
        return store.ExecutionRef.parse(arn).name
    except ValueError:
        return arn


def counts_text(summary: Mapping[str, Any], noun: str) -> str:
    """``+12 new unused EBS volumes, 3 resolved, 1 changed`` (``no change in ...`` when none)."""
    new, resolved, changed = int(summary["New"]), int(summary["Resolved"]), int(summary["Changed"])
    if not (new or resolved or changed):
        return f"no change in {noun}"
    return f"+{new} new {noun}, {resolved} resolved, {changed} changed"


def lead_line(summary: Mapping[str, Any], noun: str) -> str | None:
    """The messages' first line: what changed since the baseline; None for a summary that compares
    with nothing (``ComparedWith`` null: the first complete run of its selection; or absent)."""
    if not summary.get("ComparedWith"):
        return None
    text = counts_text(summary, noun)
    line = f"{text[0].upper()}{text[1:]} since {execution_name(str(summary['ComparedWith']))}"
    not_compared = int(summary.get("NotCompared") or 0)
    if not_compared:
        line += f" ({not_compared} targets not compared: failed or skipped in one of the runs)"
    if summary.get("Duplicates"):
        line += f"; {summary['Duplicates']} findings share their identity (see changes.csv)"
    return line + "."


def noun_of(operation_name: str) -> str:
    """The operation's ``noun`` ("unused EBS volumes"); "findings" for one not registered here."""
    from orgops import operations  # the registry imports every operation: only when a message is made

    op = operations.REGISTRY.get(operation_name)
    return op.noun if op is not None else "findings"
