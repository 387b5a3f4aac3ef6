"""``orgops emulator`` against hostile and careless input: bad flags are refused before anything
starts (exit code 2, one line naming the flag and the fix), and the served endpoint answers bad
requests as AWS does, over real HTTP (boto3 and raw ``urllib`` requests)."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import served_emulator_env

ROOT = Path(__file__).resolve().parents[2]
REFUSAL_TIMEOUT = 60  # seconds; a refusal takes about two (imports), where the old server hung for good
ROLE = "arn:aws:iam::123456789012:role/orgops-state-machine"
PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
# moto routes an unsigned request by its path (to S3); the credential scope names the service.
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
)


def _env() -> dict[str, str]:
    return served_emulator_env()


def _command(*flags: str) -> list[str]:
    return [sys.executable, "-m", "orgops.cli", "emulator", *flags]


def _refused(*flags: str) -> subprocess.CompletedProcess[str]:
    """Run ``orgops emulator FLAGS``, which must end by itself within REFUSAL_TIMEOUT."""
    return subprocess.run(
        _command(*flags), env=_env(), capture_output=True, text=True, timeout=REFUSAL_TIMEOUT, check=False
    )


def _assert_refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert (result.returncode, result.stdout) == (2, ""), result.stderr  # nothing started: no JSON line
    assert result.stderr.splitlines() == [f"orgops: {message}"]


@contextlib.contextmanager
def _serving(tmp_path: Path, *flags: str) -> Iterator[dict[str, Any]]:
    """``orgops emulator --port 0 FLAGS`` until the block ends; its JSON line."""
    proc = subprocess.Popen(
        _command("--port", "0", *flags),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "stderr").open("w"),
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One ``orgops emulator --port 0`` (no other flag) for the tests that only send it requests."""
    with _serving(tmp_path_factory.mktemp("served")) as line:
        yield line


def _client(endpoint: str, service: str) -> Any:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    return session.client(service, endpoint_url=endpoint)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    assert url.startswith("http://127.0.0.1:")  # the served emulator, never a file: URL
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _json_call(endpoint: str, service: str, target: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": target,
        "Authorization": AUTHORIZATION.format(service=service),
    }
    return _post(endpoint + "/", body, headers)


# -- refused at startup ----------------------------------------------------------------------------
@pytest.mark.e2e
def test_a_port_in_use_is_refused_at_once_with_exit_code_2_naming_the_port_and_the_fix() -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = _refused("--port", str(port))  # the server thread used to die and the command to hang

    _assert_refused(result, f"port {port} is in use: pass --port 0 for any free port or stop what uses it")


@pytest.mark.e2e
def test_a_port_outside_0_to_65535_is_refused_naming_port() -> None:
    # --port 70000 used to bind 70000 mod 65536 (4464) and serve there.
    for port in ("70000", "-1"):
        _assert_refused(
            _refused("--port", port),
            f"--port {port} is out of range: pass a port from 0 to 65535 (0: any free port)",
        )


@pytest.mark.e2e
def test_a_region_of_no_aws_partition_is_refused_naming_region() -> None:
    # It used to deploy into it and fail with moto's HTML 500s (KeyError on the region's backend).
    _assert_refused(
        _refused("--region", "xx-fake-9"),
        "--region 'xx-fake-9' is not a region of any AWS partition: "
        "pass one botocore knows, such as us-east-1 or eu-west-1",
    )
    _assert_refused(
        _refused("--region", "eu-west-l"),
        "--region 'eu-west-l' is not a region of any AWS partition: did you mean eu-west-1, eu-west-2 or eu-west-3? "
        "pass one botocore knows, such as us-east-1 or eu-west-1",
    )
    seeded = _refused("--demo-org", "--seed-regions", "eu-west-1,mars-1")
    assert (seeded.returncode, seeded.stdout) == (2, "")
    assert seeded.stderr.startswith("orgops: --seed-regions 'mars-1' is not a region of any AWS partition: ")


# -- answered as AWS does while serving ------------------------------------------------------------
@pytest.mark.e2e
def test_a_json_protocol_body_that_is_not_a_json_object_gets_serializationexception_400(
    served: dict[str, Any],
) -> None:
    endpoint = served["endpoint"]
    calls = [("states", "AWSStepFunctions.ListStateMachines"), ("dynamodb", "DynamoDB_20120810.ListTables")]
    for service, target in calls:
        for body in (b"{not json", b'["a", "list"]', b"\xff\xfe\x00"):
            status, headers, answer = _json_call(endpoint, service, target, body)

            assert (status, headers.get("x-amzn-ErrorType")) == (400, "SerializationException"), (target, body)
            error = json.loads(answer)
            assert error["__type"] == "SerializationException"
            assert error["message"].startswith("the request body ")
        status, _headers, answer = _json_call(endpoint, service, target, b"{}")  # a JSON object still reaches moto
        assert status == 200, answer


@pytest.mark.e2e
def test_state_machine_and_execution_names_follow_aws_rules(served: dict[str, Any]) -> None:
    sfn = _client(served["endpoint"], "stepfunctions")
    too_long, spaced, longest = "n" * 81, "bad name", "n" * 80

    for name in (too_long, spaced, "tab\there", "no:colons"):
        with pytest.raises(ClientError) as created:
            sfn.create_state_machine(name=name, definition=PASS_MACHINE, roleArn=ROLE)
        assert created.value.response["Error"] == {"Code": "InvalidName", "Message": f"Invalid Name: '{name}'"}
        assert created.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    arn = sfn.create_state_machine(name=longest, definition=PASS_MACHINE, roleArn=ROLE)["stateMachineArn"]
    for name in (too_long, spaced):
        with pytest.raises(ClientError) as started:
            sfn.start_execution(stateMachineArn=arn, name=name)
        assert started.value.response["Error"] == {"Code": "InvalidName", "Message": f"Invalid Name: '{name}'"}
        assert started.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    execution = sfn.start_execution(stateMachineArn=arn, name=longest)["executionArn"]

    assert execution.endswith(f":{longest}:{longest}")
    assert [e["name"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]] == [longest]


@pytest.mark.e2e
def test_moto_control_endpoints_are_off_unless_control_endpoints_is_given(
    served: dict[str, Any], tmp_path: Path
) -> None:
    def reset(endpoint: str) -> tuple[int, bytes]:
        status, _headers, body = _post(endpoint + "/moto-api/reset", b"", {})
        return status, body

    def machines(endpoint: str) -> list[str]:
        return [m["name"] for m in _client(endpoint, "stepfunctions").list_state_machines()["stateMachines"]]

    before = machines(served["endpoint"])
    status, body = reset(served["endpoint"])

    assert status == 404
    assert "--control-endpoints" in json.loads(body)["message"]
    assert machines(served["endpoint"]) == before != []  # nothing was reset
    with _serving(tmp_path, "--control-endpoints") as line:
        assert machines(line["endpoint"]) != []
        assert reset(line["endpoint"])[0] == 200
        assert machines(line["endpoint"]) == []
