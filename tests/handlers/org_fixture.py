"""A small emulated AWS Organization and orgops data plane, reusable by any moto test.

    root (r-...)                       management account 123456789012 "master"
    ├── ou A  (OU_A)                   111111111111 "prod-a"   env=prod team=payments
    │   └── ou A1 (OU_A1)              222222222222 "dev-a1"   env=dev  team=payments
    │                                  555555555555 "legacy"   env=prod team=payments  SUSPENDED
    └── ou B  (OU_B)                   333333333333 "prod-b"   env=prod team=search
                                       444444444444 "sandbox"  (no tags, in ou B)

Account ids are fixed (moto draws random ones) so tests can assert literal values. Call
``build_org`` inside ``mock_aws()`` with the management account's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from unittest import mock

import boto3

from orgops import store
from orgops.sessions import assume_role, role_arn
from orgops.targets import Target

MANAGEMENT = "123456789012"
PROD_A = "111111111111"
DEV_A1 = "222222222222"
PROD_B = "333333333333"
SANDBOX = "444444444444"
LEGACY = "555555555555"  # suspended

# Targets over three regions: the operation's deployed default regions in these tests.
REGIONS = ("eu-west-1", "us-east-1", "us-west-2")
DEFAULT_REGIONS = ",".join(REGIONS)

DATA_BUCKET = "orgops-data"
STATUS_TABLE = "orgops-status"
MEMBER_ROLE = "operation-readonly"


@dataclass(frozen=True)
class Org:
    root: str
    ou_a: str
    ou_a1: str
    ou_b: str
    names: dict[str, str]  # account id -> name

    def name(self, account_id: str) -> str:
        return self.names[account_id]


# (id, name, parent key, tags)
ACCOUNTS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    (PROD_A, "prod-a", "ou_a", {"env": "prod", "team": "payments"}),
    (DEV_A1, "dev-a1", "ou_a1", {"env": "dev", "team": "payments"}),
    (PROD_B, "prod-b", "ou_b", {"env": "prod", "team": "search"}),
    (SANDBOX, "sandbox", "ou_b", {}),
    (LEGACY, "legacy", "ou_a1", {"env": "prod", "team": "payments"}),
)


def build_org(session: boto3.Session) -> Org:
    """Create the organization above in moto and return its ids."""
    org = session.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou_a = org.create_organizational_unit(ParentId=root, Name="A")["OrganizationalUnit"]["Id"]
    ou_a1 = org.create_organizational_unit(ParentId=ou_a, Name="A1")["OrganizationalUnit"]["Id"]
    ou_b = org.create_organizational_unit(ParentId=root, Name="B")["OrganizationalUnit"]["Id"]
    parents = {"ou_a": ou_a, "ou_a1": ou_a1, "ou_b": ou_b}
    ids = iter([a[0] for a in ACCOUNTS])
    with mock.patch("moto.organizations.utils.make_random_account_id", lambda: next(ids)):
        for account_id, name, parent, tags in ACCOUNTS:
            created = org.create_account(
                AccountName=name, Email=f"{name}@example.com", Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
            )["CreateAccountStatus"]
            assert created["AccountId"] == account_id
            org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parents[parent])
    org.close_account(AccountId=LEGACY)
    names = {MANAGEMENT: "master", **{a[0]: a[1] for a in ACCOUNTS}}
    return Org(root=root, ou_a=ou_a, ou_a1=ou_a1, ou_b=ou_b, names=names)


def set_account_state(account_id: str, state: str, management: str = MANAGEMENT) -> None:
    """Put an account in a state moto's API cannot reach (``PENDING_CLOSURE``): edits moto's model."""
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[management]["aws"]
    account = next(a for a in backend.accounts if a.id == account_id)
    account.status = account.state = state


def create_data_plane(session: boto3.Session, bucket: str = DATA_BUCKET, table: str = STATUS_TABLE) -> None:
    """The data bucket and the status table, with the key schema the store uses."""
    session.client("s3", region_name="us-east-1").create_bucket(Bucket=bucket)
    ddb = session.client("dynamodb", region_name="us-east-1")
    ddb.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": store.STATUS_HASH_KEY, "KeyType": "HASH"},
            {"AttributeName": store.STATUS_RANGE_KEY, "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": store.STATUS_HASH_KEY, "AttributeType": "S"},
            {"AttributeName": store.STATUS_RANGE_KEY, "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def member_session(session: boto3.Session, account_id: str, role_name: str = MEMBER_ROLE) -> boto3.Session:
    """A session inside a member account, as the worker gets it (moto: AssumeRole into that account)."""
    return assume_role(session, role_arn(account_id, role_name), session_name="seed").session


def record_status(
    session: boto3.Session, execution_arn: str, result: dict[str, object], expires_at: int, table: str = STATUS_TABLE
) -> None:
    """What the state machine's RecordStatus task writes for one worker result (same attributes)."""
    item = {
        **store.status_key(execution_arn, Target(str(result["AccountId"]), "", str(result["Region"]))),
        "account_id": {"S": str(result["AccountId"])},
        "account_name": {"S": str(result["AccountName"])},
        "region": {"S": str(result["Region"])},
        "status": {"S": str(result["Status"])},
        "rows": {"N": str(result["Rows"])},
        "error_code": {"S": str(result["ErrorCode"])},
        "error_message": {"S": str(result["ErrorMessage"])},
        "expires_at": {"N": str(expires_at)},
    }
    session.client("dynamodb", region_name="us-east-1").put_item(TableName=table, Item=item)
