"""Fixtures for handler tests: a moto world with the organization and the data plane."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from orgops.sessions import new_session
from tests.handlers.org_fixture import Org, build_org, create_data_plane

# moto builds each service's backend, and botocore parses its model, once per process (EC2 takes
# seconds): pay that here once instead of in whichever test happens to run first.
WARM_UP = (
    ("ec2", "describe_volumes"),
    ("s3", "list_buckets"),
    ("dynamodb", "list_tables"),
    ("organizations", "list_roots"),
    ("sts", "get_caller_identity"),
    ("sns", "list_topics"),
    ("sqs", "list_queues"),
    ("ssm", "describe_parameters"),
    ("secretsmanager", "list_secrets"),
)


@pytest.fixture(scope="session")
def moto_loaded() -> None:
    with mock_aws():
        s = new_session("us-east-1")
        for service, call in WARM_UP:
            try:
                getattr(s.client(service, region_name="us-east-1"), call)()
            except s.client("sts").exceptions.ClientError:
                pass  # organizations without an organization: the backend is loaded all the same


@pytest.fixture
def session(moto_loaded: None) -> Iterator[boto3.Session]:
    """The management account's session inside ``mock_aws()``, with the data bucket and status table."""
    with mock_aws():
        # new_session shares botocore's parsed service models between tests: a plain
        # boto3.Session parses them again each time (most of a second per test).
        s = new_session("us-east-1")
        create_data_plane(s)
        yield s


@pytest.fixture
def org(session: boto3.Session) -> Org:
    return build_org(session)
