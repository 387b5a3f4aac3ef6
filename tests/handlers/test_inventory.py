"""The inventory Lambda against an emulated organization: the schedule, and each event it follows."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest

from orgops import inventory, org
from orgops.config import InventorySettings
from orgops.handlers import inventory as handler
from tests.handlers.inventory_fixture import INVENTORY_TABLE, NOW, create_inventory_table, put, records, refresh
from tests.handlers.org_fixture import DEV_A1, LEGACY, MANAGEMENT, PROD_A, PROD_B, SANDBOX, Org

SETTINGS = InventorySettings(inventory_table=INVENTORY_TABLE, org_role_arn=None)
LATER = NOW + 3600


@pytest.fixture
def filled(session: boto3.Session, org: Org) -> dict[str, inventory.Record]:
    create_inventory_table(session)
    refresh(session)
    return records(session)


def handle(session: boto3.Session, event: dict[str, Any], now: float = LATER, **kwargs: Any) -> dict[str, Any]:
    return handler.handle(event, SETTINGS, session, clock=inventory.SimulatedClock(), now=lambda: now, **kwargs)


def cloudtrail(name: str, **detail: Any) -> dict[str, Any]:
    return {
        "source": "aws.organizations",
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {"eventSource": "organizations.amazonaws.com", "eventName": name, **detail},
    }


def organizations(session: boto3.Session) -> Any:
    return session.client("organizations", region_name="us-east-1")


# --- the schedule ------------------------------------------------------------------------------


def test_the_first_scheduled_run_adds_every_account_with_its_path_tags_and_regions(
    session: boto3.Session, org: Org
) -> None:
    create_inventory_table(session)

    summary = refresh(session)

    found = records(session)
    assert (summary["Added"], summary["Refreshed"], summary["Stale"]) == (6, 6, 0)
    assert sorted(found) == sorted([MANAGEMENT, PROD_A, DEV_A1, PROD_B, SANDBOX, LEGACY])
    assert found[DEV_A1] == inventory.Record(
        DEV_A1,
        "dev-a1",
        "dev-a1@example.com",
        "ACTIVE",
        (org.root, org.ou_a, org.ou_a1),
        ("Root", "A", "A1"),
        {"env": "dev", "team": "payments"},
        found[PROD_A].regions,
        NOW,
    )
    assert "us-east-1" in (found[DEV_A1].regions or ()) and "af-south-1" not in (found[DEV_A1].regions or ())
    assert found[LEGACY].status == "SUSPENDED" and found[LEGACY].regions is None  # no ListRegions for it
    assert found[MANAGEMENT].ou_names == ("Root",)


def test_the_schedule_refreshes_exactly_the_k_stalest_that_fit_its_budget(
    session: boto3.Session, filled: dict[str, inventory.Record]
) -> None:
    ages = {PROD_B: 10.0, SANDBOX: 20.0, DEV_A1: 30.0, PROD_A: 40.0, MANAGEMENT: 50.0, LEGACY: 60.0}
    put(session, *(replace(filled[a], refreshed_at=t) for a, t in ages.items()))
    # What the walk costs on a fresh limiter (the run pays it first), then room for exactly 3 accounts.
    clock = inventory.SimulatedClock()
    org.walk(organizations(inventory.RateLimiter(clock).attach(boto3.Session(region_name="us-east-1"))))
    budget = clock.now() + 3 * inventory.interleaved_seconds(inventory.DETAIL_CALLS) + 0.01

    summary = handle(session, {"Refresh": "stalest"}, budget=budget)

    after = records(session)
    assert summary["Refreshed"] == 3
    assert {a for a, r in after.items() if r.refreshed_at == LATER} == {PROD_B, SANDBOX, DEV_A1}
    assert {a: after[a].refreshed_at for a in (PROD_A, MANAGEMENT, LEGACY)} == {
        PROD_A: 40.0,
        MANAGEMENT: 50.0,
        LEGACY: 60.0,
    }
    assert summary["Stale"] == 3


def test_the_schedule_stays_within_its_budget_on_the_rates_clock(session: boto3.Session, org: Org) -> None:
    create_inventory_table(session)
    clock = inventory.SimulatedClock()

    summary = handler.handle({"Refresh": "stalest"}, SETTINGS, session, clock=clock, now=lambda: NOW, budget=1.5)

    assert clock.now() <= 1.5
    assert 0 < summary["Refreshed"] < 6 and summary["Stale"] == 6 - summary["Refreshed"]


def test_the_schedule_drops_accounts_no_longer_in_the_organization_and_updates_moved_ones(
    session: boto3.Session, org: Org, filled: dict[str, inventory.Record]
) -> None:
    organizations(session).remove_account_from_organization(AccountId=SANDBOX)
    organizations(session).move_account(AccountId=PROD_B, SourceParentId=org.ou_b, DestinationParentId=org.ou_a1)
    put(session, inventory.Record("999999999999", "gone", refreshed_at=NOW))

    summary = handle(session, {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})

    after = records(session)
    assert (summary["Removed"], summary["Changed"]) == (2, 1)
    assert sorted(after) == sorted([MANAGEMENT, PROD_A, DEV_A1, PROD_B, LEGACY])
    assert (after[PROD_B].parent_ids, after[PROD_B].ou_names) == ((org.root, org.ou_a, org.ou_a1), ("Root", "A", "A1"))


# --- events ----------------------------------------------------------------------------------


def test_a_tag_resource_event_refreshes_exactly_that_accounts_tags(
    session: boto3.Session, filled: dict[str, inventory.Record]
) -> None:
    organizations(session).tag_resource(ResourceId=PROD_B, Tags=[{"Key": "env", "Value": "staging"}])
    organizations(session).tag_resource(ResourceId=SANDBOX, Tags=[{"Key": "env", "Value": "unseen"}])

    summary = handle(
        session,
        cloudtrail(
            "TagResource", requestParameters={"resourceId": PROD_B, "tags": [{"key": "env", "value": "staging"}]}
        ),
    )

    after = records(session)
    assert summary == {"Action": "refresh", "AccountId": PROD_B}
    assert after[PROD_B] == replace(filled[PROD_B], tags={"env": "staging", "team": "search"}, refreshed_at=LATER)
    assert {a: r for a, r in after.items() if a != PROD_B} == {a: r for a, r in filled.items() if a != PROD_B}


def test_an_untag_event_removes_the_tag(session: boto3.Session, filled: dict[str, inventory.Record]) -> None:
    organizations(session).untag_resource(ResourceId=PROD_A, TagKeys=["team"])

    handle(session, cloudtrail("UntagResource", requestParameters={"resourceId": PROD_A, "tagKeys": ["team"]}))

    assert records(session)[PROD_A].tags == {"env": "prod"}


def test_a_move_account_event_rewrites_its_ou_path(
    session: boto3.Session, org: Org, filled: dict[str, inventory.Record]
) -> None:
    organizations(session).move_account(AccountId=SANDBOX, SourceParentId=org.ou_b, DestinationParentId=org.ou_a1)

    handle(
        session, cloudtrail("MoveAccount", requestParameters={"accountId": SANDBOX, "destinationParentId": org.ou_a1})
    )

    after = records(session)[SANDBOX]
    assert (after.parent_ids, after.ou_path) == ((org.root, org.ou_a, org.ou_a1), "Root/A/A1")


def test_a_region_opt_in_event_adds_the_region(session: boto3.Session, filled: dict[str, inventory.Record]) -> None:
    from orgops.emulator import account as emulated_account

    emulated_account.opt_in(PROD_A, "af-south-1")
    event = {
        "source": "aws.account",
        "detail-type": "Region Opt-In Status Change",
        "detail": {"accountId": PROD_A, "regionName": "af-south-1", "status": "ENABLED"},
    }

    handle(session, event)

    assert "af-south-1" in (records(session)[PROD_A].regions or ())
    assert "af-south-1" not in (records(session)[PROD_B].regions or ())


def test_a_created_account_is_added(session: boto3.Session, filled: dict[str, inventory.Record]) -> None:
    created = organizations(session).create_account(AccountName="new", Email="new@example.com")["CreateAccountStatus"]
    event = {
        "source": "aws.organizations",
        "detail-type": "AWS Service Event via CloudTrail",
        "detail": {
            "eventName": "CreateAccountResult",
            "serviceEventDetails": {"createAccountStatus": {"accountId": created["AccountId"], "state": "SUCCEEDED"}},
        },
    }

    handle(session, event)

    assert records(session)[created["AccountId"]].name == "new"


def test_a_removed_account_loses_its_item_and_so_does_one_describe_account_cannot_find(
    session: boto3.Session, filled: dict[str, inventory.Record]
) -> None:
    handle(session, cloudtrail("RemoveAccountFromOrganization", requestParameters={"accountId": SANDBOX}))
    put(session, inventory.Record("999999999999", "stray", refreshed_at=NOW))
    summary = handle(session, cloudtrail("CloseAccount", requestParameters={"accountId": "999999999999"}))

    assert summary == {"Action": "remove", "AccountId": "999999999999"}
    assert SANDBOX not in records(session) and "999999999999" not in records(session)


def test_a_renamed_ou_is_renamed_in_every_path_through_it(
    session: boto3.Session, org: Org, filled: dict[str, inventory.Record]
) -> None:
    organizations(session).update_organizational_unit(OrganizationalUnitId=org.ou_a, Name="Apps")

    summary = handle(
        session, cloudtrail("UpdateOrganizationalUnit", requestParameters={"organizationalUnitId": org.ou_a})
    )

    after = records(session)
    assert summary["Changed"] == 3
    assert {a: after[a].ou_path for a in (PROD_A, DEV_A1, LEGACY, PROD_B)} == {
        PROD_A: "Root/Apps",
        DEV_A1: "Root/Apps/A1",
        LEGACY: "Root/Apps/A1",
        PROD_B: "Root/B",
    }
    assert after[PROD_A].tags == filled[PROD_A].tags and after[PROD_A].refreshed_at == NOW


def test_an_event_the_inventory_does_not_follow_reads_nothing(session: boto3.Session) -> None:
    # No organization and no table: nothing may be read or written.
    summary = handle(session, cloudtrail("CreatePolicy"))

    assert summary == {"Action": "ignore", "Reason": "CreatePolicy changes nothing the inventory keeps"}


def test_handler_reads_its_settings_from_the_environment(
    session: boto3.Session, org: Org, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    create_inventory_table(session)
    monkeypatch.setenv("ORGOPS_INVENTORY_TABLE", INVENTORY_TABLE)
    monkeypatch.delenv("ORGOPS_ORG_ROLE_ARN", raising=False)
    monkeypatch.setattr(inventory, "RealClock", inventory.SimulatedClock)  # nothing sleeps in a test

    summary = handler.handler({"Refresh": "stalest"}, lambda_context)

    assert summary["Added"] == 6
    assert handler.budget_of(lambda_context) == 240.0


# --- the accounts operation reads the inventory too --------------------------------------------


def accounts_rows(session: boto3.Session, **kwargs: Any) -> list[dict[str, Any]]:
    from orgops.operations import accounts

    ddb = session.client("dynamodb", region_name="us-east-1")
    return list(accounts.rows(session, ddb, INVENTORY_TABLE, clock=inventory.SimulatedClock(), now=NOW, **kwargs))


def live_rows(session: boto3.Session) -> list[dict[str, Any]]:
    from orgops.operations import accounts
    from orgops.targets import Target

    return list(accounts.run(session, Target(MANAGEMENT, "master", "us-east-1"), {}, True))


def test_the_accounts_operation_gives_the_same_rows_from_the_inventory(
    session: boto3.Session, filled: dict[str, inventory.Record], monkeypatch: pytest.MonkeyPatch
) -> None:
    tagged: list[str] = []
    real = org.account_tags
    monkeypatch.setattr(org, "account_tags", lambda client, a: tagged.append(a) or real(client, a))

    rows = accounts_rows(session)

    assert tagged == []  # every tag from the inventory
    assert rows == live_rows(session)


def test_the_accounts_operation_reads_missing_and_stale_accounts_tags_live(
    session: boto3.Session, filled: dict[str, inventory.Record]
) -> None:
    inventory.delete(session.client("dynamodb", region_name="us-east-1"), INVENTORY_TABLE, [PROD_A])
    put(session, replace(filled[PROD_B], tags={"env": "old"}, refreshed_at=NOW - 2 * 86_400))

    assert accounts_rows(session) == live_rows(session)


def test_the_accounts_operation_refuses_when_the_missing_accounts_do_not_fit(
    session: boto3.Session, filled: dict[str, inventory.Record]
) -> None:
    inventory.delete(session.client("dynamodb", region_name="us-east-1"), INVENTORY_TABLE, [PROD_A, PROD_B])

    with pytest.raises(inventory.InventoryIncomplete, match=r"^2 of the selected accounts .* about 1 s"):
        accounts_rows(session, budget=0.3)


def test_the_accounts_operation_uses_the_inventory_named_in_the_workers_environment(
    session: boto3.Session, filled: dict[str, inventory.Record], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORGOPS_INVENTORY_TABLE", INVENTORY_TABLE)
    scanned: list[str] = []
    real = inventory.read_all
    monkeypatch.setattr(inventory, "read_all", lambda ddb, table: scanned.append(table) or real(ddb, table))
    rows = live_rows(session)
    monkeypatch.delenv("ORGOPS_INVENTORY_TABLE")

    assert scanned == [INVENTORY_TABLE]
    assert rows == live_rows(session)
