"""The operation contract: what every operation declares, and how its Params are validated.

An operation is one module under ``orgops.operations`` with a module-level ``OPERATION``:

    OPERATION = Operation(
        name="unused-ebs-volumes",
        description="EBS volumes in state available (attached to nothing).",
        role="readonly",
        columns=("volume_id", "size_gib", ...),
        run=run,                       # (session, target, params, dry_run) -> Iterable[row]
    )

``run`` gets a ``boto3.Session`` already in the target account (the operation's role), the
``Target`` (account id, name, region), the validated ``Params`` with defaults filled in, and
``dry_run``. It returns rows: dicts whose keys are exactly ``columns``.

Permissions: ``actions`` (and ``extra_actions``) are the IAM actions its member role is allowed.
Each is allowed on ``"*"`` unless ``resources`` scopes it to ARN patterns, written with the
Service Authorization Reference's placeholders ``${Partition}`` and ``${Account}`` (the member
role's own partition and account, put in by Terraform and CloudFormation):

    resources={"ec2:RevokeSecurityGroupIngress": ("arn:${Partition}:ec2:*:${Account}:security-group/*",)},

An action AWS authorises on "*" only (most ``List*``/``Describe*``, ``tag:TagResources``) stays
unscoped. ``conditions`` adds an IAM condition to an action's grant, e.g.
``{"iam:CreateServiceLinkedRole": {"StringEquals": {"iam:AWSServiceName": ("inspector2.amazonaws.com",)}}}``.

Roles and scopes:

- ``role``: ``readonly`` or ``admin`` (the member-account role the worker assumes), or
  ``organization`` (the org-reader role in the management account, for operations that read
  the organization itself).
- ``scope``: ``regional`` (one target per account and region), ``global`` (one target per
  account, in ``home_region``: CloudFront, IAM, account facts), ``organization`` (one target in
  all: the management account, in ``home_region``).

A ``mutating`` operation changes nothing unless ``dry_run`` is false; its columns include
``CHANGE_COLUMNS`` and a change that fails is reported (``applied`` false, ``error`` set), never
raised, so the rows always record what was already applied.

Identity: ``key`` names the columns that identify a finding (with the target's account and region):
``("volume_id",)``. The report compares a run with the previous one by it (new, resolved, changed
findings) and a plan names its changes by it. A mutating operation must declare it, and ``before``:
the columns whose planned values must still hold when the plan is applied (``("tags_before",)``);
a change whose "before" changed since the plan is skipped as stale. Its report gets one more column,
``plan_status`` (``PLAN_COLUMN``): empty in a run without a plan, else ``planned``, ``stale`` or
``not-planned``. Every change it makes goes through ``orgops.operations.common.attempt`` with the
row it reports (``finding=``), which is where a plan admits or refuses it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from orgops.errors import InvalidInput
from orgops.text import field_path, kind, show

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target

Role = Literal["readonly", "admin", "organization"]
Scope = Literal["regional", "global", "organization"]
ROLES: tuple[str, ...] = ("readonly", "admin", "organization")
SCOPES: tuple[str, ...] = ("regional", "global", "organization")
ParamKind = Literal["string", "integer", "boolean", "string_list", "integer_list", "string_map"]
Row = dict[str, Any]
RunFunction = Callable[["boto3.Session", "Target", Mapping[str, Any], bool], Iterable[Row]]

IAM_ACTION = re.compile(r"[a-z0-9-]+:[A-Za-z0-9]+")
# The placeholders of a scoped resource (and of a condition's values): the partition and the
# account of the member role, as the Service Authorization Reference writes them in its ARN
# templates. Terraform substitutes its partition and account (the management account's roles);
# the StackSet's template says ${AWS::Partition} and ${AWS::AccountId} (Fn::Sub).
PARTITION = "${Partition}"
ACCOUNT = "${Account}"
PLACEHOLDERS = (PARTITION, ACCOUNT)
# arn:${Partition}:service:region:account:resource, the region a name, "*" or empty (global
# services), the account ${Account} (the member role's own), "aws" (AWS-owned) or empty (S3,
# API Gateway, AMIs and snapshots have none in their ARNs). Never another account, never "*".
RESOURCE_ARN = re.compile(
    r"arn:\$\{Partition\}:(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9*-]*):(?P<account>\$\{Account\}|aws|):(?P<resource>\S+)"
)
CONDITION_OPERATORS = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "ArnEquals",
        "ArnNotEquals",
        "ArnLike",
        "ArnNotLike",
        "Bool",
        "Null",
    }
)
CONDITION_KEY = re.compile(r"[a-z0-9-]+:[A-Za-z0-9_./:-]+")
# Columns every report starts with, before the operation's own.
TARGET_COLUMNS = ("account_id", "account_name", "region")
# Columns every operation that changes something reports (see ``Operation.mutating``).
CHANGE_COLUMNS = ("action", "applied", "error")
# The column the worker adds to a mutating operation's rows: what a plan being applied made of the
# change ("" without a plan; PLANNED, STALE or NOT_PLANNED, orgops.plans).
PLAN_COLUMN = "plan_status"


@dataclass(frozen=True)
class Param:
    """One entry of an operation's ``Params``."""

    name: str
    kind: ParamKind
    description: str
    default: Any = None
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None  # for strings and the items of string lists / map values
    min_items: int = 1  # lists and maps: an empty one is an error unless this is 0
    choices: tuple[str, ...] | None = None  # strings and string-list items: the allowed values
    key_pattern: str | None = None  # string maps: what every key must match

    def validate(self, value: Any) -> Any:
        where = f"Params.{self.name}"
        check = _CHECKS[self.kind]
        return check(self, value, where)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.kind, "description": self.description}
        if self.required:
            out["required"] = True
        else:
            out["default"] = self.default
        for key, value in (
            ("minimum", self.minimum),
            ("maximum", self.maximum),
            ("pattern", self.pattern),
            ("choices", list(self.choices) if self.choices else None),
            ("key_pattern", self.key_pattern),
        ):
            if value is not None:
                out[key] = value
        return out


def _kind_error(where: str, expected: str, value: Any) -> InvalidInput:
    return InvalidInput(where, f"must be {expected}, got {kind(value)} {show(value)}")


def _check_string(p: Param, value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _kind_error(where, "a non-empty string", value)
    if p.choices and value not in p.choices:
        raise InvalidInput(where, f"{show(value)} is not one of {', '.join(p.choices)}")
    if p.pattern and not re.fullmatch(p.pattern, value):
        raise InvalidInput(where, f"{show(value)} does not match {p.pattern}")
    return value


def _check_integer(p: Param, value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _kind_error(where, "an integer", value)
    if p.minimum is not None and value < p.minimum:
        raise InvalidInput(where, f"{value} is below the minimum {p.minimum}")
    if p.maximum is not None and value > p.maximum:
        raise InvalidInput(where, f"{value} is above the maximum {p.maximum}")
    return value


def _check_boolean(p: Param, value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _kind_error(where, "true or false", value)
    return value


def _check_list(p: Param, value: Any, where: str, item: Callable[..., Any]) -> list[Any]:
    if not isinstance(value, list):
        raise _kind_error(where, "a list", value)
    if len(value) < p.min_items:
        raise InvalidInput(where, f"is empty; give at least {p.min_items} item(s) or omit it")
    # Duplicates are dropped (first one kept): a key or port listed twice means it once.
    return list(dict.fromkeys(item(p, v, f"{where}[{i}]") for i, v in enumerate(value)))


def _check_string_map(p: Param, value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _kind_error(where, "an object", value)
    if len(value) < p.min_items:
        raise InvalidInput(where, f"is empty; give at least {p.min_items} entry(ies) or omit it")
    out: dict[str, str] = {}
    for key, v in value.items():
        if p.key_pattern and not re.fullmatch(p.key_pattern, key):
            raise InvalidInput(field_path(where, key), f"the key {show(key)} does not match {p.key_pattern}")
        if not isinstance(v, str):
            raise _kind_error(field_path(where, key), "a string", v)
        if p.pattern and not re.fullmatch(p.pattern, v):
            raise InvalidInput(field_path(where, key), f"{show(v)} does not match {p.pattern}")
        out[key] = v
    return out


_CHECKS: dict[str, Callable[[Param, Any, str], Any]] = {
    "string": _check_string,
    "integer": _check_integer,
    "boolean": _check_boolean,
    "string_list": lambda p, v, w: _check_list(p, v, w, _check_string),
    "integer_list": lambda p, v, w: _check_list(p, v, w, _check_integer),
    "string_map": _check_string_map,
}


@dataclass(frozen=True)
class Operation:
    name: str
    description: str
    role: Role
    columns: tuple[str, ...]
    run: RunFunction
    params: tuple[Param, ...] = ()
    scope: Scope = "regional"
    # Where a global operation's single target per account runs (CloudFront, IAM: us-east-1).
    home_region: str = "us-east-1"
    # True when the operation can change resources: it honours DryRun and reports CHANGE_COLUMNS.
    mutating: bool = False
    # Checks that span several Params (after each one is valid); raises ``InvalidInput``.
    check: Callable[[Mapping[str, Any]], None] | None = None
    # The IAM actions of the AWS calls ``run`` makes (tests/operations/test_declared_actions.py
    # proves each test-recorded call maps to one of them, and each is called by some test).
    actions: tuple[str, ...] = ()
    # Actions AWS checks behind a call without it being a call of its own (a service-linked role
    # created on first use, the resource's own tagging action behind tag:TagResources): each with
    # the reason in a comment where it is declared.
    extra_actions: tuple[str, ...] = ()
    # Actions (of the two above) allowed only on these ARN patterns instead of "*": every action
    # whose resource types the IAM database lists (the Service Authorization Reference), written
    # with ${Partition} and ${Account}; tests/terraform/test_iam_database.py checks each pattern
    # is of its action's resource types.
    resources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Actions allowed only under an IAM condition: action -> {operator: {key: values}}.
    conditions: Mapping[str, Mapping[str, Mapping[str, tuple[str, ...]]]] = field(default_factory=dict)
    # The data set's type of each of ``columns`` that is not text (orgops.dataset.TYPES: bigint,
    # double, boolean, timestamp, date); every other column is a string. The Athena tables are
    # generated from these (the manifest), and the report types the cells it stores with them.
    column_types: Mapping[str, str] = field(default_factory=dict)
    # The columns that identify a finding (with the target's account and region): runs are compared
    # by them (new, resolved, changed) and a plan names its changes by them. Empty: the whole row.
    key: tuple[str, ...] = ()
    # Mutating operations: the columns whose planned values must still hold when a plan is applied.
    before: tuple[str, ...] = ()
    # What one row is, in the plural, for messages: "+12 new unused EBS volumes, 3 resolved".
    noun: str = "findings"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"{self.name}: role must be one of {ROLES}, got {self.role!r}")
        if self.scope not in SCOPES:
            raise ValueError(f"{self.name}: scope must be one of {SCOPES}, got {self.scope!r}")
        if (self.role == "organization") != (self.scope == "organization"):
            raise ValueError(f"{self.name}: role organization goes with scope organization, and only with it")
        if self.mutating and not set(CHANGE_COLUMNS) <= set(self.columns):
            raise ValueError(f"{self.name}: a mutating operation reports the columns {', '.join(CHANGE_COLUMNS)}")
        bad = [a for a in (*self.actions, *self.extra_actions) if not IAM_ACTION.fullmatch(a)]
        if bad:
            raise ValueError(f"{self.name}: actions must be IAM actions such as ec2:DescribeVolumes, got {bad}")
        if len(set(self.columns)) != len(self.columns) or set(self.columns) & set(TARGET_COLUMNS):
            raise ValueError(f"{self.name}: columns must be unique and not repeat {', '.join(TARGET_COLUMNS)}")
        self._check_identity()
        object.__setattr__(self, "resources", MappingProxyType(self._checked_resources()))
        object.__setattr__(self, "conditions", MappingProxyType(self._checked_conditions()))

    def _check_identity(self) -> None:
        for what in ("key", "before"):
            names = getattr(self, what)
            if isinstance(names, str) or not isinstance(names, tuple):
                raise ValueError(f"{self.name}: {what} must be a tuple of column names, got {names!r}")
            unknown = [c for c in names if c not in self.columns]
            if unknown or len(set(names)) != len(names):
                raise ValueError(
                    f"{self.name}: {what} must name distinct columns of the operation "
                    f"({', '.join(self.columns)}), got {names!r}"
                )
        if self.mutating and not self.key:
            raise ValueError(
                f"{self.name}: a mutating operation declares key, the columns that identify a change "
                '(a plan names its changes by them), e.g. key=("resource_arn", "action")'
            )
        if set(self.key) & set(self.before) or set(self.before) & {"applied", "error"}:
            raise ValueError(f"{self.name}: before names columns that are neither key columns nor applied or error")
        if not self.mutating and self.before:
            raise ValueError(f"{self.name}: only a mutating operation declares before (it is what a plan pins)")
        if not isinstance(self.noun, str) or not self.noun.strip():
            raise ValueError(f"{self.name}: noun must be a non-empty string such as 'unused EBS volumes'")

    def _declared(self, action: Any, what: str) -> str:
        declared = {*self.actions, *self.extra_actions}
        if action not in declared:
            raise ValueError(
                f"{self.name}: {what} names {action!r}, which is not one of its actions or extra_actions "
                f"({', '.join(sorted(declared)) or 'none'}): declare it, or take it out of {what}"
            )
        return str(action)

    def _checked_resources(self) -> dict[str, tuple[str, ...]]:
        if not isinstance(self.resources, Mapping):
            raise ValueError(f"{self.name}: resources must map actions to tuples of ARN patterns")
        out: dict[str, tuple[str, ...]] = {}
        for action, patterns in sorted(self.resources.items()):
            self._declared(action, "resources")
            if isinstance(patterns, str) or not isinstance(patterns, (tuple, list)) or not patterns:
                raise ValueError(
                    f"{self.name}: resources of {action} must be a non-empty tuple of ARN patterns, got {patterns!r}"
                )
            for pattern in patterns:
                problem = resource_pattern_problem(pattern)
                if problem:
                    raise ValueError(f"{self.name}: resources of {action}: {problem}")
            out[action] = tuple(sorted(set(patterns)))
        return out

    def _checked_conditions(self) -> dict[str, dict[str, dict[str, tuple[str, ...]]]]:
        if not isinstance(self.conditions, Mapping):
            raise ValueError(f"{self.name}: conditions must map actions to {{operator: {{key: values}}}}")
        out: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {}
        for action, condition in sorted(self.conditions.items()):
            self._declared(action, "conditions")
            where = f"{self.name}: conditions of {action}"
            if not isinstance(condition, Mapping) or not condition:
                raise ValueError(f"{where} must be {{operator: {{key: values}}}}, got {condition!r}")
            checked: dict[str, dict[str, tuple[str, ...]]] = {}
            for operator, keys in sorted(condition.items()):
                if operator not in CONDITION_OPERATORS:
                    raise ValueError(f"{where}: {operator!r} is not one of {', '.join(sorted(CONDITION_OPERATORS))}")
                if not isinstance(keys, Mapping) or not keys:
                    raise ValueError(f"{where}: {operator} must map condition keys to values, got {keys!r}")
                checked[operator] = {}
                for key, values in sorted(keys.items()):
                    if not isinstance(key, str) or not CONDITION_KEY.fullmatch(key):
                        raise ValueError(f"{where}: {key!r} is not a condition key such as iam:AWSServiceName")
                    if isinstance(values, str) or not isinstance(values, (tuple, list)) or not values:
                        raise ValueError(f"{where}: {key} must have a non-empty tuple of values, got {values!r}")
                    for value in values:
                        if not isinstance(value, str) or not value or _stray_placeholder(value):
                            raise ValueError(
                                f"{where}: {key}: {value!r} must be a non-empty string whose only placeholders "
                                f"are {' and '.join(PLACEHOLDERS)}"
                            )
                    checked[operator][key] = tuple(sorted(set(values)))
            out[action] = checked
        return out

    def grants(self) -> list[dict[str, Any]]:
        """Each declared action with its resources (``["*"]`` unless scoped) and condition."""
        return [
            {
                "action": action,
                "resources": list(self.resources.get(action, ("*",))),
                "condition": _condition_json(self.conditions.get(action, {})),
            }
            for action in sorted({*self.actions, *self.extra_actions})
        ]

    @property
    def report_columns(self) -> tuple[str, ...]:
        return TARGET_COLUMNS + self.columns + ((PLAN_COLUMN,) if self.mutating else ())

    @property
    def identity(self) -> tuple[str, ...]:
        """The report columns that identify a finding: the target's account and region (not its
        name, which can change), then ``key`` (every column when the operation declares no key)."""
        return ("account_id", "region") + (self.key or self.columns)

    def validate_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Params with defaults filled in; unknown or malformed entries raise ``InvalidInput``."""
        known = {p.name: p for p in self.params}
        for key in raw:
            if key not in known:
                allowed = ", ".join(known) or "none"
                raise InvalidInput(
                    field_path("Params", key), f"unknown parameter for {self.name}; its parameters: {allowed}"
                )
        out: dict[str, Any] = {}
        for p in self.params:
            if raw.get(p.name) is not None:  # null means omitted, as everywhere in the input
                out[p.name] = p.validate(raw[p.name])
            elif p.required:
                raise InvalidInput(f"Params.{p.name}", f"is required by {self.name}: {p.description}")
            else:
                out[p.name] = copy.deepcopy(p.default)
        if self.check is not None:
            self.check(out)
        return out

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "role": self.role,
            "scope": self.scope,
            "mutating": self.mutating,
            "columns": list(self.report_columns),
            "key": list(self.key),
            "before": list(self.before),
            "actions": sorted({*self.actions, *self.extra_actions}),
            "resources": {a: list(p) for a, p in self.resources.items()},
            "conditions": {a: _condition_json(c) for a, c in self.conditions.items()},
            "params": [p.describe() for p in self.params],
        }


def _stray_placeholder(text: str) -> bool:
    """Whether ``text`` has a ``${...}`` other than the two placeholders (CloudFormation's Fn::Sub
    would read it as a reference, IAM as a policy variable)."""
    for placeholder in PLACEHOLDERS:
        text = text.replace(placeholder, "")
    return "${" in text


def resource_pattern_problem(pattern: Any) -> str | None:
    """Why ``pattern`` is not a scoped resource's ARN pattern, or None."""
    example = "arn:${Partition}:ec2:*:${Account}:security-group/*"
    if not isinstance(pattern, str):
        return f"{pattern!r} is not a string"
    if pattern == "*":
        return '"*" is what an unscoped action gets: leave the action out of resources'
    if not RESOURCE_ARN.fullmatch(pattern):
        return (
            f"{pattern!r} is not an ARN pattern such as {example} (arn:${{Partition}}:service:region:account:resource, "
            "the account ${Account}, aws or empty)"
        )
    if _stray_placeholder(pattern):
        return f"{pattern!r} has a placeholder other than {' and '.join(PLACEHOLDERS)}"
    return None


def _condition_json(condition: Mapping[str, Mapping[str, Iterable[str]]]) -> dict[str, dict[str, list[str]]]:
    return {op: {key: list(values) for key, values in keys.items()} for op, keys in condition.items()}


def policy_statements(operations: Iterable[Operation]) -> list[dict[str, Any]]:
    """The statements of a member role that serves ``operations``, as modules/operation-manifest
    builds them from the manifest: each action's resources are the union over the operations (an
    unscoped grant, "*" without condition, makes the others redundant: they are dropped), and the
    actions with the same resources and condition share one statement. The unscoped statement
    comes first, the others in the order of their resources and condition (as JSON). Resources and
    condition values keep their placeholders."""
    by_grant: dict[tuple[str, str], set[str]] = {}
    for op in operations:
        for grant in op.grants():
            key = (grant["action"], json.dumps(grant["condition"], sort_keys=True, separators=(",", ":")))
            by_grant.setdefault(key, set()).update(grant["resources"])
    unscoped = {action for (action, condition), resources in by_grant.items() if condition == "{}" and "*" in resources}
    groups: dict[tuple[str, str], list[str]] = {}
    for (action, condition), resources in by_grant.items():
        if action in unscoped and not (condition == "{}" and "*" in resources):
            continue
        scope = ["*"] if "*" in resources else sorted(resources)
        groups.setdefault((json.dumps(scope, separators=(",", ":")), condition), []).append(action)

    def order(key: tuple[str, str]) -> tuple[bool, str, str]:
        return (key != ('["*"]', "{}"), *key)

    return [
        {"actions": sorted(groups[key]), "resources": json.loads(key[0]), "condition": json.loads(key[1])}
        for key in sorted(groups, key=order)
    ]
