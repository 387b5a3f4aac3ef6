"""Regions as AWS treats them: the names a partition has, and which of them an account enabled.

``known_regions`` reads botocore's partition data (``endpoints.json``, shipped with botocore in
the Lambda runtime): a name that is in no partition is bad input, refused before anything runs.
Whether an account enabled a region is not guessed from an error code either: for a requested
opt-in region the selected accounts' regions are listed (``account:ListRegions``) and a region an
account has not enabled is planned as skipped (``not_enabled``); when no requested region is
opt-in, nothing is listed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import botocore.session


@functools.cache
def _partitions() -> dict[str, frozenset[str]]:
    """Each partition botocore knows (aws, aws-cn, aws-us-gov, ...) with its regions."""
    endpoints = botocore.session.get_session().get_data("endpoints")
    return {p["partition"]: frozenset(p["regions"]) for p in endpoints["partitions"]}


def known_regions() -> frozenset[str]:
    """Every region of every partition botocore knows."""
    return frozenset().union(*_partitions().values())


def unknown(regions: Iterable[str], known: frozenset[str] | None = None) -> list[tuple[int, str]]:
    """``(index, name)`` of each region no partition has."""
    names = known_regions() if known is None else known
    return [(i, r) for i, r in enumerate(regions) if r not in names]


# "Regions introduced before March 20, 2019 are enabled by default"; every later one is opt-in
# ("Enable or disable AWS Regions in your account", AWS Account Management Reference Guide). The
# set is closed: no region will be added to it.
ENABLED_BY_DEFAULT_REGIONS = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "sa-east-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-north-1",
        "ap-south-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
    }
)
OPT_IN_PARTITION = "aws"  # Account Management's region opt-in applies to the commercial partition


def partition_regions(partition: str = OPT_IN_PARTITION) -> frozenset[str]:
    return _partitions().get(partition, frozenset())


def is_opt_in(region: str) -> bool:
    """Whether an account must enable ``region`` before it can use it."""
    return region in partition_regions() and region not in ENABLED_BY_DEFAULT_REGIONS


def opt_in_regions(requested: Sequence[str]) -> list[str]:
    """The requested regions an account must have enabled (the only ones ListRegions is needed for)."""
    return [r for r in requested if is_opt_in(r)]


def not_enabled(requested: Sequence[str], opt_in: Sequence[str], enabled: Iterable[str]) -> list[str]:
    """The requested opt-in regions missing from an account's ``enabled`` regions."""
    have = set(enabled)
    return [r for r in requested if r in opt_in and r not in have]
