"""IAM: no wildcard actions; "*" resources only for the read/delivery calls that need them; each role's scope."""

from __future__ import annotations

import textwrap

import hcl2
import pytest

from tests.terraform import hcl
from tests.terraform.iam import Statement, all_statements, statements_of, wildcard_problems

STATEMENTS = all_statements()


def _by_document(address: str) -> list[Statement]:
    return [s for s in STATEMENTS if s.document == address]


def _parse(text: str) -> list[Statement]:
    (entry,) = hcl2.loads(textwrap.dedent(text))["data"]
    body = hcl.body(next(iter(hcl.body(next(iter(hcl.body(entry).values()))).values())))
    return list(statements_of(body, "test"))


def test_policies_are_found() -> None:
    assert len({s.document for s in STATEMENTS}) >= 12


@pytest.mark.parametrize("statement", STATEMENTS, ids=lambda s: f"{s.document} {s.sid}")
def test_statement_has_no_wildcard_action_and_no_unjustified_star_resource(statement) -> None:
    assert wildcard_problems(statement) == []


def test_rule_rejects_a_service_wildcard_action() -> None:
    (statement,) = _parse("""
        data "aws_iam_policy_document" "p" {
          statement {
            sid       = "Bad"
            actions   = ["s3:*"]
            resources = ["arn:aws:s3:::b/*"]
          }
        }
    """)
    assert wildcard_problems(statement) == ["test Bad: wildcard action 's3:*'"]


def test_rule_rejects_a_star_resource_for_a_write_action_in_a_dynamic_statement() -> None:
    (statement,) = _parse("""
        data "aws_iam_policy_document" "p" {
          dynamic "statement" {
            for_each = [1]
            content {
              sid       = "Bad"
              actions   = ["xray:PutTraceSegments", "s3:PutObject"]
              resources = ["*"]
            }
          }
        }
    """)
    assert wildcard_problems(statement) == ["test Bad: \"*\" resource for ['s3:PutObject']"]


@pytest.mark.parametrize(("role", "member_role"), [("readonly", "operation-readonly"), ("admin", "operation-admin")])
def test_worker_roles_assume_only_their_member_role_in_the_organization(role, member_role) -> None:
    statements = _by_document("operator-roles/main.tf: data.aws_iam_policy_document.worker")
    (assume,) = [s for s in statements if s.sid == "AssumeMemberRoleInOrganization"]
    assert assume.actions == ("sts:AssumeRole",)
    assert assume.resources == ("arn:${local.partition}:iam::*:role/${each.value.member_role}",)
    assert assume.conditions == (("StringEquals", "aws:ResourceOrgID", ("${var.organization_id}",)),)
    text = (hcl.MODULES / "operator-roles" / "variables.tf").read_text(encoding="utf-8")
    assert f'default     = "{member_role}"' in text


def test_workers_write_and_read_only_results() -> None:
    statements = _by_document("operator-roles/main.tf: data.aws_iam_policy_document.worker")
    s3 = [(s.actions, s.resources) for s in statements if any(a.startswith("s3:") for a in s.actions)]
    assert s3 == [
        (("s3:PutObject",), ("${var.data_bucket_arn}/results/*",)),
        # a run applying a plan reads its target's planned changes: the dry run's stored rows
        (("s3:GetObject",), ("${var.data_bucket_arn}/results/*",)),
    ]


def test_fanout_assumes_the_org_reader_writes_targets_and_statuses() -> None:
    statements = _by_document("operator-roles/main.tf: data.aws_iam_policy_document.fanout")
    grants = {s.sid: (s.actions, s.resources) for s in statements if s.sid not in {"Logs", "Tracing", "UseDataKey"}}
    assert grants == {
        "AssumeOrgReader": (("sts:AssumeRole",), ("${local.org_reader_role_arn}",)),
        "WriteTargets": (("s3:PutObject",), ("${var.data_bucket_arn}/targets/*",)),
        "WriteSkippedStatuses": (("dynamodb:BatchWriteItem", "dynamodb:PutItem"), ("${var.status_table_arn}",)),
        # RetryFailed: the earlier execution of one of the deployed operations, its plan, its statuses
        "DescribeExecutionToRetry": (
            ("states:DescribeExecution",),
            ('${[for op in var.operations : "${local.states_prefix}:execution:${local.state_machine[op]}:*"]}',),
        ),
        "ReadPlanToRetry": (("s3:GetObject",), ("${var.data_bucket_arn}/targets/*",)),
        # Plan: only the plans the reports wrote
        "ReadPlanToApply": (("s3:GetObject",), ("${var.data_bucket_arn}/reports/*/plan.json",)),
        "ReadStatusesToRetry": (("dynamodb:Query",), ("${var.status_table_arn}",)),
        # Preflight: the deployed operations' workers only
        "InvokeWorkersForPreflight": (
            ("lambda:InvokeFunction",),
            ('${[for op in var.operations : "${local.lambda_arn_prefix}:${local.worker_function[op]}"]}',),
        ),
        "ReadInventory": (
            ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"),
            ("${var.inventory_table_arn}",),
        ),
    }


def test_workers_count_failures_only_in_their_own_operations_executions() -> None:
    statements = _by_document("operator-roles/main.tf: data.aws_iam_policy_document.worker")
    (count,) = [s for s in statements if s.sid == "CountRunFailures"]
    assert (count.actions, count.resources) == (
        ("dynamodb:GetItem", "dynamodb:UpdateItem"),
        ("${var.status_table_arn}",),
    )
    assert count.conditions == (
        ("ForAllValues:StringLike", "dynamodb:LeadingKeys", ("${local.worker_execution_arns[each.key]}",)),
    )


def test_report_reads_only_the_one_slack_parameter() -> None:
    statements = _by_document("operator-roles/main.tf: data.aws_iam_policy_document.report")
    ssm = [s for s in statements if any(a.startswith(("ssm:", "secretsmanager:")) for a in s.actions)]
    assert [(s.actions, s.resources) for s in ssm] == [
        (("ssm:GetParameter",), ("${statement.value}",)),
        (("secretsmanager:GetSecretValue",), ("${statement.value}",)),
    ]


def test_state_machine_starts_only_itself() -> None:
    statements = _by_document("operator-roles/main.tf: data.aws_iam_policy_document.state_machine")
    states = {s.sid: (s.actions, s.resources) for s in statements if any(a.startswith("states:") for a in s.actions)}
    assert states == {
        "StartOwnDistributedMapChildren": (
            ("states:StartExecution",),
            ("${local.states_prefix}:stateMachine:${local.state_machine[each.key]}",),
        ),
        "ManageOwnChildExecutions": (
            ("states:DescribeExecution", "states:StopExecution"),
            (
                "${local.states_prefix}:execution:${local.state_machine[each.key]}/*",
                "${local.states_prefix}:express:${local.state_machine[each.key]}/*",
            ),
        ),
    }


def test_org_reader_is_trusted_only_by_the_given_roles() -> None:
    (trust,) = _by_document("member-roles/main.tf: data.aws_iam_policy_document.org_reader_trust")
    assert trust.principals == (("AWS", ("${var.org_reader_trusted_role_arns}",)),)


def test_root_trusts_the_org_reader_to_the_fanout_and_the_organization_operations_workers_only() -> None:
    # The fanout and the organization inventory's function, and
    # shared roles: the readonly worker (organization operations run as it);
    # per-operation roles: the fanout and the worker of each organization operation.
    (module,) = [b for name, b in hcl.named_blocks("module", hcl.COMPOSITION / "main.tf") if name == "member_roles"]
    assert module["org_reader_trusted_role_arns"] == "${local.org_reader_trusted}"
    (entry,) = [e for e in hcl.load(hcl.COMPOSITION / "main.tf")["locals"] if "org_reader_trusted" in e]
    assert entry["org_reader_trusted"] == (
        "${concat([module.operator_roles.fanout_role_arn, module.operator_roles.inventory_role_arn], "
        "local.per_operation ? "
        "[for op, role in local.operation_roles : module.operator_roles.worker_role_arns[op] "
        'if role == "organization"] : '
        '[module.operator_roles.worker_role_arns["readonly"]])}'
    )


def test_org_reader_grants_only_organizations_reads_and_list_regions() -> None:
    statements = _by_document("member-roles/main.tf: data.aws_iam_policy_document.org_reader")
    actions = {a for s in statements for a in s.actions}
    assert all(
        a.startswith(("organizations:Describe", "organizations:List")) or a == "account:ListRegions" for a in actions
    )


def test_report_reads_only_what_a_comparison_with_the_baseline_needs() -> None:
    statements = _by_document("operator-roles/main.tf: data.aws_iam_policy_document.report")
    grants = {s.sid: (s.actions, s.resources) for s in statements}
    assert grants["ReadBaselines"] == (
        ("s3:GetObject",),
        (
            "${var.data_bucket_arn}/reports/*/baselines/*",
            "${var.data_bucket_arn}/reports/*/report.csv",
            "${var.data_bucket_arn}/dataset/statuses/*",
        ),
    )
    assert grants["DescribeExecutionsToCompare"] == (
        ("states:DescribeExecution",),
        ('${[for op in var.operations : "${local.states_prefix}:execution:${local.state_machine[op]}:*"]}',),
    )
