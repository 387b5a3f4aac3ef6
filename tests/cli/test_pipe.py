"""`orgops list | head`: a reader that leaves early is not an error."""

from __future__ import annotations

import os
import sys

import pytest

from orgops.cli import app as cli


def test_a_closed_pipe_exits_quietly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone: every write now fails with EPIPE
    with os.fdopen(write_end, "w", buffering=1) as out:
        monkeypatch.setattr(sys, "stdout", out)
        assert cli.main(["list"]) == 0
    assert capsys.readouterr().err == ""
