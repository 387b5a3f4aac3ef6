"""The templatefile() call passes exactly the template's placeholders; the rendered ASL is sound."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from orgops import asl
from orgops.emulator import stack
from tests.terraform import hcl

OPERATION_MAIN = hcl.MODULES / "operation" / "main.tf"
TEMPLATE_PATH = '"${path.module}/templates/operation.asl.json.tftpl"'
TERMINAL_TYPES = {"Succeed", "Fail"}


def _state_machine() -> dict[str, Any]:
    (block,) = [b for b in hcl.typed_blocks("resource", [OPERATION_MAIN]) if b.type == "aws_sfn_state_machine"]
    return block.body


def templatefile_arguments() -> dict[str, str]:
    path, variables = hcl.call_arguments(_state_machine()["definition"], "templatefile")
    assert path == TEMPLATE_PATH
    return hcl.object_keys(variables)


def variable_defaults() -> dict[str, Any]:
    return {
        name: block["default"]
        for name, block in hcl.named_blocks("variable", hcl.MODULES / "operation" / "variables.tf")
        if "default" in block
    }


def rendered_text() -> str:
    """The template rendered as Terraform would with the module's defaults and sample ARNs."""
    defaults = variable_defaults()
    arn = "arn:aws:lambda:us-east-1:111111111111:function:orgops-{}"
    values = {
        "fanout_function_arn": arn.format("fanout"),
        "worker_function_arn": arn.format("unused-ebs-volumes-worker"),
        "report_function_arn": arn.format("report"),
        "status_table": "orgops-status",
        "operation": "unused-ebs-volumes",
        "default_regions": "us-east-1,eu-west-1",
        "distributed_threshold": defaults["distributed_threshold"],
        "batch_size": defaults["batch_size"],
        "max_errors": "",  # null: no default budget
        "max_concurrency": defaults["max_concurrency"],
        "distributed_max_concurrency": defaults["distributed_max_concurrency"],
        "tolerated_failure_percentage": f"{int(defaults['tolerated_failure_percentage']):d}",
        "child_execution_type": hcl.string(defaults["child_execution_type"]),
        "data_bucket": "orgops-data-111111111111-us-east-1",
        "state_machine_name": "orgops-unused-ebs-volumes",
        "worker_timeout_seconds": defaults["worker_timeout_seconds"],
        "worker_retry_max_attempts": defaults["worker_retry_max_attempts"],
        "batch_max_concurrency": defaults["batch_size"],  # null: batch_size
        "record_status_timeout": stack.RECORD_STATUS_TIMEOUT_SECONDS,
        "record_status_max_attempts": stack.RECORD_STATUS_MAX_ATTEMPTS,
    }
    return asl.render_file(values)


def test_templatefile_passes_exactly_the_template_placeholders() -> None:
    assert set(templatefile_arguments()) == asl.placeholders(asl.TEMPLATE.read_text(encoding="utf-8"))


def test_tolerated_failure_percentage_is_formatted_as_a_whole_number() -> None:
    # AWS's ASL language service accepts only an integer there (test_asl_validators).
    assert templatefile_arguments()["tolerated_failure_percentage"] == 'format("%d", var.tolerated_failure_percentage)'


def test_default_regions_are_joined_with_commas() -> None:
    assert templatefile_arguments()["default_regions"] == 'join(",", var.regions)'


def test_child_execution_type_defaults_to_express_and_is_validated() -> None:
    variables = dict(hcl.named_blocks("variable", hcl.MODULES / "operation" / "variables.tf"))
    spec = variables["child_execution_type"]
    assert hcl.string(spec["default"]) == "EXPRESS"
    assert 'contains(["STANDARD", "EXPRESS"], var.child_execution_type)' in spec["validation"][0]["condition"]


def test_template_has_no_directives() -> None:
    assert "%{" not in asl.TEMPLATE.read_text(encoding="utf-8")


def _machines(machine: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """The top-level machine and every Map's ItemProcessor, recursively."""
    yield where or "(top)", machine
    for name, state in machine["States"].items():
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _machines(processor, f"{where}/{name}")


def _transitions(state: dict[str, Any]) -> list[str]:
    targets = [state[k] for k in ("Next", "Default") if k in state]
    targets += [c["Next"] for c in state.get("Choices", [])]
    targets += [c["Next"] for c in state.get("Catch", [])]
    return targets


MACHINES = list(_machines(json.loads(rendered_text())))


def test_rendered_template_has_the_inline_and_distributed_maps() -> None:
    assert [where for where, _ in MACHINES] == ["(top)", "/InlineMap", "/DistributedMap", "/DistributedMap/Batch"]


@pytest.mark.parametrize(("where", "machine"), MACHINES, ids=[w for w, _ in MACHINES])
def test_every_transition_targets_an_existing_state(where, machine) -> None:
    missing = [
        (name, t) for name, s in machine["States"].items() for t in _transitions(s) if t not in machine["States"]
    ]
    assert machine["StartAt"] in machine["States"]
    assert missing == []


@pytest.mark.parametrize(("where", "machine"), MACHINES, ids=[w for w, _ in MACHINES])
def test_every_state_is_reachable_from_start(where, machine) -> None:
    seen, todo = set(), [machine["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_transitions(machine["States"][name]))
    assert sorted(set(machine["States"]) - seen) == []


@pytest.mark.parametrize(("where", "machine"), MACHINES, ids=[w for w, _ in MACHINES])
def test_every_state_ends_or_moves_on_and_a_terminal_state_exists(where, machine) -> None:
    states = machine["States"]
    dead_ends = [
        n
        for n, s in states.items()
        if s["Type"] not in TERMINAL_TYPES | {"Choice"} and not s.get("End") and "Next" not in s
    ]
    terminals = [n for n, s in states.items() if s.get("End") or s["Type"] in TERMINAL_TYPES]
    assert dead_ends == []
    assert terminals != []


@pytest.mark.parametrize(("where", "machine"), MACHINES, ids=[w for w, _ in MACHINES])
def test_every_task_has_a_timeout_and_a_retry(where, machine) -> None:
    tasks = {n: s for n, s in machine["States"].items() if s["Type"] == "Task"}
    lacking = [n for n, s in tasks.items() if "TimeoutSeconds" not in s or not s.get("Retry")]
    assert lacking == []


def test_distributed_map_renders_tolerated_failure_percentage_as_a_whole_number() -> None:
    assert '"ToleratedFailurePercentage": 5,' in rendered_text()


def _state_names(machine: dict[str, Any]) -> Iterator[str]:
    for name, state in machine["States"].items():
        yield name
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _state_names(processor)


def test_state_names_are_unique_in_the_whole_definition() -> None:
    # ASL: "state names MUST be unique within the scope of the whole state machine".
    names = list(_state_names(json.loads(rendered_text())))
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
