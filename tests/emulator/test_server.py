"""``orgops emulator``: a real client (boto3 over HTTP) drives the served endpoint end to end."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import served_emulator_env

ROOT = Path(__file__).resolve().parents[2]


def _serve(tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "orgops.cli", "emulator", "--port", "0"],
        env=served_emulator_env(),
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "stderr").open("w"),
        text=True,
    )


def _duplicate_state_names() -> str:
    """Two Pass states named Work: one at the top, one inside a Map (as our template once had)."""
    inner = {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}}
    return json.dumps(
        {
            "StartAt": "Each",
            "States": {
                "Each": {"Type": "Map", "ItemProcessor": inner, "Next": "Work"},
                "Work": {"Type": "Pass", "End": True},
            },
        }
    )


DUPLICATE_MESSAGE = (
    "Invalid State Machine Definition: "
    "'DUPLICATE_STATE_NAME: Duplicate State name: Work at /States/Each/ItemProcessor/States/Work'"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One ``orgops emulator --port 0`` for the tests that only talk to it; its JSON line."""
    proc = _serve(tmp_path_factory.mktemp("served"))
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def _client(served: dict[str, Any], service: str) -> Any:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    return session.client(service, endpoint_url=served["endpoint"])


@pytest.mark.e2e
def test_the_served_emulator_refuses_a_definition_with_duplicate_state_names_as_aws_does(
    served: dict[str, Any],
) -> None:
    sfn = _client(served, "stepfunctions")
    role = "arn:aws:iam::123456789012:role/orgops-state-machine"

    with pytest.raises(sfn.exceptions.InvalidDefinition) as created:
        sfn.create_state_machine(name="dup", definition=_duplicate_state_names(), roleArn=role)
    arn = served["state_machines"]["unused-ebs-volumes"]
    before = sfn.describe_state_machine(stateMachineArn=arn)["definition"]
    with pytest.raises(sfn.exceptions.InvalidDefinition) as updated:
        sfn.update_state_machine(stateMachineArn=arn, definition=_duplicate_state_names())

    for error in (created.value, updated.value):
        assert error.response["Error"] == {"Code": "InvalidDefinition", "Message": DUPLICATE_MESSAGE}
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert [m["name"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "dup"] == []
    assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == before


@pytest.mark.e2e
def test_the_readme_commands_work_with_their_optional_parameters_left_out(served: dict[str, Any]) -> None:
    # The README's emulator commands, sending only the required parameters (as
    # `aws stepfunctions start-execution --state-machine-arn ...` does without --name and --input).
    org, sfn, s3 = (_client(served, s) for s in ("organizations", "stepfunctions", "s3"))
    org.create_account(AccountName="dev-1", Email="dev-1@example.com")

    started = sfn.start_execution(stateMachineArn=served["state_machines"]["unused-ebs-volumes"])
    name = started["executionArn"].rsplit(":", 1)[1]
    deadline = time.monotonic() + 120
    while (desc := sfn.describe_execution(executionArn=started["executionArn"]))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end in 120 s"
        time.sleep(0.2)

    assert str(uuid.UUID(name)) == name  # AWS names an unnamed execution with a UUID
    assert (desc["status"], desc["input"]) == ("SUCCEEDED", "{}")
    output = json.loads(desc["output"])
    assert output["ReportUri"] == f"s3://{served['data_bucket']}/reports/unused-ebs-volumes/{name}/report.csv"
    bucket, key = output["ReportUri"][5:].split("/", 1)
    header = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()[0]
    assert header.startswith("account_id,account_name,region,volume_id")
    second = sfn.start_execution(stateMachineArn=served["state_machines"]["unused-ebs-volumes"])
    assert second["executionArn"] != started["executionArn"]


@pytest.mark.e2e
def test_the_served_emulator_runs_an_execution_for_an_http_client_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = _serve(tmp_path)
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        endpoint = line["endpoint"]
        assert endpoint.startswith("http://127.0.0.1:")
        assert line["reports_bucket"] == line["data_bucket"] == "orgops-data-123456789012-us-east-1"
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")

        org = session.client("organizations", endpoint_url=endpoint)
        account = org.create_account(AccountName="dev-1", Email="dev-1@example.com")["CreateAccountStatus"]["AccountId"]
        creds = session.client("sts", endpoint_url=endpoint).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
        )["Credentials"]
        member = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        volume = member.client("ec2", region_name="eu-west-1", endpoint_url=endpoint).create_volume(
            Size=4, AvailabilityZone="eu-west-1a"
        )
        sfn = session.client("stepfunctions", endpoint_url=endpoint)
        arn = sfn.start_execution(
            stateMachineArn=line["state_machines"]["unused-ebs-volumes"],
            name="http-1",
            input=json.dumps({"Regions": ["eu-west-1"], "Accounts": {"Include": [account]}}),
        )["executionArn"]
        deadline = time.monotonic() + 120
        while (desc := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the execution did not end in 120 s"
            time.sleep(0.2)

        assert desc["status"] == "SUCCEEDED", desc.get("cause")
        output = json.loads(desc["output"])
        bucket, key = output["ReportUri"][5:].split("/", 1)
        report = session.client("s3", endpoint_url=endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
        assert report.decode().splitlines()[1].split(",")[:6] == [
            account,
            "dev-1",
            "eu-west-1",
            volume["VolumeId"],
            "4",
            volume["VolumeType"],
        ]
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0
