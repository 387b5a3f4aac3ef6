"""The organization inventory: each account's name, status, OU path, tags and enabled regions.

Why: ``Regions: "ALL"`` needs every selected account's enabled regions (``account:ListRegions``,
one call per account) and an ``Accounts.Tags`` filter every account's tags
(``organizations:ListTagsForResource``, one call per account). At AWS's rates (below) that is
10,000 x (1/5 + 1/5) s = over an hour for 10,000 accounts, one call after another in one
Lambda, far past the fanout's 300 s. So the inventory Lambda (``orgops.handlers.inventory``)
keeps one DynamoDB item per account, refreshed by the events Organizations and Account
Management emit (an account tagged, moved, created, removed, closed; a region opted in) and by a
schedule that walks the OU tree (membership, status, OU path of every account) and re-reads the
tags and regions of the stalest accounts that fit its time budget. The fanout then still lists
the accounts (``ListAccounts``: who is a member, and their status, are read at run time) but
takes tags, OU path and regions from the inventory; an account the inventory lacks, or refreshed
longer ago than ``MAX_AGE_SECONDS``, is read live, within the fanout's time budget; when more
are missing than fit, the fanout fails naming the count and the fix (``InventoryIncomplete``)
instead of skipping anything.

This module is the logic without the Lambda: the rates and a rate limiter on an injectable
clock (the bench and tests charge each call its documented cost on a simulated clock), the
item encoding, which accounts the fanout must look up, which ones the schedule refreshes, and
the reads and writes of the table. ``orgops.org`` reads Organizations.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import boto3

from orgops import org, store
from orgops.errors import OrgopsError
from orgops.sessions import client

# -- AWS's request rates ------------------------------------------------------------------------------
ORGANIZATIONS = "organizations"  # every Organizations call of one caller (see the assumption below)
LIST_REGIONS = "account:ListRegions"


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int


# "Rate of ListRegions requests per account: 5 per second, burst to 5 per second" (Quotas for AWS
# Account Management, https://docs.aws.amazon.com/accounts/latest/reference/quotas.html). The
# caller is the management account (the org-reader), whatever AccountId names: every ListRegions
# orgops makes shares this one bucket.
LIST_REGIONS_RATE = Rate(per_second=5.0, burst=5)
# ASSUMED, not documented: AWS publishes no request rate for the Organizations API (its quotas page
# lists entity counts; https://github.com/awsdocs/aws-organizations-docs/issues/39 asked for the
# throttling limits and was closed unanswered), and TooManyRequestsException is reported from
# loops of one call per account over about 250-500 accounts (a small burst over a sustained
# rate). We assume every Organizations read of one caller shares one bucket of 5 requests per
# second with a burst of 5, the same as Account Management's documented read rates. Every figure
# below scales with it: at 10 per second, every Organizations part takes half as long.
ORGANIZATIONS_RATE = Rate(per_second=5.0, burst=5)
RATES: Mapping[str, Rate] = {ORGANIZATIONS: ORGANIZATIONS_RATE, LIST_REGIONS: LIST_REGIONS_RATE}
# Assumed latency of one request to a service that is not the limit here (on-demand DynamoDB, S3,
# STS): only the simulated clock of the bench and the tests charges it; nothing sleeps for it.
LATENCIES: Mapping[str, float] = {"dynamodb": 0.010, "s3": 0.020, "sts": 0.020}

# An item refreshed longer ago than this is not trusted: the fanout reads that account live. The
# schedule re-reads every account's tags and regions in about 3.3 hours at 10,000 accounts
# (``make bench``), events in between; a day leaves room for a refresh that failed a few times.
MAX_AGE_SECONDS = 24 * 3600
# What the fanout may spend, from its start, before it writes the targets: its Lambda times out at
# 290 s (modules/platform), and writing 100,000 targets and the skipped statuses takes well under 50 s.
FANOUT_BUDGET_SECONDS = 240.0
# The inventory Lambda's own budget per run (its timeout is 300 s).
REFRESH_BUDGET_SECONDS = 240.0
REFRESH_SCHEDULE = "rate(10 minutes)"  # modules/platform's default inventory_schedule


def family(service: str, operation: str) -> str:
    """The rate bucket (or latency) a call is charged to: ``organizations``, ``account:ListRegions``,
    or the service name."""
    if service == "organizations":
        return ORGANIZATIONS
    if service == "account" and operation == "ListRegions":
        return LIST_REGIONS
    return service


def seconds_for(calls: Mapping[str, int], rates: Mapping[str, Rate] = RATES) -> float:
    """How long ``calls`` (family -> count) take at ``rates`` when each family's calls come in a
    phase of their own (no burst counted: an upper bound, so a budget decided with it holds)."""
    return sum(n / rates[f].per_second for f, n in calls.items() if n and f in rates)


def interleaved_seconds(calls: Mapping[str, int], rates: Mapping[str, Rate] = RATES) -> float:
    """How long ``calls`` take when the families alternate (one account's calls after another's):
    each family waits on its own bucket only, so the slowest family sets the pace."""
    return max((n / rates[f].per_second for f, n in calls.items() if n and f in rates), default=0.0)


# -- clocks and the rate limiter ------------------------------------------------------------------------
class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SimulatedClock:
    """A clock that only moves when slept on: what AWS's rates would make the code wait."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.t += seconds


class TokenBucket:
    """``rate.burst`` calls at once, then one every ``1 / rate.per_second`` seconds."""

    def __init__(self, rate: Rate, now: float) -> None:
        self.rate = rate
        self.tokens = float(rate.burst)
        self.updated = now

    def wait(self, now: float) -> float:
        """Take one token at ``now``; returns how long the call must wait for it first."""
        self.tokens = min(float(self.rate.burst), self.tokens + (now - self.updated) * self.rate.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        delay = (1 - self.tokens) / self.rate.per_second
        self.tokens = 0.0
        self.updated = now + delay
        return delay


class RateLimiter:
    """Token buckets per rate family on a clock: ``acquire`` waits until a call fits its rate.

    Attached to a ``boto3.Session`` (``attach``), every call of every client made from it afterwards
    is paced (a ``before-call`` handler, botocore's public event system). The inventory Lambda
    paces itself with the real clock, so it never runs into throttling; the bench and the tests
    attach one with a ``SimulatedClock`` and ``LATENCIES`` as the model of AWS: the clock then
    reads what the documented rates would make the code take. ``calls`` counts per family.
    """

    def __init__(
        self, clock: Clock, rates: Mapping[str, Rate] = RATES, latencies: Mapping[str, float] | None = None
    ) -> None:
        self.clock = clock
        self.rates = dict(rates)
        self.latencies = dict(latencies or {})
        self.calls: Counter[str] = Counter()
        self._buckets: dict[str, TokenBucket] = {}

    def acquire(self, name: str) -> None:
        self.calls[name] += 1
        rate = self.rates.get(name)
        if rate is not None:
            bucket = self._buckets.setdefault(name, TokenBucket(rate, self.clock.now()))
            self.clock.sleep(bucket.wait(self.clock.now()))
        self.clock.sleep(self.latencies.get(name, 0.0))

    def _before_call(self, model: Any, **_: Any) -> None:
        self.acquire(family(model.service_model.service_name, model.name))
        # None: the call goes ahead (a value here would replace AWS's answer).

    def attach(self, session: boto3.Session) -> boto3.Session:
        """Pace every client ``session`` creates from now on; returns ``session``."""
        session.events.register("before-call", self._before_call, unique_id=f"orgops-rate-limiter-{id(self)}")
        return session


# -- the item ---------------------------------------------------------------------------------------------
HASH_KEY = "account_id"
ACCOUNT_ID = re.compile(r"\A[0-9]{12}\Z")


@dataclass(frozen=True)
class Record:
    """One account as the inventory keeps it.

    ``parent_ids`` run from the root down to the account's parent, ``ou_names`` are their names
    (the root's first, ``Root``); ``regions`` are the enabled ones (opt-in regions only once
    opted in), sorted, or None when they were not listed (an account not ACTIVE at the time);
    ``refreshed_at`` is when tags and regions were last read (epoch seconds; 0: never).
    """

    account_id: str
    name: str
    email: str = ""
    status: str = "ACTIVE"
    parent_ids: tuple[str, ...] = ()
    ou_names: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    regions: tuple[str, ...] | None = None
    refreshed_at: float = 0.0

    @property
    def ou_path(self) -> str:
        """``Root/Workloads/Prod``: the names from the root down to the parent."""
        return "/".join(self.ou_names)

    def fresh(self, now: float, max_age: float = MAX_AGE_SECONDS) -> bool:
        return self.refreshed_at > 0 and now - self.refreshed_at <= max_age

    def account(self, status: str | None = None) -> org.Account:
        return org.Account(
            id=self.account_id,
            name=self.name,
            email=self.email,
            status=status or self.status,
            parents=self.parent_ids,
            tags=dict(self.tags),
        )


def _strings(values: Iterable[str]) -> dict[str, Any]:
    return {"L": [{"S": v} for v in values]}


def encode(record: Record) -> dict[str, Any]:
    """The DynamoDB item (attribute-value form) of ``record``."""
    return {
        HASH_KEY: {"S": record.account_id},
        "name": {"S": record.name},
        "email": {"S": record.email},
        "status": {"S": record.status},
        "parent_ids": _strings(record.parent_ids),
        "ou_names": _strings(record.ou_names),
        "tags": {"M": {k: {"S": v} for k, v in sorted(record.tags.items())}},
        "regions": {"NULL": True} if record.regions is None else _strings(record.regions),
        "refreshed_at": {"N": repr(float(record.refreshed_at))},
    }


def _list(item: Mapping[str, Any], name: str) -> tuple[str, ...]:
    return tuple(v["S"] for v in item.get(name, {}).get("L", []))


def decode(item: Mapping[str, Any]) -> Record:
    regions = item.get("regions", {"NULL": True})
    return Record(
        account_id=item[HASH_KEY]["S"],
        name=item.get("name", {}).get("S", ""),
        email=item.get("email", {}).get("S", ""),
        status=item.get("status", {}).get("S", "ACTIVE"),
        parent_ids=_list(item, "parent_ids"),
        ou_names=_list(item, "ou_names"),
        tags={k: v["S"] for k, v in item.get("tags", {}).get("M", {}).items()},
        regions=None if "L" not in regions else tuple(v["S"] for v in regions["L"]),
        refreshed_at=float(item.get("refreshed_at", {}).get("N", "0")),
    )


# -- the table --------------------------------------------------------------------------------------------
def read_all(ddb: Any, table: str) -> dict[str, Record]:
    """Every account item of the table (a Scan: 1 MB pages, about 10 for 10,000 accounts)."""
    records: dict[str, Record] = {}
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            account_id = item.get(HASH_KEY, {}).get("S", "")
            if ACCOUNT_ID.match(account_id):
                records[account_id] = decode(item)
    return records


def write(ddb: Any, table: str, records: Iterable[Record]) -> int:
    """Put whole items, 25 a request; returns how many."""
    return store.batch_write(ddb, table, (encode(r) for r in records))


def update_membership(ddb: Any, table: str, record: Record) -> None:
    """Rewrite only what a walk of the tree reads (name, email, status, OU path): tags and regions an
    event wrote meanwhile stay."""
    ddb.update_item(
        TableName=table,
        Key={HASH_KEY: {"S": record.account_id}},
        UpdateExpression="SET #n = :n, email = :e, #s = :s, parent_ids = :p, ou_names = :o",
        ExpressionAttributeNames={"#n": "name", "#s": "status"},
        ExpressionAttributeValues={
            ":n": {"S": record.name},
            ":e": {"S": record.email},
            ":s": {"S": record.status},
            ":p": _strings(record.parent_ids),
            ":o": _strings(record.ou_names),
        },
    )


def delete(ddb: Any, table: str, account_ids: Iterable[str]) -> int:
    count = 0
    for account_id in account_ids:
        ddb.delete_item(TableName=table, Key={HASH_KEY: {"S": account_id}})
        count += 1
    return count


# -- the scheduled refresh: membership from the walk, then the stalest accounts' details ---------------
@dataclass(frozen=True)
class Membership:
    """What a walk changes: accounts to add (never refreshed yet), to rewrite, to drop."""

    added: tuple[Record, ...]
    changed: tuple[Record, ...]
    removed: tuple[str, ...]


def membership(
    records: Mapping[str, Record], listed: Sequence[org.Account], placements: Mapping[str, org.Placement]
) -> Membership:
    """Compare the walk (``org.walk``) with the items: new accounts, changed name/email/status/OU
    path (tags, regions and ``refreshed_at`` kept), and items of accounts no longer in the
    organization."""
    added, changed = [], []
    for account in sorted(listed, key=lambda a: a.id):
        where = placements.get(account.id, org.Placement(account.parents, ()))
        current = records.get(account.id)
        if current is None:
            added.append(Record(account.id, account.name, account.email, account.status, where.parent_ids, where.names))
            continue
        updated = replace(
            current,
            name=account.name,
            email=account.email,
            status=account.status,
            parent_ids=where.parent_ids,
            ou_names=where.names,
        )
        if updated != current:
            changed.append(updated)
    present = {a.id for a in listed}
    return Membership(tuple(added), tuple(changed), tuple(sorted(set(records) - present)))


def stalest(records: Iterable[Record], count: int) -> list[Record]:
    """The ``count`` records refreshed longest ago (never-refreshed first), oldest first, ties by id."""
    return sorted(records, key=lambda r: (r.refreshed_at, r.account_id))[: max(count, 0)]


DETAIL_CALLS = {ORGANIZATIONS: 1, LIST_REGIONS: 1}  # ListTagsForResource, ListRegions


def capacity(
    seconds_left: float, calls_each: Mapping[str, int] = DETAIL_CALLS, rates: Mapping[str, Rate] = RATES
) -> int:
    """How many accounts' details fit in ``seconds_left``: the refresh reads one account's tags
    (Organizations) then its regions (ListRegions), account after account, so each account costs
    ``interleaved_seconds`` (0.2 s at 5/s and 5/s)."""
    each = interleaved_seconds(calls_each, rates)
    return max(0, math.floor(seconds_left / each)) if each > 0 else 0


def details(
    org_client: Any,
    account_client: Any,
    own_id: str,
    record: Record,
    now: float,
    page_size: int = org.LIST_REGIONS_PAGE_SIZE,
) -> Record:
    """``record`` with its tags and (ACTIVE accounts only) enabled regions read now."""
    tags = org.account_tags(org_client, record.account_id)
    regions: tuple[str, ...] | None = None
    if record.status == "ACTIVE":
        listed = org.enabled_regions(
            None,  # both clients are given
            [record.account_id],
            account_client=account_client,
            own_account_id=own_id,
            page_size=page_size,
        )
        regions = tuple(listed[record.account_id])
    return replace(record, tags=tags, regions=regions, refreshed_at=now)


# -- what the fanout takes from the inventory --------------------------------------------------------
@dataclass(frozen=True)
class Needs:
    """What the run's filters and regions need of each account."""

    parents: bool = False  # an Accounts.OrganizationalUnits filter
    tags: bool = False  # an Accounts.Tags filter
    regions: bool = False  # Regions "ALL", or a named opt-in region

    def any(self) -> bool:
        return self.parents or self.tags or self.regions


class InventoryIncomplete(OrgopsError):
    """More selected accounts lack a fresh inventory item than the fanout can read live in time."""

    code = "InventoryIncomplete"

    def __init__(self, missing: int, seconds: float, left: float, budget: float, max_age: float) -> None:
        self.missing = missing
        super().__init__(
            f"{missing} of the selected accounts are not in the organization inventory or were refreshed more "
            f"than {max_age / 3600:g} hours ago: reading them live would take about {math.ceil(seconds)} s at "
            f"AWS's request rates, and {max(0, math.floor(left))} s of the fanout's {budget:g} s are left. "
            'Refresh the inventory (invoke the inventory function with {"Refresh": "stalest"} until it reports '
            "no stale account left, or wait for its schedule) and start the run again; nothing was run."
        )


def to_look_up(
    listed: Sequence[org.Account],
    records: Mapping[str, Record],
    include: Sequence[str],
    exclude: Sequence[str],
    needs: Needs,
    now: float,
    max_age: float = MAX_AGE_SECONDS,
) -> list[org.Account]:
    """The listed accounts the fanout must read live: not ruled out by Include/Exclude (known
    without any read), and without a fresh item holding what ``needs`` asks (an ACTIVE account's
    regions included)."""
    out = []
    for account in listed:
        if (include and account.id not in include) or account.id in exclude:
            continue
        record = records.get(account.id)
        if record is None or not record.fresh(now, max_age):
            out.append(account)
            continue
        if needs.regions and account.status == "ACTIVE" and record.regions is None:
            out.append(account)
    return out


def lookup_calls(missing: Sequence[org.Account], needs: Needs) -> dict[str, int]:
    """The calls reading ``missing`` live takes: ListParents, ListTagsForResource, ListRegions (ACTIVE
    ones). An OU no item names costs two more (ListParents, DescribeOrganizationalUnit)."""
    active = sum(1 for a in missing if a.status == "ACTIVE")
    return {
        ORGANIZATIONS: len(missing) * (int(needs.parents) + int(needs.tags)),
        LIST_REGIONS: active if needs.regions else 0,
    }


def known_units(records: Iterable[Record]) -> dict[str, org.Placement]:
    """Every unit an item's OU path goes through, with its own placement (OUs never move)."""
    known: dict[str, org.Placement] = {}
    for r in records:
        if len(r.ou_names) != len(r.parent_ids):
            continue
        for i, unit in enumerate(r.parent_ids):
            known.setdefault(unit, org.Placement(r.parent_ids[: i + 1], r.ou_names[: i + 1]))
    return known


RegionsFor = Callable[[list[str]], dict[str, list[str]]]


def fanout_accounts(
    mgmt: boto3.Session,
    ddb: Any,
    table: str,
    include: Sequence[str],
    exclude: Sequence[str],
    needs: Needs,
    *,
    clock: Clock,
    started: float,
    now: float,
    budget: float = FANOUT_BUDGET_SECONDS,
    max_age: float = MAX_AGE_SECONDS,
) -> tuple[list[org.Account], RegionsFor]:
    """The organization's accounts for the fanout, and a function giving accounts' enabled regions.

    ``ListAccounts`` says who is a member and their status; tags and OU path come from the
    inventory, or, for an account ``to_look_up`` names, from Organizations now (the budget is
    checked first: ``InventoryIncomplete`` when they cannot all be read in the time left).
    """
    org_client = client(mgmt, "organizations", "us-east-1")
    listed = list(org.list_accounts(org_client, page_size=org.ORGANIZATIONS_PAGE_SIZE))
    records = read_all(ddb, table)
    missing = to_look_up(listed, records, include, exclude, needs, now, max_age)
    if missing:
        seconds = seconds_for(lookup_calls(missing, needs))
        left = budget - (clock.now() - started)
        if seconds > left:
            raise InventoryIncomplete(len(missing), seconds, left, budget, max_age)
    live: dict[str, org.Account] = {}
    known = {**known_units(records.values()), **org.known_roots(org_client)} if missing and needs.parents else {}
    for account in missing:
        parents = org.placement(org_client, account.id, known).parent_ids if needs.parents else ()
        tags = org.account_tags(org_client, account.id) if needs.tags else {}
        live[account.id] = replace(account, parents=parents, tags=tags)
    # Name, email and status as ListAccounts says now; OU path and tags from the inventory.
    accounts = [
        live.get(a.id)
        or (replace(a, parents=records[a.id].parent_ids, tags=dict(records[a.id].tags)) if a.id in records else a)
        for a in listed
    ]

    def regions_for(account_ids: list[str]) -> dict[str, list[str]]:
        found = {i: list(records[i].regions or ()) for i in account_ids if i not in live and i in records}
        unread = [i for i in account_ids if i not in found]
        if unread:
            found.update(org.enabled_regions(mgmt, unread, page_size=org.LIST_REGIONS_PAGE_SIZE))
        return found

    return accounts, regions_for


# -- events ---------------------------------------------------------------------------------------------
REFRESH, REMOVE, RENAME, SCHEDULED, IGNORE = "refresh", "remove", "rename", "scheduled", "ignore"
CLOUDTRAIL_CALL = "AWS API Call via CloudTrail"
CLOUDTRAIL_SERVICE_EVENT = "AWS Service Event via CloudTrail"
REGION_OPT_IN = "Region Opt-In Status Change"  # Account Management's own event (EventBridge events reference)
# The Organizations calls that change what the inventory keeps, and where the account id is.
ACCOUNT_CALLS = {
    "TagResource": ("requestParameters", "resourceId"),
    "UntagResource": ("requestParameters", "resourceId"),
    "MoveAccount": ("requestParameters", "accountId"),
    "CloseAccount": ("requestParameters", "accountId"),
    "CreateAccount": ("responseElements", "createAccountStatus", "accountId"),
    "AcceptHandshake": ("userIdentity", "accountId"),  # the invited account accepts
}
REMOVAL_CALLS = {
    "RemoveAccountFromOrganization": ("requestParameters", "accountId"),
    "LeaveOrganization": ("userIdentity", "accountId"),
}
ORGANIZATIONS_EVENT_NAMES = (*ACCOUNT_CALLS, *REMOVAL_CALLS, "UpdateOrganizationalUnit", "CreateAccountResult")


@dataclass(frozen=True)
class Action:
    kind: str
    target: str = ""  # the account id (refresh, remove) or the OU id (rename)
    reason: str = ""


def _dig(value: Any, path: Sequence[str]) -> str:
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, str) else ""


def _account(kind: str, account_id: str, what: str) -> Action:
    if ACCOUNT_ID.match(account_id):
        return Action(kind, account_id)
    return Action(IGNORE, reason=f"{what}: no account id in the event (or not an account: {account_id!r})")


def event_action(event: Mapping[str, Any]) -> Action:
    """What an invocation asks: the schedule (or ``{"Refresh": "stalest"}``), one account to
    refresh or drop, an OU renamed, or nothing the inventory keeps."""
    if event.get("Refresh") == "stalest" or event.get("detail-type") == "Scheduled Event":
        return Action(SCHEDULED)
    raw = event.get("detail")
    detail: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    source, kind = event.get("source"), event.get("detail-type")
    if source == "aws.account" and kind == REGION_OPT_IN:
        return _account(REFRESH, _dig(detail, ("accountId",)), REGION_OPT_IN)
    if source != "aws.organizations" or kind not in (CLOUDTRAIL_CALL, CLOUDTRAIL_SERVICE_EVENT):
        return Action(IGNORE, reason=f"not an event the inventory follows: {source!r} {kind!r}")
    if detail.get("errorCode"):
        return Action(IGNORE, reason=f"{detail.get('eventName')} failed: {detail.get('errorCode')}")
    name = str(detail.get("eventName", ""))
    if name == "CreateAccountResult":
        status: Mapping[str, Any] = detail.get("serviceEventDetails", {}).get("createAccountStatus", {})
        if status.get("state") not in (None, "SUCCEEDED"):
            return Action(IGNORE, reason=f"CreateAccountResult {status.get('state')}")
        return _account(REFRESH, str(status.get("accountId", "")), name)
    if name in ACCOUNT_CALLS:
        return _account(REFRESH, _dig(detail, ACCOUNT_CALLS[name]), name)
    if name in REMOVAL_CALLS:
        return _account(REMOVE, _dig(detail, REMOVAL_CALLS[name]), name)
    if name == "UpdateOrganizationalUnit":
        ou = _dig(detail, ("requestParameters", "organizationalUnitId"))
        return Action(RENAME, ou) if ou else Action(IGNORE, reason="UpdateOrganizationalUnit without an OU id")
    return Action(IGNORE, reason=f"{name or 'an event'} changes nothing the inventory keeps")


def renamed(records: Iterable[Record], ou_id: str, name: str) -> list[Record]:
    """The records whose OU path goes through ``ou_id``, with its new name."""
    out = []
    for r in records:
        if ou_id in r.parent_ids and len(r.ou_names) == len(r.parent_ids):
            names = list(r.ou_names)
            names[r.parent_ids.index(ou_id)] = name
            if tuple(names) != r.ou_names:
                out.append(replace(r, ou_names=tuple(names)))
    return out
