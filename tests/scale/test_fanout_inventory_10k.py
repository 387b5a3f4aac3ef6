"""The fanout at 10,000 accounts with a Tags filter and Regions "ALL", charged AWS's rates.

Organizations, ListRegions and the inventory table are answered in-process
(``benchmarks.fanout_scale``); every call is charged what ``orgops.inventory.RATES`` (and
``LATENCIES``) make it take, on a simulated clock. The assertions are on that charged time, never
on the wall clock ("speed and scale go in make bench"): the run stays inside the fanout's budget,
with a fresh inventory and with 1% of the accounts read live, and refuses, naming the count, when
a fifth are missing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from benchmarks import fanout_scale
from orgops import inventory
from orgops.sessions import new_session

BUDGET = inventory.FANOUT_BUDGET_SECONDS  # the fanout's 290 s Lambda timeout less 50 s for its writes


@pytest.fixture(scope="module")
def fake() -> Iterator[fanout_scale.FakeOrganization]:
    organization = fanout_scale.FakeOrganization(10_000)
    fanout_scale.fill_inventory(organization)
    with pytest.MonkeyPatch.context() as mp:
        from tests.conftest import fake_aws_environment

        fake_aws_environment(mp)
        with mock_aws():
            fanout_scale.create_tables(new_session("us-east-1"))
            yield organization


def test_with_a_fresh_inventory_the_fanout_fits_its_budget_at_aws_rates(fake: fanout_scale.FakeOrganization) -> None:
    measured, result = fanout_scale.run_fanout(fake, "fresh", with_inventory=True)

    assert measured.aws_seconds < BUDGET
    assert measured.calls[inventory.ORGANIZATIONS] == 500  # ListAccounts, 20 a page: nothing per account
    assert measured.calls.get(inventory.LIST_REGIONS, 0) == 0
    # env=prod: the 5,000 even accounts, 40 of them suspended; 17 regions each, 2 more for every 10th.
    assert (result["Mode"], result["TargetCount"], result["Skipped"]) == ("DISTRIBUTED", 4_960 * 17 + 1_000 * 2, 40)


def test_with_one_percent_missing_they_are_read_live_within_the_budget(fake: fanout_scale.FakeOrganization) -> None:
    _fresh, before = fanout_scale.run_fanout(fake, "before", with_inventory=True)
    gone = fanout_scale.drop_share(new_session("us-east-1"), fake, 0.01)
    try:
        measured, after = fanout_scale.run_fanout(fake, "one-percent", with_inventory=True)
    finally:
        fanout_scale.fill_inventory(fake)

    assert len(gone) == 100
    assert measured.aws_seconds < BUDGET
    assert measured.calls[inventory.ORGANIZATIONS] == 500 + 100  # plus one ListTagsForResource each
    assert (after["TargetCount"], after["Skipped"]) == (before["TargetCount"], before["Skipped"])


def test_a_fifth_missing_is_refused_naming_the_count(fake: fanout_scale.FakeOrganization) -> None:
    fanout_scale.drop_share(new_session("us-east-1"), fake, 0.2)
    try:
        with pytest.raises(inventory.InventoryIncomplete) as caught:
            fanout_scale.run_fanout(fake, "fifth", with_inventory=True)
    finally:
        fanout_scale.fill_inventory(fake)

    assert caught.value.missing == 2_000
    assert str(caught.value).startswith("2000 of the selected accounts are not in the organization inventory")
