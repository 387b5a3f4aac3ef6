"""Who may assume which role: the trust-policy check moto leaves out, as pure functions.

AWS refuses ``sts:AssumeRole`` when the role does not exist, when the target account is
suspended, or when no ``Allow`` statement of the role's trust policy names the caller (its role,
its user, its account root, or ``*``). moto grants every AssumeRole; the emulator applies these
rules so that a missing or mis-trusted member role fails exactly as it would in AWS.
Conditions and identity policies on the caller's side are not evaluated (see the README).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# arn:aws:sts::123456789012:assumed-role/RoleName/session, arn:aws:iam::123456789012:user/path/name
_CALLER = re.compile(
    r"^arn:(?P<partition>[\w-]+):(?P<service>sts|iam)::(?P<account>\d{12}):(?P<kind>[\w-]+)/(?P<rest>.+)$"
)
_ROLE = re.compile(r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):role/(?:.*/)?(?P<name>[^/]+)$")
ASSUME_ACTIONS = frozenset({"sts:assumerole", "sts:*", "*"})


@dataclass(frozen=True)
class Caller:
    """The principal making a request, as STS ``GetCallerIdentity`` describes it."""

    arn: str
    account: str
    role_name: str | None = None  # set for an assumed-role session
    user_name: str | None = None


def parse_caller(arn: str, account: str) -> Caller:
    m = _CALLER.match(arn)
    if not m:
        return Caller(arn=arn, account=account)
    if m["kind"] == "assumed-role":
        return Caller(arn=arn, account=m["account"], role_name=m["rest"].split("/")[0])
    if m["kind"] == "user":
        return Caller(arn=arn, account=m["account"], user_name=m["rest"].rsplit("/", 1)[-1])
    return Caller(arn=arn, account=m["account"])


def role_account(role_arn: str) -> str | None:
    m = _ROLE.match(role_arn)
    return m["account"] if m else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _principal_names_caller(principal: str, caller: Caller) -> bool:
    if principal == "*" or principal in (caller.account, f"arn:aws:iam::{caller.account}:root"):
        return True
    m = _ROLE.match(principal)
    if m and caller.role_name is not None:
        return m["account"] == caller.account and m["name"] == caller.role_name
    if caller.user_name is not None and principal.startswith(f"arn:aws:iam::{caller.account}:user/"):
        return principal.rsplit("/", 1)[-1] == caller.user_name
    return False


def _aws_principals(statement: Mapping[str, Any]) -> Iterable[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, Mapping):
        return [str(p) for p in _as_list(principal.get("AWS"))]
    return []


def trusts(policy: str | Mapping[str, Any], caller: Caller) -> bool:
    """Whether a trust policy has an Allow statement for ``sts:AssumeRole`` naming ``caller``."""
    doc = json.loads(policy) if isinstance(policy, str) else policy
    for statement in _as_list(doc.get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        actions = {str(a).lower() for a in _as_list(statement.get("Action"))}
        if not actions & ASSUME_ACTIONS:
            continue
        if any(_principal_names_caller(p, caller) for p in _aws_principals(statement)):
            return True
    return False


def denial_message(caller: Caller, role_arn: str) -> str:
    """The message AWS gives when AssumeRole is refused."""
    return f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"


def trust_policy(*principals: str) -> str:
    """A trust policy letting ``principals`` (role ARNs or account roots) assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": list(principals) if len(principals) > 1 else principals[0]},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def service_trust_policy(service: str) -> str:
    """A trust policy for an AWS service principal (``lambda.amazonaws.com``, ``states.amazonaws.com``)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )
