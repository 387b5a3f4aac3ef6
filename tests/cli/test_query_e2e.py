"""`orgops query` answers the docs' example queries ("Results as a data set") on emulator runs,
with exact rows: runs saved by `orgops run` into ./reports, and the same from the bucket (--s3).

The world: "alpha" (Workloads/Prod) with an unattached volume in eu-west-1, "beta" (Sandbox) whose
member role the StackSet never created (its targets fail every run), "gamma" (Workloads/Dev) with a
volume in each region. The accounts operation runs once (the OU paths), unused-ebs-volumes three
times, alpha getting a second volume before the third run.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orgops import dataset
from orgops.cli import app as cli
from orgops.cli.common import EXIT_OK, EXIT_TARGETS_FAILED, EXIT_USAGE
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings, World
from orgops.emulator.world import member_session
from tests.conftest import fake_aws_environment

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "docs" / "dataset.md"
REGIONS = ("eu-west-1", "us-east-1")
SPECS = (
    AccountSpec("alpha", "Workloads/Prod"),
    AccountSpec("beta", "Sandbox", member_roles=False),
    AccountSpec("gamma", "Workloads/Dev"),
)


def readme_queries() -> dict[str, str]:
    """The ```sql blocks of the docs' "Results as a data set" page, by their first comment."""
    section = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", section, re.DOTALL)
    return {block.splitlines()[0].removeprefix("-- ").split(" (")[0]: block for block in blocks}


@dataclass(frozen=True)
class Runs:
    emu: Emulator
    world: World
    reports: Path
    accounts: dict[str, Any]  # the accounts run: {"arn", "run_time"}
    volumes: list[dict[str, Any]]  # the three unused-ebs-volumes runs, in order

    def id(self, name: str) -> str:
        return self.world.account_id(name)


def _run(emu: Emulator, operation: str) -> dict[str, Any]:
    code = cli.main(["run", operation, "--regions", *REGIONS, "--output", "json", "--poll-seconds", "0.05"])
    assert code in (EXIT_OK, EXIT_TARGETS_FAILED)
    sfn = emu.session().client("stepfunctions")
    (latest, *_) = sfn.list_executions(stateMachineArn=emu.stack.state_machines[operation])["executions"]
    described = sfn.describe_execution(executionArn=latest["executionArn"])
    return {
        "arn": described["executionArn"],
        "output": json.loads(described["output"]),
        "run_time": dataset.timestamp_text(dataset.execution_started(sfn, described["executionArn"])),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    settings = StackSettings(defaults=OperationSettings(regions=REGIONS))
    folder = tmp_path_factory.mktemp("cwd")
    with (
        pytest.MonkeyPatch.context() as mp,
        Emulator.in_process(operations=("accounts", "unused-ebs-volumes"), settings=settings) as emu,
    ):
        fake_aws_environment(mp)  # the module's runs happen before each test's own environment
        mp.chdir(folder)  # orgops run saves into ./reports/
        world = emu.build_organization(SPECS)

        def volume(account: str, region: str) -> None:
            ec2 = member_session(emu.session(), world.account_id(account)).client("ec2", region_name=region)
            ec2.create_volume(Size=5, AvailabilityZone=f"{region}a", VolumeType="gp3")

        volume("alpha", "eu-west-1")
        volume("gamma", "eu-west-1")
        volume("gamma", "us-east-1")
        accounts = _run(emu, "accounts")
        first, second = _run(emu, "unused-ebs-volumes"), _run(emu, "unused-ebs-volumes")
        volume("alpha", "eu-west-1")
        third = _run(emu, "unused-ebs-volumes")
        yield Runs(emu, world, folder / "reports", accounts, [first, second, third])


def query(sql: str, capsys: pytest.CaptureFixture[str], *where: str) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert cli.main(["query", sql, "--output", "json", *where]) == EXIT_OK
    return json.loads(capsys.readouterr().out)


def test_the_readme_has_the_three_example_queries() -> None:
    assert list(readme_queries()) == [
        "latest run per operation",
        "findings per OU over time",
        "accounts failing in three consecutive runs",
    ]


def test_the_latest_run_per_operation(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    got = query(readme_queries()["latest run per operation"], capsys, "--data", str(runs.reports))

    third, accounts = runs.volumes[2], runs.accounts
    assert (
        got
        == [
            {
                "operation": "accounts",
                "run_date": accounts["run_time"][:10],
                "run_time": accounts["run_time"],
                "execution_id": accounts["arn"],
                "targets": 1,
                "succeeded": 1,
                "failed": 0,
                "skipped": 0,
                "row_count": 4,  # the management account and the three members
            },
            {
                "operation": "unused-ebs-volumes",
                "run_date": third["run_time"][:10],
                "run_time": third["run_time"],
                "execution_id": third["arn"],
                "targets": 8,
                "succeeded": 6,
                "failed": 2,  # beta, both regions
                "skipped": 0,
                "row_count": 4,
            },
        ]
    )


def test_findings_per_ou_over_time(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    got = query(readme_queries()["findings per OU over time"], capsys, "--data", str(runs.reports))

    expected = []
    for run, prod in zip(runs.volumes, (1, 1, 2), strict=True):
        for ou, findings in (("Root/Workloads/Dev", 2), ("Root/Workloads/Prod", prod)):
            expected.append(
                {"run_date": run["run_time"][:10], "run_time": run["run_time"], "ou_path": ou, "findings": findings}
            )
    assert got == expected


def test_accounts_failing_in_three_consecutive_runs(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    got = query(readme_queries()["accounts failing in three consecutive runs"], capsys, "--data", str(runs.reports))

    assert got == [
        {"operation": "unused-ebs-volumes", "account_id": runs.id("beta"), "account_name": "beta", "failed_runs": 3}
    ]


def test_the_bucket_answers_as_the_saved_runs_do(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    sql = readme_queries()["accounts failing in three consecutive runs"]

    from_bucket = query(sql, capsys, "--s3", f"s3://{runs.emu.stack.data_bucket}")

    assert from_bucket == query(sql, capsys, "--data", str(runs.reports))


def test_a_run_saved_twice_is_counted_once(runs: Runs, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Given the first run saved again, by orgops report, in another folder beside the runs
    both = tmp_path / "both"
    shutil.copytree(runs.reports, both / "reports")
    code = cli.main(["report", runs.volumes[0]["arn"], "--out", str(both / "again"), "--output", "json"])
    assert code == EXIT_TARGETS_FAILED
    sql = "SELECT count(*) AS runs, count(DISTINCT execution_id) AS executions FROM summaries"

    assert query(sql, capsys, "--data", str(both)) == [{"runs": 4, "executions": 4}]
    assert len(list((both / "again" / "dataset").rglob("*.jsonl"))) == 3


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("csv", "operation,failed\naccounts,0\nunused-ebs-volumes,2\n"),
        (
            "table",
            "operation           failed\n"
            "------------------  ------\n"
            "accounts            0\n"
            "unused-ebs-volumes  2\n"
            "(2 rows)\n",
        ),
    ],
)
def test_csv_and_table_outputs(runs: Runs, capsys: pytest.CaptureFixture[str], output: str, expected: str) -> None:
    sql = "SELECT operation, max(failed) AS failed FROM summaries GROUP BY operation ORDER BY operation"
    capsys.readouterr()

    assert cli.main(["query", sql, "--output", output, "--data", str(runs.reports)]) == EXIT_OK
    assert capsys.readouterr().out == expected


def test_a_failing_query_exits_2_with_duckdbs_message(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()

    assert cli.main(["query", "SELECT nope FROM summaries", "--data", str(runs.reports)]) == EXIT_USAGE
    assert 'orgops: the query failed: Binder Error: Referenced column "nope" not found' in capsys.readouterr().err
