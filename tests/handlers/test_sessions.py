"""Assume-role into member accounts, with credentials cached per account until near expiry."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from orgops import sessions as sessions_module
from orgops.errors import AssumeRoleFailed
from orgops.sessions import REFRESH_MARGIN, RoleSessions, assume_role
from tests.handlers.helpers import assumed_sessions, fail_call
from tests.handlers.org_fixture import DEV_A1, PROD_A, Org

ROLE = "operation-readonly"


def caller_account(session: boto3.Session) -> str:
    return session.client("sts", region_name="us-east-1").get_caller_identity()["Account"]


def test_assume_role_gives_a_session_in_the_member_account(session: boto3.Session, org: Org) -> None:
    assumed = assume_role(session, f"arn:aws:iam::{PROD_A}:role/{ROLE}")

    assert caller_account(assumed.session) == PROD_A
    assert assumed.expires.tzinfo is not None


def test_an_sts_error_becomes_assume_role_failed_naming_the_role(session: boto3.Session) -> None:
    fail_call(session, "sts", "AssumeRole", "AccessDenied", "not authorized to perform sts:AssumeRole")

    with pytest.raises(AssumeRoleFailed) as caught:
        assume_role(session, f"arn:aws:iam::{PROD_A}:role/{ROLE}")

    assert str(caught.value) == (
        f"cannot assume arn:aws:iam::{PROD_A}:role/{ROLE}: AccessDenied: not authorized to perform sts:AssumeRole"
    )
    assert (caught.value.code, caught.value.aws_code) == ("AccessDenied", "AccessDenied")


def test_one_account_is_assumed_once_for_all_its_regions(session: boto3.Session, org: Org) -> None:
    sessions = RoleSessions(session, ROLE)

    first = sessions.for_account(PROD_A)
    again = sessions.for_account(PROD_A)
    other = sessions.for_account(DEV_A1)

    assert first is again
    assert caller_account(other) == DEV_A1
    assert assumed_sessions(PROD_A) == [f"arn:aws:iam::{PROD_A}:role/{ROLE}"]
    assert assumed_sessions(DEV_A1) == [f"arn:aws:iam::{DEV_A1}:role/{ROLE}"]


def test_credentials_that_would_expire_during_a_15_minute_invocation_are_refreshed(
    session: boto3.Session, org: Org
) -> None:
    clock = [datetime.now(UTC)]
    sessions = RoleSessions(session, ROLE, now=lambda: clock[0])
    first = sessions.for_account(PROD_A)
    expires = sessions.expires(PROD_A)
    assert expires is not None

    clock[0] = expires - timedelta(minutes=14, seconds=59)  # a Lambda may run 15 minutes

    assert sessions.for_account(PROD_A) is not first


def test_credentials_close_to_expiry_are_refreshed(session: boto3.Session, org: Org) -> None:
    clock = [datetime.now(UTC)]
    sessions = RoleSessions(session, ROLE, now=lambda: clock[0])
    first = sessions.for_account(PROD_A)
    expires = sessions.expires(PROD_A)
    assert expires is not None

    clock[0] = expires - REFRESH_MARGIN - timedelta(seconds=1)
    still = sessions.for_account(PROD_A)
    clock[0] = expires - REFRESH_MARGIN + timedelta(seconds=1)
    refreshed = sessions.for_account(PROD_A)

    assert still is first
    assert refreshed is not first
    assert len(assumed_sessions(PROD_A)) == 2


def test_a_role_name_with_a_path_keeps_it(session: boto3.Session, org: Org) -> None:
    RoleSessions(session, "/orgops/operation-readonly/").for_account(PROD_A)

    assert assumed_sessions(PROD_A) == [f"arn:aws:iam::{PROD_A}:role/orgops/operation-readonly"]


def test_threads_assuming_different_accounts_do_not_wait_for_each_other(
    session: boto3.Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first account's STS call only finishes once the second account's has: with one lock
    # for every account, the second would wait for the first and this would time out.
    second_done = threading.Event()
    real_assume = sessions_module.assume_role

    def assume(base: boto3.Session, arn: str, *args: Any, **kwargs: Any) -> Any:
        if PROD_A in arn:
            assert second_done.wait(timeout=5), "the second account waited for the first"
        result = real_assume(base, arn, *args, **kwargs)
        if DEV_A1 in arn:
            second_done.set()
        return result

    monkeypatch.setattr(sessions_module, "assume_role", assume)
    sessions = RoleSessions(session, ROLE)
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(sessions.for_account, PROD_A)
        second = pool.submit(sessions.for_account, DEV_A1)
        accounts = [caller_account(first.result(timeout=10)), caller_account(second.result(timeout=10))]

    assert accounts == [PROD_A, DEV_A1]


def test_threads_wanting_the_same_account_share_one_sts_call(session: boto3.Session, org: Org) -> None:
    sessions = RoleSessions(session, ROLE)

    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda _: sessions.for_account(PROD_A), range(8)))

    assert len({id(s) for s in got}) == 1
    assert assumed_sessions(PROD_A) == [f"arn:aws:iam::{PROD_A}:role/{ROLE}"]
