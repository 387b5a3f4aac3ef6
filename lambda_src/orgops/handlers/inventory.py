"""Inventory: keep the organization inventory (``orgops.inventory``) fresh.

Invoked by EventBridge:
- on its schedule (``Scheduled Event``; or by hand with ``{"Refresh": "stalest"}``): walks the OU
  tree (every account's membership, status and OU path: about ``accounts / 20`` plus two calls
  per OU), adds the accounts it lacks, drops those no longer in the organization, then re-reads
  the tags and enabled regions of the stalest accounts that fit the time left, paced to AWS's
  rates (``inventory.RATES``);
- on an Organizations call forwarded from the management account (TagResource, UntagResource,
  MoveAccount, CloseAccount, CreateAccount/CreateAccountResult, AcceptHandshake: that account is
  read again; RemoveAccountFromOrganization, LeaveOrganization: its item is deleted;
  UpdateOrganizationalUnit: the OU's new name is written into its accounts' paths) and on
  Account Management's ``Region Opt-In Status Change`` (the account is read again).
Returns a small summary (``Action``, counts, ``Stale``: accounts still waiting for a refresh).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3

from orgops import inventory, org
from orgops.config import InventorySettings
from orgops.sessions import client, new_session

# What a run keeps of its Lambda's time for its last writes.
WRITE_MARGIN_SECONDS = 60.0
# Details are written in chunks as they are read: a run cut short keeps what it read.
CHUNK = 25


def _clients(mgmt: boto3.Session) -> tuple[Any, Any, str]:
    return client(mgmt, "organizations", "us-east-1"), client(mgmt, "account", "us-east-1"), org.own_account_id(mgmt)


def refresh_scheduled(
    mgmt: boto3.Session,
    ddb: Any,
    table: str,
    *,
    clock: inventory.Clock,
    budget: float = inventory.REFRESH_BUDGET_SECONDS,
    now: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """The walk, then the stalest accounts' details while they fit ``budget`` (from the start)."""
    started = clock.now()
    org_client, account_client, own = _clients(mgmt)
    records = inventory.read_all(ddb, table)
    listed, placements = org.walk(org_client)
    change = inventory.membership(records, listed, placements)
    for record in change.changed:
        inventory.update_membership(ddb, table, record)
    inventory.write(ddb, table, change.added)
    inventory.delete(ddb, table, change.removed)
    current = {**records, **{r.account_id: r for r in (*change.changed, *change.added)}}
    for gone in change.removed:
        current.pop(gone, None)

    fit = inventory.capacity(budget - (clock.now() - started))
    chosen = inventory.stalest(current.values(), fit)
    refreshed: list[inventory.Record] = []
    pending: list[inventory.Record] = []
    each = inventory.interleaved_seconds(inventory.DETAIL_CALLS)
    for record in chosen:
        if clock.now() - started + each > budget:
            break
        pending.append(inventory.details(org_client, account_client, own, record, now()))
        if len(pending) == CHUNK:
            inventory.write(ddb, table, pending)
            refreshed += pending
            pending = []
    inventory.write(ddb, table, pending)
    refreshed += pending
    done = {r.account_id for r in refreshed}
    stale = sum(1 for r in current.values() if r.account_id not in done and not r.fresh(now()))
    return {
        "Action": inventory.SCHEDULED,
        "Accounts": len(current),
        "Added": len(change.added),
        "Changed": len(change.changed),
        "Removed": len(change.removed),
        "Refreshed": len(refreshed),
        "Stale": stale,
        "Seconds": round(clock.now() - started, 3),
    }


def refresh_account(mgmt: boto3.Session, ddb: Any, table: str, account_id: str, now: float) -> dict[str, Any]:
    """Read one account again (membership, OU path, tags, regions); delete its item when it has left."""
    org_client, account_client, own = _clients(mgmt)
    account = org.describe_account(org_client, account_id)
    if account is None:
        inventory.delete(ddb, table, [account_id])
        return {"Action": inventory.REMOVE, "AccountId": account_id}
    where = org.placement(org_client, account_id, org.known_roots(org_client))
    record = inventory.Record(account.id, account.name, account.email, account.status, where.parent_ids, where.names)
    inventory.write(ddb, table, [inventory.details(org_client, account_client, own, record, now)])
    return {"Action": inventory.REFRESH, "AccountId": account_id}


def rename_unit(mgmt: boto3.Session, ddb: Any, table: str, ou_id: str) -> dict[str, Any]:
    """Write an OU's current name into the OU path of every account under it."""
    org_client = client(mgmt, "organizations", "us-east-1")
    name = org_client.describe_organizational_unit(OrganizationalUnitId=ou_id)["OrganizationalUnit"].get("Name", "")
    changed = inventory.renamed(inventory.read_all(ddb, table).values(), ou_id, name)
    for record in changed:
        inventory.update_membership(ddb, table, record)
    return {"Action": inventory.RENAME, "OrganizationalUnitId": ou_id, "Changed": len(changed)}


def handle(
    event: Mapping[str, Any],
    settings: InventorySettings,
    session: boto3.Session,
    *,
    clock: inventory.Clock | None = None,
    budget: float = inventory.REFRESH_BUDGET_SECONDS,
    now: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """One invocation: ``event`` decides what (``inventory.event_action``). Organizations is read
    through the org-reader role, paced to AWS's rates on ``clock`` (the real one by default)."""
    action = inventory.event_action(event)
    if action.kind == inventory.IGNORE:
        return {"Action": inventory.IGNORE, "Reason": action.reason}
    clock = clock or inventory.RealClock()
    mgmt = org.management_session(session, settings.org_role_arn)
    inventory.RateLimiter(clock).attach(mgmt)
    ddb = client(session, "dynamodb")
    table = settings.inventory_table
    if action.kind == inventory.SCHEDULED:
        return refresh_scheduled(mgmt, ddb, table, clock=clock, budget=budget, now=now)
    if action.kind == inventory.REMOVE:
        inventory.delete(ddb, table, [action.target])
        return {"Action": inventory.REMOVE, "AccountId": action.target}
    if action.kind == inventory.RENAME:
        return rename_unit(mgmt, ddb, table, action.target)
    return refresh_account(mgmt, ddb, table, action.target, now())


def budget_of(context: Any) -> float:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return inventory.REFRESH_BUDGET_SECONDS
    return max(0.0, remaining() / 1000 - WRITE_MARGIN_SECONDS)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    summary = handle(event, InventorySettings.from_env(), new_session(), budget=budget_of(context))
    print(json.dumps({"message": "orgops inventory", **summary}, sort_keys=True))  # one JSON line in its log group
    return summary
