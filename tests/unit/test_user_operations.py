"""Operations from outside the package: found by import path, refused clearly, role checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orgops import operations, store, testing
from orgops.config import WorkerSettings
from orgops.errors import ConfigurationError
from orgops.handlers import worker
from orgops.operations.base import Operation

OPERATION_SOURCE = """
from orgops.operations.base import Operation

OPERATION = Operation(
    name="{name}",
    description="a user operation",
    role="{role}",
    columns=("thing_id",),
    actions=("ec2:DescribeInstances",),
    run=lambda session, target, params, dry_run: [{{"thing_id": "t-1"}}],
)
"""


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    """A user's folder: a package with one operation, a private helper, tests; forgotten afterwards."""
    package = tmp_path / f"pkg_{tmp_path.name[-8:].replace('-', '_')}"
    (package / "tests").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "_private.py").write_text("raise RuntimeError('never imported')\n")
    (package / "things.py").write_text(OPERATION_SOURCE.format(name="user-things", role="admin"))
    (package / "helpers.py").write_text("X = 1\n")
    (package / "tests" / "test_things.py").write_text("raise RuntimeError('never imported')\n")
    yield tmp_path
    operations.unregister(["user-things"])


def test_discover_finds_the_modules_that_declare_an_operation_and_skips_tests_and_private_ones(folder: Path) -> None:
    (package,) = [p.name for p in folder.iterdir() if p.name.startswith("pkg_")]

    assert operations.discover(folder) == [f"{package}.things"]


def test_a_registered_user_operation_is_in_the_registry_with_its_module_and_not_builtin(folder: Path) -> None:
    (module,) = operations.discover(folder)

    (op,) = operations.register([module], "--operations-path x")

    assert operations.get("user-things") is op
    assert operations.ORIGINS["user-things"] == module
    assert not operations.builtin("user-things")
    assert operations.builtin("vpcs")
    assert operations.register([module], "--operations-path x") == []  # the same module twice: once


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "not a path",
            "ORGOPS_OPERATION_MODULES: 'not a path' is not an import path such as acme_ops.stopped_instances",
        ),
        (
            "no_such_pkg_xyz.ops",
            "ORGOPS_OPERATION_MODULES: cannot import 'no_such_pkg_xyz.ops' (ModuleNotFoundError: No module named "
            "'no_such_pkg_xyz'); install its package, add its folder with --operations-path, or (in Lambda) attach "
            "the operations layer build.py made",
        ),
        (
            "orgops.store",
            "ORGOPS_OPERATION_MODULES: module 'orgops.store' declares no OPERATION (an "
            "orgops.operations.base.Operation at module level)",
        ),
    ],
)
def test_a_module_that_is_not_an_operation_is_refused_naming_the_setting(path: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        operations.register([path], operations.MODULES_ENV)

    assert str(refused.value) == message


def test_a_user_operation_named_like_a_built_in_is_refused_naming_both(tmp_path: Path) -> None:
    (tmp_path / "clash_mod_a1.py").write_text(OPERATION_SOURCE.format(name="vpcs", role="readonly"))

    with pytest.raises(ConfigurationError) as refused:
        operations.register(operations.discover(tmp_path), "--operations-path here")

    assert str(refused.value) == (
        "--operations-path here: 'clash_mod_a1' declares operation 'vpcs', already declared by "
        "'orgops.operations.vpcs'; rename one"
    )
    assert operations.ORIGINS["vpcs"] == "orgops.operations.vpcs"


def test_the_environment_lists_modules_comma_separated() -> None:
    env = {operations.MODULES_ENV: " acme.a, ,acme.b "}

    assert operations.env_modules(env) == ["acme.a", "acme.b"]
    assert operations.env_modules({}) == []


def test_a_package_entry_point_means_every_operation_module_in_it(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (package,) = [p.name for p in folder.iterdir() if p.name.startswith("pkg_")]
    monkeypatch.syspath_prepend(str(folder))

    class EntryPoint:
        name, value = "acme", package

    monkeypatch.setattr(
        operations.metadata, "entry_points", lambda group: [EntryPoint()] if group == "orgops.operations" else []
    )

    assert operations.entry_point_modules() == [f"{package}.things"]


# --- the worker runs an operation only under the role it declares ------------------------------------


def settings(role: str) -> WorkerSettings:
    return WorkerSettings(operation="vpcs", member_role_name="operation-admin", data_bucket="b", operation_role=role)


def test_the_worker_refuses_an_operation_deployed_for_another_role_naming_both() -> None:
    with pytest.raises(ConfigurationError) as refused:
        worker.declared_operation(settings("admin"))

    assert str(refused.value) == (
        "operation 'vpcs' declares role 'readonly' (orgops.operations.vpcs), but this worker was deployed for role "
        "'admin' (member role operation-admin); run make package and terraform apply, and leave the operations "
        "entry's role out (Terraform reads it from the declaration)"
    )


def test_the_refusal_is_every_targets_failed_status_and_no_role_is_assumed() -> None:
    class NoSessions:
        def for_account(self, account_id: str) -> Any:
            raise AssertionError("assumed a role for an operation the worker refuses")

    event = {
        "Target": {"AccountId": "111111111111", "AccountName": "a", "Region": "eu-west-1"},
        "Common": {"Params": {}, "DryRun": True},
        "ExecutionId": "arn:aws:states:us-east-1:123456789012:execution:orgops-vpcs:run-1",
    }

    result = worker.work(event, settings("admin"), base=None, sessions=NoSessions())  # type: ignore[arg-type]

    assert (result["Status"], result["ErrorCode"]) == (store.FAILED, "ConfigurationError")
    assert result["ErrorMessage"].startswith("operation 'vpcs' declares role 'readonly'")


def test_the_worker_requires_the_declared_role_in_its_environment() -> None:
    env = {"ORGOPS_OPERATION": "vpcs", "ORGOPS_MEMBER_ROLE_NAME": "r", "ORGOPS_DATA_BUCKET": "b"}

    with pytest.raises(ConfigurationError, match="ORGOPS_OPERATION_ROLE"):
        WorkerSettings.from_env(env)


# --- orgops.testing: the declared-calls check a user's test uses -------------------------------------


def test_an_undeclared_call_fails_the_users_test_naming_the_action_and_the_operation() -> None:
    import boto3
    from botocore.stub import Stubber

    ec2 = boto3.client("ec2", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    op = Operation(
        name="sneaky",
        description="calls more than it declares",
        role="readonly",
        columns=("id",),
        actions=("ec2:DescribeInstances",),
        run=lambda session, target, params, dry_run: [],
    )
    with Stubber(ec2) as stub:
        stub.add_response("describe_instances", {"Reservations": []})
        stub.add_response("describe_volumes", {"Volumes": []})
        with pytest.raises(AssertionError) as refused, testing.declared_calls(op) as calls:
            ec2.describe_instances()
            ec2.describe_volumes()

    assert calls == ["ec2:DescribeInstances", "ec2:DescribeVolumes"]
    assert str(refused.value) == "sneaky called ec2:DescribeVolumes, which it does not declare: add it to its actions"
