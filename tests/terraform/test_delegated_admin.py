"""member_roles.call_as = "DELEGATED_ADMIN": the StackSet is created by the StackSets delegated
administrator, while the org-reader the fanout assumes (and the management account's own member
roles) stay in the management account, where the fanout looks for the org-reader.

Static wiring checks (the AWS provider cannot be installed here, so no plan): which provider each
member-roles instance gets, when each exists, what each creates.
"""

from __future__ import annotations

from typing import Any

from tests.terraform import hcl

ROOT_MAIN = hcl.COMPOSITION / "main.tf"
MEMBER_MAIN = hcl.MODULES / "member-roles" / "main.tf"
OPERATOR_MAIN = hcl.MODULES / "operator-roles" / "main.tf"


def modules() -> dict[str, dict[str, Any]]:
    return dict(hcl.named_blocks("module", ROOT_MAIN))


def providers() -> dict[str, dict[str, Any]]:
    found = {}
    for entry in hcl.load(hcl.ROOT_CONFIG / "providers.tf")["provider"]:
        for _name, body in hcl.body(entry).items():
            found[hcl.string(body.get("alias", "default"))] = body
    return found


def test_the_management_instance_always_owns_the_org_reader_and_the_management_roles() -> None:
    management = modules()["member_roles"]
    assert management["providers"] == {"aws": "${aws.management}"}
    assert management["count"] == "${var.member_roles.deploy ? 1 : 0}"
    assert "create_org_reader" not in management  # the module's default: true
    assert management["management_account_roles"] == "${var.member_roles.management_account_roles}"
    assert management["call_as"] == '"SELF"'
    assert management["create_stack_set"] == '${var.member_roles.call_as == "SELF"}'


def test_the_delegated_instance_creates_only_the_stack_set_with_the_delegated_provider() -> None:
    delegated = modules()["member_roles_stack_set"]
    assert delegated["providers"] == {"aws": "${aws.stack_sets}"}
    assert delegated["count"] == '${var.member_roles.deploy && var.member_roles.call_as == "DELEGATED_ADMIN" ? 1 : 0}'
    assert (delegated["create_stack_set"], delegated["create_org_reader"]) == (True, False)
    assert delegated["management_account_roles"] == []
    assert delegated["call_as"] == '"DELEGATED_ADMIN"'


def test_both_instances_get_the_organization_read_by_the_management_provider() -> None:
    # `roots` is a management-account attribute: a delegated administrator cannot read it.
    assert {modules()[m]["organization"] for m in ("member_roles", "member_roles_stack_set")} == {
        "${local.organization}"
    }
    (root_data,) = [b for b in hcl.typed_blocks("data", [ROOT_MAIN]) if b.type == "aws_organizations_organization"]
    assert root_data.body["provider"] == "${aws.management}"
    (module_data,) = [b for b in hcl.typed_blocks("data", [MEMBER_MAIN]) if b.type == "aws_organizations_organization"]
    assert module_data.body["count"] == "${var.organization == null ? 1 : 0}"


def test_the_same_inputs_reach_both_instances_except_what_each_creates() -> None:
    management, delegated = modules()["member_roles"], modules()["member_roles_stack_set"]
    own = {
        "source",
        "count",
        "providers",
        "create_stack_set",
        "create_org_reader",
        "management_account_roles",
        "call_as",
    }
    shared = sorted(k for k in set(management) - own if not k.startswith("__"))
    assert shared == sorted(k for k in set(delegated) - own if not k.startswith("__"))
    assert {k: management[k] for k in shared} == {k: delegated[k] for k in shared}


def test_the_stack_sets_provider_assumes_the_delegated_role_only_for_delegated_admin() -> None:
    (assume,) = providers()["stack_sets"]["dynamic"]
    spec = assume['"assume_role"']
    assert spec["for_each"] == (
        '${var.member_roles.call_as == "DELEGATED_ADMIN" ? [var.stack_sets_account_role_arn] : '
        "(var.management_account_role_arn == null ? [] : [var.management_account_role_arn])}"
    )


def test_delegated_admin_without_its_role_is_refused_at_plan() -> None:
    (output,) = [
        b for n, b in hcl.named_blocks("output", hcl.ROOT_CONFIG / "outputs.tf") if n == "member_roles_stack_set"
    ]
    (precondition,) = output["precondition"]
    assert precondition["condition"] == (
        '${var.member_roles.call_as == "SELF" || var.stack_sets_account_role_arn != null}'
    )
    assert "stack_sets_account_role_arn" in precondition["error_message"]


def test_the_fanout_looks_for_the_org_reader_in_the_management_account() -> None:
    (locals_,) = [e for e in hcl.load(OPERATOR_MAIN)["locals"] if "org_reader_role_arn" in e]
    assert locals_["org_reader_role_arn"] == (
        '"arn:${local.partition}:iam::${var.management_account_id}:role/${var.org_reader_role_name}"'
    )
    assert modules()["operator_roles"]["management_account_id"] == "${local.management_account_id}"


def test_per_operation_roles_without_a_member_operation_are_refused_at_plan() -> None:
    # A template without resources is refused by CloudFormation: refuse it at plan, naming why.
    (output,) = [b for n, b in hcl.named_blocks("output", hcl.COMPOSITION / "outputs.tf") if n == "member_role_actions"]
    conditions = [p["condition"] for p in output["precondition"]]
    assert "${!var.member_roles.per_operation || length(module.manifest.per_operation_role_names) > 0}" in conditions
