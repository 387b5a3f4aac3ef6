"""The fanout with the organization inventory: the same targets as listing the organization live.

Tags, OU paths and enabled regions come from the inventory; an account it lacks (or refreshed
more than a day ago) is read live; when more are missing than fit in the budget, the fanout fails
naming how many, before writing anything.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgops import inventory, operations
from orgops import org as org_listing
from orgops.config import FanoutSettings
from orgops.handlers import fanout
from tests.handlers.helpers import object_keys, read_object, status_items
from tests.handlers.inventory_fixture import INVENTORY_TABLE, NOW, create_inventory_table, put, records, refresh, remove
from tests.handlers.org_fixture import (
    DATA_BUCKET,
    DEFAULT_REGIONS,
    DEV_A1,
    LEGACY,
    MANAGEMENT,
    PROD_A,
    PROD_B,
    SANDBOX,
    STATUS_TABLE,
    Org,
)

LIVE = FanoutSettings(DATA_BUCKET, STATUS_TABLE, None)
WITH_INVENTORY = FanoutSettings(DATA_BUCKET, STATUS_TABLE, None, inventory_table=INVENTORY_TABLE)
ALL_ACCOUNTS = (MANAGEMENT, PROD_A, DEV_A1, PROD_B, SANDBOX, LEGACY)
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:orgops-unused-ebs-volumes:"


@pytest.fixture
def inventoried(session: boto3.Session, org: Org) -> Org:
    from orgops.emulator import account as emulated_account

    emulated_account.opt_in(PROD_A, "af-south-1")
    emulated_account.opt_in(PROD_B, "ap-east-1")
    create_inventory_table(session)
    refresh(session)
    return org


def run(
    session: boto3.Session, name: str, execution_input: Any, settings: FanoutSettings, **kwargs: Any
) -> dict[str, Any]:
    event = {
        "Input": execution_input,
        "Operation": kwargs.pop("operation", "unused-ebs-volumes"),
        "DefaultRegions": DEFAULT_REGIONS,
        "DistributedThreshold": 1000,
        "BatchSize": 20,
        "ExecutionId": EXECUTION + name,
    }
    return fanout.fanout(event, settings, session, now=NOW, clock=inventory.SimulatedClock(), **kwargs)


def statuses(session: boto3.Session, name: str) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in i.items() if k != "execution_id"}
        for i in status_items(session)
        if i["execution_id"]["S"] == EXECUTION + name
    ]


def same_as_live(session: boto3.Session, execution_input: Any, tag: str, **kwargs: Any) -> dict[str, Any]:
    """Run the fanout live and with the inventory; assert the same output, plan and statuses."""
    live = run(session, f"live-{tag}", execution_input, LIVE, **dict(kwargs))
    used = run(session, f"inventory-{tag}", execution_input, WITH_INVENTORY, **dict(kwargs))
    strip = ("ExecutionId",)
    assert {k: v for k, v in used.items() if k not in strip} == {k: v for k, v in live.items() if k not in strip}
    plan = "targets/orgops-unused-ebs-volumes/{}/batches.json"
    assert json.loads(read_object(session, plan.format(f"inventory-{tag}"))) == json.loads(
        read_object(session, plan.format(f"live-{tag}"))
    )
    assert statuses(session, f"inventory-{tag}") == statuses(session, f"live-{tag}")
    return used


def inputs(org: Org) -> dict[str, Any]:
    return {
        "tags": {"Accounts": {"Tags": {"env": "prod"}}},
        "two-tags": {"Accounts": {"Tags": {"env": "prod", "team": "payments"}}},
        "ou": {"Accounts": {"OrganizationalUnits": [org.ou_a]}},
        "nested-ou": {"Accounts": {"OrganizationalUnits": [org.ou_a1]}},
        "root": {"Accounts": {"OrganizationalUnits": [org.root]}},
        "all-regions": {"Regions": "ALL"},
        "all-regions-tags": {"Regions": "ALL", "Accounts": {"Tags": {"env": "prod"}}},
        "all-regions-ou-exclude": {
            "Regions": "ALL",
            "Accounts": {"OrganizationalUnits": [org.ou_b], "Exclude": [SANDBOX]},
        },
        "opt-in": {"Regions": ["eu-west-1", "af-south-1", "ap-east-1"]},
        "opt-in-include": {"Regions": ["af-south-1"], "Accounts": {"Include": [PROD_A, PROD_B, LEGACY]}},
        "tags-ou-include": {
            "Accounts": {"Tags": {"env": "prod"}, "OrganizationalUnits": [org.ou_a], "Include": [PROD_A, LEGACY]}
        },
    }


CASES = (
    "tags",
    "two-tags",
    "ou",
    "nested-ou",
    "root",
    "all-regions",
    "all-regions-tags",
    "all-regions-ou-exclude",
    "opt-in",
    "opt-in-include",
    "tags-ou-include",
)


@pytest.mark.parametrize("case", CASES)
def test_a_fresh_inventory_gives_exactly_the_live_fanouts_targets(
    session: boto3.Session, inventoried: Org, case: str
) -> None:
    same_as_live(session, inputs(inventoried)[case], case)


@pytest.mark.parametrize("case", CASES)
def test_accounts_missing_or_stale_in_the_inventory_are_read_live_to_the_same_targets(
    session: boto3.Session, inventoried: Org, case: str
) -> None:
    remove(session, PROD_B, LEGACY)
    stale = records(session)[DEV_A1]
    # A day-old item with tags and regions that are no longer true: it must not be believed.
    put(session, replace(stale, tags={"env": "prod", "team": "payments"}, regions=(), refreshed_at=NOW - 25 * 3600))

    same_as_live(session, inputs(inventoried)[case], case)


def test_only_the_missing_accounts_are_read_live(
    session: boto3.Session, inventoried: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    remove(session, PROD_B, SANDBOX)
    read: list[str] = []
    regions_read: list[list[str]] = []
    real_tags, real_regions = org_listing.account_tags, org_listing.enabled_regions

    def tags(client: Any, account_id: str) -> dict[str, str]:
        read.append(account_id)
        return real_tags(client, account_id)

    def regions(session: Any, account_ids: Any, **kwargs: Any) -> dict[str, list[str]]:
        regions_read.append(list(account_ids))
        return real_regions(session, account_ids, **kwargs)

    monkeypatch.setattr(org_listing, "account_tags", tags)
    monkeypatch.setattr(org_listing, "enabled_regions", regions)

    result = run(session, "some-missing", {"Regions": "ALL", "Accounts": {"Tags": {"env": "prod"}}}, WITH_INVENTORY)

    assert read == [PROD_B, SANDBOX] or sorted(read) == [PROD_B, SANDBOX]
    assert regions_read == [[PROD_B]]  # the selected one; SANDBOX has no env=prod tag
    assert sorted({t["AccountId"] for t in result["AccountRegions"]}) == [PROD_A, PROD_B]


def test_a_run_that_needs_nothing_of_the_accounts_does_not_read_the_inventory(session: boto3.Session, org: Org) -> None:
    # No table exists: reading it would fail.
    result = run(session, "plain", {"Accounts": {"Include": [PROD_A]}}, WITH_INVENTORY)

    assert [t["AccountId"] for t in result["AccountRegions"]] == [PROD_A] * 3


def test_the_accounts_operation_lists_nothing_from_the_inventory(session: boto3.Session, org: Org) -> None:
    result = run(session, "accounts", {}, WITH_INVENTORY, operation="accounts")

    assert result["AccountRegions"] == [{"AccountId": MANAGEMENT, "AccountName": "master", "Region": "us-east-1"}]


def test_too_many_missing_accounts_fail_the_fanout_naming_the_count_and_writing_nothing(
    session: boto3.Session, inventoried: Org
) -> None:
    remove(session, *ALL_ACCOUNTS)

    with pytest.raises(inventory.InventoryIncomplete) as caught:
        run(
            session,
            "refused",
            {"Regions": "ALL", "Accounts": {"Tags": {"env": "prod"}}},
            WITH_INVENTORY,
            budget_seconds=2,
        )

    # 6 ListTagsForResource and 5 ListRegions (LEGACY is suspended): 6/5 + 5/5 s.
    assert str(caught.value) == (
        "6 of the selected accounts are not in the organization inventory or were refreshed more than 24 hours "
        "ago: reading them live would take about 3 s at AWS's request rates, and 2 s of the fanout's 2 s are left. "
        'Refresh the inventory (invoke the inventory function with {"Refresh": "stalest"} until it reports no stale '
        "account left, or wait for its schedule) and start the run again; nothing was run."
    )
    assert caught.value.missing == 6
    assert status_items(session) == []
    assert object_keys(session) == []


def test_the_time_already_spent_counts_against_the_budget(session: boto3.Session, inventoried: Org) -> None:
    remove(session, PROD_B)  # one ListTagsForResource to make: 0.2 s at 5 per second
    execution_input = {"Accounts": {"Tags": {"env": "prod"}}}

    # No time spent before the check: 0.2 s fits a 0.2 s budget.
    run(session, "in-time", execution_input, WITH_INVENTORY, budget_seconds=0.2)
    # Charged as AWS would: the inventory's Scan (10 ms) comes first, and 0.2 s no longer fits.
    clock = inventory.SimulatedClock()
    inventory.RateLimiter(clock, inventory.RATES, inventory.LATENCIES).attach(session)
    event = {
        "Input": execution_input,
        "Operation": "unused-ebs-volumes",
        "DefaultRegions": DEFAULT_REGIONS,
        "ExecutionId": EXECUTION + "late",
    }
    with pytest.raises(
        inventory.InventoryIncomplete,
        match=r"^1 of the selected .* about 1 s .*, and 0 s of the fanout's 0\.2 s are left",
    ):
        fanout.fanout(event, WITH_INVENTORY, session, now=NOW, clock=clock, budget_seconds=0.2)


# --- a property: any filters, any accounts missing or stale -----------------------------------------
FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "Tags": st.sampled_from([{"env": "prod"}, {"team": "payments"}, {"env": "dev", "team": "payments"}]),
        "OrganizationalUnits": st.sampled_from(["ou_a", "ou_a1", "ou_b", "root"]).map(lambda k: [k]),
        "Exclude": st.sampled_from([[PROD_A], [SANDBOX], [LEGACY]]),
    },
)
REGIONS = st.sampled_from([None, "ALL", ["af-south-1"], ["eu-west-1", "ap-east-1"], ["us-east-1"]])
EXAMPLES = itertools.count()  # each example's executions get their own names


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    filters=FILTERS,
    regions=REGIONS,
    missing=st.sets(st.sampled_from(ALL_ACCOUNTS)),
    stale=st.sets(st.sampled_from(ALL_ACCOUNTS)),
    global_op=st.booleans(),
)
def test_property_the_inventory_never_changes_the_plan(
    session: boto3.Session,
    inventoried: Org,
    monkeypatch: pytest.MonkeyPatch,
    filters: dict[str, Any],
    regions: Any,
    missing: set[str],
    stale: set[str],
    global_op: bool,
) -> None:
    if global_op:
        from tests.handlers.test_fanout import GLOBAL_OP

        monkeypatch.setitem(operations.REGISTRY, "global-test", GLOBAL_OP)
    refresh(session)  # every example starts from a fresh, complete inventory
    full = records(session)
    assert sorted(full) == sorted(ALL_ACCOUNTS)
    remove(session, *missing)
    put(
        session,
        *(replace(full[a], tags={}, regions=("us-east-1",), refreshed_at=NOW - 2 * 86_400) for a in stale - missing),
    )
    accounts = dict(filters)
    if "OrganizationalUnits" in accounts:
        accounts["OrganizationalUnits"] = [getattr(inventoried, accounts["OrganizationalUnits"][0])]
    execution_input: dict[str, Any] = {"Accounts": accounts} if accounts else {}
    if regions is not None:
        execution_input["Regions"] = regions
    tag = f"p{next(EXAMPLES)}"
    if global_op:
        live = run(session, f"live-{tag}", execution_input, LIVE, operation="global-test")
        used = run(session, f"inventory-{tag}", execution_input, WITH_INVENTORY, operation="global-test")
        assert (used["AccountRegions"], used["Skipped"]) == (live["AccountRegions"], live["Skipped"])
    else:
        same_as_live(session, execution_input, tag)


def test_names_and_statuses_are_read_live_not_from_the_inventory(session: boto3.Session, inventoried: Org) -> None:
    item = records(session)[PROD_A]
    put(session, replace(item, name="renamed-since", status="SUSPENDED"))

    result = same_as_live(session, {"Accounts": {"Tags": {"env": "prod"}}}, "names")

    assert {t["AccountName"] for t in result["AccountRegions"] if t["AccountId"] == PROD_A} == {"prod-a"}
