"""Regions as AWS treats them: the names a partition has, and which of them an account enabled.

``known_regions`` reads botocore's partition data (``endpoints.json``, shipped with botocore in
the Lambda runtime): a name that is in no partition is bad input, refused before anything runs.
Whether a region is opt-in is not guessed from an error code either: ``account:ListRegions``
answers ``ENABLED_BY_DEFAULT`` for the regions every account has, so one call (the management
account's own regions) tells which requested regions are opt-in, and only for those are the
selected accounts' regions listed (``not_enabled``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence

import botocore.session

ENABLED_BY_DEFAULT = "ENABLED_BY_DEFAULT"
ENABLED_STATES = ("ENABLED", ENABLED_BY_DEFAULT)


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region of every partition botocore knows (aws, aws-cn, aws-us-gov, ...)."""
    endpoints = botocore.session.get_session().get_data("endpoints")
    return frozenset(region for partition in endpoints["partitions"] for region in partition["regions"])


def unknown(regions: Iterable[str], known: frozenset[str] | None = None) -> list[tuple[int, str]]:
    """``(index, name)`` of each region no partition has."""
    names = known_regions() if known is None else known
    return [(i, r) for i, r in enumerate(regions) if r not in names]


def opt_in_regions(requested: Sequence[str], statuses: Mapping[str, str]) -> list[str]:
    """The requested regions that are not enabled by default (``statuses``: ListRegions' answer)."""
    return [r for r in requested if statuses.get(r) != ENABLED_BY_DEFAULT]


def not_enabled(requested: Sequence[str], opt_in: Sequence[str], enabled: Iterable[str]) -> list[str]:
    """The requested opt-in regions missing from an account's ``enabled`` regions."""
    have = set(enabled)
    return [r for r in requested if r in opt_in and r not in have]
