"""A remediation's rows reach the result store through the worker, failed changes included."""

from __future__ import annotations

import json
from typing import Any

import boto3

from orgops.config import WorkerSettings
from orgops.handlers import worker
from tests.operations.conftest import REGION, TARGET

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:orgops-sg-open-ingress-remediation:run-1"
BUCKET = "orgops-data"


def test_applied_and_failed_changes_are_both_stored_with_their_error(session: boto3.Session, stubbed: Any) -> None:
    session.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    member = stubbed("ec2")
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    rdp = {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    group = {"GroupId": "sg-1", "GroupName": "web", "VpcId": "vpc-1", "IpPermissions": [ssh, rdp]}
    member.stubber.add_response("describe_security_groups", {"SecurityGroups": [group]}, {})
    member.stubber.add_response(
        "revoke_security_group_ingress", {"Return": True}, {"GroupId": "sg-1", "IpPermissions": [ssh]}
    )
    member.stubber.add_client_error(
        "revoke_security_group_ingress",
        "UnauthorizedOperation",
        "denied by SCP",
        expected_params={"GroupId": "sg-1", "IpPermissions": [rdp]},
    )
    settings = WorkerSettings(operation="sg-open-ingress-remediation", member_role_name="r", data_bucket=BUCKET)
    event = {
        "Target": TARGET.as_item(),
        "Common": {"Operation": "sg-open-ingress-remediation", "Params": {"AllowedPorts": []}, "DryRun": False},
        "ExecutionId": EXECUTION,
    }

    result = worker.run_target(event, settings, member, session)

    assert (result["Status"], result["Rows"]) == ("SUCCEEDED", 2)
    key = f"results/orgops-sg-open-ingress-remediation/run-1/{TARGET.account_id}/{REGION}.jsonl"
    body = session.client("s3", region_name="us-east-1").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    prefix = [TARGET.account_id, TARGET.account_name, REGION, "sg-1", "web", "vpc-1", "tcp"]
    assert [json.loads(line) for line in body.splitlines()] == [
        # The last cell is the plan status: empty, no plan is applied.
        [*prefix, "22", "22", "0.0.0.0/0", "revoke-ingress", "true", "", ""],
        [*prefix, "3389", "3389", "0.0.0.0/0", "revoke-ingress", "false", "UnauthorizedOperation: denied by SCP", ""],
    ]
