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
from tests.operations import calls

ACCOUNT = "123456789012"  # moto's default account: the session below is "in" it
REGION = "eu-west-1"
TARGET = Target(ACCOUNT, "workload", REGION)


# One cheap call per service the operations use: moto imports and builds each backend once per
# process (EC2 alone takes about 2 s), so that one-time cost is paid here instead of by whichever
# test happens to run first.
WARM_UP = (
    ("ec2", "describe_volumes"),
    ("elbv2", "describe_load_balancers"),
    ("elb", "describe_load_balancers"),
    ("rds", "describe_db_instances"),
    ("apigateway", "get_rest_apis"),
    ("apigatewayv2", "get_apis"),
    ("lambda", "list_functions"),
    ("iam", "list_roles"),
    ("cloudfront", "list_distributions"),
    ("cloudwatch", "list_metrics"),
    ("resourcegroupstaggingapi", "get_resources"),
    ("s3", "list_buckets"),
)


@pytest.fixture(scope="session")
def moto_loaded() -> None:
    with mock_aws():
        s = new_session(REGION)
        for service, call in WARM_UP:
            getattr(s.client(service, region_name=REGION), call)()


@pytest.fixture
def session(moto_loaded: None) -> Iterator[boto3.Session]:
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


@pytest.fixture(scope="session", autouse=True)
def record_calls() -> Iterator[None]:
    """Record every AWS call each operation makes in these tests (test_declared_actions)."""
    import botocore.client

    original = botocore.client.BaseClient._make_api_call
    botocore.client.BaseClient._make_api_call = calls.recording(original)  # type: ignore[method-assign]
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The declared-actions check reads what every other test recorded: it runs last."""
    last = [i for i in items if i.get_closest_marker("declared_actions")]
    items[:] = [i for i in items if i not in last] + last
