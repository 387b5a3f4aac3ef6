"""`orgops local` reaches the management account's own targets, which have no `--role-name` role.

Organizations creates OrganizationAccountAccessRole only in the accounts it creates, and the
member-roles StackSet never deploys to the management account: there, ``orgops local`` runs with
the caller's own credentials, or assumes ``--management-role-name``. In the emulator (which checks
trust policies as AWS does), the management account has ``operation-readonly``, trusted by the
worker Lambda's role only, and no OrganizationAccountAccessRole.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from orgops.cli import app as cli
from orgops.cli.common import EXIT_OK, EXIT_TARGETS_FAILED
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings
from orgops.emulator.access import trust_policy
from orgops.emulator.world import member_session
from tests.conftest import fake_aws_environment

OPERATION = "unused-ebs-volumes"
REGIONS = ("eu-west-1", "us-east-1")
LOCAL_READER = "local-reader"  # a role in the management account that the operator may assume


@dataclass(frozen=True)
class Env:
    management: str
    alpha: str
    management_volume: str
    alpha_volume: str

    @property
    def accounts(self) -> tuple[str, ...]:
        return ("--accounts", self.management, self.alpha)


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        settings = StackSettings(defaults=OperationSettings(regions=REGIONS))
        with Emulator.in_process(operations=[OPERATION], settings=settings) as emu:
            world = emu.build_organization([AccountSpec("alpha")])
            management, alpha = world.management_account_id, world.account_id("alpha")
            mine = emu.session().client("ec2", region_name="us-east-1")
            theirs = member_session(emu.session(), alpha).client("ec2", region_name="eu-west-1")
            emu.session().client("iam").create_role(
                RoleName=LOCAL_READER, AssumeRolePolicyDocument=trust_policy(f"arn:aws:iam::{management}:root")
            )
            yield Env(
                management,
                alpha,
                mine.create_volume(Size=3, AvailabilityZone="us-east-1a", VolumeType="gp3")["VolumeId"],
                theirs.create_volume(Size=5, AvailabilityZone="eu-west-1a", VolumeType="gp3")["VolumeId"],
            )


def run_local(out: Path, *flags: str) -> int:
    role = ("--role-name", "OrganizationAccountAccessRole")
    return cli.main(["local", OPERATION, *role, "--regions", *REGIONS, "--out", str(out), *flags])


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def found(out: Path) -> list[tuple[str, str, str]]:
    return [(r["account_id"], r["region"], r["volume_id"]) for r in read_csv(out / "report.csv")]


def counts(out: Path) -> list[int]:
    summary = json.loads((out / "summary.json").read_text())
    return [summary[k] for k in ("Targets", "Succeeded", "Failed", "Skipped", "Rows")]


@pytest.mark.e2e
def test_the_management_accounts_targets_run_with_the_callers_credentials(env: Env, tmp_path: Path) -> None:
    assert run_local(tmp_path / "local", *env.accounts) == EXIT_OK

    assert counts(tmp_path / "local") == [4, 4, 0, 0, 2]
    assert found(tmp_path / "local") == sorted(
        [(env.alpha, "eu-west-1", env.alpha_volume), (env.management, "us-east-1", env.management_volume)]
    )
    assert not (tmp_path / "local" / "errors.csv").exists()
    # The same report as the state machine's, whose worker reaches the management account through
    # its operation-readonly (Terraform creates it there: member_roles.management_account_roles).
    assert cli.main(["run", OPERATION, *env.accounts, "--out", str(tmp_path / "sfn"), "--poll-seconds", "0.05"]) == 0
    assert (tmp_path / "local" / "report.csv").read_bytes() == (tmp_path / "sfn" / "report.csv").read_bytes()


@pytest.mark.e2e
def test_management_role_name_is_assumed_in_the_management_account(env: Env, tmp_path: Path) -> None:
    assert run_local(tmp_path, *env.accounts, "--management-role-name", LOCAL_READER) == EXIT_OK

    assert counts(tmp_path) == [4, 4, 0, 0, 2]
    assert (env.management, "us-east-1", env.management_volume) in found(tmp_path)


@pytest.mark.e2e
def test_a_management_role_the_caller_may_not_assume_fails_those_targets_only(env: Env, tmp_path: Path) -> None:
    # operation-readonly exists in the management account but trusts only the worker Lambda's role.
    code = run_local(tmp_path, *env.accounts, "--management-role-name", "operation-readonly")

    assert code == EXIT_TARGETS_FAILED
    assert counts(tmp_path) == [4, 2, 2, 0, 1]
    errors = read_csv(tmp_path / "errors.csv")
    assert [(e["account_id"], e["region"], e["error_code"]) for e in errors] == [
        (env.management, region, "AccessDenied") for region in sorted(REGIONS)
    ]
    assert errors[0]["error_message"].startswith(
        f"cannot assume arn:aws:iam::{env.management}:role/operation-readonly: AccessDenied"
    )


def test_local_help_documents_management_role_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["local", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "--management-role-name NAME role assumed in the management account for its own targets (default: your "
        "credentials, when they are in the management account; otherwise --role-name)"
    ) in text
