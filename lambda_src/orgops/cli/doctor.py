"""``orgops doctor``: before a run, what would fail it, checked from the operator's credentials.

For every selected account (the targeting flags, as ``orgops run`` takes them):

- **member role**: can the operations account's worker role assume the account's member role?
  Asked the honest way: the deployed worker function of each distinct member role is invoked with
  ``{"Preflight": true, "Target": {...}}`` (``lambda:InvokeFunction``), so the worker's own role
  tries the AssumeRole and nothing else runs (``orgops.preflight``). An account it cannot reach
  would give every one of its targets an ``AccessDenied`` row: ``FAIL``.
- **stackset**: the member-roles StackSet's instance for the account
  (``cloudformation:ListStackInstances``, as ``--call-as``): ``OUTDATED``, ``INOPERABLE`` or a
  failed last operation is a ``WARN`` (the member-role check says whether a run would fail).
- **trusted access** (once): StackSets' and Account Management's
  (``organizations:ListAWSServiceAccessForOrganization``). Without StackSets', new accounts get no
  member roles (``WARN``); without Account Management's, a run that lists regions (``--regions ALL``
  or an opt-in region) fails in the fanout (``FAIL``; ``WARN`` when this run would not list them).
- **regions**: each account's enabled regions (``account:ListRegions``, paced at Account
  Management's 5 requests per second); a named region the account has not enabled is a ``WARN``
  (a run records it ``SKIPPED``, ``RegionNotEnabled``).

Exit 0 when nothing would fail a run, 1 when something would (a ``FAIL`` row), 2 for bad flags,
4 when the doctor's own AWS calls are refused (listing the organization, reading a worker).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from orgops import operations, org, preflight, regions, targets
from orgops.cli.common import (
    EXIT_OK,
    Aws,
    NotFound,
    _key_value,
    add_aws_arguments,
    add_output_argument,
    build_input,
    endpoint_environment,
    guarded,
    print_json,
)
from orgops.sessions import assume_role, client

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"
WOULD_FAIL = 1  # the exit code when a check would fail a run (EXIT_TARGETS_FAILED's number)
STACK_SETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
ACCOUNT_PRINCIPAL = "account.amazonaws.com"
DEFAULT_STACK_SET = "orgops-member-roles"  # modules/member-roles' stack_set_name default
# account:ListRegions: 5 requests per second per account (Account Management quotas).
LIST_REGIONS_INTERVAL = 0.2
ORGANIZATION_ROLE = "organization"

DOCTOR_EPILOG = """\
examples:
  orgops doctor                                   # every deployed operation's member roles, every account
  orgops doctor tag-remediation --ou ou-ab12-cdef3456 --regions eu-west-1 af-south-1
  orgops doctor --tf-outputs outputs.json --output json

How each check is made is printed under the table. The caller needs, in the management account
(or a delegated administrator, or through --org-role-arn for the organization's reads):
organizations:ListAccounts (and ListParents... for --ou, ListTagsForResource for --tag),
organizations:ListAWSServiceAccessForOrganization, account:ListRegions,
cloudformation:DescribeStackSet and ListStackInstances on the member-roles StackSet; and in the
operations account lambda:GetFunctionConfiguration and lambda:InvokeFunction on the workers.

exit codes:
  0    nothing found would fail a run (WARN rows may still say what to fix)
  1    something would fail a run: a FAIL row
  2    usage error: bad flags
  4    an AWS error of the doctor's own: listing the organization, reading a worker function"""


@dataclass(frozen=True)
class Finding:
    check: str
    account_id: str
    account_name: str
    status: str
    detail: str


@dataclass(frozen=True)
class Worker:
    """One deployed worker function per distinct member role: the one whose role is checked."""

    function: str
    member_role: str
    operations: tuple[str, ...]
    organization: bool  # assumes the org-reader in the management account only


# -- what is checked ---------------------------------------------------------------------------
def workers(lam: Any, names: Sequence[str], prefix: str, explicit: bool) -> list[Worker]:
    """The deployed workers of ``names``, one per member role (``ORGOPS_MEMBER_ROLE_NAME``)."""
    by_role: dict[str, Worker] = {}
    for name in sorted(names):
        function = f"{prefix}-{name}-worker"
        try:
            config = lam.get_function_configuration(FunctionName=function)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            if explicit:
                raise NotFound(
                    f"no worker function {function}: {name} is not deployed here (pass --name-prefix, --region)"
                ) from None
            continue
        env = (config.get("Environment") or {}).get("Variables") or {}
        role = str(env.get("ORGOPS_MEMBER_ROLE_NAME") or "")
        known = by_role.get(role)
        if known is None:
            organization = operations.get(name).role == ORGANIZATION_ROLE
            by_role[role] = Worker(str(config["FunctionArn"]), role, (name,), organization)
        else:
            by_role[role] = Worker(known.function, role, (*known.operations, name), known.organization)
    if not by_role:
        raise NotFound(f"no worker function named {prefix}-<operation>-worker here: pass --name-prefix or --region")
    return list(by_role.values())


def _short(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def member_role_findings(
    lam: Any,
    deployed: Sequence[Worker],
    accounts: Sequence[org.Account],
    management_id: str,
    region: str,
    concurrency: int = preflight.CONCURRENCY,
) -> list[Finding]:
    """One row per (account, member role): the worker's own pre-flight answer."""
    asks: list[tuple[tuple[int, int], Worker, org.Account]] = []
    rows: dict[tuple[int, int], Finding] = {}
    for a_index, account in enumerate(accounts):
        for w_index, worker in enumerate(deployed):
            if worker.organization and account.id != management_id:
                continue  # the org-reader exists in the management account only; nothing assumes it elsewhere
            if account.status != "ACTIVE":
                if (a_index, 0) not in rows:  # once per account, whatever its roles
                    rows[(a_index, 0)] = Finding(
                        "member role", account.id, account.name, SKIP, f"{account.status}: a run skips this account"
                    )
                continue
            asks.append(((a_index, w_index), worker, account))

    def ask(item: tuple[tuple[int, int], Worker, org.Account]) -> dict[str, Any]:
        _, worker, account = item
        return preflight.invoke(lam, worker.function, targets.Target(account.id, account.name, region))

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="doctor") as pool:
        answers = list(pool.map(ask, asks))
    for (key, worker, account), answer in zip(asks, answers, strict=True):
        if answer.get("Status") == preflight.OK:
            detail, status = f"{worker.member_role} assumed by {_short(worker.function)}", OK
        else:
            detail = (
                f"{worker.member_role} ({', '.join(worker.operations)}): "
                f"{answer.get('ErrorCode')}: {answer.get('ErrorMessage')}"
            )
            if account.id == management_id:
                detail += (
                    " (the management account has only the roles of member_roles.management_account_roles: "
                    "leave it out with --exclude, or add the role there)"
                )
            status = FAIL
        rows[key] = Finding("member role", account.id, account.name, status, detail)
    return [rows[k] for k in sorted(rows)]


def trusted_access_findings(org_client: Any, lists_regions: bool) -> tuple[list[Finding], bool]:
    """(rows, whether Account Management's trusted access is enabled)."""
    try:
        pages = org_client.get_paginator("list_aws_service_access_for_organization").paginate()
        enabled = {s["ServicePrincipal"] for page in pages for s in page["EnabledServicePrincipals"]}
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        return [Finding("trusted access", "-", "", SKIP, f"could not be read: {code}")], False
    rows = []
    if STACK_SETS_PRINCIPAL in enabled:
        rows.append(Finding("trusted access", "-", "", OK, f"StackSets ({STACK_SETS_PRINCIPAL}) enabled"))
    else:
        rows.append(
            Finding(
                "trusted access",
                "-",
                "",
                WARN,
                f"StackSets ({STACK_SETS_PRINCIPAL}) not enabled: new accounts get no member roles "
                f"(aws organizations enable-aws-service-access --service-principal {STACK_SETS_PRINCIPAL})",
            )
        )
    account = ACCOUNT_PRINCIPAL in enabled
    if account:
        rows.append(Finding("trusted access", "-", "", OK, f"Account Management ({ACCOUNT_PRINCIPAL}) enabled"))
    else:
        rows.append(
            Finding(
                "trusted access",
                "-",
                "",
                FAIL if lists_regions else WARN,
                f"Account Management ({ACCOUNT_PRINCIPAL}) not enabled: "
                + (
                    "this run lists regions (ALL or an opt-in region), so its fanout would fail"
                    if lists_regions
                    else 'runs with Regions "ALL" or an opt-in region would fail in the fanout'
                )
                + f" (aws organizations enable-aws-service-access --service-principal {ACCOUNT_PRINCIPAL})",
            )
        )
    return rows, account


INSTANCE_OK = ("CURRENT",)
DETAIL_OK = ("SUCCEEDED", "")


def stack_set_findings(
    cfn: Any, name: str, call_as: str, accounts: Sequence[org.Account], management_id: str
) -> list[Finding]:
    """One row per selected active account: its StackSet instance, if any."""
    try:
        cfn.describe_stack_set(StackSetName=name, CallAs=call_as)
        pages = cfn.get_paginator("list_stack_instances").paginate(StackSetName=name, CallAs=call_as)
        instances: dict[str, list[Mapping[str, Any]]] = {}
        for page in pages:
            for summary in page["Summaries"]:
                instances.setdefault(str(summary["Account"]), []).append(summary)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        why = (
            f"no StackSet named {name} (pass --stack-set-name, or --tf-outputs with member_roles_stack_set)"
            if err.get("Code") == "StackSetNotFoundException"
            else f"could not be read: {err.get('Code')}: {err.get('Message', '')}"
        )
        return [Finding("stackset", "-", "", SKIP, why)]
    rows = []
    for account in accounts:
        if account.status != "ACTIVE":
            continue
        found = instances.get(account.id, [])
        if account.id == management_id and not found:
            rows.append(
                Finding("stackset", account.id, account.name, OK, "management account: its roles come from Terraform")
            )
        elif not found:
            rows.append(
                Finding(
                    "stackset",
                    account.id,
                    account.name,
                    WARN,
                    f"no instance of {name}: the StackSet does not deploy here (its OUs); the member role check says "
                    "whether the roles exist anyway",
                )
            )
        for summary in found:
            status = str(summary.get("Status", ""))
            detail = str((summary.get("StackInstanceStatus") or {}).get("DetailedStatus", ""))
            where = f"{name} in {summary.get('Region', '')}: {status}" + (f" ({detail})" if detail else "")
            reason = str(summary.get("StatusReason") or "")
            good = status in INSTANCE_OK and detail in DETAIL_OK
            rows.append(
                Finding(
                    "stackset",
                    account.id,
                    account.name,
                    OK if good else WARN,
                    where + (f": {reason}" if reason else ""),
                )
            )
    return rows


class Pacer:
    """At most one call per ``interval`` seconds (Account Management's rate), across threads."""

    def __init__(
        self, interval: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ):
        self._interval, self._clock, self._sleep = interval, clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            if now < self._next:
                self._sleep(self._next - now)
                now = self._next
            self._next = now + self._interval


def region_findings(
    session: Any,
    accounts: Sequence[org.Account],
    requested: Sequence[str] | None,
    pacer: Pacer,
) -> list[Finding]:
    """Each active account's enabled regions; a requested one not enabled is a WARN (SKIPPED in a run)."""
    own = org.own_account_id(session)
    rows = []
    for account in accounts:
        if account.status != "ACTIVE":
            continue
        pacer.wait()
        try:
            enabled = org.enabled_regions(session, [account.id], own_account_id=own)[account.id]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            rows.append(Finding("regions", account.id, account.name, SKIP, f"could not be listed: {code}"))
            continue
        if requested:
            missing = [r for r in requested if r not in enabled]
            if missing:
                rows.append(
                    Finding(
                        "regions",
                        account.id,
                        account.name,
                        WARN,
                        f"{', '.join(missing)} not enabled: a run records those targets SKIPPED (RegionNotEnabled)",
                    )
                )
                continue
            rows.append(Finding("regions", account.id, account.name, OK, f"{', '.join(requested)} enabled"))
            continue
        opt_in = regions.opt_in_regions(enabled)
        extra = f" (opt-in: {', '.join(opt_in)})" if opt_in else ""
        rows.append(Finding("regions", account.id, account.name, OK, f"{len(enabled)} regions enabled{extra}"))
    return rows


# -- output ------------------------------------------------------------------------------------
def how_checked(deployed: Sequence[Worker], stack_set: str, call_as: str) -> list[str]:
    functions = ", ".join(f"{_short(w.function)} ({w.member_role})" for w in deployed)
    return [
        f'member role: invoked {functions} with {{"Preflight": true, "Target": ...}} (lambda:InvokeFunction): the '
        "worker's own role tried the AssumeRole, nothing else ran",
        f"stackset: cloudformation:ListStackInstances on {stack_set} (CallAs {call_as})",
        "trusted access: organizations:ListAWSServiceAccessForOrganization",
        f"regions: account:ListRegions, one account every {LIST_REGIONS_INTERVAL:g} s (5 requests per second)",
    ]


def print_table(findings: Sequence[Finding], notes: Sequence[str], stream: TextIO) -> None:
    headers = ("CHECK", "ACCOUNT", "NAME", "STATUS", "DETAIL")
    table = [(f.check, f.account_id, f.account_name, f.status, f.detail) for f in findings]
    widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(headers[:-1])]
    for row in (headers, *table):
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
        print("  ".join([*cells, row[-1]]).rstrip(), file=stream)
    print("", file=stream)
    print("how it checked:", file=stream)
    for note in notes:
        print(f"  {note}", file=stream)
    failing = sum(f.status == FAIL for f in findings)
    if failing:
        print(f"\ndoctor: {failing} checks would fail a run (FAIL above)", file=stream)
    else:
        print("\ndoctor: nothing found that would fail a run", file=stream)


# -- the command -------------------------------------------------------------------------------
def stack_set_name(args: argparse.Namespace) -> str:
    if args.stack_set_name:
        return str(args.stack_set_name)
    if args.tf_outputs is not None:
        from orgops.cli.run import read_tf_outputs

        value = (read_tf_outputs(args.tf_outputs).get("member_roles_stack_set") or {}).get("value")
        if isinstance(value, str) and value:
            return value
    return DEFAULT_STACK_SET


def selected_accounts(session: Any, selection: targets.AccountFilter) -> list[org.Account]:
    accounts = org.load_accounts(
        session, with_parents=targets.needs_parents(selection), with_tags=targets.needs_tags(selection)
    )
    targets.check_known_accounts(accounts, selection)
    targets.check_known_units(selection, org.missing_units(session, selection.organizational_units))
    return sorted((a for a in accounts if targets.matches(a, selection)), key=lambda a: a.id)


def lists_regions(parsed: targets.ExecutionInput) -> bool:
    return parsed.all_regions or bool(regions.opt_in_regions(parsed.regions or ()))


@guarded
def cmd_doctor(args: argparse.Namespace) -> int:
    for name in args.operations:
        operations.get(name)
    parsed = targets.parse_input(build_input(args))
    with endpoint_environment(args.endpoint_url):  # every session, the assumed ones too
        aws = Aws.from_args(args)
        findings, notes = diagnose(aws, args, parsed)
    would_fail = sum(f.status == FAIL for f in findings)
    if args.output == "json":
        print_json({"Findings": [asdict(f) for f in findings], "HowChecked": notes, "WouldFail": would_fail})
    else:
        print_table(findings, notes, sys.stdout)
    return WOULD_FAIL if would_fail else EXIT_OK


def diagnose(aws: Aws, args: argparse.Namespace, parsed: targets.ExecutionInput) -> tuple[list[Finding], list[str]]:
    """Every check's rows, in the table's order, and how each was made."""
    session = aws.session
    if args.org_role_arn:
        session = assume_role(aws.session, args.org_role_arn, session_name="orgops-doctor").session
    lam = aws.client("lambda")
    deployed = workers(lam, args.operations or sorted(operations.REGISTRY), args.name_prefix, bool(args.operations))
    accounts = selected_accounts(session, parsed.accounts)
    org_client = client(session, "organizations", "us-east-1")
    management_id = str(org_client.describe_organization()["Organization"]["MasterAccountId"])
    region = (parsed.regions or (aws.region,))[0]

    access, account_management = trusted_access_findings(org_client, lists_regions(parsed))
    findings = [*access, *member_role_findings(lam, deployed, accounts, management_id, region)]
    name = stack_set_name(args)
    findings += stack_set_findings(aws.client("cloudformation"), name, args.call_as, accounts, management_id)
    if account_management:
        findings += region_findings(session, accounts, parsed.regions, Pacer(LIST_REGIONS_INTERVAL))
    else:
        findings.append(
            Finding("regions", "-", "", SKIP, "not listed: trusted access for Account Management is not enabled")
        )
    return findings, how_checked(deployed, name, args.call_as)


def register(sub: Any, formatter: Any) -> None:
    """``orgops doctor``, added to the ``orgops`` parser by ``orgops.cli.operator.register``."""
    p = sub.add_parser(
        "doctor",
        help="pre-flight: would a run fail? member roles, StackSet instances, trusted access, regions",
        description="Check, for every selected account, what would make a run fail: the member roles (asked of the "
        "deployed workers themselves), the member-roles StackSet's instances, trusted access for StackSets and "
        "Account Management, the enabled regions. Prints a table; exits 1 when something would fail a run.",
        epilog=DOCTOR_EPILOG,
        formatter_class=formatter,
    )
    p.add_argument(
        "operations",
        nargs="*",
        metavar="OPERATION",
        help="check these operations' member roles (default: every deployed operation)",
    )
    group = p.add_argument_group("accounts and regions (as orgops run takes them)")
    group.add_argument(
        "--regions", nargs="+", action="extend", metavar="REGION", help="regions a run would use, or ALL"
    )
    group.add_argument("--accounts", nargs="+", action="extend", metavar="ID", help="only these account ids")
    group.add_argument("--exclude", nargs="+", action="extend", metavar="ID", help="never these account ids")
    group.add_argument("--ou", nargs="+", action="extend", metavar="OU_ID", help="only accounts under these OUs")
    group.add_argument(
        "--tag", action="append", type=_key_value, metavar="KEY=VALUE", help="only accounts with this tag"
    )
    p.add_argument("--org-role-arn", help="role to assume to read the organization (default: your credentials)")
    p.add_argument(
        "--stack-set-name", help=f"the member-roles StackSet (default: --tf-outputs', else {DEFAULT_STACK_SET})"
    )
    p.add_argument(
        "--call-as",
        choices=("SELF", "DELEGATED_ADMIN"),
        default="SELF",
        help="how the StackSet is read: SELF in the management account, DELEGATED_ADMIN in a StackSets delegated "
        "administrator (member_roles.call_as)",
    )
    p.add_argument("--tf-outputs", type=Path, metavar="FILE", help="`terraform output -json > FILE`: the StackSet name")
    p.add_argument(
        "--name-prefix", default="orgops", help="workers are named PREFIX-OPERATION-worker (default: orgops)"
    )
    add_aws_arguments(p)
    add_output_argument(p)
    p.set_defaults(func=cmd_doctor, param=None, params_file=None, apply=False)
