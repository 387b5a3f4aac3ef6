"""The emulator's definition checks: AWS's static-analysis rules and message shape, and the
integer ToleratedFailurePercentage that AWS accepts and moto's grammar does not."""

from __future__ import annotations

import json

import pytest

from orgops.emulator import definitions


def machine(states: dict, start: str = "A") -> str:
    return json.dumps({"StartAt": start, "States": states})


def test_a_sound_definition_has_no_error() -> None:
    text = machine({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}})
    assert definitions.structural_errors(text) == []


def test_duplicate_state_names_across_scopes_are_refused() -> None:
    inner = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    text = machine({"A": {"Type": "Map", "ItemProcessor": inner, "End": True}})
    assert definitions.structural_errors(text) == [
        "DUPLICATE_STATE_NAME: Duplicate State name: A at /States/A/ItemProcessor/States/A"
    ]


def test_a_missing_transition_target_and_an_unreachable_state_are_refused() -> None:
    text = machine({"A": {"Type": "Pass", "Next": "Z"}, "B": {"Type": "Succeed"}})
    assert definitions.structural_errors(text) == [
        "MISSING_TRANSITION_TARGET: Missing 'Next' target: Z at /States/A/Next",
        'MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B',
    ]


def test_catch_and_choice_targets_are_checked_in_their_own_scope() -> None:
    text = machine(
        {
            "A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Q"}], "Default": "B"},
            "B": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "R"}],
                "End": True,
            },
        }
    )
    assert definitions.structural_errors(text) == [
        "MISSING_TRANSITION_TARGET: Missing 'Choices[0]/Next' target: Q at /States/A/Choices[0]/Next",
        "MISSING_TRANSITION_TARGET: Missing 'Catch[0]/Next' target: R at /States/B/Catch[0]/Next",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{", "INVALID_JSON_DESCRIPTION: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        ("[]", "SCHEMA_VALIDATION_FAILED: the definition must be a JSON object at /"),
        ('{"States": {}}', "SCHEMA_VALIDATION_FAILED: The field 'StartAt' is required but was missing at /"),
        (
            machine({"A": {"Type": "Pass", "End": True}}, start="S"),
            "MISSING_TRANSITION_TARGET: Missing 'StartAt' target: S at /StartAt",
        ),
        (
            machine({"A" * 81: {"Type": "Pass", "End": True}}, start="A" * 81),
            f"SCHEMA_VALIDATION_FAILED: State names must be 1 to 80 characters at /States/{'A' * 81}",
        ),
    ],
    ids=["not-json", "not-an-object", "no-start-at", "start-at-missing", "name-too-long"],
)
def test_malformed_definitions_get_aws_codes(text, expected) -> None:
    assert definitions.structural_errors(text) == [expected]


def test_the_error_message_has_aws_shape() -> None:
    error = definitions.InvalidDefinitionError(["A: x at /States/A", "B: y at /States/B"])
    assert str(error) == "Invalid State Machine Definition: 'A: x at /States/A, B: y at /States/B'"


def test_without_node_tools_only_the_structural_rules_run(monkeypatch) -> None:
    monkeypatch.delenv(definitions.NODE_TOOLS_ENV, raising=False)
    assert definitions.validator_errors(machine({"A": {"Type": "Bogus", "End": True}})) == []


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ('"ToleratedFailurePercentage": 5,', '"ToleratedFailurePercentage": 5.0,'),
        ('"ToleratedFailurePercentage":100}', '"ToleratedFailurePercentage":100.0}'),
        ('"ToleratedFailurePercentage": 2.5,', '"ToleratedFailurePercentage": 2.5,'),
        ('"ToleratedFailureCount": 5,', '"ToleratedFailureCount": 5,'),
    ],
)
def test_moto_reads_an_integer_tolerated_failure_percentage_as_a_decimal(written, read) -> None:
    assert definitions.moto_compatible(written) == read
