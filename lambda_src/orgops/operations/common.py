"""Helpers shared by operations: tag lists, and recording changes that may fail.

Not an operation (it has no ``OPERATION`` and is not in ``MODULES``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from orgops import plans
from orgops.errors import ConfigurationError

T = TypeVar("T")


def tag_map(tags: Iterable[dict[str, str]] | None) -> dict[str, str]:
    """``[{"Key": k, "Value": v}]`` (EC2, RDS, the tagging API) as ``{k: v}``."""
    return {t["Key"]: t["Value"] for t in tags or []}


def client_error(exc: ClientError) -> str:
    """``Code: message`` of an AWS error, for a row's ``error`` column."""
    err = exc.response.get("Error", {})
    return f"{err.get('Code', 'ClientError')}: {err.get('Message', '')}".rstrip(": ")


@dataclass(frozen=True)
class Outcome:
    """What happened to one change: applied, or not (dry run, or failed with ``error``)."""

    applied: bool
    error: str = ""
    response: Any = None


def refusal(finding: Mapping[str, Any] | None) -> str:
    """Why the change to ``finding`` may not be made now ('' when it may): a plan is being applied
    (``orgops.plans``) and the change is not in it, or its before no longer holds. With a plan, a
    change that names no finding is refused outright: nobody could tell whether it was reviewed."""
    gate = plans.current_gate()
    if gate is None:
        return ""
    if finding is None:
        raise ConfigurationError(
            f"operation {gate.operation.name} makes a change without naming it while a plan is applied: "
            "call attempt(dry_run, change, finding=row) with the row it reports"
        )
    return gate.refusal(finding)


class _Admitted(dict[str, Any]):
    """The finding of a call whose changes were each admitted already (``refusal`` per resource)."""


# Give it as ``finding`` to a call that changes several resources, each checked with ``refusal``.
ADMITTED: Mapping[str, Any] = _Admitted()


def attempt(dry_run: bool, change: Callable[[], Any], finding: Mapping[str, Any] | None = None) -> Outcome:
    """Make ``change`` unless ``dry_run``; an AWS error is recorded, never raised.

    A remediation that fails halfway must still report what it already applied, so each change
    is attempted on its own and the next one runs whatever happened to this one. ``finding`` is
    the row the operation reports for the change (at least its ``key`` and ``before`` columns):
    when a plan is being applied, a change it does not admit is not made and the outcome's error
    says why (``stale: ...`` or ``not-planned: ...``).
    """
    # A dry run against a plan says what applying it would skip, and why.
    refused = "" if finding is ADMITTED else refusal(finding)
    if dry_run or refused:
        return Outcome(applied=False, error=refused)
    try:
        return Outcome(applied=True, response=change())
    except ClientError as exc:
        return Outcome(applied=False, error=client_error(exc))


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# What AWS accepts as a tag key and a tag value (the common subset of the services' rules).
TAG_KEY_PATTERN = r"[\w.:/=+\-@ ]{1,128}"
TAG_VALUE_PATTERN = r"[\w.:/=+\-@ ]{0,256}"
# A tagging-API resource type filter: a service ("s3") or a service and type ("ec2:instance").
RESOURCE_TYPE_PATTERN = r"[a-z0-9-]+(:[A-Za-z0-9-]+)?"


def resource_type(arn: str) -> str:
    """``service:type`` of an ARN (``ec2:volume``), or the service alone when it has no type."""
    parts = arn.split(":", 5)
    service = parts[2] if len(parts) > 2 else ""
    resource = parts[5] if len(parts) > 5 else ""
    for sep in ("/", ":"):
        if sep in resource:
            return f"{service}:{resource.split(sep, 1)[0]}"
    return service


def tagged_resources(tagging: Any, resource_types: Sequence[str]) -> Iterator[tuple[str, dict[str, str]]]:
    """``(arn, tags)`` of every resource the tagging API knows in this region.

    The API returns resources that are, or once were, tagged: a resource never tagged at all is
    not listed (an AWS limitation, documented in the README).
    """
    kwargs: dict[str, Any] = {"ResourceTypeFilters": list(resource_types)} if resource_types else {}
    for page in tagging.get_paginator("get_resources").paginate(**kwargs):
        for mapping in page["ResourceTagMappingList"]:
            yield mapping["ResourceARN"], tag_map(mapping.get("Tags"))
