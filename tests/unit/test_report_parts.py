"""The report's pure parts: counting statuses, readable error messages, the notification text."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from orgops import report


def status(account: str, region: str, state: str, rows: int = 0, code: str = "", message: str = "") -> dict:
    return {
        "execution_id": "arn",
        "target": f"{account}#{region}",
        "account_id": account,
        "account_name": f"n{account[-1]}",
        "region": region,
        "status": state,
        "rows": rows,
        "error_code": code,
        "error_message": message,
        "expires_at": 1,
    }


def test_tally_counts_statuses_and_keeps_only_per_target_data() -> None:
    statuses = [
        status("111111111111", "eu-west-1", "SUCCEEDED", rows=3),
        status("111111111111", "us-east-1", "SUCCEEDED", rows=0),
        status("222222222222", "eu-west-1", "FAILED", code="AccessDenied", message="cannot assume"),
        status("333333333333", "eu-west-1", "SKIPPED", code="AccountNotActive"),
        status("444444444444", "eu-west-1", "SUCCEEDED", rows=1_000_000),
    ]

    t = report.tally(iter(statuses))

    assert (t.targets, t.succeeded, t.failed, t.skipped) == (5, 3, 1, 1)
    # Targets with rows are kept as (account, region) pairs: never the rows themselves.
    assert t.with_rows == [("111111111111", "eu-west-1"), ("444444444444", "eu-west-1")]
    assert t.failures == [["222222222222", "n2", "eu-west-1", "AccessDenied", "cannot assume"]]
    assert t.recorded == {(s["account_id"], s["region"]) for s in statuses}
    assert {f.name for f in fields(t)} == {
        "targets",
        "succeeded",
        "failed",
        "skipped",
        "failures",
        "with_rows",
        "recorded",
        "never_run",
        "not_run",
    }


def test_a_planned_target_without_a_status_is_a_failure_with_the_reason() -> None:
    statuses = [status("111111111111", "eu-west-1", "SUCCEEDED", rows=1)]
    planned = [
        {"AccountId": "111111111111", "AccountName": "n1", "Region": "eu-west-1"},
        {"AccountId": "222222222222", "AccountName": "=n2", "Region": "us-east-1"},
    ]

    t = report.reconcile(report.tally(iter(statuses)), planned, report.NOT_RECORDED)

    assert (t.targets, t.succeeded, t.failed, t.never_run) == (2, 1, 1, 1)
    assert t.failures == [
        ["222222222222", "'=n2", "us-east-1", "NotRecorded", report.RECONCILE_MESSAGES["NotRecorded"]]
    ]


def test_a_status_other_than_succeeded_or_skipped_is_a_failure_with_a_code() -> None:
    t = report.tally([status("111111111111", "eu-west-1", "TIMED_OUT")])

    assert t.failures == [["111111111111", "n1", "eu-west-1", "Unknown", ""]]


def test_error_cells_are_escaped_like_report_cells() -> None:
    t = report.tally([status("111111111111", "eu-west-1", "FAILED", code="X", message="=1+1")])

    assert t.failures[0][-1] == "'=1+1"


def lambda_cause(message: str) -> str:
    return json.dumps({"errorMessage": message, "errorType": "KeyError", "requestId": "r", "stackTrace": ["a"]})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            "cannot assume arn:aws:iam::1:role/r: AccessDenied: no",
            "cannot assume arn:aws:iam::1:role/r: AccessDenied: no",
        ),
        (json.dumps({"Error": "KeyError", "Cause": lambda_cause("'Region'")}), "'Region'"),
        (lambda_cause("boom"), "boom"),
        (
            json.dumps({"Error": "States.Timeout", "Cause": "Task timed out after 900.00 seconds"}),
            "Task timed out after 900.00 seconds",
        ),
        (json.dumps({"Error": "States.Timeout"}), "States.Timeout"),
        (json.dumps({"Error": "Lambda.Unknown", "Cause": ""}), "Lambda.Unknown"),
        ('{"other": 1}', '{"other": 1}'),
        ("[1, 2]", "[1, 2]"),
        ("", ""),
    ],
    ids=[
        "plain",
        "caught-lambda-error",
        "bare-lambda-cause",
        "timeout",
        "no-cause",
        "empty-cause",
        "other-json",
        "json-list",
        "empty",
    ],
)
def test_error_message_keeps_the_readable_part(raw: str, message: str) -> None:
    assert report.error_message(raw) == message


SUMMARY = {
    "Operation": "public-ips",
    "Targets": 10,
    "Succeeded": 8,
    "Failed": 0,
    "Skipped": 2,
    "Rows": 1234,
    "ReportUri": "s3://b/reports/public-ips/r/report.csv",
    "ErrorsUri": None,
}


def test_the_summary_text_without_failures_has_no_errors_line() -> None:
    assert report.summary_text(SUMMARY) == (
        "orgops public-ips: 8 succeeded, 0 failed, 2 skipped of 10 targets; 1234 rows.\n"
        "Report: s3://b/reports/public-ips/r/report.csv"
    )


def test_slack_gets_the_summary_text_as_json() -> None:
    posted: list[tuple[str, bytes]] = []

    report.post_slack("https://hooks.slack.com/x", SUMMARY, poster=lambda url, body: posted.append((url, body)))

    assert posted == [("https://hooks.slack.com/x", json.dumps({"text": report.summary_text(SUMMARY)}).encode())]


def test_not_run_targets_are_counted_apart_from_failures_and_listed_in_the_errors_csv() -> None:
    statuses = [
        status("111111111111", "eu-west-1", "FAILED", code="AccessDenied", message="cannot assume"),
        status("222222222222", "eu-west-1", "NOT_RUN", code="MaxErrors", message="not run: ..."),
    ]

    t = report.tally(iter(statuses))

    assert (t.targets, t.failed, t.not_run) == (2, 1, 1)
    assert [f[3] for f in t.failures] == ["AccessDenied", "MaxErrors"]


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (
            {"max_errors": 2, "max_errors_input": "2", "planned": 5, "failures": 3},
            "MaxErrors 2 exceeded: 3 targets failed, more than the 2 allowed, so 2 targets were not run "
            "(NOT_RUN, listed in the errors CSV)",
        ),
        (
            {"max_errors": 1, "max_errors_input": "20%", "planned": 5, "failures": 3},
            "MaxErrors 20% exceeded (20% of 5 planned targets: 1): 3 targets failed, more than the 1 allowed, so 2 "
            "targets were not run (NOT_RUN, listed in the errors CSV)",
        ),
    ],
)
def test_the_summary_says_why_the_run_stopped(run: dict, expected: str) -> None:
    t = report.Tally(targets=5, failed=3, not_run=2)

    assert report.stopped(run, t) == expected


def test_a_run_that_ran_every_target_did_not_stop() -> None:
    run = {"max_errors": 2, "max_errors_input": "2", "planned": 5, "failures": 3}

    assert report.stopped(run, report.Tally(targets=5, failed=3)) is None
    assert report.stopped(None, report.Tally(targets=5, failed=3, not_run=2)) is None


def test_the_notification_says_the_run_stopped_and_what_it_retried() -> None:
    summary = {
        "Operation": "unused-ebs-volumes",
        "Targets": 5,
        "Succeeded": 0,
        "Failed": 3,
        "Skipped": 0,
        "NotRun": 2,
        "Rows": 0,
        "ReportUri": "s3://b/r.csv",
        "ErrorsUri": "s3://b/e.csv",
        "Stopped": "MaxErrors 2 exceeded: 3 targets failed",
        "RetryOf": "arn:aws:states:eu-west-1:111122223333:execution:orgops-unused-ebs-volumes:run-1",
    }

    assert report.summary_text(summary).splitlines() == [
        "Stopped: MaxErrors 2 exceeded: 3 targets failed.",
        "orgops unused-ebs-volumes: 0 succeeded, 3 failed, 0 skipped, 2 not run of 5 targets; 0 rows.",
        "Report: s3://b/r.csv",
        "Retry of: arn:aws:states:eu-west-1:111122223333:execution:orgops-unused-ebs-volumes:run-1",
        "Errors: s3://b/e.csv",
    ]
