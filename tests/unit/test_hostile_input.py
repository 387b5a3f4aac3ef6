"""Regressions of "Hardened against hostile and careless input" (pure: no AWS, no moto), and the
principles as properties: the fanout's validation returns a plan or raises InvalidInput naming a
field, never another exception; ids match exactly as AWS defines them; messages are bounded."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
from botocore.exceptions import HTTPClientError
from hypothesis import given
from hypothesis import strategies as st

from orgops import operations, targets
from orgops.errors import InvalidInput
from orgops.handlers import fanout, worker
from orgops.org import Account
from orgops.targets import AccountFilter, Target

SIGNED_HEADER = (
    "AWS4-HMAC-SHA256 Credential=ASIAQWERTYUIOPASDFGH/20261201/eu-west-1/ec2/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=3f1c0de2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4"
)


def validate(operation: str, execution_input: Any) -> Any:
    return fanout.validate({"Operation": operation, "Input": execution_input})


def refusal(operation: str, execution_input: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        validate(operation, execution_input)
    return str(caught.value)


# -- Params that pass a pattern but AWS would refuse ---------------------------------------------
def test_a_tag_key_starting_with_aws_is_refused_before_the_dry_run() -> None:
    assert refusal("tag-remediation", {"Params": {"RequiredTags": {"Owner": "x", "aws:team": "y"}}}) == (
        "Params.RequiredTags.aws:team: tag keys starting with aws: are reserved for AWS and cannot be added; "
        "use another prefix"
    )


@pytest.mark.parametrize("field", ["StandardArns", "DisableStandardArns"])
def test_a_security_hub_standard_of_another_region_is_refused(field: str) -> None:
    arn = "arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0"
    params = {"StandardArns": [], field: ["arn:aws:securityhub:REGION::standards/pci-dss/v/3.2.1", arn]}

    assert refusal("securityhub-standards", {"Params": params}) == (
        f'Params.{field}[1]: names the region "eu-west-1"; write REGION there (replaced by each target\'s '
        "region): Security Hub refuses a standard of another region"
    )


def test_a_regionless_legacy_standard_and_the_region_placeholder_are_accepted() -> None:
    params = {"StandardArns": ["arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"]}
    _op, _input, validated = validate("securityhub-standards", {"Params": params})
    assert validated["StandardArns"] == params["StandardArns"]


def test_lambda_code_scanning_without_lambda_scanning_is_refused() -> None:
    assert refusal("inspector-activation", {"Params": {"ResourceTypes": ["EC2", "LAMBDA_CODE"]}}) == (
        "Params.ResourceTypes[1]: LAMBDA_CODE (Lambda code scanning) needs LAMBDA (Lambda standard scanning): "
        "add LAMBDA"
    )


def test_a_null_param_means_omitted_as_the_readme_says() -> None:
    _op, _input, params = validate("unused-nat-gateways", {"Params": {"Days": None}})
    assert params == operations.get("unused-nat-gateways").validate_params({})


# -- messages ------------------------------------------------------------------------------------
def test_a_huge_region_name_is_not_echoed_whole() -> None:
    message = refusal("public-ips", {"Regions": ["x" * 100_000]})
    assert message == 'Regions[0]: "' + "x" * 79 + "… (100002 characters) is not a valid region name (like eu-west-1)"


def test_ansi_escapes_and_newlines_in_a_key_are_escaped_in_the_message() -> None:
    message = refusal("public-ips", {"Accounts": {"Tags": {"\x1b[2J\nteam": 1}}})
    assert "\x1b" not in message and "\n" not in message
    assert message.startswith('Accounts.Tags["\\u001b[2J\\nteam"]: is not a valid tag key')


def test_an_http_client_error_never_puts_credentials_into_the_status(monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore's HTTPClientError for a malformed region with an endpoint override quoted the request.
    op = operations.get("unused-ebs-volumes")

    def run(*_a: Any) -> Any:
        raise HTTPClientError(error=f"Invalid header value b'{SIGNED_HEADER}' for Authorization: {SIGNED_HEADER}")

    monkeypatch.setitem(operations.REGISTRY, op.name, dataclasses.replace(op, run=run))
    settings = worker.WorkerSettings(operation=op.name, member_role_name="r", data_bucket="b")
    event = {
        "Target": Target("111111111111", "prod", "eu-west-1").as_item(),
        "Common": {"Params": {}, "DryRun": True},
        "ExecutionId": "arn:aws:states:us-east-1:111111111111:execution:orgops-x:run-1",
    }

    class Sessions:
        def for_account(self, _account: str) -> None:
            return None

    result = worker.work(event, settings, base=None, sessions=Sessions())  # type: ignore[arg-type]

    assert (result["Status"], result["ErrorCode"]) == ("FAILED", "HTTPClientError")
    assert "ASIAQWERTYUIOPASDFGH" not in result["ErrorMessage"]
    assert "3f1c0de2c1b0" not in result["ErrorMessage"]
    assert "[redacted]" in result["ErrorMessage"]


# -- properties ----------------------------------------------------------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
IDS = st.sampled_from(["111111111111", "222222222222", "11111111111", "111111111111\n", "\u0661" * 12, ""])
REGION_NAMES = st.sampled_from(["eu-west-1", "us-east-1", "EU-WEST-1", "eu-westt-1", "ALL", "", "eu-west-1\n"])
INPUTS = (
    st.fixed_dictionaries(
        {},
        optional={
            "Regions": st.lists(REGION_NAMES, max_size=3) | st.sampled_from(["ALL", "all", ""]) | JSON,
            "Accounts": st.fixed_dictionaries(
                {},
                optional={
                    "Include": st.lists(IDS, max_size=3) | JSON,
                    "Exclude": st.lists(IDS, max_size=3) | JSON,
                    "OrganizationalUnits": st.lists(st.sampled_from(["ou-ab12-cd34ef56", "r-ab12", "ou-x"]), max_size=2)
                    | JSON,
                    "Tags": st.dictionaries(st.text(max_size=8), st.text(max_size=8) | JSON, max_size=2) | JSON,
                },
            )
            | JSON,
            "Params": st.dictionaries(st.sampled_from(["Days", "RequiredTags", "Nope"]), JSON, max_size=2) | JSON,
            "DryRun": st.booleans() | JSON,
        },
    )
    | JSON
)
TYPE_NAMES = re.compile(r"(got|not) (str|int|bool|dict|list|tuple|NoneType|float)\b|<class ")


@given(st.sampled_from(sorted(operations.REGISTRY)), INPUTS)
def test_validation_returns_a_plan_or_an_invalid_input_naming_a_field(operation: str, execution_input: Any) -> None:
    try:
        validate(operation, execution_input)
    except InvalidInput as exc:
        message = str(exc)
        assert exc.field and message.startswith(f"{exc.field}: "), message
        assert len(message) <= 1500
        assert not re.search(r"[\x00-\x1f\x7f]", message), message
        assert not TYPE_NAMES.search(message), message


@given(st.text(max_size=14))
def test_account_ids_match_exactly_twelve_ascii_digits(text: str) -> None:
    ok = len(text) == 12 and all(c in "0123456789" for c in text)
    try:
        result = targets.parse_input({"Accounts": {"Include": [text]}})
    except InvalidInput:
        assert not ok
    else:
        assert ok and result.accounts.include == (text,)


@given(
    st.lists(st.sampled_from(["111111111111", "222222222222", "333333333333"]), max_size=3),
    st.lists(st.sampled_from(["111111111111", "222222222222", "999999999999"]), max_size=3),
)
def test_every_account_a_filter_names_must_be_in_the_organization(include: list[str], exclude: list[str]) -> None:
    organization = [Account("111111111111", "a"), Account("222222222222", "b"), Account("333333333333", "c")]
    selection = AccountFilter(include=tuple(include), exclude=tuple(exclude))
    named = set(include) | set(exclude)
    try:
        targets.check_known_accounts(organization, selection)
    except InvalidInput as exc:
        assert "999999999999" in named
        assert json.dumps(str(exc))  # a plain, printable message
    else:
        assert named <= {a.id for a in organization}
