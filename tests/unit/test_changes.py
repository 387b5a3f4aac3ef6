"""What changed since the last run (orgops.changes): the change set of two runs' rows, exact."""

from __future__ import annotations

import csv
import io
import json

import pytest

from orgops import changes, report
from orgops.operations.base import CHANGE_COLUMNS, Operation

VOLUMES = Operation(
    name="volumes-test",
    description="volumes, keyed by volume_id",
    role="readonly",
    columns=("volume_id", "size_gib", "tags"),
    key=("volume_id",),
    noun="unused EBS volumes",
    run=lambda session, target, params, dry_run: [],
)
FIXES = Operation(
    name="fixes-test",
    description="a remediation, keyed by resource and action",
    role="admin",
    columns=("resource", *CHANGE_COLUMNS, "detail"),
    key=("resource", "action"),
    mutating=True,
    run=lambda session, target, params, dry_run: [],
)
A, B = "111111111111", "222222222222"
ALL = {(A, "eu-west-1"), (A, "us-east-1"), (B, "eu-west-1")}


def vol(account: str, region: str, volume: str, size: str = "8", tags: str = "", name: str = "prod") -> dict[str, str]:
    return {
        "account_id": account,
        "account_name": name,
        "region": region,
        "volume_id": volume,
        "size_gib": size,
        "tags": tags,
    }


def run(previous: list[dict[str, str]], current: list[dict[str, str]], compared=ALL, op=VOLUMES):
    found = changes.diff(op, previous, current, compared)
    return list(found), found.counts


def test_an_added_a_removed_and_a_changed_finding_are_exactly_those() -> None:
    previous = [vol(A, "eu-west-1", "vol-1"), vol(A, "eu-west-1", "vol-2", tags="team=a"), vol(B, "eu-west-1", "vol-3")]
    current = [vol(A, "eu-west-1", "vol-2", size="16", tags="team=b"), vol(A, "eu-west-1", "vol-4"), previous[2]]

    found, counts = run(previous, current)

    assert found == [
        changes.Change("removed", (A, "eu-west-1", "vol-1"), previous[0]),
        changes.Change(
            "changed",
            (A, "eu-west-1", "vol-2"),
            current[0],
            ("size_gib", "tags"),
            {"size_gib": "8", "tags": "team=a"},
        ),
        changes.Change("added", (A, "eu-west-1", "vol-4"), current[1]),
    ]
    assert (counts.added, counts.removed, counts.changed, counts.unchanged) == (1, 1, 1, 1)


def test_a_renamed_account_is_no_change() -> None:
    found, counts = run([vol(A, "eu-west-1", "vol-1", name="old")], [vol(A, "eu-west-1", "vol-1", name="new")])

    assert (found, counts.unchanged) == ([], 1)


def test_a_mutating_operations_outcome_columns_are_not_compared_but_its_action_is() -> None:
    def fix(resource: str, action: str, applied: str, error: str, detail: str, plan: str = "") -> dict[str, str]:
        return {
            "account_id": A,
            "account_name": "prod",
            "region": "eu-west-1",
            "resource": resource,
            "action": action,
            "applied": applied,
            "error": error,
            "detail": detail,
            "plan_status": plan,
        }

    previous = [fix("sg-1", "revoke", "false", "Throttling", "0.0.0.0/0:22"), fix("sg-2", "revoke", "false", "", "a")]
    current = [fix("sg-1", "revoke", "true", "", "0.0.0.0/0:22", "planned"), fix("sg-2", "revoke", "false", "", "b")]

    found, counts = run(previous, current, {(A, "eu-west-1")}, FIXES)

    assert [(c.kind, c.identity, c.changed_columns, dict(c.previous)) for c in found] == [
        ("changed", (A, "eu-west-1", "sg-2", "revoke"), ("detail",), {"detail": "a"})
    ]
    assert counts.unchanged == 1
    assert changes.compared_columns(FIXES) == ("detail",)


def test_findings_of_a_target_that_did_not_succeed_in_both_runs_are_neither_new_nor_resolved() -> None:
    # Given eu-west-1 of A failed in the current run (no rows), and B was skipped in the previous one
    previous = [vol(A, "eu-west-1", "vol-1"), vol(A, "us-east-1", "vol-2")]
    current = [vol(A, "us-east-1", "vol-2"), vol(B, "eu-west-1", "vol-9"), vol(B, "eu-west-1", "vol-8")]

    found, counts = run(previous, current, {(A, "us-east-1")})

    assert found == []
    assert (counts.not_compared, counts.unchanged, counts.added, counts.removed) == (3, 1, 0, 0)


def test_a_target_compared_with_no_rows_in_one_run_has_all_its_findings_new_or_resolved() -> None:
    found, _ = run([vol(A, "us-east-1", "vol-2")], [vol(B, "eu-west-1", "vol-9")])

    assert [(c.kind, c.identity) for c in found] == [
        ("removed", (A, "us-east-1", "vol-2")),
        ("added", (B, "eu-west-1", "vol-9")),
    ]


def test_changes_come_in_identity_order_whatever_the_rows_order_within_a_target() -> None:
    current = [vol(A, "eu-west-1", "vol-c"), vol(A, "eu-west-1", "vol-a"), vol(A, "us-east-1", "vol-b")]

    found, _ = run([], current)

    assert [c.identity[1:] for c in found] == [("eu-west-1", "vol-a"), ("eu-west-1", "vol-c"), ("us-east-1", "vol-b")]


def test_an_identity_found_twice_in_a_run_is_compared_by_its_cells_and_counted() -> None:
    # Given vol-1 twice in the previous run (the key does not identify), once in the current one
    previous = [vol(A, "eu-west-1", "vol-1", size="8"), vol(A, "eu-west-1", "vol-1", size="9")]
    current = [vol(A, "eu-west-1", "vol-1", size="9"), vol(A, "eu-west-1", "vol-2")]

    found, counts = run(previous, current)

    assert [(c.kind, c.identity, c.row["size_gib"]) for c in found] == [
        ("removed", (A, "eu-west-1", "vol-1"), "8"),
        ("added", (A, "eu-west-1", "vol-2"), "8"),
    ]
    assert (counts.duplicates, counts.duplicate_identities, counts.unchanged) == (1, [(A, "eu-west-1", "vol-1")], 1)


def test_rows_out_of_target_order_are_refused_naming_the_targets() -> None:
    current = [vol(B, "eu-west-1", "vol-1"), vol(A, "eu-west-1", "vol-2")]

    with pytest.raises(changes.OutOfOrder, match=f"account {A} region eu-west-1 comes after account {B}"):
        run([], current)


def test_an_operation_without_a_key_is_identified_by_every_column() -> None:
    keyless = Operation(
        name="keyless-test", description="", role="readonly", columns=("name", "value"), run=lambda *a: []
    )
    row = {"account_id": A, "account_name": "x", "region": "eu-west-1", "name": "n", "value": "1"}

    found, _ = run([row], [{**row, "value": "2"}], op=keyless)

    assert [(c.kind, c.identity) for c in found] == [
        ("removed", (A, "eu-west-1", "n", "1")),
        ("added", (A, "eu-west-1", "n", "2")),
    ]


def test_changes_csv_records_are_escaped_and_previous_is_a_json_object() -> None:
    previous = [vol(A, "eu-west-1", "vol-1", size="-1", tags="'=old")]
    current = [vol(A, "eu-west-1", "vol-1", size="-2", tags="k=v;=HYPERLINK(x)")]
    found, _ = run(previous, current)
    columns = VOLUMES.report_columns

    record = report.CsvRecords()
    text = record(list(changes.header(VOLUMES))) + "".join(record(c.cells(columns)) for c in found)

    assert text == (
        "change,changed_columns,previous,account_id,account_name,region,volume_id,size_gib,tags\n"
        'changed,size_gib;tags,"{""size_gib"":""-1"",""tags"":""\'=old""}",'
        f"{A},prod,eu-west-1,vol-1,-2,k=v;=HYPERLINK(x)\n"
    )
    ((_, _, previous_cell, *_),) = list(csv.reader(io.StringIO(text)))[1:]
    assert json.loads(previous_cell) == {"size_gib": "-1", "tags": "'=old"}


@pytest.mark.parametrize(
    ("cell", "written"),
    [("-2", "-2"), ("-1.5e3", "-1.5e3"), ("=cmd", "'=cmd"), ("'=cmd", "'=cmd"), ("-x", "'-x"), ("@sum", "'@sum")],
)
def test_a_report_cell_keeps_numbers_and_escapes_formulas_once(cell: str, written: str) -> None:
    assert changes.report_cell(cell) == written


def test_the_selection_is_normalised_and_a_retry_or_plan_run_has_none() -> None:
    one = changes.selection(VOLUMES, {"Regions": ["us-east-1", "eu-west-1"], "Accounts": {"Exclude": [B, A]}})
    same = changes.selection(
        VOLUMES, {"Regions": ["eu-west-1", "us-east-1"], "Accounts": {"Exclude": [A, B]}, "DryRun": True}
    )
    applied = changes.selection(
        VOLUMES, {"Regions": ["eu-west-1", "us-east-1"], "Accounts": {"Exclude": [A, B]}, "DryRun": False}
    )
    retry = "arn:aws:states:us-east-1:123456789012:execution:orgops-volumes-test:run-1"

    assert (
        one
        == same
        == {
            "Regions": ["eu-west-1", "us-east-1"],
            "Accounts": {"Include": [], "Exclude": [A, B], "OrganizationalUnits": [], "Tags": {}},
            "Params": {},
            "DryRun": True,
        }
    )
    assert one is not None and applied is not None
    assert changes.fingerprint(one) == changes.fingerprint(same) != changes.fingerprint(applied)
    assert changes.selection(VOLUMES, {"RetryFailed": retry}) is None
    assert changes.selection(VOLUMES, {"Plan": {"Uri": "s3://b/k", "Digest": "sha256:00"}}) is None


@pytest.mark.parametrize(
    ("summary", "refusal"),
    [
        ({}, None),
        ({"Failed": 3}, None),
        ({"Partial": True, "Status": "ABORTED"}, "its report is partial (the execution ended ABORTED)"),
        ({"MapError": {"Error": "States.Timeout"}}, "its Map state failed as a whole"),
        ({"Stopped": "MaxErrors 1 exceeded"}, "MaxErrors stopped it before every target ran"),
        ({"RetryOf": "arn"}, "it retried another run's failed targets"),
    ],
)
def test_only_a_complete_run_becomes_the_baseline(summary: dict[str, object], refusal: str | None) -> None:
    assert changes.baseline_refusal(summary) == refusal


def test_the_lead_line_counts_the_changes_since_the_baseline() -> None:
    baseline = "arn:aws:states:us-east-1:123456789012:execution:orgops-unused-ebs-volumes:nightly-41"
    summary = {"ComparedWith": baseline, "New": 12, "Resolved": 3, "Changed": 1, "NotCompared": 2}

    assert changes.lead_line(summary, "unused EBS volumes") == (
        "+12 new unused EBS volumes, 3 resolved, 1 changed since nightly-41 "
        "(2 targets not compared: failed or skipped in one of the runs)."
    )
    assert changes.lead_line({**summary, "New": 0, "Resolved": 0, "Changed": 0, "NotCompared": 0}, "VPCs") == (
        "No change in VPCs since nightly-41."
    )
    assert changes.lead_line({"ComparedWith": None}, "VPCs") is None
