"""The pure parts of the side by side with c7n-org (``benchmarks/peer.py``): its inputs, the ids, the verdict."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from benchmarks import peer

MANAGEMENT, ALPHA, BETA = "123456789012", "111111111111", "222222222222"
ACCOUNTS = {"management": MANAGEMENT, "beta": BETA, "alpha": ALPHA}


def test_accounts_yml_has_a_role_per_member_and_a_profile_for_the_management_account() -> None:
    text = peer.accounts_yml(ACCOUNTS, MANAGEMENT, exclude=["beta"])

    assert yaml.safe_load(text) == {
        "accounts": [
            {"account_id": ALPHA, "name": "alpha", "role": f"arn:aws:iam::{ALPHA}:role/OrganizationAccountAccessRole"},
            {"account_id": MANAGEMENT, "name": "management", "profile": "orgops-peer-management"},
        ]
    }


def test_accounts_yml_quotes_ids_and_names_so_yaml_reads_them_as_strings() -> None:
    text = peer.accounts_yml({"yes": "012345678901"}, MANAGEMENT, role_name="operation-readonly")

    (entry,) = yaml.safe_load(text)["accounts"]
    assert entry == {
        "account_id": "012345678901",  # not the integer 12345678901
        "name": "yes",  # not the boolean True
        "role": "arn:aws:iam::012345678901:role/operation-readonly",
    }


def test_the_policy_and_the_credentials_file() -> None:
    assert yaml.safe_load(peer.policy_yml()) == {
        "policies": [{"name": "unused-ebs-volumes", "resource": "aws.ebs", "filters": [{"State": "available"}]}]
    }
    assert peer.credentials_file() == (
        "[orgops-peer-management]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )


def test_c7n_ids_read_each_account_and_regions_resources(tmp_path: Path) -> None:
    for name, region, volumes in (("alpha", "eu-west-1", ["vol-1", "vol-2"]), ("management", "us-east-1", ["vol-3"])):
        folder = tmp_path / name / region / "unused-ebs-volumes"
        folder.mkdir(parents=True)
        (folder / "resources.json").write_text(json.dumps([{"VolumeId": v, "State": "available"} for v in volumes]))
    (tmp_path / "alpha" / "us-east-1" / "other-policy").mkdir(parents=True)
    (tmp_path / "alpha" / "us-east-1" / "other-policy" / "resources.json").write_text('[{"VolumeId": "vol-9"}]')

    assert peer.c7n_ids(tmp_path, ACCOUNTS) == {
        (ALPHA, "eu-west-1", "vol-1"),
        (ALPHA, "eu-west-1", "vol-2"),
        (MANAGEMENT, "us-east-1", "vol-3"),
    }


def test_report_ids_read_an_orgops_report(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(
        "account_id,account_name,region,volume_id,size_gib\n"
        f"{ALPHA},alpha,eu-west-1,vol-1,5\n{MANAGEMENT},master,us-east-1,vol-3,3\n"
    )
    assert peer.read_report(path) == {(ALPHA, "eu-west-1", "vol-1"), (MANAGEMENT, "us-east-1", "vol-3")}


IDS = frozenset({(ALPHA, "eu-west-1", "vol-1"), (BETA, "us-east-1", "vol-2"), (MANAGEMENT, "us-east-1", "vol-3")})


def run(
    runner: str, concurrency: int, seconds: float, ids: frozenset = IDS, failed: frozenset = frozenset()
) -> peer.Run:
    return peer.Run(runner, concurrency, seconds, 1.0, 0.5, ids, failed)


def test_identical_ids_and_the_state_machine_compared_over_the_accounts_it_reached() -> None:
    machine = run("state machine", 0, 2.0, IDS - {(BETA, "us-east-1", "vol-2")}, frozenset({BETA}))
    assert peer.id_problems([run("c7n-org", 1, 10.0), run("orgops local", 1, 2.0), machine]) == []


def test_a_missing_or_extra_id_is_a_problem_naming_the_runner() -> None:
    missing = run("orgops local", 8, 2.0, IDS - {(ALPHA, "eu-west-1", "vol-1")})
    extra = run("orgops local", 39, 2.0, IDS | {(ALPHA, "eu-west-1", "vol-7")})

    assert peer.id_problems([run("c7n-org", 8, 10.0), missing, extra]) == [
        f"orgops local at concurrency 8: 1 ids only in c7n-org's answer, 0 only in its own "
        f"(e.g. [('{ALPHA}', 'eu-west-1', 'vol-1')])",
        f"orgops local at concurrency 39: 0 ids only in c7n-org's answer, 1 only in its own "
        f"(e.g. [('{ALPHA}', 'eu-west-1', 'vol-7')])",
    ]


def test_the_section_gives_the_ratio_per_concurrency_and_the_verdict() -> None:
    runs = [
        run("c7n-org", 1, 20.0),
        run("orgops local", 1, 4.0),
        run("c7n-org", 8, 10.0),
        run("orgops local", 8, 6.0),  # 0.6x: above the goal
        run("state machine", 0, 2.5, IDS - {(BETA, "us-east-1", "vol-2")}, frozenset({BETA})),
    ]
    lines = peer.section(runs, accounts=3, targets=9, machine_concurrency=40, account_names={BETA: "beta"})

    assert lines[0] == "## Side by side with c7n-org"
    table = lines[lines.index("| --- | --- | --- | --- | --- |") + 1 :][:2]
    assert table == [
        "| 1 | 20.0 (1.0) | 4.0 (1.0) | 0.20x | 0.5 / 0.5 |",
        "| 8 | 10.0 (1.0) | 6.0 (1.0) | 0.60x | 0.5 / 0.5 |",
    ]
    assert (
        "State machine (inline Map, `MaxConcurrency` 40), one execution: 2.5 s from start to stop "
        "(0.25x of c7n-org at 8), 0.5 CPU-s of the emulator, its targets failed in beta "
        "(the account the member-roles StackSet never reached: no `operation-readonly` there)."
    ) in lines
    assert (
        "- **orgops local at most 0.5x c7n-org's wall time at every concurrency**: NOT MET (1: 0.20x, 8: 0.60x)."
        in lines
    )
    assert (
        "- **Identical resource ids**: yes, 3 volumes, every run of every runner "
        "(the state machine's over the accounts it reached)."
    ) in lines


def test_the_goal_is_met_only_when_every_concurrency_is_within_half() -> None:
    runs = [run("c7n-org", c, 10.0) for c in (1, 8, 39)] + [run("orgops local", c, 5.0) for c in (1, 8, 39)]
    lines = peer.section(runs, accounts=3, targets=9)
    assert (
        "- **orgops local at most 0.5x c7n-org's wall time at every concurrency**: MET (1: 0.50x, 8: 0.50x, 39: 0.50x)."
        in lines
    )


def test_ids_are_compared_over_every_run_not_only_the_fastest() -> None:
    fastest = [run("c7n-org", 8, 10.0), run("orgops local", 8, 2.0)]
    slower = run("orgops local", 8, 3.0, IDS - {(ALPHA, "eu-west-1", "vol-1")})
    lines = peer.section(fastest, accounts=3, targets=9, every_run=[*fastest, slower])
    assert lines[-2].startswith("- **Identical resource ids: NO**: orgops local at concurrency 8: 1 ids only in")
