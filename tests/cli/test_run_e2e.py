"""`orgops run`, `executions`, `report` and `local` against the emulator's deployed state machines.

One emulated world for the module (deploying it is the slow part): the management account, "alpha"
with an unattached volume in eu-west-1, "beta" whose member role the StackSet never created (its
targets fail), and "gamma" (suspended: skipped). ``public-ips`` is deployed with a distributed
threshold of 2 so its runs take the distributed Map path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from orgops.cli import app as cli
from orgops.cli import progress
from orgops.cli.common import EXIT_AWS, EXIT_EXECUTION_FAILED, EXIT_OK, EXIT_TARGETS_FAILED, EXIT_USAGE
from orgops.cli.run import current_counts
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings, World
from orgops.emulator.world import member_session

pytestmark = pytest.mark.e2e

OPERATIONS = ("unused-ebs-volumes", "public-ips")
REGIONS = ("eu-west-1", "us-east-1")
SPECS = (AccountSpec("alpha"), AccountSpec("beta", member_roles=False), AccountSpec("gamma", suspended=True))
REPORT_HEADER = "account_id,account_name,region,volume_id,size_gib,volume_type,create_time,availability_zone,tags"


class Env:
    def __init__(self, emu: Emulator, world: World, volume_id: str) -> None:
        self.emu, self.world, self.volume_id = emu, world, volume_id

    def id(self, name: str) -> str:
        return self.world.account_id(name)

    def executions(self, operation: str) -> list[dict]:
        sfn = self.emu.session().client("stepfunctions")
        return sfn.list_executions(stateMachineArn=self.emu.stack.state_machines[operation])["executions"]


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    settings = StackSettings(
        defaults=OperationSettings(regions=REGIONS),
        overrides={"public-ips": OperationSettings(regions=REGIONS, distributed_threshold=2, batch_size=2)},
    )
    with Emulator.in_process(operations=OPERATIONS, settings=settings) as emu:
        world = emu.build_organization(SPECS)
        ec2 = member_session(emu.session(), world.account_id("alpha")).client("ec2", region_name="eu-west-1")
        volume = ec2.create_volume(Size=5, AvailabilityZone="eu-west-1a", VolumeType="gp3")["VolumeId"]
        yield Env(emu, world, volume)


def json_documents(text: str) -> list[dict]:
    """Every JSON document in ``text``, in order (the CLI's indented one, and any log line)."""
    decoder, found, i = json.JSONDecoder(), [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        doc, i = decoder.raw_decode(text, i)
        found.append(doc)
    return found


def run(*args: str) -> int:
    fast = ["--poll-seconds", "0.05"] if args[0] in ("run", "report") else []
    return cli.main([*args, *fast])


def test_run_succeeds_with_exit_0_and_downloads_the_report(env: Env, tmp_path: Path) -> None:
    code = run("run", "unused-ebs-volumes", "--accounts", env.id("management"), env.id("alpha"), "--out", str(tmp_path))
    assert code == EXIT_OK
    lines = (tmp_path / "report.csv").read_text().splitlines()
    assert lines[0] == REPORT_HEADER
    assert [line.split(",")[:6] for line in lines[1:]] == [
        [env.id("alpha"), "alpha", "eu-west-1", env.volume_id, "5", "gp3"]
    ]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["Targets"], summary["Succeeded"], summary["Failed"], summary["Rows"]) == (4, 4, 0, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset", "report.csv", "summary.json"]
    # the run's data set (orgops.dataset), for orgops query: its rows, statuses and summary
    assert sorted(p.relative_to(tmp_path / "dataset").parts[0] for p in (tmp_path / "dataset").rglob("*.jsonl")) == [
        "rows",
        "statuses",
        "summaries",
    ]


def test_run_with_failed_targets_exits_1_and_downloads_the_errors(
    env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run("run", "unused-ebs-volumes", "--out", str(tmp_path), "--output", "json")
    assert code == EXIT_TARGETS_FAILED
    doc = json.loads(capsys.readouterr().out)
    assert doc["Status"] == "SUCCEEDED"
    summary = doc["Summary"]
    assert (summary["Targets"], summary["Succeeded"], summary["Failed"], summary["Skipped"]) == (8, 4, 2, 2)
    errors = (tmp_path / "errors.csv").read_text().splitlines()
    assert [e.split(",")[:4] for e in errors[1:]] == [
        [env.id("beta"), "beta", region, "AccessDenied"] for region in REGIONS
    ]
    assert doc["Files"][:3] == [str(tmp_path / n) for n in ("report.csv", "errors.csv", "summary.json")]
    name = doc["ExecutionArn"].rsplit(":", 1)[1]
    saved = [Path(f).relative_to(tmp_path).parts for f in doc["Files"][3:]]
    kinds = ("rows", "statuses", "summaries")
    assert [(p[:3], p[-1]) for p in saved] == [
        (("dataset", kind, "operation=unused-ebs-volumes"), f"{name}.jsonl") for kind in kinds
    ]


def test_a_failed_execution_exits_3_with_the_fanout_error(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    code = run("run", "unused-ebs-volumes", "--accounts", "999999999999")
    assert code == EXIT_EXECUTION_FAILED
    out = capsys.readouterr().out
    assert "status     FAILED" in out
    assert "error      InvalidInput\n" in out
    assert "cause      Accounts.Include[0]: 999999999999 is not an account of this organization\n" in out


def test_apply_without_yes_in_a_non_interactive_shell_starts_nothing(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(env.executions("unused-ebs-volumes"))
    code = run("run", "unused-ebs-volumes", "--apply")
    assert code == EXIT_USAGE
    assert "add --yes to apply without asking" in capsys.readouterr().err
    assert len(env.executions("unused-ebs-volumes")) == before


def test_apply_with_yes_sends_dry_run_false(env: Env) -> None:
    code = run("run", "unused-ebs-volumes", "--accounts", env.id("alpha"), "--apply", "--yes", "--name", "applied-1")
    # (files go to ./reports/...: the tests run in a temporary directory, see conftest)
    assert code == EXIT_OK
    (execution,) = [e for e in env.executions("unused-ebs-volumes") if e["name"] == "applied-1"]
    sfn = env.emu.session().client("stepfunctions")
    sent = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert sent == {"Accounts": {"Include": [env.id("alpha")]}, "DryRun": False}


def test_local_writes_the_same_report_rows_as_the_state_machine(env: Env, tmp_path: Path) -> None:
    # Not the management account: it has no OrganizationAccountAccessRole (as in AWS).
    accounts = ("--accounts", env.id("alpha"), env.id("gamma"))
    assert run("run", "unused-ebs-volumes", *accounts, "--out", str(tmp_path / "sfn")) == EXIT_OK
    # The emulator checks trust policies: the operator reaches members through the org access role.
    local_flags = ("--role-name", "OrganizationAccountAccessRole", "--regions", *REGIONS)
    assert run("local", "unused-ebs-volumes", *accounts, *local_flags, "--out", str(tmp_path / "local")) == EXIT_OK
    assert (tmp_path / "local" / "report.csv").read_bytes() == (tmp_path / "sfn" / "report.csv").read_bytes()
    sfn_summary = json.loads((tmp_path / "sfn" / "summary.json").read_text())
    local_summary = json.loads((tmp_path / "local" / "summary.json").read_text())
    counts = ("Targets", "Succeeded", "Failed", "Skipped", "Rows")
    assert [local_summary[k] for k in counts] == [sfn_summary[k] for k in counts] == [4, 2, 0, 2, 1]


def test_no_wait_prints_the_execution_arn_and_report_fetches_it_later(
    env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("run", "unused-ebs-volumes", "--accounts", env.id("alpha"), "--no-wait", "--name", "later-1") == 0
    arn = capsys.readouterr().out.strip()
    assert arn.endswith(":execution:orgops-unused-ebs-volumes:later-1")
    assert run("report", arn, "--wait", "--out", str(tmp_path)) == EXIT_OK
    assert (tmp_path / "report.csv").read_text().splitlines()[1].startswith(f"{env.id('alpha')},alpha,eu-west-1,")


def test_executions_lists_runs_with_counts_from_their_summary(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("run", "unused-ebs-volumes", "--accounts", env.id("alpha"), "--name", "listed-1") == EXIT_OK
    capsys.readouterr()
    assert run("executions", "unused-ebs-volumes", "--output", "json") == EXIT_OK
    rows = {r["Name"]: r for r in json.loads(capsys.readouterr().out)}
    listed = rows["listed-1"]
    assert (listed["Status"], listed["Targets"], listed["Failed"], listed["Rows"]) == ("SUCCEEDED", 2, 0, 1)
    bucket = env.emu.stack.data_bucket
    assert listed["ReportUri"] == f"s3://{bucket}/reports/unused-ebs-volumes/listed-1/report.csv"


def test_the_distributed_path_counts_batches_from_describe_map_run(env: Env, tmp_path: Path) -> None:
    assert run("run", "public-ips", "--name", "distributed-1", "--out", str(tmp_path)) == EXIT_TARGETS_FAILED
    (execution,) = [e for e in env.executions("public-ips") if e["name"] == "distributed-1"]
    sfn = env.emu.session().client("stepfunctions")
    arn = execution["executionArn"]
    history = progress.HistoryCounter(sfn, arn)
    history.poll()
    assert history.fanout_output is not None and history.fanout_output["Mode"] == "DISTRIBUTED"
    # 6 targets of active accounts in batches of 2; every batch's child execution succeeded.
    history = progress.HistoryCounter(sfn, arn)
    counts = current_counts(sfn, arn, history)
    assert counts == progress.Counts(total=3, succeeded=3, failed=0, running=0, phase="done", unit="batches")


def test_report_of_a_failed_execution_exits_3_and_downloads_nothing(
    env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("run", "unused-ebs-volumes", "--accounts", "999999999999", "--name", "failed-1", "--no-wait")
    arn = capsys.readouterr().out.strip()
    assert run("report", arn, "--wait", "--out", str(tmp_path / "failed"), "--output", "json") == EXIT_EXECUTION_FAILED
    # The emulated Lambdas run in this process: the report function's own log line (the rule on
    # FAILED invoked it) may land on the same stdout. The CLI's document is the one with a Status.
    (doc,) = [d for d in json_documents(capsys.readouterr().out) if "Status" in d]
    assert (doc["Status"], doc["Error"], doc["Summary"], doc["Files"]) == ("FAILED", "InvalidInput", None, [])
    assert not (tmp_path / "failed").exists()


def test_report_of_an_unknown_execution_exits_4(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    arn = "arn:aws:states:us-east-1:123456789012:execution:orgops-unused-ebs-volumes:nope"
    assert run("report", arn) == EXIT_AWS
    assert capsys.readouterr().err.startswith(f"orgops: no execution {arn}")
