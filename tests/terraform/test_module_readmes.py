"""Every module's README.md has its Inputs and Outputs tables, current (tools/module_docs.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.terraform import hcl

SCRIPT = hcl.ROOT / "tools" / "module_docs.py"


@pytest.mark.parametrize("module", hcl.MODULE_DIRS, ids=lambda p: p.name)
def test_the_modules_readme_tables_are_current(module) -> None:
    # As `make lint` runs it: python-hcl2 from the project virtualenv.
    done = subprocess.run(
        [sys.executable, SCRIPT, "--check", module], capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stderr
