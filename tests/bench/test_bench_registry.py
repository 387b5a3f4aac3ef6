"""The bench's ``bench-echo`` operation never leaks into the registry other tests check."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import measure
from orgops import operations


class WorldFailed(RuntimeError):
    pass


def test_the_bench_operation_leaves_the_registry_even_when_its_world_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_emulator(*args: Any, **kwargs: Any) -> Any:
        assert measure.BENCH_OPERATION in operations.REGISTRY
        raise WorldFailed("no world")

    monkeypatch.setattr(measure.Emulator, "in_process", failing_emulator)

    with pytest.raises(WorldFailed), measure.bench_world([4]):
        pass

    assert measure.BENCH_OPERATION not in operations.REGISTRY
