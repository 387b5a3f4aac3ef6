"""Report and errors CSVs are safe to open in a spreadsheet, end to end: an account name, a tag
and an AWS error that start with a formula character reach both CSVs escaped with a leading '."""

from __future__ import annotations

import pytest

from orgops.sessions import client
from tests.reliability.accounting import account_for_every_target
from tests.reliability.conftest import FORMULA_ACCOUNT, REGIONS, Reliability
from tests.reliability.faults import Rule

pytestmark = pytest.mark.e2e


def test_formula_cells_from_account_names_tags_and_errors_are_escaped_in_both_csvs(faults: Reliability) -> None:
    account = faults.id(FORMULA_ACCOUNT)
    ec2 = client(faults.member(FORMULA_ACCOUNT), "ec2", "us-east-1")
    volume = ec2.create_volume(
        Size=1,
        AvailabilityZone="us-east-1a",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "@team", "Value": "+ops"}]}],
    )["VolumeId"]
    faults.service_faults.add(
        Rule("DescribeVolumes", ("-Denied",), times=1, account=account, region="eu-west-1", message="=1+2")
    )

    execution = faults.emu.run("unused-ebs-volumes", {"Regions": list(REGIONS), "Accounts": {"Include": [account]}})

    acc = account_for_every_target(faults.emu, execution, faults.targets(FORMULA_ACCOUNT))
    (row,) = acc.report
    assert (row["account_name"], row["volume_id"], row["tags"]) == ("'" + FORMULA_ACCOUNT, volume, "'@team=+ops")
    (error,) = acc.errors
    assert (error["account_name"], error["error_code"], error["error_message"]) == (
        "'" + FORMULA_ACCOUNT,
        "'-Denied",
        "'=1+2",
    )


def test_a_tag_holding_a_carriage_return_stays_in_its_cell_and_starts_no_formula(faults: Reliability) -> None:
    # The Tagging API keeps "\r": csv.writer(lineterminator="\n") once left it unquoted, and the
    # report parsed back into more rows than the summary's Rows, one starting with the formula.
    account = faults.id(FORMULA_ACCOUNT)
    hostile = "backup\r=cmd|' /C calc'!A0"
    ec2 = client(faults.member(FORMULA_ACCOUNT), "ec2", "us-east-1")
    volume = ec2.create_volume(
        Size=1,
        AvailabilityZone="us-east-1a",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": hostile}]}],
    )["VolumeId"]

    execution = faults.emu.run("unused-ebs-volumes", {"Regions": list(REGIONS), "Accounts": {"Include": [account]}})

    acc = account_for_every_target(faults.emu, execution, faults.targets(FORMULA_ACCOUNT))
    # moto's XML answer turns the "\r" into "\n" (XML line-end normalisation): both split rows.
    (returned,) = [t["Value"] for t in ec2.describe_volumes(VolumeIds=[volume])["Volumes"][0]["Tags"]]
    assert returned in (hostile, hostile.replace("\r", "\n"))
    rows = [r for r in acc.report if r["volume_id"] == volume]
    assert [r["tags"] for r in rows] == ["Name=" + returned.replace("=cmd", "'=cmd")]
    assert acc.output["Rows"] == len(acc.report)
    raw = faults.emu.read_object(acc.output["ReportUri"]).decode()
    assert '"Name=' + returned.replace("=cmd", "'=cmd") + '"' in raw  # quoted: one cell, one row
    ec2.delete_volume(VolumeId=volume)
