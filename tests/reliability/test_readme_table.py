"""docs/survives.md's "What orgops survives" table names tests that exist, and every scenario test is in it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parents[1] / "docs" / "survives.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("<!-- section: reliability -->") :]  # the whole page


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


def _named() -> set[tuple[str, str]]:
    named: set[tuple[str, str]] = set()
    for cell in re.findall(r"`([^`]*test_[^`]*)`", _section()):
        module, sep, name = cell.partition("::")
        if sep:
            named.add((module, name))
        elif cell.startswith("test_"):
            named.add(("test_bad_input.py" if "input" in cell or "parameter" in cell else "", cell))
    return named


def _module(name: str) -> Path:
    """A test module named in the table: a path from the repository root (``tests/unit/x.py``), one
    in this folder, else the one file of that name under tests/."""
    if "/" in name:
        return HERE.parents[1] / name
    if (HERE / name).is_file():
        return HERE / name
    (found,) = sorted(HERE.parent.rglob(name))
    return found


def test_every_test_the_table_names_exists() -> None:
    missing = [f"{m}::{n}" for m, n in sorted(_named()) if n not in _tests_in(_module(m))]
    assert missing == []


def test_every_scenario_test_is_in_the_table() -> None:
    names = {n for _, n in _named()}
    assert sorted(_tests_in(HERE / "test_scenarios.py") - names) == []
