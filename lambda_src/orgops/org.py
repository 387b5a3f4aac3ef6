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


def list_accounts(org: Any) -> Iterator[Account]:
    """Every account of the organization, in the API's order."""
    for page in org.get_paginator("list_accounts").paginate():
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
        regions = [
            r["RegionName"] for page in acct.get_paginator("list_regions").paginate(**kwargs) for r in page["Regions"]
        ]
        result[account_id] = sorted(regions)
    return result
