"""The organization inventory's logic: rates, the rate limiter, items, staleness, events."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgops import inventory, org
from orgops.inventory import Needs, Record

NOW = 1_700_000_000.0
A, B, C, D = "111111111111", "222222222222", "333333333333", "444444444444"


# -- rates and the limiter ------------------------------------------------------------------------------
def test_the_documented_and_assumed_rates() -> None:
    documented_and_assumed = {
        "account:ListRegions": inventory.Rate(per_second=5.0, burst=5),
        "organizations": inventory.Rate(per_second=5.0, burst=5),
    }
    assert documented_and_assumed == inventory.RATES


@pytest.mark.parametrize(
    ("service", "operation", "family"),
    [
        ("organizations", "ListTagsForResource", "organizations"),
        ("organizations", "ListAccounts", "organizations"),
        ("account", "ListRegions", "account:ListRegions"),
        ("account", "GetAlternateContact", "account"),
        ("dynamodb", "Scan", "dynamodb"),
    ],
)
def test_each_call_is_charged_to_its_family(service: str, operation: str, family: str) -> None:
    assert inventory.family(service, operation) == family


def test_a_bucket_lets_its_burst_through_then_one_call_per_interval() -> None:
    clock = inventory.SimulatedClock()
    limiter = inventory.RateLimiter(clock)

    for _ in range(5):
        limiter.acquire(inventory.LIST_REGIONS)
    assert clock.now() == 0.0
    limiter.acquire(inventory.LIST_REGIONS)
    assert clock.now() == pytest.approx(0.2)
    for _ in range(10):
        limiter.acquire(inventory.LIST_REGIONS)
    assert clock.now() == pytest.approx(2.2)
    assert limiter.calls == {inventory.LIST_REGIONS: 16}


def test_families_wait_on_their_own_buckets_and_latencies_are_charged_when_asked() -> None:
    clock = inventory.SimulatedClock()
    limiter = inventory.RateLimiter(clock, latencies={"dynamodb": 0.01})

    for _ in range(15):  # alternating: each family pays only for its own calls
        limiter.acquire(inventory.ORGANIZATIONS)
        limiter.acquire(inventory.LIST_REGIONS)
    limiter.acquire("dynamodb")

    assert clock.now() == pytest.approx(10 / 5 + 0.01)


def test_an_idle_bucket_refills_up_to_its_burst() -> None:
    clock = inventory.SimulatedClock()
    limiter = inventory.RateLimiter(clock)
    for _ in range(5):
        limiter.acquire(inventory.ORGANIZATIONS)
    clock.sleep(60)

    for _ in range(5):
        limiter.acquire(inventory.ORGANIZATIONS)

    assert clock.now() == 60.0


def test_the_limiter_paces_every_call_of_a_session(aws) -> None:
    clock = inventory.SimulatedClock()
    limiter = inventory.RateLimiter(clock)
    session = limiter.attach(aws)
    orgs = session.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")

    for _ in range(10):
        orgs.list_roots()

    assert limiter.calls[inventory.ORGANIZATIONS] == 11
    assert clock.now() == pytest.approx(6 / 5)


def test_seconds_for_adds_families_and_interleaved_takes_the_slowest() -> None:
    calls = {inventory.ORGANIZATIONS: 10_000, inventory.LIST_REGIONS: 5_000, "dynamodb": 99}

    assert inventory.seconds_for(calls) == 3_000
    assert inventory.interleaved_seconds(calls) == 2_000


@pytest.mark.parametrize(("seconds", "fit"), [(240, 1200), (100, 500), (0.19, 0), (-5, 0)])
def test_capacity_is_the_accounts_whose_tags_and_regions_fit(seconds: float, fit: int) -> None:
    assert inventory.capacity(seconds) == fit


# -- items ------------------------------------------------------------------------------------------------
names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
records = st.builds(
    Record,
    account_id=st.from_regex(r"\A[0-9]{12}\Z"),
    name=names,
    email=names,
    status=st.sampled_from(["ACTIVE", "SUSPENDED", "PENDING_CLOSURE"]),
    parent_ids=st.lists(st.from_regex(r"\Aou-[a-z0-9]{4}-[a-z0-9]{8}\Z"), max_size=4).map(tuple),
    ou_names=st.lists(names, max_size=4).map(tuple),
    tags=st.dictionaries(names.filter(bool), names, max_size=5),
    regions=st.none() | st.lists(st.sampled_from(["us-east-1", "af-south-1", "eu-west-1"]), unique=True).map(tuple),
    refreshed_at=st.floats(min_value=0, max_value=4e9, allow_nan=False),
)


@given(records)
def test_an_item_decodes_to_the_record_it_encodes(record: Record) -> None:
    assert inventory.decode(inventory.encode(record)) == record


def test_the_item_layout() -> None:
    record = Record(
        A, "prod", "p@example.com", "ACTIVE", ("r-1", "ou-1"), ("Root", "Prod"), {"env": "prod"}, ("us-east-1",), NOW
    )

    assert inventory.encode(record) == {
        "account_id": {"S": A},
        "name": {"S": "prod"},
        "email": {"S": "p@example.com"},
        "status": {"S": "ACTIVE"},
        "parent_ids": {"L": [{"S": "r-1"}, {"S": "ou-1"}]},
        "ou_names": {"L": [{"S": "Root"}, {"S": "Prod"}]},
        "tags": {"M": {"env": {"S": "prod"}}},
        "regions": {"L": [{"S": "us-east-1"}]},
        "refreshed_at": {"N": "1700000000.0"},
    }
    assert record.ou_path == "Root/Prod"
    assert record.account() == org.Account(A, "prod", "p@example.com", "ACTIVE", ("r-1", "ou-1"), {"env": "prod"})


@pytest.mark.parametrize(
    ("refreshed_at", "fresh"), [(0.0, False), (NOW, True), (NOW - 24 * 3600, True), (NOW - 24 * 3600 - 1, False)]
)
def test_an_item_is_fresh_for_a_day_and_never_when_never_refreshed(refreshed_at: float, fresh: bool) -> None:
    assert Record(A, "a", refreshed_at=refreshed_at).fresh(NOW) is fresh


# -- the schedule ---------------------------------------------------------------------------------------
def test_stalest_takes_the_oldest_first_never_refreshed_before_all_ties_by_id() -> None:
    items = [
        Record(D, "d", refreshed_at=5),
        Record(C, "c", refreshed_at=0),
        Record(B, "b", refreshed_at=5),
        Record(A, "a", refreshed_at=9),
    ]

    assert [r.account_id for r in inventory.stalest(items, 3)] == [C, B, D]
    assert inventory.stalest(items, 0) == []


def test_membership_adds_new_accounts_rewrites_changed_ones_and_drops_the_departed() -> None:
    kept = Record(A, "a", "a@x", "ACTIVE", ("r",), ("Root",), {"k": "v"}, ("us-east-1",), NOW)
    moved = Record(B, "b", "b@x", "ACTIVE", ("r",), ("Root",), {"k": "v"}, ("us-east-1",), NOW)
    gone = Record(D, "d", refreshed_at=NOW)
    listed = [
        org.Account(A, "a", "a@x", "ACTIVE", ("r",)),
        org.Account(B, "b", "b@x", "SUSPENDED", ("r", "ou")),
        org.Account(C, "c", "c@x", "ACTIVE", ("r",)),
    ]
    placements = {
        A: org.Placement(("r",), ("Root",)),
        B: org.Placement(("r", "ou"), ("Root", "Ops")),
        C: org.Placement(("r",), ("Root",)),
    }

    change = inventory.membership({A: kept, B: moved, D: gone}, listed, placements)

    assert change.added == (Record(C, "c", "c@x", "ACTIVE", ("r",), ("Root",)),)
    assert change.changed == (
        Record(B, "b", "b@x", "SUSPENDED", ("r", "ou"), ("Root", "Ops"), {"k": "v"}, ("us-east-1",), NOW),
    )
    assert change.removed == (D,)


# -- what the fanout looks up ----------------------------------------------------------------------------
LISTED = [org.Account(A, "a"), org.Account(B, "b"), org.Account(C, "c", status="SUSPENDED"), org.Account(D, "d")]


def test_the_fanout_looks_up_the_accounts_missing_stale_or_without_regions_it_needs() -> None:
    items = {
        A: Record(A, "a", regions=("us-east-1",), refreshed_at=NOW),  # fresh
        B: Record(B, "b", regions=None, refreshed_at=NOW),  # fresh, but no regions for an ACTIVE account
        C: Record(C, "c", status="SUSPENDED", regions=None, refreshed_at=NOW),  # inactive: no regions needed
        # D: missing
    }

    with_regions = inventory.to_look_up(LISTED, items, (), (), Needs(tags=True, regions=True), NOW)
    tags_only = inventory.to_look_up(LISTED, items, (), (), Needs(tags=True), NOW)
    stale = inventory.to_look_up(LISTED, items, (), (), Needs(tags=True), NOW + 25 * 3600)

    assert [a.id for a in with_regions] == [B, D]
    assert [a.id for a in tags_only] == [D]
    assert [a.id for a in stale] == [A, B, C, D]


def test_accounts_include_and_exclude_rule_out_are_never_looked_up() -> None:
    missing = inventory.to_look_up(LISTED, {}, (A, B, C), (B,), Needs(tags=True), NOW)

    assert [a.id for a in missing] == [A, C]


def test_lookup_calls_count_what_the_filters_need() -> None:
    missing = LISTED  # three ACTIVE, one SUSPENDED

    assert inventory.lookup_calls(missing, Needs(tags=True, regions=True)) == {
        "organizations": 4,
        "account:ListRegions": 3,
    }
    assert inventory.lookup_calls(missing, Needs(parents=True, tags=True)) == {
        "organizations": 8,
        "account:ListRegions": 0,
    }


def test_known_units_are_every_prefix_of_the_items_paths() -> None:
    items = [
        Record(A, "a", parent_ids=("r", "ou-1", "ou-2"), ou_names=("Root", "One", "Two")),
        Record(B, "b", parent_ids=("r",), ou_names=("Root",)),
    ]

    assert inventory.known_units(items) == {
        "r": org.Placement(("r",), ("Root",)),
        "ou-1": org.Placement(("r", "ou-1"), ("Root", "One")),
        "ou-2": org.Placement(("r", "ou-1", "ou-2"), ("Root", "One", "Two")),
    }


def test_the_refusal_names_the_count_the_time_and_the_fix() -> None:
    error = inventory.InventoryIncomplete(412, 165.2, 138.7, 240, 24 * 3600)

    assert error.code == "InventoryIncomplete"
    assert str(error) == (
        "412 of the selected accounts are not in the organization inventory or were refreshed more than 24 hours "
        "ago: reading them live would take about 166 s at AWS's request rates, and 138 s of the fanout's 240 s are "
        'left. Refresh the inventory (invoke the inventory function with {"Refresh": "stalest"} until it reports no '
        "stale account left, or wait for its schedule) and start the run again; nothing was run."
    )


# -- events -------------------------------------------------------------------------------------------------
def cloudtrail(name: str, detail_type: str = inventory.CLOUDTRAIL_CALL, **detail: object) -> dict[str, object]:
    return {"source": "aws.organizations", "detail-type": detail_type, "detail": {"eventName": name, **detail}}


@pytest.mark.parametrize(
    ("event", "action"),
    [
        ({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, inventory.Action("scheduled")),
        ({"Refresh": "stalest"}, inventory.Action("scheduled")),
        (cloudtrail("TagResource", requestParameters={"resourceId": A}), inventory.Action("refresh", A)),
        (cloudtrail("UntagResource", requestParameters={"resourceId": A}), inventory.Action("refresh", A)),
        (cloudtrail("MoveAccount", requestParameters={"accountId": A}), inventory.Action("refresh", A)),
        (cloudtrail("CloseAccount", requestParameters={"accountId": A}), inventory.Action("refresh", A)),
        (cloudtrail("AcceptHandshake", userIdentity={"accountId": A}), inventory.Action("refresh", A)),
        (
            cloudtrail(
                "CreateAccount", responseElements={"createAccountStatus": {"accountId": A, "state": "SUCCEEDED"}}
            ),
            inventory.Action("refresh", A),
        ),
        (
            cloudtrail(
                "CreateAccountResult",
                inventory.CLOUDTRAIL_SERVICE_EVENT,
                serviceEventDetails={"createAccountStatus": {"accountId": A, "state": "SUCCEEDED"}},
            ),
            inventory.Action("refresh", A),
        ),
        (
            cloudtrail("RemoveAccountFromOrganization", requestParameters={"accountId": A}),
            inventory.Action("remove", A),
        ),
        (cloudtrail("LeaveOrganization", userIdentity={"accountId": A}), inventory.Action("remove", A)),
        (
            cloudtrail("UpdateOrganizationalUnit", requestParameters={"organizationalUnitId": "ou-ab12-cd34ef56"}),
            inventory.Action("rename", "ou-ab12-cd34ef56"),
        ),
        (
            {
                "source": "aws.account",
                "detail-type": "Region Opt-In Status Change",
                "detail": {"accountId": A, "regionName": "af-south-1", "status": "ENABLED"},
            },
            inventory.Action("refresh", A),
        ),
    ],
)
def test_each_event_names_what_to_do(event: dict[str, object], action: inventory.Action) -> None:
    assert inventory.event_action(event) == action


@pytest.mark.parametrize(
    "event",
    [
        cloudtrail("TagResource", requestParameters={"resourceId": "ou-ab12-cd34ef56"}),  # an OU's tags
        cloudtrail("TagResource", requestParameters={"resourceId": A}, errorCode="AccessDenied"),
        cloudtrail("CreateAccount", responseElements={"createAccountStatus": {"state": "IN_PROGRESS"}}),
        cloudtrail(
            "CreateAccountResult",
            inventory.CLOUDTRAIL_SERVICE_EVENT,
            serviceEventDetails={"createAccountStatus": {"accountId": A, "state": "FAILED"}},
        ),
        cloudtrail("CreatePolicy"),
        {"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}},
        {},
    ],
)
def test_other_events_change_nothing(event: dict[str, object]) -> None:
    assert inventory.event_action(event).kind == inventory.IGNORE


def test_a_renamed_ou_changes_the_paths_through_it_only() -> None:
    under = Record(A, "a", parent_ids=("r", "ou-1", "ou-2"), ou_names=("Root", "Old", "Two"))
    other = Record(B, "b", parent_ids=("r", "ou-3"), ou_names=("Root", "Three"))

    assert inventory.renamed([under, other], "ou-1", "New") == [
        Record(A, "a", parent_ids=("r", "ou-1", "ou-2"), ou_names=("Root", "New", "Two"))
    ]


def test_the_schedule_and_budget_constants_agree() -> None:
    # A 240 s run at 5 ListRegions per second reads at most 1,200 accounts' regions.
    assert inventory.capacity(inventory.REFRESH_BUDGET_SECONDS) == 1200
    assert math.isclose(inventory.FANOUT_BUDGET_SECONDS + 50, 290)
