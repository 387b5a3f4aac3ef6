"""Sessions in member accounts: assume a role, cache its credentials per account, build clients.

``assume_role`` returns a new ``boto3.Session`` built from the STS credentials; nothing touches
botocore's private attributes. ``RoleSessions`` caches one session per (account, role) and hands
it out again for every region of that account until the credentials are close to expiry, so a
worker that visits 17 regions of one account calls STS once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

from orgops.errors import AssumeRoleFailed

# Standard retry mode retries throttling and transient errors with exponential backoff and
# jitter; 10 retries (botocore counts 11 attempts) ride out the bursts an org-wide run produces.
RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 10})

DEFAULT_READONLY_ROLE = "operation-readonly"
DEFAULT_ADMIN_ROLE = "operation-admin"
SESSION_NAME = "orgops"
# Credentials are handed out only while they stay valid this long: a Lambda invocation runs at
# most 15 minutes, so a session taken at the start of one never expires before its end (role
# sessions last an hour: a warm worker still reuses one for 45 minutes).
REFRESH_MARGIN = timedelta(minutes=15)


def role_arn(account_id: str, role_name: str, partition: str = "aws") -> str:
    """The ARN of ``role_name`` in ``account_id``; a name with a path keeps it."""
    return f"arn:{partition}:iam::{account_id}:role/{role_name.strip('/')}"


def client(session: boto3.Session, service: str, region: str | None = None) -> Any:
    """A client for ``service`` in ``region`` with the project's retry configuration."""
    return session.client(service, region_name=region, config=RETRY_CONFIG)


# One loader for every session this process makes: a new botocore session otherwise parses the
# service models again (EC2's alone takes most of a second), once per assumed account.
_LOADER = botocore.loaders.create_loader()


def new_session(region: str | None = None, **credentials: str) -> boto3.Session:
    """A ``boto3.Session`` that shares the process's service-model loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core, region_name=region, **credentials)


@dataclass(frozen=True)
class AssumedSession:
    session: boto3.Session
    expires: datetime


def assume_role(
    session: boto3.Session,
    arn: str,
    session_name: str = SESSION_NAME,
    region: str | None = None,
) -> AssumedSession:
    """Assume ``arn`` with ``session``'s credentials; STS errors become ``AssumeRoleFailed``."""
    sts = client(session, "sts", region or session.region_name)
    try:
        creds = sts.assume_role(RoleArn=arn, RoleSessionName=session_name)["Credentials"]
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise AssumeRoleFailed(arn, err.get("Code", "Unknown"), err.get("Message", "")) from exc
    assumed = new_session(
        region or session.region_name,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    expires = creds["Expiration"]
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return AssumedSession(assumed, expires)


class RoleSessions:
    """Sessions in member accounts, cached per (account, role) until close to expiry.

    Thread-safe: ``orgops local`` shares one instance between its worker threads.
    """

    def __init__(
        self,
        base: boto3.Session,
        role_name: str,
        partition: str = "aws",
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._base = base
        self._role_name = role_name
        self._partition = partition
        self._now = now
        self._cache: dict[str, AssumedSession] = {}
        # One lock per account: threads wanting the same account wait for one STS call, threads
        # wanting different accounts never wait for each other.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _lock(self, account_id: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(account_id, threading.Lock())

    def for_account(self, account_id: str) -> boto3.Session:
        with self._lock(account_id):
            cached = self._cache.get(account_id)
            if cached is not None and cached.expires - REFRESH_MARGIN > self._now():
                return cached.session
            fresh = assume_role(self._base, role_arn(account_id, self._role_name, self._partition))
            self._cache[account_id] = fresh
            return fresh.session

    def expires(self, account_id: str) -> datetime | None:
        """When the cached credentials of ``account_id`` expire (None when none are cached)."""
        cached = self._cache.get(account_id)
        return cached.expires if cached else None
