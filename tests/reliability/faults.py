"""Fault injection at the seams AWS faults come through, for the emulated world.

- ``ServiceFaults``: consulted by moto's botocore ``before-send`` stubber before it dispatches a
  call to moto's backends; it answers chosen calls with an AWS error response (HTTP status,
  error code and message in the service's wire format) the first N times, then lets them
  through to moto. botocore parses the
  response and applies the client's retry configuration exactly as it would for AWS.
- ``LambdaFaults``: wraps moto's Lambda ``invoke`` (the emulator's router) so that an
  invocation fails at the Lambda API (``TooManyRequestsException`` 429, ``ServiceException``
  500), before or after the function ran: what Step Functions sees when Lambda throttles or
  fails, turned by its interpreter into ``Lambda.<Code>`` errors for the Task's ``Retry``.
- ``SleepRecorder``: records the waits botocore's retries and the state machine's ``Retry`` ask
  for, instead of waiting them out: the delays are still computed by botocore / moto from the
  client configuration and the ASL, and the tests assert them.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse

_CREDENTIAL = re.compile(r"Credential=(?P<key>[^/]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/")


@dataclass
class Rule:
    """Fail calls of ``operation`` (the API name, ``DescribeVolumes``) matching account/region."""

    operation: str
    codes: tuple[str, ...]  # one code per failure, cycled
    times: int
    account: str | None = None
    region: str | None = None
    status: int = 400
    message: str = "injected by tests/reliability"
    only_after: int = 0  # let this many matching calls through first
    seen: int = 0
    failed: int = 0

    def decide(self) -> str | None:
        """The error code to answer with, or None to let the call through (caller holds the lock)."""
        self.seen += 1
        if self.seen <= self.only_after or self.failed >= self.times:
            return None
        code = self.codes[self.failed % len(self.codes)]
        self.failed += 1
        return code


def _account_of(access_key: str) -> str:
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key))


def error_response(url: str, service: str, code: str, message: str, status: int) -> AWSResponse:
    """An AWS error in the service's protocol: EC2's XML, the query XML, or JSON."""
    from moto.core.botocore_stubber import MockRawResponse

    if service == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            "<RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>"
        )
        headers = {"Content-Type": "text/xml"}
    elif service in ("sts", "iam", "sns", "cloudwatch"):
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
        )
        headers = {"Content-Type": "text/xml"}
    else:
        body = json.dumps({"__type": code, "message": message})
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}
    # Every AWS response carries a request id (Step Functions' DynamoDB integration quotes it).
    headers = {**headers, "x-amzn-RequestId": "00000000-0000-4000-8000-000000000000"}
    return AWSResponse(url, status, headers, MockRawResponse(body))


@dataclass
class ServiceFaults:
    """A ``before-send`` handler answering matching calls with errors; see ``install``."""

    rules: list[Rule] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Any, event_name: str) -> AWSResponse | None:
        # event name: before-send.<service>.<Operation>
        parts = event_name.split(".")
        if len(parts) < 3 or not self.rules:
            return None
        operation = parts[2]
        auth = request.headers.get("Authorization", b"")
        auth = auth.decode() if isinstance(auth, bytes) else str(auth)
        m = _CREDENTIAL.search(auth)
        if m is None:
            return None
        with self.lock:
            for rule in self.rules:
                if rule.operation != operation or (rule.region and rule.region != m["region"]):
                    continue
                if rule.account and rule.account != _account_of(m["key"]):
                    continue
                code = rule.decide()
                if code is not None:
                    return error_response(request.url, m["service"], code, rule.message, rule.status)
        return None

    def add(self, rule: Rule) -> Rule:
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()


@contextmanager
def installed_service_faults() -> Iterator[ServiceFaults]:
    """Consult a ``ServiceFaults`` before moto's ``before-send`` stubber answers any call.

    botocore emits ``before-send`` to every handler and keeps the first response, so a separate
    handler would let moto apply the call anyway (a lost response, not a refused call). Wrapping
    the stubber keeps a refused call from reaching moto's backends at all, as AWS refuses it.
    """
    from moto.core.botocore_stubber import BotocoreStubber

    faults = ServiceFaults()
    original = BotocoreStubber.__call__

    def __call__(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        refused = faults(request, event_name)
        if refused is not None and self.enabled:
            return refused
        return original(self, event_name, request, **kwargs)

    BotocoreStubber.__call__ = __call__  # type: ignore[method-assign]
    try:
        yield faults
    finally:
        faults.clear()
        BotocoreStubber.__call__ = original  # type: ignore[method-assign]


def lambda_api_error(code: str, status: int, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    class _Error(JsonRESTError):
        def __init__(self) -> None:
            super().__init__(code, message)
            self.code = status

    return _Error()


# (function name, event) -> whether this invocation fails
Selector = Callable[[str, dict[str, Any]], bool]


@dataclass
class LambdaFault:
    selector: Selector
    code: str  # TooManyRequestsException, ServiceException
    status: int  # 429, 500
    times: int
    after_run: bool = False  # True: the function runs (and writes) first, then the API call fails
    failed: int = 0


@dataclass
class LambdaFaults:
    """Wraps the installed ``LambdaSimpleBackend.invoke``; see ``installed_lambda_faults``."""

    faults: list[LambdaFault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: LambdaFault) -> LambdaFault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def _take(self, name: str, event: dict[str, Any], after_run: bool) -> LambdaFault | None:
        with self.lock:
            for fault in self.faults:
                if fault.after_run == after_run and fault.failed < fault.times and fault.selector(name, event):
                    fault.failed += 1
                    return fault
        return None

    def wrap(self, original: Callable[..., bytes]) -> Callable[..., bytes]:
        def invoke(
            backend: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
        ) -> bytes:
            name = str(function_name).rsplit(":", 1)[-1]
            event = json.loads(body) if body else {}
            fault = self._take(name, event, after_run=False)
            if fault is not None:
                raise lambda_api_error(fault.code, fault.status, f"{fault.code} injected by tests/reliability")
            result = original(backend, function_name, qualifier, body, headers, response_headers)
            fault = self._take(name, event, after_run=True)
            if fault is not None:
                raise lambda_api_error(fault.code, fault.status, f"{fault.code} injected by tests/reliability")
            return result

        return invoke


@contextmanager
def installed_lambda_faults() -> Iterator[LambdaFaults]:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    faults = LambdaFaults()
    original = LambdaSimpleBackend.invoke
    LambdaSimpleBackend.invoke = faults.wrap(original)  # type: ignore[method-assign]
    try:
        yield faults
    finally:
        faults.clear()
        LambdaSimpleBackend.invoke = original  # type: ignore[method-assign]


class SleepRecorder:
    """Stands in for the ``time`` module of one module: ``sleep`` is recorded, not waited."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(float(seconds))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)
