"""Bad input, field by field: every field of the execution input and every parameter of every
operation, with a wrong type, an out-of-range value, an empty list and an oversized input, fails
with an error naming the field; through the state machine, the execution fails before any
worker runs and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orgops import operations
from orgops.errors import InvalidInput
from orgops.operations.base import Param
from orgops.sessions import client
from orgops.targets import MAX_INPUT_BYTES, parse_input
from orgops.text import field_path
from tests.reliability.accounting import statuses
from tests.reliability.conftest import Reliability

# (field path, input) for every field of the execution input: wrong type, empty, out of range.
EXECUTION_INPUT_CASES: list[tuple[str, dict[str, Any]]] = [
    ("Regions", {"Regions": 7}),
    ("Regions", {"Regions": True}),
    ("Regions", {"Regions": {"eu-west-1": 1}}),
    ("Regions", {"Regions": []}),
    ("Regions", {"Regions": "Europe"}),
    ("Regions[0]", {"Regions": [None]}),
    ("Regions[0]", {"Regions": ["mars-north-1a"]}),
    ("Accounts", {"Accounts": "111111111111"}),
    ("Accounts", {"Accounts": [1]}),
    ("Accounts.Filter", {"Accounts": {"Filter": {}}}),
    *[
        case
        for key in ("Include", "Exclude", "OrganizationalUnits")
        for case in (
            (f"Accounts.{key}", {"Accounts": {key: "x"}}),
            (f"Accounts.{key}", {"Accounts": {key: {}}}),
            (f"Accounts.{key}", {"Accounts": {key: []}}),
            (f"Accounts.{key}[0]", {"Accounts": {key: [123456789012]}}),
            (f"Accounts.{key}[1]", {"Accounts": {key: ["r-ab12" if key == "OrganizationalUnits" else "1" * 12, ""]}}),
            (f"Accounts.{key}[0]", {"Accounts": {key: ["1" * 13]}}),
        )
    ],
    ("Accounts.Tags", {"Accounts": {"Tags": ["env"]}}),
    ("Accounts.Tags", {"Accounts": {"Tags": {}}}),
    ("Accounts.Tags.env", {"Accounts": {"Tags": {"env": ["prod"]}}}),
    (field_path("Accounts.Tags", "k" * 129), {"Accounts": {"Tags": {"k" * 129: "v"}}}),
    ("Params", {"Params": ["Days", 3]}),
    ("Params", {"Params": "Days=3"}),
    ("DryRun", {"DryRun": "no"}),
    ("DryRun", {"DryRun": 1}),
    ("DryRun", {"DryRun": []}),
    ("Dryrun", {"Dryrun": False}),
]


@pytest.mark.parametrize(
    ("field", "raw"), EXECUTION_INPUT_CASES, ids=[f"{f}-{i}" for i, (f, _) in enumerate(EXECUTION_INPUT_CASES)]
)
def test_a_bad_execution_input_field_is_named_in_the_error(field: str, raw: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_input(raw)

    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def _bad_values(p: Param) -> list[tuple[str, Any]]:
    """(field the error must name, value) cases derived from the parameter's declaration."""
    where = f"Params.{p.name}"
    cases: list[tuple[str, Any]] = []
    if p.kind == "integer":
        cases += [(where, "14"), (where, 1.5), (where, True), (where, [1])]
        if p.minimum is not None:
            cases.append((where, p.minimum - 1))
        if p.maximum is not None:
            cases.append((where, p.maximum + 1))
    elif p.kind == "boolean":
        cases += [(where, "true"), (where, 1)]
    elif p.kind == "string":
        cases += [(where, 5), (where, ""), (where, ["x"])]
    elif p.kind in ("string_list", "integer_list"):
        cases += [(where, "x"), (where, {"a": 1}), (f"{where}[0]", [None]), (f"{where}[1]", [_valid_item(p), {}])]
        if p.min_items >= 1:
            cases.append((where, []))
        if p.kind == "integer_list":
            cases.append((f"{where}[0]", ["80"]))
            if p.minimum is not None:
                cases.append((f"{where}[0]", [p.minimum - 1]))
            if p.maximum is not None:
                cases.append((f"{where}[0]", [p.maximum + 1]))
        else:
            cases.append((f"{where}[0]", [""]))
            if p.choices or p.pattern:
                cases.append((f"{where}[0]", ["not valid !"]))
    elif p.kind == "string_map":
        cases += [(where, ["a"]), (where, "a=b"), (f"{where}.Key", {"Key": 1}), (f"{where}.Key", {"Key": ["v"]})]
        if p.min_items >= 1:
            cases.append((where, {}))
    return cases


VALID_ITEMS = {
    "ResourceTypes": "ec2:instance",
    "DisableStandardArns": "arn:aws:securityhub:REGION::standards/cis-aws-foundations-benchmark/v/1.4.0",
}


def _valid_item(p: Param) -> Any:
    """A valid first item, so the error is about the second."""
    if isinstance(p.default, list) and p.default:
        return p.default[0]
    if p.name in VALID_ITEMS:
        return VALID_ITEMS[p.name]
    return 443 if p.kind == "integer_list" else "Owner"


def _required_others(op: operations.Operation, p: Param) -> dict[str, Any]:
    """Valid values for the operation's other required params, so the error is about ``p``."""
    examples = {"string_list": ["Owner"], "string_map": {"Owner": "unassigned"}, "integer": 1, "string": "x"}
    return {o.name: examples[o.kind] for o in op.params if o.required and o.name != p.name}


PARAM_CASES = [
    (op.name, p.name, field, value)
    for op in sorted(operations.REGISTRY.values(), key=lambda o: o.name)
    for p in op.params
    for field, value in _bad_values(p)
]


def test_every_parameter_of_every_operation_has_bad_value_cases() -> None:
    declared = {(op.name, p.name) for op in operations.REGISTRY.values() for p in op.params}
    assert {(o, p) for o, p, _, _ in PARAM_CASES} == declared


@pytest.mark.parametrize(
    ("operation", "param", "field", "value"),
    PARAM_CASES,
    ids=[f"{o}-{f}-{i}" for i, (o, _, f, _) in enumerate(PARAM_CASES)],
)
def test_a_bad_parameter_value_is_named_in_the_error(operation: str, param: str, field: str, value: Any) -> None:
    op = operations.get(operation)
    p = next(x for x in op.params if x.name == param)

    with pytest.raises(InvalidInput) as caught:
        op.validate_params({**_required_others(op, p), param: value})

    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("raw", "field", "fix"),
    [
        (
            {"Accounts": {"Include": [f"{i:012d}" for i in range(20_000)]}},
            "Accounts.Include",
            "select accounts by Accounts.OrganizationalUnits or Accounts.Tags instead of listing them",
        ),
        (
            {"Params": {"RequiredTags": {"Owner": "x" * 200, "Notes": "y" * MAX_INPUT_BYTES}}},
            "Params.RequiredTags.Notes",
            "pass fewer or shorter values",
        ),
        ({"Regions": ["eu-west-1"] * 30_000}, "Regions", "pass fewer or shorter values"),
    ],
)
def test_an_input_over_256_kib_is_refused_naming_the_field_that_makes_it_big(raw: dict, field: str, fix: str) -> None:
    size = len(json.dumps(raw, separators=(",", ":")).encode())

    with pytest.raises(InvalidInput) as caught:
        parse_input(raw)

    assert str(caught.value) == (
        f"{field}: makes the execution input {size} bytes of JSON; Step Functions accepts at most "
        f"262144 bytes (256 KiB): {fix}"
    )


def test_an_input_of_exactly_256_kib_is_accepted() -> None:
    base = {"Params": {"Note": ""}}
    padding = MAX_INPUT_BYTES - len(json.dumps(base, separators=(",", ":")).encode())
    raw = {"Params": {"Note": "x" * padding}}

    assert len(json.dumps(raw, separators=(",", ":")).encode()) == MAX_INPUT_BYTES
    assert parse_input(raw).params == {"Note": "x" * padding}


# -- through the state machine ---------------------------------------------------------------------
HUGE_INCLUDE = {"Accounts": {"Include": [f"{i:012d}" for i in range(20_000)]}}


def _size(raw: dict[str, Any]) -> int:
    return len(json.dumps(raw, separators=(",", ":")).encode())


def _results_objects(rel: Reliability, execution_arn: str) -> list[str]:
    name = execution_arn.rsplit(":", 1)[-1]
    s3 = client(rel.emu.session(), "s3")
    listing = s3.list_objects_v2(Bucket=rel.emu.stack.data_bucket, Prefix="results/")
    return [o["Key"] for o in listing.get("Contents", []) if f"/{name}/" in o["Key"]]


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("execution_input", "message"),
    [
        ({"Params": {"AllowedPorts": [22, 70000]}}, "Params.AllowedPorts[1]: 70000 is above the maximum 65535"),
        ({"Regions": "eu-west-1"}, 'Regions: must be a list of region names or "ALL", got "eu-west-1"'),
        (
            # moto's StartExecution accepts it (AWS would refuse it there): the fanout refuses it too
            HUGE_INCLUDE,
            f"Accounts.Include: makes the execution input {_size(HUGE_INCLUDE)} bytes of JSON; Step Functions "
            "accepts at most 262144 bytes (256 KiB): select accounts by Accounts.OrganizationalUnits or "
            "Accounts.Tags instead of listing them",
        ),
    ],
)
def test_bad_input_fails_the_execution_before_any_worker_runs_naming_the_field(
    faults: Reliability, execution_input: dict[str, Any], message: str
) -> None:
    faults.emu.router.reset_counts()

    execution = faults.emu.run("sg-open-ingress-remediation", execution_input)

    assert (execution.status, execution.error) == ("FAILED", "InvalidInput")
    assert json.loads(execution.cause or "{}")["errorMessage"] == message
    assert faults.emu.router.invocations.get("orgops-sg-open-ingress-remediation-worker", 0) == 0
    assert statuses(faults.emu, execution.arn) == []
    assert _results_objects(faults, execution.arn) == []


def test_orgops_run_refuses_an_oversized_input_before_starting_anything(capsys: pytest.CaptureFixture[str]) -> None:
    from orgops.cli import app as cli
    from orgops.cli.common import EXIT_USAGE

    ids = [f"{i:012d}" for i in range(20_000)]

    code = cli.main(["run", "unused-ebs-volumes", "--accounts", *ids, "--no-wait"])

    size = _size({"Accounts": {"Include": ids}, "DryRun": True})
    assert code == EXIT_USAGE
    assert f"Accounts.Include: makes the execution input {size} bytes of JSON" in capsys.readouterr().err
