"""Every .tf file parses; every module has its files; every variable and output is documented."""

from __future__ import annotations

import re

import pytest

from tests.terraform import hcl

MODULE_FILES = ("versions.tf", "variables.tf", "outputs.tf", "README.md")
EXPECTED_MODULES = {"member-roles", "operator-roles", "platform", "operation"}


def test_the_four_modules_exist() -> None:
    assert {d.name for d in hcl.MODULE_DIRS} >= EXPECTED_MODULES


@pytest.mark.parametrize("path", hcl.tf_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_tf_file_parses(path) -> None:
    assert isinstance(hcl.load(path), dict)


@pytest.mark.parametrize("module", hcl.MODULE_DIRS, ids=lambda p: p.name)
def test_every_module_has_versions_variables_outputs_and_readme(module) -> None:
    missing = [name for name in MODULE_FILES if not (module / name).is_file()]
    assert missing == []


@pytest.mark.parametrize("directory", hcl.CONFIG_DIRS, ids=lambda p: p.name)
def test_every_variable_has_a_type_and_a_description(directory) -> None:
    undocumented = [
        name
        for path in directory.glob("*.tf")
        for name, block in hcl.named_blocks("variable", path)
        if "type" not in block or not hcl.string(block.get("description", "")).strip()
    ]
    assert undocumented == []


@pytest.mark.parametrize("directory", hcl.CONFIG_DIRS, ids=lambda p: p.name)
def test_every_output_has_a_description(directory) -> None:
    undocumented = [
        name
        for path in directory.glob("*.tf")
        for name, block in hcl.named_blocks("output", path)
        if not hcl.string(block.get("description", "")).strip()
    ]
    assert undocumented == []


@pytest.mark.parametrize("directory", hcl.CONFIG_DIRS, ids=lambda p: p.name)
def test_versions_require_terraform_1_5_and_aws_provider_6(directory) -> None:
    (terraform,) = hcl.load(directory / "versions.tf")["terraform"]
    assert hcl.string(terraform["required_version"]) == ">= 1.5"
    aws = terraform["required_providers"][0]["aws"]
    assert (hcl.string(aws["source"]), hcl.string(aws["version"])) == ("hashicorp/aws", ">= 6.0")


def test_modules_declare_no_provider_blocks() -> None:
    with_providers = [p for d in hcl.MODULE_DIRS for p in d.glob("*.tf") if hcl.load(p).get("provider")]
    assert with_providers == []


def test_root_configures_the_operations_provider_a_management_and_a_stack_sets_alias() -> None:
    providers = hcl.load(hcl.ROOT_CONFIG / "providers.tf")["provider"]
    aliases = sorted(hcl.string(block.get("alias", "")) for entry in providers for block in entry.values())
    assert aliases == ["", "management", "stack_sets"]


def test_root_has_a_commented_backend_example() -> None:
    text = (hcl.ROOT_CONFIG / "versions.tf").read_text(encoding="utf-8")
    assert re.search(r'^\s*#\s*backend "s3" \{', text, re.MULTILINE)


def test_every_variable_of_the_root_operations_map_is_validated() -> None:
    variables = dict(hcl.named_blocks("variable", hcl.COMPOSITION / "variables.tf"))
    assert len(variables["operations"]["validation"]) >= 4
