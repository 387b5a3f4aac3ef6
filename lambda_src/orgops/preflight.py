"""Pre-flight: can the operation's worker reach every selected account before anything runs?

The honest check is the worker's own: the deployed worker function, invoked with
``{"Preflight": true, "Target": {...}}``, only assumes its member role in the target's account
(with its own execution role, whose trust the member roles name) and answers ``OK`` or the
AssumeRole error; it never runs the operation. ``Preflight: true`` in the execution input makes the
fanout do this for one target of each planned account, and fail the execution with the
unreachable accounts listed (``PreflightFailed``) instead of running N workers into N
``AccessDenied`` rows; ``orgops doctor`` asks the same question from an operator's credentials.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from orgops import store
from orgops.errors import PreflightFailed
from orgops.targets import Target
from orgops.text import safe_message

OK = "OK"
# Invocations at once: well inside the worker's reserved concurrency (50 by default).
CONCURRENCY = 8
# Accounts named in a PreflightFailed message (the rest are counted): it is the execution's cause.
MAX_LISTED = 50


def event(target: Target, execution_arn: str | None = None) -> dict[str, Any]:
    """The worker's pre-flight event (``ExecutionId``: a stopped execution's are refused, as its tasks are)."""
    doc: dict[str, Any] = {"Preflight": True, "Target": target.as_item()}
    if execution_arn:
        doc["ExecutionId"] = execution_arn
    return doc


def one_per_account(targets: Iterable[Target]) -> list[Target]:
    """The first target of each account, in order: a member role is the same in every region."""
    seen: dict[str, Target] = {}
    for target in targets:
        seen.setdefault(target.account_id, target)
    return list(seen.values())


def invoke(lam: Any, function: str, target: Target, execution_arn: str | None = None) -> dict[str, Any]:
    """The worker's pre-flight answer for ``target``; a worker that raised is a FAILED answer with its error."""
    answer = lam.invoke(FunctionName=function, Payload=json.dumps(event(target, execution_arn)).encode())
    body = answer["Payload"].read()
    payload = json.loads(body) if body else None
    if answer.get("FunctionError") or not isinstance(payload, Mapping):
        error = payload if isinstance(payload, Mapping) else {}
        return {
            **target.as_item(),
            "Status": store.FAILED,
            "ErrorCode": str(error.get("errorType") or "Lambda.Unknown"),
            "ErrorMessage": safe_message(str(error.get("errorMessage") or body[:500])),
        }
    return dict(payload)


def check(
    lam: Any,
    function: str,
    targets: Iterable[Target],
    execution_arn: str | None = None,
    concurrency: int = CONCURRENCY,
) -> list[dict[str, Any]]:
    """One pre-flight answer per account of ``targets``, in the accounts' order."""
    accounts = one_per_account(targets)
    if not accounts:
        return []
    with ThreadPoolExecutor(
        max_workers=max(1, min(concurrency, len(accounts))), thread_name_prefix="preflight"
    ) as pool:
        return list(pool.map(lambda t: invoke(lam, function, t, execution_arn), accounts))


def unreachable(answers: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [a for a in answers if a.get("Status") != OK]


def failure_message(answers: Sequence[Mapping[str, Any]]) -> str:
    """Which accounts cannot be reached, and what to do: the cause of a failed pre-flight."""
    bad = unreachable(answers)
    named = [
        f"{a.get('AccountId')} ({a.get('AccountName', '')}): {a.get('ErrorCode')}: {a.get('ErrorMessage')}"
        for a in bad[:MAX_LISTED]
    ]
    more = f"; and {len(bad) - MAX_LISTED} more" if len(bad) > MAX_LISTED else ""
    return (
        f"{len(bad)} of {len(answers)} accounts cannot be reached (the worker's role cannot assume their member "
        f"role), so no target was run: {'; '.join(named)}{more}. Deploy the member roles there (the member-roles "
        "StackSet: orgops doctor shows its instances) or leave those accounts out (Accounts.Exclude), then run again"
    )


def require_reachable(answers: Sequence[Mapping[str, Any]]) -> None:
    """Raise ``PreflightFailed`` naming the unreachable accounts, if any."""
    if unreachable(answers):
        raise PreflightFailed(failure_message(answers))
