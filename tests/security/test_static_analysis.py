"""Bandit's rules (ruff's ``S`` set) find nothing in the shipped code, and every suppression says why."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_SRC = ROOT / "lambda_src"
RUFF = Path(sys.executable).with_name("ruff")
NOQA_S = re.compile(r"#\s*noqa:\s*(?P<codes>[A-Z0-9, ]*S\d+[A-Z0-9, ]*)(?P<reason>.*)$")


def test_ruff_security_rules_find_nothing_in_lambda_src() -> None:
    result = subprocess.run(
        [str(RUFF), "check", "--select", "S", "--output-format", "json", "--no-cache", str(LAMBDA_SRC)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )

    findings = [f"{f['filename']}:{f['location']['row']} {f['code']} {f['message']}" for f in json.loads(result.stdout)]
    assert findings == []
    assert result.returncode == 0, result.stderr


def test_ruff_security_rules_would_report_a_shell_call(tmp_path: Path) -> None:
    # Given a file with what bandit flags (subprocess with shell=True)
    bad = tmp_path / "bad.py"
    bad.write_text("import subprocess\n\nsubprocess.run('ls', shell=True)\n", encoding="utf-8")

    result = subprocess.run(
        [str(RUFF), "check", "--select", "S", "--output-format", "json", "--no-cache", "--isolated", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert [f["code"] for f in json.loads(result.stdout)] == ["S602", "S607"]  # shell=True; a partial path


def test_every_security_suppression_in_lambda_src_gives_its_reason() -> None:
    unexplained = []
    for path in sorted(LAMBDA_SRC.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            m = NOQA_S.search(line)
            if m and not m["reason"].strip(" -"):
                unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert unexplained == []
