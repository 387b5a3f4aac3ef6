"""`orgops diff A B` on emulator runs that `orgops run` saved into ./reports: the same changes as the
report's changes.csv, from the saved folders and from the execution ARNs, in each output.

The world: "alpha" with a volume in eu-west-1 that is retagged between the runs, "beta" whose
member role the StackSet never created (its targets fail: not compared), "gamma" with a volume in
eu-west-1 that is deleted, and one created in us-east-1. The accounts operation runs once (a run
of another operation, to refuse).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orgops import store
from orgops.cli import app as cli
from orgops.cli.common import EXIT_OK, EXIT_TARGETS_FAILED, EXIT_USAGE
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings, World
from orgops.emulator.world import member_session
from tests.conftest import fake_aws_environment

pytestmark = pytest.mark.e2e

OPERATION = "unused-ebs-volumes"
REGIONS = ("eu-west-1", "us-east-1")
SPECS = (AccountSpec("alpha", "Prod"), AccountSpec("beta", "Sandbox", member_roles=False), AccountSpec("gamma", "Dev"))


@dataclass(frozen=True)
class Runs:
    emu: Emulator
    world: World
    reports: Path
    first: str  # execution ARNs
    second: str
    accounts: str
    volumes: dict[str, str]  # "retagged", "deleted", "created" -> volume id

    def folder(self, arn: str, operation: str = OPERATION) -> Path:
        return self.reports / operation / store.ExecutionRef.parse(arn).name


def _run(emu: Emulator, operation: str) -> str:
    code = cli.main(["run", operation, "--regions", *REGIONS, "--output", "json", "--poll-seconds", "0.05"])
    assert code in (EXIT_OK, EXIT_TARGETS_FAILED)
    sfn = emu.session().client("stepfunctions")
    (latest, *_) = sfn.list_executions(stateMachineArn=emu.stack.state_machines[operation])["executions"]
    return str(latest["executionArn"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    settings = StackSettings(defaults=OperationSettings(regions=REGIONS))
    folder = tmp_path_factory.mktemp("cwd")
    with (
        pytest.MonkeyPatch.context() as mp,
        Emulator.in_process(operations=("accounts", OPERATION), settings=settings) as emu,
    ):
        fake_aws_environment(mp)
        mp.chdir(folder)  # orgops run saves into ./reports/
        world = emu.build_organization(SPECS)

        def ec2(account: str, region: str) -> Any:
            return member_session(emu.session(), world.account_id(account)).client("ec2", region_name=region)

        def volume(account: str, region: str) -> str:
            made = ec2(account, region).create_volume(Size=5, AvailabilityZone=f"{region}a", VolumeType="gp3")
            return str(made["VolumeId"])

        retagged, deleted = volume("alpha", "eu-west-1"), volume("gamma", "eu-west-1")
        accounts = _run(emu, "accounts")
        first = _run(emu, OPERATION)
        ec2("alpha", "eu-west-1").create_tags(Resources=[retagged], Tags=[{"Key": "env", "Value": "prod"}])
        ec2("gamma", "eu-west-1").delete_volume(VolumeId=deleted)
        created = volume("gamma", "us-east-1")
        second = _run(emu, OPERATION)
        volumes = {"retagged": retagged, "deleted": deleted, "created": created}
        yield Runs(emu, world, folder / "reports", first, second, accounts, volumes)


def diff(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["diff", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_orgops_run_saved_the_changes_csv_of_the_second_run(runs: Runs) -> None:
    assert (runs.folder(runs.second) / "changes.csv").is_file()
    assert not (runs.folder(runs.first) / "changes.csv").exists()  # the first run compared with nothing


def test_the_csv_output_is_the_reports_changes_csv(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = diff(capsys, str(runs.folder(runs.first)), str(runs.folder(runs.second)), "--output", "csv")

    assert code == EXIT_OK
    assert out == (runs.folder(runs.second) / "changes.csv").read_text(encoding="utf-8")
    in_identity_order = [change for change, _ in sorted(_changes(runs), key=lambda c: c[1])]
    assert [line.split(",", 1)[0] for line in out.splitlines()] == ["change", *in_identity_order]


def _changes(runs: Runs) -> list[tuple[str, tuple[str, str, str]]]:
    alpha, gamma = runs.world.account_id("alpha"), runs.world.account_id("gamma")
    v = runs.volumes
    return [
        ("changed", (alpha, "eu-west-1", v["retagged"])),
        ("removed", (gamma, "eu-west-1", v["deleted"])),
        ("added", (gamma, "us-east-1", v["created"])),
    ]


def test_the_json_output_counts_and_lists_every_change(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = diff(capsys, str(runs.folder(runs.first)), str(runs.folder(runs.second)), "--output", "json")

    doc = json.loads(out)
    assert code == EXIT_OK
    assert {k: v for k, v in doc.items() if k != "Changes"} == {
        "Operation": OPERATION,
        "Execution": runs.second,
        "ComparedWith": runs.first,
        "New": 1,
        "Resolved": 1,
        "Changed": 1,
        "NotCompared": 2,  # beta, in both regions
    }
    got = [(c["change"], (c["account_id"], c["region"], c["volume_id"])) for c in doc["Changes"]]
    assert got == sorted(_changes(runs), key=lambda c: c[1])
    (changed,) = [c for c in doc["Changes"] if c["change"] == "changed"]
    assert (changed["changed_columns"], changed["previous"], changed["tags"]) == (["tags"], {"tags": ""}, "env=prod")


def test_the_table_leads_with_the_same_line_as_the_summary(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = diff(capsys, str(runs.folder(runs.first) / "report.csv"), str(runs.folder(runs.second)))

    first_name = store.ExecutionRef.parse(runs.first).name
    lines = out.splitlines()
    assert code == EXIT_OK
    assert lines[0] == (
        f"+1 new unused EBS volumes, 1 resolved, 1 changed since {first_name} "
        "(2 targets not compared: failed or skipped in one of the runs)."
    )
    assert lines[1].split() == ["CHANGE", "ACCOUNT", "REGION", "VOLUME_ID", "WHAT", "CHANGED"]
    changed = next(line for line in lines if line.startswith("changed"))
    assert changed.split()[-4:] == ["tags:", "(empty)", "->", "env=prod"]


def test_execution_arns_give_what_the_saved_folders_give(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    _, from_folders, _ = diff(capsys, str(runs.folder(runs.first)), str(runs.folder(runs.second)), "--output", "csv")

    code, from_arns, _ = diff(capsys, runs.first, runs.second, "--output", "csv")

    assert (code, from_arns) == (EXIT_OK, from_folders)


def test_runs_of_two_operations_are_refused_naming_both(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    accounts = runs.folder(runs.accounts, "accounts")

    code, _, err = diff(capsys, str(accounts), str(runs.folder(runs.second)))

    assert code == EXIT_USAGE
    assert err == (
        f"orgops: {accounts} is a run of accounts and {runs.folder(runs.second)} a run of unused-ebs-volumes: "
        "compare two runs of the same operation\n"
    )


def test_a_folder_without_a_report_is_refused_with_what_to_give(
    runs: Runs, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = diff(capsys, str(tmp_path), str(runs.folder(runs.second)))

    assert code == EXIT_USAGE
    assert err == (
        f"orgops: {tmp_path}: no report.csv there; give an execution ARN, or a folder orgops run, report or local "
        "saved (reports/<operation>/<execution name>/) or its report.csv\n"
    )
