"""Every error code, status and exit code orgops can show a user, collected from the source.

Read with ``ast`` (nothing is imported, so a synthetic source can be checked the same way):

- every class attribute ``code = "..."`` (``orgops.errors``, the CLI's, the emulator's), and the
  class's own name when it differs: Lambda reports an exception by its class name, so an execution
  that failed in the fanout shows ``AssumeRoleFailed`` where a target's row shows ``AccessDenied``;
- every keyword argument ``code="..."`` (a target's status built with a literal code), and the
  default of a code read from a response (``err.get("Code", "ClientError")``,
  ``s.get("error_code") or "Unknown"``);
- the reason of every ``skipped_items(..., "Reason", ...)`` call (the fanout's SKIPPED codes);
- module constants named ``*_CODE`` (``MAX_ERRORS_CODE``), and the keys of dicts named
  ``*_MESSAGES`` (``report.RECONCILE_MESSAGES``: NotRecorded, NotRun, MapFailed);
- ``orgops.store``'s statuses: module constants whose value is their own name (``FAILED = "FAILED"``);
- the members of ``ExitCode`` (``orgops.cli.common``), as ``Exit code N``;
- from the state machine template: every error a ``Retry`` names (what a target records once the
  retries are spent) and every constant a ``Pass`` state returns (``NOT_RECORDED``).

``AWS_ERRORS`` adds what AWS itself answers and no line of ours names.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lambda_src" / "orgops"
TEMPLATE = PACKAGE / "templates" / "operation.asl.json.tftpl"
STORE = PACKAGE / "store.py"
TARGETS = PACKAGE / "targets.py"

# Errors users meet that come from AWS, not from a line of ours (each has an entry too).
AWS_ERRORS = (
    "AccessDenied",  # AssumeRole refused: a missing member role, a broken trust, a suspended account
    "AccessDeniedException",  # a member role without an operation's action (JSON services)
    "UnauthorizedOperation",  # the same for EC2
    "OptInRequired",  # a service the account is not subscribed to
    "ThrottlingException",  # an operation's calls throttled beyond botocore's retries
    "RequestLimitExceeded",
    "TooManyRequestsException",  # Organizations, account:ListRegions, Lambda (as boto3 sees it)
    "ClientError",  # Lambda's errorType of a fanout or report that met an AWS error it does not handle
    "Unknown",  # errors.csv / MapError when the failure carried no code
    "States.DataLimitExceeded",
    "States.Timeout",
    "States.TaskFailed",
    "States.ExceedToleratedFailureThreshold",
    "States.ItemReaderFailed",
    "States.ResultWriterFailed",
    "InvalidDefinition",  # CreateStateMachine / UpdateStateMachine at terraform apply
    "ExecutionAlreadyExists",
    "StateMachineDoesNotExist",
    "ExecutionDoesNotExist",
    "OUTDATED",  # StackSet instance statuses
    "INOPERABLE",
)


def _str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


CODE_KEYS = {"Code", "Error", "ErrorCode", "error_code", "errorType"}


def _is_code_get(node: ast.AST) -> bool:
    """``something.get("error_code")`` (or another key a code is read from)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and bool(node.args)
        and _str(node.args[0]) in CODE_KEYS
    )


CODE_LIKE = re.compile(r"[A-Z][A-Za-z0-9]*(\.[A-Z][A-Za-z0-9]*)*")


def codes_in_source(source: str, statuses: bool = False, defaults: bool = True) -> set[str]:
    """The codes one Python module can emit (``statuses``: it is orgops.store, whose status
    constants count too; ``defaults``: count the codes it records when a failure carries none;
    an operation's defaults go into its rows' ``error`` column, not into a target's status)."""
    tree = ast.parse(source)
    constants = {
        t.id: _str(n.value)
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name) and _str(n.value) is not None
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (
                    isinstance(item, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "code" for t in item.targets)
                    and (value := _str(item.value))
                ):
                    found.add(value)
                    if node.name != value and node.name != "UsageError":
                        found.add(node.name)
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            # x.get("error_code") or "Unknown": the code recorded when a failure carries none
            value = _str(node.values[-1])
            if defaults and _is_code_get(node.values[0]) and value and CODE_LIKE.fullmatch(value):
                found.add(value)
        elif isinstance(node, ast.Call):
            default = _str(node.args[1]) if _is_code_get(node) and len(node.args) > 1 else None
            if defaults and default and CODE_LIKE.fullmatch(default):
                found.add(default)  # err.get("Code", "ClientError")
            for kw in node.keywords:
                if kw.arg == "code" and (value := _str(kw.value)):
                    found.add(value)
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "skipped_items":
                reason = (
                    node.args[2]
                    if len(node.args) > 2
                    else next((kw.value for kw in node.keywords if kw.arg == "reason"), None)
                )
                if value := _str(reason):
                    found.add(value)
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if not isinstance(target, ast.Name):
                continue
            value = _str(node.value)
            if target.id.endswith("_CODE") and value:
                found.add(value)
            if statuses and value == target.id and value.isupper():
                found.add(value)
            if target.id.endswith("_MESSAGES") and isinstance(node.value, ast.Dict):
                for key in node.value.keys:
                    if isinstance(key, ast.Name) and constants.get(key.id):
                        found.add(str(constants[key.id]))
                    elif value := _str(key):
                        found.add(value)
    return found


def exit_codes(source: str) -> list[tuple[str, int]]:
    """``(name, value)`` of each member of the module's ``ExitCode`` enum."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.name == "ExitCode":
            return [
                (t.id, item.value.value)
                for item in node.body
                if isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant)
                for t in item.targets
                if isinstance(t, ast.Name)
            ]
    return []


def template_codes(text: str) -> set[str]:
    """Errors the template's Retry lists name, and constants its Pass states return."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for retry in node.get("Retry", []):
                found.update(e for e in retry.get("ErrorEquals", []) if e != "States.ALL")
            if node.get("Type") == "Pass" and isinstance(node.get("Result"), str):
                found.add(node["Result"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    # Placeholders fill whole values: make them JSON to parse the structure.
    walk(json.loads(re.sub(r"\$\{[a-z_]+\}", "0", text)))
    return found


def python_files() -> Iterable[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def all_codes() -> set[str]:
    """Every code a user can see: the source's, the template's and AWS's."""
    found = set(AWS_ERRORS) | template_codes(TEMPLATE.read_text(encoding="utf-8"))
    for path in python_files():
        operation = PACKAGE / "operations" in path.parents
        found |= codes_in_source(path.read_text(encoding="utf-8"), statuses=path == STORE, defaults=not operation)
    return found


def all_exit_codes() -> list[tuple[str, int]]:
    return exit_codes((PACKAGE / "cli" / "common.py").read_text(encoding="utf-8"))


def input_keys() -> tuple[str, ...]:
    """``targets.INPUT_KEYS``: the execution input's top-level keys (each a field path root)."""
    for node in ast.parse(TARGETS.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "INPUT_KEYS" for t in node.targets)
            and isinstance(node.value, ast.Tuple)
        ):
            return tuple(str(_str(e)) for e in node.value.elts)
    raise AssertionError("targets.INPUT_KEYS not found")
