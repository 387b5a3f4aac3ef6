"""Assume-role into member accounts, with credentials cached per account until near expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

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


def test_credentials_close_to_expiry_are_refreshed(session: boto3.Session, org: Org) -> None:
    clock = [datetime.now(UTC)]
    sessions = RoleSessions(session, ROLE, now=lambda: clock[0])
    first = sessions.for_account(PROD_A)
    expires = assume_role_expiry(sessions, PROD_A)

    clock[0] = expires - REFRESH_MARGIN - timedelta(seconds=1)
    still = sessions.for_account(PROD_A)
    clock[0] = expires - REFRESH_MARGIN + timedelta(seconds=1)
    refreshed = sessions.for_account(PROD_A)

    assert still is first
    assert refreshed is not first
    assert len(assumed_sessions(PROD_A)) == 2


def assume_role_expiry(sessions: RoleSessions, account_id: str) -> datetime:
    return sessions._cache[account_id].expires


def test_a_role_name_with_a_path_keeps_it(session: boto3.Session, org: Org) -> None:
    RoleSessions(session, "/orgops/operation-readonly/").for_account(PROD_A)

    assert assumed_sessions(PROD_A) == [f"arn:aws:iam::{PROD_A}:role/orgops/operation-readonly"]
