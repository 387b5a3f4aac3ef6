"""Lambda invocations routed to our real handlers, in-process.

moto's simple Lambda backend (``LambdaSimpleBackend.invoke``) is replaced by ``Router.invoke``:
the function is looked up as deployed, its ``Handler`` string picks the handler, and the
handler's inner function runs with the function's environment *as settings* (never
``os.environ``: invocations run concurrently in threads) and a session holding the function's
execution-role credentials, as Lambda gives them. An exception becomes a Lambda function error
(``X-Amz-Function-Error: Unhandled`` and the ``{"errorType", "errorMessage", "stackTrace"}``
payload the Python runtime returns), so Step Functions sees exactly what it would see in AWS.

Every invocation is counted per function name (``Router.invocations``), and ``before_invoke``
hooks can inject latency or faults (used by benchmarks and reliability tests). Lambda's
concurrency limits apply first (``orgops.emulator.limits``: ``Router.limits``, counted in
``Router.usage``): an invocation beyond the function's reserved concurrency or the account's
unreserved concurrency is refused with Lambda's 429 ``TooManyRequestsException`` before the
function runs (not counted in ``invocations``, no hook).

Stopped executions, as AWS ends them (``install_stop_seams``, from ``activate``): moto 5.2.5
ends a stopped execution FAILED with ``States.Runtime`` ``AttributeError('str' object has no
attribute 'get')``: its Map iteration hands the stop's error string where the Map expects the
error *details* (a dict), and the resulting exception reaches ``Environment.set_error``, which,
unlike ``set_stop`` and ``set_ended``, replaces even a stopped program's state. Here
``StopExecution`` makes the execution ``ABORTED`` at once, with its error, cause and stop date, as
on AWS; ``set_error`` leaves a stopped program stopped; and the router refuses every invocation
for a stopped execution, so no worker (or fanout) starts after the stop. The emulator has no
EventBridge: when an execution ends FAILED, TIMED_OUT or ABORTED, the router invokes the report
function with the event ``modules/operation``'s rule hands it (``status_change_event``), which
writes the partial report, just before the final status shows (a stopped execution: once its
running tasks have returned).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from orgops.asl import FANOUT_STATE, REPORT_STATE
from orgops.config import FanoutSettings, ReportSettings, WorkerSettings
from orgops.emulator import limits
from orgops.handlers import fanout, report, worker
from orgops.sessions import RoleSessions, new_session

LOG = logging.getLogger(__name__)

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
    return fanout.dispatch(event, FanoutSettings.from_env(env), session)


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


# -- the status change the EventBridge rule hands the report function --------------------------------
def status_change_target(definition: str) -> tuple[str, str] | None:
    """(report function, operation) of ``modules/operation``'s rule, read from the state machine's
    definition: Terraform renders both from the same variables (``report_function_arn`` is the
    Report state's FunctionName, ``operation`` the Fanout payload's Operation)."""
    try:
        states = json.loads(definition).get("States", {})
    except (ValueError, AttributeError):
        return None
    function = states.get(REPORT_STATE, {}).get("Parameters", {}).get("FunctionName")
    operation = states.get(FANOUT_STATE, {}).get("Parameters", {}).get("Payload", {}).get("Operation")
    if isinstance(function, str) and isinstance(operation, str):
        return function, operation
    return None


def status_change_event(operation: str, execution_arn: str, state_machine_arn: str, status: str) -> dict[str, Any]:
    """What ``aws_cloudwatch_event_target.partial_report``'s input_transformer hands the report function."""
    return {
        "Operation": operation,
        "source": "aws.states",
        "detail-type": report.STATUS_CHANGE,
        "detail": {"executionArn": execution_arn, "stateMachineArn": state_machine_arn, "status": status},
    }


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

    def __init__(
        self, handlers: Mapping[str, HandlerFunction] | None = None, limit_settings: limits.Limits | None = None
    ) -> None:
        self.handlers: dict[str, HandlerFunction] = dict(HANDLERS if handlers is None else handlers)
        # AWS's limits (Lambda concurrency, Express children, request rates): change them here.
        self.limits = limit_settings or limits.Limits()
        self.usage = limits.Usage()
        self.before_invoke: list[Hook] = []
        self.after_invoke: list[AfterHook] = []
        self._invocations: Counter[str] = Counter()
        self._credentials: dict[tuple[str, str, str], _Credentials] = {}
        self._warm: dict[str, dict[str, Any]] = {}
        self._sessions: dict[tuple[str, str, str, str], tuple[_Credentials, boto3.Session]] = {}
        self._stopped: set[str] = set()
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

    # -- stopped executions -----------------------------------------------------------------
    def stop(self, execution_arn: str) -> None:
        """From now on, refuse every invocation for ``execution_arn`` (StopExecution)."""
        with self._lock:
            self._stopped.add(execution_arn)

    def is_stopped(self, execution_arn: str) -> bool:
        with self._lock:
            return execution_arn in self._stopped

    def _refuse_stopped(self, event: Any) -> None:
        arn = event.get("ExecutionId") if isinstance(event, dict) else None
        if isinstance(arn, str) and self.is_stopped(arn):
            raise ExecutionStopped(f"{arn} was stopped: Step Functions starts no task of a stopped execution")

    def execution_ended(
        self, account_id: str, region: str, execution_arn: str, state_machine_arn: str, definition: str, status: str
    ) -> None:
        """The EventBridge rule of ``modules/operation``: invoke the report function for an execution
        that ended FAILED, TIMED_OUT or ABORTED (it writes the partial report)."""
        target = status_change_target(definition)
        if status not in report.PARTIAL_STATUSES or target is None:
            return
        from moto.awslambda.utils import get_backend

        function, operation = target
        event = status_change_event(operation, execution_arn, state_machine_arn, status)
        self.invoke(get_backend(account_id, region), function, None, json.dumps(event), {}, {})

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
        event: Any = {}
        try:
            event = json.loads(body) if body else {}
            self._refuse_stopped(event)  # not counted, no hook: nothing starts
        except Exception as exc:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(function_error(exc, request_id)).encode()
        release = self._admit(backend, fn)  # Lambda's concurrency limits: may raise its 429
        with self._lock:
            self._invocations[fn.function_name] += 1
        try:
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
            release()
            response_headers["x-amz-function-error"] = "Unhandled"
            self._after(fn.function_name, event if isinstance(event, dict) else {}, None)
            return json.dumps(function_error(exc, request_id)).encode()
        release()
        self._after(fn.function_name, event, result)
        return json.dumps(result, default=str).encode()

    def _admit(self, backend: Any, fn: Any) -> Callable[[], None]:
        """Count the invocation in flight, or refuse it as Lambda does beyond the function's reserved
        concurrency or the account's unreserved concurrency (``limits.throttled``: a 429)."""
        reserved = limits.reserved_concurrency(fn)
        capacity = None if reserved is not None else limits.unreserved_capacity(backend, self.limits)
        pool = (str(backend.account_id), str(backend.region_name))
        return self.usage.admit(fn.function_name, fn.function_arn, reserved, pool, capacity)

    def _after(self, function_name: str, event: dict[str, Any], result: Any) -> None:
        for hook in list(self.after_invoke):
            hook(function_name, event, result)


class HandlerNotFound(Exception):
    """Lambda's ``Runtime.HandlerNotFound``: the Handler string names no known handler."""

    error_type = "Runtime.HandlerNotFound"


class ExecutionStopped(Exception):
    """An invocation for an execution that was stopped: refused before anything runs."""


# -- stopped executions, as AWS ends them --------------------------------------------------------------
# (module:qualname, signature): what the patches below replace or call, checked when installed.
STOP_SEAMS = (
    ("moto.stepfunctions.responses:StepFunctionResponse.stop_execution", "(self)"),
    ("moto.stepfunctions.parser.asl.eval.environment:Environment.set_error", "(self, error)"),
    ("moto.stepfunctions.parser.backend.execution:BaseExecutionWorkerCommunication.terminated", "(self)"),
    ("moto.stepfunctions.parser.backend.execution_worker:ExecutionWorker.stop", "(self, stop_date, error, cause)"),
    ("moto.awslambda.utils:get_backend", "(account_id, region)"),
    ("moto.stepfunctions.parser.asl.eval.environment:Environment.program_state", "(self)"),
)


def is_running(execution: Any) -> bool:
    """Whether a moto parser execution is running (its program started and not ended)."""
    from moto.stepfunctions.parser.api import ExecutionStatus

    exec_worker = getattr(execution, "exec_worker", None)
    return getattr(exec_worker, "env", None) is not None and execution.exec_status == ExecutionStatus.RUNNING


def abort(execution: Any, error: str | None, cause: str | None, now: datetime) -> None:
    """End a running moto parser execution as AWS's StopExecution does: the program stops (its
    running tasks end unrecorded) and the execution is ``ABORTED`` at once, with ``error``, ``cause``
    and ``now`` as its stop date."""
    from moto.stepfunctions.parser.api import ExecutionStatus

    execution.exec_worker.stop(stop_date=now, error=error, cause=cause)
    execution.exec_status = ExecutionStatus.ABORTED
    execution.stop_date = now
    if error is not None:
        execution.error = error
    if cause is not None:
        execution.cause = cause


def _stop_execution(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def stop_execution(self: Any) -> Any:
        router = active()
        if router is not None:
            arn = str(self._get_param("executionArn"))
            try:
                execution = self.stepfunction_backend.describe_execution(arn)
            except Exception:  # moto's own answer follows (InvalidArn, ExecutionDoesNotExist)
                execution = None
            if execution is not None and is_running(execution):
                router.stop(arn)  # first: from now on, nothing of it starts
                abort(execution, self._get_param("error"), self._get_param("cause"), datetime.now(UTC))
        return original(self)  # moto's own: a no-op on a program that ended; answers {"stopDate"}

    stop_execution.orgops_wrapped = original  # type: ignore[attr-defined]
    return stop_execution


def _keep_stopped(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def set_error(self: Any, error: Any) -> None:
        from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped

        if active() is not None and isinstance(self._program_state, ProgramStopped):
            return None  # a stopped program stays stopped (moto: FAILED with States.Runtime)
        return original(self, error)

    set_error.orgops_wrapped = original  # type: ignore[attr-defined]
    return set_error


def final_status(program_state: Any) -> str | None:
    """The status an execution ends with, from its program's final state (moto's own mapping)."""
    from moto.stepfunctions.parser.asl.eval import program_state as states

    kinds = (
        (states.ProgramEnded, "SUCCEEDED"),
        (states.ProgramStopped, "ABORTED"),
        (states.ProgramError, "FAILED"),
        (states.ProgramTimedOut, "TIMED_OUT"),
    )
    return next((status for kind, status in kinds if isinstance(program_state, kind)), None)


def _report_on_end(original: Callable[..., Any]) -> Callable[..., Any]:
    """The status change is delivered just before moto shows the final status: once
    DescribeExecution says FAILED or TIMED_OUT, the partial report is written (on AWS it follows
    within seconds). A stopped execution is ABORTED from the stop on, its report written once its
    running tasks have returned."""

    @functools.wraps(original)
    def terminated(self: Any) -> None:
        router = active()
        if router is None:
            return original(self)
        execution = self.execution
        stopped_at = execution.stop_date if router.is_stopped(execution.exec_arn) else None
        try:
            router.execution_ended(
                execution.account_id,
                execution.region_name,
                execution.exec_arn,
                execution.state_machine.arn,
                execution.state_machine.definition,
                final_status(execution.exec_worker.env.program_state()) or "",
            )
        except Exception:  # as EventBridge: a failed delivery never changes the execution
            LOG.exception("the status change of %s did not reach the report function", execution.exec_arn)
        original(self)
        if stopped_at is not None:  # moto dates the end when the last running task returned
            execution.stop_date = stopped_at
        return None

    terminated.orgops_wrapped = original  # type: ignore[attr-defined]
    return terminated


_stop_seams_installed = False


def _changed_stop_seams() -> list[tuple[str, str, str]]:
    """(seam, expected signature, found) for each of ``STOP_SEAMS`` that moto changed."""
    from orgops.emulator.seams import Seam, signature

    changed = []
    for path, expected in STOP_SEAMS:
        try:
            found = signature(Seam(path, expected, "stopped executions").resolve())
        except (ImportError, AttributeError) as exc:
            found = f"missing ({exc})"
        if found != expected:
            changed.append((path, expected, found))
    return changed


def install_stop_seams() -> None:
    """Patch moto (once per process) so that stopped executions end as on AWS; inert without a router."""
    global _stop_seams_installed
    if _stop_seams_installed:
        return
    from orgops.emulator.seams import SeamChanged

    changed = [f"{path}: expected {expected}, found {found}" for path, expected, found in _changed_stop_seams()]
    if changed:
        raise SeamChanged(
            "moto changed what orgops.emulator.lambdas patches for stopped executions:\n" + "\n".join(changed)
        )
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
    from moto.stepfunctions.responses import StepFunctionResponse

    StepFunctionResponse.stop_execution = _stop_execution(StepFunctionResponse.stop_execution)  # type: ignore[method-assign]
    Environment.set_error = _keep_stopped(Environment.set_error)  # type: ignore[method-assign]
    BaseExecutionWorkerCommunication.terminated = _report_on_end(  # type: ignore[method-assign]
        BaseExecutionWorkerCommunication.terminated
    )
    _stop_seams_installed = True


_active: Router | None = None
_active_lock = threading.Lock()


def activate(router: Router) -> Router:
    """Make ``router`` receive every Lambda invocation of the process (and stopped executions end as on AWS)."""
    global _active
    with _active_lock:
        install_stop_seams()
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
