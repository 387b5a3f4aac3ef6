"""Every definition Terraform can render passes AWS's ASL language service and asl-validator.

Configurations: every operation; EXPRESS and STANDARD children; every numeric template variable
at the minimum and the maximum its validation allows (read from ``variables.tf``), and at its
default. Each rendered definition holds both paths (the inline and the distributed Map).
"""

from __future__ import annotations

import functools
import json
import re

import pytest

from orgops import asl
from orgops.emulator import stack
from orgops.operations import REGISTRY
from tests.terraform import hcl
from tests.terraform.asl_validators import validate
from tests.terraform.test_state_machine_template import rendered_text, variable_defaults

VARIABLES = hcl.MODULES / "operation" / "variables.tf"
NUMERIC = (
    "distributed_threshold",
    "batch_size",
    "max_concurrency",
    "distributed_max_concurrency",
    "tolerated_failure_percentage",
    "worker_timeout_seconds",
    "worker_retry_max_attempts",
    "batch_max_concurrency",
)
RANGE = re.compile(r"var\.(\w+) >= (\d+) && var\.\1 <= (\d+)")


def numeric_ranges() -> dict[str, tuple[int, int]]:
    """Each numeric variable's (minimum, maximum), from its validation condition."""
    ranges = {}
    for name, block in hcl.named_blocks("variable", VARIABLES):
        for validation in block.get("validation", []):
            match = RANGE.search(validation["condition"])
            if match and match.group(1) == name:
                ranges[name] = (int(match.group(2)), int(match.group(3)))
    return ranges


def configurations() -> dict[str, dict[str, str | int]]:
    ranges = numeric_ranges()
    defaults = variable_defaults()
    found: dict[str, dict[str, str | int]] = {}
    for operation in sorted(REGISTRY):
        for child in ("EXPRESS", "STANDARD"):
            for bound, pick in (("min", 0), ("max", 1), ("default", None)):
                numbers = {n: (defaults[n] if pick is None else ranges[n][pick]) for n in NUMERIC}
                found[f"{operation}-{child}-{bound}"] = {
                    **numbers,
                    "operation": operation,
                    "child_execution_type": child,
                    "tolerated_failure_percentage": f"{int(numbers['tolerated_failure_percentage']):d}",
                    # a string placeholder: none (null), a count, a percentage
                    "max_errors": {"min": "0", "max": "100%", "default": ""}[bound],
                }
    return found


def render(values: dict[str, str | int]) -> str:
    operation = str(values["operation"])
    arn = "arn:aws:lambda:us-east-1:111111111111:function:orgops-{}"
    batch_size = int(values["batch_size"])
    # As main.tf passes it: null is batch_size, and never more than batch_size.
    batch_max_concurrency = min(int(values["batch_max_concurrency"] or batch_size), batch_size)
    return asl.render_file(
        {
            **{n: values[n] for n in NUMERIC},
            "batch_max_concurrency": batch_max_concurrency,
            "record_status_timeout": stack.RECORD_STATUS_TIMEOUT_SECONDS,
            "record_status_max_attempts": stack.RECORD_STATUS_MAX_ATTEMPTS,
            "fanout_function_arn": arn.format("fanout"),
            "worker_function_arn": arn.format(f"{operation}-worker"),
            "report_function_arn": arn.format("report"),
            "status_table": "orgops-status",
            "operation": operation,
            "default_regions": "us-east-1,eu-west-1",
            "child_execution_type": values["child_execution_type"],
            "data_bucket": "orgops-data-111111111111-us-east-1",
            "state_machine_name": f"orgops-{operation}",
            "max_errors": values["max_errors"],
        }
    )


@functools.cache
def diagnostics() -> dict[str, list[dict]]:
    return validate({name: render(values) for name, values in configurations().items()})


def test_every_numeric_template_variable_has_a_validated_range() -> None:
    assert sorted(set(NUMERIC) - set(numeric_ranges())) == []
    assert sorted(set(NUMERIC) - asl.placeholders(asl.TEMPLATE.read_text(encoding="utf-8"))) == []
    # The rest are fixed in limits.tf (the emulator's copies are compared by the parity test).
    assert sorted(asl.placeholders(asl.TEMPLATE.read_text(encoding="utf-8")) - set(NUMERIC)) == [
        "child_execution_type",
        "data_bucket",
        "default_regions",
        "fanout_function_arn",
        "max_errors",
        "operation",
        "record_status_max_attempts",
        "record_status_timeout",
        "report_function_arn",
        "state_machine_name",
        "status_table",
        "worker_function_arn",
    ]


def test_configurations_cover_every_operation_child_type_and_bound() -> None:
    assert len(configurations()) == len(REGISTRY) * 2 * 3


@pytest.mark.parametrize("name", sorted(configurations()))
def test_both_validators_accept_the_rendered_definition(name) -> None:
    assert diagnostics()[name] == []


def _with_duplicate_state_name() -> str:
    definition = json.loads(rendered_text())
    batch = definition["States"]["DistributedMap"]["ItemProcessor"]["States"]["Batch"]["ItemProcessor"]
    batch["States"]["Worker"] = batch["States"].pop("BatchWorker")
    batch["StartAt"] = "Worker"
    return json.dumps(definition, indent=2)


def test_the_validators_report_a_duplicate_state_name() -> None:
    (found,) = validate({"dup": _with_duplicate_state_name()}).values()
    assert {
        "validator": "asl-validator",
        "code": "DUPLICATE_STATE_NAMES",
        "message": "A state with this name already exists: Worker",
        "line": 0,
    } in found


def test_the_language_service_reports_a_decimal_tolerated_failure_percentage() -> None:
    text = rendered_text().replace('"ToleratedFailurePercentage": 5,', '"ToleratedFailurePercentage": 5.0,')
    (found,) = validate({"decimal": text}).values()
    line = text.splitlines().index('      "ToleratedFailurePercentage": 5.0,') + 1
    assert [(d["validator"], d["message"], d["line"]) for d in found] == [
        ("amazon-states-language-service", "Incorrect type. Expected one of integer, JSONata expression.", line)
    ]


def test_the_validators_report_a_missing_transition_target() -> None:
    text = rendered_text().replace('"Next": "ChoosePath"', '"Next": "ChoosePaths"')
    (found,) = validate({"missing": text}).values()
    assert {d["validator"] for d in found} == {"amazon-states-language-service", "asl-validator"}


def test_the_emulators_validators_answer_as_the_batch_run_does(monkeypatch) -> None:
    from orgops.emulator import definitions
    from tests.terraform.asl_validators import node_tools

    monkeypatch.setenv(definitions.NODE_TOOLS_ENV, str(node_tools()))
    text = rendered_text().replace('"ToleratedFailurePercentage": 5,', '"ToleratedFailurePercentage": 5.5,')

    assert definitions.structural_errors(text) == []
    line = text.splitlines().index('      "ToleratedFailurePercentage": 5.5,') + 1
    assert definitions.validator_errors(text) == [
        "SCHEMA_VALIDATION_FAILED: Incorrect type. Expected one of integer, JSONata expression. "
        f"(line {line}, amazon-states-language-service)",
        "SCHEMA_VALIDATION_FAILED: /States/DistributedMap/ToleratedFailurePercentage is invalid. must be integer "
        "(asl-validator)",
    ]
    assert definitions.validator_errors(rendered_text()) == []
