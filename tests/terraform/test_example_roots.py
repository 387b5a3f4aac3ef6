"""The composition (modules/orgops) and the roots that call it: this repository's terraform/ and
examples/own-operations/terraform. Static (the AWS provider cannot be installed here, so no
`terraform validate`): each root's module "orgops" resolves to the composition, passes every
required input and only inputs it has, and gets the three providers its root configures; the
repository's root passes every input through, re-exports every output, and moves an older state's
addresses into module.orgops."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.observability.terraform_eval import terraform_binary as console_binary
from tests.terraform import hcl
from tests.terraform.tools import run, terraform_binary

PROVIDERS = {"aws": "aws", "aws.management": "aws.management", "aws.stack_sets": "aws.stack_sets"}
META_ARGUMENTS = {"source", "providers", "version", "count", "for_each", "depends_on"}
ROOT_ONLY_VARIABLES = hcl.ROOT_CONFIG / "provider_variables.tf"
# What terraform/ declared itself before modules/orgops (git show 08e5fc0:terraform/main.tf, limits.tf):
# the module calls and managed resources a state from then holds at the top level.
OLD_ROOT_ADDRESSES = (
    "module.manifest",
    "module.operator_roles",
    "module.member_roles",
    "module.member_roles_stack_set",
    "module.platform",
    "module.operation",
    "module.observability",
    "aws_lambda_layer_version.operations",
    "aws_iam_role.organization_events",
    "aws_iam_role_policy.organization_events",
    "aws_cloudwatch_event_rule.organization_events",
    "aws_cloudwatch_event_target.organization_events",
    "terraform_data.limits",
)


def _expr(value: Any) -> str:
    """python-hcl2 wraps references in ``${}``: ``${aws.management}`` -> ``aws.management``."""
    text = str(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def _orgops_call(root: Path) -> dict[str, Any]:
    (call,) = [b for p in sorted(root.glob("*.tf")) for n, b in hcl.named_blocks("module", p) if n == "orgops"]
    return call


def _variables(directory: Path) -> dict[str, dict[str, Any]]:
    return {n: b for p in sorted(directory.glob("*.tf")) for n, b in hcl.named_blocks("variable", p)}


def _outputs(directory: Path) -> dict[str, dict[str, Any]]:
    return {n: b for p in sorted(directory.glob("*.tf")) for n, b in hcl.named_blocks("output", p)}


def _arguments(call: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in hcl.body(call).items() if k not in META_ARGUMENTS}


# --- the composition ---------------------------------------------------------------------------


def test_the_composition_declares_the_two_provider_aliases_it_uses_and_configures_none() -> None:
    (terraform,) = hcl.load(hcl.COMPOSITION / "versions.tf")["terraform"]
    aws = terraform["required_providers"][0]["aws"]

    assert [_expr(a) for a in aws["configuration_aliases"]] == ["aws.management", "aws.stack_sets"]
    assert [p for p in hcl.COMPOSITION.glob("*.tf") if hcl.load(p).get("provider")] == []


def test_the_composition_calls_only_its_sibling_modules() -> None:
    sources = {n: hcl.string(b["source"]) for n, b in hcl.named_blocks("module", hcl.COMPOSITION / "main.tf")}

    assert sources
    outside = {n: s for n, s in sources.items() if (hcl.COMPOSITION / s).resolve().parent != hcl.MODULES}
    assert outside == {}
    assert all((hcl.COMPOSITION / s / "versions.tf").is_file() for s in sources.values())


# --- both roots --------------------------------------------------------------------------------


@pytest.mark.parametrize("root", hcl.ROOTS, ids=lambda p: str(p.relative_to(hcl.ROOT)))
def test_the_roots_module_source_resolves_to_the_composition(root: Path) -> None:
    source = hcl.string(_orgops_call(root)["source"])

    assert source.startswith("../")  # a relative source: the module is read in place, not copied
    assert (root / source).resolve() == hcl.COMPOSITION


@pytest.mark.parametrize("root", hcl.ROOTS, ids=lambda p: str(p.relative_to(hcl.ROOT)))
def test_the_root_passes_every_required_input_and_only_inputs_the_composition_has(root: Path) -> None:
    variables = _variables(hcl.COMPOSITION)
    required = {n for n, b in variables.items() if "default" not in b}
    passed = set(_arguments(_orgops_call(root)))

    assert required == {"operations"}
    assert required - passed == set()
    assert passed - set(variables) == set()


@pytest.mark.parametrize("root", hcl.ROOTS, ids=lambda p: str(p.relative_to(hcl.ROOT)))
def test_the_root_configures_the_three_providers_and_passes_them(root: Path) -> None:
    providers = hcl.load(root / "providers.tf")["provider"]
    aliases = sorted(hcl.string(b.get("alias", "")) for entry in providers for b in hcl.body(entry).values())
    passed = {_expr(k): _expr(v) for k, v in _orgops_call(root)["providers"].items()}

    assert aliases == ["", "management", "stack_sets"]
    assert passed == PROVIDERS


@pytest.mark.parametrize("root", hcl.ROOTS, ids=lambda p: str(p.relative_to(hcl.ROOT)))
def test_the_root_is_terraform_fmt_clean(root: Path) -> None:
    result = run([terraform_binary(), "fmt", "-check", "-recursive", "-diff", root])

    assert (result.returncode, result.stdout) == (0, "")


# --- this repository's root: terraform/ ----------------------------------------------------------


def test_the_roots_variables_are_the_compositions_by_symlink() -> None:
    # One file, two folders: the users' terraform.tfvars reaches the same names, types, defaults
    # and validations, and the two cannot drift (a generated copy would need a generator and a test).
    link = hcl.ROOT_CONFIG / "variables.tf"

    assert link.is_symlink()
    assert os.readlink(link) == "../modules/orgops/variables.tf"
    assert link.resolve() == (hcl.COMPOSITION / "variables.tf").resolve()


def test_the_roots_own_variables_are_the_providers_and_no_input_of_the_composition() -> None:
    own = dict(hcl.named_blocks("variable", ROOT_ONLY_VARIABLES))
    used = (hcl.ROOT_CONFIG / "providers.tf").read_text(encoding="utf-8") + (hcl.ROOT_CONFIG / "outputs.tf").read_text(
        encoding="utf-8"
    )

    assert set(own) == {
        "region",
        "operations_account_role_arn",
        "management_account_role_arn",
        "stack_sets_account_role_arn",
        "tags",
    }
    assert set(own) & set(_variables(hcl.COMPOSITION)) == set()
    assert [n for n in own if f"var.{n}" not in used] == []


def test_the_root_passes_every_input_of_the_composition_through_under_its_own_name() -> None:
    arguments = _arguments(_orgops_call(hcl.ROOT_CONFIG))

    assert arguments == {name: f"${{var.{name}}}" for name in _variables(hcl.COMPOSITION)}


def test_the_root_reexports_every_output_of_the_composition_with_its_description() -> None:
    module, root = _outputs(hcl.COMPOSITION), _outputs(hcl.ROOT_CONFIG)

    assert sorted(root) == sorted(module)
    assert {n: b["description"] for n, b in root.items()} == {n: b["description"] for n, b in module.items()}
    assert {n: b["value"] for n, b in root.items()} == {n: f"${{module.orgops.{n}}}" for n in module}


def test_an_older_states_addresses_move_into_module_orgops() -> None:
    # The root declared all of it before modules/orgops: without these, the first plan after the
    # upgrade would destroy the tables, the bucket and the key and create new ones.
    moved = {
        _expr(b["from"]): _expr(b["to"]) for p in hcl.ROOT_CONFIG.glob("*.tf") for b in hcl.load(p).get("moved", [])
    }
    in_composition = {f"module.{n}" for p in hcl.COMPOSITION.glob("*.tf") for n, _ in hcl.named_blocks("module", p)}
    in_composition |= {f"{b.type}.{b.name}" for b in hcl.typed_blocks("resource", sorted(hcl.COMPOSITION.glob("*.tf")))}

    assert moved == {address: f"module.orgops.{address}" for address in OLD_ROOT_ADDRESSES}
    assert set(OLD_ROOT_ADDRESSES) <= in_composition


def test_the_delegated_admin_check_stays_with_the_root_that_knows_the_role() -> None:
    (precondition,) = _outputs(hcl.ROOT_CONFIG)["member_roles_stack_set"]["precondition"]

    assert "stack_sets_account_role_arn" in precondition["condition"]
    assert "stack_sets_account_role_arn" not in "".join(
        p.read_text(encoding="utf-8") for p in hcl.COMPOSITION.glob("*.tf")
    )


# --- the example root: examples/own-operations/terraform ----------------------------------------


def test_the_example_deploys_the_packages_own_operations_from_the_manifest(tmp_path: Path) -> None:
    # Terraform itself evaluates the example's locals and its operations argument (offline: a copy
    # with no provider, module "orgops" reduced to the composition's variables.tf) over a manifest
    # like build.py's: ACME's stopped-instances (builtin false) and a built-in listed by the user.
    binary = console_binary()
    if binary is None:
        pytest.skip("terraform is not installed: run `make tools`")
    call = _orgops_call(hcl.EXAMPLE_ROOT)
    main = (hcl.EXAMPLE_ROOT / "main.tf").read_text(encoding="utf-8")
    locals_block = main[main.index("\nlocals {") : main.index('\nmodule "orgops"')]
    dist = tmp_path / "dist"
    dist.mkdir()
    manifest = {
        "version": 1,
        "operations": {
            "public-ips": {"builtin": True, "role": "readonly"},
            "accounts": {"builtin": True, "role": "organization"},
            "stopped-instances": {"builtin": False, "role": "readonly"},
        },
    }
    (dist / "operations.json").write_text(json.dumps(manifest))
    config = tmp_path / "config"
    (config / "orgops").mkdir(parents=True)
    shutil.copy(hcl.EXAMPLE_ROOT / "variables.tf", config / "variables.tf")
    shutil.copy(hcl.COMPOSITION / "variables.tf", config / "orgops" / "variables.tf")
    (config / "orgops" / "outputs.tf").write_text('output "operations" {\n  value = var.operations\n}\n')
    (config / "main.tf").write_text(
        locals_block
        + '\nmodule "orgops" {\n  source       = "./orgops"\n'
        + f"  operations   = {_expr(call['operations'])}\n  package_path = {_expr(call['package_path'])}\n}}\n"
    )
    (config / "terraform.tfvars.json").write_text(
        json.dumps({"package_path": str(dist / "orgops.zip"), "builtin_operations": ["public-ips"]})
    )
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull}
    terraform = [binary, f"-chdir={config}"]
    init = subprocess.run(
        [*terraform, "init", "-backend=false", "-input=false"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    done = subprocess.run(
        [*terraform, "console"],
        input="jsonencode(module.orgops.operations)\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and "Error" not in done.stderr, done.stderr

    operations = json.loads(json.loads(done.stdout.strip()))
    assert sorted(operations) == ["public-ips", "stopped-instances"]
    assert operations["stopped-instances"]["worker_reserved_concurrency"] == 50  # the composition's default
