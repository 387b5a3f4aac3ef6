"""Render the state machine template exactly as Terraform's ``templatefile()`` does.

The template is package data, ``orgops/templates/operation.asl.json.tftpl`` (Terraform's
``modules/operation/templates/`` links to it), found the same way from a checkout, an installed
wheel and the Lambda zip (``importlib.resources``). It uses only ``${name}``
placeholders that fill whole string or number values, so a regex substitution gives the same
bytes as Terraform. Not ``string.Template``: it treats ``$$`` as an escape and would break ASL's
``$$.Map.Item.Value``. A placeholder without a value, or a value without a placeholder, is an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable

PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")
# State names of the template the runtime and the CLI read in executions' histories.
FANOUT_STATE = "Fanout"
RECORD_STATE = "RecordStatus"  # the state whose output is the target's status
REPORT_STATE = "Report"
TEMPLATE: Traversable = resources.files("orgops") / "templates" / "operation.asl.json.tftpl"


class TemplateError(ValueError):
    pass


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def render(text: str, variables: Mapping[str, str | int]) -> str:
    wanted = placeholders(text)
    missing = sorted(wanted - set(variables))
    extra = sorted(set(variables) - wanted)
    if missing or extra:
        raise TemplateError(f"template variables do not match: missing {missing}, not in the template {extra}")
    return PLACEHOLDER.sub(lambda m: str(variables[m.group(1)]), text)


def render_file(variables: Mapping[str, str | int], path: Traversable = TEMPLATE) -> str:
    return render(path.read_text(encoding="utf-8"), variables)
