"""The organization inventory in the emulator: deployed as Terraform deploys it, filled by the
inventory function's own code (its role, the org-reader it assumes), read by the deployed fanout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from orgops import inventory
from orgops import org as org_listing
from orgops.emulator import AccountSpec, Emulator, World
from orgops.emulator.server import quiet_moto
from orgops.emulator.stack import refresh_inventory
from tests.conftest import fake_aws_environment

ACCOUNTS = (
    AccountSpec("prod-payments", "Workloads/Prod", tags={"env": "prod"}),
    AccountSpec("prod-search", "Workloads/Prod/Data", tags={"env": "prod"}),
    AccountSpec("dev-payments", "Workloads/NonProd", tags={"env": "dev"}),
    AccountSpec("closed-2019", "Suspended", suspended=True, tags={"env": "prod"}),
)
INPUT = {"Regions": "ALL", "Accounts": {"Tags": {"env": "prod"}}}


@pytest.fixture(scope="module")
def emulated() -> Iterator[tuple[Emulator, World]]:
    quiet_moto()
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        with Emulator.in_process() as emu:
            yield emu, emu.build_organization(ACCOUNTS)


def items(emu: Emulator) -> dict[str, inventory.Record]:
    return inventory.read_all(emu.session().client("dynamodb"), emu.stack.inventory_table)


@pytest.mark.e2e
def test_a_run_before_and_after_the_inventory_is_filled_plans_the_same_targets(
    emulated: tuple[Emulator, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu, world = emulated
    before = emu.run("vpcs", INPUT)  # the inventory is empty: every account is read live

    runs = refresh_inventory(emu)
    tagged: list[str] = []
    real = org_listing.account_tags
    monkeypatch.setattr(org_listing, "account_tags", lambda client, a: tagged.append(a) or real(client, a))
    after = emu.run("vpcs", INPUT)

    found = items(emu)
    assert runs[-1]["Stale"] == 0 and len(found) == len(ACCOUNTS) + 1  # and the management account
    assert found[world.account_id("prod-search")].ou_path == "Root/Workloads/Prod/Data"
    assert found[world.account_id("closed-2019")].regions is None
    assert tagged == []  # the deployed fanout took every tag from the inventory
    assert (before.status, after.status) == ("SUCCEEDED", "SUCCEEDED")
    summary: dict[str, Any] = {k: after.output[k] for k in ("Targets", "Succeeded", "Failed", "Skipped")}
    assert summary == {k: before.output[k] for k in summary}
    assert summary["Skipped"] == 1  # the suspended prod account
