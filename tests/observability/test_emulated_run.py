"""A whole execution in moto's Step Functions, every Lambda invocation routed to the decorated
``handler()`` entry points: the EMF metrics add up to the execution's output, and the failed
targets' log lines name exactly the failed targets."""

from __future__ import annotations

import importlib
import io
import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend

from orgops import asl, observability
from orgops.handlers import worker
from tests.observability.conftest import BUCKET, OPERATION, REGION, TABLE, emf_documents, log_lines

pytestmark = pytest.mark.e2e

STATE_MACHINE = f"orgops-{OPERATION}"
REGIONS = ["eu-west-1", "us-east-1"]


@dataclass(frozen=True)
class Context:
    function_name: str
    aws_request_id: str


def route_to_handlers(
    self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
) -> bytes:
    """moto's Lambda invoke, answered by the function's real ``handler(event, context)``."""
    fn = self.get_function(function_name, qualifier)
    module, _, name = fn.handler.rpartition(".")
    entry = getattr(importlib.import_module(module), name)
    try:
        result = entry(json.loads(body), Context(fn.function_name, str(uuid.uuid4())))
    except Exception as exc:  # what Lambda returns for an unhandled exception
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()
    return json.dumps(result, default=str).encode()


@dataclass
class Run:
    output: dict[str, Any]
    lines: list[dict[str, Any]]
    failed_targets: set[tuple[str, str]]


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    """One execution for the module's tests (it takes seconds): its output and every line written."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
            "ORGOPS_DATA_BUCKET": BUCKET,
            "ORGOPS_STATUS_TABLE": TABLE,
            "ORGOPS_OPERATION": OPERATION,
            "ORGOPS_MEMBER_ROLE_NAME": "operation-readonly",
            "POWERTOOLS_SERVICE_NAME": "orgops",
            "POWERTOOLS_METRICS_NAMESPACE": "orgops-e2e",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }.items():
            monkeypatch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setattr(LambdaSimpleBackend, "invoke", route_to_handlers)
        stream = io.StringIO()
        observability.set_output(stream)
        config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
        try:
            with mock_aws(config=config):
                yield execute(monkeypatch, stream)
        finally:
            observability.set_output(None)


def execute(monkeypatch: pytest.MonkeyPatch, stream: io.StringIO) -> Run:
    session = boto3.Session(region_name=REGION)
    orgs = session.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    members = [
        orgs.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")["CreateAccountStatus"]["AccountId"]
        for i in range(2)
    ]
    session.client("s3").create_bucket(Bucket=BUCKET)
    session.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "execution_id", "KeyType": "HASH"},
            {"AttributeName": "target", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "execution_id", "AttributeType": "S"},
            {"AttributeName": "target", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    role = session.client("iam").create_role(RoleName="orgops", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("orgops/__init__.py", "")
    lam = session.client("lambda")
    arns = {
        kind: lam.create_function(
            FunctionName=f"orgops-{kind}",
            Runtime="python3.13",
            Role=role,
            Handler=f"orgops.handlers.{kind}.handler",
            Code={"ZipFile": code.getvalue()},
        )["FunctionArn"]
        for kind in ("fanout", "worker", "report")
    }

    # Member 1 refuses the role in every region (a FAILED status); member 0's worker crashes in
    # us-east-1 (a Lambda error the state machine's Catch records as FAILED).
    real_run_target = worker.run_target

    def run_target(event: Any, settings: Any, member: Any, base: Any) -> dict[str, Any]:
        target = event["Target"]
        if target["AccountId"] == members[1]:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "DescribeVolumes")
        if target["AccountId"] == members[0] and target["Region"] == "us-east-1":
            raise RuntimeError("operation bug")
        return real_run_target(event, settings, member, base)

    monkeypatch.setattr(worker, "run_target", run_target)

    definition = asl.render_file(
        {
            "operation": OPERATION,
            "fanout_function_arn": arns["fanout"],
            "worker_function_arn": arns["worker"],
            "report_function_arn": arns["report"],
            "status_table": TABLE,
            "default_regions": ",".join(REGIONS),
            "distributed_threshold": 1000,
            "batch_size": 5,
            "max_concurrency": 10,
            "distributed_max_concurrency": 10,
            "tolerated_failure_percentage": "0.0",
            "child_execution_type": "STANDARD",
            "data_bucket": BUCKET,
            "state_machine_name": STATE_MACHINE,
            "worker_timeout_seconds": 300,
        }
    )
    sfn = session.client("stepfunctions")
    machine = sfn.create_state_machine(name=STATE_MACHINE, definition=definition, roleArn=role)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name="run-1", input=json.dumps({"Regions": REGIONS}))[
        "executionArn"
    ]
    deadline = time.monotonic() + 120
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not finish in 120 s"
        time.sleep(0.2)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    errors = session.client("s3").get_object(Bucket=BUCKET, Key=output["ErrorsUri"].split("/", 3)[3])["Body"]
    failed = {tuple(row.split(",")[0:3:2]) for row in errors.read().decode().splitlines()[1:]}
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return Run(output, lines, failed)  # type: ignore[arg-type]


def summed(documents: list[dict[str, Any]], metric: str) -> float:
    return sum(sum(d[metric]) for d in documents if metric in d)


def test_the_report_metrics_add_up_to_the_execution_output(run: Run) -> None:
    documents = emf_documents(run.lines)
    assert (run.output["Targets"], run.output["Succeeded"], run.output["Failed"]) == (6, 3, 3)
    for metric in observability.REPORT_METRICS:
        assert summed(documents, metric) == run.output[metric], metric


def test_every_worker_invocation_emits_one_target_duration(run: Run) -> None:
    durations = [d for d in emf_documents(run.lines) if "TargetDuration" in d]
    assert len(durations) == run.output["Targets"] - run.output["Skipped"]
    assert all(d["Operation"] == OPERATION for d in durations)


def test_every_metric_has_only_the_operation_dimension(run: Run) -> None:
    for document in emf_documents(run.lines):
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert (directive["Namespace"], directive["Dimensions"]) == ("orgops-e2e", [["Operation"]])


def test_the_failed_target_lines_are_exactly_the_failed_targets(run: Run) -> None:
    # What the README's Logs Insights query selects: target_status = "FAILED"
    failed_lines = [line for line in log_lines(run.lines) if line["target_status"] == "FAILED"]
    assert {(line["account_id"], line["region"]) for line in failed_lines} == run.failed_targets
    assert len(run.failed_targets) == 3
    assert all(line["execution_name"] == "run-1" and line["function_request_id"] for line in failed_lines)


def test_every_line_of_the_run_carries_every_key(run: Run) -> None:
    logs = log_lines(run.lines)
    assert len(logs) == 1 + 6 + 1  # fanout, six targets, report
    assert all(sorted(set(observability.LOG_KEYS) - set(line)) == [] for line in logs)
