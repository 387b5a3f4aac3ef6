"""Which AWS API calls each operation makes in its tests, recorded at botocore's client.

Every call goes through ``BaseClient._make_api_call`` (moto and ``Stubber`` tests alike). The call
is attributed to the operation whose module is on the call stack (``orgops/operations/<m>.py``,
whatever helper it went through), so tests may call ``run`` directly or through the worker.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orgops import operations

OPERATIONS_DIR = Path(operations.__file__).resolve().parent
SHARED_MODULES = {"__init__", "base", "common", "catalog"}


@dataclass(frozen=True)
class Call:
    service: str  # botocore's service name (ec2, resourcegroupstaggingapi)
    api: str  # the API operation (DescribeVolumes)
    method: str  # the HTTP method (API Gateway's IAM actions are named after it)
    endpoint_prefix: str
    signing_name: str


RECORDED: dict[str, set[Call]] = defaultdict(set)


def _operations_by_module() -> dict[str, str]:
    return {op.run.__module__.rsplit(".", 1)[-1]: name for name, op in operations.REGISTRY.items()}


def calling_operation() -> str | None:
    """The operation whose module is on the stack, innermost first; None outside operations."""
    by_module = _operations_by_module()
    frame = sys._getframe(1)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.parent == OPERATIONS_DIR and path.stem not in SHARED_MODULES and path.stem in by_module:
            return by_module[path.stem]
        frame = frame.f_back  # type: ignore[assignment]
    return None


def call_of(client: Any, api: str) -> Call:
    model = client.meta.service_model
    return Call(
        service=model.service_name,
        api=api,
        method=str(model.operation_model(api).http.get("method", "POST")),
        endpoint_prefix=str(model.endpoint_prefix),
        signing_name=str(model.signing_name),
    )


def recording(original: Callable[..., Any]) -> Callable[..., Any]:
    """``BaseClient._make_api_call`` that records the call for the calling operation."""

    def _make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        name = calling_operation()
        if name is not None:
            RECORDED[name].add(call_of(self, operation_name))
        return original(self, operation_name, api_params)

    return _make_api_call
