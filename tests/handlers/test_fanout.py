"""The fanout against an emulated organization: filters, regions, skipped accounts, rejection."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from orgops import operations
from orgops import org as org_listing
from orgops.config import FanoutSettings
from orgops.errors import ConfigurationError, InvalidInput
from orgops.handlers import fanout
from orgops.operations.base import Operation
from tests.handlers.helpers import object_keys, read_object, status_items
from tests.handlers.org_fixture import (
    DATA_BUCKET,
    DEFAULT_REGIONS,
    DEV_A1,
    LEGACY,
    MANAGEMENT,
    PROD_A,
    PROD_B,
    REGIONS,
    SANDBOX,
    STATUS_TABLE,
    Org,
    set_account_state,
)

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:orgops-unused-ebs-volumes:run-1"
NOW = 1_700_000_000
EXPIRES_AT = NOW + 30 * 86_400
SETTINGS = FanoutSettings(data_bucket=DATA_BUCKET, status_table=STATUS_TABLE, org_role_arn=None)
NAMES = {
    MANAGEMENT: "master",
    PROD_A: "prod-a",
    DEV_A1: "dev-a1",
    PROD_B: "prod-b",
    SANDBOX: "sandbox",
    LEGACY: "legacy",
}


def event(execution_input: Any = None, **overrides: Any) -> dict[str, Any]:
    return {
        "Input": {} if execution_input is None else execution_input,
        "Operation": "unused-ebs-volumes",
        "DefaultRegions": DEFAULT_REGIONS,
        "DistributedThreshold": 1000,
        "BatchSize": 20,
        "ExecutionId": EXECUTION,
        **overrides,
    }


def run(session: boto3.Session, execution_input: Any = None, **overrides: Any) -> dict[str, Any]:
    return fanout.fanout(event(execution_input, **overrides), SETTINGS, session, now=NOW)


def items(account_ids: list[str], regions: tuple[str, ...] | list[str] = REGIONS) -> list[dict[str, str]]:
    return [
        {"AccountId": a, "AccountName": NAMES[a], "Region": r} for a in sorted(account_ids) for r in sorted(regions)
    ]


def accounts_of(result: dict[str, Any]) -> list[str]:
    """The targets' account ids, in target order (sorted by account id)."""
    return list(dict.fromkeys(t["AccountId"] for t in result["AccountRegions"]))


def skipped_item(account_id: str, region: str) -> dict[str, Any]:
    return {
        "execution_id": {"S": EXECUTION},
        "target": {"S": f"{account_id}#{region}"},
        "account_id": {"S": account_id},
        "account_name": {"S": NAMES[account_id]},
        "region": {"S": region},
        "status": {"S": "SKIPPED"},
        "rows": {"N": "0"},
        "error_code": {"S": "AccountNotActive"},
        "error_message": {"S": "account is AccountNotActive"},
        "expires_at": {"N": str(EXPIRES_AT)},
    }


# --- the whole output --------------------------------------------------------------------------


def test_no_filters_targets_every_active_account_in_the_default_regions(session: boto3.Session, org: Org) -> None:
    result = run(session)

    assert result == {
        "Operation": "unused-ebs-volumes",
        "ExecutionId": EXECUTION,
        "TargetCount": 15,
        "Skipped": 3,
        "Mode": "INLINE",
        "Common": {"Operation": "unused-ebs-volumes", "Params": {}, "DryRun": True, "ExpiresAt": EXPIRES_AT},
        "AccountRegions": items([MANAGEMENT, PROD_A, DEV_A1, PROD_B, SANDBOX]),
        "Batches": None,
        "MapError": None,
        # One wave when none was asked for: the state machine's definition is the same for every run.
        "Waves": {"Count": 1, "Number": 1, "Remaining": 0, "Stopped": False, "Targets": 15},
    }


def test_dry_run_false_and_params_are_passed_once_in_common(session: boto3.Session, org: Org) -> None:
    result = run(session, {"DryRun": False, "Accounts": {"Include": [PROD_A]}})

    assert result["Common"] == {
        "Operation": "unused-ebs-volumes",
        "Params": {},
        "DryRun": False,
        "ExpiresAt": EXPIRES_AT,
    }
    assert all(set(item) == {"AccountId", "AccountName", "Region"} for item in result["AccountRegions"])


# --- account filters ---------------------------------------------------------------------------


def test_include_keeps_only_the_listed_accounts(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Accounts": {"Include": [PROD_B, PROD_A]}})

    assert result["AccountRegions"] == items([PROD_A, PROD_B])
    assert result["Skipped"] == 0


def test_exclude_drops_the_listed_accounts(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Accounts": {"Exclude": [MANAGEMENT, SANDBOX]}})

    assert accounts_of(result) == [PROD_A, DEV_A1, PROD_B]


def test_an_ou_filter_includes_accounts_of_nested_ous(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Accounts": {"OrganizationalUnits": [org.ou_a]}})

    assert result["AccountRegions"] == items([PROD_A, DEV_A1])
    assert result["Skipped"] == 3  # legacy, in ou A1, is suspended


def test_an_ou_filter_on_the_nested_ou_excludes_its_parent_ous_accounts(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Accounts": {"OrganizationalUnits": [org.ou_a1]}})

    assert accounts_of(result) == [DEV_A1]


def test_several_ous_are_a_union(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Accounts": {"OrganizationalUnits": [org.ou_a1, org.ou_b]}})

    assert accounts_of(result) == [DEV_A1, PROD_B, SANDBOX]


def test_the_root_id_selects_every_account(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Accounts": {"OrganizationalUnits": [org.root]}})

    assert accounts_of(result) == [PROD_A, MANAGEMENT, DEV_A1, PROD_B, SANDBOX]


def test_one_tag_selects_accounts_with_that_value(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Accounts": {"Tags": {"env": "prod"}}})

    assert accounts_of(result) == [PROD_A, PROD_B]
    assert result["Skipped"] == 3  # legacy is tagged env=prod but suspended


def test_every_given_tag_must_match(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Accounts": {"Tags": {"env": "prod", "team": "payments"}}})

    assert accounts_of(result) == [PROD_A]


def test_a_tag_value_that_no_account_has_selects_nothing(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Accounts": {"Tags": {"env": "staging"}}})

    assert (result["TargetCount"], result["Skipped"], result["AccountRegions"]) == (0, 0, [])


def test_ou_tags_and_exclude_combine_as_an_intersection(session: boto3.Session, org: Org) -> None:
    result = run(
        session,
        {"Accounts": {"OrganizationalUnits": [org.ou_a], "Tags": {"team": "payments"}, "Exclude": [DEV_A1]}},
    )

    assert accounts_of(result) == [PROD_A]


def test_include_outside_the_ou_filter_selects_nothing(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Accounts": {"Include": [PROD_B], "OrganizationalUnits": [org.ou_a]}})

    assert result["TargetCount"] == 0


def test_an_account_both_included_and_excluded_is_refused_as_ambiguous(session: boto3.Session, org: Org) -> None:
    # No hidden rule ("exclude wins"): the input says two things about one account.
    with pytest.raises(InvalidInput) as caught:
        run(session, {"Accounts": {"Include": [PROD_A, PROD_B], "Exclude": [PROD_B]}})

    assert str(caught.value) == (
        f"Accounts.Exclude[0]: {PROD_B} is also in Accounts.Include: list each account in one of them only"
    )
    assert status_items(session) == []


@pytest.mark.parametrize(
    ("excluded", "message"),
    [
        ("999999999999", "Accounts.Exclude[0]: 999999999999 is not an account of this organization"),
        (f"{PROD_B}\n", f'Accounts.Exclude[0]: "{PROD_B}\\n" is not a valid 12-digit account id (like "123456789012")'),
        (
            "١٢٣٤٥٦٧٨٩٠١٢",
            'Accounts.Exclude[0]: "١٢٣٤٥٦٧٨٩٠١٢" is not a valid 12-digit account id (like "123456789012")',
        ),
    ],
    ids=["not-in-organization", "trailing-newline", "arabic-indic-digits"],
)
def test_an_exclude_id_that_excludes_nothing_is_refused(
    session: boto3.Session, org: Org, excluded: str, message: str
) -> None:
    # Once accepted, each excluded nothing: the account ran, in apply mode too.
    with pytest.raises(InvalidInput) as caught:
        run(session, {"Accounts": {"Exclude": [excluded]}, "DryRun": False})

    assert str(caught.value) == message
    assert status_items(session) == []


@pytest.mark.parametrize("unit", ["ou-zzzz-zzzzzzzz", "r-zzzz"], ids=["ou", "root"])
def test_an_ou_or_root_that_does_not_exist_is_refused_not_an_empty_run(
    session: boto3.Session, org: Org, unit: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        run(session, {"Accounts": {"OrganizationalUnits": [org.ou_a, unit]}})

    assert str(caught.value).startswith(
        f"Accounts.OrganizationalUnits[1]: {unit} is not an OU or root of this organization"
    )


def test_an_included_account_outside_the_organization_is_an_error(session: boto3.Session, org: Org) -> None:
    with pytest.raises(InvalidInput) as caught:
        run(session, {"Accounts": {"Include": [PROD_A, "999999999999"]}})

    assert str(caught.value) == "Accounts.Include[1]: 999999999999 is not an account of this organization"


# --- inactive accounts -------------------------------------------------------------------------


def test_suspended_accounts_are_skipped_counted_and_recorded(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Accounts": {"Include": [PROD_A, LEGACY]}})

    assert result["AccountRegions"] == items([PROD_A])
    assert (result["TargetCount"], result["Skipped"]) == (3, 3)
    assert status_items(session) == [skipped_item(LEGACY, r) for r in REGIONS]


def test_an_account_pending_closure_is_skipped_counted_and_recorded(session: boto3.Session, org: Org) -> None:
    set_account_state(PROD_B, "PENDING_CLOSURE")

    result = run(session, {"Accounts": {"Include": [PROD_A, PROD_B]}})

    assert (result["AccountRegions"], result["Skipped"]) == (items([PROD_A]), 3)
    assert status_items(session) == [skipped_item(PROD_B, r) for r in REGIONS]


def test_nothing_is_recorded_when_no_account_is_inactive(session: boto3.Session, org: Org) -> None:
    run(session, {"Accounts": {"Include": [PROD_A]}})

    assert status_items(session) == []


# --- regions -----------------------------------------------------------------------------------


def test_an_explicit_region_list_replaces_the_default_regions(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Regions": ["ap-southeast-2", "eu-central-1"], "Accounts": {"Include": [PROD_A]}})

    assert result["AccountRegions"] == items([PROD_A], ["ap-southeast-2", "eu-central-1"])


def test_a_named_opt_in_region_an_account_has_not_enabled_is_skipped_as_region_not_enabled(
    session: boto3.Session, org: Org
) -> None:
    from orgops.emulator import account as emulated_account

    emulated_account.opt_in(PROD_A, "af-south-1")

    result = run(session, {"Regions": ["eu-west-1", "af-south-1"], "Accounts": {"Include": [PROD_A, PROD_B]}})

    assert result["AccountRegions"] == [
        *items([PROD_A], ["af-south-1", "eu-west-1"]),
        *items([PROD_B], ["eu-west-1"]),
    ]
    assert result["Skipped"] == 1
    (skipped,) = status_items(session)
    assert (skipped["target"], skipped["status"], skipped["error_code"]) == (
        {"S": f"{PROD_B}#af-south-1"},
        {"S": "SKIPPED"},
        {"S": "RegionNotEnabled"},
    )
    assert skipped["error_message"] == {
        "S": "the account has not enabled this opt-in region (account:ListRegions); enable it, or leave it out"
    }


def test_named_regions_that_are_all_enabled_by_default_list_no_accounts_regions(
    session: boto3.Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    def listed(*_a: Any, **_k: Any) -> dict[str, list[str]]:
        raise AssertionError("enabled_regions must not be called for regions every account has")

    monkeypatch.setattr(org_listing, "enabled_regions", listed)

    result = run(session, {"Regions": ["eu-west-1", "us-east-1"], "Accounts": {"Include": [PROD_A]}})

    assert result["AccountRegions"] == items([PROD_A], ["eu-west-1", "us-east-1"])


def test_all_regions_uses_each_active_accounts_enabled_regions(
    session: boto3.Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto has no account:ListRegions; org.enabled_regions itself is tested with a Stubber.
    asked: list[list[str]] = []

    def enabled_regions(mgmt: boto3.Session, account_ids: list[str]) -> dict[str, list[str]]:
        asked.append(list(account_ids))
        return {PROD_A: ["us-east-1", "af-south-1"], DEV_A1: ["eu-west-1"]}

    monkeypatch.setattr(org_listing, "enabled_regions", enabled_regions)

    result = run(session, {"Regions": "ALL", "Accounts": {"OrganizationalUnits": [org.ou_a]}})

    assert asked == [[PROD_A, DEV_A1]]  # the suspended account is never asked about
    assert result["AccountRegions"] == [
        {"AccountId": PROD_A, "AccountName": "prod-a", "Region": "af-south-1"},
        {"AccountId": PROD_A, "AccountName": "prod-a", "Region": "us-east-1"},
        {"AccountId": DEV_A1, "AccountName": "dev-a1", "Region": "eu-west-1"},
    ]
    assert status_items(session) == [skipped_item(LEGACY, "ALL")]


GLOBAL_OP = Operation(
    name="global-test",
    description="a global-scope operation, for tests",
    role="readonly",
    columns=("thing",),
    run=lambda session, target, params, dry_run: [],
    scope="global",
    home_region="us-east-1",
)


@pytest.mark.parametrize("regions", [None, ["eu-west-1", "eu-west-2"], "ALL"])
def test_a_global_operation_gets_one_target_per_account_in_its_home_region(
    session: boto3.Session, org: Org, monkeypatch: pytest.MonkeyPatch, regions: Any
) -> None:
    monkeypatch.setitem(operations.REGISTRY, "global-test", GLOBAL_OP)
    execution_input = {"Accounts": {"Include": [PROD_A, DEV_A1, LEGACY]}}
    if regions is not None:
        execution_input["Regions"] = regions

    result = run(session, execution_input, Operation="global-test")

    assert result["AccountRegions"] == items([PROD_A, DEV_A1], ["us-east-1"])
    assert status_items(session) == [skipped_item(LEGACY, "us-east-1")]


# --- the distributed path ----------------------------------------------------------------------


def test_above_the_threshold_targets_are_written_to_s3_in_batches(session: boto3.Session, org: Org) -> None:
    result = run(session, {"Accounts": {"Include": [PROD_A, PROD_B]}}, DistributedThreshold=5, BatchSize=4)

    key = "targets/orgops-unused-ebs-volumes/run-1/batches.json"
    assert (result["Mode"], result["TargetCount"], result["AccountRegions"]) == ("DISTRIBUTED", 6, [])
    assert result["Batches"] == {"Bucket": DATA_BUCKET, "Key": key}
    all_items = items([PROD_A, PROD_B])
    assert json.loads(read_object(session, key)) == [{"Targets": all_items[:4]}, {"Targets": all_items[4:]}]


# --- rejected input writes nothing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"Input": {"Regions": "eu-west-1"}}, 'Regions: must be a list of region names or "ALL", got "eu-west-1"'),
        ({"Input": {"Accounts": {"Include": ["999999999999"]}}}, "Accounts.Include[0]: 999999999999 is not an"),
        ({"Input": {"Accounts": {"Include": [LEGACY]}, "Colour": 1}}, "Colour: unknown key"),
        ({"Operation": "nope"}, "Operation: no operation named 'nope'"),
        ({"Input": {"Params": {"Bogus": 1}, "Accounts": {"Include": [LEGACY]}}}, "Params.Bogus: unknown parameter"),
        ({"DefaultRegions": "", "Input": {"Accounts": {"Include": [LEGACY]}}}, "DefaultRegions: no regions"),
        ({"DistributedThreshold": 0}, "DistributedThreshold: must be a positive integer"),
    ],
)
def test_rejected_input_writes_no_status_and_no_object(
    session: boto3.Session, org: Org, overrides: dict[str, Any], message: str
) -> None:
    bad = {**event(), **overrides}

    with pytest.raises(InvalidInput) as caught:
        fanout.fanout(bad, SETTINGS, session, now=NOW)

    assert str(caught.value).startswith(message)
    assert status_items(session) == []
    assert object_keys(session) == []


# --- the entry point ---------------------------------------------------------------------------


def test_handler_reads_its_settings_from_the_environment(
    session: boto3.Session, org: Org, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    monkeypatch.setenv("ORGOPS_DATA_BUCKET", DATA_BUCKET)
    monkeypatch.setenv("ORGOPS_STATUS_TABLE", STATUS_TABLE)
    monkeypatch.setenv("ORGOPS_RESULT_TTL_DAYS", "7")
    monkeypatch.delenv("ORGOPS_ORG_ROLE_ARN", raising=False)

    result = fanout.handler(event({"Accounts": {"Include": [PROD_A, LEGACY]}}), lambda_context)

    assert result["AccountRegions"] == items([PROD_A])
    assert [i["target"]["S"] for i in status_items(session)] == [f"{LEGACY}#{r}" for r in REGIONS]
    ttl = int(status_items(session)[0]["expires_at"]["N"])
    assert ttl == result["Common"]["ExpiresAt"]
    assert 7 * 86_400 - 60 < ttl - int(time.time()) <= 7 * 86_400


def test_handler_assumes_the_org_reader_role_when_one_is_configured(
    session: boto3.Session, org: Org, monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    monkeypatch.setenv("ORGOPS_DATA_BUCKET", DATA_BUCKET)
    monkeypatch.setenv("ORGOPS_STATUS_TABLE", STATUS_TABLE)
    monkeypatch.setenv("ORGOPS_ORG_ROLE_ARN", f"arn:aws:iam::{MANAGEMENT}:role/orgops-org-reader")
    assumed: list[str] = []
    real_assume = org_listing.assume_role

    def spy(session: boto3.Session, arn: str, **kwargs: Any) -> Any:
        assumed.append(arn)
        return real_assume(session, arn, **kwargs)

    monkeypatch.setattr(org_listing, "assume_role", spy)

    result = fanout.handler(event({"Accounts": {"Include": [PROD_B]}}), lambda_context)

    assert assumed == [f"arn:aws:iam::{MANAGEMENT}:role/orgops-org-reader"]
    assert result["AccountRegions"] == items([PROD_B])


@pytest.mark.parametrize("missing", ["ORGOPS_DATA_BUCKET", "ORGOPS_STATUS_TABLE"])
def test_handler_without_a_setting_names_the_missing_variable(
    monkeypatch: pytest.MonkeyPatch, lambda_context: Any, missing: str
) -> None:
    monkeypatch.setenv("ORGOPS_DATA_BUCKET", DATA_BUCKET)
    monkeypatch.setenv("ORGOPS_STATUS_TABLE", STATUS_TABLE)
    monkeypatch.delenv(missing)

    with pytest.raises(ConfigurationError, match=f"^environment variable {missing} is not set;"):
        fanout.handler(event(), lambda_context)
