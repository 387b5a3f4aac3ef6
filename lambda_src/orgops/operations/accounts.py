"""accounts: one row per account of the organization, suspended ones included.

Scope ``organization``: the fanout emits one target, the management account in us-east-1, and
the worker runs there with the org-reader role (Terraform sets the worker's
``ORGOPS_MEMBER_ROLE_NAME`` to it), since member accounts cannot read the organization.
``ou_path`` is the names from the root down to the account's parent, joined by ``/``
(``Root/Workloads/Prod``).

With the organization inventory (``ORGOPS_INVENTORY_TABLE`` in the worker's environment, read
with the worker's own role) the tags come from it: one walk of the tree (membership, status, OU
path) plus a ListTagsForResource only for the accounts the inventory lacks or has not refreshed
for a day, instead of one per account. When those cannot be read in the time left it fails with
``InventoryIncomplete`` naming their count.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from orgops import inventory, org
from orgops.config import INVENTORY_TABLE_ENV
from orgops.operations.base import Operation, Row
from orgops.sessions import client, new_session

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target

ORGANIZATIONS_REGION = "us-east-1"


def ou_paths(organizations: Any) -> dict[str, str]:
    """Map each account id to the names of its parents from the root, joined by ``/``."""
    paths: dict[str, str] = {}
    stack = [
        (r["Id"], r.get("Name", "Root"))
        for page in organizations.get_paginator("list_roots").paginate()
        for r in page["Roots"]
    ]
    while stack:
        parent_id, path = stack.pop()
        for page in organizations.get_paginator("list_accounts_for_parent").paginate(ParentId=parent_id):
            for raw in page["Accounts"]:
                paths[raw["Id"]] = path
        pages = organizations.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent_id)
        for page in pages:
            for ou in page["OrganizationalUnits"]:
                stack.append((ou["Id"], f"{path}/{ou['Name']}"))
    return paths


def rows(
    session: boto3.Session,
    ddb: Any,
    table: str,
    *,
    clock: inventory.Clock,
    now: float,
    budget: float = inventory.FANOUT_BUDGET_SECONDS,
) -> Iterator[Row]:
    """The rows, tags taken from the inventory's fresh items (``session``: in the management account)."""
    started = clock.now()
    organizations = client(session, "organizations", ORGANIZATIONS_REGION)
    listed, placements = org.walk(organizations)
    records = inventory.read_all(ddb, table)
    fresh = {a.id for a in listed if a.id in records and records[a.id].fresh(now)}
    missing = len(listed) - len(fresh)
    if missing:
        seconds = inventory.seconds_for({inventory.ORGANIZATIONS: missing})
        left = budget - (clock.now() - started)
        if seconds > left:
            raise inventory.InventoryIncomplete(missing, seconds, left, budget, inventory.MAX_AGE_SECONDS)
    for account in sorted(listed, key=lambda a: a.id):
        yield {
            "id": account.id,
            "name": account.name,
            "email": account.email,
            "status": account.status,
            "ou_path": "/".join(placements[account.id].names),
            "tags": dict(records[account.id].tags)
            if account.id in fresh
            else org.account_tags(organizations, account.id),
        }


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    table = os.environ.get(INVENTORY_TABLE_ENV)
    if table:
        # The inventory lives in the operations account: read it with the worker's own role.
        ddb = client(new_session(), "dynamodb")
        yield from rows(session, ddb, table, clock=inventory.RealClock(), now=time.time())
        return
    organizations = client(session, "organizations", ORGANIZATIONS_REGION)
    accounts = sorted(org.list_accounts(organizations), key=lambda a: a.id)
    paths = ou_paths(organizations)
    for account in accounts:
        yield {
            "id": account.id,
            "name": account.name,
            "email": account.email,
            "status": account.status,
            "ou_path": paths.get(account.id, ""),
            "tags": org.account_tags(organizations, account.id),
        }


OPERATION = Operation(
    name="accounts",
    description=(
        "One row per account of the organization (suspended ones included): id, name, email, status, "
        "OU path, tags. Runs once, in the management account."
    ),
    role="organization",
    actions=(
        "organizations:ListAccounts",
        "organizations:ListAccountsForParent",
        "organizations:ListOrganizationalUnitsForParent",
        "organizations:ListRoots",
        "organizations:ListTagsForResource",
    ),
    scope="organization",
    key=("id",),
    noun="accounts",
    columns=("id", "name", "email", "status", "ou_path", "tags"),
    run=run,
)
