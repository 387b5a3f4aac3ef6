"""`orgops run` in a real pseudo-terminal: the progress bar advances, the summary follows, Ctrl-C asks."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pexpect
import pytest

pytestmark = pytest.mark.e2e

HELPER = Path(__file__).with_name("pty_run.py")
BAR = re.compile(r"\] +(\d+)/(\d+) targets +ok (\d+) +failed (\d+) +running (\d+)")


def spawn(delay: float, out: Path) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable, [str(HELPER), str(delay), str(out)], encoding="utf-8", timeout=120, dimensions=(24, 120)
    )


def test_the_progress_bar_advances_and_the_summary_follows(tmp_path: Path) -> None:
    child = spawn(0.3, tmp_path)
    child.expect(pexpect.EOF)
    child.close()
    text = child.before
    finished = [int(m.group(1)) for m in BAR.finditer(text)]
    totals = {int(m.group(2)) for m in BAR.finditer(text)}
    assert totals == {4}  # the management account and alpha, in two regions
    assert finished == sorted(finished)  # never goes backwards
    assert finished[-1] == 4
    assert any(0 < f < 4 for f in finished), f"no intermediate state drawn: {finished}"
    assert "\r\x1b[K[" in text  # redrawn in place
    summary = text[text.rindex("execution  ") :]
    assert "status     SUCCEEDED" in summary
    assert "targets    4: 4 succeeded, 0 failed, 0 skipped" in summary
    assert f"saved      {tmp_path / 'report.csv'}" in summary
    assert child.exitstatus == 0


def test_ctrl_c_offers_to_stop_the_execution_and_stops_it_on_yes(tmp_path: Path) -> None:
    child = spawn(1.5, tmp_path)
    child.expect(r"running [12]")  # workers are running
    child.sendintr()
    child.expect(r"Stop the execution too\? Targets already done keep their results \[y/N\]: ")
    child.sendline("y")
    child.expect(r"orgops: stopped arn:aws:states:us-east-1:\d{12}:execution:orgops-unused-ebs-volumes:pty-1")
    child.expect(r"final status: (\w+); aborted iterations: (\d+)")
    # AWS ends a stopped execution ABORTED; moto 5.2.5 ends it FAILED (States.Runtime) after
    # aborting the Map's iterations, so the aborted iterations are the proof it was stopped.
    assert child.match.group(1) in ("ABORTED", "FAILED")
    assert int(child.match.group(2)) >= 1
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
