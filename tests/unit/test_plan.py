"""Target planning: pure functions over accounts, no AWS."""

from __future__ import annotations

import pytest

from orgops.errors import InvalidInput
from orgops.org import Account
from orgops.targets import (
    AccountFilter,
    Target,
    batches,
    check_known_accounts,
    matches,
    parse_input,
    plan_targets,
)

ACTIVE = Account("222222222222", "b", parents=("r-ab12", "ou-ab12-aaaaaaaa"), tags={"env": "prod"})
OTHER = Account("111111111111", "a", parents=("r-ab12",), tags={"env": "dev"})
CLOSING = Account("333333333333", "c", status="PENDING_CLOSURE", parents=("r-ab12",))
SUSPENDED = Account("444444444444", "d", status="SUSPENDED", parents=("r-ab12",))


def two_regions(_: Account) -> list[str]:
    return ["us-east-1", "eu-west-1"]


def test_targets_are_sorted_by_account_then_region() -> None:
    plan = plan_targets([ACTIVE, OTHER], AccountFilter(), two_regions, ["eu-west-1", "us-east-1"])

    assert plan.targets == (
        Target("111111111111", "a", "eu-west-1"),
        Target("111111111111", "a", "us-east-1"),
        Target("222222222222", "b", "eu-west-1"),
        Target("222222222222", "b", "us-east-1"),
    )
    assert plan.skipped == ()


@pytest.mark.parametrize("inactive", [CLOSING, SUSPENDED], ids=["PENDING_CLOSURE", "SUSPENDED"])
def test_inactive_accounts_are_skipped_in_each_region_never_run(inactive: Account) -> None:
    plan = plan_targets([inactive, OTHER], AccountFilter(), two_regions, ["us-east-1", "eu-west-1"])

    assert [t.account_id for t in plan.targets] == ["111111111111", "111111111111"]
    assert plan.skipped == (
        Target(inactive.id, inactive.name, "eu-west-1"),
        Target(inactive.id, inactive.name, "us-east-1"),
    )


def test_an_inactive_account_the_filters_exclude_is_not_counted() -> None:
    plan = plan_targets([SUSPENDED, OTHER], AccountFilter(exclude=(SUSPENDED.id,)), two_regions, ["eu-west-1"])

    assert plan.skipped == ()


def test_an_account_with_no_region_gets_no_target() -> None:
    plan = plan_targets([OTHER], AccountFilter(), lambda _a: [], [])

    assert plan.targets == ()


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (AccountFilter(), True),
        (AccountFilter(include=("222222222222",)), True),
        (AccountFilter(include=("111111111111",)), False),
        (AccountFilter(exclude=("222222222222",)), False),
        (AccountFilter(organizational_units=("ou-ab12-aaaaaaaa",)), True),
        (AccountFilter(organizational_units=("ou-ab12-bbbbbbbb",)), False),
        (AccountFilter(organizational_units=("r-ab12",)), True),
        (AccountFilter(tags={"env": "prod"}), True),
        (AccountFilter(tags={"env": "prod", "team": "x"}), False),
        (AccountFilter(tags={"env": "PROD"}), False),
    ],
)
def test_matches_applies_every_filter(selection: AccountFilter, expected: bool) -> None:
    assert matches(ACTIVE, selection) is expected


def test_matching_does_not_mutate_the_account_or_the_filter() -> None:
    selection = AccountFilter(tags={"env": "prod"})

    matches(ACTIVE, selection)

    assert (ACTIVE.tags, selection.tags) == ({"env": "prod"}, {"env": "prod"})


def test_an_included_id_that_is_not_in_the_organization_names_its_position() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_known_accounts([ACTIVE, OTHER], AccountFilter(include=("111111111111", "999999999999")))

    assert str(caught.value) == "Accounts.Include[1]: 999999999999 is not an account of this organization"


def test_the_position_of_an_unknown_id_counts_repeated_ids() -> None:
    selection = parse_input({"Accounts": {"Include": ["111111111111", "111111111111", "999999999999"]}}).accounts

    with pytest.raises(InvalidInput) as caught:
        check_known_accounts([OTHER], selection)

    assert caught.value.field == "Accounts.Include[2]"


def test_an_included_inactive_account_is_known() -> None:
    check_known_accounts([SUSPENDED], AccountFilter(include=(SUSPENDED.id,)))


def test_batches_pack_targets_in_order() -> None:
    targets = [Target(f"00000000000{i}", f"n{i}", "eu-west-1") for i in range(5)]

    packed = batches(targets, 2)

    assert [[item["AccountId"] for item in batch] for batch in packed] == [
        ["000000000000", "000000000001"],
        ["000000000002", "000000000003"],
        ["000000000004"],
    ]
    assert packed[0][0] == {"AccountId": "000000000000", "AccountName": "n0", "Region": "eu-west-1"}


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="batch size must be at least 1"):
        batches([], 0)
