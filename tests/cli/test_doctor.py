"""`orgops doctor` against the emulator's deployed stack: what would fail a run, and how it checked.

One emulated world for the module: the management account (operation-readonly installed there, as
Terraform does), ``alpha`` (member roles deployed), ``nomad`` (the StackSet never reached it: no
member roles) and ``gone`` (suspended). Only ``unused-ebs-volumes`` (role readonly) is deployed.
The emulator enables trusted access for StackSets, not for Account Management, and has no StackSet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from orgops import org
from orgops.cli import app as cli
from orgops.cli import doctor
from orgops.cli.common import EXIT_AWS, EXIT_OK
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings, World
from orgops.emulator.server import quiet_moto
from orgops.sessions import client, new_session
from tests.conftest import fake_aws_environment

pytestmark = pytest.mark.e2e

OPERATION = "unused-ebs-volumes"
SPECS = (AccountSpec("alpha"), AccountSpec("nomad", member_roles=False), AccountSpec("gone", suspended=True))


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Emulator, World]]:
    quiet_moto()
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        settings = StackSettings(defaults=OperationSettings(regions=("eu-west-1",)))
        with Emulator.in_process(operations=(OPERATION,), settings=settings) as emu:
            yield emu, emu.build_organization(SPECS)


def doctor_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = cli.main(["doctor", *args, "--region", "us-east-1", "--output", "json"])
    return code, json.loads(capsys.readouterr().out)


def rows(doc: dict[str, Any], check: str) -> list[tuple[str, str, str]]:
    return [(f["account_id"], f["account_name"], f["status"]) for f in doc["Findings"] if f["check"] == check]


def test_doctor_names_the_account_without_member_roles_and_exits_1(
    world: tuple[Emulator, World], capsys: pytest.CaptureFixture[str]
) -> None:
    _emu, w = world

    code, doc = doctor_json(capsys)

    assert code == doctor.WOULD_FAIL == 1
    expected = sorted(
        [
            (w.management_account_id, "master", "OK"),  # moto's name for the management account
            (w.account_id("alpha"), "alpha", "OK"),
            (w.account_id("nomad"), "nomad", "FAIL"),
            (w.account_id("gone"), "gone", "SKIP"),
        ]
    )
    assert rows(doc, "member role") == expected
    (nomad,) = [f for f in doc["Findings"] if f["check"] == "member role" and f["status"] == "FAIL"]
    assert nomad["detail"].startswith(
        f"operation-readonly ({OPERATION}): AccessDenied: cannot assume "
        f"arn:aws:iam::{w.account_id('nomad')}:role/operation-readonly: AccessDenied"
    )
    assert doc["WouldFail"] == 1


def test_doctor_asks_the_deployed_worker_in_preflight_mode_and_runs_no_operation(
    world: tuple[Emulator, World], capsys: pytest.CaptureFixture[str]
) -> None:
    emu, w = world
    events: list[dict[str, Any]] = []
    hook = lambda fn, ev: events.append(ev) if fn.endswith("-worker") else None  # noqa: E731
    emu.router.before_invoke.append(hook)
    try:
        doctor_json(capsys)
    finally:
        emu.router.before_invoke.remove(hook)

    assert sorted(e["Target"]["AccountId"] for e in events) == sorted(
        [w.management_account_id, w.account_id("alpha"), w.account_id("nomad")]
    )
    assert {e["Preflight"] for e in events} == {True}
    assert all("Common" not in e for e in events)


def test_doctor_exits_0_when_every_selected_account_is_reachable(
    world: tuple[Emulator, World], capsys: pytest.CaptureFixture[str]
) -> None:
    _emu, w = world

    code, doc = doctor_json(capsys, "--accounts", w.account_id("alpha"))

    assert code == EXIT_OK
    assert rows(doc, "member role") == [(w.account_id("alpha"), "alpha", "OK")]
    assert rows(doc, "trusted access") == [("-", "", "OK"), ("-", "", "WARN")]
    assert [f["detail"] for f in doc["Findings"] if f["check"] == "stackset"] == [
        "no StackSet named orgops-member-roles (pass --stack-set-name, or --tf-outputs with member_roles_stack_set)"
    ]


def test_regions_all_without_account_management_trusted_access_would_fail_the_fanout(
    world: tuple[Emulator, World], capsys: pytest.CaptureFixture[str]
) -> None:
    _emu, w = world

    code, doc = doctor_json(capsys, "--accounts", w.account_id("alpha"), "--regions", "ALL")

    assert code == 1
    (account,) = [f for f in doc["Findings"] if f["check"] == "trusted access" and f["status"] == "FAIL"]
    assert account["detail"].startswith(
        "Account Management (account.amazonaws.com) not enabled: this run lists regions (ALL or an opt-in region), "
        "so its fanout would fail"
    )


def test_the_table_says_how_each_check_was_made(
    world: tuple[Emulator, World], capsys: pytest.CaptureFixture[str]
) -> None:
    _emu, w = world

    code = cli.main(["doctor", OPERATION, "--accounts", w.account_id("nomad"), "--region", "us-east-1"])

    out = capsys.readouterr().out
    assert code == 1
    header = out.splitlines()[0]
    assert header.split() == ["CHECK", "ACCOUNT", "NAME", "STATUS", "DETAIL"]
    assert "how it checked:" in out
    assert (
        'member role: invoked orgops-unused-ebs-volumes-worker (operation-readonly) with {"Preflight": true, '
        '"Target": ...} (lambda:InvokeFunction)' in out
    )
    assert [line.split()[:4] for line in out.splitlines() if line.startswith("member role")] == [
        ["member", "role", w.account_id("nomad"), "nomad"]
    ]
    assert "doctor: 1 checks would fail a run (FAIL above)" in out


def test_an_operation_that_is_not_deployed_is_an_aws_not_found(
    world: tuple[Emulator, World], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["doctor", "public-ips", "--region", "us-east-1"])

    assert code == EXIT_AWS
    assert "no worker function orgops-public-ips-worker: public-ips is not deployed here" in capsys.readouterr().err


# -- the StackSet and regions checks, on AWS's answers (moto has no failed instances) -------------
ACCOUNTS = [org.Account("111111111111", "mgmt"), org.Account("222222222222", "a"), org.Account("333333333333", "b")]


def stubbed_cloudformation(summaries: list[dict[str, Any]]) -> Any:
    cfn = client(new_session("us-east-1", aws_access_key_id="x", aws_secret_access_key="y"), "cloudformation")
    stub = Stubber(cfn)
    stub.add_response("describe_stack_set", {"StackSet": {"StackSetName": "orgops-member-roles"}})
    stub.add_response("list_stack_instances", {"Summaries": summaries})
    stub.activate()
    return cfn


def test_outdated_and_failed_stack_instances_are_warnings_and_a_missing_one_is_named() -> None:
    cfn = stubbed_cloudformation(
        [
            {
                "Account": "222222222222",
                "Region": "us-east-1",
                "Status": "OUTDATED",
                "StatusReason": "ResourceLogicalId:ReadonlyRole, ResourceStatusReason:Role already exists.",
                "StackInstanceStatus": {"DetailedStatus": "FAILED"},
            }
        ]
    )

    found = doctor.stack_set_findings(cfn, "orgops-member-roles", "SELF", ACCOUNTS, "111111111111")

    assert [(f.account_id, f.status, f.detail) for f in found] == [
        ("111111111111", "OK", "management account: its roles come from Terraform"),
        (
            "222222222222",
            "WARN",
            "orgops-member-roles in us-east-1: OUTDATED (FAILED): ResourceLogicalId:ReadonlyRole, "
            "ResourceStatusReason:Role already exists.",
        ),
        (
            "333333333333",
            "WARN",
            "no instance of orgops-member-roles: the StackSet does not deploy here (its OUs); the member role check "
            "says whether the roles exist anyway",
        ),
    ]


def test_list_regions_is_paced_at_five_per_second() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = doctor.Pacer(doctor.LIST_REGIONS_INTERVAL, clock=lambda: now[0], sleep=sleep)
    for _ in range(6):
        pacer.wait()

    assert [round(s, 6) for s in slept] == [0.2] * 5


def test_with_account_management_trusted_access_a_named_region_not_enabled_is_a_warning(
    world: tuple[Emulator, World], capsys: pytest.CaptureFixture[str]
) -> None:
    emu, w = world
    organizations = client(emu.session(), "organizations", "us-east-1")
    organizations.enable_aws_service_access(ServicePrincipal=doctor.ACCOUNT_PRINCIPAL)
    try:
        code, doc = doctor_json(capsys, "--accounts", w.account_id("alpha"), "--regions", "eu-west-1", "af-south-1")
    finally:
        organizations.disable_aws_service_access(ServicePrincipal=doctor.ACCOUNT_PRINCIPAL)

    assert code == EXIT_OK  # a region not enabled is SKIPPED in a run, not a failure
    assert [(f["account_id"], f["status"], f["detail"]) for f in doc["Findings"] if f["check"] == "regions"] == [
        (
            w.account_id("alpha"),
            "WARN",
            "af-south-1 not enabled: a run records those targets SKIPPED (RegionNotEnabled)",
        )
    ]
