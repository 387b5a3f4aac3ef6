"""Fixtures for handler tests: a moto world with the organization and the data plane."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from orgops.sessions import new_session
from tests.handlers.org_fixture import Org, build_org, create_data_plane


@pytest.fixture
def session() -> Iterator[boto3.Session]:
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
