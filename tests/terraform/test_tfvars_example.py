"""terraform.tfvars.example deploys every registered operation, with its role and valid Params."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import hcl2
import pytest

from orgops import operations
from tests.terraform import hcl

EXAMPLE = hcl.ROOT_CONFIG / "terraform.tfvars.example"


def _text(value: str) -> str:
    """A string or heredoc value as python-hcl2 returns it, as its text."""
    text = hcl.label(value)
    if text.startswith("<<"):
        lines = text.splitlines()[1:-1]
        return textwrap.dedent("\n".join(lines))
    return text


def example_operations() -> dict[str, dict[str, Any]]:
    with EXAMPLE.open(encoding="utf-8") as f:
        parsed = hcl2.load(f)
    return {hcl.label(name): spec for name, spec in parsed["operations"].items()}


def test_example_lists_exactly_the_registered_operations() -> None:
    assert sorted(example_operations()) == sorted(operations.REGISTRY)


@pytest.mark.parametrize("name", sorted(operations.REGISTRY))
def test_example_gives_each_operation_its_declared_role(name) -> None:
    assert hcl.label(example_operations()[name]["role"]) == operations.get(name).role


@pytest.mark.parametrize("name", sorted(operations.REGISTRY))
def test_example_params_are_valid_for_the_operation(name) -> None:
    raw = json.loads(_text(example_operations()[name].get("params", '"{}"')))
    operations.get(name).validate_params(raw)
