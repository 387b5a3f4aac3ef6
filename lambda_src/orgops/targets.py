"""Execution input and target planning: pure functions, no I/O.

``parse_input`` turns the raw execution input into an ``ExecutionInput`` or raises
``InvalidInput`` naming the field. ``select_accounts`` and ``plan_targets`` decide which
account/region pairs run; they never call AWS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orgops import regions as aws_regions
from orgops.errors import InvalidInput
from orgops.org import Account
from orgops.text import field_path, kind, show

if TYPE_CHECKING:
    from orgops.plans import PlanRef

# Whole strings (\A...\Z: "$" would accept a trailing newline) in AWS's ASCII character sets
# ("\d" would accept other scripts' digits).
ACCOUNT_ID = re.compile(r"\A[0-9]{12}\Z")
OU_ID = re.compile(r"\A(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})\Z")
REGION = re.compile(r"\A[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}\Z")
TAG_KEY = re.compile(r"\A[\w.:/=+\-@ ]{1,128}\Z")
ALL_REGIONS = "ALL"
# An execution ARN (RetryFailed): AWS's execution names are 1-80 characters, no whitespace or ':'.
EXECUTION_ARN = re.compile(
    r"\Aarn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:[A-Za-z0-9_-]{1,80}:[^\s:/]{1,80}\Z"
)
EXECUTION_ARN_EXAMPLE = (
    "arn:aws:states:eu-west-1:111122223333:execution:orgops-public-ips:public-ips-20261125T101500Z-1a2b"
)
PERCENT = re.compile(r"\A([0-9]{1,3})%\Z")

INPUT_KEYS = (
    "Regions",
    "Accounts",
    "Params",
    "DryRun",
    "MaxErrors",
    "RetryFailed",
    "Preflight",
    "Plan",
    "StartedBy",
    "Canary",
    "Waves",
)
# Step Functions refuses an execution input over 256 KiB at StartExecution, with a message that
# names no field; checked here (by the CLI before it starts anything, and by the fanout).
MAX_INPUT_BYTES = 256 * 1024
ACCOUNTS_KEYS = ("Include", "Exclude", "OrganizationalUnits", "Tags")


@dataclass(frozen=True)
class Target:
    account_id: str
    account_name: str
    region: str
    # A run applying a plan: the digest of this target's planned changes (orgops.plans).
    plan: str = ""

    def as_item(self) -> dict[str, str]:
        item = {"AccountId": self.account_id, "AccountName": self.account_name, "Region": self.region}
        if self.plan:
            item["Plan"] = self.plan
        return item

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Target:
        return cls(
            str(item["AccountId"]), str(item.get("AccountName", "")), str(item["Region"]), str(item.get("Plan") or "")
        )


@dataclass(frozen=True)
class AccountFilter:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    organizational_units: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MaxErrors:
    """The run's error budget: once more targets than ``limit(planned)`` have failed, no new target
    starts. A whole number of targets (``count``), or a percentage of the planned targets (``percent``,
    rounded down: "10%" of 25 targets is 2)."""

    count: int | None = None
    percent: int | None = None

    def limit(self, planned: int) -> int:
        if self.percent is not None:
            return planned * self.percent // 100
        return int(self.count or 0)

    @property
    def text(self) -> str:
        """As it was given: ``3`` or ``10%``."""
        return f"{self.percent}%" if self.percent is not None else str(self.count)


MAX_WAVES = 20


@dataclass(frozen=True)
class Waves:
    """``Waves``: ``count`` equal waves of the targets after the canary, or ``percents``: cumulative
    percentages of all the planned targets, strictly increasing, the last 100 (orgops.waves splits)."""

    count: int | None = None
    percents: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        """As it was given: ``3`` or ``5%,25%,100%``."""
        return ",".join(f"{p}%" for p in self.percents) if self.percents else str(self.count)


@dataclass(frozen=True)
class ExecutionInput:
    regions: tuple[str, ...] | None  # None: the operation's deployed default regions
    all_regions: bool
    accounts: AccountFilter
    params: Mapping[str, Any]
    dry_run: bool
    max_errors: MaxErrors | None = None  # None: the deployed max_errors (or no budget)
    retry_failed: str | None = None  # an earlier execution's ARN: run its failed and not-run targets
    preflight: bool = False  # assume every account's member role before any worker runs
    # A reviewed plan to apply (orgops.plans): exactly its changes, with its Params.
    plan: PlanRef | None = None
    # Who started the run, as the caller declared it (orgops run/apply: its STS identity); audit log.
    started_by: str | None = None
    # Canary waves (orgops.waves): these accounts or OUs' targets first, then the rest in waves.
    canary: tuple[str, ...] = ()
    waves: Waves | None = None
    # Whether Params was in the input: a retry without Params reuses the earlier execution's.
    params_given: bool = field(default=False, compare=False)


def _check_keys(raw: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in raw:
        if key not in allowed:
            raise InvalidInput(field_path(where, key), f"unknown key; allowed keys are {', '.join(allowed)}")


def _string_list(raw: Any, where: str, pattern: re.Pattern[str], what: str, example: str) -> tuple[str, ...]:
    """A non-empty list of strings matching ``pattern``, as given (positions stay valid for errors)."""
    if not isinstance(raw, list):
        raise InvalidInput(where, f"must be a list of {what}s (like {example}), got {kind(raw)}")
    if not raw:
        raise InvalidInput(where, f"is empty; list at least one {what} or omit {where}")
    for i, value in enumerate(raw):
        if not isinstance(value, str):
            raise InvalidInput(f"{where}[{i}]", f"must be a string (a {what} like {example}), got {kind(value)}")
        if not pattern.match(value):
            raise InvalidInput(f"{where}[{i}]", f"{show(value)} is not a valid {what} (like {example})")
    return tuple(raw)


def _parse_regions(raw: Any) -> tuple[tuple[str, ...] | None, bool]:
    if raw is None:
        return None, False
    if raw == ALL_REGIONS:
        return None, True
    if isinstance(raw, str):
        raise InvalidInput("Regions", f'must be a list of region names or "ALL", got {show(raw)}')
    regions = _string_list(raw, "Regions", REGION, "region name", "eu-west-1")
    for i, name in aws_regions.unknown(regions):
        raise InvalidInput(
            f"Regions[{i}]", f"{show(name)} is not a region AWS knows (in no partition): check the spelling"
        )
    return tuple(dict.fromkeys(regions)), False  # a region listed twice runs once


def _parse_tags(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise InvalidInput("Accounts.Tags", f"must be an object of tag key to value, got {kind(raw)}")
    if not raw:
        raise InvalidInput("Accounts.Tags", "is empty; give at least one tag or omit Accounts.Tags")
    for key, value in raw.items():
        if not TAG_KEY.match(key):
            raise InvalidInput(
                field_path("Accounts.Tags", key),
                "is not a valid tag key (1 to 128 letters, digits, spaces and _.:/=+-@)",
            )
        if not isinstance(value, str):
            raise InvalidInput(field_path("Accounts.Tags", key), f"must be a string, got {kind(value)}")
    return dict(raw)


def _parse_accounts(raw: Any) -> AccountFilter:
    if raw is None:
        return AccountFilter()
    if not isinstance(raw, dict):
        raise InvalidInput("Accounts", f"must be an object, got {kind(raw)}")
    _check_keys(raw, ACCOUNTS_KEYS, "Accounts")
    account, account_example = "12-digit account id", '"123456789012"'
    ou, ou_example = "OU or root id", "ou-ab12-cd34ef56 or r-ab12"
    present = {k: v for k, v in raw.items() if v is not None}
    selection = AccountFilter(
        include=_string_list(present["Include"], "Accounts.Include", ACCOUNT_ID, account, account_example)
        if "Include" in present
        else (),
        exclude=_string_list(present["Exclude"], "Accounts.Exclude", ACCOUNT_ID, account, account_example)
        if "Exclude" in present
        else (),
        organizational_units=_string_list(
            present["OrganizationalUnits"], "Accounts.OrganizationalUnits", OU_ID, ou, ou_example
        )
        if "OrganizationalUnits" in present
        else (),
        tags=_parse_tags(present["Tags"]) if "Tags" in present else {},
    )
    both = [i for i, a in enumerate(selection.exclude) if a in selection.include]
    if both:
        i = both[0]
        raise InvalidInput(
            f"Accounts.Exclude[{i}]",
            f"{selection.exclude[i]} is also in Accounts.Include: list each account in one of them only",
        )
    return selection


MAX_ERRORS_RULE = (
    "must be a whole number of failed targets from 0 (0: stop after the first failure) or a percentage of the "
    'planned targets from "1%" to "100%", like 3 or "10%"'
)


def parse_max_errors(raw: Any, where: str = "MaxErrors") -> MaxErrors | None:
    """``MaxErrors``: a whole number >= 0, or ``"N%"`` with 1 <= N <= 100; None when omitted."""
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return MaxErrors(count=raw)
    match = PERCENT.match(raw) if isinstance(raw, str) else None
    if match and 1 <= int(match.group(1)) <= 100:
        return MaxErrors(percent=int(match.group(1)))
    raise InvalidInput(where, f"{MAX_ERRORS_RULE}; got {show(raw)}")


def _refuse_given(raw: Mapping[str, Any], keys: Sequence[str], problem: str) -> None:
    """Refuse the first of ``keys`` the input gives (not null): ``problem`` says why, with ``{key}``."""
    for key in keys:
        if raw.get(key) is not None:
            raise InvalidInput(key, problem.format(key=key))


def _parse_retry_failed(raw: Mapping[str, Any]) -> str | None:
    arn = raw.get("RetryFailed")
    if arn is None:
        return None
    if not isinstance(arn, str) or not EXECUTION_ARN.match(arn):
        raise InvalidInput(
            "RetryFailed",
            f"must be the ARN of an earlier execution of this operation (like {EXECUTION_ARN_EXAMPLE}), "
            f"got {show(arn)}",
        )
    _refuse_given(
        raw,
        ("Regions", "Accounts"),
        "does not apply with RetryFailed, which runs exactly the failed and not-run targets of the earlier "
        "execution: remove {key}",
    )
    return arn


def _parse_plan(raw: Mapping[str, Any]) -> PlanRef | None:
    """``Plan``: the reviewed plan to apply; its targets and Params are the plan's, nothing else's."""
    from orgops import plans  # plans reads the store, which reads this module

    ref = plans.parse_ref(raw.get("Plan"))
    if ref is None:
        return None
    _refuse_given(
        raw,
        ("Regions", "Accounts", "Params", "RetryFailed"),
        "does not apply with Plan, which applies exactly the plan's changes to its targets with the Params it was "
        "made with: remove {key} (or make a new plan with them)",
    )
    return ref


STARTED_BY = re.compile(r"\Aarn:aws[a-z-]*:(iam|sts)::[0-9]{12}:[\w+=,.@/-]{1,512}\Z")


def _parse_started_by(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not STARTED_BY.match(raw):
        raise InvalidInput(
            "StartedBy",
            "must be the caller's IAM or STS ARN (aws sts get-caller-identity's Arn, which orgops run and orgops "
            f"apply put here), got {show(raw)}",
        )
    return raw


CANARY_EXAMPLE = '"111122223333", ou-ab12-cd34ef56 or r-ab12'
WAVES_RULE = (
    f"must be a number of waves from 1 to {MAX_WAVES} (the targets after the canary, in that many equal waves) or "
    'a list of cumulative percentages of all the planned targets ending in "100%", like 3 or ["5%", "25%", "100%"]'
)


def parse_canary(raw: Any) -> tuple[str, ...]:
    """``Canary``: the account ids and OU or root ids whose targets run first; () when omitted."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidInput(
            "Canary", f"must be a list of account ids or OU or root ids (like {CANARY_EXAMPLE}), got {kind(raw)}"
        )
    if not raw:
        raise InvalidInput("Canary", "is empty; list at least one account id or OU or root id, or omit Canary")
    seen: dict[str, int] = {}
    for i, value in enumerate(raw):
        where = f"Canary[{i}]"
        if not isinstance(value, str):
            raise InvalidInput(
                where, f"must be a string (an account id or an OU or root id, like {CANARY_EXAMPLE}), got {kind(value)}"
            )
        if not (ACCOUNT_ID.match(value) or OU_ID.match(value)):
            raise InvalidInput(
                where, f"{show(value)} is not a 12-digit account id or an OU or root id (like {CANARY_EXAMPLE})"
            )
        if value in seen:
            raise InvalidInput(where, f"{value} is also Canary[{seen[value]}]: list it once")
        seen[value] = i
    return tuple(raw)


def parse_waves(raw: Any) -> Waves | None:
    """``Waves``: a number of equal waves (1 to ``MAX_WAVES``) or cumulative percentages; None when omitted."""
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= MAX_WAVES:
        return Waves(count=raw)
    if not isinstance(raw, list):
        raise InvalidInput("Waves", f"{WAVES_RULE}; got {show(raw)}")
    if not raw:
        raise InvalidInput(
            "Waves",
            'is empty; list cumulative percentages ending in "100%" (like ["5%", "25%", "100%"]), give a number of '
            "waves, or omit Waves",
        )
    if len(raw) > MAX_WAVES:
        raise InvalidInput("Waves", f"lists {len(raw)} waves; at most {MAX_WAVES} are allowed")
    percents: list[int] = []
    for i, value in enumerate(raw):
        match = PERCENT.match(value) if isinstance(value, str) else None
        if not match or not 1 <= int(match.group(1)) <= 100:
            raise InvalidInput(
                f"Waves[{i}]",
                f'must be a percentage of the planned targets from "1%" to "100%" (like "25%"), got {show(value)}',
            )
        percent = int(match.group(1))
        if percents and percent <= percents[-1]:
            raise InvalidInput(
                f"Waves[{i}]",
                f'"{percent}%" is not more than Waves[{i - 1}] ("{percents[-1]}%"): the percentages are cumulative '
                "(of all the planned targets), so each must be larger than the one before",
            )
        percents.append(percent)
    if percents[-1] != 100:
        raise InvalidInput(
            f"Waves[{len(raw) - 1}]",
            f'the last wave must be "100%" (the percentages are cumulative: the last wave runs every target left), '
            f'got "{percents[-1]}%"',
        )
    return Waves(percents=tuple(percents))


def _parse_canary_waves(raw: Mapping[str, Any]) -> tuple[tuple[str, ...], Waves | None]:
    if raw.get("RetryFailed") is not None:
        _refuse_given(
            raw,
            ("Canary", "Waves"),
            "does not apply with RetryFailed, which runs a known set of failed and not-run targets, in one wave: "
            "remove {key} (MaxErrors still stops the retry)",
        )
    return parse_canary(raw.get("Canary")), parse_waves(raw.get("Waves"))


def parse_input(raw: Any) -> ExecutionInput:
    """Validate the execution input; every key is optional (``null`` counts as omitted).

    Raises ``InvalidInput`` naming the first offending field.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInput("$", f"the execution input must be a JSON object, got {kind(raw)}")
    check_size(raw)
    _check_keys(raw, INPUT_KEYS, "")
    regions, all_regions = _parse_regions(raw.get("Regions"))
    params = raw.get("Params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidInput("Params", f"must be an object of the operation's parameters, got {kind(params)}")
    dry_run = raw.get("DryRun")
    if dry_run is None:
        dry_run = True
    if not isinstance(dry_run, bool):
        raise InvalidInput("DryRun", f"must be true or false (a JSON boolean), got {kind(dry_run)} {show(dry_run)}")
    preflight = raw.get("Preflight")
    if preflight is not None and not isinstance(preflight, bool):
        raise InvalidInput(
            "Preflight", f"must be true or false (a JSON boolean), got {kind(preflight)} {show(preflight)}"
        )
    canary, waves = _parse_canary_waves(raw)
    return ExecutionInput(
        regions=regions,
        all_regions=all_regions,
        accounts=_parse_accounts(raw.get("Accounts")),
        params=params,
        dry_run=dry_run,
        max_errors=parse_max_errors(raw.get("MaxErrors")),
        retry_failed=_parse_retry_failed(raw),
        preflight=bool(preflight),
        plan=_parse_plan(raw),
        started_by=_parse_started_by(raw.get("StartedBy")),
        canary=canary,
        waves=waves,
        params_given=raw.get("Params") is not None,
    )


def encode_input(value: Any) -> str:
    """``value`` as the compact UTF-8 JSON the CLI sends, and whose size ``json_size`` checks."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact JSON, as Step Functions counts a payload (UTF-8)."""
    return len(encode_input(value).encode())


def check_size(raw: Mapping[str, Any]) -> None:
    """Refuse an input Step Functions would refuse, naming the field that makes it too big.

    The field is found by descending into the largest value while it is an object.
    """
    size = json_size(raw)
    if size <= MAX_INPUT_BYTES:
        return
    path, value = "", raw
    while isinstance(value, dict) and value:
        key, value = max(value.items(), key=lambda kv: json_size(kv[1]))
        path = f"{path}.{key}" if path else str(key)
    fix = (
        "select accounts by Accounts.OrganizationalUnits or Accounts.Tags instead of listing them"
        if path in ("Accounts.Include", "Accounts.Exclude")
        else "pass fewer or shorter values"
    )
    raise InvalidInput(
        path or "$",
        f"makes the execution input {size} bytes of JSON; Step Functions accepts at most "
        f"{MAX_INPUT_BYTES} bytes (256 KiB): {fix}",
    )


def parse_default_regions(value: str) -> tuple[str, ...]:
    """The operation's deployed regions, given to the fanout as a comma-separated string."""
    regions = tuple(r.strip() for r in value.split(",") if r.strip())
    if not regions:
        raise InvalidInput(
            "DefaultRegions", "no regions were deployed for this operation; set regions in Terraform or pass Regions"
        )
    for region in regions:
        if not REGION.match(region):
            raise InvalidInput("DefaultRegions", f"{show(region)} is not a valid region name")
    for _i, name in aws_regions.unknown(regions):
        raise InvalidInput(
            "DefaultRegions", f"{show(name)} is not a region AWS knows (in no partition): fix regions in Terraform"
        )
    return regions


def needs_parents(accounts: AccountFilter) -> bool:
    return bool(accounts.organizational_units)


def needs_tags(accounts: AccountFilter) -> bool:
    return bool(accounts.tags)


def check_known_accounts(accounts: Sequence[Account], selection: AccountFilter) -> None:
    """An included or excluded account id that is not in the organization is a typo, not an empty
    run (or, for Exclude, an account that runs when it should not)."""
    known = {a.id for a in accounts}
    for where, ids in (("Accounts.Include", selection.include), ("Accounts.Exclude", selection.exclude)):
        for i, account_id in enumerate(ids):
            if account_id not in known:
                raise InvalidInput(f"{where}[{i}]", f"{account_id} is not an account of this organization")


def check_known_units(selection: AccountFilter, missing: Sequence[str]) -> None:
    """An OU or root id that is not in the organization is a typo, not a compliant empty run."""
    for i, unit in enumerate(selection.organizational_units):
        if unit in missing:
            raise InvalidInput(
                f"Accounts.OrganizationalUnits[{i}]",
                f"{unit} is not an OU or root of this organization (aws organizations list-roots, "
                "list-organizational-units-for-parent list them)",
            )


def matches(account: Account, selection: AccountFilter) -> bool:
    """Whether ``account`` passes every filter (status is not a filter: see ``plan_targets``)."""
    if selection.include and account.id not in selection.include:
        return False
    if account.id in selection.exclude:
        return False
    if selection.organizational_units and not set(account.parents) & set(selection.organizational_units):
        return False
    return all(account.tags.get(k) == v for k, v in selection.tags.items())


@dataclass(frozen=True)
class TargetPlan:
    targets: tuple[Target, ...]
    # Targets not run because their account is not ACTIVE; region "ALL" when the account's
    # regions could not be listed (an inactive account has none to list).
    skipped: tuple[Target, ...]
    # Targets not run because the account has not enabled the (opt-in) region.
    not_enabled: tuple[Target, ...] = ()
    # Each planned account's OU path (``Account.parents``, when it was read): a Canary OU matches by it.
    parents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _no_region(_account: Account) -> Sequence[str]:
    return ()


def plan_targets(
    accounts: Iterable[Account],
    selection: AccountFilter,
    regions_for: Callable[[Account], Sequence[str]],
    skipped_regions: Sequence[str],
    not_enabled_for: Callable[[Account], Sequence[str]] = _no_region,
) -> TargetPlan:
    """One target per selected ACTIVE account and region, sorted by account id then region.

    ``regions_for`` gives an active account's regions (a fixed list, the account's enabled
    regions, or the operation's home region for global operations); ``skipped_regions`` the
    regions reported as skipped for an inactive one; ``not_enabled_for`` the requested regions
    an active account has not enabled (they are planned as ``not_enabled``, never run).
    """
    targets: list[Target] = []
    skipped: list[Target] = []
    not_enabled: list[Target] = []
    parents: dict[str, tuple[str, ...]] = {}
    for account in sorted(accounts, key=lambda a: a.id):
        if not matches(account, selection):
            continue
        if account.status != "ACTIVE":
            skipped.extend(Target(account.id, account.name, r) for r in sorted(skipped_regions))
            continue
        targets.extend(Target(account.id, account.name, r) for r in sorted(regions_for(account)))
        parents[account.id] = tuple(account.parents)
        not_enabled.extend(Target(account.id, account.name, r) for r in sorted(not_enabled_for(account)))
    return TargetPlan(tuple(targets), tuple(skipped), tuple(not_enabled), parents)


def batches(items: Sequence[Target], size: int) -> list[list[dict[str, str]]]:
    """Pack targets into batches of ``size`` items for the distributed Map."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    return [[t.as_item() for t in items[i : i + size]] for i in range(0, len(items), size)]
