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
