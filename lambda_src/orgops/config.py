"""Settings each Lambda reads from its environment.

Terraform sets exactly these variables on each function (``modules/platform`` and
``modules/operation``); the emulator passes the same names, and a parity test checks both.
No secret is ever read from the environment: the Slack webhook URL lives in SSM Parameter Store
(SecureString) or Secrets Manager, and only its name is here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from orgops.errors import ConfigurationError

# orgops.observability's settings (Powertools), on every function.
POWERTOOLS_ENV = ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL")
# The user's operation modules (orgops.operations.MODULES_ENV), on every function: empty when
# only built-ins are deployed. Read by orgops.operations at import.
OPERATIONS_ENV = ("ORGOPS_OPERATION_MODULES",)
# The variable names each function gets, by function kind. The parity test compares these with
# the ``environment { variables = {...} }`` blocks of the Terraform modules.
FANOUT_ENV = (
    "ORGOPS_DATA_BUCKET",
    "ORGOPS_STATUS_TABLE",
    "ORGOPS_ORG_ROLE_ARN",
    "ORGOPS_RESULT_TTL_DAYS",
    "ORGOPS_INVENTORY_TABLE",  # the organization inventory (orgops.inventory)
    *OPERATIONS_ENV,
    *POWERTOOLS_ENV,
)
WORKER_ENV = (
    "ORGOPS_OPERATION",
    "ORGOPS_OPERATION_ROLE",
    "ORGOPS_MEMBER_ROLE_NAME",
    "ORGOPS_DATA_BUCKET",
    "ORGOPS_STATUS_TABLE",  # the run's failure counter (MaxErrors): read before a target, added to on a failure
    "ORGOPS_INVENTORY_TABLE",  # read by organization operations (accounts) only: their role may read it
    *OPERATIONS_ENV,
    *POWERTOOLS_ENV,
)
REPORT_ENV = (
    "ORGOPS_DATA_BUCKET",
    "ORGOPS_STATUS_TABLE",
    "ORGOPS_TOPIC_ARN",
    "ORGOPS_SLACK_WEBHOOK_PARAMETER",
    "ORGOPS_PLAN_TTL_HOURS",  # how long a dry run's plan can be applied (orgops.plans)
    *OPERATIONS_ENV,
    *POWERTOOLS_ENV,
)

# The organization inventory (orgops.inventory): the inventory function's settings. The fanout
# reads the table when ORGOPS_INVENTORY_TABLE is set (empty: it lists the organization live, as
# before); so does the ``accounts`` operation (read from the worker's environment).
INVENTORY_TABLE_ENV = "ORGOPS_INVENTORY_TABLE"
INVENTORY_ENV = (INVENTORY_TABLE_ENV, "ORGOPS_ORG_ROLE_ARN", *POWERTOOLS_ENV)  # it loads no operation

DEFAULT_RESULT_TTL_DAYS = 30
# A plan can be applied this long after its dry run started (Terraform's plan_ttl_hours).
DEFAULT_PLAN_TTL_HOURS = 24
MAX_PLAN_TTL_HOURS = 720


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ConfigurationError(
            f"environment variable {name} is not set; deploy the function with Terraform "
            "(modules/platform, modules/operation) or set it for local runs"
        )
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "")
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(f"environment variable {name} must be a positive whole number of days, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class FanoutSettings:
    data_bucket: str
    status_table: str
    org_role_arn: str | None
    result_ttl_days: int = DEFAULT_RESULT_TTL_DAYS
    inventory_table: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> FanoutSettings:
        env = os.environ if env is None else env
        return cls(
            data_bucket=_required(env, "ORGOPS_DATA_BUCKET"),
            status_table=_required(env, "ORGOPS_STATUS_TABLE"),
            org_role_arn=env.get("ORGOPS_ORG_ROLE_ARN") or None,
            result_ttl_days=_positive_int(env, "ORGOPS_RESULT_TTL_DAYS", DEFAULT_RESULT_TTL_DAYS),
            inventory_table=env.get(INVENTORY_TABLE_ENV) or None,
        )


@dataclass(frozen=True)
class InventorySettings:
    inventory_table: str
    org_role_arn: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> InventorySettings:
        env = os.environ if env is None else env
        return cls(
            inventory_table=_required(env, INVENTORY_TABLE_ENV),
            org_role_arn=env.get("ORGOPS_ORG_ROLE_ARN") or None,
        )


@dataclass(frozen=True)
class WorkerSettings:
    operation: str
    member_role_name: str
    data_bucket: str
    # The role Terraform deployed this worker for (readonly, admin, organization): the worker
    # refuses an operation that declares another.
    operation_role: str = ""
    # The status table, for the run's error budget (MaxErrors); None: a run with a budget fails its
    # targets with a ConfigurationError instead of running them unchecked.
    status_table: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerSettings:
        env = os.environ if env is None else env
        return cls(
            operation=_required(env, "ORGOPS_OPERATION"),
            member_role_name=_required(env, "ORGOPS_MEMBER_ROLE_NAME"),
            data_bucket=_required(env, "ORGOPS_DATA_BUCKET"),
            operation_role=_required(env, "ORGOPS_OPERATION_ROLE"),
            status_table=env.get("ORGOPS_STATUS_TABLE") or None,
        )


@dataclass(frozen=True)
class ReportSettings:
    data_bucket: str
    status_table: str
    topic_arn: str | None = None
    slack_webhook_parameter: str | None = None
    plan_ttl_hours: int = DEFAULT_PLAN_TTL_HOURS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReportSettings:
        env = os.environ if env is None else env
        raw = env.get("ORGOPS_PLAN_TTL_HOURS", "") or str(DEFAULT_PLAN_TTL_HOURS)
        ttl = int(raw) if raw.isdigit() else 0
        if not 1 <= ttl <= MAX_PLAN_TTL_HOURS:
            raise ConfigurationError(
                f"environment variable ORGOPS_PLAN_TTL_HOURS must be a whole number of hours from 1 to "
                f"{MAX_PLAN_TTL_HOURS} (30 days, when the stored rows a plan points at expire), got {raw!r}; set "
                "plan_ttl_hours in Terraform"
            )
        return cls(
            data_bucket=_required(env, "ORGOPS_DATA_BUCKET"),
            status_table=_required(env, "ORGOPS_STATUS_TABLE"),
            topic_arn=env.get("ORGOPS_TOPIC_ARN") or None,
            slack_webhook_parameter=env.get("ORGOPS_SLACK_WEBHOOK_PARAMETER") or None,
            plan_ttl_hours=ttl,
        )
