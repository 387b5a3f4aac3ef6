"""AWS's ASL language service and asl-validator (npm, pinned in tools/asl/package-lock.json).

``make node-tools`` installs them into ``.node-tools`` (``ORGOPS_NODE_TOOLS``); this module runs
``orgops/emulator/asl_validators.js`` once over many definitions (batch mode).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def node_tools() -> Path:
    folder = ROOT / os.environ.get("ORGOPS_NODE_TOOLS", ".node-tools")
    if not (folder / "node_modules" / "amazon-states-language-service").is_dir():
        raise FileNotFoundError(f"the ASL validators are not installed in {folder}: run `make node-tools`")
    return folder


def validate(definitions: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Each definition's diagnostics from both validators (an empty list: both accept it)."""
    node = shutil.which("node")
    if node is None:
        raise FileNotFoundError("node is not on PATH: the ASL validators need Node.js 20")
    script = resources.files("orgops.emulator").joinpath("asl_validators.js")
    result = subprocess.run(
        [node, str(script)],
        input=json.dumps(definitions),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "ORGOPS_NODE_TOOLS": str(node_tools().resolve())},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
