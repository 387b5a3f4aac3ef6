"""Shared fixtures: fake credentials always, a moto session, a Lambda context."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from hypothesis import HealthCheck, settings
from moto import mock_aws

from orgops.emulator import seams
from orgops.sessions import new_session

REGION = "us-east-1"

# Property tests: a fixed seed (derandomize), a bounded number of examples, no example database
# written into the tree, no wall-clock deadline (the 2-core CI machine is shared).
settings.register_profile(
    "orgops",
    derandomize=True,
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("orgops")


FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}


def fake_aws_environment(mp: pytest.MonkeyPatch) -> None:
    """Fake credentials, a default region, no shared config files, no profile or endpoint.

    For module-scoped worlds too, which cannot use the function-scoped ``monkeypatch``:
    ``with pytest.MonkeyPatch.context() as mp: fake_aws_environment(mp)``.
    """
    for name, value in FAKE_AWS_ENV.items():
        mp.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        mp.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test can reach AWS."""
    fake_aws_environment(monkeypatch)


@pytest.fixture(scope="session", autouse=True)
def moto_list_regions() -> None:
    """moto 5.2.5 lacks account:ListRegions (404), which the fanout calls: add the emulator's."""
    seams.install_list_regions()


@pytest.fixture
def aws() -> Iterator[boto3.Session]:
    """A session inside ``mock_aws()``: the management account of an empty moto world."""
    with mock_aws():
        # Shares botocore's parsed service models across tests (a plain boto3.Session re-parses them).
        yield new_session(REGION)


@dataclass
class LambdaContext:
    function_name: str = "orgops-test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:orgops-test"
    memory_limit_in_mb: int = 256

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()
