"""The emulator's member-role policies: IAM action names, allowance and AWS's denial shapes."""

from __future__ import annotations

import pytest

from orgops.emulator import iam_policies
from orgops.emulator.iam_policies import Grant


@pytest.mark.parametrize(
    ("service", "api", "method", "action"),
    [
        ("ec2", "DescribeVolumes", "POST", "ec2:DescribeVolumes"),
        ("resourcegroupstaggingapi", "GetResources", "POST", "tag:GetResources"),
        ("cloudwatch", "GetMetricData", "POST", "cloudwatch:GetMetricData"),
        ("elbv2", "DescribeLoadBalancers", "POST", "elasticloadbalancing:DescribeLoadBalancers"),
        ("apigatewayv2", "GetApis", "GET", "apigateway:GET"),
        ("lambda", "ListFunctions", "GET", "lambda:ListFunctions"),
    ],
)
def test_a_call_maps_to_its_iam_action(service: str, api: str, method: str, action: str) -> None:
    assert iam_policies.iam_action(service, api, method) == action


def test_allowance_is_by_action_case_insensitive_with_iam_wildcards() -> None:
    actions = frozenset({"ec2:describevolumes", "tag:get*"})
    assert iam_policies.allows(actions, "ec2:DescribeVolumes")
    assert iam_policies.allows(actions, "tag:GetResources")
    assert not iam_policies.allows(actions, "ec2:DescribeSnapshots")


@pytest.mark.parametrize(
    ("service", "code"),
    [("ec2", "UnauthorizedOperation"), ("lambda", "AccessDeniedException"), ("cloudwatch", "AccessDenied")],
)
def test_a_denial_has_the_services_code_and_names_the_caller_and_action(service: str, code: str) -> None:
    arn = "arn:aws:sts::111111111111:assumed-role/operation-readonly/w"
    got_code, status, message = iam_policies.denial(service, arn, "x:Y")
    assert (got_code, status) == (code, 403)
    assert message.endswith(
        f"User: {arn} is not authorized to perform: x:Y because no identity-based policy allows the x:Y action"
    )


def test_derived_policies_are_the_union_per_role_of_the_deployed_operations() -> None:
    roles = {"readonly": "operation-readonly", "admin": "operation-admin"}
    slr = (
        "arn:${Partition}:iam::${Account}:role/aws-service-role/inspector2.amazonaws.com/"
        "AWSServiceRoleForAmazonInspector2"
    )
    assert iam_policies.derived(["unused-ebs-volumes", "public-ips", "inspector-activation"], roles) == {
        "operation-readonly": [
            Grant("ec2:DescribeAddresses"),
            Grant("ec2:DescribeInstances"),
            Grant("ec2:DescribeVolumes"),
        ],
        "operation-admin": [
            Grant(
                "iam:CreateServiceLinkedRole",
                slr,
                '{"StringEquals": {"iam:AWSServiceName": ["inspector2.amazonaws.com"]}}',
            ),
            Grant("inspector2:BatchGetAccountStatus"),
            Grant("inspector2:Enable"),
        ],
    }


def test_a_scoped_action_gets_one_grant_per_arn_pattern() -> None:
    got = iam_policies.derived(["tag-remediation"], {"admin": "operation-admin"})["operation-admin"]
    assert [g for g in got if g.action == "ec2:CreateTags"] == [
        Grant("ec2:CreateTags", "arn:${Partition}:ec2:*:${Account}:*"),
        Grant("ec2:CreateTags", "arn:${Partition}:ec2:*::image/*"),
        Grant("ec2:CreateTags", "arn:${Partition}:ec2:*::snapshot/*"),
    ]


def test_plain_actions_are_grants_on_star_and_the_union_of_two_policies_keeps_each_grant() -> None:
    iam_policies.set_member_policies({"operation-admin": ["EC2:DescribeSecurityGroups"]})
    try:
        current = iam_policies.member_policies()
        added = [Grant("ec2:RevokeSecurityGroupIngress", SG_PATTERN)]
        iam_policies.set_member_policies({"operation-admin": {*current["operation-admin"], *added}})
        assert iam_policies.member_policies() == {
            "operation-admin": frozenset(
                {Grant("ec2:describesecuritygroups"), Grant("ec2:revokesecuritygroupingress", SG_PATTERN)}
            )
        }
        iam_policies.revoke("operation-admin", "ec2:RevokeSecurityGroupIngress")
        assert iam_policies.member_policies()["operation-admin"] == frozenset({Grant("ec2:describesecuritygroups")})
    finally:
        iam_policies.set_member_policies({})


SG_PATTERN = "arn:${Partition}:ec2:*:${Account}:security-group/*"
ACCOUNT = "111111111111"
GROUP = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:security-group/sg-0123"


@pytest.mark.parametrize(
    ("pattern", "arn", "matches"),
    [
        (SG_PATTERN, GROUP, True),
        (SG_PATTERN, "arn:aws:ec2:eu-west-1:222222222222:security-group/sg-0123", False),  # another account
        (SG_PATTERN, f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-0123", False),  # another type
        ("arn:${Partition}:ec2:us-east-1:${Account}:security-group/*", GROUP, False),  # another region
        ("arn:${Partition}:ec2:*:${Account}:*", f"arn:aws:ec2:eu-west-1:{ACCOUNT}:volume/vol-1", True),
        ("arn:${Partition}:ec2:*::snapshot/*", "arn:aws:ec2:eu-west-1::snapshot/snap-1", True),
        ("arn:${Partition}:ec2:*:${Account}:security-group/sg-012?", GROUP, True),
        ("*", "arn:aws:s3:::anything", True),
    ],
)
def test_an_arn_pattern_grants_the_arns_iam_would(pattern: str, arn: str, matches: bool) -> None:
    assert iam_policies.arn_matches(pattern, arn, "aws", ACCOUNT) is matches


def test_a_scoped_grant_allows_its_resources_and_refuses_another_naming_it() -> None:
    grants = [Grant("ec2:describesecuritygroups"), Grant("ec2:revokesecuritygroupingress", SG_PATTERN)]
    other = "arn:aws:ec2:eu-west-1:222222222222:security-group/sg-9"

    assert iam_policies.allowed(grants, "ec2:RevokeSecurityGroupIngress", [GROUP], {}, "aws", ACCOUNT) is None
    assert iam_policies.allowed(grants, "ec2:RevokeSecurityGroupIngress", [GROUP, other], {}, "aws", ACCOUNT) == other
    assert iam_policies.allowed(grants, "ec2:RevokeSecurityGroupIngress", None, {}, "aws", ACCOUNT) is None  # unknown
    assert iam_policies.allowed(grants, "ec2:DeleteSecurityGroup", [GROUP], {}, "aws", ACCOUNT) == "*"


def test_a_condition_holds_only_for_the_request_that_has_its_key_and_value() -> None:
    condition = '{"StringEquals": {"iam:AWSServiceName": ["inspector2.amazonaws.com"]}}'
    grants = [Grant("iam:createservicelinkedrole", "*", condition)]
    inspector = {"iam:AWSServiceName": "inspector2.amazonaws.com"}

    assert iam_policies.allowed(grants, "iam:CreateServiceLinkedRole", None, inspector, "aws", ACCOUNT) is None
    other = {"iam:AWSServiceName": "elasticmapreduce.amazonaws.com"}
    assert iam_policies.allowed(grants, "iam:CreateServiceLinkedRole", None, other, "aws", ACCOUNT) == "*"
    assert iam_policies.allowed(grants, "iam:CreateServiceLinkedRole", None, {}, "aws", ACCOUNT) == "*"
    unknown = [Grant("iam:createservicelinkedrole", "*", '{"NumericLessThan": {"x:Y": ["1"]}}')]
    assert iam_policies.allowed(unknown, "iam:CreateServiceLinkedRole", None, inspector, "aws", ACCOUNT) == "*"


@pytest.mark.parametrize(
    ("service", "api", "params", "resources"),
    [
        ("ec2", "RevokeSecurityGroupIngress", {"GroupId": "sg-0123"}, [GROUP]),
        ("ec2", "RevokeSecurityGroupIngress", {"GroupName": "default"}, None),
        (
            "ec2",
            "CreateTags",
            {"Resources": ["i-1", "snap-2"]},
            [f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-1", "arn:aws:ec2:eu-west-1::snapshot/snap-2"],
        ),
        ("ec2", "CreateTags", {"Resources": ["i-1", "fleet-2"]}, None),
        ("securityhub", "BatchEnableStandards", {}, [f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:hub/default"]),
        ("ec2", "DescribeSecurityGroups", {}, None),
    ],
)
def test_the_resources_of_a_call_are_known_where_the_emulator_can_name_them(service, api, params, resources) -> None:
    assert iam_policies.request_resources(service, api, params.get, "aws", "eu-west-1", ACCOUNT) == resources


def test_the_denial_of_a_resource_names_it() -> None:
    arn = "arn:aws:sts::111111111111:assumed-role/operation-admin/w"
    code, status, message = iam_policies.denial("ec2", arn, "ec2:RevokeSecurityGroupIngress", GROUP)
    assert (code, status) == ("UnauthorizedOperation", 403)
    assert message.endswith(
        f"User: {arn} is not authorized to perform: ec2:RevokeSecurityGroupIngress on resource: {GROUP} "
        "because no identity-based policy allows the ec2:RevokeSecurityGroupIngress action"
    )
