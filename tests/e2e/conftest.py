"""One emulated world per test module: the stack deployed as Terraform does, a small organization
(nested OUs, a suspended account, an account the StackSet never reached), resources seeded for
every operation that has a seeder, and the report rows each must produce."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from orgops.emulator import AccountSpec, Emulator, World, seed
from orgops.emulator.server import quiet_moto
from tests.conftest import fake_aws_environment

REGIONS = ["eu-west-1", "us-east-1"]
ACCOUNTS = (
    AccountSpec("prod-payments", "Workloads/Prod"),
    AccountSpec("prod-search", "Workloads/Prod/Data"),
    AccountSpec("dev-payments", "Workloads/NonProd"),
    AccountSpec("sandbox-no-roles", "Sandbox", member_roles=False),
    AccountSpec("closed-2019", "Suspended", suspended=True),
)
UNREACHABLE = "sandbox-no-roles"
SUSPENDED = "closed-2019"


@dataclass(frozen=True)
class Emulated:
    emu: Emulator
    world: World
    expected: dict[str, list[dict[str, str]]]  # operation -> the report rows it must produce


@pytest.fixture(scope="module")
def emulated() -> Iterator[Emulated]:
    quiet_moto()
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        with Emulator.in_process() as emu:
            world = emu.build_organization(ACCOUNTS)
            expected = seed.seed_world(emu.session(), world, REGIONS)
            yield Emulated(emu, world, expected)


def served_emulator_env() -> dict[str, str]:
    """The environment an ``orgops emulator`` subprocess runs with: fake credentials, no config files."""
    import os
    from pathlib import Path

    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "lambda_src"),
    }
    env.pop("AWS_ENDPOINT_URL", None)
    return env
