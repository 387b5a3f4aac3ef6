"""Each Lambda's settings come from its environment; a missing one names the variable."""

from __future__ import annotations

import pytest

from orgops.config import FanoutSettings, ReportSettings, WorkerSettings
from orgops.errors import ConfigurationError

FANOUT = {"ORGOPS_DATA_BUCKET": "data", "ORGOPS_STATUS_TABLE": "status"}
WORKER = {
    "ORGOPS_OPERATION": "public-ips",
    "ORGOPS_OPERATION_ROLE": "readonly",
    "ORGOPS_MEMBER_ROLE_NAME": "operation-readonly",
    "ORGOPS_DATA_BUCKET": "d",
}
REPORT = {"ORGOPS_DATA_BUCKET": "data", "ORGOPS_STATUS_TABLE": "status"}


def test_fanout_settings_with_defaults() -> None:
    assert FanoutSettings.from_env(FANOUT) == FanoutSettings("data", "status", org_role_arn=None, result_ttl_days=30)


def test_fanout_settings_with_every_variable() -> None:
    env = {**FANOUT, "ORGOPS_ORG_ROLE_ARN": "arn:aws:iam::123456789012:role/r", "ORGOPS_RESULT_TTL_DAYS": "7"}

    assert FanoutSettings.from_env(env) == FanoutSettings("data", "status", "arn:aws:iam::123456789012:role/r", 7)


def test_worker_settings() -> None:
    assert WorkerSettings.from_env(WORKER) == WorkerSettings("public-ips", "operation-readonly", "d", "readonly")


def test_report_settings_without_notifications() -> None:
    assert ReportSettings.from_env(REPORT) == ReportSettings(
        "data", "status", topic_arn=None, slack_webhook_parameter=None
    )


def test_report_settings_name_the_slack_parameter_never_its_value() -> None:
    env = {**REPORT, "ORGOPS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t", "ORGOPS_SLACK_WEBHOOK_PARAMETER": "/p"}

    settings = ReportSettings.from_env(env)

    assert (settings.topic_arn, settings.slack_webhook_parameter) == ("arn:aws:sns:us-east-1:123456789012:t", "/p")


@pytest.mark.parametrize(
    ("kind", "env", "missing"),
    [
        (FanoutSettings, FANOUT, "ORGOPS_DATA_BUCKET"),
        (FanoutSettings, FANOUT, "ORGOPS_STATUS_TABLE"),
        (WorkerSettings, WORKER, "ORGOPS_OPERATION"),
        (WorkerSettings, WORKER, "ORGOPS_MEMBER_ROLE_NAME"),
        (WorkerSettings, WORKER, "ORGOPS_OPERATION_ROLE"),
        (WorkerSettings, WORKER, "ORGOPS_DATA_BUCKET"),
        (ReportSettings, REPORT, "ORGOPS_DATA_BUCKET"),
        (ReportSettings, REPORT, "ORGOPS_STATUS_TABLE"),
    ],
)
def test_a_missing_variable_is_a_configuration_error_naming_it(kind: type, env: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        kind.from_env({k: v for k, v in env.items() if k != missing})

    assert str(caught.value) == (
        f"environment variable {missing} is not set; deploy the function with Terraform "
        "(modules/platform, modules/operation) or set it for local runs"
    )


def test_an_empty_variable_counts_as_missing() -> None:
    with pytest.raises(ConfigurationError, match=r"^environment variable ORGOPS_STATUS_TABLE is not set;"):
        FanoutSettings.from_env({**FANOUT, "ORGOPS_STATUS_TABLE": ""})


@pytest.mark.parametrize("value", ["0", "-3", "thirty", "1.5"])
def test_a_result_ttl_that_is_not_a_positive_whole_number_is_refused(value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        FanoutSettings.from_env({**FANOUT, "ORGOPS_RESULT_TTL_DAYS": value})

    assert str(caught.value) == (
        f"environment variable ORGOPS_RESULT_TTL_DAYS must be a positive whole number of days, got {value!r}"
    )
