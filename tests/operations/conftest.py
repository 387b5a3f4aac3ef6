"""Fixtures for operation tests: a moto session in the target account, a stubbed-client session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from orgops.sessions import new_session
from orgops.targets import Target

ACCOUNT = "123456789012"  # moto's default account: the session below is "in" it
REGION = "eu-west-1"
TARGET = Target(ACCOUNT, "workload", REGION)


@pytest.fixture(scope="session")
def moto_ec2_loaded() -> None:
    """moto builds its EC2 backend once per process (about 2 s); pay it here, not in a test."""
    with mock_aws():
        new_session(REGION).client("ec2", region_name=REGION).describe_volumes()


@pytest.fixture
def session(moto_ec2_loaded: None) -> Iterator[boto3.Session]:
    """A session in the target account and region, inside ``mock_aws()``."""
    with mock_aws():
        yield new_session(REGION)


class StubbedSession:
    """Stands in for ``boto3.Session``: ``client(service)`` returns the one stubbed client."""

    def __init__(self, service: str, region: str = REGION) -> None:
        self.service = service
        self.client_ = new_session(region).client(service, region_name=region)
        self.stubber = Stubber(self.client_)

    def client(self, service: str, region_name: str | None = None, config: Any = None) -> Any:
        assert service == self.service, f"unexpected client {service}"
        return self.client_


@pytest.fixture
def stubbed() -> Iterator[Any]:
    """``stubbed("securityhub")``: a session whose client is stubbed; every stubbed call must happen."""
    made: list[StubbedSession] = []

    def make(service: str, region: str = REGION) -> StubbedSession:
        s = StubbedSession(service, region)
        s.stubber.activate()
        made.append(s)
        return s

    yield make
    for s in made:
        s.stubber.assert_no_pending_responses()
        s.stubber.deactivate()
