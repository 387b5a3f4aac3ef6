"""Sessions in member accounts: assume a role, cache its credentials per account, build clients.

``assume_role`` returns a new ``boto3.Session`` built from the STS credentials; nothing touches
botocore's private attributes. ``RoleSessions`` caches one session per (account, role) and hands
it out again for every region of that account until the credentials are close to expiry, so a
worker that visits 17 regions of one account calls STS once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
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


class SearchPaths(list[str]):
    """A loader's search paths, each once: boto3 appends its data folder for every new session,
    so a loader shared by a session per account would otherwise probe that folder once per
    account for every file it looks for."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def append(self, path: str) -> None:
        with self._lock:
            if path not in self:
                super().append(path)


class SharedLoader(botocore.loaders.Loader):
    """botocore's loader, safe to share between threads: each model is parsed once.

    botocore caches what its loader loads (``instance_cache``) but without a lock: threads that
    create their first client of a service at the same moment each miss the cache and parse the
    model again (39 threads of ``orgops local`` parsed EC2's model 12 to 34 times, ~0.3 CPU-s
    each). Here the cached loads are single-flight per key: the first thread parses, the others
    wait for it and read its result. Keys nest one way only (a service model loads data files,
    never the reverse), so the locks cannot deadlock.
    """

    def __init__(self) -> None:
        super().__init__(extra_search_paths=SearchPaths())
        self._flights: dict[tuple[Any, ...], threading.Lock] = {}
        self._flights_lock = threading.Lock()

    def _flight(self, *key: Any) -> threading.Lock:
        with self._flights_lock:
            return self._flights.setdefault(key, threading.Lock())

    def list_available_services(self, type_name: str) -> Any:
        with self._flight("list_available_services", type_name):
            return super().list_available_services(type_name)

    def determine_latest_version(self, service_name: str, type_name: str) -> Any:
        with self._flight("determine_latest_version", service_name, type_name):
            return super().determine_latest_version(service_name, type_name)

    def list_api_versions(self, service_name: str, type_name: str) -> Any:
        with self._flight("list_api_versions", service_name, type_name):
            return super().list_api_versions(service_name, type_name)

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        with self._flight("load_service_model", service_name, type_name, api_version):
            return super().load_service_model(service_name, type_name, api_version)

    def load_data_with_path(self, name: str) -> Any:
        with self._flight("load_data_with_path", name):
            return super().load_data_with_path(name)


# One loader for every session this process makes: a new botocore session otherwise parses the
# service models again (EC2's alone takes most of a second), once per assumed account.
_LOADER = SharedLoader()


def new_session(region: str | None = None, **credentials: str) -> boto3.Session:
    """A ``boto3.Session`` that shares the process's service-model loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core, region_name=region, **credentials)


# IAM action prefixes whose calls go to botocore services of other names (``tag:GetResources``
# is the Resource Groups Tagging API; ``apigateway:GET`` covers API Gateway v1 and v2 alike).
IAM_PREFIX_SERVICES: dict[str, tuple[str, ...]] = {
    "apigateway": ("apigateway", "apigatewayv2"),
    "elasticloadbalancing": ("elb", "elbv2"),
    "tag": ("resourcegroupstaggingapi",),
}


def action_services(actions: Iterable[str]) -> tuple[str, ...]:
    """The botocore services that make the calls of IAM ``actions`` (``ec2:DescribeVolumes``: ec2), sorted."""
    prefixes = {action.split(":", 1)[0] for action in actions}
    return tuple(sorted({s for prefix in prefixes for s in IAM_PREFIX_SERVICES.get(prefix, (prefix,))}))


def warm(session: boto3.Session, services: Iterable[str], region: str | None = None) -> None:
    """Create one client of each of ``services`` in ``session``, one after the other, and drop it.

    Before a thread pool starts: the session's loader then holds each service's models (the
    service, its endpoint rules and its paginators), so threads creating their first clients at
    once find them parsed. A session made by ``new_session`` shares ``SharedLoader``, single-flight
    anyway; any other session's loader is botocore's own, which is not. A service name botocore
    does not know is skipped.
    """
    known = set(session.get_available_services())
    for service in services:
        if service not in known:
            continue
        warmed = client(session, service, region or session.region_name or "us-east-1")
        operation = next(iter(warmed.meta.method_to_api_mapping), None)
        if operation is not None:
            warmed.can_paginate(operation)  # loads the paginator model


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
