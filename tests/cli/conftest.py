"""A small organization in moto for the CLI tests: fixed account ids, one volume to find.

management 123456789012 "master"
111111111111 "alpha"   an unattached 5 GiB volume in eu-west-1 (the only report row)
222222222222 "beta"
333333333333 "gamma"   closed: its targets are SKIPPED
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import boto3
import pytest
from moto import mock_aws

MANAGEMENT, ALPHA, BETA, GAMMA = "123456789012", "111111111111", "222222222222", "333333333333"
REGIONS = ("eu-west-1", "us-east-1")


@dataclass(frozen=True)
class SmallOrg:
    session: boto3.Session
    volume_id: str


def member_session(session: boto3.Session, account_id: str) -> boto3.Session:
    creds = session.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def build_small_org(session: boto3.Session) -> SmallOrg:
    org = session.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    ids = iter([ALPHA, BETA, GAMMA])
    with mock.patch("moto.organizations.utils.make_random_account_id", lambda: next(ids)):
        for name in ("alpha", "beta", "gamma"):
            org.create_account(AccountName=name, Email=f"{name}@example.com")
    org.close_account(AccountId=GAMMA)
    ec2 = member_session(session, ALPHA).client("ec2", region_name="eu-west-1")
    volume = ec2.create_volume(Size=5, AvailabilityZone="eu-west-1a", VolumeType="gp3")
    return SmallOrg(session, volume["VolumeId"])


@pytest.fixture(autouse=True)
def in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that default to ./reports/ write into the test's own directory."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def small_org() -> Iterator[SmallOrg]:
    with mock_aws():
        yield build_small_org(boto3.Session(region_name="us-east-1"))
