"""The member roles' identity policies, enforced as AWS does for the calls the operations make.

moto evaluates no IAM policy: a member role could call anything. Terraform gives each member role
exactly the deployed operations' declared actions, each on ``"*"`` or on the ARN patterns its
operation scopes it to (``modules/operation-manifest``); the emulator gives the emulated member
roles the same grants (``derived``) and refuses, for a caller that is one of them, every call no
grant allows, with AWS's error: EC2 ``UnauthorizedOperation``, JSON services
``AccessDeniedException``, query and REST-XML services ``AccessDenied`` (403). Only the member
roles are checked (OrganizationAccountAccessRole, the stack's own roles and the default
credentials keep moto's allow-everything).

Resources are evaluated where the emulator knows the ARN a call acts on (``REQUEST_RESOURCES``:
security groups, the resources of ``ec2:CreateTags``, the account's Security Hub): each must
match a grant's pattern, its ``${Partition}`` and ``${Account}`` those of the caller's role. For
any other call a grant of the action allows it, scoped or not (as the policy would for the
resource the call names, if it matches). Conditions are evaluated for the operators
``CONDITION_TESTS`` knows, on the keys ``request_context`` gives; any other condition does not
hold (the call is refused, never wrongly allowed).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import botocore.session

from orgops import operations
from orgops.operations.base import ACCOUNT, PARTITION


class Grant(NamedTuple):
    """One action allowed on one resource pattern ("*" or an ARN with the placeholders), under a
    condition (its JSON, ``""`` for none)."""

    action: str
    resource: str = "*"
    condition: str = ""


_lock = threading.Lock()
_policies: dict[str, frozenset[Grant]] = {}  # member role name -> its grants (actions in lower case)

# IAM prefixes that are neither the signing name nor the endpoint prefix of the botocore service.
IAM_PREFIXES = {"resourcegroupstaggingapi": "tag", "cloudwatch": "cloudwatch"}
# API Gateway's management APIs are authorised per HTTP verb (apigateway:GET, ...).
HTTP_VERB_SERVICES = frozenset({"apigateway", "apigatewayv2"})
EC2_DENIAL = ("UnauthorizedOperation", 403)
JSON_DENIAL = ("AccessDeniedException", 403)
QUERY_DENIAL = ("AccessDenied", 403)
DENIAL_CODES = (EC2_DENIAL[0], JSON_DENIAL[0], QUERY_DENIAL[0])


def derived(deployed: Iterable[str], roles: Mapping[str, str]) -> dict[str, list[Grant]]:
    """Each member role's grants: the union of the deployed operations of its kind (as Terraform),
    each action on "*" or on each of its scoped ARN patterns."""
    found: dict[str, set[Grant]] = {name: set() for name in roles.values()}
    for name in deployed:
        op = operations.get(name)
        if op.role in roles:
            for grant in op.grants():
                condition = json.dumps(grant["condition"], sort_keys=True) if grant["condition"] else ""
                found[roles[op.role]].update(Grant(grant["action"], r, condition) for r in grant["resources"])
    return {role: sorted(grants) for role, grants in found.items()}


def _grant(item: Grant | str) -> Grant:
    grant = Grant(item) if isinstance(item, str) else Grant(*item)
    return grant._replace(action=grant.action.lower())


def set_member_policies(policies: Mapping[str, Iterable[Grant | str]]) -> None:
    """Each member role's grants (an action alone is that action on "*")."""
    with _lock:
        _policies.clear()
        _policies.update({role: frozenset(_grant(g) for g in grants) for role, grants in policies.items()})


def member_policies() -> dict[str, frozenset[Grant]]:
    with _lock:
        return dict(_policies)


def revoke(role: str, action: str) -> None:
    """Take ``action`` out of ``role``'s policy (as a narrowed policy would): for tests."""
    with _lock:
        _policies[role] = frozenset(g for g in _policies.get(role, frozenset()) if g.action != action.lower())


@functools.cache
def _model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def iam_action(service: str, api: str, method: str) -> str:
    """The IAM action of a call (``ec2:DescribeVolumes``, ``tag:GetResources``, ``apigateway:GET``)."""
    if service in HTTP_VERB_SERVICES:
        return f"apigateway:{method.upper()}"
    model = _model(service)
    prefix = IAM_PREFIXES.get(service) or model.signing_name or model.endpoint_prefix
    return f"{prefix}:{api}"


def allows(actions: frozenset[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), allowed) for allowed in actions)


@functools.cache
def _arn_regex(pattern: str) -> re.Pattern[str]:
    """IAM's resource matching: ``*`` any run of characters (``/`` and ``:`` included), ``?`` one."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def arn_matches(pattern: str, arn: str, partition: str, account: str) -> bool:
    """Whether ``pattern`` (``"*"`` or an ARN pattern with the placeholders) grants ``arn``, for a
    role in ``partition`` and ``account``."""
    if pattern == "*":
        return True
    concrete = pattern.replace(PARTITION, partition).replace(ACCOUNT, account)
    return _arn_regex(concrete).fullmatch(arn) is not None


def _string_equals(value: str, allowed: str) -> bool:
    return value == allowed


def _string_like(value: str, allowed: str) -> bool:
    return _arn_regex(allowed).fullmatch(value) is not None


# Condition operators the emulator evaluates: each value of the request's key against the
# policy's values (any may match). Any other operator does not hold.
CONDITION_TESTS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": _string_equals,
    "StringLike": _string_like,
    "ArnEquals": _string_equals,
    "ArnLike": _string_like,
}


def condition_holds(condition: str, context: Mapping[str, str], partition: str, account: str) -> bool:
    """Whether a grant's condition (its JSON; ``""`` for none) holds for a request with ``context``
    (condition key -> value). A key the request does not have never matches, as in AWS."""
    if not condition:
        return True
    for operator, keys in json.loads(condition).items():
        test = CONDITION_TESTS.get(operator)
        if test is None:
            return False
        for key, values in keys.items():
            value = next((v for k, v in context.items() if k.lower() == key.lower()), None)
            wanted = [v.replace(PARTITION, partition).replace(ACCOUNT, account) for v in values]
            if value is None or not any(test(value, w) for w in wanted):
                return False
    return True


def allowed(
    grants: Iterable[Grant],
    action: str,
    resources: list[str] | None,
    context: Mapping[str, str],
    partition: str,
    account: str,
) -> str | None:
    """None when ``grants`` allow ``action`` on every one of ``resources`` (None: the emulator does
    not know them, any grant of the action will do), else the resource refused (``"*"`` when no
    grant names the action at all)."""
    matching = [
        g
        for g in grants
        if fnmatch.fnmatchcase(action.lower(), g.action) and condition_holds(g.condition, context, partition, account)
    ]
    if not matching:
        return "*"
    for arn in resources or ():
        if not any(arn_matches(g.resource, arn, partition, account) for g in matching):
            return arn
    return None


def denial(service: str, caller_arn: str, action: str, resource: str = "*") -> tuple[str, int, str]:
    """AWS's answer when no identity-based policy allows ``action`` (on ``resource``)."""
    on = "" if resource == "*" else f" on resource: {resource}"
    message = (
        f"User: {caller_arn} is not authorized to perform: {action}{on} "
        f"because no identity-based policy allows the {action} action"
    )
    if service == "ec2":
        code, status = EC2_DENIAL
        return code, status, f"You are not authorized to perform this operation. {message}"
    protocol = str(_model(service).metadata.get("protocol", ""))
    code, status = JSON_DENIAL if protocol in ("json", "rest-json") else QUERY_DENIAL
    return code, status, message


# -- the resources a call acts on, where the emulator knows them ------------------------------------
# ec2:CreateTags names resources by id: the resource type of each id prefix (those the emulator
# seeds and the remediations tag); an id of another prefix makes the call's resources unknown.
EC2_ID_TYPES = {
    "i": "instance",
    "vol": "volume",
    "sg": "security-group",
    "vpc": "vpc",
    "subnet": "subnet",
    "igw": "internet-gateway",
    "nat": "natgateway",
    "eipalloc": "elastic-ip",
    "eni": "network-interface",
    "rtb": "route-table",
    "acl": "network-acl",
}
EC2_ACCOUNTLESS_ID_TYPES = {"ami": "image", "snap": "snapshot"}
SECURITY_GROUP_APIS = frozenset(
    {
        "AuthorizeSecurityGroupEgress",
        "AuthorizeSecurityGroupIngress",
        "DeleteSecurityGroup",
        "RevokeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
    }
)
SECURITYHUB_HUB_APIS = frozenset(
    {
        "BatchDisableStandards",
        "BatchEnableStandards",
        "DescribeStandardsControls",
        "GetEnabledStandards",
        "UpdateStandardsControl",
    }
)


def _ec2_arn(resource_id: str, partition: str, region: str, account: str) -> str | None:
    prefix = resource_id.split("-", 1)[0]
    if prefix in EC2_ID_TYPES:
        return f"arn:{partition}:ec2:{region}:{account}:{EC2_ID_TYPES[prefix]}/{resource_id}"
    if prefix in EC2_ACCOUNTLESS_ID_TYPES:
        return f"arn:{partition}:ec2:{region}::{EC2_ACCOUNTLESS_ID_TYPES[prefix]}/{resource_id}"
    return None


def request_resources(
    service: str, api: str, param: Callable[[str], Any], partition: str, region: str, account: str
) -> list[str] | None:
    """The ARNs a call acts on (IAM's resources for it), or None when the emulator does not know
    them. ``param`` reads a request parameter by its API name."""
    if service == "ec2" and api in SECURITY_GROUP_APIS:
        group = param("GroupId")
        return [f"arn:{partition}:ec2:{region}:{account}:security-group/{group}"] if group else None
    if service == "ec2" and api in ("CreateTags", "DeleteTags"):
        arns = [_ec2_arn(str(r), partition, region, account) for r in param("Resources") or ()]
        return None if not arns or None in arns else [a for a in arns if a]
    if service == "securityhub" and api in SECURITYHUB_HUB_APIS:
        return [f"arn:{partition}:securityhub:{region}:{account}:hub/default"]
    return None


def request_context(service: str, api: str, param: Callable[[str], Any], region: str) -> dict[str, str]:
    """The condition keys the emulator knows of a request."""
    context = {"aws:RequestedRegion": region}
    if service == "iam" and api == "CreateServiceLinkedRole" and param("AWSServiceName"):
        context["iam:AWSServiceName"] = str(param("AWSServiceName"))
    return context


def _member_role(arn: str) -> tuple[str, str, str] | None:
    """``(partition, account, operation-readonly)`` for ``arn:aws:sts::1:assumed-role/operation-readonly/s``."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or not parts[5].startswith("assumed-role/"):
        return None
    return parts[1], parts[4], parts[5].split("/")[1]


def refusal(response: Any) -> tuple[str, int, str] | None:
    """AWS's error for this request, or None when the caller's policy allows it."""
    policies = member_policies()
    if not policies:
        return None
    from moto.sts.models import sts_backends

    try:
        _user, arn, _account = sts_backends[response.current_account]["aws"].get_caller_identity(
            response.get_access_key(), response.region
        )
    except Exception:  # no caller to speak of (unsigned request): moto as it is
        return None
    member = _member_role(str(arn))
    if member is None or member[2] not in policies:
        return None
    partition, account, role = member
    service = str(response.boto3_service_name)
    api = response._get_action()
    action = iam_action(service, api, str(getattr(response, "method", "POST")))
    region = str(response.region)
    resources = request_resources(service, api, response._get_param, partition, region, account)
    context = request_context(service, api, response._get_param, region)
    refused = allowed(policies[role], action, resources, context, partition, account)
    return None if refused is None else denial(service, str(arn), action, refused)


def wrap_call_action(original: Any) -> Any:
    """Wrap moto's ``BaseResponse.call_action``: a member role's call needs its policy's allowance."""
    from orgops.emulator import refusals

    return refusals.refusing(original, refusal)
