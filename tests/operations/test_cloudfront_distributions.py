"""cloudfront-distributions: every distribution, from the global (us-east-1) endpoint."""

from __future__ import annotations

import boto3

from orgops.targets import Target
from tests.operations.helpers import run

TARGET = Target("123456789012", "workload", "us-east-1")


def distribution_config(ref: str, aliases: list[str]) -> dict:
    return {
        "CallerReference": ref,
        "Aliases": {"Quantity": len(aliases), "Items": aliases},
        "Origins": {
            "Quantity": 1,
            "Items": [
                {"Id": "site", "DomainName": f"{ref}.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
            ],
        },
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https"},
        "Comment": ref,
        "Enabled": True,
        "PriceClass": "PriceClass_100",
    }


def test_rows_give_domain_aliases_origins_and_viewer_policy(session: boto3.Session) -> None:
    cf = session.client("cloudfront", region_name="us-east-1")
    made = cf.create_distribution(DistributionConfig=distribution_config("www", ["www.example.com"]))["Distribution"]

    rows = run("cloudfront-distributions", session, target=TARGET)

    listed = cf.list_distributions()["DistributionList"]["Items"][0]
    assert rows == [
        {
            "distribution_id": made["Id"],
            "domain_name": made["DomainName"],
            "aliases": ["www.example.com"],
            "status": listed["Status"],
            "enabled": True,
            "origins": ["www.s3.amazonaws.com"],
            "viewer_protocol_policy": "redirect-to-https",
            "minimum_protocol_version": listed["ViewerCertificate"].get("MinimumProtocolVersion", ""),
            "web_acl_id": "",
            "price_class": "PriceClass_100",
            "last_modified": listed["LastModifiedTime"],
        }
    ]


def test_an_account_without_distributions_has_no_rows(session: boto3.Session) -> None:
    assert run("cloudfront-distributions", session, target=TARGET) == []
