"""The execution input contract: every bad input fails with a message naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from orgops import operations
from orgops.errors import InvalidInput, UnknownOperation
from orgops.targets import AccountFilter, ExecutionInput, MaxErrors, parse_default_regions, parse_input


def test_an_empty_input_means_default_regions_every_account_no_params_dry_run() -> None:
    assert parse_input({}) == ExecutionInput(
        regions=None, all_regions=False, accounts=AccountFilter(), params={}, dry_run=True
    )


def test_no_input_at_all_is_the_same_as_an_empty_object() -> None:
    assert parse_input(None) == parse_input({})


def test_null_values_count_as_omitted() -> None:
    raw = {"Regions": None, "Accounts": {"Include": None}, "Params": None, "DryRun": None}

    assert parse_input(raw) == parse_input({})


def test_a_full_input_is_parsed_with_duplicate_regions_dropped_in_order() -> None:
    raw = {
        "Regions": ["eu-west-1", "us-gov-west-1", "eu-west-1"],
        "Accounts": {
            "Include": ["111111111111", "222222222222"],
            "Exclude": ["333333333333"],
            "OrganizationalUnits": ["ou-ab12-cd34ef56", "r-ab12"],
            "Tags": {"env": "prod", "aws:cost center": "42"},
        },
        "Params": {"Anything": [1]},
        "DryRun": False,
    }

    assert parse_input(raw) == ExecutionInput(
        regions=("eu-west-1", "us-gov-west-1"),
        all_regions=False,
        accounts=AccountFilter(
            include=("111111111111", "222222222222"),
            exclude=("333333333333",),
            organizational_units=("ou-ab12-cd34ef56", "r-ab12"),
            tags={"env": "prod", "aws:cost center": "42"},
        ),
        params={"Anything": [1]},
        dry_run=False,
    )


def test_regions_all_means_each_accounts_enabled_regions() -> None:
    parsed = parse_input({"Regions": "ALL"})

    assert (parsed.regions, parsed.all_regions) == (None, True)


MAX_ERRORS_REFUSAL = (
    "MaxErrors: must be a whole number of failed targets from 0 (0: stop after the first failure) or a percentage of "
    'the planned targets from "1%" to "100%", like 3 or "10%"'
)
ARN = "arn:aws:states:eu-west-1:111122223333:execution:orgops-public-ips:public-ips-20261125T101500Z-1a2b"


@pytest.mark.parametrize(
    ("raw", "count", "percent", "limit_of_25"),
    [(0, 0, None, 0), (3, 3, None, 3), ("1%", None, 1, 0), ("10%", None, 10, 2), ("100%", None, 100, 25)],
)
def test_max_errors_is_a_count_or_a_percentage_of_the_planned_targets_rounded_down(
    raw: Any, count: int | None, percent: int | None, limit_of_25: int
) -> None:
    parsed = parse_input({"MaxErrors": raw}).max_errors

    assert parsed == MaxErrors(count=count, percent=percent)
    assert parsed.limit(25) == limit_of_25
    assert parsed.text == str(raw)


def test_retry_failed_and_preflight_are_read_and_params_given_is_noted() -> None:
    parsed = parse_input({"RetryFailed": ARN, "Preflight": True, "DryRun": False})

    assert (parsed.retry_failed, parsed.preflight, parsed.params_given) == (ARN, True, False)
    assert parse_input({"RetryFailed": ARN, "Params": {"Days": 3}}).params_given is True


BAD_INPUTS: list[tuple[Any, str]] = [
    # the input itself
    (["eu-west-1"], "$: the execution input must be a JSON object, got a list"),
    ("ALL", "$: the execution input must be a JSON object, got a string"),
    # unknown keys
    (
        {"Region": ["eu-west-1"]},
        "Region: unknown key; allowed keys are Regions, Accounts, Params, DryRun, MaxErrors, RetryFailed, Preflight",
    ),
    (
        {"Accounts": {"Includes": ["111111111111"]}},
        "Accounts.Includes: unknown key; allowed keys are Include, Exclude, OrganizationalUnits, Tags",
    ),
    # Regions
    ({"Regions": "eu-west-1"}, 'Regions: must be a list of region names or "ALL", got "eu-west-1"'),
    ({"Regions": "all"}, 'Regions: must be a list of region names or "ALL", got "all"'),
    ({"Regions": 3}, "Regions: must be a list of region names (like eu-west-1), got a number"),
    ({"Regions": {"eu-west-1": True}}, "Regions: must be a list of region names (like eu-west-1), got an object"),
    ({"Regions": []}, "Regions: is empty; list at least one region name or omit Regions"),
    ({"Regions": ["eu-west-1", "EU-WEST-1"]}, 'Regions[1]: "EU-WEST-1" is not a valid region name (like eu-west-1)'),
    ({"Regions": ["eu-west-1a"]}, 'Regions[0]: "eu-west-1a" is not a valid region name (like eu-west-1)'),
    ({"Regions": ["ALL"]}, 'Regions[0]: "ALL" is not a valid region name (like eu-west-1)'),
    ({"Regions": [1]}, "Regions[0]: must be a string (a region name like eu-west-1), got a number"),
    # Accounts
    ({"Accounts": ["111111111111"]}, "Accounts: must be an object, got a list"),
    (
        {"Accounts": {"Include": "111111111111"}},
        'Accounts.Include: must be a list of 12-digit account ids (like "123456789012"), got a string',
    ),
    ({"Accounts": {"Include": []}}, "Accounts.Include: is empty; list at least one 12-digit account id or omit"),
    (
        {"Accounts": {"Include": ["11111111111"]}},
        'Accounts.Include[0]: "11111111111" is not a valid 12-digit account id (like "123456789012")',
    ),
    (
        {"Accounts": {"Exclude": ["111111111111", "1111-1111-1111"]}},
        'Accounts.Exclude[1]: "1111-1111-1111" is not a valid 12-digit account id (like "123456789012")',
    ),
    (
        {"Accounts": {"Include": [111111111111]}},
        'Accounts.Include[0]: must be a string (a 12-digit account id like "123456789012"), got a number',
    ),
    (
        {"Accounts": {"OrganizationalUnits": ["ou-ab12"]}},
        'Accounts.OrganizationalUnits[0]: "ou-ab12" is not a valid OU or root id (like ou-ab12-cd34ef56 or r-ab12)',
    ),
    (
        {"Accounts": {"OrganizationalUnits": ["OU-AB12-CD34EF56"]}},
        'Accounts.OrganizationalUnits[0]: "OU-AB12-CD34EF56" is not a valid OU or root id '
        "(like ou-ab12-cd34ef56 or r-ab12)",
    ),
    ({"Accounts": {"OrganizationalUnits": []}}, "Accounts.OrganizationalUnits: is empty; list at least one OU"),
    ({"Accounts": {"Tags": ["env=prod"]}}, "Accounts.Tags: must be an object of tag key to value, got a list"),
    ({"Accounts": {"Tags": {}}}, "Accounts.Tags: is empty; give at least one tag or omit Accounts.Tags"),
    ({"Accounts": {"Tags": {"env": 1}}}, "Accounts.Tags.env: must be a string, got a number"),
    ({"Accounts": {"Tags": {"env": True}}}, "Accounts.Tags.env: must be a string, got a boolean"),
    ({"Accounts": {"Tags": {"": "x"}}}, 'Accounts.Tags[""]: is not a valid tag key (1 to 128 letters, digits'),
    # Params
    ({"Params": "StandardArns=x"}, "Params: must be an object of the operation's parameters, got a string"),
    ({"Params": []}, "Params: must be an object of the operation's parameters, got a list"),
    # DryRun
    ({"DryRun": "false"}, 'DryRun: must be true or false (a JSON boolean), got a string "false"'),
    ({"DryRun": 0}, "DryRun: must be true or false (a JSON boolean), got a number 0"),
    # MaxErrors
    *(
        ({"MaxErrors": value}, f"{MAX_ERRORS_REFUSAL}; got {shown}")
        for value, shown in (
            ("150%", '"150%"'),
            ("0%", '"0%"'),
            (-1, "-1"),
            ("x", '"x"'),
            ("3", '"3"'),
            ("10 %", '"10 %"'),
            (2.5, "2.5"),
            (True, "true"),
            ([3], "[3]"),
        )
    ),
    # RetryFailed
    (
        {"RetryFailed": "run-1"},
        f'RetryFailed: must be the ARN of an earlier execution of this operation (like {ARN}), got "run-1"',
    ),
    (
        {"RetryFailed": "arn:aws:states:eu-west-1:111122223333:stateMachine:orgops-public-ips"},
        "RetryFailed: must be the ARN of an earlier execution of this operation",
    ),
    (
        {"RetryFailed": ARN, "Regions": ["eu-west-1"]},
        "Regions: does not apply with RetryFailed, which runs exactly the failed and not-run targets of the earlier "
        "execution: remove Regions",
    ),
    (
        {"RetryFailed": ARN, "Accounts": {"Include": ["111111111111"]}},
        "Accounts: does not apply with RetryFailed",
    ),
    # Preflight
    ({"Preflight": "yes"}, 'Preflight: must be true or false (a JSON boolean), got a string "yes"'),
]


@pytest.mark.parametrize(
    ("raw", "message"), BAD_INPUTS, ids=[m.split(":")[0] + f"-{i}" for i, (_, m) in enumerate(BAD_INPUTS)]
)
def test_bad_input_is_rejected_naming_the_field(raw: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_input(raw)

    assert str(caught.value).startswith(message)
    assert caught.value.field == message.split(": ")[0]


def test_the_full_message_says_how_to_fix_an_empty_list() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_input({"Accounts": {"Include": []}})

    assert str(caught.value) == (
        "Accounts.Include: is empty; list at least one 12-digit account id or omit Accounts.Include"
    )


def test_an_unknown_operation_lists_the_known_ones() -> None:
    with pytest.raises(UnknownOperation) as caught:
        operations.get("unused-ebs-volume")

    known = ", ".join(sorted(operations.REGISTRY))
    assert str(caught.value) == f"Operation: no operation named 'unused-ebs-volume'; known operations: {known}"
    assert caught.value.code == "UnknownOperation"


def test_an_unknown_param_names_the_operations_parameters() -> None:
    with pytest.raises(InvalidInput) as caught:
        operations.get("unused-ebs-volumes").validate_params({"Colour": "red"})

    assert str(caught.value).startswith("Params.Colour: unknown parameter for unused-ebs-volumes; its parameters: ")


def test_default_regions_are_a_comma_separated_terraform_setting() -> None:
    assert parse_default_regions(" eu-west-1, us-east-1 ,") == ("eu-west-1", "us-east-1")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "DefaultRegions: no regions were deployed for this operation; set regions in Terraform or pass Regions"),
        (" , ", "DefaultRegions: no regions were deployed for this operation"),
        ("eu-west-1,Ireland", 'DefaultRegions: "Ireland" is not a valid region name'),
    ],
)
def test_bad_default_regions_are_a_deployment_error(value: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_default_regions(value)

    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("regions", "field", "name"),
    [(["eu-west-1", "eu-westt-1"], "Regions[1]", "eu-westt-1"), (["xx-north-9"], "Regions[0]", "xx-north-9")],
)
def test_a_region_no_aws_partition_has_is_refused_naming_it(regions: list[str], field: str, name: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_input({"Regions": regions})

    assert str(raised.value) == f'{field}: "{name}" is not a region AWS knows (in no partition): check the spelling'


def test_regions_of_every_partition_are_known() -> None:
    assert parse_input({"Regions": ["cn-north-1", "us-gov-west-1", "eu-west-1"]}).regions == (
        "cn-north-1",
        "us-gov-west-1",
        "eu-west-1",
    )


def test_a_deployed_default_region_no_partition_has_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_default_regions("eu-west-1,eu-wset-1")

    assert str(raised.value) == (
        'DefaultRegions: "eu-wset-1" is not a region AWS knows (in no partition): fix regions in Terraform'
    )


def test_opt_in_regions_are_the_commercial_regions_launched_after_march_2019() -> None:
    from orgops import regions

    assert regions.opt_in_regions(["eu-west-1", "af-south-1", "us-east-1", "il-central-1", "cn-north-1"]) == [
        "af-south-1",
        "il-central-1",
    ]
    assert regions.opt_in_regions(sorted(regions.ENABLED_BY_DEFAULT_REGIONS)) == []
    assert regions.partition_regions() >= regions.ENABLED_BY_DEFAULT_REGIONS
