"""The statements of every ``data "aws_iam_policy_document"``, and the wildcard rules they must follow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.terraform import hcl

# Actions that AWS lets a policy grant only on "*": read-only calls and delivery actions.
STAR_RESOURCE_ALLOWED = frozenset(
    {
        # Organizations calls without resource-level permissions (read-only).
        "organizations:DescribeOrganization",
        "organizations:ListAccounts",
        "organizations:ListRoots",
        # X-Ray writes: no resource-level permissions.
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        # CloudWatch Logs delivery for Step Functions logging (documented to need "*").
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
    }
)
# Key policies: their "*" resource means the key itself.
KEY_POLICIES = frozenset({"platform/main.tf: data.aws_iam_policy_document.key"})
# The member roles' derived policies: exactly the deployed operations' declared actions, each on
# "*" or on its scoped ARN patterns, as dynamic statements from the operation manifest;
# tests/terraform/test_iam_database.py checks them as Terraform renders them.
DERIVED_POLICIES = frozenset({"member-roles/main.tf: data.aws_iam_policy_document.member_actions"})


@dataclass(frozen=True)
class Statement:
    document: str
    sid: str
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    principals: tuple[tuple[str, tuple[str, ...]], ...]
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...]


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(hcl.string(v) for v in value)
    return (hcl.string(value),)


def _statement(document: str, raw: dict[str, Any]) -> Statement:
    return Statement(
        document=document,
        sid=hcl.string(raw.get("sid", "")),
        effect=hcl.string(raw.get("effect", "Allow")),
        actions=_strings(raw.get("actions")),
        resources=_strings(raw.get("resources")),
        principals=tuple((hcl.string(p["type"]), _strings(p["identifiers"])) for p in raw.get("principals", [])),
        conditions=tuple(
            (hcl.string(c["test"]), hcl.string(c["variable"]), _strings(c["values"])) for c in raw.get("condition", [])
        ),
    )


def statements_of(body: dict[str, Any], document: str) -> Iterator[Statement]:
    for raw in body.get("statement", []):
        yield _statement(document, raw)
    for dynamic in body.get("dynamic", []):
        for name, spec in hcl.body(dynamic).items():
            if hcl.label(name) == "statement":
                for content in spec.get("content", []):
                    yield _statement(document, content)


def all_statements() -> list[Statement]:
    return [
        s
        for block in hcl.typed_blocks("data")
        if block.type == "aws_iam_policy_document"
        for s in statements_of(block.body, block.address)
    ]


def wildcard_problems(statement: Statement) -> list[str]:
    """What breaks the rules: a "*" or "service:*" action, a "*" resource outside the exceptions."""
    if statement.effect != "Allow":
        return []
    where = f"{statement.document} {statement.sid or '(no sid)'}"
    problems = [f"{where}: wildcard action {a!r}" for a in statement.actions if a == "*" or a.endswith(":*")]
    if "*" in statement.resources and statement.document not in KEY_POLICIES | DERIVED_POLICIES:
        loose = sorted(set(statement.actions) - STAR_RESOURCE_ALLOWED)
        if loose:
            problems.append(f'{where}: "*" resource for {loose}')
    return problems


# -- sample ARNs for the IAM database check ---------------------------------------------------------
# What a policy's Terraform expressions become once the module's string locals are substituted:
# each remaining reference gets a sample value of the kind Terraform would put there. A reference
# missing here fails ``resolved_resources`` (add it, with a value of the right kind).
SAMPLE_VALUES = {
    "data.aws_partition.current.partition": "aws",
    "data.aws_region.current.region": "us-east-1",
    "data.aws_region.current.name": "us-east-1",
    "data.aws_caller_identity.current.account_id": "111111111111",
    "var.management_account_id": "222222222222",
    "var.name_prefix": "orgops",
    "var.org_reader_role_name": "orgops-org-reader",
    "var.data_bucket_arn": "arn:aws:s3:::orgops-data-111111111111-us-east-1",
    "aws_s3_bucket.this.arn": "arn:aws:s3:::orgops-data-111111111111-us-east-1",
    "var.status_table_arn": "arn:aws:dynamodb:us-east-1:111111111111:table/orgops-status",
    "var.inventory_table_arn": "arn:aws:dynamodb:us-east-1:111111111111:table/orgops-inventory",
    "aws_cloudwatch_event_bus.organization.arn": "arn:aws:events:us-east-1:111111111111:event-bus/orgops-org-events",
    "module.platform.organization_event_bus_arn": "arn:aws:events:us-east-1:111111111111:event-bus/orgops-org-events",
    "var.kms_key_arn": "arn:aws:kms:us-east-1:111111111111:key/0e6a4c5b-2f3d-4e1a-9b7c-1a2b3c4d5e6f",
    # modules/dataset: the analysts' policy
    "var.data_bucket_name": "orgops-data-111111111111-us-east-1",
    "local.database": "orgops",
    "aws_athena_workgroup.this.arn": "arn:aws:athena:us-east-1:111111111111:workgroup/orgops",
    "var.topic_arn": "arn:aws:sns:us-east-1:111111111111:orgops-notifications",
    "aws_sns_topic.this.arn": "arn:aws:sns:us-east-1:111111111111:orgops-notifications",
    "aws_sfn_state_machine.this.arn": "arn:aws:states:us-east-1:111111111111:stateMachine:orgops-tags",
    "each.value.member_role": "operation-readonly",
    "each.value.extra_role_arns": "arn:aws:iam::222222222222:role/orgops-org-reader",
    "local.state_machine[each.key]": "orgops-tags",
    "local.state_machine[op]": "orgops-tags",
    "local.worker_function[op]": "orgops-tags-worker",
    "local.organization_id": "o-a1b2c3d4e5",
    "local.management_account_id": "222222222222",
    "fn": "orgops-fanout",
}
# ``dynamic "statement"`` contents whose resource is the iterator's value: what it iterates over.
ITERATOR_VALUES = {
    "ReadSlackWebhookParameter": "arn:aws:ssm:us-east-1:111111111111:parameter/orgops/slack-webhook",
    "ReadSlackWebhookSecret": "arn:aws:secretsmanager:us-east-1:111111111111:secret:orgops/slack-AbCdEf",
    "DecryptSlackWebhook": "arn:aws:kms:us-east-1:111111111111:key/0e6a4c5b-2f3d-4e1a-9b7c-1a2b3c4d5e6f",
}
REFERENCE = re.compile(r"\$\{([^${}]+)\}")
SIMPLE_REFERENCE = re.compile(r"^\$\{[A-Za-z_][\w.]*\}$")
FLATTEN_FOR = re.compile(r"^\$\{flatten\(\[for (\w+) in \[.*\] : \[(.*)\]\]\)\}$")
LIST_FOR = re.compile(r'^\$\{\[for (\w+) in [^:]+ : "(.*)"\]\}$')  # ${[for op in var.x : "arn:...${op}"]}


def string_locals(module: str) -> dict[str, str]:
    """A module's locals whose value is a plain string template (not a map, list or call)."""
    found: dict[str, str] = {}
    for path in sorted((hcl.MODULES / module).glob("*.tf")):
        for entry in hcl.load(path).get("locals", []):
            for name, value in hcl.body(entry).items():
                if isinstance(value, str) and value.startswith('"') and value.endswith('"'):
                    found[name] = value[1:-1]
                elif isinstance(value, str) and SIMPLE_REFERENCE.match(value):
                    found[name] = value
    return found


def resolve(text: str, module: str) -> list[str]:
    """Sample ARNs for one resource expression (a ``flatten([for ...])`` may give several)."""
    listed = LIST_FOR.match(text)
    if listed:
        return resolve(listed.group(2), module)
    looped = FLATTEN_FOR.match(text)
    if looped:
        return [resolve(hcl.label(item.strip()), module)[0] for item in hcl.split_top_level(looped.group(2))]
    values = {f"local.{k}": v for k, v in string_locals(module).items()} | SAMPLE_VALUES
    for _ in range(6):
        text = REFERENCE.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), text)
    return [text]


def resolved_resources(statement: Statement) -> list[str]:
    module = statement.document.split("/", 1)[0]
    resolved: list[str] = []
    for resource in statement.resources:
        if resource == "${statement.value}":
            resolved.append(ITERATOR_VALUES[statement.sid])
        else:
            resolved += resolve(resource, module)
    return resolved
