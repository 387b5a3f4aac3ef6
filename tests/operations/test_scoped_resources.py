"""An operation scopes its actions to ARN patterns (``resources=``) and conditions
(``conditions=``) in its declaration: refused unless each names one of its actions and looks like
an ARN pattern with only the two placeholders; carried by ``describe()``, the manifest, the
README's table and ``orgops describe``."""

from __future__ import annotations

from typing import Any

import pytest

from orgops import operations
from orgops.cli import app as cli
from orgops.operations import catalog
from orgops.operations.base import Operation

SG = "arn:${Partition}:ec2:*:${Account}:security-group/*"


def declare(**kw: Any) -> Operation:
    fields: dict[str, Any] = {
        "name": "revoke-things",
        "description": "x",
        "role": "admin",
        "columns": ("a",),
        "run": lambda *a: [],
        "actions": ("ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress"),
    }
    return Operation(**{**fields, **kw})


def test_a_scoped_action_the_operation_does_not_declare_is_refused_naming_both() -> None:
    with pytest.raises(ValueError) as refused:
        declare(resources={"ec2:AuthorizeSecurityGroupIngress": (SG,)})

    assert str(refused.value) == (
        "revoke-things: resources names 'ec2:AuthorizeSecurityGroupIngress', which is not one of its actions or "
        "extra_actions (ec2:DescribeSecurityGroups, ec2:RevokeSecurityGroupIngress): declare it, or take it out of "
        "resources"
    )


def test_an_extra_action_may_be_scoped() -> None:
    op = declare(extra_actions=("ec2:CreateTags",), resources={"ec2:CreateTags": (SG,)})
    assert op.resources == {"ec2:CreateTags": (SG,)}


@pytest.mark.parametrize(
    ("patterns", "said"),
    [
        (("*",), '"*" is what an unscoped action gets: leave the action out of resources'),
        (("security-group/*",), "'security-group/*' is not an ARN pattern such as arn:${Partition}:ec2:*:${Account}"),
        (("arn:aws:ec2:*:${Account}:security-group/*",), "is not an ARN pattern"),  # the partition is each role's
        (("arn:${Partition}:ec2:*:111111111111:security-group/*",), "is not an ARN pattern"),  # another account
        (("arn:${Partition}:ec2:*:*:security-group/*",), "is not an ARN pattern"),  # any account
        (("arn:${Partition}:ec2:*:${Account}:security-group/${aws:username}",), "has a placeholder other than"),
        (SG, "must be a non-empty tuple of ARN patterns"),  # a string, not a tuple
        ((), "must be a non-empty tuple of ARN patterns"),
    ],
)
def test_a_pattern_that_is_not_an_arn_of_the_roles_own_account_is_refused(patterns: Any, said: str) -> None:
    with pytest.raises(ValueError) as refused:
        declare(resources={"ec2:RevokeSecurityGroupIngress": patterns})
    assert str(refused.value).startswith("revoke-things: resources of ec2:RevokeSecurityGroupIngress")
    assert said in str(refused.value)


@pytest.mark.parametrize(
    "pattern",
    [
        SG,
        "arn:${Partition}:ec2:*::snapshot/*",  # no account in the ARN
        "arn:${Partition}:iam::${Account}:role/aws-service-role/x.amazonaws.com/R",  # global: no region
        "arn:${Partition}:apigateway:*::/restapis",
        "arn:${Partition}:iam::aws:policy/ReadOnlyAccess",  # AWS-owned
    ],
)
def test_an_arn_pattern_of_the_roles_partition_and_account_is_accepted(pattern: str) -> None:
    assert declare(resources={"ec2:RevokeSecurityGroupIngress": (pattern,)}).resources == {
        "ec2:RevokeSecurityGroupIngress": (pattern,)
    }


@pytest.mark.parametrize(
    ("conditions", "said"),
    [
        (
            {"ec2:CreateTags": {"StringEquals": {"aws:RequestedRegion": ("eu-west-1",)}}},
            "revoke-things: conditions names 'ec2:CreateTags', which is not one of its actions",
        ),
        (
            {"ec2:RevokeSecurityGroupIngress": {"StringEqualz": {"aws:RequestedRegion": ("eu-west-1",)}}},
            "'StringEqualz' is not one of ArnEquals",
        ),
        (
            {"ec2:RevokeSecurityGroupIngress": {"StringEquals": {"RequestedRegion": ("eu-west-1",)}}},
            "'RequestedRegion' is not a condition key",
        ),
        (
            {"ec2:RevokeSecurityGroupIngress": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
            "aws:RequestedRegion must have a non-empty tuple of values",
        ),
        (
            {"ec2:RevokeSecurityGroupIngress": {"StringEquals": {"aws:PrincipalTag/x": ("${aws:username}",)}}},
            "whose only placeholders are ${Partition} and ${Account}",
        ),
    ],
)
def test_a_malformed_condition_is_refused(conditions: Any, said: str) -> None:
    with pytest.raises(ValueError) as refused:
        declare(conditions=conditions)
    assert said in str(refused.value)


def test_describe_and_the_manifest_carry_the_scoped_resources_and_conditions() -> None:
    condition = {"StringEquals": {"aws:ResourceAccount": ("${Account}",)}}
    op = declare(
        resources={"ec2:RevokeSecurityGroupIngress": (SG,)}, conditions={"ec2:RevokeSecurityGroupIngress": condition}
    )

    described = op.describe()
    entry = operations.manifest({op.name: op})["operations"][op.name]

    for facts in (described, entry):
        assert facts["actions"] == ["ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress"]
        assert facts["resources"] == {"ec2:RevokeSecurityGroupIngress": [SG]}
        assert facts["conditions"] == {
            "ec2:RevokeSecurityGroupIngress": {"StringEquals": {"aws:ResourceAccount": ["${Account}"]}}
        }
    assert operations.manifest({op.name: op})["version"] == 3
    assert op.grants() == [
        {"action": "ec2:DescribeSecurityGroups", "resources": ["*"], "condition": {}},
        {
            "action": "ec2:RevokeSecurityGroupIngress",
            "resources": [SG],
            "condition": {"StringEquals": {"aws:ResourceAccount": ["${Account}"]}},
        },
    ]


def test_the_readme_table_and_orgops_describe_show_each_scoped_actions_patterns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    table = catalog.markdown_table()
    (row,) = [line for line in table.splitlines() if line.startswith("| `sg-open-ingress-remediation` |")]
    assert row.endswith(f"| `ec2:DescribeSecurityGroups`<br>`ec2:RevokeSecurityGroupIngress` on `{SG}` |")

    assert cli.main(["describe", "sg-open-ingress-remediation"]) == 0
    # the scoped resources, then what identifies a finding and what a plan pins (two lines)
    assert capsys.readouterr().out.splitlines()[-4:-2] == [
        '  scoped resources (every other action on "*"):',
        f"    ec2:RevokeSecurityGroupIngress on {SG}",
    ]
    assert cli.main(["describe", "inspector-activation"]) == 0
    assert capsys.readouterr().out.splitlines()[-3] == (
        "    iam:CreateServiceLinkedRole on arn:${Partition}:iam::${Account}:role/aws-service-role/"
        "inspector2.amazonaws.com/AWSServiceRoleForAmazonInspector2 if iam:AWSServiceName StringEquals "
        "inspector2.amazonaws.com"
    )
    assert cli.main(["describe", "vpcs"]) == 0
    assert capsys.readouterr().out.splitlines()[-2] == '  scoped resources: none (every action on "*")'
