"""Lambda invocations routed to our real handlers, in-process.

moto's simple Lambda backend (``LambdaSimpleBackend.invoke``) is replaced by ``Router.invoke``:
the function is looked up as deployed, its ``Handler`` string picks the handler, and the
handler's inner function runs with the function's environment *as settings* (never
``os.environ``: invocations run concurrently in threads) and a session holding the function's
execution-role credentials, as Lambda gives them. An exception becomes a Lambda function error
(``X-Amz-Function-Error: Unhandled`` and the ``{"errorType", "errorMessage", "stackTrace"}``
payload the Python runtime returns), so Step Functions sees exactly what it would see in AWS.

Every invocation is counted per function name (``Router.invocations``), and ``before_invoke``
hooks can inject latency or faults (used by benchmarks and reliability tests).
"""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from orgops.config import FanoutSettings, ReportSettings, WorkerSettings
from orgops.handlers import fanout, report, worker
from orgops.sessions import RoleSessions, new_session

# (event, the function's environment variables, a session with the function's role, the
# function's warm state: what a warm Lambda environment keeps between invocations) -> result
HandlerFunction = Callable[[dict[str, Any], Mapping[str, str], boto3.Session, dict[str, Any]], Any]
# (function name, event) -> None; may sleep or raise
Hook = Callable[[str, dict[str, Any]], None]
# (function name, event, result or None when the function failed) -> None
AfterHook = Callable[[str, dict[str, Any], Any], None]

FANOUT_HANDLER = "orgops.handlers.fanout.handler"
WORKER_HANDLER = "orgops.handlers.worker.handler"
REPORT_HANDLER = "orgops.handlers.report.handler"


def _fanout(event: dict[str, Any], env: Mapping[str, str], session: boto3.Session, warm: dict[str, Any]) -> Any:
    return fanout.fanout(event, FanoutSettings.from_env(env), session)


def _worker(event: dict[str, Any], env: Mapping[str, str], session: boto3.Session, warm: dict[str, Any]) -> Any:
    settings = WorkerSettings.from_env(env)
    # As the deployed handler does: one credential cache per warm environment.
    sessions = warm.setdefault("role_sessions", RoleSessions(session, settings.member_role_name))
    return worker.work(event, settings, session, sessions)


def _report(event: dict[str, Any], env: Mapping[str, str], session: boto3.Session, warm: dict[str, Any]) -> Any:
    return report.build_report(event, ReportSettings.from_env(env), session)


# Each Handler string Terraform deploys, mapped to the inner function its ``handler`` calls.
HANDLERS: dict[str, HandlerFunction] = {
    FANOUT_HANDLER: _fanout,
    WORKER_HANDLER: _worker,
    REPORT_HANDLER: _report,
}

CREDENTIAL_MARGIN = timedelta(minutes=5)
MAX_STACK_FRAMES = 20


@dataclass(frozen=True)
class _Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires: datetime


def function_error(exc: BaseException, request_id: str) -> dict[str, Any]:
    """The payload Lambda's Python runtime returns for an unhandled exception."""
    frames = traceback.format_tb(exc.__traceback__)[-MAX_STACK_FRAMES:]
    return {
        "errorMessage": str(exc),
        "errorType": getattr(exc, "error_type", type(exc).__name__),
        "requestId": request_id,
        "stackTrace": [f.rstrip("\n") for f in frames],
    }


class Router:
    """Routes moto Lambda invocations to orgops handlers; one per emulated world."""

    def __init__(self, handlers: Mapping[str, HandlerFunction] | None = None) -> None:
        self.handlers: dict[str, HandlerFunction] = dict(HANDLERS if handlers is None else handlers)
        self.before_invoke: list[Hook] = []
        self.after_invoke: list[AfterHook] = []
        self._invocations: Counter[str] = Counter()
        self._credentials: dict[tuple[str, str, str], _Credentials] = {}
        self._warm: dict[str, dict[str, Any]] = {}
        self._sessions: dict[tuple[str, str, str, str], tuple[_Credentials, boto3.Session]] = {}
        self._lock = threading.Lock()

    # -- counting ---------------------------------------------------------------------------
    @property
    def invocations(self) -> dict[str, int]:
        """Invocations so far, by function name."""
        with self._lock:
            return dict(self._invocations)

    def reset_counts(self) -> None:
        with self._lock:
            self._invocations.clear()

    def cool_down(self) -> None:
        """Forget every function's warm state (as after a deployment: cold starts)."""
        with self._lock:
            self._warm.clear()
            self._sessions.clear()

    # -- credentials ------------------------------------------------------------------------
    def _role_credentials(self, account_id: str, region: str, role_arn: str, session_name: str) -> _Credentials:
        """Credentials for the function's execution role, minted as the Lambda service does.

        Lambda assumes the role itself (trusted by ``lambda.amazonaws.com``), so this goes to
        moto's STS model directly rather than through the strict AssumeRole API check.
        """
        from moto.sts.models import sts_backends
        from moto.utilities.utils import get_partition

        key = (account_id, role_arn, session_name)
        now = datetime.now(UTC)
        with self._lock:
            cached = self._credentials.get(key)
            if cached is not None and cached.expires - CREDENTIAL_MARGIN > now:
                return cached
        role = sts_backends[account_id][get_partition(region)].assume_role(
            region_name=region,
            role_session_name=session_name[:64],
            role_arn=role_arn,
            policy="",
            duration=3600,
            external_id="",
        )
        expires = role.expiration if role.expiration.tzinfo else role.expiration.replace(tzinfo=UTC)
        fresh = _Credentials(role.access_key_id, role.secret_access_key, role.session_token, expires)
        with self._lock:
            self._credentials[key] = fresh
        return fresh

    def function_session(self, account_id: str, region: str, role_arn: str, function_name: str) -> boto3.Session:
        """The function's session, kept while its credentials are (a warm Lambda environment's)."""
        creds = self._role_credentials(account_id, region, role_arn, function_name)
        key = (account_id, region, role_arn, function_name)
        with self._lock:
            cached = self._sessions.get(key)
            if cached is not None and cached[0] is creds:
                return cached[1]
        session = new_session(
            region,
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            aws_session_token=creds.session_token,
        )
        with self._lock:
            self._sessions[key] = (creds, session)
        return session

    # -- the seam ---------------------------------------------------------------------------
    def invoke(
        self,
        backend: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes:
        """Replacement for ``LambdaSimpleBackend.invoke`` (``backend`` is moto's ``self``)."""
        fn = backend.get_function(function_name, qualifier)
        request_id = str(uuid.uuid4())
        response_headers["x-amzn-RequestId"] = request_id
        with self._lock:
            self._invocations[fn.function_name] += 1
        event: Any = {}
        try:
            event = json.loads(body) if body else {}
            handler = self.handlers.get(fn.handler)
            if handler is None:
                raise HandlerNotFound(
                    f"Handler '{fn.handler}' of function {fn.function_name} is not an orgops handler; "
                    f"known handlers: {', '.join(sorted(self.handlers))}"
                )
            for hook in list(self.before_invoke):
                hook(fn.function_name, event)
            session = self.function_session(backend.account_id, backend.region_name, fn.role, fn.function_name)
            with self._lock:
                warm = self._warm.setdefault(fn.function_arn, {})
            result = handler(event, dict(fn.environment_vars or {}), session, warm)
        except Exception as exc:  # every exception is a function error, as in Lambda
            response_headers["x-amz-function-error"] = "Unhandled"
            self._after(fn.function_name, event if isinstance(event, dict) else {}, None)
            return json.dumps(function_error(exc, request_id)).encode()
        self._after(fn.function_name, event, result)
        return json.dumps(result, default=str).encode()

    def _after(self, function_name: str, event: dict[str, Any], result: Any) -> None:
        for hook in list(self.after_invoke):
            hook(function_name, event, result)


class HandlerNotFound(Exception):
    """Lambda's ``Runtime.HandlerNotFound``: the Handler string names no known handler."""

    error_type = "Runtime.HandlerNotFound"


_active: Router | None = None
_active_lock = threading.Lock()


def activate(router: Router) -> Router:
    """Make ``router`` receive every Lambda invocation of the process."""
    global _active
    with _active_lock:
        _active = router
    return router


def deactivate(router: Router) -> None:
    """Stop routing to ``router``: moto behaves as unpatched again (other tests in the process)."""
    global _active
    with _active_lock:
        if _active is router:
            _active = None


def active() -> Router | None:
    with _active_lock:
        return _active


def invoke(self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any) -> Any:
    """Installed as ``LambdaSimpleBackend.invoke``; moto's own when no emulator is active."""
    router = active()
    if router is None:
        return invoke.orgops_wrapped(self, function_name, qualifier, body, headers, response_headers)  # type: ignore[attr-defined]
    return router.invoke(self, function_name, qualifier, body, headers, response_headers)
