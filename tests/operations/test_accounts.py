"""accounts: every account of the organization with its OU path and tags, suspended ones included."""

from __future__ import annotations

import boto3

from orgops.targets import Target
from tests.operations.helpers import run

MANAGEMENT = "123456789012"
TARGET = Target(MANAGEMENT, "management", "us-east-1")


def test_one_row_per_account_with_ou_path_status_and_tags(session: boto3.Session) -> None:
    org = session.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    workloads = org.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    prod_ou = org.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]

    def account(name: str, parent: str | None, tags: dict[str, str]) -> str:
        status = org.create_account(
            AccountName=name, Email=f"{name}@example.com", Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )
        account_id = status["CreateAccountStatus"]["AccountId"]
        if parent:
            org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
        return account_id

    prod = account("prod", prod_ou, {"Env": "prod", "Team": "core"})
    sandbox = account("sandbox", workloads, {})
    closed = account("closed", None, {"Env": "old"})
    org.close_account(AccountId=closed)
    management = org.describe_account(AccountId=MANAGEMENT)["Account"]

    rows = run("accounts", session, target=TARGET)

    expected = [
        {
            "id": MANAGEMENT,
            "name": management["Name"],
            "email": management["Email"],
            "status": "ACTIVE",
            "ou_path": "Root",
            "tags": {},
        },
        {
            "id": prod,
            "name": "prod",
            "email": "prod@example.com",
            "status": "ACTIVE",
            "ou_path": "Root/Workloads/Prod",
            "tags": {"Env": "prod", "Team": "core"},
        },
        {
            "id": sandbox,
            "name": "sandbox",
            "email": "sandbox@example.com",
            "status": "ACTIVE",
            "ou_path": "Root/Workloads",
            "tags": {},
        },
        {
            "id": closed,
            "name": "closed",
            "email": "closed@example.com",
            "status": "SUSPENDED",
            "ou_path": "Root",
            "tags": {"Env": "old"},
        },
    ]
    assert rows == sorted(expected, key=lambda r: r["id"])
