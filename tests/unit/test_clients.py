"""Clients carry the project's retry configuration and the asked-for region."""

from __future__ import annotations

from orgops.sessions import client, new_session, role_arn


def test_clients_are_regional_and_retry_throttling_in_standard_mode() -> None:
    ec2 = client(new_session("us-east-1"), "ec2", "ap-southeast-2")

    assert ec2.meta.region_name == "ap-southeast-2"
    # botocore reads max_attempts in a retries dict as retries: 10 retries, 11 attempts in all.
    assert ec2.meta.config.retries == {"mode": "standard", "total_max_attempts": 11}


def test_role_arns_keep_a_path_and_the_partition() -> None:
    assert role_arn("111111111111", "operation-readonly") == "arn:aws:iam::111111111111:role/operation-readonly"
    assert (
        role_arn("111111111111", "/orgops/admin/", "aws-us-gov") == "arn:aws-us-gov:iam::111111111111:role/orgops/admin"
    )
