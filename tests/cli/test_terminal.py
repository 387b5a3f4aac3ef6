"""`orgops run` in a real pseudo-terminal: the progress bar advances, the summary follows, Ctrl-C asks.

One child process (``pty_run.py``) runs two executions on one emulator, to pay for the
emulator's start once: the first to the end, the second interrupted.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

pytestmark = pytest.mark.e2e

HELPER = Path(__file__).with_name("pty_run.py")
BAR = re.compile(r"\] +(\d+)/(\d+) targets +ok (\d+) +failed (\d+) +running (\d+)")
FINAL = r"final status: (\w+); aborted iterations: (\d+); exit: (\d+)"


class Session:
    """The child in its pseudo-terminal; the first run's output is read once, by whichever test asks."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.child = pexpect.spawn(
            sys.executable, [str(HELPER), str(out)], encoding="utf-8", timeout=180, dimensions=(24, 120)
        )
        self._first: tuple[str, re.Match[str]] | None = None

    def first_run(self) -> tuple[str, re.Match[str]]:
        if self._first is None:
            self.child.expect(FINAL)
            self._first = (self.child.before, self.child.match)
            self.child.expect("second run")
        return self._first


@pytest.fixture(scope="module")
def terminal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    session = Session(tmp_path_factory.mktemp("pty"))
    yield session
    session.child.close(force=True)


def test_the_progress_bar_advances_and_the_summary_follows(terminal: Session) -> None:
    text, final = terminal.first_run()
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
    assert f"saved      {terminal.out / 'pty-1' / 'report.csv'}" in summary
    assert (final.group(1), final.group(3)) == ("SUCCEEDED", "0")


def test_ctrl_c_offers_to_stop_the_execution_and_stops_it_on_yes(terminal: Session) -> None:
    terminal.first_run()
    child = terminal.child
    child.expect(r"running [12]")  # workers of the second run are running
    child.sendintr()
    child.expect(r"Stop the execution too\? Targets already done keep their results \[y/N\]: ")
    child.sendline("y")
    child.expect(r"orgops: stopped arn:aws:states:us-east-1:\d{12}:execution:orgops-unused-ebs-volumes:pty-2")
    child.expect(FINAL)
    status, aborted, code = child.match.groups()
    # AWS ends a stopped execution ABORTED, and so does the emulator (lambdas.install_stop_seams).
    assert status == "ABORTED"
    assert int(aborted) >= 1
    assert code == "130"
