"""AWS's ASL language service and asl-validator (npm, pinned in tools/asl/package-lock.json).

``make node-tools`` installs them into ``.node-tools`` (``ORGOPS_NODE_TOOLS``); the tests ask the
same long-lived validator process the emulator uses (``orgops.emulator.definitions``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from orgops.emulator.definitions import NodeValidators

ROOT = Path(__file__).resolve().parents[2]


def node_tools() -> Path:
    folder = ROOT / os.environ.get("ORGOPS_NODE_TOOLS", ".node-tools")
    if not (folder / "node_modules" / "amazon-states-language-service").is_dir():
        raise FileNotFoundError(f"the ASL validators are not installed in {folder}: run `make node-tools`")
    return folder


_validators: list[NodeValidators] = []


def validate(definitions: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Each definition's diagnostics from both validators (an empty list: both accept it)."""
    if not _validators:
        _validators.append(NodeValidators(node_tools()))
    return {name: _validators[0].diagnostics(text) for name, text in definitions.items()}
