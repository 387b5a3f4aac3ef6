"""Reading the organization from the management account: accounts, OUs, tags, regions.

Every call is paginated. Which reads happen depends on the filters: the OU walk only when an OU
filter (or the OU path) is wanted, the tag reads only when a tag filter is given, so a plain run
over 10,000 accounts costs a few ``ListAccounts`` pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3

from orgops.sessions import assume_role, client


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    email: str = ""
    status: str = "ACTIVE"
    # Ids from the root down to the account's parent, e.g. ("r-ab12", "ou-ab12-1", "ou-ab12-2").
    parents: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)


def management_session(session: boto3.Session, org_role_arn: str | None) -> boto3.Session:
    """The session that reads the organization: the org-reader role when one is configured."""
    if not org_role_arn:
        return session
    return assume_role(session, org_role_arn, session_name="orgops-fanout").session


def _status(raw: dict[str, Any]) -> str:
    # Organizations is replacing ``Status`` with ``State`` (which adds PENDING_ACTIVATION and
    # CLOSED); read the new field when present.
    return str(raw.get("State") or raw.get("Status") or "ACTIVE")


# The largest page each listing call accepts (MaxResults), so that a 10,000-account organization
# costs the fewest requests: ListAccounts, ListAccountsForParent and
# ListOrganizationalUnitsForParent return at most 20 items a page, ListRegions at most 50
# (Organizations and Account Management API references).
ORGANIZATIONS_PAGE_SIZE = 20
LIST_REGIONS_PAGE_SIZE = 50
_PAGES = {"PageSize": ORGANIZATIONS_PAGE_SIZE}


def list_accounts(org: Any, page_size: int | None = None) -> Iterator[Account]:
    """Every account of the organization, in the API's order (pages of ``page_size`` when given)."""
    pagination = {"PaginationConfig": {"PageSize": page_size}} if page_size else {}
    for page in org.get_paginator("list_accounts").paginate(**pagination):
        for raw in page["Accounts"]:
            yield Account(id=raw["Id"], name=raw.get("Name", ""), email=raw.get("Email", ""), status=_status(raw))


def account_parents(org: Any) -> dict[str, tuple[str, ...]]:
    """Map each account id to the chain of parent ids from the root, by walking the OU tree."""
    parents: dict[str, tuple[str, ...]] = {}
    roots = [r["Id"] for page in org.get_paginator("list_roots").paginate() for r in page["Roots"]]
    stack: list[tuple[str, tuple[str, ...]]] = [(root, (root,)) for root in roots]
    while stack:
        parent_id, chain = stack.pop()
        for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent_id):
            for raw in page["Accounts"]:
                parents[raw["Id"]] = chain
        for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent_id):
            for ou in page["OrganizationalUnits"]:
                stack.append((ou["Id"], (*chain, ou["Id"])))
    return parents


def missing_units(session: boto3.Session, unit_ids: Iterable[str]) -> list[str]:
    """The given OU and root ids that are not in the organization (one call per OU, one for roots)."""
    ids = list(unit_ids)
    if not ids:
        return []
    org = client(session, "organizations", "us-east-1")
    roots = {r["Id"] for page in org.get_paginator("list_roots").paginate() for r in page["Roots"]}
    missing = []
    for unit in ids:
        if unit.startswith("r-"):
            if unit not in roots:
                missing.append(unit)
            continue
        try:
            org.describe_organizational_unit(OrganizationalUnitId=unit)
        except org.exceptions.OrganizationalUnitNotFoundException:
            missing.append(unit)
    return missing


def account_tags(org: Any, account_id: str) -> dict[str, str]:
    pages = org.get_paginator("list_tags_for_resource").paginate(ResourceId=account_id)
    return {t["Key"]: t["Value"] for page in pages for t in page["Tags"]}


def load_accounts(session: boto3.Session, *, with_parents: bool = False, with_tags: bool = False) -> list[Account]:
    """The organization's accounts, with OU chains and tags filled in only when asked for."""
    org = client(session, "organizations", "us-east-1")
    accounts = list(list_accounts(org))
    parents = account_parents(org) if with_parents else {}
    return [
        Account(
            id=a.id,
            name=a.name,
            email=a.email,
            status=a.status,
            parents=parents.get(a.id, ()),
            # Inactive accounts too: a suspended account that matches the filters is counted as
            # skipped, whatever the filters are.
            tags=account_tags(org, a.id) if with_tags else {},
        )
        for a in accounts
    ]


ENABLED_REGION_STATES = ("ENABLED", "ENABLED_BY_DEFAULT")


def enabled_regions(
    session: boto3.Session,
    account_ids: Iterable[str],
    *,
    account_client: Any = None,
    own_account_id: str | None = None,
    page_size: int | None = None,
) -> dict[str, list[str]]:
    """Each account's enabled regions (opt-in regions only when opted in), sorted.

    Uses the Account Management API from the management account (``account:ListRegions``, which
    needs trusted access for AWS Account Management). For the management account itself the
    ``AccountId`` parameter must be omitted, so that call is made without it.
    """
    acct = account_client or client(session, "account", "us-east-1")
    own = own_account_id or client(session, "sts", "us-east-1").get_caller_identity()["Account"]
    result: dict[str, list[str]] = {}
    for account_id in account_ids:
        kwargs: dict[str, Any] = {"RegionOptStatusContains": list(ENABLED_REGION_STATES)}
        if account_id != own:
            kwargs["AccountId"] = account_id
        if page_size:
            kwargs["PaginationConfig"] = {"PageSize": page_size}
        pages = acct.get_paginator("list_regions").paginate(**kwargs)
        result[account_id] = sorted(r["RegionName"] for page in pages for r in page["Regions"])
    return result


def own_account_id(session: boto3.Session) -> str:
    """The account ``session`` is in (the management account, for the org-reader's session)."""
    return str(client(session, "sts", "us-east-1").get_caller_identity()["Account"])


# -- the organization tree, with names: what the organization inventory keeps per account ----------
@dataclass(frozen=True)
class Placement:
    """Where an account sits: the ids from the root down to its parent, and their names."""

    parent_ids: tuple[str, ...]
    names: tuple[str, ...]


def walk(org: Any) -> tuple[list[Account], dict[str, Placement]]:
    """Every account (id, name, email, status, parent chain) and its placement, from one walk of
    the tree: ``ListRoots``, then ``ListAccountsForParent`` and ``ListOrganizationalUnitsForParent``
    for the root and each OU (their pages carry the OU names: no ``Describe*`` call)."""
    accounts: list[Account] = []
    placements: dict[str, Placement] = {}
    roots = [
        (r["Id"], r.get("Name", "Root")) for page in org.get_paginator("list_roots").paginate() for r in page["Roots"]
    ]
    stack = [Placement((root_id,), (name,)) for root_id, name in roots]
    while stack:
        here = stack.pop()
        parent_id = here.parent_ids[-1]
        pages = org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent_id, PaginationConfig=_PAGES)
        for page in pages:
            for raw in page["Accounts"]:
                accounts.append(
                    Account(raw["Id"], raw.get("Name", ""), raw.get("Email", ""), _status(raw), here.parent_ids)
                )
                placements[raw["Id"]] = here
        ous = org.get_paginator("list_organizational_units_for_parent")
        for page in ous.paginate(ParentId=parent_id, PaginationConfig=_PAGES):
            for ou in page["OrganizationalUnits"]:
                stack.append(Placement((*here.parent_ids, ou["Id"]), (*here.names, ou.get("Name", ""))))
    return accounts, placements


def known_roots(org: Any) -> dict[str, Placement]:
    """Each root as a known unit: ``{root id: Placement((root id,), (root name,))}`` (one call)."""
    return {
        r["Id"]: Placement((r["Id"],), (r.get("Name", "Root"),))
        for page in org.get_paginator("list_roots").paginate()
        for r in page["Roots"]
    }


def placement(org: Any, child_id: str, known: dict[str, Placement]) -> Placement:
    """The ids and names from the root down to ``child_id``'s parent (an account or an OU).

    ``known`` maps a unit id to the placement *of the unit itself* (ids and names down to and
    including it); it is seeded with ``known_roots`` and grows as OUs are looked up. An OU never
    moves (Organizations has no API to move one), so a known OU's chain is never stale: one
    ``ListParents`` per account, plus ``ListParents`` and ``DescribeOrganizationalUnit`` once per
    OU not seen before.
    """
    (parent,) = org.list_parents(ChildId=child_id)["Parents"]
    parent_id = parent["Id"]
    if parent_id not in known:
        above = placement(org, parent_id, known)
        name = org.describe_organizational_unit(OrganizationalUnitId=parent_id)["OrganizationalUnit"].get("Name", "")
        known[parent_id] = Placement((*above.parent_ids, parent_id), (*above.names, name))
    return known[parent_id]


def describe_account(org: Any, account_id: str) -> Account | None:
    """One account's id, name, email and status; None when it is not in the organization."""
    try:
        raw = org.describe_account(AccountId=account_id)["Account"]
    except org.exceptions.AccountNotFoundException:
        return None
    return Account(raw["Id"], raw.get("Name", ""), raw.get("Email", ""), _status(raw))
