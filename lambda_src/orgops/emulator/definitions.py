"""State machines as AWS takes them: definitions checked before moto sees them, integer
``ToleratedFailurePercentage`` read as AWS reads it, and an unnamed execution named as AWS names it.

moto's CreateStateMachine only parses a definition: it accepted our template with duplicate state
names, which AWS refuses with ``InvalidDefinition`` (``DUPLICATE_STATE_NAME``). The emulator runs
two checks on every CreateStateMachine and UpdateStateMachine and answers AWS's error:

- ``structural_errors``: the rules AWS's static analysis applies, with AWS's codes and message
  shape (``Invalid State Machine Definition: 'CODE: detail at /path, ...'``): valid JSON, StartAt
  and States present, state names unique in the whole machine (ASL: "state names MUST be unique
  within the scope of the whole state machine") and at most 80 characters, every transition
  target present in its scope, every state reachable.
- ``NodeValidators``: AWS's ASL language service (``amazon-states-language-service``, npm) and
  ``asl-validator``, pinned in ``tools/asl/package-lock.json``, when their folder is installed
  (``ORGOPS_NODE_TOOLS``, set by ``make``). ``make test`` always has them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

NODE_TOOLS_ENV = "ORGOPS_NODE_TOOLS"
MAX_STATE_NAME = 80  # AWS: state names are 1-80 characters (CreateStateMachine's static analysis)
SCRIPT = "asl_validators.js"


class InvalidDefinitionError(ValueError):
    """A definition AWS would refuse; ``str()`` is AWS's ``InvalidDefinition`` message."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(aws_message(errors))


def aws_message(errors: list[str]) -> str:
    """AWS's shape: ``Invalid State Machine Definition: 'CODE: detail at /path, CODE: ...'``."""
    return "Invalid State Machine Definition: '" + ", ".join(errors) + "'"


# -- the rules AWS's static analysis applies -------------------------------------------------------
def _scopes(machine: Mapping[str, Any], where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every state list: the machine's, each Map's ItemProcessor/Iterator, each Parallel branch."""
    yield where, machine
    states = machine.get("States")
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _scopes(state[key], f"{where}/States/{name}/{key}")
        for i, branch in enumerate(state.get("Branches") or []):
            if isinstance(branch, dict):
                yield from _scopes(branch, f"{where}/States/{name}/Branches[{i}]")


def _transitions(state: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for key in ("Next", "Default"):
        if key in state:
            yield key, state[key]
    for i, choice in enumerate(state.get("Choices") or []):
        if isinstance(choice, dict) and "Next" in choice:
            yield f"Choices[{i}]/Next", choice["Next"]
    for i, catcher in enumerate(state.get("Catch") or []):
        if isinstance(catcher, dict) and "Next" in catcher:
            yield f"Catch[{i}]/Next", catcher["Next"]


def _scope_errors(where: str, machine: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    for field in ("StartAt", "States"):
        if field not in machine:
            errors.append(
                f"SCHEMA_VALIDATION_FAILED: The field '{field}' is required but was missing at {where or '/'}"
            )
    states = machine.get("States")
    if not isinstance(states, dict):
        return errors
    start = machine.get("StartAt")
    if "StartAt" in machine and start not in states:
        errors.append(f"MISSING_TRANSITION_TARGET: Missing 'StartAt' target: {start} at {where}/StartAt")
    edges: dict[str, list[str]] = {}
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        edges[name] = []
        for key, target in _transitions(state):
            if target in states:
                edges[name].append(target)
            else:
                errors.append(
                    f"MISSING_TRANSITION_TARGET: Missing '{key}' target: {target} at {where}/States/{name}/{key}"
                )
    seen: set[str] = set()
    todo = [start] if start in states else []
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(edges.get(name, []))
    if start in states:
        errors += [
            f'MISSING_TRANSITION_TARGET: State "{n}" is not reachable. at {where}/States/{n}'
            for n in states
            if n not in seen
        ]
    return errors


def structural_errors(definition: str) -> list[str]:
    """AWS's static-analysis errors for ``definition`` (empty when it would accept it)."""
    try:
        machine = json.loads(definition)
    except ValueError as exc:
        return [f"INVALID_JSON_DESCRIPTION: {exc}"]
    if not isinstance(machine, dict):
        return ["SCHEMA_VALIDATION_FAILED: the definition must be a JSON object at /"]
    errors: list[str] = []
    first_place: dict[str, str] = {}
    for where, scope in _scopes(machine, ""):
        errors += _scope_errors(where, scope)
        states = scope.get("States")
        for name in states if isinstance(states, dict) else ():
            place = f"{where}/States/{name}"
            if name in first_place:
                errors.append(f"DUPLICATE_STATE_NAME: Duplicate State name: {name} at {place}")
            else:
                first_place[name] = place
            if not 1 <= len(name) <= MAX_STATE_NAME:
                errors.append(
                    f"SCHEMA_VALIDATION_FAILED: State names must be 1 to {MAX_STATE_NAME} characters at {place}"
                )
    return errors


# -- AWS's ASL language service and asl-validator (Node.js) ----------------------------------------
def node_tools() -> Path | None:
    """The folder holding the pinned npm validators, or None when they are not installed."""
    folder = os.environ.get(NODE_TOOLS_ENV)
    if not folder:
        return None
    path = Path(folder)
    return path if (path / "node_modules" / "amazon-states-language-service").is_dir() else None


class NodeValidators:
    """One long-lived ``node asl_validators.js`` process; answers are cached per definition."""

    def __init__(self, tools: Path) -> None:
        node = shutil.which("node")
        if node is None:
            raise FileNotFoundError("node is not on PATH: the ASL validators need Node.js 20 (apt-get install nodejs)")
        script = resources.files("orgops.emulator").joinpath(SCRIPT)
        env = {**os.environ, NODE_TOOLS_ENV: str(tools.resolve())}
        self._process = subprocess.Popen(  # noqa: S603 - our own script, no shell
            [node, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self._lock = threading.Lock()
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def diagnostics(self, definition: str) -> list[dict[str, Any]]:
        """Each validator's diagnostics: ``{"validator", "code", "message", "line"}``."""
        key = hashlib.sha256(definition.encode("utf-8")).hexdigest()
        with self._lock:
            if key not in self._cache:
                stdin, stdout = self._process.stdin, self._process.stdout
                if stdin is None or stdout is None:  # Popen was given PIPE for both: never
                    raise RuntimeError("the ASL validators have no pipes")
                stdin.write(json.dumps(definition) + "\n")
                stdin.flush()
                line = stdout.readline()
                if not line:
                    raise RuntimeError(f"the ASL validators stopped (exit {self._process.poll()})")
                self._cache[key] = json.loads(line)
            return list(self._cache[key])


@functools.cache
def _validators(tools: Path) -> NodeValidators:
    return NodeValidators(tools)


def validator_errors(definition: str) -> list[str]:
    """The npm validators' diagnostics as AWS-style error strings (none when not installed)."""
    tools = node_tools()
    if tools is None:
        return []
    errors = []
    for d in _validators(tools).diagnostics(definition):
        where = f"line {d['line']}, {d['validator']}" if d["line"] else d["validator"]
        errors.append(f"SCHEMA_VALIDATION_FAILED: {d['message']} ({where})")
    return errors


def check(definition: str) -> None:
    """Raise ``InvalidDefinitionError`` with AWS's message when AWS would refuse ``definition``."""
    errors = structural_errors(definition)
    if not errors:
        errors = validator_errors(definition)
    if errors:
        raise InvalidDefinitionError(errors)


def wrap_validate_definition(original: Any) -> Any:
    """Wrap moto's ``_validate_definition`` (CreateStateMachine, UpdateStateMachine): AWS's checks first."""
    from orgops.emulator import lambdas

    @functools.wraps(original)
    def validate_definition(definition: str) -> Any:
        if lambdas.active() is None:  # no emulator in this process: moto as it is
            return original(definition)
        from moto.core.exceptions import AWSError
        from moto.stepfunctions.parser.api import InvalidDefinition as MotoInvalidDefinition

        class InvalidDefinition(AWSError):
            # moto's own InvalidDefinition reaches clients with an empty error code.
            TYPE = "InvalidDefinition"
            STATUS = 400

        try:
            check(definition)
            return original(definition)
        except InvalidDefinitionError as exc:
            raise InvalidDefinition(str(exc)) from None
        except MotoInvalidDefinition as exc:
            raise InvalidDefinition(f"Invalid State Machine Definition: '{exc}'") from None

    validate_definition.orgops_wrapped = original  # type: ignore[attr-defined]
    return validate_definition


# -- what AWS accepts and moto's grammar does not ------------------------------------------------
# moto's ASL grammar (localstack's) reads ToleratedFailurePercentage only as a decimal (5.0), while
# AWS accepts any number from 0 to 100 (UpdateMapRun's toleratedFailurePercentage is a float) and
# AWS's ASL language service accepts only an integer there (test_asl_validators). Terraform
# renders the integer; moto's parser gets the same value written as a decimal.
_INTEGER_PERCENTAGE = re.compile(r'("ToleratedFailurePercentage"\s*:\s*)(\d+)(\s*[,}\n])')


def moto_compatible(definition: str) -> str:
    """``definition`` with each integer ToleratedFailurePercentage written as a decimal."""
    return _INTEGER_PERCENTAGE.sub(r"\g<1>\g<2>.0\g<3>", definition)


def wrap_parse(original: Any) -> Any:
    """Wrap moto's ``AmazonStateLanguageParser.parse`` so it reads what AWS accepts."""

    @functools.wraps(original)
    def parse(definition: str) -> Any:
        return original(moto_compatible(definition))

    parse.orgops_wrapped = original  # type: ignore[attr-defined]
    return parse


# -- StartExecution without a name ----------------------------------------------------------------
def wrap_start_execution(original: Any) -> Any:
    """Wrap moto's ``StepFunctionsParserBackend.start_execution``: a missing name becomes a UUID.

    AWS: "If you don't provide a name for the execution, Step Functions automatically generates a
    universally unique identifier (UUID) as the execution name" (StartExecution); moto names it
    ``None``, so every unnamed execution had the same ARN and report prefix.
    """

    @functools.wraps(original)
    def start_execution(self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    start_execution.orgops_wrapped = original  # type: ignore[attr-defined]
    return start_execution
