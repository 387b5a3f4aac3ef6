"""The emulator's member-role policies: IAM action names, allowance and AWS's denial shapes."""

from __future__ import annotations

import pytest

from orgops.emulator import iam_policies


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
    assert iam_policies.derived(["unused-ebs-volumes", "public-ips", "inspector-activation"], roles) == {
        "operation-readonly": ["ec2:DescribeAddresses", "ec2:DescribeInstances", "ec2:DescribeVolumes"],
        "operation-admin": ["iam:CreateServiceLinkedRole", "inspector2:BatchGetAccountStatus", "inspector2:Enable"],
    }
