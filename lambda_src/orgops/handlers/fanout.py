"""Fanout: validate the execution input, list and filter the organization, emit the targets.

Event (built by the state machine's first task):
    {"Input": <execution input>, "Operation": "public-ips", "DefaultRegions": "eu-west-1,us-east-1",
     "DistributedThreshold": 1000, "BatchSize": 20, "ExecutionId": <execution ARN>}
Output: the common parameters once, and either the targets inline (``AccountRegions``) or, above
the threshold, a pointer to batches of targets in S3 for the distributed Map.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import boto3

from orgops import inventory, observability, operations, org, regions, store, targets
from orgops.config import FanoutSettings
from orgops.errors import InvalidInput
from orgops.operations.base import Operation
from orgops.sessions import client, new_session
from orgops.text import show

INLINE = "INLINE"
DISTRIBUTED = "DISTRIBUTED"
DAY = 86_400


def _int_setting(event: Mapping[str, Any], key: str, default: int) -> int:
    value = event.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(key, f"must be a positive integer (a Terraform setting), got {show(value)}")
    return value


def validate(event: Mapping[str, Any]) -> tuple[Operation, targets.ExecutionInput, dict[str, Any]]:
    """Everything that can be checked without AWS: operation, input, the operation's Params."""
    operation = operations.get(str(event.get("Operation", "")))
    execution_input = targets.parse_input(event.get("Input"))
    params = operation.validate_params(execution_input.params)
    if operation.scope == "organization" and execution_input.accounts != targets.AccountFilter():
        raise InvalidInput(
            "Accounts",
            f"{operation.name} reads the whole organization once, from the management account; "
            "account filters do not apply to it: remove Accounts",
        )
    return operation, execution_input, params


def check_output_size(result: Mapping[str, Any]) -> None:
    """Refuse an output Step Functions would refuse (``States.DataLimitExceeded``, naming nothing).

    Inline targets travel in the output: too many of them mean the deployed distributed_threshold
    is too high for this organization; Params travel in it too (once, in ``Common``).
    """
    size = targets.json_size(result)
    if size <= targets.MAX_INPUT_BYTES:
        return
    limit = f"over Step Functions' limit of {targets.MAX_INPUT_BYTES} bytes (256 KiB)"
    items = result["AccountRegions"]
    params = targets.json_size(result["Common"]["Params"])
    if params * 2 > size or not items:
        raise InvalidInput(
            "Params",
            f"is {params} bytes of JSON, making the fanout's output {size} bytes, {limit}: pass shorter Params",
        )
    items_size = targets.json_size(items)
    per_target = -(-items_size // len(items))  # rounded up: the suggestion must fit
    fits = (targets.MAX_INPUT_BYTES - (size - items_size)) // per_target
    raise InvalidInput(
        "DistributedThreshold",
        f"{len(items)} targets inline make the fanout's output {size} bytes, {limit}: lower distributed_threshold "
        f"in Terraform to {fits} or less, so that such runs take the distributed Map",
    )


def _none(_account: org.Account) -> list[str]:
    return []


def regions_chooser(
    operation: Operation,
    execution_input: targets.ExecutionInput,
    default_regions: str,
    mgmt: boto3.Session,
    selected: list[org.Account],
    enabled_regions: inventory.RegionsFor | None = None,
) -> tuple[Any, list[str], Any]:
    """``(regions_for(account), skipped_regions, not_enabled_for(account))`` for the ``selected``.

    With ``"ALL"``, only the selected ACTIVE accounts' regions are listed (one call each).
    With named regions, only when some are opt-in are the selected ACTIVE accounts' enabled regions
    listed (one call each), and an account that has not enabled one gets it in
    ``not_enabled_for`` (SKIPPED RegionNotEnabled).
    ``organization`` scope: one target, the management account in the home region (every other
    account gets no region, so no target and no skipped row).
    ``enabled_regions(account ids)`` gives the accounts' enabled regions: the organization
    inventory's when it is configured, ``account:ListRegions`` otherwise.
    """
    if enabled_regions is None:

        def enabled_regions(account_ids: list[str]) -> dict[str, list[str]]:
            return org.enabled_regions(mgmt, account_ids)

    if operation.scope == "organization":
        organization = client(mgmt, "organizations", "us-east-1").describe_organization()["Organization"]
        master, home = organization["MasterAccountId"], [operation.home_region]
        return (lambda a: home if a.id == master else []), [], _none
    if operation.scope == "global":
        home = [operation.home_region]
        return (lambda _a: home), home, _none
    active = [a.id for a in selected if a.status == "ACTIVE"]
    if execution_input.all_regions:
        enabled = enabled_regions(active)
        return (lambda a: enabled[a.id]), [targets.ALL_REGIONS], _none
    requested = list(execution_input.regions or targets.parse_default_regions(default_regions))
    opt_in = regions.opt_in_regions(requested) if active else []
    if not opt_in:
        return (lambda _a: requested), requested, _none
    enabled = enabled_regions(active)

    def missing(account: org.Account) -> list[str]:
        return regions.not_enabled(requested, opt_in, enabled.get(account.id, ()))

    def usable(account: org.Account) -> list[str]:
        gone = set(missing(account))
        return [r for r in requested if r not in gone]

    return usable, requested, missing


def needs(operation: Operation, execution_input: targets.ExecutionInput, default_regions: str) -> inventory.Needs:
    """What this run needs of each account: its OU path, its tags, its enabled regions."""
    regional = operation.scope == "regional"
    opt_in = False
    if regional and not execution_input.all_regions:
        try:
            requested = execution_input.regions or targets.parse_default_regions(default_regions)
        except InvalidInput:
            requested = ()  # refused later, where it always was (regions_chooser), in the same words
        opt_in = bool(regions.opt_in_regions(requested))
    return inventory.Needs(
        parents=targets.needs_parents(execution_input.accounts),
        tags=targets.needs_tags(execution_input.accounts),
        regions=regional and (execution_input.all_regions or opt_in),
    )


def fanout(
    event: Mapping[str, Any],
    settings: FanoutSettings,
    session: boto3.Session,
    now: float | None = None,
    *,
    clock: inventory.Clock | None = None,
    budget_seconds: float = inventory.FANOUT_BUDGET_SECONDS,
) -> dict[str, Any]:
    clock = clock or inventory.RealClock()
    started = clock.now()
    operation, execution_input, params = validate(event)
    threshold = _int_setting(event, "DistributedThreshold", 1000)
    batch_size = _int_setting(event, "BatchSize", 20)
    execution_arn = str(event["ExecutionId"])
    execution = store.ExecutionRef.parse(execution_arn)

    mgmt = org.management_session(session, settings.org_role_arn)
    selection = execution_input.accounts
    wanted = needs(operation, execution_input, str(event.get("DefaultRegions", "")))
    regions_of: inventory.RegionsFor | None = None
    if settings.inventory_table and wanted.any():
        # Tags, OU paths and enabled regions from the organization inventory; membership live.
        accounts, regions_of = inventory.fanout_accounts(
            mgmt,
            client(session, "dynamodb"),
            settings.inventory_table,
            selection.include,
            selection.exclude,
            wanted,
            clock=clock,
            started=started,
            now=time.time() if now is None else now,
            budget=budget_seconds,
        )
    else:
        accounts = org.load_accounts(mgmt, with_parents=wanted.parents, with_tags=wanted.tags)
    targets.check_known_accounts(accounts, selection)
    targets.check_known_units(selection, org.missing_units(mgmt, selection.organizational_units))
    selected = [a for a in accounts if targets.matches(a, selection)]
    regions_for, skipped_regions, not_enabled_for = regions_chooser(
        operation, execution_input, str(event.get("DefaultRegions", "")), mgmt, selected, regions_of
    )
    plan = targets.plan_targets(selected, selection, regions_for, skipped_regions, not_enabled_for)

    expires_at = int((time.time() if now is None else now) + settings.result_ttl_days * DAY)
    result: dict[str, Any] = {
        "Operation": operation.name,
        "ExecutionId": execution_arn,
        "TargetCount": len(plan.targets),
        "Skipped": len(plan.skipped) + len(plan.not_enabled),
        "Common": {
            "Operation": operation.name,
            "Params": params,
            "DryRun": execution_input.dry_run,
            "ExpiresAt": expires_at,
        },
        "Mode": INLINE,
        "AccountRegions": [t.as_item() for t in plan.targets],
        "Batches": None,
        # Set by either Map state's Catch when the Map fails as a whole; the report reads it.
        "MapError": None,
    }
    distributed = len(plan.targets) > threshold
    key = store.targets_key(execution)
    if distributed:
        result.update(Mode=DISTRIBUTED, AccountRegions=[], Batches={"Bucket": settings.data_bucket, "Key": key})
    check_output_size(result)  # before anything is written: a refused run leaves nothing behind

    if plan.skipped or plan.not_enabled:
        store.batch_write(
            client(session, "dynamodb"),
            settings.status_table,
            [
                *store.skipped_items(execution_arn, plan.skipped, "AccountNotActive", expires_at),
                *store.skipped_items(
                    execution_arn,
                    plan.not_enabled,
                    "RegionNotEnabled",
                    expires_at,
                    "the account has not enabled this opt-in region (account:ListRegions); enable it, or leave it out",
                ),
            ],
        )
    # The plan (an empty one included), for the distributed Map's ItemReader and, in both paths,
    # for the report, which reconciles it with the recorded statuses: no planned target is lost.
    body = json.dumps([{"Targets": b} for b in targets.batches(plan.targets, batch_size)]).encode()
    client(session, "s3").put_object(Bucket=settings.data_bucket, Key=key, Body=body, ContentType="application/json")
    return result


@observability.observed(observability.FANOUT)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return fanout(event, FanoutSettings.from_env(), new_session(), budget_seconds=budget(context))


# What the fanout keeps, of its Lambda's time, for writing the targets and the skipped statuses.
WRITE_MARGIN_SECONDS = 50.0


def budget(context: Any) -> float:
    """The seconds the fanout may spend listing the organization: the invocation's time left less
    ``WRITE_MARGIN_SECONDS`` (``inventory.FANOUT_BUDGET_SECONDS`` when the context does not say)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return inventory.FANOUT_BUDGET_SECONDS
    return max(0.0, remaining() / 1000 - WRITE_MARGIN_SECONDS)
