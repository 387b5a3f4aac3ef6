"""orgops.plans: the plan's seal, its refusals, and the gate that admits exactly its changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orgops import operations, plans
from orgops.errors import ConfigurationError, InvalidInput
from orgops.targets import Target

TAGS = operations.get("tag-remediation")
TARGET = Target("111122223333", "prod", "eu-west-1")
ARN = "arn:aws:ec2:eu-west-1:111122223333:snapshot/snap-1"
STARTED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def row(arn: str = ARN, before: str = "team=x", action: str = "add-tags", error: str = "") -> list[str]:
    cells = {
        "account_id": TARGET.account_id,
        "account_name": TARGET.account_name,
        "region": TARGET.region,
        "resource_arn": arn,
        "resource_type": "ec2:snapshot",
        "action": action,
        "tags_added": "owner=unassigned",
        "tags_before": before,
        "tags_after": f"owner=unassigned;{before}",
        "applied": "false",
        "error": error,
        "plan_status": "",
    }
    return [cells[c] for c in TAGS.report_columns]


def plan_doc(*rows: list[str]) -> dict:
    builder = plans.PlanBuilder(TAGS, "arn:aws:states:eu-west-1:1:execution:m:dry", {"RequiredTags": {}}, STARTED)
    for cells in rows:
        builder.add(cells)
    return builder.document("s3://bucket/reports/tag-remediation/dry/plan.json")


def test_a_plan_holds_only_changes_and_is_sealed_by_the_digest_of_everything_else() -> None:
    doc = plan_doc(row(), row(arn=ARN + "2", action="none"), row(arn=ARN + "3", error="AccessDenied: no"))

    assert [c["Row"]["resource_arn"] for c in doc["Changes"]] == [ARN]
    assert doc["Targets"] == [
        {
            "AccountId": TARGET.account_id,
            "AccountName": "",
            "Region": TARGET.region,
            "Changes": 1,
            "Digest": plans.target_digest([row()]),
        }
    ]
    assert doc["ExpiresAt"] == "2026-12-02T10:00:00Z"
    assert doc["Digest"] == plans.digest_of({k: v for k, v in doc.items() if k != "Digest"})
    assert plans.check(doc, TAGS.name, doc["Digest"], STARTED) is doc


def test_a_plan_is_refused_once_expired_and_one_second_before_it_is_not() -> None:
    doc = plan_doc(row())
    expires = STARTED + timedelta(hours=24)

    plans.check(doc, TAGS.name, None, expires - timedelta(seconds=1))
    with pytest.raises(InvalidInput, match=r"^Plan: expired at 2026-12-02T10:00:00Z \(made 2026-12-01T10:00:00Z"):
        plans.check(doc, TAGS.name, None, expires)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("s3://b/plan.json", 'Plan: must be an object like {"Uri": '),
        (
            {"Uri": "s3://b/x.json", "Digest": "sha256:" + "0" * 64},
            "Plan.Uri: must be the s3:// URI of a dry run's plan.json",
        ),
        (
            {"Uri": "s3://b/p/plan.json", "Digest": "sha256:abc"},
            'Plan.Digest: must be the "Digest" of the reviewed plan.json',
        ),
        ({"Uri": "s3://b/p/plan.json", "Digest": "sha256:" + "G" * 64}, 'Plan.Digest: must be the "Digest"'),
        ({"Uri": "s3://b/p/plan.json", "Digest": "sha256:" + "0" * 64, "Extra": 1}, "Plan.Extra: unknown field"),
    ],
)
def test_a_bad_plan_reference_is_refused_naming_the_field(raw: object, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        plans.parse_ref(raw)
    assert str(refused.value).startswith(message)


def test_the_gate_admits_a_planned_change_whose_before_holds_and_refuses_the_others() -> None:
    gate = plans.Gate.of(TAGS, TARGET, [row(), row(arn=ARN + "-gone")])

    assert gate.refusal({"resource_arn": ARN, "action": "add-tags", "tags_before": {"team": "x"}}) == ""
    assert gate.refusal({"resource_arn": ARN + "-new", "action": "add-tags", "tags_before": {}}).startswith(
        "not-planned: "
    )
    stale = plans.Gate.of(TAGS, TARGET, [row()])
    assert stale.refusal({"resource_arn": ARN, "action": "add-tags", "tags_before": {"team": "y"}}) == (
        'stale: tags_before was "team=x" in the plan, is now "team=y"; not applied (make a new plan)'
    )
    assert [cells[TAGS.report_columns.index("resource_arn")] for cells in gate.unseen()] == [ARN + "-gone"]
    assert [cells[-1] for cells in gate.unseen()] == ["stale"]


def test_a_row_that_claims_a_change_the_gate_never_admitted_fails_the_target() -> None:
    gate = plans.Gate.of(TAGS, TARGET, [row()])
    applied = row(arn=ARN + "-sneaky")
    applied[TAGS.report_columns.index("applied")] = "true"

    with pytest.raises(ConfigurationError, match=r"reports a change applied to .* that the plan did not admit"):
        gate.annotate(applied)


def test_a_change_without_its_finding_is_refused_while_a_plan_is_applied() -> None:
    from orgops.operations.common import attempt

    made: list[int] = []
    gate = plans.Gate.of(TAGS, TARGET, [row()])
    refused = pytest.raises(ConfigurationError, match="makes a change without naming it while a plan is applied")
    with plans.gate_open(gate), refused:
        attempt(False, lambda: made.append(1))
    assert made == []
    assert attempt(False, lambda: made.append(1)).applied is True  # no plan: as before


def test_the_notification_says_where_the_plan_is_or_what_the_apply_made_of_it() -> None:
    from orgops import report

    base = {"Operation": TAGS.name, "Targets": 1, "Succeeded": 1, "Failed": 0, "Skipped": 0, "Rows": 2}
    base.update(ReportUri="s3://b/r/report.csv", ErrorsUri=None)
    planned = {**base, "Planned": 2, "PlanDigest": "sha256:ab", "PlanExpiresAt": "2026-12-02T10:00:00Z"}
    planned["PlanUri"] = "s3://b/r/plan.json"
    applied = {
        **base,
        "Applied": 1,
        "ChangesFailed": 0,
        "Stale": 1,
        "NotPlanned": 0,
        "AuditUri": "s3://b/audit/x.jsonl",
    }

    assert report.summary_text(planned).splitlines()[-1] == (
        "Plan: 2 changes, sha256:ab, until 2026-12-02T10:00:00Z: review s3://b/r/plan.json, then orgops apply it"
    )
    assert report.summary_text(applied).splitlines()[-1] == (
        "Applied 1 changes (0 failed, 1 stale, 0 not planned). Change log: s3://b/audit/x.jsonl"
    )
