"""Small helpers for operation tests."""

from __future__ import annotations

from typing import Any

from orgops import operations
from tests.operations.conftest import TARGET


def run(name: str, session: Any, params: dict[str, Any] | None = None, dry_run: bool = True, target: Any = TARGET):
    """Rows of operation ``name`` for ``target``, with ``params`` validated as the fanout would."""
    op = operations.get(name)
    rows = list(op.run(session, target, op.validate_params(params or {}), dry_run))
    for row in rows:
        assert set(row) == set(op.columns), f"{name} row keys differ from its columns"
    return rows
