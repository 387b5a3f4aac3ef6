"""examples/own-operations: an operation outside this repository's package, end to end.

Its own tests pass where it lives; build.py packages it (a layer, the manifest); the CLI finds it
by ``--operations-path``; and in the emulator it runs through a deployed state machine like the
built-ins, with no seeder of ours (the test seeds its resources itself).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import build
from orgops import operations
from orgops.emulator import AccountSpec, Emulator
from orgops.emulator.server import quiet_moto
from orgops.emulator.world import member_session
from tests.conftest import fake_aws_environment

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "own-operations"
SOURCE = EXAMPLE / "src"
REGION = "eu-west-1"
NAME = "stopped-instances"


@pytest.fixture
def own_operation() -> Iterator[str]:
    """The example's operation registered as the CLI and the Lambdas register it, then forgotten."""
    (module,) = operations.discover(SOURCE)
    operations.register([module], f"--operations-path {SOURCE}")
    try:
        yield module
    finally:
        operations.unregister([NAME])


def test_the_examples_own_tests_pass_where_it_lives() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "lambda_src")},
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_adding_an_operation_is_its_module_and_its_test() -> None:
    files = sorted(
        p.relative_to(EXAMPLE).as_posix() for p in EXAMPLE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )

    # Nothing names the operation but its module and its test: no registry, no tfvars entry, no seeder.
    naming = [f for f in files if NAME in (EXAMPLE / f).read_text(encoding="utf-8") or "stopped_instances" in f]
    assert naming == ["src/acme_ops/stopped_instances.py", "tests/test_stopped_instances.py"]


def test_build_packages_it_as_a_layer_and_declares_it_in_the_manifest(tmp_path: Path) -> None:
    code = build.main(["--output", str(tmp_path / "orgops.zip"), "--operations-path", str(SOURCE)])

    assert code == 0
    with zipfile.ZipFile(tmp_path / build.LAYER) as zf:
        assert zf.namelist() == ["python/acme_ops/__init__.py", "python/acme_ops/stopped_instances.py"]
    with zipfile.ZipFile(tmp_path / "orgops.zip") as zf:
        assert not [n for n in zf.namelist() if "acme_ops" in n]
    entry = json.loads((tmp_path / "operations.json").read_text())["operations"][NAME]
    assert {k: entry[k] for k in ("module", "builtin", "role", "actions")} == {
        "module": "acme_ops.stopped_instances",
        "builtin": False,
        "role": "readonly",
        "actions": ["ec2:DescribeInstances"],
    }


def test_the_cli_describes_it_from_operations_path() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "orgops.cli", "describe", NAME, "--operations-path", str(SOURCE), "--output", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "lambda_src")},
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    described = json.loads(done.stdout)
    assert (described["name"], described["role"], described["actions"]) == (NAME, "readonly", ["ec2:DescribeInstances"])


@pytest.mark.e2e
def test_it_runs_through_the_deployed_state_machine_in_the_emulator(own_operation: str) -> None:
    quiet_moto()
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        with Emulator.in_process(operations=[NAME, "vpcs"]) as emu:
            world = emu.build_organization(
                (AccountSpec("prod-batch", "Workloads"), AccountSpec("dev-batch", "Workloads"))
            )
            prod = world.account_id("prod-batch")
            ec2 = member_session(emu.session(), prod).client("ec2", region_name=REGION)
            image = "ami-12c6146b"  # moto does not check that the image exists
            stopped = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0][
                "InstanceId"
            ]
            ec2.stop_instances(InstanceIds=[stopped])
            lam = emu.session().client("lambda")
            worker_env = lam.get_function_configuration(FunctionName=emu.stack.functions[f"worker:{NAME}"])

            ex = emu.run(NAME, {"Regions": [REGION], "Params": {"Days": 0}})

            assert ex.status == "SUCCEEDED", ex.cause
            assert ex.output is not None
            rows = emu.read_csv(ex.output["ReportUri"])
    assert [(r["account_id"], r["account_name"], r["region"], r["instance_id"]) for r in rows] == [
        (prod, "prod-batch", REGION, stopped)
    ]
    assert ex.output["Failed"] == 0
    variables = worker_env["Environment"]["Variables"]
    assert (variables["ORGOPS_OPERATION_MODULES"], variables["ORGOPS_OPERATION_ROLE"]) == (own_operation, "readonly")


def test_the_readmes_example_is_the_examples_operation(own_operation: str) -> None:
    example = operations.get(NAME)

    section = (ROOT / "docs" / "writing-operations.md").read_text(encoding="utf-8")
    block = section[
        section.index("```python\n") + len("```python\n") : section.index("\n```\n", section.index("```python"))
    ]
    namespace: dict[str, object] = {}
    exec(compile(block, "docs/writing-operations.md", "exec"), namespace)  # noqa: S102 - our own docs' example

    readme = namespace["OPERATION"]
    assert isinstance(readme, type(example))
    fields = ("name", "role", "actions", "columns", "params", "description")
    assert [getattr(readme, f) for f in fields] == [getattr(example, f) for f in fields]
