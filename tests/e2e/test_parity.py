"""Parity: what the emulator deploys is what Terraform deploys.

The state machine definition is byte-identical to ``templatefile()`` of the module's template with
the variables the module passes (read from ``modules/operation/main.tf``, evaluated here for the
emulated stack's values and the variables' defaults), each function has exactly the environment
variable names and the handler its ``aws_lambda_function`` sets, and the status table has the
module's keys and TTL attribute. The one deliberate difference: ``child_execution_type`` is
STANDARD in the emulator (moto's parser rejects EXPRESS; see the README).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest

from orgops import asl, operations
from orgops.emulator import Emulator, OperationSettings
from orgops.emulator.server import quiet_moto
from orgops.emulator.stack import (
    EMULATOR_CHILD_EXECUTION_TYPE,
    RECORD_STATUS_MAX_ATTEMPTS,
    RECORD_STATUS_TIMEOUT_SECONDS,
)
from tests.terraform.test_limits import operation_limits

ROOT = Path(__file__).resolve().parents[2]
OPERATION_TF = ROOT / "modules" / "operation"
PLATFORM_TF = ROOT / "modules" / "platform"


def _unquote(label: str) -> str:
    return label.strip('"')


def _blocks(path: Path, kind: str) -> dict[str, Any]:
    """``{"type.name": body}`` of a file's ``resource`` (or ``{name: body}`` of ``variable``) blocks."""
    out: dict[str, Any] = {}
    for block in hcl2.load(path.open())[kind]:
        ((first, body),) = block.items()
        if kind == "resource":
            ((name, inner),) = body.items()
            out[f"{_unquote(first)}.{_unquote(name)}"] = inner
        else:
            out[_unquote(first)] = body
    return out


def _split_top_level(text: str) -> list[str]:
    parts, depth, quoted, current = [], 0, False, ""
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "({[":
            depth += 1
        elif not quoted and ch in ")}]":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def templatefile_arguments() -> tuple[str, dict[str, str]]:
    """(template path, {placeholder: HCL expression}) of the module's ``templatefile()`` call."""
    definition = _blocks(OPERATION_TF / "main.tf", "resource")["aws_sfn_state_machine.this"]["definition"]
    m = re.fullmatch(r'\$\{templatefile\("\$\{path\.module\}/([^"]+)", \{(.*)\}\)\}', definition, re.S)
    assert m, f"modules/operation: the definition is not a templatefile() call the parity test can read: {definition}"
    entries = dict(e.split(" = ", 1) for e in _split_top_level(m.group(2)))
    return m.group(1), entries


def variable_defaults() -> dict[str, Any]:
    return {name: body.get("default") for name, body in _blocks(OPERATION_TF / "variables.tf", "variable").items()}


def evaluate(
    expression: str, inputs: dict[str, Any], worker_arn: str, local: dict[str, Any] | None = None
) -> str | int:
    """The few HCL expressions the module passes to templatefile(); ``local.*`` from ``local``
    (limits.tf's values, as Terraform evaluates them)."""
    if expression == "aws_lambda_function.worker.arn":
        return worker_arn
    if expression.startswith("local.") and local is not None:
        value: Any = local
        for part in expression.split(".")[1:]:
            value = value[part]
        return value
    if m := re.fullmatch(r"var\.(\w+)", expression):
        return inputs[m.group(1)]
    if m := re.fullmatch(r'var\.(\w+) == null \? "" : var\.\1', expression):
        return "" if inputs[m.group(1)] is None else inputs[m.group(1)]
    if m := re.fullmatch(r'join\("([^"]*)", var\.(\w+)\)', expression):
        return m.group(1).join(inputs[m.group(2)])
    if m := re.fullmatch(r'format\("([^"]*)", var\.(\w+)\)', expression):
        return m.group(1) % inputs[m.group(2)]
    raise AssertionError(f"the parity test cannot evaluate {expression!r}: extend evaluate() in {__file__}")


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    quiet_moto()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_CONFIG_FILE", "/dev/null")
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        with Emulator.in_process() as emulator:
            yield emulator


@pytest.fixture(scope="module")
def limits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """limits.tf's locals at the module's defaults, evaluated by Terraform."""
    names = ("worker_retry", "record_status", "batch_max_concurrency")
    found = operation_limits(
        tmp_path_factory.mktemp("limits"), "{ " + ", ".join(f"{n} = local.{n}" for n in names) + " }"
    )
    assert isinstance(found, dict)
    return found


def test_the_emulators_record_status_retry_is_limits_tfs(limits: dict[str, Any]) -> None:
    assert (limits["record_status"]["timeout_seconds"], limits["record_status"]["max_attempts"]) == (
        RECORD_STATUS_TIMEOUT_SECONDS,
        RECORD_STATUS_MAX_ATTEMPTS,
    )


def test_the_template_the_module_renders_is_the_one_the_emulator_renders() -> None:
    template, _ = templatefile_arguments()
    # modules/operation/templates/ links to the package data the emulator and the Lambda zip read.
    assert (OPERATION_TF / template).resolve() == Path(str(asl.TEMPLATE)).resolve()


def test_the_module_passes_exactly_the_templates_placeholders() -> None:
    _, entries = templatefile_arguments()
    assert set(entries) == asl.placeholders(asl.TEMPLATE.read_text())


def test_the_emulators_map_settings_default_to_the_modules_variable_defaults() -> None:
    defaults = variable_defaults()
    emulated = OperationSettings()
    for name in (
        "distributed_threshold",
        "batch_size",
        "max_concurrency",
        "distributed_max_concurrency",
        "tolerated_failure_percentage",
        "worker_timeout_seconds",
        "worker_memory_size",
        "worker_retry_max_attempts",
        "batch_max_concurrency",
        "worker_reserved_concurrency",
        "max_errors",
    ):
        assert getattr(emulated, name) == defaults[name], name


@pytest.mark.e2e
@pytest.mark.parametrize("operation", sorted(operations.REGISTRY))
def test_the_deployed_definition_is_byte_identical_to_terraforms_templatefile(
    emu: Emulator, limits: dict[str, Any], operation: str
) -> None:
    stack = emu.stack
    settings = OperationSettings()
    sm_name = stack.state_machines[operation].rsplit(":", 1)[1]
    inputs = {
        **variable_defaults(),
        "operation": operation,
        "state_machine_name": sm_name,
        "fanout_function_arn": stack.functions["fanout"],
        "report_function_arn": stack.functions["report"],
        "status_table": stack.status_table,
        "data_bucket": stack.data_bucket,
        "regions": list(settings.regions),
        "child_execution_type": EMULATOR_CHILD_EXECUTION_TYPE,  # the documented difference
    }
    _, entries = templatefile_arguments()
    variables = {k: evaluate(e, inputs, stack.functions[f"worker:{operation}"], limits) for k, e in entries.items()}

    deployed = (
        emu.session()
        .client("stepfunctions")
        .describe_state_machine(stateMachineArn=stack.state_machines[operation])["definition"]
    )

    assert deployed == asl.render_file(variables)


def _terraform_functions() -> dict[str, dict[str, Any]]:
    """handler -> {"environment": names} for every aws_lambda_function of the modules."""
    platform = hcl2.load((PLATFORM_TF / "main.tf").open())["locals"]
    functions = next(block["functions"] for block in platform if "functions" in block)
    out = {_unquote(f["handler"]): {"environment": set(f["environment"])} for f in functions.values()}
    worker = _blocks(OPERATION_TF / "main.tf", "resource")["aws_lambda_function.worker"]
    out[_unquote(worker["handler"])] = {"environment": set(worker["environment"][0]["variables"])}
    inventory = _blocks(PLATFORM_TF / "main.tf", "resource")["aws_lambda_function.inventory"]
    out[_unquote(inventory["handler"])] = {"environment": set(inventory["environment"][0]["variables"])}
    return out


@pytest.mark.e2e
def test_each_emulated_function_has_exactly_the_environment_names_terraform_sets(emu: Emulator) -> None:
    terraform = _terraform_functions()
    lam = emu.session().client("lambda")
    for key, arn in emu.stack.functions.items():
        config = lam.get_function_configuration(FunctionName=arn)
        assert config["Handler"] in terraform, f"{key}: Terraform deploys no function with handler {config['Handler']}"
        assert set(config["Environment"]["Variables"]) == terraform[config["Handler"]]["environment"], key


@pytest.mark.e2e
def test_the_status_table_has_the_modules_keys_and_ttl_attribute(emu: Emulator) -> None:
    table = _blocks(PLATFORM_TF / "main.tf", "resource")["aws_dynamodb_table.status"]
    ddb = emu.session().client("dynamodb")

    described = ddb.describe_table(TableName=emu.stack.status_table)["Table"]
    ttl = ddb.describe_time_to_live(TableName=emu.stack.status_table)["TimeToLiveDescription"]

    assert {k["KeyType"]: k["AttributeName"] for k in described["KeySchema"]} == {
        "HASH": _unquote(table["hash_key"]),
        "RANGE": _unquote(table["range_key"]),
    }
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": _unquote(table["ttl"][0]["attribute_name"])}


@pytest.mark.e2e
def test_the_inventory_table_and_function_are_the_modules(emu: Emulator) -> None:
    from orgops import config

    table = _blocks(PLATFORM_TF / "main.tf", "resource")["aws_dynamodb_table.inventory"]
    described = emu.session().client("dynamodb").describe_table(TableName=emu.stack.inventory_table)["Table"]
    function = _blocks(PLATFORM_TF / "main.tf", "resource")["aws_lambda_function.inventory"]
    config_ = emu.session().client("lambda").get_function_configuration(FunctionName=emu.stack.functions["inventory"])

    assert described["KeySchema"] == [{"AttributeName": _unquote(table["hash_key"]), "KeyType": "HASH"}]
    assert emu.stack.inventory_table == "orgops-inventory"  # "${var.name_prefix}-inventory"
    assert _unquote(table["name"]) == "${var.name_prefix}-inventory"
    assert set(function["environment"][0]["variables"]) == set(config.INVENTORY_ENV)
    assert config_["Environment"]["Variables"]["ORGOPS_INVENTORY_TABLE"] == emu.stack.inventory_table
    assert function["timeout"] == "${var.inventory_timeout_seconds}"
    defaults = {name: body.get("default") for name, body in _blocks(PLATFORM_TF / "variables.tf", "variable").items()}
    assert config_["Timeout"] == defaults["inventory_timeout_seconds"]
