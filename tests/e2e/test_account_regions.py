"""The emulator's ``account:ListRegions``: what ``"Regions": "ALL"`` expands to, and the API's answers
(filter, pagination, who may name an ``AccountId``) through a boto3 ``account`` client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from orgops import store
from orgops.emulator import AccountSpec, Emulator, World, account
from orgops.emulator.server import quiet_moto
from orgops.emulator.world import member_session
from orgops.sessions import client
from tests.conftest import fake_aws_environment

OPERATION = "lambda-functions"  # the cheapest regional operation to run in every region
MEMBER = "regions-member"  # the e2e run's member account (opted into one region)
OTHER = "regions-other"  # never opted in
OPTED = "regions-opted"  # opted in by the unit-level tests
SELF = "regions-self"  # reads its own regions
NAMED = "regions-named"  # opted into ap-east-1 by the named-regions run
OUTSIDE = "111122223333"  # no account of the organization

# botocore's aws partition, read through another door than the shim's (EC2's endpoints).
ALL_REGIONS = sorted(boto3.session.Session().get_available_regions("ec2"))
DEFAULT_REGIONS = [r for r in ALL_REGIONS if r not in account.OPT_IN_REGIONS]


def statuses(regions: list[str]) -> list[tuple[str, str]]:
    return [(r, "DISABLED" if r in account.OPT_IN_REGIONS else "ENABLED_BY_DEFAULT") for r in regions]


def pairs(page: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["RegionName"], r["RegionOptStatus"]) for r in page["Regions"]]


@dataclass(frozen=True)
class Regions:
    emu: Emulator
    world: World

    def account_client(self, name: str | None = None) -> Any:
        session = self.emu.session()
        if name is not None:
            session = member_session(session, self.world.account_id(name))
        return client(session, "account", "us-east-1")


@pytest.fixture(scope="module")
def regions() -> Iterator[Regions]:
    quiet_moto()
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        with Emulator.in_process(operations=[OPERATION]) as emu:
            world = emu.build_organization([AccountSpec(n, "Regions") for n in (MEMBER, OTHER, OPTED, SELF, NAMED)])
            yield Regions(emu, world)


def test_botocore_knows_every_opt_in_region_and_both_kinds_are_present() -> None:
    assert sorted(account.OPT_IN_REGIONS - set(ALL_REGIONS)) == []
    assert {"us-east-1", "eu-west-1", "ap-northeast-1"} <= set(DEFAULT_REGIONS)
    assert {"af-south-1", "ap-east-1", "me-south-1"} <= account.OPT_IN_REGIONS
    assert account.partition_regions() == tuple(ALL_REGIONS)


@pytest.mark.e2e
def test_all_regions_runs_every_default_region_of_each_selected_account_and_its_opted_in_ones(
    regions: Regions,
) -> None:
    management, member = regions.world.management_account_id, regions.world.account_id(MEMBER)
    account.opt_in(member, "eu-south-1")

    ex = regions.emu.run(OPERATION, {"Regions": "ALL", "Accounts": {"Include": [management, member]}})

    assert ex.status == "SUCCEEDED", ex.cause
    ddb = client(regions.emu.session(), "dynamodb", "us-east-1")
    planned = {
        tuple(item[store.STATUS_RANGE_KEY].split("#"))
        for item in store.iter_statuses(ddb, regions.emu.stack.status_table, ex.arn)
    }
    expected = {(management, r) for r in DEFAULT_REGIONS} | {(member, r) for r in [*DEFAULT_REGIONS, "eu-south-1"]}
    assert planned == expected
    assert ex.output is not None
    assert (ex.output["Targets"], ex.output["Succeeded"], ex.output["Skipped"]) == (len(expected), len(expected), 0)


def test_list_regions_answers_every_partition_region_by_name_with_its_opt_in_status(regions: Regions) -> None:
    acct = regions.account_client()

    page = acct.list_regions(AccountId=regions.world.account_id(OTHER), MaxResults=50)

    assert pairs(page) == statuses(ALL_REGIONS)
    assert "NextToken" not in page


def test_an_opted_in_region_is_enabled_for_that_account_only(regions: Regions) -> None:
    acct = regions.account_client()
    account.opt_in(regions.world.account_id(OPTED), "ap-east-1")
    account.opt_in(regions.world.account_id(OPTED), "me-south-1")

    enabled = acct.list_regions(AccountId=regions.world.account_id(OPTED), RegionOptStatusContains=["ENABLED"])
    other = acct.list_regions(AccountId=regions.world.account_id(OTHER), RegionOptStatusContains=["ENABLED"])

    assert pairs(enabled) == [("ap-east-1", "ENABLED"), ("me-south-1", "ENABLED")]
    assert pairs(other) == []


def test_opting_into_a_default_region_is_refused() -> None:
    with pytest.raises(ValueError, match="us-east-1 is not an opt-in region of the aws partition"):
        account.opt_in("123456789012", "us-east-1")


def test_region_opt_status_contains_keeps_only_those_statuses(regions: Regions) -> None:
    acct = regions.account_client()
    other = regions.world.account_id(OTHER)

    disabled = acct.list_regions(AccountId=other, RegionOptStatusContains=["DISABLED"], MaxResults=50)
    both = acct.list_regions(AccountId=other, RegionOptStatusContains=["ENABLED", "ENABLED_BY_DEFAULT"], MaxResults=50)

    assert pairs(disabled) == [(r, "DISABLED") for r in sorted(account.OPT_IN_REGIONS)]
    assert pairs(both) == [(r, "ENABLED_BY_DEFAULT") for r in DEFAULT_REGIONS]


def test_next_token_resumes_after_the_last_region_of_the_previous_page(regions: Regions) -> None:
    acct = regions.account_client()

    first = acct.list_regions(MaxResults=5)
    second = acct.list_regions(MaxResults=5, NextToken=first["NextToken"])

    assert pairs(first) == statuses(ALL_REGIONS[:5])
    assert pairs(second) == statuses(ALL_REGIONS[5:10])
    assert second["NextToken"] != first["NextToken"]


def test_pages_cover_the_filtered_list_once_and_the_last_has_no_next_token(regions: Regions) -> None:
    acct = regions.account_client()

    pages = list(
        acct.get_paginator("list_regions").paginate(
            RegionOptStatusContains=["ENABLED_BY_DEFAULT"], PaginationConfig={"PageSize": 4}
        )
    )

    assert [len(p["Regions"]) for p in pages] == [4] * (len(DEFAULT_REGIONS) // 4) + (
        [len(DEFAULT_REGIONS) % 4] if len(DEFAULT_REGIONS) % 4 else []
    )
    assert [r for p in pages for r in pairs(p)] == [(r, "ENABLED_BY_DEFAULT") for r in DEFAULT_REGIONS]
    assert ["NextToken" in p for p in pages] == [True] * (len(pages) - 1) + [False]


def test_without_max_results_a_page_holds_twenty_regions(regions: Regions) -> None:
    page = regions.account_client().list_regions()

    assert pairs(page) == statuses(ALL_REGIONS[:20])
    assert "NextToken" in page


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"NextToken": "not-a-token"}, "The NextToken is invalid"),
        ({"MaxResults": 51}, "MaxResults must be between 1 and 50"),
        (
            {"RegionOptStatusContains": ["ON"]},
            "Invalid RegionOptStatusContains ['ON']: valid values are ENABLED, ENABLING, DISABLING, DISABLED, "
            "ENABLED_BY_DEFAULT",
        ),
    ],
)
def test_invalid_paging_or_filter_is_a_validation_exception(
    regions: Regions, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClientError) as raised:
        regions.account_client().list_regions(**kwargs)

    error = raised.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"]) == ("ValidationException", message)
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize(
    ("caller", "target", "reason"),
    [
        (OTHER, MEMBER, "only the organization's management account may specify AccountId"),
        (None, OUTSIDE, f"account {OUTSIDE} is not a member of your organization"),
        (None, "management", "the management account must omit AccountId to read its own regions"),
    ],
)
def test_account_id_is_refused_unless_the_management_account_names_a_member(
    regions: Regions, caller: str | None, target: str, reason: str
) -> None:
    acct = regions.account_client(caller)
    caller_arn = client(
        member_session(regions.emu.session(), regions.world.account_id(caller)) if caller else regions.emu.session(),
        "sts",
        "us-east-1",
    ).get_caller_identity()["Arn"]
    account_id = regions.world.accounts.get(target, target)

    with pytest.raises(ClientError) as raised:
        acct.list_regions(AccountId=account_id)

    error = raised.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (
        "AccessDeniedException",
        f"User: {caller_arn} is not authorized to perform: account:ListRegions ({reason})",
    )
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_without_account_id_the_caller_reads_its_own_regions(regions: Regions) -> None:
    account.opt_in(regions.world.account_id(SELF), "il-central-1")

    own = regions.account_client(SELF).list_regions(RegionOptStatusContains=["ENABLED"])
    management = regions.account_client().list_regions(RegionOptStatusContains=["ENABLED"])

    assert pairs(own) == [("il-central-1", "ENABLED")]
    assert pairs(management) == []


@pytest.mark.parametrize(
    ("service", "call", "code", "status", "message"),
    [
        ("ec2", "describe_volumes", "AuthFailure", 401, "AWS was not able to validate the provided access credentials"),
        (
            "lambda",
            "list_functions",
            "UnrecognizedClientException",
            403,
            "The security token included in the request is invalid.",
        ),
        ("sns", "list_topics", "InvalidClientTokenId", 403, "The security token included in the request is invalid."),
    ],
)
def test_a_call_into_a_region_the_account_has_not_enabled_is_refused_as_aws_does(
    regions: Regions, service: str, call: str, code: str, status: int, message: str
) -> None:
    member = member_session(regions.emu.session(), regions.world.account_id(OTHER))

    with pytest.raises(ClientError) as raised:
        getattr(client(member, service, "af-south-1"), call)()

    error = raised.value.response
    assert (error["Error"]["Code"], error["Error"]["Message"]) == (code, message)
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    assert getattr(client(member, service, "eu-west-1"), call)()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_the_same_call_succeeds_once_the_account_enabled_the_region(regions: Regions) -> None:
    opted = regions.world.account_id(OPTED)
    account.opt_in(opted, "me-south-1")
    member = member_session(regions.emu.session(), opted)

    assert client(member, "ec2", "me-south-1").describe_volumes()["Volumes"] == []


@pytest.mark.e2e
def test_named_opt_in_region_not_enabled_is_skipped_by_the_fanout_and_never_run(regions: Regions) -> None:
    named, other = regions.world.account_id(NAMED), regions.world.account_id(OTHER)
    account.opt_in(named, "ap-east-1")

    ex = regions.emu.run(OPERATION, {"Regions": ["eu-west-1", "ap-east-1"], "Accounts": {"Include": [named, other]}})

    assert ex.status == "SUCCEEDED", ex.cause
    ddb = client(regions.emu.session(), "dynamodb", "us-east-1")
    found = {
        tuple(item[store.STATUS_RANGE_KEY].split("#")): (item["status"], item["error_code"])
        for item in store.iter_statuses(ddb, regions.emu.stack.status_table, ex.arn)
    }
    assert found == {
        (named, "eu-west-1"): ("SUCCEEDED", ""),
        (named, "ap-east-1"): ("SUCCEEDED", ""),
        (other, "eu-west-1"): ("SUCCEEDED", ""),
        (other, "ap-east-1"): ("SKIPPED", "RegionNotEnabled"),
    }
    assert ex.output is not None
    assert (ex.output["Targets"], ex.output["Succeeded"], ex.output["Skipped"]) == (4, 3, 1)


@pytest.mark.e2e
def test_a_region_no_partition_has_fails_the_fanout_naming_it_before_any_worker_runs(regions: Regions) -> None:
    ex = regions.emu.run(OPERATION, {"Regions": ["eu-west-1", "eu-westt-1"]})

    assert ex.status == "FAILED"
    cause = json.loads(ex.cause or "{}")
    assert (cause["errorType"], cause["errorMessage"]) == (
        "InvalidInput",
        'Regions[1]: "eu-westt-1" is not a region AWS knows (in no partition): check the spelling',
    )
