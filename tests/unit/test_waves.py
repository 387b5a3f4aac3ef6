"""Canary waves, the pure parts: the input's Canary and Waves, the split, the gate's budget and words."""

from __future__ import annotations

from typing import Any

import pytest

from orgops import store, waves
from orgops.errors import InvalidInput
from orgops.targets import Target, Waves, parse_input
from orgops.waves import Budget, WaveTally

A, B, C = "111111111111", "222222222222", "333333333333"
OU = "ou-ab12-cd34ef56"
RETRY = "arn:aws:states:eu-west-1:111122223333:execution:orgops-public-ips:run-1"


def refusal(raw: dict[str, Any]) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_input(raw)
    return str(caught.value)


# -- the input -----------------------------------------------------------------------------------
def test_canary_and_waves_are_parsed_as_given() -> None:
    parsed = parse_input({"Canary": [A, OU, "r-ab12"], "Waves": ["5%", "25%", "100%"]})

    assert (parsed.canary, parsed.waves) == ((A, OU, "r-ab12"), Waves(percents=(5, 25, 100)))
    assert parsed.waves.text == "5%,25%,100%"


def test_a_number_of_waves_is_parsed_from_1_to_20() -> None:
    assert [parse_input({"Waves": n}).waves for n in (1, 20)] == [Waves(count=1), Waves(count=20)]
    assert parse_input({}).canary == () and parse_input({}).waves is None


WAVES_RULE = (
    "must be a number of waves from 1 to 20 (the targets after the canary, in that many equal waves) or a list of "
    'cumulative percentages of all the planned targets ending in "100%", like 3 or ["5%", "25%", "100%"]'
)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"Canary": A}, 'Canary: must be a list of account ids or OU or root ids (like "111122223333", '
         "ou-ab12-cd34ef56 or r-ab12), got a string"),
        ({"Canary": []}, "Canary: is empty; list at least one account id or OU or root id, or omit Canary"),
        ({"Canary": [A, 7]}, 'Canary[1]: must be a string (an account id or an OU or root id, like "111122223333", '
         "ou-ab12-cd34ef56 or r-ab12), got a number"),
        ({"Canary": [A, B, "1234"]}, 'Canary[2]: "1234" is not a 12-digit account id or an OU or root id (like '
         '"111122223333", ou-ab12-cd34ef56 or r-ab12)'),
        ({"Canary": [A, B, A]}, f"Canary[2]: {A} is also Canary[0]: list it once"),
        ({"Waves": 0}, f"Waves: {WAVES_RULE}; got 0"),
        ({"Waves": 21}, f"Waves: {WAVES_RULE}; got 21"),
        ({"Waves": True}, f"Waves: {WAVES_RULE}; got true"),
        ({"Waves": "3"}, f'Waves: {WAVES_RULE}; got "3"'),
        ({"Waves": []}, 'Waves: is empty; list cumulative percentages ending in "100%" (like ["5%", "25%", '
         '"100%"]), give a number of waves, or omit Waves'),
        ({"Waves": [f"{p}%" for p in range(80, 101)]}, "Waves: lists 21 waves; at most 20 are allowed"),
        ({"Waves": ["5%", "0%", "100%"]}, 'Waves[1]: must be a percentage of the planned targets from "1%" to '
         '"100%" (like "25%"), got "0%"'),
        ({"Waves": ["5%", 25, "100%"]}, 'Waves[1]: must be a percentage of the planned targets from "1%" to "100%" '
         '(like "25%"), got 25'),
        ({"Waves": ["25%", "25%", "100%"]}, 'Waves[1]: "25%" is not more than Waves[0] ("25%"): the percentages are '
         "cumulative (of all the planned targets), so each must be larger than the one before"),
        ({"Waves": ["50%", "25%", "100%"]}, 'Waves[1]: "25%" is not more than Waves[0] ("50%"): the percentages are '
         "cumulative (of all the planned targets), so each must be larger than the one before"),
        ({"Waves": ["5%", "25%"]}, 'Waves[1]: the last wave must be "100%" (the percentages are cumulative: the '
         'last wave runs every target left), got "25%"'),
        ({"RetryFailed": RETRY, "Canary": [A]}, "Canary: does not apply with RetryFailed, which runs a known set of "
         "failed and not-run targets, in one wave: remove Canary (MaxErrors still stops the retry)"),
        ({"RetryFailed": RETRY, "Waves": 2}, "Waves: does not apply with RetryFailed, which runs a known set of "
         "failed and not-run targets, in one wave: remove Waves (MaxErrors still stops the retry)"),
    ],
)  # fmt: skip
def test_a_bad_canary_or_waves_is_refused_naming_the_field_and_the_fix(raw: dict[str, Any], message: str) -> None:
    assert refusal(raw) == message


# -- the split -------------------------------------------------------------------------------------
def plan(*accounts: str, regions: tuple[str, ...] = ("eu-west-1",)) -> tuple[Target, ...]:
    return tuple(Target(a, f"n{a[0]}", r) for a in accounts for r in regions)


def ids(split: list[tuple[Target, ...]]) -> list[list[str]]:
    return [[f"{t.account_id[0]}:{t.region}" for t in wave] for wave in split]


def test_the_canarys_targets_come_first_then_the_rest_in_equal_waves_in_the_plans_order() -> None:
    targets = plan(*(f"{i}" * 12 for i in range(1, 9)))  # 8 accounts

    split = waves.split(targets, [f"{5}" * 12], Waves(count=3))

    assert ids(split) == [
        ["5:eu-west-1"],
        ["1:eu-west-1", "2:eu-west-1", "3:eu-west-1"],
        ["4:eu-west-1", "6:eu-west-1"],
        ["7:eu-west-1", "8:eu-west-1"],
    ]


def test_an_ou_matches_every_region_of_the_accounts_whose_path_holds_it() -> None:
    targets = plan(A, B, C, regions=("eu-west-1", "us-east-1"))
    parents = {A: ("r-ab12",), B: ("r-ab12", OU), C: ("r-ab12", "ou-ab12-other000")}

    split = waves.split(targets, [OU], None, parents)

    assert ids(split) == [
        ["2:eu-west-1", "2:us-east-1"],
        ["1:eu-west-1", "1:us-east-1", "3:eu-west-1", "3:us-east-1"],
    ]


def test_percentages_are_cumulative_shares_of_every_target_rounded_up_and_the_canary_counts() -> None:
    targets = plan(*(f"{i}" * 12 for i in range(1, 10)))  # 9 targets: 10% is 1, 50% is 5 (4.5 rounded up)

    assert [len(w) for w in waves.split(targets, (), Waves(percents=(10, 50, 100)))] == [1, 4, 4]
    # a 3-target canary already passes the 10% cut: that wave is gone, no wave is empty
    canary = waves.split(targets, ["1" * 12, "2" * 12, "3" * 12], Waves(percents=(10, 50, 100)))
    assert [len(w) for w in canary] == [3, 2, 4]


def test_more_waves_than_targets_gives_one_target_a_wave_and_no_empty_wave() -> None:
    assert [len(w) for w in waves.split(plan(A, B), (), Waves(count=5))] == [1, 1]
    assert waves.split((), (), Waves(count=3)) == [()]


def test_a_canary_of_every_target_is_the_only_wave() -> None:
    assert ids(waves.split(plan(A, B), [A, B], Waves(count=2))) == [["1:eu-west-1", "2:eu-west-1"]]


def test_every_target_is_in_exactly_one_wave() -> None:
    targets = plan(*(f"{i}" * 12 for i in range(1, 10)), regions=("eu-west-1", "us-east-1"))

    for spec in (Waves(count=4), Waves(percents=(5, 33, 34, 100)), None):
        split = waves.split(targets, ["4" * 12, "9" * 12], spec)
        flat = [t for wave in split for t in wave]
        assert sorted(flat, key=targets.index) == list(targets) and len(flat) == len(set(flat))
        assert all(split)


def test_canary_ids_that_match_no_planned_target_are_refused_all_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        waves.split(plan(A), [C, A, OU], None, {A: ("r-ab12",)})

    assert str(caught.value) == (
        f"Canary: {C} (Canary[0]), {OU} (Canary[2]) match no planned target of this run: a canary account must be "
        "selected by the run's Accounts filters, ACTIVE and have a region to run in (an OU or root: hold such an "
        "account); fix or remove it"
    )


def test_an_ou_id_never_matches_an_account_id_and_an_account_id_never_an_ou() -> None:
    assert waves.in_canary(Target(A, "a", "eu-west-1"), [A, OU], {A: (OU,)}) == [A, OU]
    assert waves.in_canary(Target(B, "b", "eu-west-1"), [A], {B: (A,)}) == []


# -- the gate --------------------------------------------------------------------------------------
def test_a_wave_tallies_failed_and_missing_statuses_as_failures_and_not_run_apart() -> None:
    wave = plan(A, B, C, "444444444444")
    statuses = {(A, "eu-west-1"): store.SUCCEEDED, (B, "eu-west-1"): store.FAILED, (C, "eu-west-1"): store.NOT_RUN}

    assert waves.tally(2, wave, statuses) == WaveTally(number=2, targets=4, failed=2, not_run=1)


@pytest.mark.parametrize(
    ("finished", "budget", "allowed"),
    [
        ([WaveTally(1, 2, 0, 0)], Budget(), True),
        ([WaveTally(1, 2, 1, 0)], Budget(), False),  # no MaxErrors: a wave must finish clean
        ([WaveTally(1, 2, 1, 0), WaveTally(2, 5, 1, 0)], Budget(limit=2), True),  # 2 in all: not more than 2
        ([WaveTally(1, 2, 1, 0), WaveTally(2, 5, 2, 0)], Budget(limit=2), False),  # 3 in all
        ([WaveTally(1, 4, 1, 0)], Budget(percent=25), True),  # 25% of the wave
        ([WaveTally(1, 3, 1, 0)], Budget(percent=25), False),  # 33.3%
        ([WaveTally(1, 10, 5, 0), WaveTally(2, 10, 1, 0)], Budget(percent=10), True),  # this wave's rate only
        ([WaveTally(1, 4, 0, 1)], Budget(limit=5), False),  # MaxErrors stopped the wave: never go on
    ],
)
def test_the_budget_decides_whether_the_next_wave_starts(
    finished: list[WaveTally], budget: Budget, allowed: bool
) -> None:
    assert waves.budget_allows(finished, budget) is allowed


def test_the_budget_is_read_from_the_run_item_as_maxerrors_was_given() -> None:
    assert Budget.of_run({"planned": 8}) == Budget()
    assert Budget.of_run({"max_errors": 3, "max_errors_input": "3"}) == Budget(limit=3)
    assert Budget.of_run({"max_errors": 2, "max_errors_input": "25%"}) == Budget(percent=25)


@pytest.mark.parametrize(
    ("finished", "budget", "why"),
    [
        ([WaveTally(1, 2, 1, 0)], Budget(),
         "wave 1 of 3 (canary, 2 targets): 1 failed, more than the 0 failures allowed without MaxErrors"),
        ([WaveTally(1, 2, 1, 0), WaveTally(2, 19, 2, 0)], Budget(limit=2),
         "wave 2 of 3 (19 targets): 2 failed (3 in waves 1 to 2), more than MaxErrors 2 allows"),
        ([WaveTally(1, 1, 1, 0)], Budget(limit=0),
         "wave 1 of 3 (canary, 1 target): 1 failed, more than MaxErrors 0 allows"),
        ([WaveTally(1, 3, 1, 0)], Budget(percent=25),
         "wave 1 of 3 (canary, 3 targets): 1 failed (33.3% of the wave), more than MaxErrors 25% allows"),
        ([WaveTally(1, 4, 1, 2)], Budget(limit=1),
         "wave 1 of 3 (canary, 4 targets): 1 failed and 2 not run (MaxErrors stopped starting targets), so the "
         "next wave does not start"),
    ],
)  # fmt: skip
def test_the_stop_reason_names_the_wave_its_failures_and_the_budget(
    finished: list[WaveTally], budget: Budget, why: str
) -> None:
    stop = waves.stop_reason(finished, 3, True, budget, 38)

    assert stop is not None
    assert stop.summary == f"{why}; 38 targets not run"
    assert stop.target_message == (
        f"not run: {why}, so the later waves never started; orgops run OPERATION --retry-failed EXECUTION_ARN runs "
        "the failed and not-run targets"
    )


def test_within_the_budget_there_is_no_stop_reason() -> None:
    assert waves.stop_reason([WaveTally(1, 2, 0, 0)], 3, True, Budget(), 38) is None


def test_the_state_of_a_run_without_waves_is_one_wave() -> None:
    assert waves.state(1, 1, 40) == {"Count": 1, "Number": 1, "Remaining": 0, "Stopped": False, "Targets": 40}


def test_the_reports_waves_count_each_waves_targets_failures_and_not_run_ones() -> None:
    first, second = plan(A, B), plan(C)
    statuses = {(A, "eu-west-1"): store.FAILED, (B, "eu-west-1"): store.SUCCEEDED, (C, "eu-west-1"): store.NOT_RUN}

    assert waves.summary([first, second], statuses) == [
        {"Wave": 1, "Targets": 2, "Failed": 1},
        {"Wave": 2, "Targets": 1, "Failed": 0, "NotRun": 1},
    ]
