"""One emulated world for the whole reliability suite (deploying it is the slow part).

The organization: ``alpha`` and ``bravo`` (member roles deployed, unattached volumes in both
regions), ``nomad`` (the StackSet never reached it: no member role), ``skewed`` (its member roles
trust another role: trust broken), ``retired`` (suspended before the run), ``doomed`` (suspended
by a test between the fanout and its workers), ``optout`` (a test makes eu-west-1 answer
``OptInRequired``), ``firewall`` (security groups open to the internet, for the remediation),
and an account whose name is a spreadsheet formula.
Each test selects its accounts with ``Accounts.Include``, so executions stay small and a test's
faults never reach another test's targets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings, World
from orgops.emulator import seed as seeders
from orgops.emulator.access import trust_policy
from orgops.emulator.world import member_session
from orgops.sessions import client
from tests.conftest import fake_aws_environment
from tests.reliability.faults import LambdaFaults, ServiceFaults, installed_lambda_faults, installed_service_faults

REGIONS = ("eu-west-1", "us-east-1")
FORMULA_ACCOUNT = '=HYPERLINK("https://evil.example","open")'
OPERATIONS = ("unused-ebs-volumes", "sg-open-ingress-remediation")
SPECS = (
    AccountSpec("alpha", "Workloads"),
    AccountSpec("bravo", "Workloads"),
    AccountSpec("nomad", "Sandbox", member_roles=False),
    AccountSpec("skewed", "Sandbox"),
    AccountSpec("retired", "Suspended", suspended=True),
    AccountSpec("doomed", "Workloads"),
    AccountSpec("optout", "Workloads"),
    AccountSpec("firewall", "Workloads"),
    # An account name a spreadsheet would run as a formula (Organizations allows it).
    AccountSpec(FORMULA_ACCOUNT, "Workloads"),
)
SEEDED = ("alpha", "bravo", "doomed", "optout")


@dataclass
class Reliability:
    emu: Emulator
    world: World
    service_faults: ServiceFaults
    lambda_faults: LambdaFaults
    volumes: dict[tuple[str, str], list[dict[str, Any]]]  # (account id, region) -> seeded rows

    def id(self, name: str) -> str:
        return self.world.account_id(name)

    def targets(self, *names: str, regions: tuple[str, ...] = REGIONS) -> set[tuple[str, str]]:
        return {(self.id(n), r) for n in names for r in regions}

    def member(self, name: str) -> Any:
        return member_session(self.emu.session(), self.id(name))


@pytest.fixture(scope="package")
def rel() -> Iterator[Reliability]:
    settings = StackSettings(defaults=OperationSettings(regions=REGIONS))
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        with (
            installed_service_faults() as service_faults,
            Emulator.in_process(operations=OPERATIONS, settings=settings) as emu,
            installed_lambda_faults() as lambda_faults,
        ):
            world = emu.build_organization(SPECS)
            # skewed: the roles exist, but trust a role that is not the worker's.
            iam = client(member_session(emu.session(), world.account_id("skewed")), "iam", "us-east-1")
            stranger = f"arn:aws:iam::{world.management_account_id}:role/someone-else"
            for role in ("operation-readonly", "operation-admin"):
                iam.update_assume_role_policy(RoleName=role, PolicyDocument=trust_policy(stranger))
            volumes: dict[tuple[str, str], list[dict[str, Any]]] = {}
            index = 0
            for name in SEEDED:
                member = member_session(emu.session(), world.account_id(name))
                for region in REGIONS:
                    volumes[(world.account_id(name), region)] = seeders.unused_ebs_volumes(
                        member, world.account_id(name), region, index
                    )
                    index += 1
            yield Reliability(emu, world, service_faults, lambda_faults, volumes)


@pytest.fixture
def faults(rel: Reliability) -> Iterator[Reliability]:
    """The world, with every injected fault removed and every warm Lambda cooled after the test."""
    rel.emu.router.cool_down()
    yield rel
    rel.service_faults.clear()
    rel.lambda_faults.clear()
    rel.emu.router.cool_down()
