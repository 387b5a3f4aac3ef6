"""cloudfront-distributions: every CloudFront distribution of the account (global, us-east-1)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from orgops.operations.base import Operation, Row
from orgops.sessions import client

if TYPE_CHECKING:
    import boto3

    from orgops.targets import Target


def run(session: boto3.Session, target: Target, params: Mapping[str, Any], dry_run: bool) -> Iterator[Row]:
    cloudfront = client(session, "cloudfront", target.region)
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for d in page["DistributionList"].get("Items", []):
            certificate = d.get("ViewerCertificate", {})
            yield {
                "distribution_id": d["Id"],
                "domain_name": d["DomainName"],
                "aliases": d.get("Aliases", {}).get("Items", []),
                "status": d.get("Status", ""),
                "enabled": bool(d.get("Enabled")),
                "origins": [o["DomainName"] for o in d.get("Origins", {}).get("Items", [])],
                "viewer_protocol_policy": d.get("DefaultCacheBehavior", {}).get("ViewerProtocolPolicy", ""),
                "minimum_protocol_version": certificate.get("MinimumProtocolVersion", ""),
                "web_acl_id": d.get("WebACLId", ""),
                "price_class": d.get("PriceClass", ""),
                "last_modified": d.get("LastModifiedTime"),
            }


OPERATION = Operation(
    name="cloudfront-distributions",
    description="Every CloudFront distribution: domain, aliases, origins, viewer protocol policy, TLS, WAF.",
    role="readonly",
    actions=("cloudfront:ListDistributions",),
    scope="global",
    home_region="us-east-1",
    key=("distribution_id",),
    noun="CloudFront distributions",
    columns=(
        "distribution_id",
        "domain_name",
        "aliases",
        "status",
        "enabled",
        "origins",
        "viewer_protocol_policy",
        "minimum_protocol_version",
        "web_acl_id",
        "price_class",
        "last_modified",
    ),
    column_types={"enabled": "boolean", "last_modified": "timestamp"},
    run=run,
)
