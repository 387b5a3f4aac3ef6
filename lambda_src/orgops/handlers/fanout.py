"""Fanout: validate the execution input, list and filter the organization, emit the targets.

Event (built by the state machine's first task):
    {"Input": <execution input>, "Operation": "public-ips", "DefaultRegions": "eu-west-1,us-east-1",
     "DistributedThreshold": 1000, "BatchSize": 20, "DefaultMaxErrors": "" | "3" | "10%",
     "WorkerFunction": <the operation's worker ARN>, "ExecutionId": <execution ARN>}
Output: the common parameters once, and either the targets inline (``AccountRegions``) or, above
the threshold, a pointer to batches of targets in S3 for the distributed Map.

``MaxErrors`` (the input's, else Terraform's ``max_errors``) becomes a count of the planned targets
in ``Common.MaxErrors``, and the run's item (``store.RUN_TARGET``) is written for the workers'
failure counter. ``RetryFailed`` plans the failed and not-run targets of an earlier execution
instead of listing the organization (``orgops.retry``). ``Preflight: true`` invokes the worker in
pre-flight mode for one target per account and fails, naming the unreachable accounts, before
anything is written (``orgops.preflight``).

``Canary``/``Waves`` (``orgops.waves``): the output carries wave 1 only, every wave is written to
``targets/.../waves/<n>.json``, and ``Waves`` says how many remain. The same function is the gate
between waves: ``{"NextWave": <the state>}`` (the state machine's ``NextWave`` step, ``dispatch``)
returns the next wave's state, or the run stopped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3

from orgops import inventory, observability, operations, org, plans, preflight, regions, retry, store, targets, waves
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
    # A retry given no Params reuses the earlier run's, validated once they are read (``fanout``).
    # A plan applies the Params it was made with (read with the plan, in ``fanout``).
    reused = (execution_input.retry_failed is not None and not execution_input.params_given) or (
        execution_input.plan is not None
    )
    params = {} if reused else operation.validate_params(execution_input.params)
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
        # A Canary OU matches the accounts under it: their OU paths are needed too.
        parents=targets.needs_parents(execution_input.accounts)
        or any(targets.OU_ID.match(c) for c in execution_input.canary),
        tags=targets.needs_tags(execution_input.accounts),
        regions=regional and (execution_input.all_regions or opt_in),
    )


def max_errors_of(event: Mapping[str, Any], execution_input: targets.ExecutionInput) -> targets.MaxErrors | None:
    """The run's MaxErrors: the execution input's, else the deployed default (Terraform's ``max_errors``)."""
    if execution_input.max_errors is not None:
        return execution_input.max_errors
    default = event.get("DefaultMaxErrors")
    if default in (None, ""):
        return None
    if isinstance(default, str) and default.isdigit():
        default = int(default)
    return targets.parse_max_errors(default, "DefaultMaxErrors (Terraform max_errors)")


def plan_organization(
    event: Mapping[str, Any],
    settings: FanoutSettings,
    session: boto3.Session,
    operation: Operation,
    execution_input: targets.ExecutionInput,
    *,
    clock: inventory.Clock,
    started: float,
    now: float | None,
    budget_seconds: float,
) -> targets.TargetPlan:
    """List and filter the organization: the targets of a run that is not a retry."""
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
    return targets.plan_targets(selected, selection, regions_for, skipped_regions, not_enabled_for)


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
    max_errors = max_errors_of(event, execution_input)

    retried: retry.Retry | None = None
    applied: dict[str, Any] | None = None
    if execution_input.plan is not None:
        applied = applied_plan(operation, execution_input.plan, settings, session, now)
        plan = targets.TargetPlan(
            plans.apply_targets(operation, applied), (), parents=canary_parents(execution_input, settings, session)
        )
        params = operation.validate_params(applied["Params"])
    elif execution_input.retry_failed:
        retried = retry.plan_retry(
            session,
            settings.data_bucket,
            settings.status_table,
            operation.name,
            execution_arn,
            execution_input.retry_failed,
        )
        plan = targets.TargetPlan(retried.targets, ())
        if not execution_input.params_given:  # the earlier run's Params, checked again
            params = operation.validate_params(retried.params)
    else:
        plan = plan_organization(
            event,
            settings,
            session,
            operation,
            execution_input,
            clock=clock,
            started=started,
            now=now,
            budget_seconds=budget_seconds,
        )

    expires_at = int((time.time() if now is None else now) + settings.result_ttl_days * DAY)
    common: dict[str, Any] = {
        "Operation": operation.name,
        "Params": params,
        "DryRun": execution_input.dry_run,
        "ExpiresAt": expires_at,
    }
    if max_errors is not None:  # as a count of this run's planned targets: the workers compare it
        common["MaxErrors"] = max_errors.limit(len(plan.targets))
    if applied is not None:  # each worker reads its target's planned changes from the dry run's rows
        common["Plan"] = {"Execution": applied["Execution"], "Digest": applied["Digest"]}
    result: dict[str, Any] = {
        "Operation": operation.name,
        "ExecutionId": execution_arn,
        "TargetCount": len(plan.targets),
        "Skipped": len(plan.skipped) + len(plan.not_enabled),
        "Common": common,
        "Mode": INLINE,
        "AccountRegions": [t.as_item() for t in plan.targets],
        "Batches": None,
        # Set by either Map state's Catch when the Map fails as a whole; the report reads it.
        "MapError": None,
    }
    # Canary waves (orgops.waves): wave 1 travels like every run's targets, NextWave loads the others.
    split = waves.split(plan.targets, execution_input.canary, execution_input.waves, plan.parents)
    wave_run = waves.asked(execution_input.canary, execution_input.waves)
    result.update(AccountRegions=[t.as_item() for t in split[0]], Waves=waves.state(1, len(split), len(split[0])))
    distributed = len(split[0]) > threshold
    key = store.targets_key(execution)
    if distributed:
        first = store.wave_key(execution, 1) if wave_run else key
        result.update(Mode=DISTRIBUTED, AccountRegions=[], Batches={"Bucket": settings.data_bucket, "Key": first})
    check_output_size(result)  # before anything is written: a refused run leaves nothing behind
    for later in split[1:]:  # a later inline wave travels in NextWave's output: it must fit as well
        if len(later) <= threshold:
            check_output_size({**result, "AccountRegions": [t.as_item() for t in later]})
    if execution_input.preflight:  # before anything is written too: an unreachable account fails the run
        function = str(event.get("WorkerFunction") or "")
        if not function:
            raise InvalidInput("Preflight", "this state machine passes no WorkerFunction to the fanout: redeploy it")
        preflight.require_reachable(preflight.check(client(session, "lambda"), function, plan.targets, execution_arn))

    run = []
    # A mutating operation's run always has its item: the report reads from it whether the run
    # applied changes (the audit log: who, which plan), and a dry run's Params (its plan).
    if max_errors is not None or retried is not None or operation.mutating or wave_run:
        run.append(
            store.run_item(
                execution_arn,
                expires_at,
                planned=len(plan.targets),
                max_errors=common.get("MaxErrors"),
                max_errors_text=max_errors.text if max_errors is not None else None,
                retry_of=retried.of if retried is not None else None,
                change=change_record(operation, execution_input, params, applied),
                waves={
                    "waves": len(split),
                    "canary_wave": int(bool(execution_input.canary)),
                    "distributed_threshold": threshold,
                }
                if wave_run
                else None,
            )
        )
    if plan.skipped or plan.not_enabled or run:
        store.batch_write(
            client(session, "dynamodb"),
            settings.status_table,
            [
                *run,
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
    if wave_run:  # and each wave's targets, which NextWave loads (and the report counts by wave)
        waves.write(client(session, "s3"), settings.data_bucket, execution, split, batch_size)
    return result


def applied_plan(
    operation: Operation, ref: plans.PlanRef, settings: FanoutSettings, session: boto3.Session, now: float | None
) -> dict[str, Any]:
    """The reviewed plan this run applies: read from the data bucket, checked (its digest, its
    operation, not expired), before anything is written."""
    if not operation.mutating:
        raise InvalidInput("Plan", f"{operation.name} changes nothing, so it has no plans: run it without Plan")
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    doc = plans.read(client(session, "s3"), settings.data_bucket, ref)
    return plans.check(doc, operation.name, ref.digest, moment)


def canary_parents(
    execution_input: targets.ExecutionInput, settings: FanoutSettings, session: boto3.Session
) -> dict[str, tuple[str, ...]]:
    """A plan's targets come from the plan, not the organization: when its Canary names an OU or
    the root, the accounts' OU paths are read from the organization so that they can match."""
    if not any(not targets.ACCOUNT_ID.match(c) for c in execution_input.canary):
        return {}
    mgmt = org.management_session(session, settings.org_role_arn)
    return org.account_parents(client(mgmt, "organizations", "us-east-1"))


def change_record(
    operation: Operation,
    execution_input: targets.ExecutionInput,
    params: Mapping[str, Any],
    applied: Mapping[str, Any] | None,
) -> dict[str, str] | None:
    """What the run item keeps of a mutating run, for its report: dry run or not, its Params, who
    started it (as the input declared), and the plan it applies."""
    if not operation.mutating:
        return None
    record = {
        "dry_run": "true" if execution_input.dry_run else "false",
        "params": json.dumps(params, sort_keys=True, separators=(",", ":")),
        "started_by": execution_input.started_by or "",
    }
    if applied is not None and execution_input.plan is not None:
        record.update(
            plan_digest=str(applied["Digest"]), plan_of=str(applied["Execution"]), plan_uri=execution_input.plan.uri
        )
    return record


def dispatch(
    event: Mapping[str, Any], settings: FanoutSettings, session: boto3.Session, **kwargs: Any
) -> dict[str, Any]:
    """The function's two entries: the state machine's ``Fanout`` step, and its ``NextWave`` step
    (``{"NextWave": <the state>}``: the gate after a wave, orgops.waves)."""
    if "NextWave" in event:
        return next_wave(event["NextWave"], settings, session)
    return fanout(event, settings, session, **kwargs)


def next_wave(state: Mapping[str, Any], settings: FanoutSettings, session: boto3.Session) -> dict[str, Any]:
    """The gate after a wave: the next wave's state, or the run stopped (``orgops.waves.next_wave``)."""
    return waves.next_wave(
        state, settings.data_bucket, settings.status_table, client(session, "s3"), client(session, "dynamodb")
    )


@observability.observed(observability.FANOUT)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dispatch(event, FanoutSettings.from_env(), new_session(), budget_seconds=budget(context))


# What the fanout keeps, of its Lambda's time, for writing the targets and the skipped statuses.
WRITE_MARGIN_SECONDS = 50.0


def budget(context: Any) -> float:
    """The seconds the fanout may spend listing the organization: the invocation's time left less
    ``WRITE_MARGIN_SECONDS`` (``inventory.FANOUT_BUDGET_SECONDS`` when the context does not say)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return inventory.FANOUT_BUDGET_SECONDS
    return max(0.0, remaining() / 1000 - WRITE_MARGIN_SECONDS)
