"""AWS's limits, enforced by the emulator as AWS enforces them (moto enforces no service quota).

The limits, each with its AWS source:

- **Lambda concurrency.** An invocation of a function with reserved concurrency beyond its
  reservation, or of any other function beyond the account's unreserved concurrency (the
  "Concurrent executions" quota, default 1,000 per account and region, less every reservation),
  is refused with HTTP 429 ``TooManyRequestsException`` (``Reason``
  ``ReservedFunctionConcurrentInvocationLimitExceeded`` or ``ConcurrentInvocationLimitExceeded``):
  Step Functions sees ``Lambda.TooManyRequestsException``, boto3 a ``ClientError``.
  PutFunctionConcurrency that would leave less than 100 unreserved is refused with
  ``InvalidParameterValueException`` ("You can reserve up to the Unreserved account concurrency
  value ... minus 100 for functions that don't have reserved concurrency").
  https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html,
  https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html, and the
  ``ThrottleReason`` values of Invoke's ``TooManyRequestsException`` (Lambda API reference).
- **Express child workflows** run at most 5 minutes ("Maximum duration ... 5 minutes", Step
  Functions developer guide, https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html).
  moto runs every distributed Map child as STANDARD (the emulator renders STANDARD); a state
  machine whose Terraform definition asks for EXPRESS children is recorded at deploy
  (``set_child_execution_type``), and each of its children that runs past the limit fails with
  ``States.Timeout``: its program stops (a task in flight returns, nothing after it runs, so its
  targets get no status) and the Map Run counts it ``timedOut`` (``DescribeMapRun``).
- **ToleratedFailurePercentage / ToleratedFailureCount** (moto parses them, never evaluates them):
  when more children failed or timed out than tolerated, the distributed Map fails with
  ``States.ExceedToleratedFailureThreshold``, which the Map state's ``Catch`` sees. AWS fails the
  Map Run as soon as the threshold is exceeded and stops its running children; the emulator
  evaluates it once every child has ended (more targets may be recorded than on AWS).
- **Request rates**, per calling account, as token buckets on the request path (the same wrapper
  of moto's ``BaseResponse.call_action`` as ``account.region_refusal``): Account Management's
  ``ListRegions`` 5 per second, burst 5 (https://docs.aws.amazon.com/accounts/latest/reference/quotas.html),
  answered ``TooManyRequestsException`` (429); the Organizations reads orgops makes share one
  bucket per caller at ``ORGANIZATIONS_ASSUMED_RATE`` (5 per second, burst 5: an assumption, see
  there), answered ``TooManyRequestsException`` with status 400, as Organizations answers it.

**Time.** ``Limits.time_scale`` is emulator seconds per AWS second, for the limits that are
durations (the Express child's 300 s): 1.0 (the default) is real time; tests use 0.01, so that 300 s
of AWS time are 3 s of emulator time (``TEST_TIME_SCALE``). Request rates are per real second
(``Limits.clock``, replaceable by a test's clock).

Everything is configurable on the running emulator (``emu.router.limits``, a ``Limits``) and
off-able: ``request_rates={}`` (no rate), ``account_concurrency=None`` (no account quota),
``time_scale=None`` (no Express limit). Counters are on ``emu.router.usage`` (a ``Usage``).
Inert while no emulator is active (``orgops.emulator.lambdas.active()``): tests on plain moto are
unaffected.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from orgops import inventory
from orgops.emulator.refusals import Refusal

# -- Lambda concurrency -----------------------------------------------------------------------------
ACCOUNT_CONCURRENCY = 1000  # Lambda's default "Concurrent executions" quota, per account and region
MIN_UNRESERVED = 100  # Lambda keeps this much of the quota for functions without a reservation
RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"
THROTTLE_MESSAGE = "Rate Exceeded."


def unreserved_refusal(minimum: int) -> Refusal:
    """Lambda's answer to a PutFunctionConcurrency that leaves less than ``minimum`` unreserved."""
    return (
        "InvalidParameterValueException",
        400,
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        f"below its minimum value of [{minimum}].",
    )


# -- Express child workflows ------------------------------------------------------------------------
EXPRESS = "EXPRESS"
EXPRESS_MAX_SECONDS = 300.0  # AWS seconds
TEST_TIME_SCALE = 0.01  # what the tests use: 300 s of AWS time = 3 s of emulator time
TIMEOUT_ERROR = "States.Timeout"
TOLERANCE_ERROR = "States.ExceedToleratedFailureThreshold"


# -- request rates ----------------------------------------------------------------------------------
# One source for AWS's rates: the inventory's (``orgops.inventory``, with their sources; the
# Organizations one is a stated assumption, AWS publishes none). The emulator enforces them.
Rate = inventory.Rate
LIST_REGIONS_RATE = inventory.LIST_REGIONS_RATE
ORGANIZATIONS_ASSUMED_RATE = inventory.ORGANIZATIONS_RATE
ORGANIZATIONS = "organizations"  # the bucket every Organizations read of one caller is charged to
LIST_REGIONS = "account:ListRegions"
# The Organizations reads orgops makes (orgops.org, operations/accounts.py, the fanout, the seeders).
ORGANIZATIONS_READS = (
    "ListAccounts",
    "ListTagsForResource",
    "ListParents",
    "ListAccountsForParent",
    "ListOrganizationalUnitsForParent",
    "ListRoots",
    "DescribeOrganizationalUnit",
    "DescribeAccount",
    "DescribeOrganization",
)
# "service:Operation" -> the bucket it is charged to (per calling account).
RATE_BUCKETS: Mapping[str, str] = {
    LIST_REGIONS: LIST_REGIONS,
    **{f"{ORGANIZATIONS}:{name}": ORGANIZATIONS for name in ORGANIZATIONS_READS},
}
REQUEST_RATES: Mapping[str, Rate] = {LIST_REGIONS: LIST_REGIONS_RATE, ORGANIZATIONS: ORGANIZATIONS_ASSUMED_RATE}
# The throttling answer of each service: (code, HTTP status, message). Organizations answers 400
# (botocore's model gives its TooManyRequestsException no status; the message is what callers
# report seeing, awslabs/aws-deployment-framework#788); Account Management 429 (its model's status).
THROTTLING_ANSWERS: Mapping[str, Refusal] = {
    "organizations": (
        "TooManyRequestsException",
        400,
        "You have sent too many requests in too short a period of time. Try again later.",
    ),
    "account": ("TooManyRequestsException", 429, "Too Many Requests"),
}
DEFAULT_THROTTLING_ANSWER: Refusal = ("TooManyRequestsException", 429, "Too Many Requests")


@dataclass
class Limits:
    """The limits the emulator enforces; change them on a running emulator (``emu.router.limits``)."""

    # Lambda's "Concurrent executions" quota per account and region; None: no account quota.
    account_concurrency: int | None = ACCOUNT_CONCURRENCY
    min_unreserved: int = MIN_UNRESERVED
    # bucket -> Rate, per calling account; {}: no request rate.
    request_rates: dict[str, Rate] = field(default_factory=lambda: dict(REQUEST_RATES))
    # "service:Operation" -> the bucket it is charged to.
    rate_buckets: dict[str, str] = field(default_factory=lambda: dict(RATE_BUCKETS))
    # Emulator seconds per AWS second (durations); None: no Express limit.
    time_scale: float | None = 1.0
    express_max_seconds: float = EXPRESS_MAX_SECONDS  # AWS seconds
    clock: Callable[[], float] = time.monotonic  # the request rates' clock (seconds)

    def express_seconds(self) -> float | None:
        """How long an Express child may run, in emulator seconds."""
        return None if self.time_scale is None else self.express_max_seconds * self.time_scale


@dataclass(frozen=True)
class ChildTimeout:
    """A distributed Map child that ran past Express's limit (``States.Timeout``)."""

    execution_arn: str
    map_run_arn: str
    index: int  # the item (batch) index in the Map Run
    seconds: float  # the limit it ran past, in emulator seconds
    error: str = TIMEOUT_ERROR


@dataclass
class _Bucket:
    rate: Rate
    tokens: float
    at: float

    def take(self, now: float) -> bool:
        elapsed = max(0.0, now - self.at)  # a clock replaced by an earlier one refills nothing
        self.tokens = min(float(self.rate.burst), self.tokens + elapsed * self.rate.per_second)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Usage:
    """What the limits count: in-flight invocations, throttles, request buckets, timed-out children."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: Counter[str] = Counter()  # function ARN -> in-flight invocations
        self._unreserved: Counter[tuple[str, str]] = Counter()  # (account, region) -> in flight, unreserved
        self.throttles: Counter[str] = Counter()  # function name -> invocations refused (429)
        self.refused_requests: Counter[str] = Counter()  # "service:Operation" -> requests throttled
        self.child_timeouts: list[ChildTimeout] = []
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    # -- Lambda concurrency ------------------------------------------------------------------------
    def in_flight(self, function: str) -> int:
        """In-flight invocations of ``function`` (its ARN, or its name in any account and region)."""
        with self._lock:
            return sum(n for arn, n in self._running.items() if function in (arn, arn.rsplit(":", 1)[-1]))

    def admit(
        self, function_name: str, function_arn: str, reserved: int | None, pool: tuple[str, str], capacity: int | None
    ) -> Callable[[], None]:
        """Count an invocation in flight, or raise Lambda's 429 (``capacity``: the unreserved
        concurrency of ``pool``, None for no quota). Returns the release to call when it ends."""
        with self._lock:
            reason = None
            if reserved is not None:
                if self._running[function_arn] >= reserved:
                    reason = RESERVED_LIMIT
            elif capacity is not None and self._unreserved[pool] >= capacity:
                reason = ACCOUNT_LIMIT
            if reason is not None:
                self.throttles[function_name] += 1
                raise throttled(reason)
            self._running[function_arn] += 1
            if reserved is None:
                self._unreserved[pool] += 1

        def release() -> None:
            with self._lock:
                self._running[function_arn] -= 1
                if reserved is None:
                    self._unreserved[pool] -= 1

        return release

    # -- request rates -----------------------------------------------------------------------------
    def take(self, account_id: str, bucket_name: str, action: str, rate: Rate, now: float) -> bool:
        """One token of ``account_id``'s bucket ``bucket_name`` for ``action``; False: throttled
        (and counted by action)."""
        with self._lock:
            bucket = self._buckets.get((account_id, bucket_name))
            if bucket is None or bucket.rate != rate:
                bucket = self._buckets[(account_id, bucket_name)] = _Bucket(rate, float(rate.burst), now)
            if bucket.take(now):
                return True
            self.refused_requests[action] += 1
            return False

    def reset_requests(self) -> None:
        """Full buckets and no refusal counted (e.g. before a test replaces ``Limits.clock``)."""
        with self._lock:
            self._buckets.clear()
            self.refused_requests.clear()

    def record_timeout(self, timeout: ChildTimeout) -> None:
        with self._lock:
            self.child_timeouts.append(timeout)


# -- Lambda: the throttle, and the reservations --------------------------------------------------------
@functools.cache
def _throttle_class() -> type[Exception]:
    from moto.core.exceptions import ServiceException

    class TooManyRequestsException(ServiceException):
        """Lambda's throttle: moto serializes it with the Lambda model (429, ``Reason``, ``Type``)."""

        code = "TooManyRequestsException"

        def __init__(self, reason: str) -> None:
            super().__init__(THROTTLE_MESSAGE)
            self.Reason = reason
            self.Type = "User"

    return TooManyRequestsException


def throttled(reason: str) -> Exception:
    """Lambda's ``TooManyRequestsException`` for ``reason``, raised from the invoke seam."""
    return _throttle_class()(reason)


def reserved_concurrency(fn: Any) -> int | None:
    """A moto function's reserved concurrency (PutFunctionConcurrency), or None."""
    value = getattr(fn, "reserved_concurrency", None)
    return None if value is None else int(value)


def reserved_total(backend: Any, except_function: str | None = None) -> int:
    """The concurrency reserved by the functions of a moto Lambda backend (one account and region)."""
    return sum(reserved_concurrency(fn) or 0 for fn in backend.list_functions() if fn.function_name != except_function)


def unreserved_capacity(backend: Any, limits: Limits) -> int | None:
    """The concurrency left for functions without a reservation, or None without an account quota."""
    if limits.account_concurrency is None:
        return None
    return limits.account_concurrency - reserved_total(backend)


def reservation_refusal(response: Any, limits: Limits) -> Refusal | None:
    """PutFunctionConcurrency's refusal when it would leave less than ``min_unreserved`` unreserved."""
    from moto.awslambda.utils import get_backend

    if limits.account_concurrency is None:
        return None
    try:
        value = int(response._get_param("ReservedConcurrentExecutions"))
        backend = get_backend(response.current_account, response.region)  # the simple backend, as deployed
        fn = backend.get_function(unquote(response.path.rsplit("/", 2)[-2]))
    except Exception:  # a bad value or an unknown function: moto's own answer
        return None
    unreserved = limits.account_concurrency - value - reserved_total(backend, except_function=fn.function_name)
    return None if unreserved >= limits.min_unreserved else unreserved_refusal(limits.min_unreserved)


# -- request rates, on the request path ------------------------------------------------------------
def action_of(response: Any) -> str:
    """``service:Operation`` of a moto request (``account:ListRegions``)."""
    return f"{getattr(response, 'boto3_service_name', '')}:{response._get_action()}"


def request_refusal(response: Any) -> Refusal | None:
    """The throttling answer for a request beyond its rate, the reservation refusal, or None."""
    from orgops.emulator import lambdas

    router = lambdas.active()
    if router is None:
        return None
    limits: Limits = router.limits
    service = str(getattr(response, "boto3_service_name", "") or "")
    if service == "lambda":  # PutFunctionConcurrency: PUT .../functions/{name}/concurrency
        concurrency = str(getattr(response, "method", "")) == "PUT" and response.path.endswith("/concurrency")
        return reservation_refusal(response, limits) if concurrency else None
    if not any(a.startswith(f"{service}:") and b in limits.request_rates for a, b in limits.rate_buckets.items()):
        return None  # no rate for this service: no need to name the action (it costs a routing)
    try:
        action = action_of(response)
    except Exception:  # an action moto cannot name: moto's own answer
        return None
    bucket = limits.rate_buckets.get(action)
    rate = limits.request_rates.get(bucket) if bucket is not None else None
    if rate is None or bucket is None:
        return None
    if router.usage.take(str(response.current_account), bucket, action, rate, limits.clock()):
        return None
    return THROTTLING_ANSWERS.get(service, DEFAULT_THROTTLING_ANSWER)


def wrap_call_action(original: Any) -> Any:
    """Wrap moto's ``BaseResponse.call_action``: requests beyond their rate, and reservations that
    leave too little unreserved concurrency, get AWS's answer."""
    from orgops.emulator import refusals

    return refusals.refusing(original, request_refusal)


# -- Express child workflows --------------------------------------------------------------------------
_types_lock = threading.Lock()
_child_types: dict[str, str] = {}  # state machine ARN -> the ExecutionType its definition asks children


def set_child_execution_type(state_machine_arn: str, execution_type: str) -> None:
    """Record the child ExecutionType the state machine's Terraform definition asks for (the
    emulator deploys STANDARD children: moto accepts nothing else)."""
    with _types_lock:
        _child_types[state_machine_arn] = execution_type


def child_execution_type(state_machine_arn: str) -> str | None:
    with _types_lock:
        return _child_types.get(state_machine_arn)


def reset() -> None:
    with _types_lock:
        _child_types.clear()


class ExpressChild:
    """A distributed Map child's program, run at most ``seconds`` (Express's limit, scaled)."""

    def __init__(self, program: Any, seconds: float) -> None:
        self.program = program
        self.seconds = seconds
        self.timed_out = False

    def eval(self, env: Any) -> None:
        from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import EvalTimeoutError

        body = threading.Thread(target=self.program.eval, args=(env,), name="orgops-express-child", daemon=True)
        body.start()
        body.join(self.seconds)
        if body.is_alive():
            # As AWS ends an Express execution at its limit: the program stops where it is (a task
            # in flight returns, no state runs after it), the child fails with States.Timeout.
            self.timed_out = True
            env.set_timed_out()
            raise EvalTimeoutError(f"{TIMEOUT_ERROR}: the Express child ran past {self.seconds:g} s")


def _context(env: Any, key: str) -> str:
    return str(env.states.context_object.context_object_data.get(key, {}).get("Id", ""))


def wrap_eval_job(original: Any) -> Any:
    """Wrap moto's ``DistributedItemProcessorWorker._eval_job``: a child of a state machine whose
    definition asks for EXPRESS children runs at most ``Limits.express_seconds()``."""

    @functools.wraps(original)
    def _eval_job(self: Any, env: Any, job: Any) -> None:
        from orgops.emulator import lambdas

        router = lambdas.active()
        seconds = router.limits.express_seconds() if router is not None else None
        if seconds is None or child_execution_type(_context(env, "StateMachine")) != EXPRESS:
            return original(self, env, job)
        program = job.job_program
        child = ExpressChild(program, seconds)
        job.job_program = child
        try:
            original(self, env, job)  # moto counts the item timedOut (its EvalTimeoutError branch)
        finally:
            job.job_program = program
        if child.timed_out:
            record = self._map_run_record
            record.execution_counter.timed_out.count()
            record.execution_counter.running.offset(-1)
            router.usage.record_timeout(
                ChildTimeout(_context(env, "Execution"), record.map_run_arn, job.job_index, seconds)
            )
        return None

    _eval_job.orgops_wrapped = original  # type: ignore[attr-defined]
    return _eval_job


# -- ToleratedFailurePercentage ------------------------------------------------------------------------
def tolerance_exceeded(failed: int, total: int, count: int, percentage: float) -> bool:
    """Whether ``failed`` of ``total`` children is beyond what the Map tolerates. Either threshold
    tolerates (both default to 0: no failure tolerated)."""
    if failed == 0 or total == 0:
        return False
    return failed > count and 100.0 * failed / total > percentage


def _tolerance_failure(env: Any, failed: int, total: int, percentage: float, count: int) -> Exception:
    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    cause = (
        f"{failed} of {total} child workflow executions failed or timed out, above the Map's tolerance "
        f"(ToleratedFailurePercentage {percentage:g}, ToleratedFailureCount {count})"
    )
    return FailureEventException(
        FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold),
            event_type=HistoryEventType.MapRunFailed,
            event_details=EventDetails(
                mapRunFailedEventDetails=MapRunFailedEventDetails(error=TOLERANCE_ERROR, cause=cause)
            ),
        )
    )


def wrap_map_run(original: Any) -> Any:
    """Wrap moto's ``DistributedIterationComponent._map_run``: once every child has ended, a Map Run
    with more failed children than tolerated fails with ``States.ExceedToleratedFailureThreshold``."""

    @functools.wraps(original)
    def _map_run(self: Any, env: Any, eval_input: Any) -> None:
        from orgops.emulator import lambdas

        original(self, env, eval_input)
        if lambdas.active() is None:
            return
        record = eval_input.map_run_record
        total = len(env.stack[-1])  # one output per child (None for a failed one)
        failed = record.item_counter.failed.get() + record.item_counter.timed_out.get()
        count, percentage = int(record.tolerated_failure_count or 0), float(record.tolerated_failure_percentage or 0)
        if tolerance_exceeded(failed, total, count, percentage):
            env.stack.pop()
            raise _tolerance_failure(env, failed, total, percentage, count)

    _map_run.orgops_wrapped = original  # type: ignore[attr-defined]
    return _map_run
