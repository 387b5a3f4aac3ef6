"""Security properties of the Terraform configuration that the IAM wildcard and checkov tests in
``tests/terraform`` do not already prove: who may cross into member accounts, that the admin
role's policy can be narrowed, encryption at rest for every store, TLS only, no secret in an
environment variable."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from orgops import config
from tests.terraform import hcl
from tests.terraform.iam import Statement, all_statements

MEMBER_ROLES = hcl.MODULES / "member-roles"
PLATFORM_MAIN = hcl.MODULES / "platform" / "main.tf"
CFN_TEMPLATE = MEMBER_ROLES / "templates" / "member-roles.cfn.json"
README = hcl.ROOT / "docs" / "security.md"

ROLE_ARN_EXAMPLE = "arn:aws:iam::111111111111:role/operation-readonly-lambda"
NOT_A_ROLE = ("*", "111111111111", "arn:aws:iam::111111111111:root", "arn:aws:iam::111111111111:user/alice")


def _variable(path: Any, name: str) -> dict[str, Any]:
    return dict(hcl.named_blocks("variable", path))[name]


def _validation_regexes(variable: dict[str, Any]) -> list[str]:
    """The regex(...) patterns of a variable's validation conditions, as Python patterns."""
    found = []
    for validation in variable.get("validation", []):
        for pattern in re.findall(r'regex\("((?:[^"\\]|\\.)*)"', str(validation["condition"])):
            found.append(pattern.replace("\\\\", "\\"))
    return found


def _module_block(name: str) -> dict[str, Any]:
    (block,) = [b for n, b in hcl.named_blocks("module", hcl.COMPOSITION / "main.tf") if n == name]
    return block


def _member_roles_locals() -> dict[str, Any]:
    (entry,) = [e for e in hcl.load(MEMBER_ROLES / "main.tf")["locals"] if "member_roles" in e]
    return entry["member_roles"]


def _assume_role_trusts() -> list[Statement]:
    return [s for s in all_statements() if "sts:AssumeRole" in s.actions and s.principals]


def _resources(type_name: str) -> list[hcl.TypedBlock]:
    return [b for b in hcl.typed_blocks("resource") if b.type == type_name]


# -- cross-account trust -------------------------------------------------------------------------
def test_every_role_trusted_by_an_aws_principal_names_exact_role_arns_from_validated_variables() -> None:
    # Given every trust policy with an AWS principal (services are trusted through Service principals)
    aws_trusts = {s.document: ids for s in _assume_role_trusts() for kind, ids in s.principals if kind == "AWS"}

    # Then they are the member roles and the org-reader, each naming role ARNs given as variables
    assert aws_trusts == {
        "member-roles/main.tf: data.aws_iam_policy_document.member_trust": ("${each.value.trusted_arn}",),
        "member-roles/main.tf: data.aws_iam_policy_document.org_reader_trust": ("${var.org_reader_trusted_role_arns}",),
    }
    roles = _member_roles_locals()
    assert {k: v["trusted_arn"] for k, v in roles.items()} == {
        "readonly": "${var.readonly_lambda_role_arn}",
        "admin": "${var.admin_lambda_role_arn}",
    }


@pytest.mark.parametrize("name", ["readonly_lambda_role_arn", "admin_lambda_role_arn", "org_reader_trusted_role_arns"])
def test_a_trusted_principal_variable_accepts_only_a_role_arn(name: str) -> None:
    (pattern,) = _validation_regexes(_variable(MEMBER_ROLES / "variables.tf", name))

    assert re.search(pattern, ROLE_ARN_EXAMPLE)
    assert [p for p in NOT_A_ROLE if re.search(pattern, p)] == []


def test_a_per_operation_role_trusts_only_a_role_arn() -> None:
    (pattern,) = _validation_regexes(_variable(MEMBER_ROLES / "variables.tf", "per_operation_roles"))

    assert re.search(pattern, ROLE_ARN_EXAMPLE)
    assert [p for p in NOT_A_ROLE if re.search(pattern, p)] == []


@pytest.mark.parametrize("parameter", ["ReadonlyLambdaRoleArn", "AdminLambdaRoleArn"])
def test_the_stack_set_trusts_only_a_role_arn_parameter(parameter: str) -> None:
    pattern = json.loads(CFN_TEMPLATE.read_text(encoding="utf-8"))["Parameters"][parameter]["AllowedPattern"]

    assert re.search(pattern, ROLE_ARN_EXAMPLE)
    assert [p for p in NOT_A_ROLE if re.search(pattern, p)] == []


def test_the_root_trusts_the_member_roles_to_the_two_worker_lambda_roles_only() -> None:
    module = _module_block("member_roles")

    assert (module["readonly_lambda_role_arn"], module["admin_lambda_role_arn"]) == (
        '${lookup(module.operator_roles.worker_role_arns, "readonly", null)}',
        '${lookup(module.operator_roles.worker_role_arns, "admin", null)}',
    )


def test_with_per_operation_roles_each_member_role_trusts_only_its_operations_worker() -> None:
    (entry,) = [e for e in hcl.load(hcl.COMPOSITION / "main.tf")["locals"] if "per_operation_roles" in e]
    assert "trusted_arn = module.operator_roles.worker_role_arns[op]" in entry["per_operation_roles"]
    operator = _module_block("operator_roles")["per_operation_roles"]
    assert "member_role = local.operation_member_role[op]" in operator
    (workers,) = [e for e in hcl.load(hcl.MODULES / "operator-roles" / "main.tf")["locals"] if "operation_workers" in e]
    assert (
        "member_role     = r.member_role" in workers["operation_workers"]
        or "r.member_role" in workers["operation_workers"]
    )
    assert (
        workers["workers"] == "${length(var.per_operation_roles) > 0 ? local.operation_workers : local.shared_workers}"
    )


def test_no_trust_lets_a_whole_account_or_anyone_in_without_the_organization_condition() -> None:
    # aws:PrincipalOrgID applies where a principal is broader than one role: "*" or an account.
    loose = [
        f"{s.document} {s.sid}"
        for s in _assume_role_trusts()
        for kind, ids in s.principals
        if kind in ("AWS", "*")
        for i in ids
        if (i == "*" or i.endswith(":root") or re.fullmatch(r"\d{12}", i))
        and not any(variable == "aws:PrincipalOrgID" for _, variable, _ in s.conditions)
    ]
    assert loose == []


def test_service_trusts_are_limited_to_this_account_where_the_service_passes_it() -> None:
    # Lambda assumes its execution role without aws:SourceAccount; Step Functions and the
    # scheduler pass it, so their trust is limited to this account (confused deputy).
    services = {ids: s.conditions for s in _assume_role_trusts() for kind, ids in s.principals if kind == "Service"}
    assert services == {
        ("lambda.amazonaws.com",): (),
        ("states.amazonaws.com",): (("StringEquals", "aws:SourceAccount", ("${local.account_id}",)),),
        ("scheduler.amazonaws.com",): (("StringEquals", "aws:SourceAccount", ("${local.account_id}",)),),
        # the management account's rule forwarding Organizations events to the inventory's bus
        ("events.amazonaws.com",): (("StringEquals", "aws:SourceAccount", ("${local.management_account_id}",)),),
    }


# -- the admin role's policy --------------------------------------------------------------------
def test_the_admin_roles_policies_come_from_the_root_variable_down_to_the_stack_set_and_management_roles() -> None:
    root = _variable(hcl.COMPOSITION / "variables.tf", "member_roles")
    assert "admin_policy_arns" in str(root["type"])
    assert _module_block("member_roles")["admin_policy_arns"] == "${var.member_roles.admin_policy_arns}"
    (stack_set,) = [b for b in _resources("aws_cloudformation_stack_set") if b.name == "this"]
    assert stack_set.body["parameters"] == "${var.per_operation ? {} : local.shared_template_parameters}"
    (entry,) = [e for e in hcl.load(MEMBER_ROLES / "main.tf")["locals"] if "shared_template_parameters" in e]
    assert entry["shared_template_parameters"]["AdminPolicyArns"] == '${join(",", var.admin_policy_arns)}'
    assert _member_roles_locals()["admin"]["policy_arns"] == "${local.derived ? [] : var.admin_policy_arns}"
    template = json.loads(CFN_TEMPLATE.read_text(encoding="utf-8"))
    assert template["Resources"]["AdminRole"]["Properties"]["ManagedPolicyArns"] == {
        "Fn::If": ["Derived", [{"Ref": "AdminPolicy"}], {"Ref": "AdminPolicyArns"}]
    }


def test_the_member_roles_default_to_the_operations_declared_actions_not_aws_managed_policies() -> None:
    # ReadOnlyAccess reads every object and secret it can list; AdministratorAccess administers
    # every account: only with policy_mode = "managed", on purpose.
    assert hcl.string(_variable(MEMBER_ROLES / "variables.tf", "policy_mode")["default"]) == "derived"
    assert (
        'policy_mode                  = optional(string, "derived")' in (hcl.COMPOSITION / "variables.tf").read_text()
    )
    template = json.loads(CFN_TEMPLATE.read_text(encoding="utf-8"))
    assert template["Parameters"]["PolicyMode"]["Default"] == "derived"
    for role, actions in (("Readonly", "ReadonlyActions"), ("Admin", "AdminActions")):
        policy = template["Resources"][f"{role}Policy"]
        assert (policy["Type"], policy["Condition"]) == ("AWS::IAM::ManagedPolicy", "Derived")
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Action"] == {"Ref": actions}
    for instance in ("member_roles", "member_roles_stack_set"):
        block = _module_block(instance)
        assert block["readonly_statements"] == "${module.manifest.readonly_statements}"
        assert block["admin_statements"] == "${module.manifest.admin_statements}"


def test_a_narrower_customer_managed_admin_policy_is_accepted() -> None:
    (pattern,) = _validation_regexes(_variable(MEMBER_ROLES / "variables.tf", "admin_policy_arns"))

    assert re.search(pattern, "arn:aws:iam::111111111111:policy/orgops-remediations")
    assert not re.search(pattern, "AdministratorAccess")


def test_the_readme_says_why_not_to_use_the_managed_policies() -> None:
    text = README.read_text(encoding="utf-8")
    assert 'member_roles.policy_mode = "managed"' in text


# -- encryption at rest ----------------------------------------------------------------------------
def test_every_log_group_is_encrypted_with_the_platform_key() -> None:
    groups = {b.address: b.body.get("kms_key_id") for b in _resources("aws_cloudwatch_log_group")}

    assert groups and all(groups.values()), groups
    assert set(groups.values()) == {"${aws_kms_key.this.arn}", "${var.kms_key_arn}"}
    # the operation module's key is required (no default) and the root gives it the platform's
    assert "default" not in _variable(hcl.MODULES / "operation" / "variables.tf", "kms_key_arn")
    assert _module_block("operation")["kms_key_arn"] == "${module.platform.kms_key_arn}"


def test_every_table_topic_and_bucket_is_encrypted_with_the_rotating_platform_key() -> None:
    (key,) = _resources("aws_kms_key")
    assert key.body["enable_key_rotation"] is True
    tables = [hcl.body(b.body["server_side_encryption"][0]) for b in _resources("aws_dynamodb_table")]
    assert tables == [{"enabled": True, "kms_key_arn": "${aws_kms_key.this.arn}"}] * 2  # status, inventory
    topics = [b.body.get("kms_master_key_id") for b in _resources("aws_sns_topic")]
    assert topics == ["${aws_kms_key.this.arn}"]
    buckets = [b.name for b in _resources("aws_s3_bucket")]
    encrypted = [
        (b.body["bucket"], b.body["rule"][0]["apply_server_side_encryption_by_default"][0]["kms_master_key_id"])
        for b in _resources("aws_s3_bucket_server_side_encryption_configuration")
    ]
    assert encrypted == [(f"${{aws_s3_bucket.{name}.id}}", "${aws_kms_key.this.arn}") for name in buckets]


def test_the_bucket_policy_denies_every_request_without_tls_on_the_bucket_and_its_objects() -> None:
    (policy,) = [b for b in hcl.typed_blocks("data", [PLATFORM_MAIN]) if b.name == "bucket"]
    by_sid = {hcl.string(s["sid"]): s for s in policy.body["statement"]}
    # TLS for everything; the change logs' own two denials are test_deployment_contracts's.
    assert sorted(by_sid) == ["DenyDeletingChangeLogs", "DenyInsecureTransport", "DenyOverwritingChangeLogs"]
    statement = by_sid["DenyInsecureTransport"]
    principals = [(hcl.string(p["type"]), [hcl.string(i) for i in p["identifiers"]]) for p in statement["principals"]]

    assert principals == [("*", ["*"])]
    assert [hcl.string(a) for a in statement["actions"]] == ["s3:*"]
    assert [hcl.string(r) for r in statement["resources"]] == [
        "${aws_s3_bucket.this.arn}",
        "${aws_s3_bucket.this.arn}/*",
    ]
    (attached,) = _resources("aws_s3_bucket_policy")
    assert attached.body["policy"] == "${data.aws_iam_policy_document.bucket.json}"


# -- no secret in the environment ----------------------------------------------------------------------
SECRET_NAME = re.compile(r"URL|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|WEBHOOK(?!_PARAMETER)", re.IGNORECASE)
SECRET_VALUE = re.compile(r"https?://|hooks\.slack\.com|xox[abpr]-|AKIA[0-9A-Z]{16}")


def _environments() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in _resources("aws_lambda_function"):
        for env in block.body.get("environment", []):
            found[block.address] = env["variables"]
    (functions,) = [e["functions"] for e in hcl.load(PLATFORM_MAIN)["locals"] if "functions" in e]
    for name, function in functions.items():
        found[f"platform local.functions.{name}"] = function["environment"]
    return found


def test_environment_variables_are_found_for_every_function() -> None:
    assert set(_environments()) == {
        "operation/main.tf: aws_lambda_function.worker",
        "platform/main.tf: aws_lambda_function.this",
        "platform local.functions.fanout",
        "platform local.functions.report",
        "platform/main.tf: aws_lambda_function.inventory",
    }


def test_no_function_environment_holds_a_secret_by_name_or_by_value() -> None:
    problems = [
        f"{where}: {name} = {value}"
        for where, variables in _environments().items()
        if isinstance(variables, dict)
        for name, value in variables.items()
        if SECRET_NAME.search(name) or SECRET_VALUE.search(str(value))
    ]
    assert problems == []


def test_the_settings_the_functions_read_name_no_secret() -> None:
    names = {*config.FANOUT_ENV, *config.WORKER_ENV, *config.REPORT_ENV}
    assert [n for n in sorted(names) if SECRET_NAME.search(n)] == []


@pytest.mark.parametrize(
    "name", ["ORGOPS_SLACK_WEBHOOK_URL", "SLACK_TOKEN", "DB_PASSWORD", "API_SECRET", "SLACK_WEBHOOK"]
)
def test_the_secret_name_rule_catches_the_usual_names(name: str) -> None:
    assert SECRET_NAME.search(name)


def test_the_slack_webhook_is_refused_as_a_url_by_the_root_variable() -> None:
    variable = _variable(hcl.COMPOSITION / "variables.tf", "slack_webhook_parameter")
    (pattern,) = _validation_regexes(variable)

    assert "!can(regex(" in str(variable["validation"][0]["condition"])  # valid only when it does NOT match
    assert re.search(pattern, "https://hooks.slack.com/services/T000/B000/XXXX")
    assert not re.search(pattern, "/orgops/slack-webhook")
