"""Answer a moto request with an AWS error instead of running it: the one way the emulator's
wrappers of ``BaseResponse.call_action`` (regions not enabled, member-role policies) refuse."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

# (code, HTTP status, message) for a request, or None to let moto run it.
Refusal = tuple[str, int, str]


def answer(response: Any, refusal: Refusal) -> tuple[int, dict[str, Any], Any]:
    """The service's own error shape (moto's serializer for its protocol), with AWS's status."""
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult

    class RefusedError(ServiceException):  # of this module: moto looks up no service model for it
        pass

    code, status, message = refusal
    _status, headers, body = response.serialized(ActionResult(RefusedError(code, message)))
    headers["status"] = status
    return status, headers, body


def refusing(original: Any, decide: Callable[[Any], Refusal | None]) -> Any:
    """Wrap ``BaseResponse.call_action``: while an emulator runs, ``decide`` may refuse a request."""
    from orgops.emulator import lambdas

    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        if lambdas.active() is None:
            return original(self)
        refusal = decide(self)
        return original(self) if refusal is None else answer(self, refusal)

    call_action.orgops_wrapped = original  # type: ignore[attr-defined]
    return call_action
