"""Plan, review, apply exactly the plan: every mutating operation through its deployed state machine.

A dry run's report writes plan.json; a run given ``{"Plan": {"Uri", "Digest"}, "DryRun": false}``
makes exactly the planned changes: a change whose "before" no longer holds is skipped ``stale``, a
change the operation would make now that is not in the plan is skipped ``not-planned``, and the
resources are read back to prove what was (and was not) touched. Each applying run leaves a change
log under audit/ that a second write cannot replace.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from orgops import audit, store
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings, World
from orgops.emulator.runs import Execution
from orgops.emulator.server import quiet_moto
from orgops.emulator.world import member_session
from orgops.sessions import client
from tests.conftest import fake_aws_environment

pytestmark = pytest.mark.e2e

REGION = "eu-west-1"
TAGS = "tag-remediation"
SG = "sg-open-ingress-remediation"
INSPECTOR = "inspector-activation"
HUB = "securityhub-standards"
READ_ONLY = "unused-ebs-volumes"
ALICE = "arn:aws:iam::111122223333:user/alice"
TAG_PARAMS = {"RequiredTags": {"owner": "unassigned"}, "ResourceTypes": ["ec2:snapshot"]}
CLI = ("--region", "us-east-1", "--poll-seconds", "0.05")  # where the emulator deploys the stack
FSBP = f"arn:aws:securityhub:{REGION}::standards/aws-foundational-security-best-practices/v/1.0.0"


@dataclass(frozen=True)
class Env:
    emu: Emulator
    world: World

    def account(self, name: str) -> boto3.Session:
        return member_session(self.emu.session(), self.world.account_id(name))

    def ec2(self, name: str) -> Any:
        return client(self.account(name), "ec2", REGION)

    def rows(self, execution: Execution) -> list[dict[str, str]]:
        uri = (execution.output or {})["ReportUri"]
        return list(csv.DictReader(io.StringIO(self.emu.read_object(uri).decode())))

    def plan(self, execution: Execution) -> dict[str, Any]:
        return json.loads(self.emu.read_object((execution.output or {})["PlanUri"]))

    def dry_run(
        self, operation: str, params: dict[str, Any] | None = None, accounts: tuple[str, ...] = ()
    ) -> Execution:
        include = [self.world.account_id(a) for a in accounts] or None
        ex = self.emu.run(operation, {"Params": params or {}, "Accounts": {"Include": include} if include else None})
        assert ex.status == "SUCCEEDED", (ex.error, ex.cause)
        return ex

    def apply(self, operation: str, dry_run: Execution, **extra: Any) -> Execution:
        out = dry_run.output or {}
        plan = {"Uri": out["PlanUri"], "Digest": out["PlanDigest"]}
        return self.emu.run(operation, {"Plan": plan, "DryRun": False, "StartedBy": ALICE, **extra})


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    quiet_moto()
    with pytest.MonkeyPatch.context() as mp:
        fake_aws_environment(mp)
        settings = StackSettings(defaults=OperationSettings(regions=(REGION,)))
        with Emulator.in_process(operations=(TAGS, SG, INSPECTOR, HUB, READ_ONLY), settings=settings) as emu:
            world = emu.build_organization(
                (
                    AccountSpec("tags-a"),
                    AccountSpec("tags-b"),
                    AccountSpec("sg-a"),
                    AccountSpec("insp-a"),
                    AccountSpec("hub-a"),
                    AccountSpec("cli-a"),
                    AccountSpec("wave-a", ou="canary"),
                    AccountSpec("wave-b"),
                )
            )
            yield Env(emu, world)


def snapshot(ec2: Any, tags: dict[str, str]) -> str:
    volume = ec2.create_volume(Size=1, AvailabilityZone=f"{REGION}a")["VolumeId"]
    snap = ec2.create_snapshot(
        VolumeId=volume,
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
    )["SnapshotId"]
    ec2.delete_volume(VolumeId=volume)
    return str(snap)


def snapshot_tags(ec2: Any, snap: str) -> dict[str, str]:
    (found,) = ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"]
    return {t["Key"]: t["Value"] for t in found.get("Tags", [])}


def by(rows: list[dict[str, str]], column: str) -> dict[str, dict[str, str]]:
    return {r[column].rsplit("/", 1)[-1]: r for r in rows}


def test_tag_remediation_applies_exactly_the_plan_skips_a_stale_change_and_never_touches_an_unplanned_one(
    env: Env,
) -> None:
    a, b = env.ec2("tags-a"), env.ec2("tags-b")
    s1, s2 = snapshot(a, {"team": "x"}), snapshot(a, {"team": "y"})
    s3 = snapshot(b, {"backup": "nightly"})
    snapshot(b, {"owner": "bob"})  # has the tag: no change, in no plan

    dry = env.dry_run(TAGS, TAG_PARAMS, ("tags-a", "tags-b"))
    plan = env.plan(dry)
    assert (dry.output or {})["Planned"] == 3
    assert sorted(c["Row"]["resource_arn"].rsplit("/", 1)[-1] for c in plan["Changes"]) == sorted([s1, s2, s3])
    assert [t["Changes"] for t in plan["Targets"]] == [2, 1] or [t["Changes"] for t in plan["Targets"]] == [1, 2]
    assert plan["Params"] == {**TAG_PARAMS, "ResourceTypes": ["ec2:snapshot"]}
    # Since the plan: someone tagged s2 (its "before" changed), a new untagged snapshot appeared.
    a.create_tags(Resources=[s2], Tags=[{"Key": "cost", "Value": "1"}])
    s4 = snapshot(b, {"team": "new"})

    applied = env.apply(TAGS, dry)

    assert applied.status == "SUCCEEDED", (applied.error, applied.cause)
    rows = by(env.rows(applied), "resource_arn")
    assert {s: (rows[s]["applied"], rows[s]["plan_status"]) for s in (s1, s2, s3, s4)} == {
        s1: ("true", "planned"),
        s2: ("false", "stale"),
        s3: ("true", "planned"),
        s4: ("false", "not-planned"),
    }
    assert rows[s2]["error"] == (
        'stale: tags_before was "team=y" in the plan, is now "cost=1;team=y"; not applied (make a new plan)'
    )
    assert rows[s4]["error"].startswith("not-planned: this change is not in the plan being applied")
    assert snapshot_tags(a, s1) == {"team": "x", "owner": "unassigned"}
    assert snapshot_tags(a, s2) == {"team": "y", "cost": "1"}  # stale: untouched
    assert snapshot_tags(b, s3) == {"backup": "nightly", "owner": "unassigned"}
    assert snapshot_tags(b, s4) == {"team": "new"}  # not in the plan: untouched
    out = applied.output or {}
    assert (out["Applied"], out["ChangesFailed"], out["Stale"], out["NotPlanned"]) == (2, 0, 1, 1)

    # The change log: who, when, which plan, every change with its result; written once.
    log = [json.loads(line) for line in env.emu.read_object(out["AuditUri"]).splitlines()]
    head, changes = log[0], log[1:]
    assert (head["Record"], head["StartedBy"], head["Execution"]) == ("run", ALICE, applied.arn)
    assert head["Plan"] == {"Digest": plan["Digest"], "Uri": (dry.output or {})["PlanUri"], "Of": dry.arn}
    assert head["Counts"] == {"applied": 2, "failed": 0, "stale": 1, "not-planned": 1}
    assert sorted((c["Row"]["resource_arn"].rsplit("/", 1)[-1], c["Result"]) for c in changes) == sorted(
        [(s1, "applied"), (s2, "stale"), (s3, "applied"), (s4, "not-planned")]
    )
    assert {c["Row"]["tags_before"] for c in changes if c["Result"] == "applied"} == {"team=x", "backup=nightly"}
    bucket, key = store.parse_s3_uri(out["AuditUri"])
    s3 = client(env.emu.session(), "s3")
    assert audit.write_once(s3, bucket, key, b"forged\n") is False
    assert env.emu.read_object(out["AuditUri"]).splitlines()[0] == json.dumps(head, sort_keys=True).encode()


def test_applying_the_same_plan_again_changes_nothing_and_reports_every_change_stale(env: Env) -> None:
    a = env.ec2("tags-a")
    s5 = snapshot(a, {"team": "z"})
    dry = env.dry_run(TAGS, TAG_PARAMS, ("tags-a",))
    assert env.apply(TAGS, dry).status == "SUCCEEDED"

    again = env.apply(TAGS, dry)

    assert again.status == "SUCCEEDED"
    rows = by(env.rows(again), "resource_arn")
    assert (rows[s5]["applied"], rows[s5]["plan_status"]) == ("false", "stale")
    assert (again.output or {})["Applied"] == 0
    assert snapshot_tags(a, s5) == {"team": "z", "owner": "unassigned"}


def test_sg_remediation_revokes_the_planned_rule_only(env: Env) -> None:
    ec2 = env.ec2("sg-a")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="bastion", Description="plan test", VpcId=vpc)["GroupId"]

    def open_port(port: int) -> dict[str, Any]:
        return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}

    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[open_port(22), open_port(3389)])
    dry = env.dry_run(SG, accounts=("sg-a",))
    assert sorted(c["Row"]["from_port"] for c in env.plan(dry)["Changes"]) == ["22", "3389"]
    # Since the plan: 3389 was closed by hand, 8080 was opened.
    ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[open_port(3389)])
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[open_port(8080)])

    applied = env.apply(SG, dry)

    assert applied.status == "SUCCEEDED", (applied.error, applied.cause)
    rows = {r["from_port"]: (r["applied"], r["plan_status"]) for r in env.rows(applied) if r["group_id"] == group}
    assert rows == {"22": ("true", "planned"), "3389": ("false", "stale"), "8080": ("false", "not-planned")}
    (found,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    open_now = sorted(p["FromPort"] for p in found["IpPermissions"] if {"CidrIp": "0.0.0.0/0"} in p["IpRanges"])
    assert open_now == [8080]


def test_inspector_activation_enables_the_planned_types_and_skips_one_enabled_since(env: Env) -> None:
    inspector = client(env.account("insp-a"), "inspector2", REGION)
    dry = env.dry_run(INSPECTOR, accounts=("insp-a",))
    assert sorted(c["Row"]["resource_type"] for c in env.plan(dry)["Changes"]) == ["EC2", "ECR", "LAMBDA"]
    inspector.enable(resourceTypes=["ECR"])  # enabled by hand since the plan

    applied = env.apply(INSPECTOR, dry)

    assert applied.status == "SUCCEEDED", (applied.error, applied.cause)
    rows = {(r["resource_type"], r["action"]): (r["applied"], r["plan_status"]) for r in env.rows(applied)}
    assert rows == {
        ("EC2", "enable"): ("true", "planned"),
        ("ECR", "none"): ("false", ""),  # on already: no change, in no plan
        ("ECR", "enable"): ("false", "stale"),
        ("LAMBDA", "enable"): ("true", "planned"),
    }
    account = env.world.account_id("insp-a")
    (status,) = inspector.batch_get_account_status(accountIds=[account])["accounts"]
    states = {k: v["status"] for k, v in status["resourceState"].items() if k in ("ec2", "ecr", "lambda")}
    assert states == {"ec2": "ENABLED", "ecr": "ENABLED", "lambda": "ENABLED"}


def test_securityhub_standards_enables_the_planned_standard(env: Env) -> None:
    hub = client(env.account("hub-a"), "securityhub", REGION)
    hub.enable_security_hub(EnableDefaultStandards=False)
    dry = env.dry_run(HUB, accounts=("hub-a",))
    assert [(c["Row"]["standard_arn"], c["Row"]["action"]) for c in env.plan(dry)["Changes"]] == [
        (FSBP, "enable-standard")
    ]
    assert hub.get_enabled_standards()["StandardsSubscriptions"] == []

    applied = env.apply(HUB, dry)

    assert applied.status == "SUCCEEDED", (applied.error, applied.cause)
    assert [(r["standard_arn"], r["applied"], r["plan_status"]) for r in env.rows(applied)] == [
        (FSBP, "true", "planned")
    ]
    assert [s["StandardsArn"] for s in hub.get_enabled_standards()["StandardsSubscriptions"]] == [FSBP]


# -- what a plan refuses -------------------------------------------------------------------------


def failed_cause(ex: Execution) -> str:
    assert ex.status == "FAILED"
    return json.loads(ex.cause or "{}").get("errorMessage", ex.cause or "")


def test_a_digest_other_than_the_plans_is_refused_before_any_target_runs(env: Env) -> None:
    snapshot(env.ec2("tags-a"), {"team": "d"})
    dry = env.dry_run(TAGS, TAG_PARAMS, ("tags-a",))
    out = dry.output or {}
    wrong = "sha256:" + "0" * 64

    ex = env.emu.run(TAGS, {"Plan": {"Uri": out["PlanUri"], "Digest": wrong}, "DryRun": False})

    assert failed_cause(ex) == (
        f"Plan.Digest: the plan at that URI has digest {out['PlanDigest']}, not {wrong}: it is not the plan you "
        "reviewed; review this one (orgops plan writes plan.json) or give the digest of the one you reviewed"
    )


def test_a_plan_of_another_operation_is_refused_naming_both(env: Env) -> None:
    dry = env.dry_run(TAGS, TAG_PARAMS, ("tags-b",))

    ex = env.apply(SG, dry)

    assert failed_cause(ex) == (
        f"Plan: is a plan of {TAGS}, not of {SG}: apply it to {TAGS}'s state machine (orgops apply PLAN finds it)"
    )


def test_a_plan_edited_after_it_was_made_is_refused(env: Env) -> None:
    dry = env.dry_run(TAGS, TAG_PARAMS, ("tags-a",))
    out = dry.output or {}
    bucket, key = store.parse_s3_uri(out["PlanUri"])
    doc = env.plan(dry)
    doc["Changes"][0]["Row"]["tags_added"] = "owner=mallory"  # what a reviewer saw is not what would run
    client(env.emu.session(), "s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(doc).encode())

    message = failed_cause(env.apply(TAGS, dry))

    assert message.startswith(f'Plan: the plan\'s contents do not match its own Digest "{out["PlanDigest"]}"')


def test_params_or_targets_with_a_plan_are_refused(env: Env) -> None:
    dry = env.dry_run(TAGS, TAG_PARAMS, ("tags-a",))

    ex = env.apply(TAGS, dry, Params=TAG_PARAMS)

    assert failed_cause(ex) == (
        "Params: does not apply with Plan, which applies exactly the plan's changes to its targets with the Params "
        "it was made with: remove Params (or make a new plan with them)"
    )


def test_a_read_only_operation_has_no_plan(env: Env) -> None:
    dry = env.dry_run(TAGS, TAG_PARAMS, ("tags-a",))

    ex = env.apply(READ_ONLY, dry)

    assert failed_cause(ex) == f"Plan: {READ_ONLY} changes nothing, so it has no plans: run it without Plan"
    assert "PlanUri" not in (env.dry_run(READ_ONLY).output or {})


# -- orgops plan / orgops apply ------------------------------------------------------------------


def test_orgops_plan_saves_the_plan_and_orgops_apply_applies_it(
    env: Env, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from orgops.cli import app as cli

    a = env.ec2("cli-a")
    snap = snapshot(a, {"team": "cli"})
    account = env.world.account_id("cli-a")
    params = json.dumps(TAG_PARAMS["RequiredTags"])

    code = cli.main(
        [
            "plan",
            TAGS,
            "--accounts",
            account,
            "--param",
            f"RequiredTags={params}",
            "--param",
            'ResourceTypes=["ec2:snapshot"]',
            "--out",
            str(tmp_path / "plan"),
            *CLI,
        ]
    )

    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, captured.err
    path = tmp_path / "plan" / "plan.json"
    assert json.loads(path.read_text())["Operation"] == TAGS
    assert f"plan       {TAGS}: 1 changes in 1 targets" in out.splitlines()
    assert (
        f"  {account} {REGION}  add-tags  arn:aws:ec2:{REGION}:{account}:snapshot/{snap}  (tags_before=team=cli)" in out
    )
    assert f"apply with orgops apply {path}" in out
    assert snapshot_tags(a, snap) == {"team": "cli"}  # a plan changes nothing

    code = cli.main(["apply", str(path), "--yes", "--out", str(tmp_path / "applied"), *CLI])

    assert code == 0, capsys.readouterr()
    assert snapshot_tags(a, snap) == {"team": "cli", "owner": "unassigned"}
    summary = json.loads((tmp_path / "applied" / "summary.json").read_text())
    assert (summary["Applied"], summary["Stale"], summary["NotPlanned"]) == (1, 0, 0)


def test_orgops_apply_refuses_an_edited_or_expired_plan_before_starting_anything(
    env: Env, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from orgops.cli import app as cli
    from orgops.cli.plan import checked_plan
    from orgops.errors import InvalidInput

    snapshot(env.ec2("tags-b"), {"team": "exp"})
    dry = env.dry_run(TAGS, TAG_PARAMS, ("tags-b",))
    doc = env.plan(dry)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({**doc, "ExpiresAt": "2099-01-01T00:00:00Z"}))
    started = len(
        env.emu.session()
        .client("stepfunctions")
        .list_executions(stateMachineArn=env.emu.stack.state_machines[TAGS])["executions"]
    )

    assert cli.main(["apply", str(path), "--yes", *CLI]) == 2
    assert "the plan's contents do not match its own Digest" in capsys.readouterr().err

    path.write_text(json.dumps(doc))
    with pytest.raises(InvalidInput) as expired:
        checked_plan(path, now=datetime.strptime(doc["ExpiresAt"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC))
    assert str(expired.value) == (
        f"Plan: expired at {doc['ExpiresAt']} (made {doc['CreatedAt']}, from {dry.arn}): what it reviewed may no "
        f"longer hold; make a new one with orgops plan {TAGS}"
    )
    after = (
        env.emu.session().client("stepfunctions").list_executions(stateMachineArn=env.emu.stack.state_machines[TAGS])
    )
    assert len(after["executions"]) == started  # nothing was started


def test_a_plan_applied_in_waves_behind_an_ou_canary_runs_the_canary_first(env: Env) -> None:
    first, second = snapshot(env.ec2("wave-a"), {"team": "w"}), snapshot(env.ec2("wave-b"), {"team": "w"})
    dry = env.dry_run(TAGS, TAG_PARAMS, ("wave-a", "wave-b"))

    # The plan's targets come from the plan: the canary OU is matched by the accounts' OU paths.
    applied = env.apply(TAGS, dry, Canary=[env.world.ous["canary"]])

    assert applied.status == "SUCCEEDED", (applied.error, applied.cause)
    assert (applied.output or {})["Waves"] == [
        {"Wave": 1, "Targets": 1, "Failed": 0},
        {"Wave": 2, "Targets": 1, "Failed": 0},
    ]
    assert snapshot_tags(env.ec2("wave-a"), first) == {"team": "w", "owner": "unassigned"}
    assert snapshot_tags(env.ec2("wave-b"), second) == {"team": "w", "owner": "unassigned"}
