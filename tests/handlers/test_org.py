"""Reading the organization: accounts, OU chains, tags (moto), enabled regions (Stubber)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from orgops import org as org_listing
from orgops.sessions import new_session
from tests.handlers.org_fixture import DEV_A1, LEGACY, MANAGEMENT, PROD_A, PROD_B, SANDBOX, Org


def test_accounts_are_listed_with_status_and_nothing_else_by_default(session: boto3.Session, org: Org) -> None:
    accounts = {a.id: a for a in org_listing.load_accounts(session)}

    assert sorted(accounts) == [PROD_A, MANAGEMENT, DEV_A1, PROD_B, SANDBOX, LEGACY]
    assert accounts[LEGACY].status == "SUSPENDED"
    assert accounts[PROD_A] == org_listing.Account(PROD_A, "prod-a", "prod-a@example.com", "ACTIVE", (), {})


def test_parents_are_the_chain_of_ous_from_the_root(session: boto3.Session, org: Org) -> None:
    accounts = {a.id: a for a in org_listing.load_accounts(session, with_parents=True)}

    assert accounts[MANAGEMENT].parents == (org.root,)
    assert accounts[PROD_A].parents == (org.root, org.ou_a)
    assert accounts[DEV_A1].parents == (org.root, org.ou_a, org.ou_a1)
    assert accounts[SANDBOX].parents == (org.root, org.ou_b)


def test_tags_are_read_for_every_account_including_suspended_ones(session: boto3.Session, org: Org) -> None:
    accounts = {a.id: a for a in org_listing.load_accounts(session, with_tags=True)}

    assert accounts[PROD_A].tags == {"env": "prod", "team": "payments"}
    assert accounts[LEGACY].tags == {"env": "prod", "team": "payments"}
    assert accounts[SANDBOX].tags == {}


def test_the_state_field_is_preferred_to_the_deprecated_status() -> None:
    raw = {"Id": PROD_A, "Name": "p", "Status": "ACTIVE", "State": "PENDING_CLOSURE"}

    assert org_listing._status(raw) == "PENDING_CLOSURE"


# --- enabled regions: moto has no account:ListRegions -------------------------------------------

ENABLED = ["ENABLED", "ENABLED_BY_DEFAULT"]


def test_enabled_regions_pages_through_list_regions_and_omits_the_id_for_the_management_account() -> None:
    session = new_session("us-east-1")
    account = session.client("account", region_name="us-east-1")
    with Stubber(account) as stub:
        stub.add_response(
            "list_regions",
            {"Regions": [{"RegionName": "us-east-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"}], "NextToken": "p2"},
            {"AccountId": PROD_A, "RegionOptStatusContains": ENABLED},
        )
        stub.add_response(
            "list_regions",
            {"Regions": [{"RegionName": "af-south-1", "RegionOptStatus": "ENABLED"}]},
            {"AccountId": PROD_A, "RegionOptStatusContains": ENABLED, "NextToken": "p2"},
        )
        stub.add_response(
            "list_regions",
            {"Regions": [{"RegionName": "eu-west-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"}]},
            {"RegionOptStatusContains": ENABLED},
        )

        regions = org_listing.enabled_regions(
            session, [PROD_A, MANAGEMENT], account_client=account, own_account_id=MANAGEMENT
        )

        stub.assert_no_pending_responses()
    assert regions == {PROD_A: ["af-south-1", "us-east-1"], MANAGEMENT: ["eu-west-1"]}


def test_the_management_account_is_found_with_get_caller_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    session = new_session("us-east-1")
    account = session.client("account", region_name="us-east-1")
    sts = session.client("sts", region_name="us-east-1")
    monkeypatch.setattr(org_listing, "client", lambda s, service, region=None: {"sts": sts}[service])
    with Stubber(account) as stub_account, Stubber(sts) as stub_sts:
        identity = {"Account": MANAGEMENT, "Arn": f"arn:aws:iam::{MANAGEMENT}:root", "UserId": "x"}
        stub_sts.add_response("get_caller_identity", identity)
        stub_account.add_response("list_regions", {"Regions": []}, {"RegionOptStatusContains": ENABLED})

        regions = org_listing.enabled_regions(session, [MANAGEMENT], account_client=account)

        stub_account.assert_no_pending_responses()
    assert regions == {MANAGEMENT: []}


def test_every_page_of_accounts_is_read() -> None:
    orgs = new_session("us-east-1").client("organizations", region_name="us-east-1")
    page = {"Arn": "arn", "Email": "e@example.com", "JoinedMethod": "CREATED"}
    with Stubber(orgs) as stub:
        stub.add_response(
            "list_accounts", {"Accounts": [{**page, "Id": PROD_A, "Name": "a", "Status": "ACTIVE"}], "NextToken": "t"}
        )
        stub.add_response(
            "list_accounts",
            {"Accounts": [{**page, "Id": PROD_B, "Name": "b", "Status": "SUSPENDED"}]},
            {"NextToken": "t"},
        )

        accounts = list(org_listing.list_accounts(orgs))

        stub.assert_no_pending_responses()
    assert [(a.id, a.name, a.status) for a in accounts] == [(PROD_A, "a", "ACTIVE"), (PROD_B, "b", "SUSPENDED")]


def test_every_page_of_tags_is_read() -> None:
    orgs = new_session("us-east-1").client("organizations", region_name="us-east-1")
    with Stubber(orgs) as stub:
        stub.add_response(
            "list_tags_for_resource",
            {"Tags": [{"Key": "env", "Value": "prod"}], "NextToken": "t"},
            {"ResourceId": PROD_A},
        )
        stub.add_response(
            "list_tags_for_resource",
            {"Tags": [{"Key": "team", "Value": "x"}]},
            {"ResourceId": PROD_A, "NextToken": "t"},
        )

        tags = org_listing.account_tags(orgs, PROD_A)

    assert tags == {"env": "prod", "team": "x"}


def test_without_an_org_reader_role_the_functions_own_credentials_read_the_organization(
    session: boto3.Session,
) -> None:
    assert org_listing.management_session(session, None) is session


def test_with_an_org_reader_role_the_organization_is_read_in_that_role(session: boto3.Session, org: Org) -> None:
    mgmt = org_listing.management_session(session, f"arn:aws:iam::{MANAGEMENT}:role/orgops-org-reader")

    identity = mgmt.client("sts", region_name="us-east-1").get_caller_identity()
    assert identity["Arn"].startswith(f"arn:aws:sts::{MANAGEMENT}:assumed-role/orgops-org-reader/orgops-fanout")
