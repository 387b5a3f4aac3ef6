"""The report: exact CSV bytes, the errors CSV, the summary, SNS and Slack, streaming."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from orgops import operations, report, store
from orgops.config import ReportSettings, WorkerSettings
from orgops.errors import ConfigurationError
from orgops.handlers import report as report_handler
from orgops.handlers import worker
from orgops.operations.base import Operation
from orgops.targets import Target
from tests.handlers.helpers import object_keys, read_object
from tests.handlers.org_fixture import (
    DATA_BUCKET,
    DEV_A1,
    MEMBER_ROLE,
    PROD_A,
    PROD_B,
    SANDBOX,
    STATUS_TABLE,
    Org,
    member_session,
    record_status,
)

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:orgops-report-test:run-7"
REF = store.ExecutionRef.parse(EXECUTION)
EXPIRES_AT = 1_702_592_000
SETTINGS = ReportSettings(data_bucket=DATA_BUCKET, status_table=STATUS_TABLE)
EVENT = {"Operation": "report-test", "ExecutionId": EXECUTION}
REPORT_KEY = "reports/report-test/run-7/report.csv"
ERRORS_KEY = "reports/report-test/run-7/errors.csv"
SUMMARY_KEY = "reports/report-test/run-7/summary.json"

# A stand-in operation: the report is the same for every operation, and this one's columns are fixed.
REPORT_TEST = Operation(
    name="report-test",
    description="columns for report tests",
    role="readonly",
    columns=("resource_id", "size", "tags"),
    run=lambda session, target, params, dry_run: [],
)

LAMBDA_FAILURE = json.dumps(
    {
        "Error": "ValueError",
        "Cause": json.dumps(
            {
                "errorMessage": "row does not match the operation's columns: missing ['size'], extra []",
                "errorType": "ValueError",
                "requestId": "7f0c",
                "stackTrace": ['  File "/var/task/orgops/handlers/worker.py", line 51, in run_target\n'],
            }
        ),
    }
)


@pytest.fixture(autouse=True)
def report_test_operation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(operations.REGISTRY, "report-test", REPORT_TEST)


def result(account_id: str, name: str, region: str, status: str, rows: int = 0, code: str = "", message: str = ""):
    return {
        "AccountId": account_id,
        "AccountName": name,
        "Region": region,
        "Status": status,
        "Rows": rows,
        "ErrorCode": code,
        "ErrorMessage": message,
    }


def store_target(session: boto3.Session, account_id: str, name: str, region: str, rows: list[list[str]]) -> None:
    """What a succeeded worker leaves behind: its rows object, and its status recorded."""
    s3 = session.client("s3", region_name="us-east-1")
    key = store.rows_key(REF, Target(account_id, name, region))
    store.put_rows(s3, DATA_BUCKET, key, store.encode_rows([[account_id, name, region, *r] for r in rows]))
    record_status(session, EXECUTION, result(account_id, name, region, "SUCCEEDED", len(rows)), EXPIRES_AT)


def seed_mixed_run(session: boto3.Session) -> None:
    """Two succeeded targets with rows, one without, two failures, two skipped; recorded out of order."""
    store_target(session, DEV_A1, 'dev, "a1"', "eu-west-1", [["r-3", "1", "'=cmd"]])
    store_target(session, PROD_A, "prod-a", "us-east-1", [["r-2", "16", ""]])
    store_target(session, PROD_A, "prod-a", "eu-west-1", [["r-1", "8", "env=prod;team=x"], ["r-0", "2", "é"]])
    store_target(session, PROD_B, "prod-b", "us-east-1", [])
    record_status(
        session,
        EXECUTION,
        result(
            PROD_B,
            "prod-b",
            "eu-west-1",
            "FAILED",
            code="AccessDenied",
            message=f"cannot assume arn:aws:iam::{PROD_B}:role/operation-readonly: AccessDenied: denied",
        ),
        EXPIRES_AT,
    )
    record_status(
        session,
        EXECUTION,
        result(SANDBOX, "sandbox", "us-east-1", "FAILED", code="ValueError", message=LAMBDA_FAILURE),
        EXPIRES_AT,
    )
    record_status(
        session,
        EXECUTION,
        result(SANDBOX, "sandbox", "af-south-1", "SKIPPED", code="RegionNotEnabled", message="opt in"),
        EXPIRES_AT,
    )
    session.client("dynamodb", region_name="us-east-1").batch_write_item(
        RequestItems={
            STATUS_TABLE: [
                {"PutRequest": {"Item": i}}
                for i in store.skipped_items(
                    EXECUTION, [Target("555555555555", "legacy", "eu-west-1")], "AccountNotActive", EXPIRES_AT
                )
            ]
        }
    )


EXPECTED_REPORT = (
    "account_id,account_name,region,resource_id,size,tags\n"
    "111111111111,prod-a,eu-west-1,r-1,8,env=prod;team=x\n"
    "111111111111,prod-a,eu-west-1,r-0,2,é\n"
    "111111111111,prod-a,us-east-1,r-2,16,\n"
    '222222222222,"dev, ""a1""",eu-west-1,r-3,1,\'=cmd\n'
).encode()

EXPECTED_ERRORS = (
    b"account_id,account_name,region,error_code,error_message\n"
    b"333333333333,prod-b,eu-west-1,AccessDenied,"
    b"cannot assume arn:aws:iam::333333333333:role/operation-readonly: AccessDenied: denied\n"
    b"444444444444,sandbox,us-east-1,ValueError,"
    b"\"row does not match the operation's columns: missing ['size'], extra []\"\n"
)

EXPECTED_SUMMARY = {
    "Operation": "report-test",
    "Targets": 8,
    "Succeeded": 4,
    "Failed": 2,
    "Skipped": 2,
    "Rows": 4,
    "ReportUri": f"s3://{DATA_BUCKET}/{REPORT_KEY}",
    "ErrorsUri": f"s3://{DATA_BUCKET}/{ERRORS_KEY}",
    # The first run of its selection (here: an input that cannot be read): nothing to compare.
    "ComparedWith": None,
    "ChangesUri": None,
}


def test_the_report_csv_is_the_header_then_rows_in_account_and_region_order(session: boto3.Session) -> None:
    seed_mixed_run(session)

    report_handler.build_report(EVENT, SETTINGS, session)

    assert read_object(session, REPORT_KEY) == EXPECTED_REPORT


def test_failed_targets_go_to_the_errors_csv_with_readable_messages(session: boto3.Session) -> None:
    seed_mixed_run(session)

    report_handler.build_report(EVENT, SETTINGS, session)

    assert read_object(session, ERRORS_KEY) == EXPECTED_ERRORS


def test_the_summary_counts_every_target_and_is_the_output(session: boto3.Session) -> None:
    seed_mixed_run(session)

    summary = report_handler.build_report(EVENT, SETTINGS, session)

    assert summary == EXPECTED_SUMMARY
    assert json.loads(read_object(session, SUMMARY_KEY)) == {**EXPECTED_SUMMARY, "ExecutionId": EXECUTION}


def test_errors_uri_is_null_and_no_errors_csv_exists_when_nothing_failed(session: boto3.Session) -> None:
    store_target(session, PROD_A, "prod-a", "eu-west-1", [["r-1", "8", ""]])

    summary = report_handler.build_report(EVENT, SETTINGS, session)

    assert summary == {
        "Operation": "report-test",
        "Targets": 1,
        "Succeeded": 1,
        "Failed": 0,
        "Skipped": 0,
        "Rows": 1,
        "ReportUri": f"s3://{DATA_BUCKET}/{REPORT_KEY}",
        "ErrorsUri": None,
        "ComparedWith": None,
        "ChangesUri": None,
    }
    assert ERRORS_KEY not in object_keys(session)


def test_a_run_without_rows_still_writes_the_header(session: boto3.Session) -> None:
    store_target(session, PROD_A, "prod-a", "eu-west-1", [])

    summary = report_handler.build_report(EVENT, SETTINGS, session)

    assert read_object(session, REPORT_KEY) == b"account_id,account_name,region,resource_id,size,tags\n"
    assert summary["Rows"] == 0


def test_running_the_report_twice_writes_identical_bytes(session: boto3.Session) -> None:
    seed_mixed_run(session)
    first = report_handler.build_report(EVENT, SETTINGS, session)
    before = {k: read_object(session, k) for k in (REPORT_KEY, ERRORS_KEY, SUMMARY_KEY)}

    second = report_handler.build_report(EVENT, SETTINGS, session)

    assert second == first
    assert {k: read_object(session, k) for k in (REPORT_KEY, ERRORS_KEY, SUMMARY_KEY)} == before


def test_rows_written_by_workers_in_member_accounts_reach_the_report(
    session: boto3.Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    ec2 = member_session(session, PROD_B).client("ec2", region_name="eu-west-1")
    volume = ec2.create_volume(Size=3, AvailabilityZone="eu-west-1b")
    execution = "arn:aws:states:us-east-1:123456789012:execution:orgops-unused-ebs-volumes:run-8"
    settings = WorkerSettings(operation="unused-ebs-volumes", member_role_name=MEMBER_ROLE, data_bucket=DATA_BUCKET)
    for account_id, name in ((PROD_A, "prod-a"), (PROD_B, "prod-b")):
        target = {"AccountId": account_id, "AccountName": name, "Region": "eu-west-1"}
        common = {"Operation": "unused-ebs-volumes", "Params": {}, "DryRun": True, "ExpiresAt": EXPIRES_AT}
        out = worker.work({"Target": target, "Common": common, "ExecutionId": execution}, settings, session)
        record_status(session, execution, out, EXPIRES_AT)

    summary = report_handler.build_report(
        {"Operation": "unused-ebs-volumes", "ExecutionId": execution}, SETTINGS, session
    )

    lines = read_object(session, "reports/unused-ebs-volumes/run-8/report.csv").decode().splitlines()
    assert lines[0].startswith("account_id,account_name,region,volume_id,size_gib,")
    assert [line.split(",")[:5] for line in lines[1:]] == [[PROD_B, "prod-b", "eu-west-1", volume["VolumeId"], "3"]]
    assert (summary["Targets"], summary["Succeeded"], summary["Rows"]) == (2, 2, 1)


# --- notifications -----------------------------------------------------------------------------


def test_the_summary_is_published_to_sns(session: boto3.Session) -> None:
    seed_mixed_run(session)
    sns = session.client("sns", region_name="us-east-1")
    sqs = session.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="orgops-reports")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    report_handler.build_report(EVENT, ReportSettings(DATA_BUCKET, STATUS_TABLE, topic_arn=topic), session)

    (message,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(message["Body"])
    assert body["Subject"] == "orgops report-test: FAILED TARGETS"
    assert body["Message"] == (
        "orgops report-test: 4 succeeded, 2 failed, 2 skipped of 8 targets; 4 rows.\n"
        f"Report: s3://{DATA_BUCKET}/{REPORT_KEY}\n"
        f"Errors: s3://{DATA_BUCKET}/{ERRORS_KEY}"
    )


WEBHOOK = "https://hooks.slack.com/services/T000/B000/XXXX"
SLACK_TEXT = (
    "orgops report-test: 1 succeeded, 0 failed, 0 skipped of 1 targets; 1 rows.\n"
    f"Report: s3://{DATA_BUCKET}/{REPORT_KEY}"
)


def test_slack_gets_the_summary_with_the_url_from_an_ssm_securestring(session: boto3.Session) -> None:
    store_target(session, PROD_A, "prod-a", "eu-west-1", [["r-1", "8", ""]])
    session.client("ssm", region_name="us-east-1").put_parameter(
        Name="/orgops/slack-webhook", Value=WEBHOOK, Type="SecureString"
    )
    posted: list[tuple[str, bytes]] = []
    settings = ReportSettings(DATA_BUCKET, STATUS_TABLE, slack_webhook_parameter="/orgops/slack-webhook")

    report_handler.build_report(EVENT, settings, session, poster=lambda url, body: posted.append((url, body)))

    assert posted == [(WEBHOOK, json.dumps({"text": SLACK_TEXT}).encode())]


def test_slack_gets_the_summary_with_the_url_from_secrets_manager(session: boto3.Session) -> None:
    store_target(session, PROD_A, "prod-a", "eu-west-1", [["r-1", "8", ""]])
    secret = session.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="orgops/slack", SecretString=WEBHOOK + "\n"
    )["ARN"]
    posted: list[tuple[str, bytes]] = []
    settings = ReportSettings(DATA_BUCKET, STATUS_TABLE, slack_webhook_parameter=secret)

    report_handler.build_report(EVENT, settings, session, poster=lambda url, body: posted.append((url, body)))

    assert posted == [(WEBHOOK, json.dumps({"text": SLACK_TEXT}).encode())]


def test_a_failing_slack_post_is_logged_and_never_fails_the_report(
    session: boto3.Session, caplog: pytest.LogCaptureFixture
) -> None:
    store_target(session, PROD_A, "prod-a", "eu-west-1", [["r-1", "8", ""]])
    session.client("ssm", region_name="us-east-1").put_parameter(
        Name="/orgops/slack-webhook", Value=WEBHOOK, Type="SecureString"
    )
    settings = ReportSettings(DATA_BUCKET, STATUS_TABLE, slack_webhook_parameter="/orgops/slack-webhook")

    def poster(url: str, body: bytes) -> None:
        raise OSError("HTTP Error 404: Not Found")

    summary = report_handler.build_report(EVENT, settings, session, poster=poster)

    assert (summary["Succeeded"], summary["Rows"]) == (1, 1)
    assert [r.getMessage() for r in caplog.records if r.name == "orgops.handlers.report"] == [
        "slack notification failed: OSError: HTTP Error 404: Not Found"
    ]


def test_the_webhook_url_is_never_logged_even_when_an_error_quotes_it(
    session: boto3.Session, caplog: pytest.LogCaptureFixture
) -> None:
    store_target(session, PROD_A, "prod-a", "eu-west-1", [["r-1", "8", ""]])
    session.client("ssm", region_name="us-east-1").put_parameter(
        Name="/orgops/slack-webhook", Value=WEBHOOK, Type="SecureString"
    )
    settings = ReportSettings(DATA_BUCKET, STATUS_TABLE, slack_webhook_parameter="/orgops/slack-webhook")

    def poster(url: str, body: bytes) -> None:
        raise ValueError(f"cannot post to {url}")

    report_handler.build_report(EVENT, settings, session, poster=poster)

    messages = [r.getMessage() for r in caplog.records if r.name == "orgops.handlers.report"]
    assert messages == ["slack notification failed: ValueError: cannot post to <webhook>"]


def test_a_missing_slack_parameter_is_logged_and_never_fails_the_report(
    session: boto3.Session, caplog: pytest.LogCaptureFixture
) -> None:
    store_target(session, PROD_A, "prod-a", "eu-west-1", [["r-1", "8", ""]])
    settings = ReportSettings(DATA_BUCKET, STATUS_TABLE, slack_webhook_parameter="/orgops/missing")

    summary = report_handler.build_report(EVENT, settings, session, poster=lambda url, body: None)

    assert summary["Rows"] == 1
    (message,) = [r.getMessage() for r in caplog.records if r.name == "orgops.handlers.report"]
    assert message.startswith("slack notification failed: ParameterNotFound: ")


def test_the_parameter_is_read_with_decryption(session: boto3.Session) -> None:
    ssm = session.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/orgops/slack-webhook", Value=WEBHOOK, Type="SecureString")

    assert ssm.get_parameter(Name="/orgops/slack-webhook")["Parameter"]["Value"] != WEBHOOK
    assert report.slack_webhook_url(session, "/orgops/slack-webhook") == WEBHOOK


def test_the_default_poster_refuses_a_url_that_is_not_https() -> None:
    with pytest.raises(ValueError, match=r"^the Slack webhook URL must start with https://$"):
        report.post_json("http://hooks.slack.com/services/x", b"{}")


# --- bounded memory ----------------------------------------------------------------------------


class SpyS3:
    """Forwards to a real (moto) client and records which calls happened, in order.

    The report reads rows objects in threads: ``get_object`` calls are recorded from them.
    """

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._s3, name)

        def call(**kwargs: Any) -> Any:
            label = name
            if name == "get_object":
                account, region = kwargs["Key"].removesuffix(".jsonl").rsplit("/", 2)[-2:]
                label += f":{account}/{region}"
            if name == "upload_part":
                label += f":{kwargs['PartNumber']}"
            self.calls.append(label)
            return method(**kwargs)

        return call


MIB = 1024 * 1024


def test_a_large_report_is_uploaded_in_parts_while_rows_are_still_being_read(session: boto3.Session) -> None:
    # One target with more than a part (5 MiB, S3's minimum) of rows, then READ_AHEAD + 1 small
    # ones. Objects are fetched at most READ_AHEAD ahead of the one being read: had the report
    # read every object before writing, every get_object call would precede the first part.
    filler = "x" * 1000
    big = [[f"r-{i:05d}", str(i), filler] for i in range(5_400)]
    small_regions = [f"region-{i:02d}" for i in range(report.READ_AHEAD + 1)]
    store_target(session, PROD_A, "prod-a", "eu-west-1", big)
    for region in small_regions:
        store_target(session, PROD_B, "prod-b", region, [[f"r-{region}", "1", ""]])
    s3 = SpyS3(session.client("s3", region_name="us-east-1"))
    with_rows = [(PROD_A, "eu-west-1"), *((PROD_B, region) for region in small_regions)]

    count = report.write_csv(
        s3,
        DATA_BUCKET,
        REPORT_KEY,
        REPORT_TEST.report_columns,
        report.report_rows(s3, DATA_BUCKET, REF, with_rows),
        part_size=5 * MIB,
    )

    assert count == 5_400 + len(small_regions)
    uploads = [c for c in s3.calls if not c.startswith("get_object:")]
    assert uploads == ["create_multipart_upload", "upload_part:1", "upload_part:2", "complete_multipart_upload"]
    gets = [c for c in s3.calls if c.startswith("get_object:")]
    assert sorted(gets) == sorted(f"get_object:{a}/{r}" for a, r in with_rows)
    assert s3.calls.index(f"get_object:{PROD_A}/eu-west-1") < s3.calls.index("create_multipart_upload")
    # The last target is beyond the read-ahead window of the first: not requested before part 1.
    assert s3.calls.index("upload_part:1") < s3.calls.index(f"get_object:{PROD_B}/{small_regions[-1]}")
    expected = "account_id,account_name,region,resource_id,size,tags\n"
    expected += "".join(f"{PROD_A},prod-a,eu-west-1,r-{i:05d},{i},{filler}\n" for i in range(5_400))
    expected += "".join(f"{PROD_B},prod-b,{region},r-{region},1,\n" for region in small_regions)
    assert read_object(session, REPORT_KEY) == expected.encode()


def test_report_rows_reads_nothing_until_the_first_row_is_asked_for(session: boto3.Session) -> None:
    store_target(session, PROD_A, "prod-a", "eu-west-1", [["r-1", "1", ""], ["r-2", "2", ""]])
    store_target(session, PROD_B, "prod-b", "eu-west-1", [["r-3", "3", ""]])
    s3 = SpyS3(session.client("s3", region_name="us-east-1"))

    rows = report.report_rows(s3, DATA_BUCKET, REF, [(PROD_A, "eu-west-1"), (PROD_B, "eu-west-1")])

    assert isinstance(rows, Iterator)
    assert s3.calls == []
    assert [r[3] for r in rows] == ["r-1", "r-2", "r-3"]
    assert sorted(s3.calls) == [f"get_object:{PROD_A}/eu-west-1", f"get_object:{PROD_B}/eu-west-1"]


def test_a_failure_while_streaming_aborts_the_upload_and_leaves_no_object(session: boto3.Session) -> None:
    s3 = SpyS3(session.client("s3", region_name="us-east-1"))

    def rows() -> Iterator[list[str]]:
        for i in range(5_300):
            yield [f"r-{i}", "x" * 1000]
        raise RuntimeError("lost the rows")

    with pytest.raises(RuntimeError, match="lost the rows"):
        report.write_csv(s3, DATA_BUCKET, REPORT_KEY, ("a", "b"), rows(), part_size=5 * MIB)

    assert s3.calls[-1] == "abort_multipart_upload"
    assert "upload_part:1" in s3.calls
    assert object_keys(session) == []


def test_a_part_size_below_the_s3_minimum_is_refused(session: boto3.Session) -> None:
    with pytest.raises(ValueError, match=r"^part_size must be at least 5242880 bytes \(S3's minimum part size\)$"):
        report.S3StreamWriter(session.client("s3"), DATA_BUCKET, REPORT_KEY, "text/csv", part_size=MIB)


# --- the entry point ---------------------------------------------------------------------------


def test_handler_reads_its_settings_from_the_environment(
    session: boto3.Session, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    store_target(session, PROD_A, "prod-a", "eu-west-1", [["r-1", "8", ""]])
    monkeypatch.setenv("ORGOPS_DATA_BUCKET", DATA_BUCKET)
    monkeypatch.setenv("ORGOPS_STATUS_TABLE", STATUS_TABLE)
    monkeypatch.delenv("ORGOPS_TOPIC_ARN", raising=False)
    monkeypatch.delenv("ORGOPS_SLACK_WEBHOOK_PARAMETER", raising=False)

    summary = report_handler.handler(EVENT, lambda_context)

    assert (summary["Targets"], summary["Rows"], summary["ErrorsUri"]) == (1, 1, None)


@pytest.mark.parametrize("missing", ["ORGOPS_DATA_BUCKET", "ORGOPS_STATUS_TABLE"])
def test_handler_without_a_setting_names_the_missing_variable(
    monkeypatch: pytest.MonkeyPatch, lambda_context: Any, missing: str
) -> None:
    monkeypatch.setenv("ORGOPS_DATA_BUCKET", DATA_BUCKET)
    monkeypatch.setenv("ORGOPS_STATUS_TABLE", STATUS_TABLE)
    monkeypatch.delenv(missing)

    with pytest.raises(ConfigurationError, match=f"^environment variable {missing} is not set;"):
        report_handler.handler(EVENT, lambda_context)


def write_plan(session: boto3.Session, targets: list[Target]) -> None:
    body = json.dumps([{"Targets": [t.as_item() for t in targets]}]).encode()
    session.client("s3", region_name="us-east-1").put_object(Bucket=DATA_BUCKET, Key=store.targets_key(REF), Body=body)


def test_a_map_that_failed_as_a_whole_still_reports_every_planned_target_and_says_why(session: boto3.Session) -> None:
    store_target(session, PROD_A, "prod-a", "eu-west-1", [["r-1", "8", ""]])
    write_plan(session, [Target(PROD_A, "prod-a", "eu-west-1"), Target(PROD_B, "prod-b", "us-east-1")])
    cause = "The specified tolerated failure threshold was exceeded\n=cmd"
    event = {**EVENT, "MapError": {"Error": "States.ExceedToleratedFailureThreshold", "Cause": cause}}

    summary = report_handler.build_report(event, SETTINGS, session)

    assert summary == {
        "Operation": "report-test",
        "Targets": 2,
        "Succeeded": 1,
        "Failed": 1,
        "Skipped": 0,
        "Rows": 1,
        "ReportUri": f"s3://{DATA_BUCKET}/{REPORT_KEY}",
        "ErrorsUri": f"s3://{DATA_BUCKET}/{ERRORS_KEY}",
        "NeverRun": 1,
        "MapError": {
            "Error": "States.ExceedToleratedFailureThreshold",
            "Cause": "The specified tolerated failure threshold was exceeded\\n=cmd",
        },
        "ComparedWith": None,
        "ChangesUri": None,
    }
    message = report.RECONCILE_MESSAGES[report.MAP_FAILED]
    assert (
        read_object(session, ERRORS_KEY)
        == (
            f'account_id,account_name,region,error_code,error_message\n{PROD_B},prod-b,us-east-1,MapFailed,"{message}"\n'
        ).encode()
    )
    assert report.summary_text(summary).splitlines()[0] == (
        "The Map state failed (States.ExceedToleratedFailureThreshold): the report lists every planned target."
    )


def test_the_fanouts_null_map_error_is_a_run_whose_map_succeeded(session: boto3.Session) -> None:
    store_target(session, PROD_A, "prod-a", "eu-west-1", [["r-1", "8", ""]])
    write_plan(session, [Target(PROD_A, "prod-a", "eu-west-1"), Target(PROD_B, "prod-b", "us-east-1")])

    summary = report_handler.build_report({**EVENT, "MapError": None}, SETTINGS, session)

    assert "MapError" not in summary
    assert summary["NeverRun"] == 1
    assert b"NotRecorded" in read_object(session, ERRORS_KEY)
