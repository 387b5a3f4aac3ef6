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
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
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
# Columns every report starts with, before the operation's own.
TARGET_COLUMNS = ("account_id", "account_name", "region")
# Columns every operation that changes something reports (see ``Operation.mutating``).
CHANGE_COLUMNS = ("action", "applied", "error")


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

    @property
    def report_columns(self) -> tuple[str, ...]:
        return TARGET_COLUMNS + self.columns

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
            "actions": sorted({*self.actions, *self.extra_actions}),
            "params": [p.describe() for p in self.params],
        }
