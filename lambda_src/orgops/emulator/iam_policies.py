"""The member roles' identity policies, enforced as AWS does for the calls the operations make.

moto evaluates no IAM policy: a member role could call anything. Terraform gives each member role
exactly the deployed operations' declared actions (``modules/operation-manifest``); the emulator
gives the emulated member roles the same (``derived``) and refuses, for a caller that is one of
them, every call whose IAM action the role's policy does not allow, with AWS's error: EC2
``UnauthorizedOperation``, JSON services ``AccessDeniedException``, query and REST-XML services
``AccessDenied`` (403). Only the member roles are checked (OrganizationAccountAccessRole, the
stack's own roles and the default credentials keep moto's allow-everything). Resources are not
evaluated: every derived policy grants its actions on ``"*"``.
"""

from __future__ import annotations

import fnmatch
import functools
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import botocore.session

from orgops import operations

_lock = threading.Lock()
_policies: dict[str, frozenset[str]] = {}  # member role name -> allowed IAM actions (lower case)

# IAM prefixes that are neither the signing name nor the endpoint prefix of the botocore service.
IAM_PREFIXES = {"resourcegroupstaggingapi": "tag", "cloudwatch": "cloudwatch"}
# API Gateway's management APIs are authorised per HTTP verb (apigateway:GET, ...).
HTTP_VERB_SERVICES = frozenset({"apigateway", "apigatewayv2"})
EC2_DENIAL = ("UnauthorizedOperation", 403)
JSON_DENIAL = ("AccessDeniedException", 403)
QUERY_DENIAL = ("AccessDenied", 403)
DENIAL_CODES = (EC2_DENIAL[0], JSON_DENIAL[0], QUERY_DENIAL[0])


def derived(deployed: Iterable[str], roles: Mapping[str, str]) -> dict[str, list[str]]:
    """Each member role's actions: the union of the deployed operations of its kind (as Terraform)."""
    found: dict[str, set[str]] = {name: set() for name in roles.values()}
    for name in deployed:
        op = operations.get(name)
        if op.role in roles:
            found[roles[op.role]].update((*op.actions, *op.extra_actions))
    return {role: sorted(actions) for role, actions in found.items()}


def set_member_policies(policies: Mapping[str, Iterable[str]]) -> None:
    with _lock:
        _policies.clear()
        _policies.update({role: frozenset(a.lower() for a in actions) for role, actions in policies.items()})


def member_policies() -> dict[str, frozenset[str]]:
    with _lock:
        return dict(_policies)


def revoke(role: str, action: str) -> None:
    """Take ``action`` out of ``role``'s policy (as a narrowed policy would): for tests."""
    with _lock:
        _policies[role] = frozenset(a for a in _policies.get(role, frozenset()) if a != action.lower())


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


def denial(service: str, caller_arn: str, action: str) -> tuple[str, int, str]:
    """AWS's answer when no identity-based policy allows ``action``."""
    message = (
        f"User: {caller_arn} is not authorized to perform: {action} "
        f"because no identity-based policy allows the {action} action"
    )
    if service == "ec2":
        code, status = EC2_DENIAL
        return code, status, f"You are not authorized to perform this operation. {message}"
    protocol = str(_model(service).metadata.get("protocol", ""))
    code, status = JSON_DENIAL if protocol in ("json", "rest-json") else QUERY_DENIAL
    return code, status, message


def _member_role(arn: str) -> str | None:
    """``operation-readonly`` for ``arn:aws:sts::1:assumed-role/operation-readonly/session``."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or not parts[5].startswith("assumed-role/"):
        return None
    return parts[5].split("/")[1]


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
    role = _member_role(str(arn))
    if role is None or role not in policies:
        return None
    service = str(response.boto3_service_name)
    action = iam_action(service, response._get_action(), str(getattr(response, "method", "POST")))
    if allows(policies[role], action):
        return None
    return denial(service, str(arn), action)


def wrap_call_action(original: Any) -> Any:
    """Wrap moto's ``BaseResponse.call_action``: a member role's call needs its policy's allowance."""
    from orgops.emulator import refusals

    return refusals.refusing(original, refusal)
