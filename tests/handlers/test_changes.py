"""What changed since the last run, in the report (moto): the baseline pointer, the first run of a
selection, the second run's changes.csv and summary, which runs become the baseline, the messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from orgops import baselines, changes, dataset, operations, store
from orgops.config import ReportSettings
from orgops.handlers import report as report_handler
from orgops.operations.base import Operation
from orgops.targets import Target
from tests.handlers.helpers import object_keys, read_object
from tests.handlers.org_fixture import DATA_BUCKET, DEV_A1, PROD_A, PROD_B, STATUS_TABLE, record_status

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:orgops-changes-test"
EXPIRES_AT = 1_702_592_000
SETTINGS = ReportSettings(data_bucket=DATA_BUCKET, status_table=STATUS_TABLE)
CHANGES_TEST = Operation(
    name="changes-test",
    description="resources keyed by resource_id",
    role="readonly",
    columns=("resource_id", "size", "tags"),
    key=("resource_id",),
    noun="test resources",
    run=lambda session, target, params, dry_run: [],
)
INPUT = {"Regions": ["eu-west-1", "us-east-1"], "DryRun": True}
SELECTION = {
    "Regions": ["eu-west-1", "us-east-1"],
    "Accounts": {"Include": [], "Exclude": [], "OrganizationalUnits": [], "Tags": {}},
    "Params": {},
    "DryRun": True,
}
POINTER = f"reports/changes-test/baselines/{changes.fingerprint(SELECTION)}.json"
STARTED = datetime(2026, 1, 2, 6, tzinfo=UTC)


@pytest.fixture(autouse=True)
def changes_test_operation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(operations.REGISTRY, "changes-test", CHANGES_TEST)


def arn(name: str) -> str:
    return f"arn:aws:states:us-east-1:123456789012:execution:orgops-changes-test:{name}"


def event(name: str, execution_input: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The Report step's event, with the input as orgops local gives it (no execution in moto)."""
    return {
        "Operation": "changes-test",
        "ExecutionId": arn(name),
        "StartTime": STARTED.isoformat(),
        "Input": INPUT if execution_input is None else execution_input,
        **extra,
    }


def status(account_id: str, region: str, state: str, rows: int = 0) -> dict[str, Any]:
    code = "AccessDenied" if state == "FAILED" else ""
    return {
        "AccountId": account_id,
        "AccountName": f"acct-{account_id[:1]}",
        "Region": region,
        "Status": state,
        "Rows": rows,
        "ErrorCode": code,
        "ErrorMessage": code,
    }


def store_run(session: boto3.Session, name: str, targets: dict[tuple[str, str], list[list[str]] | str]) -> None:
    """A run's targets: rows for a succeeded one, or its status (FAILED, SKIPPED) for the others."""
    ref = store.ExecutionRef.parse(arn(name))
    s3 = session.client("s3", region_name="us-east-1")
    for (account_id, region), rows in targets.items():
        if isinstance(rows, str):
            record_status(session, ref.arn, status(account_id, region, rows), EXPIRES_AT)
            continue
        target = Target(account_id, f"acct-{account_id[:1]}", region)
        cells = [[account_id, target.account_name, region, *r] for r in rows]
        store.put_rows(s3, DATA_BUCKET, store.rows_key(ref, target), store.encode_rows(cells))
        record_status(session, ref.arn, status(account_id, region, "SUCCEEDED", len(rows)), EXPIRES_AT)


FIRST = {
    (PROD_A, "eu-west-1"): [["r-1", "8", "env=prod"], ["r-2", "2", ""]],
    (PROD_A, "us-east-1"): [["r-3", "4", ""]],
    (DEV_A1, "eu-west-1"): "FAILED",
    (PROD_B, "eu-west-1"): [["r-9", "1", ""]],
}
# r-2 removed, r-1 retagged and resized, r-4 added; DEV_A1 succeeds now (its r-7 is not new: it
# failed before), PROD_B fails now (its r-9 is not resolved).
SECOND = {
    (PROD_A, "eu-west-1"): [["r-4", "16", "'=HYPERLINK(x)"], ["r-1", "10", "env=dev"]],
    (PROD_A, "us-east-1"): [["r-3", "4", ""]],
    (DEV_A1, "eu-west-1"): [["r-7", "3", ""]],
    (PROD_B, "eu-west-1"): "FAILED",
}


def test_the_first_run_of_a_selection_compares_with_nothing_and_becomes_its_baseline(session: boto3.Session) -> None:
    store_run(session, "run-1", FIRST)

    summary = report_handler.build_report(event("run-1"), SETTINGS, session)

    assert (summary["ComparedWith"], summary["ChangesUri"]) == (None, None)
    assert not {"New", "Resolved", "Changed"} & set(summary)
    assert "reports/changes-test/run-1/changes.csv" not in object_keys(session)
    statuses = dataset.keys("changes-test", "run-1", STARTED)
    assert json.loads(read_object(session, POINTER)) == {
        "ExecutionId": arn("run-1"),
        "ReportUri": f"s3://{DATA_BUCKET}/reports/changes-test/run-1/report.csv",
        "StatusesKey": statuses[dataset.STATUSES],
        "Fingerprint": changes.fingerprint(SELECTION),
        "Selection": SELECTION,
        "Previous": None,
    }


def test_the_second_run_writes_exactly_what_changed_since_the_first(session: boto3.Session) -> None:
    store_run(session, "run-1", FIRST)
    report_handler.build_report(event("run-1"), SETTINGS, session)
    store_run(session, "run-2", SECOND)

    summary = report_handler.build_report(event("run-2"), SETTINGS, session)

    changes_uri = f"s3://{DATA_BUCKET}/reports/changes-test/run-2/changes.csv"
    assert {k: summary[k] for k in ("ComparedWith", "New", "Resolved", "Changed", "NotCompared", "ChangesUri")} == {
        "ComparedWith": arn("run-1"),
        "New": 1,
        "Resolved": 1,
        "Changed": 1,
        "NotCompared": 2,  # DEV_A1 failed in run-1, PROD_B in run-2
        "ChangesUri": changes_uri,
    }
    assert read_object(session, "reports/changes-test/run-2/changes.csv").decode() == (
        "change,changed_columns,previous,account_id,account_name,region,resource_id,size,tags\n"
        f'changed,size;tags,"{{""size"":""8"",""tags"":""env=prod""}}",{PROD_A},acct-1,eu-west-1,r-1,10,env=dev\n'
        f"removed,,,{PROD_A},acct-1,eu-west-1,r-2,2,\n"
        f"added,,,{PROD_A},acct-1,eu-west-1,r-4,16,'=HYPERLINK(x)\n"
    )
    assert json.loads(read_object(session, "reports/changes-test/run-2/summary.json"))["ChangesUri"] == changes_uri
    assert json.loads(read_object(session, POINTER))["ExecutionId"] == arn("run-2")


def test_the_report_written_again_compares_with_the_same_baseline_and_writes_the_same_bytes(
    session: boto3.Session,
) -> None:
    store_run(session, "run-1", FIRST)
    report_handler.build_report(event("run-1"), SETTINGS, session)
    store_run(session, "run-2", SECOND)
    first = report_handler.build_report(event("run-2"), SETTINGS, session)
    written = read_object(session, "reports/changes-test/run-2/changes.csv")

    again = report_handler.build_report(event("run-2"), SETTINGS, session)

    assert (again, again["ComparedWith"]) == (first, arn("run-1"))
    assert read_object(session, "reports/changes-test/run-2/changes.csv") == written
    pointer = json.loads(read_object(session, POINTER))
    assert (pointer["ExecutionId"], pointer["Previous"]["ExecutionId"]) == (arn("run-2"), arn("run-1"))


@pytest.mark.parametrize(
    "extra",
    [
        {"MapError": {"Error": "States.ExceedToleratedFailureThreshold", "Cause": "too many"}},
        {"detail": {"status": "ABORTED", "executionArn": arn("run-2"), "stateMachineArn": MACHINE}},
    ],
    ids=["map-error", "partial"],
)
def test_a_run_that_did_not_complete_is_compared_but_does_not_become_the_baseline(
    session: boto3.Session, extra: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_handler, "fanout_listed_targets", lambda events: True)
    store_run(session, "run-1", FIRST)
    report_handler.build_report(event("run-1"), SETTINGS, session)
    store_run(session, "run-2", SECOND)

    summary = report_handler.build_report(event("run-2", **extra), SETTINGS, session)

    assert (summary["ComparedWith"], summary["New"], summary["Resolved"]) == (arn("run-1"), 1, 1)
    assert json.loads(read_object(session, POINTER))["ExecutionId"] == arn("run-1")


def test_a_run_of_another_selection_is_not_compared_with_it(session: boto3.Session) -> None:
    store_run(session, "run-1", FIRST)
    report_handler.build_report(event("run-1"), SETTINGS, session)
    store_run(session, "run-2", SECOND)

    summary = report_handler.build_report(event("run-2", {**INPUT, "DryRun": False}), SETTINGS, session)

    assert (summary["ComparedWith"], summary["ChangesUri"]) == (None, None)
    assert json.loads(read_object(session, POINTER))["ExecutionId"] == arn("run-1")


def test_a_retry_is_compared_with_nothing_and_is_no_baseline(session: boto3.Session) -> None:
    store_run(session, "run-1", FIRST)
    report_handler.build_report(event("run-1"), SETTINGS, session)
    store_run(session, "run-2", SECOND)

    summary = report_handler.build_report(event("run-2", {"RetryFailed": arn("run-1")}), SETTINGS, session)

    assert summary["ComparedWith"] is None
    assert json.loads(read_object(session, POINTER))["ExecutionId"] == arn("run-1")


def test_without_an_input_in_the_event_the_report_reads_it_with_describe_execution(session: boto3.Session) -> None:
    sfn = session.client("stepfunctions", region_name="us-east-1")
    role = "arn:aws:iam::123456789012:role/orgops-changes-test-sfn"
    machine = sfn.create_state_machine(
        name="orgops-changes-test",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=role,
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name="run-1", input=json.dumps(INPUT))["executionArn"]
    store_run(session, "run-1", FIRST)

    selection = baselines.selection_of(CHANGES_TEST, {"ExecutionId": execution}, lambda: sfn, execution)

    assert (selection.fingerprint, selection.doc) == (changes.fingerprint(SELECTION), SELECTION)


def test_the_sns_message_and_subject_lead_with_the_changes(session: boto3.Session) -> None:
    sns = session.client("sns", region_name="us-east-1")
    sqs = session.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="orgops-reports")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    settings = ReportSettings(DATA_BUCKET, STATUS_TABLE, topic_arn=topic)
    store_run(session, "run-1", FIRST)
    report_handler.build_report(event("run-1"), settings, session)
    store_run(session, "run-2", SECOND)

    report_handler.build_report(event("run-2"), settings, session)

    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    first, second = sorted((json.loads(m["Body"]) for m in messages), key=lambda b: "since" in b["Message"])
    assert first["Subject"] == "orgops changes-test: FAILED TARGETS"
    assert second["Subject"] == "orgops changes-test: +1 new test resources, 1 resolved, 1 changed (FAILED TARGETS)"
    assert second["Message"].splitlines()[0] == (
        "+1 new test resources, 1 resolved, 1 changed since run-1 "
        "(2 targets not compared: failed or skipped in one of the runs)."
    )
    assert second["Message"].splitlines()[-1] == f"Changes: s3://{DATA_BUCKET}/reports/changes-test/run-2/changes.csv"
