"""Amazon Inspector ``Enable`` and ``BatchGetAccountStatus`` for the caller's own account in moto.

AWS reads an omitted ``accountIds`` as "the calling account"; moto 5.2.5 iterates over it
(``Enable`` fails with a TypeError, ``BatchGetAccountStatus`` too once any account has a status).
The wrappers put the backend's own account there. Enabling is ENABLED at once (AWS passes through
ENABLING). Installed by ``orgops.emulator.seams.install``.
"""

from __future__ import annotations

from typing import Any


def _own_account_by_default(original: Any) -> Any:
    def method(self: Any, account_ids: list[str] | None, *args: Any) -> Any:
        return original(self, account_ids if account_ids else [self.account_id], *args)

    method.orgops_wrapped = original  # type: ignore[attr-defined]
    method.__name__ = original.__name__
    return method


def wrap_enable(original: Any) -> Any:
    """``Enable`` without ``accountIds`` enables the caller's account, as in AWS."""
    return _own_account_by_default(original)


def wrap_batch_get_account_status(original: Any) -> Any:
    """``BatchGetAccountStatus`` without ``accountIds`` reads the caller's account, as in AWS."""
    return _own_account_by_default(original)
