"""The organization inventory's table in moto, and a refresh of it, for handler tests."""

from __future__ import annotations

from typing import Any

import boto3

from orgops import inventory
from orgops.config import InventorySettings
from orgops.handlers import inventory as inventory_handler

INVENTORY_TABLE = "orgops-inventory"
NOW = 1_700_000_000.0


def create_inventory_table(session: boto3.Session, table: str = INVENTORY_TABLE) -> None:
    """The table as modules/platform declares it: hash key account_id (S), on demand."""
    session.client("dynamodb", region_name="us-east-1").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": inventory.HASH_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": inventory.HASH_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def refresh(session: boto3.Session, now: float = NOW, table: str = INVENTORY_TABLE, **kwargs: Any) -> dict[str, Any]:
    """One scheduled refresh on a simulated clock (nothing sleeps); the run's summary."""
    return inventory_handler.handle(
        {"Refresh": "stalest"},
        InventorySettings(inventory_table=table, org_role_arn=None),
        session,
        clock=inventory.SimulatedClock(),
        now=lambda: now,
        **kwargs,
    )


def records(session: boto3.Session, table: str = INVENTORY_TABLE) -> dict[str, inventory.Record]:
    return inventory.read_all(session.client("dynamodb", region_name="us-east-1"), table)


def put(session: boto3.Session, *items: inventory.Record, table: str = INVENTORY_TABLE) -> None:
    inventory.write(session.client("dynamodb", region_name="us-east-1"), table, items)


def remove(session: boto3.Session, *account_ids: str, table: str = INVENTORY_TABLE) -> None:
    inventory.delete(session.client("dynamodb", region_name="us-east-1"), table, account_ids)
