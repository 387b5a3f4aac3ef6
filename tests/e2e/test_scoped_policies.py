"""The member roles' scoped grants, enforced by the emulator as AWS would: a write to a resource
outside its action's ARN patterns is refused (EC2's UnauthorizedOperation, naming the resource),
one inside them is applied. Its own world: the remediation here applies its changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orgops import operations
from orgops.emulator import Emulator, iam_policies, seed
from orgops.emulator.iam_policies import Grant
from orgops.emulator.server import quiet_moto
from orgops.emulator.world import member_session
from orgops.sessions import client
from tests.conftest import fake_aws_environment
from tests.e2e.conftest import ACCOUNTS, REGIONS, UNREACHABLE, Emulated

OPERATION = "sg-open-ingress-remediation"
REVOKE = "ec2:RevokeSecurityGroupIngress"
SCOPED = "arn:${Partition}:ec2:*:${Account}:security-group/*"


@pytest.fixture(scope="module")
def emulated() -> Iterator[Emulated]:
    quiet_moto()
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        with Emulator.in_process(operations=[OPERATION]) as emu:
            world = emu.build_organization(ACCOUNTS)
            expected = seed.seed_world(emu.session(), world, REGIONS, [OPERATION])
            yield Emulated(emu, world, expected)


def _open_ssh(emu: Emulator, account: str, region: str, group_id: str) -> bool:
    ec2 = client(member_session(emu.session(), account), "ec2", region)
    (group,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    return any(p.get("FromPort") == 22 and p.get("IpRanges") for p in group["IpPermissions"])


@pytest.mark.e2e
def test_the_admin_role_holds_the_revoke_on_security_groups_only_as_its_operation_declares(
    emulated: Emulated,
) -> None:
    grants = iam_policies.member_policies()["operation-admin"]

    assert {g for g in grants if g.action == REVOKE.lower()} == {Grant(REVOKE.lower(), SCOPED)}
    assert operations.get(OPERATION).resources == {REVOKE: (SCOPED,)}
    assert Grant("ec2:describesecuritygroups") in grants  # supports no resource: "*"


@pytest.mark.e2e
def test_a_revoke_outside_the_scoped_pattern_is_refused_naming_the_group_and_inside_it_applied(
    emulated: Emulated,
) -> None:
    # Given the admin role's revoke narrowed to the first seeded security group
    seeded = emulated.expected[OPERATION]
    assert len(seeded) >= 2, "the seeder must leave at least two open groups"
    allowed = seeded[0]["group_id"]
    before = iam_policies.member_policies()
    narrowed = f"arn:${{Partition}}:ec2:*:${{Account}}:security-group/{allowed}"
    admin = {g for g in before["operation-admin"] if g.action != REVOKE.lower()} | {Grant(REVOKE, narrowed)}
    iam_policies.set_member_policies({**before, "operation-admin": admin})
    try:
        # When the remediation applies its changes
        ex = emulated.emu.run(OPERATION, {"Regions": REGIONS, "DryRun": False})
    finally:
        iam_policies.set_member_policies(before)

    # Then that group is revoked, and each other one refused with its ARN and left open
    assert ex.status == "SUCCEEDED", ex.cause
    assert ex.output is not None
    rows = {(r["account_id"], r["region"], r["group_id"]): r for r in emulated.emu.read_csv(ex.output["ReportUri"])}
    assert set(rows) == {(r["account_id"], r["region"], r["group_id"]) for r in seeded}
    for (account, region, group), row in rows.items():
        arn = f"arn:aws:ec2:{region}:{account}:security-group/{group}"
        if group == allowed:
            assert (row["applied"], row["error"]) == ("true", ""), row
            assert not _open_ssh(emulated.emu, account, region, group)
        else:
            caller = f"arn:aws:sts::{account}:assumed-role/operation-admin/"
            assert row["applied"] == "false"
            assert row["error"].startswith("UnauthorizedOperation: You are not authorized to perform this operation.")
            assert f"User: {caller}" in row["error"]
            assert f"is not authorized to perform: {REVOKE} on resource: {arn} because" in row["error"]
            assert _open_ssh(emulated.emu, account, region, group)  # untouched
    assert emulated.world.account_id(UNREACHABLE) not in {a for a, _r, _g in rows}
