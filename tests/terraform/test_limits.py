"""AWS limits a configuration decides are refused by Terraform's own validation, evaluated by
Terraform (``terraform console`` over the variable's block alone): each with AWS's number."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import hcl2
import pytest

from tests.observability.terraform_eval import TerraformError, evaluate
from tests.terraform import hcl
from tests.terraform.policies import variable_block
from tests.terraform.test_state_machine_template import rendered_text

OPERATION_VARIABLES = hcl.MODULES / "operation" / "variables.tf"


def check(tmp_path: Path, variables: Path, name: str, value: object) -> str | None:
    """None when Terraform accepts ``value`` for the variable, else its message (unwrapped)."""
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "variables.tf").write_text(variable_block(variables, name))
    (source / "main.tf").write_text("")
    try:
        evaluate(tmp_path, {name: value}, f"jsonencode(var.{name})", module=source, files=("variables.tf", "main.tf"))
    except TerraformError as exc:
        return " ".join(str(exc).replace("│", " ").split())
    return None


@pytest.mark.parametrize(("value", "accepted"), [(40, True), (1, True), (41, False), (1000, False)])
def test_the_inline_map_concurrency_is_at_most_awss_40(tmp_path: Path, value: int, accepted: bool) -> None:
    # "In this mode, the Map state supports up to 40 concurrent iterations" (Step Functions guide).
    said = check(tmp_path, OPERATION_VARIABLES, "max_concurrency", value)

    if accepted:
        assert said is None
    else:
        assert said is not None
        assert "an inline Map runs at most 40 iterations at once on AWS" in said


MEMBER_VARIABLES = hcl.MODULES / "member-roles" / "variables.tf"


@pytest.mark.parametrize("name", ["readonly_policy_arns", "admin_policy_arns"])
def test_a_role_gets_at_most_iams_10_managed_policies(tmp_path: Path, name: str) -> None:
    arns = [f"arn:aws:iam::111111111111:policy/p{i}" for i in range(11)]

    refused = check(tmp_path, MEMBER_VARIABLES, name, arns)
    accepted = check(tmp_path, MEMBER_VARIABLES, name, arns[:10])

    assert refused is not None and "1 to 10 managed policy ARNs (IAM's limit per role)" in refused
    assert accepted is None


# --- combinations of the operation module's variables (modules/operation/limits.tf) -----------------

OPERATION_LIMITS = hcl.MODULES / "operation" / "limits.tf"
OPERATION_MAIN = hcl.MODULES / "operation" / "main.tf"


def limits_variables() -> list[str]:
    """The variables limits.tf reads, in order."""
    return sorted(set(re.findall(r"\bvar\.(\w+)", OPERATION_LIMITS.read_text(encoding="utf-8"))))


def operation_limits(tmp_path: Path, expression: str = "local.limit_errors", **values: object) -> object:
    """``expression`` as Terraform evaluates it over limits.tf and the blocks of the variables it
    reads (their defaults, their validations), with ``values`` set."""
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    blocks = "".join(variable_block(OPERATION_VARIABLES, name) for name in limits_variables())
    (source / "variables.tf").write_text(blocks)
    shutil.copy(OPERATION_LIMITS, source / "limits.tf")
    return evaluate(tmp_path, values, f"jsonencode({expression})", module=source, files=("variables.tf", "limits.tf"))


def test_the_defaults_break_no_limit_and_leave_room_in_each(tmp_path: Path) -> None:
    figures = operation_limits(
        tmp_path,
        "{ errors = local.limit_errors, express = local.express_batch_worst_sec, history = local.history_worst_events, "
        "workers = local.workers_at_once_distributed }",
    )

    # 1 round x (60 s x 3 attempts + 2 + 4 s back-off + RecordStatus 10 s x 5 attempts + 1 + 2 + 4 + 8 s)
    assert figures == {"errors": [], "express": 251, "history": 54 + 500 * 34, "workers": 50}


def test_an_express_batch_that_cannot_finish_in_5_minutes_is_refused_naming_the_variables(tmp_path: Path) -> None:
    errors = operation_limits(tmp_path, worker_timeout_seconds=300)

    assert errors == [
        "An EXPRESS child runs at most 300 s, and a batch can take 971 s: 1 round(s) of batch_size (10) / "
        "batch_max_concurrency (10) x (worker_timeout_seconds 300 x 3 attempts (worker_retry_max_attempts 2) + 6 s "
        "back-off + RecordStatus 65 s). Lower worker_timeout_seconds or worker_retry_max_attempts, raise "
        'batch_max_concurrency, lower batch_size, or set child_execution_type = "STANDARD".'
    ]
    assert operation_limits(tmp_path, worker_timeout_seconds=300, child_execution_type="STANDARD") == []


def test_rounds_of_a_batch_count_against_the_express_budget(tmp_path: Path) -> None:
    # 10 targets, 5 at once: 2 rounds of 251 s
    assert operation_limits(tmp_path, "local.express_batch_worst_sec", batch_max_concurrency=5) == 502
    assert operation_limits(tmp_path, "length(local.limit_errors)", batch_max_concurrency=5) == 1


@pytest.mark.parametrize(
    ("values", "workers"),
    [({"distributed_max_concurrency": 6}, 60), ({"distributed_max_concurrency": 100, "batch_size": 20}, 2000)],
)
def test_more_workers_at_once_than_the_reserved_concurrency_is_refused(
    tmp_path: Path, values: dict[str, int], workers: int
) -> None:
    errors = operation_limits(tmp_path, **values)

    assert isinstance(errors, list)
    assert [e for e in errors if e.startswith("The distributed Map")] == [
        f"The distributed Map runs up to {workers} workers at once (distributed_max_concurrency "
        f"{values['distributed_max_concurrency']} x batch_max_concurrency {values.get('batch_size', 10)}), above "
        "worker_reserved_concurrency (50): the rest would be throttled. Lower distributed_max_concurrency or "
        "batch_max_concurrency, or raise worker_reserved_concurrency (and the account's Lambda concurrency quota)."
    ]
    raised = {**values, "worker_reserved_concurrency": workers}
    assert [e for e in operation_limits(tmp_path, **raised) if e.startswith("The distributed Map")] == []


def test_an_inline_map_wider_than_the_reserved_concurrency_is_refused(tmp_path: Path) -> None:
    distributed = (
        "The distributed Map runs up to 50 workers at once (distributed_max_concurrency 5 x "
        "batch_max_concurrency 10), above worker_reserved_concurrency (30): the rest would be throttled. "
        "Lower distributed_max_concurrency or batch_max_concurrency, or raise worker_reserved_concurrency "
        "(and the account's Lambda concurrency quota)."
    )
    inline = (
        "The inline Map runs up to max_concurrency (40) workers at once, above worker_reserved_concurrency "
        "(30): the rest would be throttled. Lower max_concurrency or raise worker_reserved_concurrency."
    )

    assert operation_limits(tmp_path, worker_reserved_concurrency=30) == [distributed, inline]


@pytest.mark.parametrize(("threshold", "refused"), [(733, False), (734, True), (2000, True)])
def test_a_threshold_whose_worst_case_history_passes_25000_events_is_refused(
    tmp_path: Path, threshold: int, refused: bool
) -> None:
    errors = operation_limits(tmp_path, distributed_threshold=threshold)

    if not refused:
        assert errors == []
        return
    assert errors == [
        f"A run of distributed_threshold ({threshold}) inline targets can record {54 + threshold * 34} history events "
        "when every target is retried and caught (34 per target with worker_retry_max_attempts 2), above a Standard "
        "execution's 25000. Lower distributed_threshold to at most 733 (larger runs take the distributed Map) or "
        "lower worker_retry_max_attempts."
    ]


def test_the_state_machine_refuses_the_plan_with_every_limit_error() -> None:
    # Terraform 1.0 (the one here) has no preconditions: the wiring is read from the HCL.
    (block,) = [b for b in hcl.typed_blocks("resource", [OPERATION_MAIN]) if b.type == "aws_sfn_state_machine"]
    (condition,) = block.body["lifecycle"][0]["precondition"]

    assert condition["condition"] == "${length(local.limit_errors) == 0}"
    assert condition["error_message"] == '${join("\\n", local.limit_errors)}'


def test_the_rendered_retries_are_the_ones_limits_tf_counts(tmp_path: Path) -> None:
    # The template's fixed Retry numbers and limits.tf's: the budget counts what AWS will run.
    record = operation_limits(tmp_path, "local.record_status")
    worker = operation_limits(tmp_path, "local.worker_retry")
    definition = json.loads(rendered_text())
    inline = definition["States"]["InlineMap"]["ItemProcessor"]["States"]
    batch = definition["States"]["DistributedMap"]["ItemProcessor"]["States"]["Batch"]["ItemProcessor"]["States"]

    for states, worker_state, record_state in (
        (inline, "Worker", "RecordStatus"),
        (batch, "BatchWorker", "BatchRecordStatus"),
    ):
        (w,) = states[worker_state]["Retry"]
        (r,) = states[record_state]["Retry"]
        assert (w["IntervalSeconds"], w["BackoffRate"], w["MaxDelaySeconds"], w["MaxAttempts"]) == (
            worker["interval_seconds"],
            worker["backoff_rate"],
            worker["max_delay_seconds"],
            worker["max_attempts"],
        )
        assert (r["IntervalSeconds"], r["BackoffRate"], r["MaxDelaySeconds"], r["MaxAttempts"]) == (
            record["interval_seconds"],
            record["backoff_rate"],
            record["max_delay_seconds"],
            record["max_attempts"],
        )
        assert states[record_state]["TimeoutSeconds"] == record["timeout_seconds"]


# --- the root: every operation's reservation out of the account's Lambda concurrency -----------------

ROOT_VARIABLES = hcl.COMPOSITION / "variables.tf"
ROOT_LIMITS = hcl.COMPOSITION / "limits.tf"


def root_limits(tmp_path: Path, operations: dict[str, dict[str, object]], **values: object) -> object:
    source = tmp_path / "root"
    source.mkdir(exist_ok=True)
    blocks = "".join(variable_block(ROOT_VARIABLES, n) for n in ("operations", "lambda_concurrency_quota"))
    (source / "variables.tf").write_text(blocks)
    # Only the locals: the terraform_data resource would need `terraform init`.
    text = ROOT_LIMITS.read_text(encoding="utf-8")
    (source / "limits.tf").write_text(text[: text.index('resource "terraform_data"')])
    return evaluate(
        tmp_path,
        {"operations": operations, **values},
        "jsonencode(local.limit_errors)",
        module=source,
        files=("variables.tf", "limits.tf"),
    )


def test_the_example_operations_fit_a_default_accounts_lambda_concurrency(tmp_path: Path) -> None:
    example = hcl2.load((hcl.ROOT_CONFIG / "terraform.tfvars.example").open())["operations"]
    operations = {
        hcl.string(name): {
            "role": hcl.string(op["role"]),
            **(
                {"worker_reserved_concurrency": op["worker_reserved_concurrency"]}
                if "worker_reserved_concurrency" in op
                else {}
            ),
        }
        for name, op in example.items()
    }

    assert len(operations) >= 13
    assert root_limits(tmp_path, operations) == []


def test_every_example_operation_fits_the_operation_modules_limits(tmp_path: Path) -> None:
    example = hcl2.load((hcl.ROOT_CONFIG / "terraform.tfvars.example").open())["operations"]
    wanted = set(limits_variables())
    for name, op in example.items():
        values = {k: v for k, v in op.items() if k in wanted}
        assert operation_limits(tmp_path, **values) == [], hcl.string(name)


def test_reservations_beyond_the_quota_less_100_unreserved_are_refused(tmp_path: Path) -> None:
    fits = {"vpcs": {"role": "readonly", "worker_reserved_concurrency": 850}, "tags": {"role": "readonly"}}
    too_many = {**fits, "vpcs": {"role": "readonly", "worker_reserved_concurrency": 851}}

    assert root_limits(tmp_path, fits) == []
    assert root_limits(tmp_path, too_many) == [
        "The operations reserve 901 concurrent executions (worker_reserved_concurrency: tags 50, vpcs 851), more "
        "than the 900 Lambda lets this account reserve (lambda_concurrency_quota 1000 less the 100 it keeps "
        "unreserved). Lower some operations' worker_reserved_concurrency (and their Maps' concurrency), or raise the "
        "quota in Service Quotas (L-B99A9384) and lambda_concurrency_quota."
    ]
    assert root_limits(tmp_path, too_many, lambda_concurrency_quota=1001) == []


def test_the_root_refuses_the_plan_with_every_limit_error() -> None:
    (block,) = [b for b in hcl.typed_blocks("resource", [ROOT_LIMITS]) if b.type == "terraform_data"]
    (condition,) = block.body["lifecycle"][0]["precondition"]

    assert condition["condition"] == "${length(local.limit_errors) == 0}"
    assert condition["error_message"] == '${join("\\n", local.limit_errors)}'
