"""Every failure path ends in the documented exit code (README, "Running an operation", Exit codes)
with a one-line message naming the flag and the fix, never a traceback.

The flags that are wrong before anything starts need no AWS; the tests that must prove "no
execution was started", or need a running one, use one emulated world for the module: the
management account and "alpha", ``unused-ebs-volumes`` running one target at a time, each worker
slowed down by a ``before_invoke`` hook when a test asks for it.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orgops.cli import app as cli
from orgops.cli import common as cli_common
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings
from orgops.emulator.server import quiet_moto
from tests.conftest import fake_aws_environment

OPERATION = "unused-ebs-volumes"
REGIONS = ("eu-west-1", "us-east-1")
ARN = f"arn:aws:states:us-east-1:123456789012:execution:orgops-{OPERATION}:x-1"


def one_line_error(err: str) -> str:
    """The message, checked to be one line and no traceback."""
    assert "Traceback" not in err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, err
    return lines[0]


class SlowWorkers:
    """The before_invoke hook: workers sleep ``seconds``; ``on_start`` is called as each starts."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.on_start: Any = None

    def __call__(self, function_name: str, event: dict[str, Any]) -> None:
        if function_name.endswith("-worker"):
            if self.on_start is not None:
                self.on_start()
            time.sleep(self.seconds)


class World:
    def __init__(self, emu: Emulator, workers: SlowWorkers) -> None:
        self.emu, self.workers = emu, workers

    def executions(self) -> list[dict[str, Any]]:
        sfn = self.emu.session().client("stepfunctions")
        return sfn.list_executions(stateMachineArn=self.emu.stack.state_machines[OPERATION])["executions"]

    def stop_all(self) -> None:
        sfn = self.emu.session().client("stepfunctions")
        for ex in self.executions():
            if ex["status"] == "RUNNING":
                sfn.stop_execution(executionArn=ex["executionArn"])


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    quiet_moto()
    settings = StackSettings(defaults=OperationSettings(regions=REGIONS, max_concurrency=1))
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        with Emulator.in_process(operations=[OPERATION], settings=settings) as emu:
            emu.build_organization([AccountSpec("alpha")])
            workers = SlowWorkers()
            emu.router.before_invoke.append(workers)
            yield World(emu, workers)


@pytest.fixture
def slow(world: World) -> Iterator[World]:
    world.workers.seconds = 0.5
    try:
        yield world
    finally:
        world.workers.seconds, world.workers.on_start = 0.0, None
        world.stop_all()


# -- usage errors: exit 2, the flag named, nothing started -----------------------------------------
@pytest.mark.parametrize("command", ["run", "local"])
def test_a_params_file_nested_100000_levels_deep_exits_2_naming_the_flag(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = tmp_path / "params.json"
    params.write_text('{"Names": ' + "[" * 100_000 + "]" * 100_000 + "}")

    code = cli.main([command, OPERATION, "--params-file", str(params)])

    assert code == cli_common.EXIT_USAGE
    message = one_line_error(capsys.readouterr().err)
    assert message.startswith(f"orgops: --params-file: {params} is nested too deeply")
    assert "give a JSON object of parameter name to value" in message


def test_a_params_file_nested_deeper_than_any_parameter_exits_2_with_its_depth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = tmp_path / "params.json"
    params.write_text('{"Names": ' + "[" * 500 + "]" * 500 + "}")

    assert cli.main(["run", OPERATION, "--params-file", str(params)]) == cli_common.EXIT_USAGE
    message = one_line_error(capsys.readouterr().err)
    assert f"--params-file: {params} is nested 501 levels deep (at most 32)" in message


def test_a_param_value_nested_too_deeply_exits_2_naming_the_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["run", OPERATION, "--param", "Names=" + "[" * 100_000 + "]" * 100_000])

    assert code == cli_common.EXIT_USAGE
    message = one_line_error(capsys.readouterr().err)
    assert message.startswith("orgops: --param Names: the value is nested too deeply")


@pytest.mark.parametrize(
    "args",
    [
        ["run", OPERATION],
        ["local", OPERATION],
        ["report", ARN],
        ["executions", OPERATION],
    ],
    ids=["run", "local", "report", "executions"],
)
@pytest.mark.parametrize("url", ["not-a-url", "127.0.0.1:5000", "ftp://127.0.0.1"])
def test_an_endpoint_url_that_is_not_an_http_url_exits_2_naming_the_flag(
    args: list[str], url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main([*args, "--endpoint-url", url, "--region", "us-east-1"])

    assert code == cli_common.EXIT_USAGE
    message = one_line_error(capsys.readouterr().err)
    assert message.startswith(f"orgops: --endpoint-url {url!r} is not ")
    assert "give one such as http://127.0.0.1:5000" in message


def test_a_malformed_aws_endpoint_url_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "not-a-url")

    assert cli.main(["report", ARN]) == cli_common.EXIT_USAGE
    assert one_line_error(capsys.readouterr().err).startswith("orgops: AWS_ENDPOINT_URL 'not-a-url' is not a URL")


@pytest.mark.e2e
@pytest.mark.parametrize("where", ["under-a-file", "a-file"])
def test_an_unwritable_out_exits_2_before_any_execution_starts(
    world: World, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    out = blocker / "reports" if where == "under-a-file" else blocker
    before = len(world.executions())

    code = cli.main(["run", OPERATION, "--out", str(out), "--poll-seconds", "0.05"])

    assert code == cli_common.EXIT_USAGE
    message = one_line_error(capsys.readouterr().err)
    assert message.startswith(f"orgops: --out {out}")
    assert "directory" in message
    assert len(world.executions()) == before  # found before anything started, not after the run


@pytest.mark.parametrize("command", ["local", "report"])
def test_an_unwritable_out_of_local_and_report_exits_2_before_anything_runs(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    out = blocker / "reports"
    first = OPERATION if command == "local" else ARN

    assert cli.main([command, first, "--out", str(out)]) == cli_common.EXIT_USAGE
    message = one_line_error(capsys.readouterr().err)
    assert message.startswith(f"orgops: --out {out}: cannot write report files there (Not a directory)")


def test_checking_a_writable_out_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "c"

    cli_common.check_out_dir(out)

    assert list(tmp_path.iterdir()) == []


# -- a running execution, SIGTERM ------------------------------------------------------------------
@pytest.mark.e2e
def test_report_of_a_running_execution_says_so_and_exits_with_the_running_code(
    slow: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", OPERATION, "--no-wait", "--name", "running-1"]) == cli_common.EXIT_OK
    arn = capsys.readouterr().out.strip()

    code = cli.main(["report", arn, "--out", str(tmp_path / "out")])

    assert code == cli_common.EXIT_RUNNING == 5
    message = one_line_error(capsys.readouterr().err)
    assert message == (
        f"orgops: {arn} is still RUNNING, so it has no report yet: add --wait to follow it to the end, "
        "or run this again later"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.e2e
def test_sigterm_during_run_is_handled_as_ctrl_c_with_a_message_and_exit_130(
    slow: World, capsys: pytest.CaptureFixture[str]
) -> None:
    received: list[int] = []
    slow.workers.on_start = lambda: os.kill(os.getpid(), signal.SIGTERM)
    # Should orgops leave SIGTERM alone, this stands in for being killed: the test fails, pytest lives.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    try:
        code = cli.main(["run", OPERATION, "--name", "terminated-1", "--poll-seconds", "0.05"])
    finally:
        slow.workers.on_start = None
        signal.signal(signal.SIGTERM, previous)

    assert code == cli_common.EXIT_INTERRUPTED == 130
    err = capsys.readouterr().err
    (execution,) = [e for e in slow.executions() if e["name"] == "terminated-1"]
    assert f"orgops: terminated (SIGTERM); the execution keeps running: {execution['executionArn']}" in err
    assert "Traceback" not in err
    assert execution["status"] == "RUNNING"  # nobody was asked to stop it
    assert received == []


# -- the single definition -----------------------------------------------------------------------
def test_the_help_lists_every_exit_code_defined(capsys: pytest.CaptureFixture[str]) -> None:
    codes = {
        name: value
        for name, value in vars(cli_common).items()
        if name.startswith("EXIT_") and isinstance(value, cli_common.ExitCode)
    }
    listed = [line.split()[0] for line in cli_common.EXIT_CODES_EPILOG.splitlines()[1:]]
    assert listed == [str(int(v)) for v in sorted(codes.values())]
    assert set(codes.values()) == set(cli_common.ExitCode)
    assert "  5    the execution is still running (orgops report without --wait): nothing was downloaded" in (
        cli_common.EXIT_CODES_EPILOG
    )
    assert "  130  interrupted (Ctrl-C or SIGTERM)" in cli_common.EXIT_CODES_EPILOG
    with pytest.raises(SystemExit):
        cli.main(["report", "--help"])
    assert cli_common.EXIT_CODES_EPILOG in capsys.readouterr().out
    assert json.dumps(sorted(int(v) for v in codes.values())) == "[0, 1, 2, 3, 4, 5, 130]"


def test_a_failure_cause_is_printed_escaped_and_scrubbed() -> None:
    # An operation's exception (a hostile resource name, a botocore message quoting a request)
    # reaches `orgops run`/`report` as the execution's cause.
    import io

    from orgops.cli import run as cli_run

    out = io.StringIO()
    doc = {
        "ExecutionArn": "arn:aws:states:us-east-1:111111111111:execution:m:n",
        "Status": "FAILED",
        "Error": "KeyError\x1b[2J",
        "Cause": "\x1b]0;pwned\x07 key ASIAQWERTYUIOPASDFGH",
        "Files": [],
    }

    cli_run.print_result(doc, None, out)

    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text
    assert "error      KeyError\\u001b[2J" in text
    assert "cause      \\u001b]0;pwned\\u0007 key [redacted]" in text


def test_the_readmes_exit_code_table_is_the_enum_rendered() -> None:
    readme = (Path(__file__).resolve().parents[2] / "docs" / "running.md").read_text(encoding="utf-8")
    table = readme.split("<!-- BEGIN_EXIT_CODES", 1)[1].split("-->", 1)[1].split("<!-- END_EXIT_CODES -->", 1)[0]

    assert table.strip() == cli_common.exit_codes_markdown()
    assert [int(c) for c in cli_common.ExitCode] == [0, 1, 2, 3, 4, 5, 130]
