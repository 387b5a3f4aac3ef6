"""accounts: one row per account of the organization, suspended ones included.

Scope ``organization``: the fanout emits one target, the management account in us-east-1, and
the worker runs there with the org-reader role (Terraform sets the worker's
``ORGOPS_MEMBER_ROLE_NAME`` to it), since member accounts cannot read the organization.
``ou_path`` is the names from the root down to the account's parent, joined by ``/``
(``Root/Workloads/Prod``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from orgops import org
from orgops.operations.base import Operation, Row
from orgops.sessions import client

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


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
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
    columns=("id", "name", "email", "status", "ou_path", "tags"),
    run=run,
)
