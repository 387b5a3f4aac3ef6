"""Structured logs and CloudWatch metrics for every orgops Lambda, with Powertools.

``observed(kind)`` wraps a handler's entry point. For each invocation it:

- logs JSON lines (Powertools ``Logger``) that all carry the same keys: ``operation``,
  ``execution_name``, ``account_id``, ``region``, ``target_status``, ``duration_ms`` (since the
  invocation started) and ``function_request_id`` (the Lambda request id); keys that do not apply
  to a function (a fanout has no target) are ``""``, never missing. Never the event, never rows,
  never a secret: only names, counts, statuses and error codes/messages.
- emits metrics in CloudWatch embedded metric format (Powertools ``EphemeralMetrics``: one metric
  set per invocation, so concurrent invocations in the emulator never mix) with one dimension,
  ``Operation``. The worker emits ``TargetDuration``; the report emits the execution's totals
  (``Targets``, ``Succeeded``, ``Failed``, ``Skipped``, ``Rows``).

Settings come from the function's environment: ``POWERTOOLS_SERVICE_NAME``,
``POWERTOOLS_METRICS_NAMESPACE``, ``POWERTOOLS_LOG_LEVEL`` (Terraform sets them; the emulator
passes the same). Powertools comes from the AWS-managed layer in Lambda and from the dev
dependencies locally; it is imported on first use, never when a handler module is imported.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, TextIO, cast

from orgops.errors import OrgopsError
from orgops.store import ExecutionRef

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

FANOUT = "fanout"
WORKER = "worker"
REPORT = "report"
KINDS = (FANOUT, WORKER, REPORT)

SERVICE_ENV = "POWERTOOLS_SERVICE_NAME"
NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE"
LOG_LEVEL_ENV = "POWERTOOLS_LOG_LEVEL"
# The names Terraform sets on every function (``orgops.config`` lists them for the parity test).
ENV = (SERVICE_ENV, NAMESPACE_ENV, LOG_LEVEL_ENV)
# The Powertools logger is named after the service: named "orgops", it is the parent of the
# package's own loggers (logging.getLogger(__name__) in orgops.*), whose lines then carry the
# same keys. Terraform keeps the default.
DEFAULT_SERVICE = "orgops"
DEFAULT_NAMESPACE = "orgops"
DEFAULT_LOG_LEVEL = "INFO"

# The keys every log line carries, whatever the function.
LOG_KEYS = (
    "operation",
    "execution_name",
    "account_id",
    "region",
    "target_status",
    "duration_ms",
    "function_request_id",
)
RUNNING = "RUNNING"

# The metrics, by the function that emits them; the only dimension is ``Operation``.
DIMENSION = "Operation"
TARGET_DURATION = "TargetDuration"
REPORT_METRICS = ("Targets", "Succeeded", "Failed", "Skipped", "Rows")
METRICS = {WORKER: (TARGET_DURATION,), REPORT: REPORT_METRICS}
MAX_ERROR_MESSAGE = 500


# -- where lines go -------------------------------------------------------------------------
class _Output(io.TextIOBase):
    """Writes to the configured stream, or to whatever ``sys.stdout`` is at write time.

    Lambda ships stdout to CloudWatch Logs, which extracts EMF metrics from it. Resolving
    ``sys.stdout`` late keeps the one process-wide Powertools handler valid when tests replace it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.stream: TextIO | None = None
        self.lock = threading.Lock()

    def _target(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stdout

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self.lock:
            return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()


_OUTPUT = _Output()


def set_output(stream: TextIO | None) -> None:
    """Send log lines and EMF metrics to ``stream`` (``None``: stdout, as in Lambda)."""
    _OUTPUT.stream = stream


# -- one invocation's state -----------------------------------------------------------------
@dataclass
class Invocation:
    """What every log line of one invocation carries; ``duration_ms`` is computed per line."""

    kind: str
    operation: str
    execution_name: str
    account_id: str = ""
    region: str = ""
    target_status: str = ""
    request_id: str = ""
    started: float = field(default_factory=time.monotonic)

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def keys(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "execution_name": self.execution_name,
            "account_id": self.account_id,
            "region": self.region,
            "target_status": self.target_status,
            "duration_ms": self.elapsed_ms(),
            "function_request_id": self.request_id,
        }


_CURRENT: ContextVar[Invocation | None] = ContextVar("orgops_invocation", default=None)


class InvocationKeys(logging.Filter):
    """Adds the current invocation's keys to every record the Powertools handler formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        invocation = _CURRENT.get()
        keys = invocation.keys() if invocation is not None else dict.fromkeys(LOG_KEYS, "")
        for key, value in keys.items():
            if key not in record.__dict__:
                setattr(record, key, value)
        return True


def _execution_name(event: Mapping[str, Any]) -> str:
    try:
        return ExecutionRef.parse(str(event.get("ExecutionId", ""))).name
    except ValueError:
        return ""


def start(kind: str, event: Any, env: Mapping[str, str], request_id: str) -> Invocation:
    """The invocation's keys, read from the event (never more than names and ids)."""
    if kind not in KINDS:
        raise ValueError(f"unknown function kind {kind!r}; expected one of {', '.join(KINDS)}")
    event = event if isinstance(event, Mapping) else {}
    if kind == WORKER:
        target = event.get("Target") if isinstance(event.get("Target"), Mapping) else {}
        common = event.get("Common") if isinstance(event.get("Common"), Mapping) else {}
        return Invocation(
            kind=kind,
            operation=str(env.get("ORGOPS_OPERATION") or common.get("Operation") or ""),
            execution_name=_execution_name(event),
            account_id=str(target.get("AccountId", "")),
            region=str(target.get("Region", "")),
            target_status=RUNNING,
            request_id=request_id,
        )
    return Invocation(
        kind=kind,
        operation=str(event.get("Operation") or ""),
        execution_name=_execution_name(event),
        request_id=request_id,
    )


# -- what each function's result says ---------------------------------------------------------
def error_code(exc: BaseException) -> str:
    """orgops' own code, the AWS error code, else the exception's type."""
    if isinstance(exc, OrgopsError):
        return exc.code
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping) and isinstance(response.get("Error"), Mapping):
        return str(response["Error"].get("Code") or type(exc).__name__)
    return type(exc).__name__


def result_fields(kind: str, result: Any) -> dict[str, Any]:
    """The counts and statuses worth a log line; no rows, no parameters."""
    if not isinstance(result, Mapping):
        return {}
    if kind == FANOUT:
        return {"target_count": result.get("TargetCount"), "skipped": result.get("Skipped"), "mode": result.get("Mode")}
    if kind == WORKER:
        return {
            "rows": result.get("Rows"),
            "error_code": result.get("ErrorCode") or "",
            "error_message": str(result.get("ErrorMessage") or "")[:MAX_ERROR_MESSAGE],
        }
    return {
        "targets": result.get("Targets"),
        "succeeded": result.get("Succeeded"),
        "failed": result.get("Failed"),
        "skipped": result.get("Skipped"),
        "rows": result.get("Rows"),
    }


def metric_values(kind: str, invocation: Invocation, result: Any) -> dict[str, tuple[str, float]]:
    """``{name: (unit, value)}`` for one invocation; ``result`` is None when it raised."""
    if kind == WORKER:
        if isinstance(result, Mapping) and result.get("Preflight"):  # a pre-flight check ran no target
            return {}
        return {TARGET_DURATION: ("Milliseconds", invocation.elapsed_ms())}
    if kind == REPORT and isinstance(result, Mapping):
        return {name: ("Count", int(result.get(name) or 0)) for name in REPORT_METRICS}
    return {}


# -- Powertools, on first use -----------------------------------------------------------------
_LOGGERS: dict[str, Logger] = {}
_LOGGERS_LOCK = threading.Lock()


def get_logger(env: Mapping[str, str] | None = None) -> Logger:
    """The process's Powertools logger for the service, its level read again from ``env``."""
    from aws_lambda_powertools import Logger

    env = os.environ if env is None else env
    service = env.get(SERVICE_ENV) or DEFAULT_SERVICE
    level = (env.get(LOG_LEVEL_ENV) or DEFAULT_LOG_LEVEL).upper()
    with _LOGGERS_LOCK:
        logger = _LOGGERS.get(service)
        if logger is None:
            logger = Logger(service=service, level=level, stream=cast("IO[str]", _OUTPUT))
            logger.registered_handler.addFilter(InvocationKeys())
            _LOGGERS[service] = logger
    if logger.log_level != logging.getLevelName(level):
        logger.setLevel(level)
    return logger


def emit_metrics(env: Mapping[str, str], operation: str, values: Mapping[str, tuple[str, float]]) -> None:
    """One EMF document for the invocation, dimension ``Operation`` only (no ``service``)."""
    if not values or str(env.get("POWERTOOLS_METRICS_DISABLED", "")).lower() in ("1", "true"):
        return
    from aws_lambda_powertools.metrics import EphemeralMetrics

    # service="" keeps Powertools from adding a ``service`` dimension: one dimension, Operation.
    metrics = EphemeralMetrics(namespace=env.get(NAMESPACE_ENV) or DEFAULT_NAMESPACE, service="")
    metrics.add_dimension(name=DIMENSION, value=operation or "unknown")
    for name, (unit, value) in values.items():
        metrics.add_metric(name=name, unit=unit, value=value)
    _OUTPUT.write(json.dumps(metrics.serialize_metric_set(), separators=(",", ":")) + "\n")
    _OUTPUT.flush()


# -- the wrapper ---------------------------------------------------------------------------------
MESSAGES = {FANOUT: "fanout finished", WORKER: "target finished", REPORT: "report written"}


def observe(
    kind: str,
    event: Any,
    context: Any,
    env: Mapping[str, str],
    call: Callable[[], Any],
) -> Any:
    """Run ``call`` as one invocation of a ``kind`` function: keys, logs, metrics."""
    request_id = str(getattr(context, "aws_request_id", "") or "")
    invocation = start(kind, event, env, request_id)
    logger = get_logger(env)
    token = _CURRENT.set(invocation)
    result: Any = None
    try:
        logger.debug("invocation started")
        try:
            result = call()
        except Exception as exc:
            if kind == WORKER:
                invocation.target_status = "FAILED"
            logger.exception(
                f"{kind} raised {type(exc).__name__}",
                extra={"error_code": error_code(exc), "error_message": str(exc)[:MAX_ERROR_MESSAGE]},
            )
            raise
        if kind == WORKER and isinstance(result, Mapping):
            invocation.target_status = str(result.get("Status") or "")
        fields = result_fields(kind, result)
        if invocation.target_status == "FAILED":
            logger.warning(MESSAGES[kind], extra=fields)
        else:
            logger.info(MESSAGES[kind], extra=fields)
        return result
    finally:
        try:
            emit_metrics(env, invocation.operation, metric_values(kind, invocation, result))
        finally:
            _CURRENT.reset(token)


def observed(kind: str) -> Callable[[Callable[[Any, Any], Any]], Callable[[Any, Any], Any]]:
    """Decorator for a Lambda entry point ``handler(event, context)``; settings from ``os.environ``."""
    if kind not in KINDS:
        raise ValueError(f"unknown function kind {kind!r}; expected one of {', '.join(KINDS)}")

    def decorate(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> Any:
            return observe(kind, event, context, os.environ, lambda: handler(event, context))

        return wrapper

    return decorate


@dataclass(frozen=True)
class LocalContext:
    """The parts of a Lambda context orgops reads, for invocations outside Lambda (the emulator)."""

    function_name: str = ""
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


InnerFunction = Callable[..., Any]


def observed_inner(kind: str, inner: InnerFunction) -> InnerFunction:
    """For the emulator: ``inner(event, env, *rest)`` observed with the function's own ``env``.

    The emulator runs handlers' inner functions with the function's environment as settings
    (never ``os.environ``: invocations run concurrently in threads), then whatever else it passes
    (a session, warm state); this gives those runs the same log lines and metrics as Lambda, each
    with a fresh request id. Wrap each entry of the emulator's handler table with it.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown function kind {kind!r}; expected one of {', '.join(KINDS)}")

    @functools.wraps(inner)
    def run(event: dict[str, Any], env: Mapping[str, str], *rest: Any) -> Any:
        context = LocalContext(function_name=str(env.get("AWS_LAMBDA_FUNCTION_NAME", "")))
        return observe(kind, event, context, env, lambda: inner(event, env, *rest))

    return run
