"""The statements of every ``data "aws_iam_policy_document"``, and the wildcard rules they must follow."""

from __future__ import annotations

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
    if "*" in statement.resources and statement.document not in KEY_POLICIES:
        loose = sorted(set(statement.actions) - STAR_RESOURCE_ALLOWED)
        if loose:
            problems.append(f'{where}: "*" resource for {loose}')
    return problems
