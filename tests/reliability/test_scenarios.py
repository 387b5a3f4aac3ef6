"""What orgops survives: faults injected into one emulated world, each execution run through the
deployed state machine, and the report checked to account for every target exactly once.

The world and the injection seams are in ``conftest.py`` and ``faults.py``; the invariant in
``accounting.py``. Each test selects its own accounts, so the faults of one never reach another.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from orgops import operations, store
from orgops.sessions import client
from orgops.targets import Target
from tests.reliability.accounting import account_for_every_target
from tests.reliability.conftest import REGIONS, Reliability
from tests.reliability.faults import LambdaFault, Rule, SleepRecorder

pytestmark = pytest.mark.e2e

EBS = "unused-ebs-volumes"
SG = "sg-open-ingress-remediation"
WORKER = "orgops-unused-ebs-volumes-worker"


def run(rel: Reliability, operation: str, *names: str, regions: tuple[str, ...] = REGIONS, **extra: Any) -> Any:
    execution_input = {"Regions": list(regions), "Accounts": {"Include": [rel.id(n) for n in names]}, **extra}
    return rel.emu.run(operation, execution_input)


def volume_ids(rows: list[dict[str, str]], account_id: str, region: str) -> list[str]:
    return sorted(r["volume_id"] for r in rows if (r["account_id"], r["region"]) == (account_id, region))


def seeded_ids(rel: Reliability, name: str, region: str) -> list[str]:
    return sorted(v["volume_id"] for v in rel.volumes[(rel.id(name), region)])


def worker_of(account_id: str, region: str) -> Any:
    def selected(function_name: str, event: dict[str, Any]) -> bool:
        target = event.get("Target") or {}
        return function_name == WORKER and (target.get("AccountId"), target.get("Region")) == (account_id, region)

    return selected


@pytest.fixture
def botocore_sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    """The waits botocore's retry handler asks for (botocore.endpoint sleeps between attempts)."""
    recorder = SleepRecorder()
    monkeypatch.setattr("botocore.endpoint.time", recorder)
    return recorder


@pytest.fixture
def state_machine_sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    """The waits moto's ASL interpreter asks for between a Task's Retry attempts."""
    recorder = SleepRecorder()
    monkeypatch.setattr("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl.time", recorder)
    return recorder


# -- 1. AssumeRole denied ----------------------------------------------------------------------------
def test_targets_whose_member_role_is_missing_or_untrusting_fail_with_access_denied_and_the_rest_complete(
    faults: Reliability,
) -> None:
    execution = run(faults, EBS, "alpha", "nomad", "skewed")

    acc = account_for_every_target(faults.emu, execution, faults.targets("alpha", "nomad", "skewed"))
    assert (acc.output["Succeeded"], acc.output["Failed"], acc.output["Skipped"]) == (2, 4, 0)
    caller = f"arn:aws:sts::{faults.world.management_account_id}:assumed-role/operation-readonly-lambda/{WORKER}"
    for name in ("nomad", "skewed"):
        role = f"arn:aws:iam::{faults.id(name)}:role/operation-readonly"
        for region in REGIONS:
            assert acc.error_of(faults.id(name), region) == (
                "AccessDenied",
                f"cannot assume {role}: AccessDenied: User: {caller} is not authorized to perform: "
                f"sts:AssumeRole on resource: {role}",
            )
    for region in REGIONS:
        assert volume_ids(acc.report, faults.id("alpha"), region) == seeded_ids(faults, "alpha", region)


# -- 2. Throttling inside an operation -----------------------------------------------------------------
def test_throttling_bursts_on_an_operations_calls_are_retried_with_backoff_and_the_rows_are_complete(
    faults: Reliability, botocore_sleeps: SleepRecorder
) -> None:
    burst = faults.service_faults.add(
        Rule(
            "DescribeVolumes",
            ("ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"),
            times=6,
            account=faults.id("alpha"),
            region="eu-west-1",
        )
    )

    execution = run(faults, EBS, "alpha", "bravo")

    acc = account_for_every_target(faults.emu, execution, faults.targets("alpha", "bravo"))
    assert (acc.output["Succeeded"], acc.output["Failed"]) == (4, 0)
    assert (burst.failed, burst.seen) == (6, 7)  # six throttled answers, then the seventh attempt went through
    for name in ("alpha", "bravo"):
        for region in REGIONS:
            assert volume_ids(acc.report, faults.id(name), region) == seeded_ids(faults, name, region)
    # botocore's standard mode: one wait before each retry, random in [0, 2^(retry-1)] seconds (max 20).
    assert len(botocore_sleeps.sleeps) == 6
    assert all(0 <= s <= min(2**i, 20) for i, s in enumerate(botocore_sleeps.sleeps))


def test_a_throttling_burst_longer_than_the_retry_budget_fails_only_that_target_with_the_aws_code(
    faults: Reliability, botocore_sleeps: SleepRecorder
) -> None:
    # orgops.sessions.RETRY_CONFIG: standard mode, max_attempts 10, which botocore counts as
    # retries: 11 attempts in all, 10 waits.
    burst = faults.service_faults.add(
        Rule("DescribeVolumes", ("RequestLimitExceeded",), times=1000, account=faults.id("bravo"), region="us-east-1")
    )

    execution = run(faults, EBS, "alpha", "bravo")

    acc = account_for_every_target(faults.emu, execution, faults.targets("alpha", "bravo"))
    assert burst.seen == 11
    assert len(botocore_sleeps.sleeps) == 10
    assert acc.error_of(faults.id("bravo"), "us-east-1") == ("RequestLimitExceeded", "injected by tests/reliability")
    assert (acc.output["Succeeded"], acc.output["Failed"]) == (3, 1)


# -- 3. Lambda throttling and transient Lambda errors ------------------------------------------------
def test_lambda_throttling_and_service_errors_on_the_worker_are_absorbed_by_the_state_machines_retry(
    faults: Reliability, state_machine_sleeps: SleepRecorder
) -> None:
    alpha, bravo = faults.id("alpha"), faults.id("bravo")
    throttled = faults.lambda_faults.add(
        LambdaFault(worker_of(alpha, "eu-west-1"), "TooManyRequestsException", 429, times=2)
    )
    broken = faults.lambda_faults.add(LambdaFault(worker_of(bravo, "us-east-1"), "ServiceException", 500, times=1))
    faults.emu.router.reset_counts()

    execution = run(faults, EBS, "alpha", "bravo")

    acc = account_for_every_target(faults.emu, execution, faults.targets("alpha", "bravo"))
    assert (acc.output["Succeeded"], acc.output["Failed"]) == (4, 0)
    assert (throttled.failed, broken.failed) == (2, 1)
    assert faults.emu.router.invocations[WORKER] == 4  # the handler ran once per target
    failures = [
        e["taskFailedEventDetails"]["error"] for e in faults.emu.history(execution.arn) if e["type"] == "TaskFailed"
    ]
    assert sorted(failures) == ["Lambda.ServiceException", *["Lambda.TooManyRequestsException"] * 2]
    # Retry: IntervalSeconds 2, BackoffRate 2, JitterStrategy FULL -> waits in [0, 2] then [0, 4].
    assert len(state_machine_sleeps.sleeps) == 3
    assert all(0 <= s <= 4 for s in state_machine_sleeps.sleeps)


# -- 4. An operation raising an unexpected exception --------------------------------------------------
def test_an_operation_that_raises_on_one_target_fails_that_target_with_the_exception_type_and_message(
    faults: Reliability, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = operations.get(EBS)
    bravo = faults.id("bravo")

    def buggy(session: Any, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[dict]:
        if (target.account_id, target.region) == (bravo, "us-east-1"):
            raise KeyError("VolumeId")
        yield from original.run(session, target, params, dry_run)

    monkeypatch.setitem(operations.REGISTRY, EBS, dataclasses.replace(original, run=buggy))

    execution = run(faults, EBS, "alpha", "bravo")

    acc = account_for_every_target(faults.emu, execution, faults.targets("alpha", "bravo"))
    assert acc.error_of(bravo, "us-east-1") == ("KeyError", "'VolumeId'")
    assert (acc.output["Succeeded"], acc.output["Failed"]) == (3, 1)
    assert volume_ids(acc.report, bravo, "eu-west-1") == seeded_ids(faults, "bravo", "eu-west-1")


# -- 5. Suspended between fanout and worker; a region not enabled --------------------------------------
def test_an_account_suspended_after_the_fanout_fails_its_targets_with_access_denied(faults: Reliability) -> None:
    doomed = faults.id("doomed")
    org = client(faults.emu.session(), "organizations", "us-east-1")
    lock, closed = threading.Lock(), []

    def suspend_once(function_name: str, event: dict[str, Any]) -> None:
        with lock:  # the fanout has listed doomed as ACTIVE; it is closed before any worker runs
            if function_name == WORKER and not closed:
                org.close_account(AccountId=doomed)
                closed.append(doomed)

    faults.emu.router.before_invoke.append(suspend_once)
    try:
        execution = run(faults, EBS, "alpha", "doomed")
    finally:
        faults.emu.router.before_invoke.remove(suspend_once)

    acc = account_for_every_target(faults.emu, execution, faults.targets("alpha", "doomed"))
    assert closed == [doomed]
    for region in REGIONS:
        code, message = acc.error_of(doomed, region)
        assert code == "AccessDenied"
        assert message.startswith(f"cannot assume arn:aws:iam::{doomed}:role/operation-readonly: AccessDenied: ")
    assert (acc.output["Succeeded"], acc.output["Failed"], acc.output["Skipped"]) == (2, 2, 0)


def test_a_service_the_account_is_not_subscribed_to_fails_only_that_target_with_opt_in_required(
    faults: Reliability,
) -> None:
    # OptInRequired: "not subscribed to this service" (a real failure, not a region not enabled:
    # that one the fanout skips, test_account_regions.py).
    optout = faults.id("optout")
    faults.service_faults.add(
        Rule("DescribeVolumes", ("OptInRequired",), times=1000, account=optout, region="eu-west-1", status=401)
    )

    execution = run(faults, EBS, "optout", "retired")

    acc = account_for_every_target(faults.emu, execution, faults.targets("optout", "retired"))
    failed = acc.statuses[(optout, "eu-west-1")]
    assert (failed["status"], failed["error_code"]) == ("FAILED", "OptInRequired")
    retired = acc.statuses[(faults.id("retired"), "eu-west-1")]
    assert (retired["status"], retired["error_code"]) == ("SKIPPED", "AccountNotActive")
    assert (acc.output["Succeeded"], acc.output["Failed"], acc.output["Skipped"]) == (1, 1, 2)
    assert [e["error_code"] for e in acc.errors] == ["OptInRequired"]
    assert volume_ids(acc.report, optout, "us-east-1") == seeded_ids(faults, "optout", "us-east-1")


# -- 6. A worker retried after it wrote part of its rows ------------------------------------------------
def test_a_worker_retried_after_writing_part_of_its_rows_leaves_each_row_once(
    faults: Reliability, monkeypatch: pytest.MonkeyPatch
) -> None:
    alpha = faults.id("alpha")
    assert len(seeded_ids(faults, "alpha", "eu-west-1")) == 2  # a target with more than one row
    writes: dict[str, int] = {}
    real_put_rows = store.put_rows

    def crash_mid_write(s3: Any, bucket: str, key: str, body: bytes) -> None:
        writes[key] = writes.get(key, 0) + 1
        if f"/{alpha}/eu-west-1.jsonl" in key and writes[key] == 1:
            body = body.split(b"\n")[0] + b"\n"  # the first attempt got one row out, then died
        real_put_rows(s3, bucket, key, body)

    monkeypatch.setattr(store, "put_rows", crash_mid_write)
    # The first attempt's invocation fails after the function ran: Lambda.ServiceException, retried.
    faults.lambda_faults.add(
        LambdaFault(worker_of(alpha, "eu-west-1"), "ServiceException", 500, times=1, after_run=True)
    )

    execution = run(faults, EBS, "alpha")

    acc = account_for_every_target(faults.emu, execution, faults.targets("alpha"))
    (key,) = [k for k in writes if k.endswith(f"/{alpha}/eu-west-1.jsonl")]
    assert writes[key] == 2
    assert volume_ids(acc.report, alpha, "eu-west-1") == seeded_ids(faults, "alpha", "eu-west-1")
    assert int(acc.statuses[(alpha, "eu-west-1")]["rows"]) == 2


# -- 7. The report step run twice -------------------------------------------------------------------
def test_the_report_step_run_again_for_an_execution_writes_the_same_bytes(faults: Reliability) -> None:
    execution = run(faults, EBS, "alpha", "nomad")
    acc = account_for_every_target(faults.emu, execution, faults.targets("alpha", "nomad"))
    uris = [
        acc.output["ReportUri"],
        acc.output["ErrorsUri"],
        acc.output["ReportUri"][: -len("report.csv")] + "summary.json",
    ]
    first = [faults.emu.read_object(u) for u in uris]

    response = client(faults.emu.session(), "lambda").invoke(
        FunctionName=faults.emu.stack.functions["report"],
        Payload=json.dumps({"Operation": EBS, "ExecutionId": execution.arn}).encode(),
    )

    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == acc.output
    assert [faults.emu.read_object(u) for u in uris] == first


# -- 8. A remediation that fails midway in apply mode --------------------------------------------------
def test_a_remediation_failing_midway_reports_which_changes_were_applied_and_which_were_not(
    faults: Reliability,
) -> None:
    firewall = faults.id("firewall")
    ec2 = client(faults.member("firewall"), "ec2", "us-east-1")
    group = ec2.create_security_group(GroupName="wide-open", Description="reliability")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        ],
    )
    second = faults.service_faults.add(
        Rule(
            "RevokeSecurityGroupIngress",
            ("UnauthorizedOperation",),
            times=1,
            only_after=1,
            account=firewall,
            status=403,
            message="You are not authorized to perform this operation.",
        )
    )

    execution = run(faults, SG, "firewall", regions=("us-east-1",), DryRun=False)

    acc = account_for_every_target(faults.emu, execution, faults.targets("firewall", regions=("us-east-1",)))
    rows = [r for r in acc.report if r["group_id"] == group]
    assert [(r["from_port"], r["applied"], r["error"]) for r in rows] == [
        (rows[0]["from_port"], "true", ""),
        (rows[1]["from_port"], "false", "UnauthorizedOperation: You are not authorized to perform this operation."),
        (rows[2]["from_port"], "true", ""),
    ]
    assert sorted(r["from_port"] for r in rows) == ["22", "3389", "5432"]
    assert second.seen == 3
    still_open = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    assert sorted(p["FromPort"] for p in still_open) == sorted([443, int(rows[1]["from_port"])])
    assert acc.statuses[(firewall, "us-east-1")]["status"] == "SUCCEEDED"


# -- 11. A status write fails after its retries -----------------------------------------------------
def test_a_status_write_that_fails_after_its_retries_still_lists_the_target_in_the_report(faults: Reliability) -> None:
    # Given RecordStatus's putItem refused once with an error its Retry does not cover (so it is caught)
    faults.service_faults.add(Rule("PutItem", ("ResourceNotFoundException",), times=1, only_after=1))

    execution = run(faults, EBS, "alpha", "optout")

    assert execution.status == "SUCCEEDED", execution.cause
    output = execution.output
    planned = faults.targets("alpha", "optout")
    recorded = {(s["account_id"], s["region"]) for s in statuses_of(faults, execution.arn)}
    (lost,) = planned - recorded  # one target's status was never written
    errors = faults.emu.read_csv(output["ErrorsUri"])
    assert [(e["account_id"], e["region"], e["error_code"]) for e in errors] == [(*lost, "NotRecorded")]
    assert errors[0]["error_message"].startswith("planned by the fanout, but no status was recorded")
    assert (output["Targets"], output["Failed"]) == (len(planned), 1)
    assert output["Succeeded"] + output["Failed"] + output["Skipped"] == len(planned)


def statuses_of(rel: Reliability, execution_arn: str) -> list[dict[str, Any]]:
    ddb = client(rel.emu.session(), "dynamodb", "us-east-1")
    return list(store.iter_statuses(ddb, rel.emu.stack.status_table, execution_arn))
