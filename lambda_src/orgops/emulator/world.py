"""An emulated organization: nested OUs, member accounts, the member roles, a suspended account.

Built through the public APIs a real client uses (Organizations, STS, IAM), from the management
account's session. Member accounts are reached through ``OrganizationAccountAccessRole`` (which
the emulator creates in every account ``CreateAccount`` makes, as Organizations does), and the
member roles are created there with the trust policy the StackSet deploys: ``operation-readonly``
trusted only by ``operation-readonly-lambda``, ``operation-admin`` only by ``operation-admin-lambda``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from orgops.emulator import access
from orgops.emulator.seams import ORG_ACCESS_ROLE
from orgops.emulator.stack import Stack
from orgops.sessions import DEFAULT_ADMIN_ROLE, DEFAULT_READONLY_ROLE, assume_role, client, role_arn


@dataclass(frozen=True)
class AccountSpec:
    name: str
    ou: str = ""  # "Workloads/Prod": nested OU path under the root; "" is the root
    suspended: bool = False
    member_roles: bool = True  # False: the StackSet never reached it (its role cannot be assumed)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class World:
    management_account_id: str
    root_id: str
    ous: dict[str, str]  # OU path -> OU id
    accounts: dict[str, str]  # account name -> account id
    specs: tuple[AccountSpec, ...]

    def account_id(self, name: str) -> str:
        return self.accounts[name]

    @property
    def active_accounts(self) -> dict[str, str]:
        """Active member accounts and the management account, by name."""
        suspended = {s.name for s in self.specs if s.suspended}
        return {n: a for n, a in self.accounts.items() if n not in suspended}

    @property
    def assumable_accounts(self) -> dict[str, str]:
        """Active accounts whose member roles exist, by name."""
        missing = {s.name for s in self.specs if not s.member_roles}
        return {n: a for n, a in self.active_accounts.items() if n not in missing}

    def assumable_for(self, role: str) -> dict[str, str]:
        """The accounts an operation of ``role`` reaches: no operation-admin in the management
        account (``MANAGEMENT_ACCOUNT_ROLES``), so admin operations fail there with AccessDenied."""
        if role != "admin":
            return self.assumable_accounts
        return {n: a for n, a in self.assumable_accounts.items() if a != self.management_account_id}


MANAGEMENT = "management"

# The demo organization: 13 member accounts in nested OUs (one suspended, one the StackSet never
# reached), plus the management account.
DEMO_ACCOUNTS = (
    AccountSpec("security-tooling", "Security", tags={"team": "security", "env": "prod"}),
    AccountSpec("log-archive", "Security", tags={"team": "security", "env": "prod"}),
    AccountSpec("network-hub", "Infrastructure", tags={"team": "platform", "env": "prod"}),
    AccountSpec("shared-services", "Infrastructure", tags={"team": "platform", "env": "prod"}),
    AccountSpec("payments-prod", "Workloads/Prod", tags={"team": "payments", "env": "prod"}),
    AccountSpec("checkout-prod", "Workloads/Prod", tags={"team": "checkout", "env": "prod"}),
    AccountSpec("search-prod", "Workloads/Prod/Data", tags={"team": "search", "env": "prod"}),
    AccountSpec("payments-dev", "Workloads/NonProd", tags={"team": "payments", "env": "dev"}),
    AccountSpec("checkout-dev", "Workloads/NonProd", tags={"team": "checkout", "env": "dev"}),
    AccountSpec("search-staging", "Workloads/NonProd/Staging", tags={"team": "search", "env": "staging"}),
    AccountSpec("sandbox-alice", "Sandbox", tags={"team": "sandbox", "env": "dev"}),
    AccountSpec("sandbox-legacy", "Sandbox", member_roles=False, tags={"team": "sandbox", "env": "dev"}),
    AccountSpec("retired-2019", "Suspended", suspended=True, tags={"team": "none", "env": "retired"}),
)


def org_client(session: boto3.Session) -> Any:
    return client(session, "organizations", "us-east-1")


def ensure_organization(session: boto3.Session) -> tuple[str, str]:
    """(management account id, root id); creates the organization when there is none."""
    org = org_client(session)
    try:
        master = org.describe_organization()["Organization"]["MasterAccountId"]
    except org.exceptions.AWSOrganizationsNotInUseException:
        master = org.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountId"]
    root = org.list_roots()["Roots"][0]["Id"]
    return str(master), str(root)


def _ensure_ou(org: Any, ous: dict[str, str], root_id: str, path: str) -> str:
    if not path:
        return root_id
    if path in ous:
        return ous[path]
    parent_path, _, name = path.rpartition("/")
    parent = _ensure_ou(org, ous, root_id, parent_path)
    for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent):
        for ou in page["OrganizationalUnits"]:
            if ou["Name"] == name:
                ous[path] = ou["Id"]
                return ous[path]
    ous[path] = org.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]
    return ous[path]


def member_session(session: boto3.Session, account_id: str, role_name: str = ORG_ACCESS_ROLE) -> boto3.Session:
    """A session in a member account through ``role_name`` (the management session's own account as is)."""
    return assume_role(session, role_arn(account_id, role_name), session_name="orgops-emulator").session


def member_role_trusts(stack: Stack) -> dict[str, str]:
    """The member roles the StackSet deploys, with their trust policies (modules/member-roles)."""
    return {
        DEFAULT_READONLY_ROLE: access.trust_policy(stack.roles["readonly_lambda_role"]),
        DEFAULT_ADMIN_ROLE: access.trust_policy(stack.roles["admin_lambda_role"]),
    }


# modules/member-roles' management_account_roles default: no operation-admin in the management
# account unless asked for (an admin worker there would administer the organization).
MANAGEMENT_ACCOUNT_ROLES = (DEFAULT_READONLY_ROLE,)


def install_member_roles(
    session: boto3.Session, stack: Stack, roles: tuple[str, ...] = MANAGEMENT_ACCOUNT_ROLES
) -> None:
    """Create the member roles in the session's own account (Terraform does so in the management
    account: a service-managed StackSet never deploys there); by default only operation-readonly."""
    iam = client(session, "iam", "us-east-1")
    for role, trust in member_role_trusts(stack).items():
        if role not in roles:
            continue
        try:
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
        except iam.exceptions.EntityAlreadyExistsException:
            iam.update_assume_role_policy(RoleName=role, PolicyDocument=trust)


def remove_member_roles(session: boto3.Session, account_id: str) -> None:
    """Delete the member roles from a member account: as if the StackSet never reached it."""
    iam = client(member_session(session, account_id), "iam", "us-east-1")
    for role in (DEFAULT_READONLY_ROLE, DEFAULT_ADMIN_ROLE):
        with contextlib.suppress(iam.exceptions.NoSuchEntityException):
            iam.delete_role(RoleName=role)


def build_organization(session: boto3.Session, specs: Iterable[AccountSpec] = DEMO_ACCOUNTS) -> World:
    """Create the OUs and accounts (accounts that exist by name are reused). The emulated
    StackSet gives every new account its member roles; they are removed from accounts marked
    ``member_roles=False``, and accounts marked suspended are closed last (after the StackSet
    reached them, as in life)."""
    specs = tuple(specs)
    org = org_client(session)
    management, root = ensure_organization(session)
    existing = {a["Name"]: a["Id"] for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]}
    ous: dict[str, str] = {}
    accounts = {MANAGEMENT: management}
    for spec in specs:
        parent = _ensure_ou(org, ous, root, spec.ou)
        if spec.name in existing:
            accounts[spec.name] = existing[spec.name]
            continue
        status = org.create_account(AccountName=spec.name, Email=f"{spec.name}@example.com")["CreateAccountStatus"]
        account_id = status["AccountId"]
        accounts[spec.name] = account_id
        if parent != root:
            org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
        if spec.tags:
            org.tag_resource(ResourceId=account_id, Tags=[{"Key": k, "Value": v} for k, v in spec.tags.items()])
    for spec in specs:
        if not spec.member_roles and spec.name not in existing:
            remove_member_roles(session, accounts[spec.name])
    for spec in specs:
        if spec.suspended and spec.name not in existing:
            org.close_account(AccountId=accounts[spec.name])
    return World(management_account_id=management, root_id=root, ous=ous, accounts=accounts, specs=specs)
