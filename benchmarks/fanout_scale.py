"""``make bench``: the fanout at 10,000 accounts, ``Accounts.Tags`` + ``Regions: "ALL"``, at AWS's rates.

    python -m benchmarks.fanout_scale                 # the section, printed (about a minute)
    python -m benchmarks.fanout_scale --accounts 2000

The real handlers run against a synthetic organization: Organizations and Account Management are
answered in-process by ``FakeOrganization`` (as AWS answers them: pages of at most 20 accounts,
50 regions), DynamoDB and S3 by moto. Every call is charged what AWS's rates would make it take,
on a ``SimulatedClock``, by ``orgops.inventory.RateLimiter`` with ``RATES`` (ListRegions 5/s,
documented; Organizations 5/s, assumed: see ``orgops.inventory``) and ``LATENCIES`` (DynamoDB
10 ms, S3 and STS 20 ms a request, assumed). So the "AWS time" column is what the run would take
on AWS under those rates, and "here" is the wall time of the code in this process (moto
included). Measured: today's design (no inventory: one ListTagsForResource per account, then one
ListRegions per selected account, one after another), the fanout with a fresh inventory, the
same with 1% of the accounts missing from it (read live within the budget), the scheduled
refresh that fills and keeps the inventory, and the ``accounts`` operation both ways.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from orgops import inventory, store
from orgops.config import FanoutSettings, InventorySettings
from orgops.handlers import fanout
from orgops.handlers import inventory as inventory_handler
from orgops.regions import ENABLED_BY_DEFAULT_REGIONS
from orgops.sessions import new_session

ACCOUNTS = 10_000
MANAGEMENT = "123456789012"  # moto's default account: the caller of every call here
ROOT = "r-0000"
TOP_OUS, CHILD_OUS = 10, 10  # 10 OUs under the root, 10 under each: 100 leaves hold the accounts
SUSPENDED_EVERY = 250
OPT_IN_EVERY = 10
OPT_IN = ("af-south-1", "eu-south-1")
DATA_BUCKET, STATUS_TABLE, INVENTORY_TABLE = "orgops-data", "orgops-status", "orgops-inventory"
NOW = 1_700_000_000.0
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:orgops-public-ips:"
TAGS = {"env": "prod"}  # every other account
MISSING_SHARE = 0.01
SCHEDULE_MINUTES = 10  # inventory.REFRESH_SCHEDULE
FANOUT_LIMIT = 300  # the state machine gives the fanout task 300 s


def account_id(i: int) -> str:
    return MANAGEMENT if i == 0 else f"{100_000_000_000 + i}"


@dataclass
class FakeAccount:
    id: str
    name: str
    parent: str
    status: str = "ACTIVE"
    tags: dict[str, str] = field(default_factory=dict)
    regions: tuple[str, ...] = ()


class FakeOrganization:
    """``accounts`` accounts in 100 leaf OUs, answered as Organizations and Account Management answer.

    Account ``i``: ``env=prod`` when ``i`` is even, ``team=team-<i % 8>``; every 250th suspended;
    every 10th has opted into two regions. ``attach`` answers a session's Organizations and
    ListRegions calls from here (a botocore ``before-call`` handler, the mechanism of botocore's
    Stubber) and charges every call of that session to ``model`` first.
    """

    def __init__(self, accounts: int = ACCOUNTS) -> None:
        self.units: dict[str, tuple[str, str]] = {ROOT: ("Root", "")}  # id -> (name, parent)
        leaves = []
        for i in range(TOP_OUS):
            top = f"ou-0000-t{i:07d}"
            self.units[top] = (f"Top {i}", ROOT)
            for j in range(CHILD_OUS):
                leaf = f"ou-0000-c{i:03d}{j:04d}"
                self.units[leaf] = (f"Leaf {i}.{j}", top)
                leaves.append(leaf)
        self.accounts: dict[str, FakeAccount] = {}
        for i in range(accounts):
            regions = sorted(ENABLED_BY_DEFAULT_REGIONS | (set(OPT_IN) if i % OPT_IN_EVERY == 0 else set()))
            self.accounts[account_id(i)] = FakeAccount(
                id=account_id(i),
                name="management" if i == 0 else f"account-{i:05d}",
                parent=ROOT if i == 0 else leaves[i % len(leaves)],
                status="SUSPENDED" if i % SUSPENDED_EVERY == SUSPENDED_EVERY - 2 else "ACTIVE",
                tags={"env": "prod" if i % 2 == 0 else "dev", "team": f"team-{i % 8}"},
                regions=tuple(regions),
            )
        self._order = list(self.accounts)
        self._listing: dict[str, list[dict[str, Any]]] | None = None
        self.table = FakeTable(INVENTORY_TABLE)

    def listing(self) -> dict[str, list[dict[str, Any]]]:
        """Every account described, in list order and by parent (kept until ``changed``)."""
        if self._listing is None:
            by_parent: dict[str, list[dict[str, Any]]] = {"": []}
            for i in self._order:
                a = self.accounts[i]
                described = self._describe(a)
                by_parent[""].append(described)
                by_parent.setdefault(a.parent, []).append(described)
            self._listing = by_parent
        return self._listing

    def changed(self) -> None:
        self._listing = None

    # -- the session hook -------------------------------------------------------------------------------
    def attach(self, session: boto3.Session, charge: inventory.RateLimiter | None = None) -> boto3.Session:
        def before_call(model: Any, params: Mapping[str, Any], **_: Any) -> Any:
            service, operation = model.service_model.service_name, model.name
            if charge is not None:
                charge.acquire(inventory.family(service, operation))
            if service not in ("organizations", "account", "dynamodb"):
                return None  # moto answers
            body = params.get("body") or b"{}"
            request = json.loads(body.decode() if isinstance(body, bytes) else body or "{}")
            if service == "dynamodb":
                if not self.table.serves(request):
                    return None  # moto answers (the status table)
                return AWSResponse(None, 200, {}, None), getattr(self.table, operation)(request)
            try:
                return AWSResponse(None, 200, {}, None), getattr(self, f"_{operation}")(request)
            except LookupError as exc:
                code = exc.args[0]
                return AWSResponse(None, 400, {}, None), {"Error": {"Code": code, "Message": code}}

        session.events.register("before-call", before_call, unique_id=f"fake-organization-{id(self)}-{id(charge)}")
        return session

    # -- Organizations ------------------------------------------------------------------------------------
    @staticmethod
    def _page(items: Sequence[Any], request: Mapping[str, Any], key: str, default: int = 20, most: int = 20) -> dict:
        size = min(int(request.get("MaxResults") or default), most)
        start = int(request.get("NextToken") or 0)
        page: dict[str, Any] = {key: list(items[start : start + size])}
        if start + size < len(items):
            page["NextToken"] = str(start + size)
        return page

    @staticmethod
    def _describe(a: FakeAccount) -> dict[str, Any]:
        return {"Id": a.id, "Name": a.name, "Email": f"{a.name}@example.com", "Status": a.status, "State": a.status}

    def _ListAccounts(self, request: Mapping[str, Any]) -> dict:  # the API's names
        return self._page(self.listing()[""], request, "Accounts")

    def _ListRoots(self, request: Mapping[str, Any]) -> dict:
        return {"Roots": [{"Id": ROOT, "Name": "Root", "Arn": f"arn:aws:organizations::{MANAGEMENT}:root/o-x/{ROOT}"}]}

    def _ListAccountsForParent(self, request: Mapping[str, Any]) -> dict:
        return self._page(self.listing().get(request["ParentId"], []), request, "Accounts")

    def _ListOrganizationalUnitsForParent(self, request: Mapping[str, Any]) -> dict:
        parent = request["ParentId"]
        units = [{"Id": u, "Name": n, "Arn": f"arn:{u}"} for u, (n, p) in self.units.items() if p == parent]
        return self._page(units, request, "OrganizationalUnits")

    def _ListParents(self, request: Mapping[str, Any]) -> dict:
        child = request["ChildId"]
        parent = self.accounts[child].parent if child in self.accounts else self.units[child][1]
        return {"Parents": [{"Id": parent, "Type": "ROOT" if parent == ROOT else "ORGANIZATIONAL_UNIT"}]}

    def _DescribeOrganizationalUnit(self, request: Mapping[str, Any]) -> dict:
        unit = request["OrganizationalUnitId"]
        return {"OrganizationalUnit": {"Id": unit, "Name": self.units[unit][0], "Arn": f"arn:{unit}"}}

    def _DescribeAccount(self, request: Mapping[str, Any]) -> dict:
        found = self.accounts.get(request["AccountId"])
        if found is None:
            raise LookupError("AccountNotFoundException")
        return {"Account": self._describe(found)}

    def _DescribeOrganization(self, request: Mapping[str, Any]) -> dict:
        return {"Organization": {"Id": "o-x", "MasterAccountId": MANAGEMENT, "FeatureSet": "ALL"}}

    def _ListTagsForResource(self, request: Mapping[str, Any]) -> dict:
        tags = self.accounts[request["ResourceId"]].tags
        return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}

    # -- Account Management -------------------------------------------------------------------------------
    def _ListRegions(self, request: Mapping[str, Any]) -> dict:
        account = self.accounts[request.get("AccountId") or MANAGEMENT]
        wanted = set(request.get("RegionOptStatusContains") or ())
        regions = [
            {"RegionName": r, "RegionOptStatus": "ENABLED_BY_DEFAULT" if r in ENABLED_BY_DEFAULT_REGIONS else "ENABLED"}
            for r in account.regions
        ]
        regions = [r for r in regions if not wanted or r["RegionOptStatus"] in wanted]
        return self._page(regions, request, "Regions", default=50, most=50)


class FakeTable:
    """The inventory table, answered in-process as DynamoDB answers (Scan pages of 1 MB): moto's
    serializer takes about 10 ms an item, which would measure moto rather than orgops."""

    PAGE_BYTES = 1024 * 1024

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: dict[str, dict[str, Any]] = {}

    def serves(self, request: Mapping[str, Any]) -> bool:
        return request.get("TableName") == self.name or list(request.get("RequestItems", {})) == [self.name]

    @staticmethod
    def _key(item: Mapping[str, Any]) -> str:
        return str(item[inventory.HASH_KEY]["S"])

    def Scan(self, request: Mapping[str, Any]) -> dict:  # the API's names
        keys = sorted(self.items)
        start = request.get("ExclusiveStartKey")
        position = keys.index(self._key(start)) + 1 if start else 0
        page, size = [], 0
        for key in keys[position:]:
            item = self.items[key]
            page.append(item)
            size += len(json.dumps(item))
            if size >= self.PAGE_BYTES:
                break
        result: dict[str, Any] = {"Items": page, "Count": len(page), "ScannedCount": len(page)}
        if page and self._key(page[-1]) != keys[-1]:
            result["LastEvaluatedKey"] = {inventory.HASH_KEY: page[-1][inventory.HASH_KEY]}
        return result

    def BatchWriteItem(self, request: Mapping[str, Any]) -> dict:
        for entry in request["RequestItems"][self.name]:
            if "PutRequest" in entry:
                self.items[self._key(entry["PutRequest"]["Item"])] = entry["PutRequest"]["Item"]
            else:
                self.items.pop(self._key(entry["DeleteRequest"]["Key"]), None)
        return {"UnprocessedItems": {}}

    def PutItem(self, request: Mapping[str, Any]) -> dict:
        self.items[self._key(request["Item"])] = request["Item"]
        return {}

    def DeleteItem(self, request: Mapping[str, Any]) -> dict:
        self.items.pop(self._key(request["Key"]), None)
        return {}

    def UpdateItem(self, request: Mapping[str, Any]) -> dict:
        """``SET a = :x, #b = :y`` only (what ``inventory.update_membership`` sends)."""
        key = self._key(request["Key"])
        item = dict(self.items.get(key, request["Key"]))
        names = request.get("ExpressionAttributeNames", {})
        values = request.get("ExpressionAttributeValues", {})
        for assignment in request["UpdateExpression"].removeprefix("SET ").split(","):
            name, value = (part.strip() for part in assignment.split("="))
            item[names.get(name, name)] = values[value]
        self.items[key] = item
        return {}


# -- measuring ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Measured:
    label: str
    aws_seconds: float
    here_seconds: float
    calls: Mapping[str, int]
    targets: int = 0
    note: str = ""


@contextlib.contextmanager
def charged(fake: FakeOrganization) -> Iterator[tuple[boto3.Session, inventory.SimulatedClock, inventory.RateLimiter]]:
    """A fresh session whose every call is charged to a fresh model of AWS's rates."""
    clock = inventory.SimulatedClock()
    model = inventory.RateLimiter(clock, inventory.RATES, inventory.LATENCIES)
    session = fake.attach(new_session("us-east-1"), model)
    yield session, clock, model


def create_tables(session: boto3.Session) -> None:
    ddb = session.client("dynamodb", region_name="us-east-1")  # the inventory table is FakeTable
    ddb.create_table(
        TableName=STATUS_TABLE,
        KeySchema=[
            {"AttributeName": "execution_id", "KeyType": "HASH"},
            {"AttributeName": "target", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "execution_id", "AttributeType": "S"},
            {"AttributeName": "target", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    session.client("s3", region_name="us-east-1").create_bucket(Bucket=DATA_BUCKET)


def fanout_event(name: str) -> dict[str, Any]:
    return {
        "Input": {"Regions": "ALL", "Accounts": {"Tags": dict(TAGS)}},
        "Operation": "public-ips",
        "DefaultRegions": "us-east-1",
        "DistributedThreshold": 1000,
        "BatchSize": 20,
        "ExecutionId": EXECUTION + name,
    }


def run_fanout(fake: FakeOrganization, name: str, with_inventory: bool) -> tuple[Measured, dict[str, Any]]:
    with charged(fake) as (session, clock, model):
        settings = FanoutSettings(
            DATA_BUCKET, STATUS_TABLE, None, inventory_table=INVENTORY_TABLE if with_inventory else None
        )
        started = time.perf_counter()
        result = fanout.fanout(fanout_event(name), settings, session, now=NOW, clock=clock)
        here = time.perf_counter() - started
    return Measured(name, clock.now(), here, dict(model.calls), result["TargetCount"]), result


def refresh_until_fresh(fake: FakeOrganization, max_runs: int = 100) -> list[dict[str, Any]]:
    """Scheduled refreshes, one after another, until no account is stale: each run on its own
    simulated clock and budget (one run every ``SCHEDULE_MINUTES``)."""
    runs: list[dict[str, Any]] = []
    for _ in range(max_runs):
        with charged(fake) as (session, clock, model):
            started = time.perf_counter()
            summary = inventory_handler.handle(
                {"Refresh": "stalest"},
                InventorySettings(INVENTORY_TABLE, None),
                session,
                clock=clock,
                now=lambda: NOW,
            )
            runs.append(
                {
                    **summary,
                    "AwsSeconds": clock.now(),
                    "Here": time.perf_counter() - started,
                    "Calls": dict(model.calls),
                }
            )
        if summary["Stale"] == 0:
            break
    return runs


def fill_inventory(fake: FakeOrganization, refreshed_at: float = NOW) -> None:
    """Every account's item as a complete refresh would write it, straight into the fake table."""

    def chain(unit: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        name, parent = fake.units[unit]
        if not parent:
            return (unit,), (name,)
        ids, names = chain(parent)
        return (*ids, unit), (*names, name)

    for a in fake.accounts.values():
        ids, names = chain(a.parent)
        record = inventory.Record(
            a.id,
            a.name,
            f"{a.name}@example.com",
            a.status,
            ids,
            names,
            dict(a.tags),
            a.regions if a.status == "ACTIVE" else None,
            refreshed_at,
        )
        fake.table.items[a.id] = inventory.encode(record)


def plan(session: boto3.Session, execution_arn: str) -> Any:
    """The targets a fanout planned (its batches in S3, which the report reconciles)."""
    key = store.targets_key(store.ExecutionRef.parse(execution_arn))
    return json.loads(
        session.client("s3", region_name="us-east-1").get_object(Bucket=DATA_BUCKET, Key=key)["Body"].read()
    )


def drop_share(session: boto3.Session, fake: FakeOrganization, share: float) -> list[str]:
    """Delete ``share`` of the accounts' items (every n-th account), as if never refreshed."""
    step = max(1, round(1 / share))
    gone = [a for i, a in enumerate(fake.accounts) if i % step == step // 2]
    inventory.delete(fake.attach(session).client("dynamodb", region_name="us-east-1"), INVENTORY_TABLE, gone)
    return gone


def accounts_operation(fake: FakeOrganization, with_inventory: bool) -> Measured:
    from orgops.operations import accounts
    from orgops.targets import Target

    with charged(fake) as (session, clock, model):
        started = time.perf_counter()
        target = Target(MANAGEMENT, "management", "us-east-1")
        if with_inventory:
            ddb = session.client("dynamodb", region_name="us-east-1")
            rows = list(accounts.rows(session, ddb, INVENTORY_TABLE, clock=clock, now=NOW))
        else:
            rows = list(accounts.run(session, target, {}, True))
        here = time.perf_counter() - started
    label = "`accounts` operation, " + ("with the inventory" if with_inventory else "today (no inventory)")
    return Measured(label, clock.now(), here, dict(model.calls), len(rows))


def _minutes(seconds: float) -> str:
    return f"{seconds:,.1f} s" if seconds < 120 else f"{seconds:,.0f} s ({seconds / 60:.1f} min)"


def _calls(calls: Mapping[str, int]) -> str:
    return " / ".join(
        f"{calls.get(k, 0):,}" for k in (inventory.ORGANIZATIONS, inventory.LIST_REGIONS, "dynamodb", "s3")
    )


def measure(accounts: int = ACCOUNTS) -> dict[str, Any]:
    from moto import mock_aws

    fake = FakeOrganization(accounts)
    with mock_aws():
        create_tables(new_session("us-east-1"))
        today, live = run_fanout(fake, "today", with_inventory=False)
        runs = refresh_until_fresh(fake)
        fresh, with_fresh = run_fanout(fake, "fresh-inventory", with_inventory=True)
        gone = drop_share(new_session("us-east-1"), fake, MISSING_SHARE)
        partial, with_missing = run_fanout(fake, "one-percent-missing", with_inventory=True)
        ops = [accounts_operation(fake, False), accounts_operation(fake, True)]
        plans = [plan(new_session("us-east-1"), r["ExecutionId"]) for r in (live, with_fresh, with_missing)]
    same = plans[0] == plans[1] == plans[2] and live["Skipped"] == with_fresh["Skipped"] == with_missing["Skipped"]
    return {
        "accounts": accounts,
        "today": today,
        "fresh": fresh,
        "partial": partial,
        "missing": len(gone),
        "runs": runs,
        "same_targets": same,
        "operations": ops,
    }


def markdown(found: Mapping[str, Any]) -> list[str]:
    """The "Fanout at 10,000 accounts" section of benchmarks/results.md."""
    n = found["accounts"]
    runs = found["runs"]
    first_full = next((i + 1 for i, r in enumerate(runs) if r["Stale"] == 0), None)
    per_run = max((r["Refreshed"] for r in runs), default=0)
    full_hours = (first_full or len(runs)) * SCHEDULE_MINUTES / 60
    walk = runs[0]["Calls"].get(inventory.ORGANIZATIONS, 0) - runs[0]["Refreshed"]
    rows = [found["today"], found["fresh"], found["partial"], *found["operations"]]
    labels = {
        "today": "fanout today (no inventory): ListTagsForResource per account, then ListRegions per selected account",
        "fresh-inventory": "fanout with a fresh inventory",
        "one-percent-missing": f"fanout with {found['missing']:,} accounts (1%) missing from the inventory, read live",
    }
    lines = [
        f"## Fanout at {n:,} accounts",
        "",
        f'`Accounts.Tags` {json.dumps(TAGS)} (every other account) + `Regions: "ALL"` (every {SUSPENDED_EVERY}th '
        f"account suspended, every {OPT_IN_EVERY}th with two opt-in regions), {n:,} accounts in "
        f"{TOP_OUS * CHILD_OUS} leaf OUs. AWS time = what AWS's rates make the run take, charged call by call on a "
        f"simulated clock (`benchmarks/fanout_scale.py`): ListRegions {inventory.LIST_REGIONS_RATE.per_second:g}/s "
        f"(documented), Organizations {inventory.ORGANIZATIONS_RATE.per_second:g}/s (assumed: AWS documents none; see "
        "`orgops.inventory`), DynamoDB 10 ms and S3 20 ms a request (assumed). Here = the code's wall time in this "
        "process (Organizations, ListRegions and the inventory table answered in-process, moto for the rest).",
        "",
        "| run | AWS time | calls: Organizations / ListRegions / DynamoDB / S3 | here | targets |",
        "|---|---|---|---|---|",
    ]
    for m in rows:
        limit = " **over the fanout's 300 s**" if m.label in labels and m.aws_seconds > FANOUT_LIMIT else ""
        lines.append(
            f"| {labels.get(m.label, m.label)} | {_minutes(m.aws_seconds)}{limit} | {_calls(m.calls)} | "
            f"{m.here_seconds:.1f} s | {m.targets:,} |"
        )
    lines += [
        "",
        f"- The three fanouts plan the same targets (their batches in S3, compared) and the same skipped ones: "
        f"{'yes' if found['same_targets'] else '**no**'}.",
        f"- Today's design needs {found['today'].aws_seconds / 60:.0f} min at these rates "
        f"({found['today'].calls.get(inventory.ORGANIZATIONS, 0):,} Organizations calls, "
        f"{found['today'].calls.get(inventory.LIST_REGIONS, 0):,} ListRegions); with the inventory the fanout takes "
        f"{found['fresh'].aws_seconds:.0f} s, mostly ListAccounts ({math.ceil(n / 20):,} pages of 20), and "
        f"{found['partial'].aws_seconds:.0f} s with 1% of the accounts read live.",
        f"- Scheduled refresh ({inventory.REFRESH_SCHEDULE}, {inventory.REFRESH_BUDGET_SECONDS:.0f} s budget a run): "
        f"each run walks the OU tree (about {walk:,} Organizations calls), then refreshes the tags and regions of "
        f"the stalest accounts that fit: {per_run:,} a run here. An empty inventory of {n:,} accounts is full after "
        f"{first_full or len(runs)} run{'' if (first_full or len(runs)) == 1 else 's'}, i.e. **{full_hours:.1f} h** "
        f"at one run every {SCHEDULE_MINUTES} minutes, "
        f"and every account is re-read that often (events keep tags, OU and regions current in between); a run "
        f"took {max(r['AwsSeconds'] for r in runs):.0f} s of AWS time at most.",
        f"- An item older than {inventory.MAX_AGE_SECONDS / 3600:g} h is not trusted (read live). A refresh running "
        "at the same time shares the Organizations rate: at half of it the fresh-inventory fanout would take about "
        f"{2 * found['fresh'].aws_seconds:.0f} s (budget {inventory.FANOUT_BUDGET_SECONDS:.0f} s before writing the "
        "targets). When the missing accounts cannot be read in the time left the fanout fails with "
        "`InventoryIncomplete`, naming the count, before anything runs.",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fanout_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=ACCOUNTS)
    args = parser.parse_args(argv)
    print("\n".join(markdown(measure(args.accounts))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
