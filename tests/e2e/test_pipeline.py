"""The deployed state machines, executed by moto's Step Functions interpreter, calling the real
handlers, against an emulated organization (see conftest.py)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from orgops import operations, report, store
from orgops.emulator import StackSettings, seed
from orgops.emulator.lambdas import FANOUT_HANDLER
from tests.e2e.conftest import REGIONS, SUSPENDED, UNREACHABLE, Emulated

SEEDED = sorted((set(seed.SEEDERS) | set(seed.ORGANIZATION_SEEDERS)) & set(operations.REGISTRY))
UNSEEDED = sorted(set(operations.REGISTRY) - set(SEEDED))


def _input(operation: str) -> dict[str, object]:
    return {"Regions": REGIONS, "Params": seed.EXAMPLE_PARAMS.get(operation, {})}


def _sorted(rows: list[dict[str, str]]) -> list[list[tuple[str, str]]]:
    return sorted(sorted(r.items()) for r in rows)


def _objects(emulated: Emulated, prefix: str) -> list[str]:
    s3 = emulated.emu.session().client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=emulated.emu.stack.data_bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


@pytest.mark.e2e
@pytest.mark.parametrize("operation", SEEDED)
def test_each_seeded_operation_reports_exactly_the_rows_seeded_for_it(emulated: Emulated, operation: str) -> None:
    assert emulated.expected[operation], f"the {operation} seeder left nothing for it to find in this world"

    ex = emulated.emu.run(operation, _input(operation))

    assert ex.status == "SUCCEEDED", ex.cause
    assert ex.output is not None
    rows = emulated.emu.read_csv(ex.output["ReportUri"])
    assert _sorted(rows) == _sorted(emulated.expected[operation])
    assert rows == sorted(rows, key=lambda r: (r["account_id"], r["region"]))  # the report's key order
    assert ex.output["Rows"] == len(emulated.expected[operation])


def test_every_registered_operation_has_a_seeder_so_the_demo_and_these_tests_find_something() -> None:
    assert UNSEEDED == [], f"add a seeder (orgops.emulator.seed) for: {', '.join(UNSEEDED)}"


@pytest.mark.e2e
def test_a_target_whose_role_cannot_be_assumed_is_an_error_row_and_the_run_succeeds(emulated: Emulated) -> None:
    unreachable = emulated.world.account_id(UNREACHABLE)

    ex = emulated.emu.run("unused-ebs-volumes", {"Regions": REGIONS})

    assert ex.status == "SUCCEEDED", ex.cause
    assert ex.output is not None
    errors = emulated.emu.read_csv(ex.output["ErrorsUri"])
    role = f"arn:aws:iam::{unreachable}:role/operation-readonly"
    assert [(e["account_id"], e["account_name"], e["region"], e["error_code"]) for e in errors] == [
        (unreachable, UNREACHABLE, region, "AccessDenied") for region in REGIONS
    ]
    for e in errors:
        assert e["error_message"] == (
            f"cannot assume {role}: AccessDenied: User: arn:aws:sts::{emulated.emu.stack.account_id}:assumed-role/"
            f"operation-readonly-lambda/orgops-unused-ebs-volumes-worker is not authorized to perform: "
            f"sts:AssumeRole on resource: {role}"
        )
    reachable = len(emulated.world.assumable_accounts)
    assert ex.output == {
        **ex.output,
        "Targets": (reachable + 2) * len(REGIONS),  # + the unreachable account + the suspended one
        "Succeeded": reachable * len(REGIONS),
        "Failed": len(REGIONS),
        "Skipped": len(REGIONS),
    }
    rows = emulated.emu.read_csv(ex.output["ReportUri"])
    assert {r["account_id"] for r in rows} == set(emulated.world.assumable_accounts.values())


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("execution_input", "field"),
    [
        ({"Regions": ["eu-west-1", "mars-north-1x"]}, "Regions[1]"),
        ({"Regions": REGIONS, "Params": {"Verbose": True}}, "Params.Verbose"),
        ({"Accounts": {"Include": ["12345"]}}, "Accounts.Include[0]"),
    ],
)
def test_bad_input_fails_the_execution_naming_the_field_before_any_worker_runs(
    emulated: Emulated, execution_input: dict[str, object], field: str
) -> None:
    router = emulated.emu.router
    router.reset_counts()

    ex = emulated.emu.run("unused-ebs-volumes", execution_input)

    assert ex.status == "FAILED"
    assert ex.error == "InvalidInput"
    assert json.loads(ex.cause or "{}")["errorMessage"].startswith(f"{field}: ")
    # the EventBridge rule on FAILED fired (as on AWS): the report function wrote nothing for it
    assert router.invocations == {"orgops-fanout": 1, "orgops-report": 1}
    name = ex.arn.rsplit(":", 1)[1]
    sm = emulated.emu.stack.state_machines["unused-ebs-volumes"].rsplit(":", 1)[1]
    assert _objects(emulated, f"results/{sm}/{name}/") == []
    assert _objects(emulated, f"reports/unused-ebs-volumes/{name}/") == []
    assert _objects(emulated, f"targets/{sm}/{name}/") == []
    ddb = emulated.emu.session().client("dynamodb")
    assert list(store.iter_statuses(ddb, emulated.emu.stack.status_table, ex.arn)) == []


@pytest.mark.e2e
def test_the_distributed_path_gives_the_same_report_as_the_inline_path(emulated: Emulated) -> None:
    settings = StackSettings(name_prefix="orgops-dist")
    low = settings.defaults.__class__(regions=tuple(REGIONS), distributed_threshold=2, batch_size=3)
    distributed = emulated.emu.deploy_stack(
        StackSettings(name_prefix="orgops-dist", defaults=low), ["unused-ebs-volumes"]
    )

    inline_ex = emulated.emu.run("unused-ebs-volumes", {"Regions": REGIONS})
    dist_ex = emulated.emu.run("unused-ebs-volumes", {"Regions": REGIONS}, stack=distributed)

    assert (inline_ex.status, dist_ex.status) == ("SUCCEEDED", "SUCCEEDED"), dist_ex.cause
    assert inline_ex.output is not None and dist_ex.output is not None
    history = emulated.emu.history(dist_ex.arn)
    assert any(e["type"] == "MapRunStarted" for e in history)  # it did take the distributed path
    assert emulated.emu.read_object(dist_ex.output["ReportUri"]) == emulated.emu.read_object(
        inline_ex.output["ReportUri"]
    )
    # The same failures; only the role session name in the message differs (another worker function).
    failures = [
        [(e["account_id"], e["region"], e["error_code"]) for e in emulated.emu.read_csv(out["ErrorsUri"])]
        for out in (dist_ex.output, inline_ex.output)
    ]
    assert failures[0] == failures[1] != []
    keep = ("Targets", "Succeeded", "Failed", "Skipped", "Rows")
    assert {k: dist_ex.output[k] for k in keep} == {k: inline_ex.output[k] for k in keep}


@pytest.mark.e2e
def test_a_handler_exception_is_a_lambda_function_error_the_worker_catch_records(emulated: Emulated) -> None:
    router = emulated.emu.router

    def explode(function_name: str, event: dict[str, object]) -> None:
        target = event.get("Target") or {}
        if function_name.endswith("-worker") and isinstance(target, dict) and target.get("Region") == "us-east-1":
            raise RuntimeError("injected fault")

    router.before_invoke.append(explode)
    try:
        ex = emulated.emu.run("unused-ebs-volumes", {"Regions": REGIONS})
    finally:
        router.before_invoke.remove(explode)

    assert ex.status == "SUCCEEDED", ex.cause
    assert ex.output is not None
    errors = emulated.emu.read_csv(ex.output["ErrorsUri"])
    assert {(e["region"], e["error_code"]) for e in errors} == {
        ("us-east-1", "RuntimeError"),
        ("eu-west-1", "AccessDenied"),
    }
    assert {e["error_message"] for e in errors if e["error_code"] == "RuntimeError"} == {"injected fault"}
    assert tuple(errors[0]) == report.ERROR_COLUMNS


def test_handler_strings_route_to_the_handlers_terraform_deploys() -> None:
    assert FANOUT_HANDLER == "orgops.handlers.fanout.handler"


def _assume(emulated: Emulated, account_id: str, role: str) -> str:
    sts = emulated.emu.session().client("sts")
    try:
        sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role}", RoleSessionName="test")
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return "OK"


@pytest.mark.e2e
def test_the_management_account_reaches_a_created_account_through_organization_account_access_role(
    emulated: Emulated,
) -> None:
    assert _assume(emulated, emulated.world.account_id("prod-payments"), "OrganizationAccountAccessRole") == "OK"


@pytest.mark.e2e
def test_assume_role_into_a_role_that_does_not_exist_is_denied(emulated: Emulated) -> None:
    assert _assume(emulated, emulated.world.account_id(UNREACHABLE), "operation-readonly") == "AccessDenied"


@pytest.mark.e2e
def test_a_member_role_trusts_only_its_worker_role(emulated: Emulated) -> None:
    assert _assume(emulated, emulated.world.account_id("prod-payments"), "operation-readonly") == "AccessDenied"


@pytest.mark.e2e
def test_assume_role_into_a_suspended_account_is_denied(emulated: Emulated) -> None:
    assert _assume(emulated, emulated.world.account_id(SUSPENDED), "OrganizationAccountAccessRole") == "AccessDenied"


@pytest.mark.e2e
def test_no_admin_role_in_the_management_account_unless_asked_for(emulated: Emulated) -> None:
    # The default management_account_roles is ["readonly"]: an admin worker must not administer
    # the organization from its management account.
    management = emulated.world.management_account_id
    params = seed.EXAMPLE_PARAMS.get("tag-remediation", {})

    admin = emulated.emu.run(
        "tag-remediation", {"Regions": ["eu-west-1"], "Accounts": {"Include": [management]}, "Params": params}
    )
    readonly = emulated.emu.run("unused-ebs-volumes", {"Regions": ["eu-west-1"], "Accounts": {"Include": [management]}})

    assert (admin.status, readonly.status) == ("SUCCEEDED", "SUCCEEDED")
    ddb = emulated.emu.session().client("dynamodb")
    (denied,) = store.iter_statuses(ddb, emulated.emu.stack.status_table, admin.arn)
    assert (denied["status"], denied["error_code"]) == ("FAILED", "AccessDenied")
    assert denied["error_message"].startswith(
        f"cannot assume arn:aws:iam::{management}:role/operation-admin: AccessDenied"
    )
    (allowed,) = store.iter_statuses(ddb, emulated.emu.stack.status_table, readonly.arn)
    assert allowed["status"] == "SUCCEEDED"


@pytest.mark.e2e
def test_a_member_role_missing_one_action_fails_exactly_the_targets_that_need_it(emulated: Emulated) -> None:
    # unused-nat-gateways calls cloudwatch:GetMetricData only where it found NAT gateways.
    from orgops.emulator import iam_policies

    before = iam_policies.member_policies()
    iam_policies.revoke("operation-readonly", "cloudwatch:GetMetricData")
    try:
        ex = emulated.emu.run("unused-nat-gateways", _input("unused-nat-gateways"))
    finally:
        iam_policies.set_member_policies(before)

    assert ex.status == "SUCCEEDED", ex.cause
    ddb = emulated.emu.session().client("dynamodb")
    statuses = list(store.iter_statuses(ddb, emulated.emu.stack.status_table, ex.arn))
    with_gateways = {(r["account_id"], r["region"]) for r in emulated.expected["unused-nat-gateways"]}
    failed = {(s["account_id"], s["region"]): s for s in statuses if s["status"] == "FAILED"}
    denied = {
        k
        for k, s in failed.items()
        if s["error_code"] == "AccessDenied" and "perform: cloudwatch:GetMetricData" in s["error_message"]
    }
    assert with_gateways and denied == with_gateways
    others = {(s["account_id"], s["region"]) for s in statuses if s["status"] == "SUCCEEDED"}
    reachable = set(emulated.world.assumable_for("readonly").values())
    assert {(a, r) for a in reachable for r in REGIONS} == others | denied
    # the only other failures: the account the StackSet never reached (its role cannot be assumed)
    unreachable = emulated.world.account_id(UNREACHABLE)
    assert {k for k in failed if k not in denied} == {(unreachable, r) for r in REGIONS}


@pytest.mark.e2e
def test_member_roles_allow_exactly_the_deployed_operations_declared_actions(emulated: Emulated) -> None:
    from orgops.emulator import iam_policies

    policies = iam_policies.member_policies()
    ops = operations.REGISTRY
    for role, name in (("readonly", "operation-readonly"), ("admin", "operation-admin")):
        # every declared action, on "*" or on each ARN pattern its operation scopes it to
        declared = {
            iam_policies.Grant(action.lower(), resource, condition)
            for op in ops.values()
            if op.role == role
            for action, resources, condition in (
                (g["action"], g["resources"], json.dumps(g["condition"], sort_keys=True) if g["condition"] else "")
                for g in op.grants()
            )
            for resource in resources
        }
        assert policies[name] == declared
    assert (
        iam_policies.Grant("ec2:revokesecuritygroupingress", "arn:${Partition}:ec2:*:${Account}:security-group/*")
        in policies["operation-admin"]
    )
