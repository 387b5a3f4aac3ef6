"""The README's operations table, generated from the registry.

    python -m orgops.operations.catalog            # print the table
    python -m orgops.operations.catalog --write docs/operations.md   # replace it between the markers

A test fails when the README's table differs from ``markdown_table()``, so the table cannot
drift from the code.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orgops.operations import REGISTRY

START = "<!-- operations-table:start (generated: python -m orgops.operations.catalog --write docs/operations.md) -->"
END = "<!-- operations-table:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def constraints(p: dict[str, Any], code: bool = False) -> str:
    """A param's limits in words (from ``Param.describe()``): ``1..455``, ``one of A, B``.

    ``code`` wraps patterns in backticks (for Markdown, where a backslash would be eaten).
    """

    def pat(x: str) -> str:
        return f"`{x}`" if code else x

    parts = []
    if "minimum" in p or "maximum" in p:
        parts.append(f"{p.get('minimum', '')}..{p.get('maximum', '')}")
    if "choices" in p:
        parts.append(f"one of {', '.join(p['choices'])}")
    if "key_pattern" in p:
        parts.append(f"keys match {pat(p['key_pattern'])}")
        if "pattern" in p:
            parts.append(f"values match {pat(p['pattern'])}")
    elif "pattern" in p:
        parts.append(f"matches {pat(p['pattern'])}")
    return "; ".join(parts)


def grant(op: dict[str, Any], action: str, code: bool = False) -> str:
    """An action of ``Operation.describe()`` with the ARN patterns it is scoped to and its
    condition: ``ec2:RevokeSecurityGroupIngress on arn:${Partition}:ec2:*:${Account}:security-group/*``.
    An action without is allowed on "*" (the text is the action alone)."""

    def c(x: str) -> str:
        return f"`{x}`" if code else x

    text = c(action)
    if action in op.get("resources", {}):
        text += " on " + ", ".join(c(r) for r in op["resources"][action])
    for test, keys in op.get("conditions", {}).get(action, {}).items():
        for key, values in keys.items():
            text += f" if {c(key)} {test} " + ", ".join(c(v) for v in values)
    return text


def _param(p: dict[str, Any]) -> str:
    default = "required" if p.get("required") else f"default `{json.dumps(p.get('default'))}`"
    limits = constraints(p, code=True)
    return f"`{p['name']}` ({p['type']}, {default}{'; ' + limits if limits else ''})"


def markdown_table() -> str:
    lines = [
        '| Operation | Role | Scope | What it finds / does | Columns | Params | IAM actions (on "*" unless scoped) |',
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in sorted(REGISTRY):
        op = REGISTRY[name].describe()
        own_columns = op["columns"][3:]  # after account_id, account_name, region
        params = "<br>".join(_param(p) for p in op["params"]) or "none"
        role = op["role"] + (" (changes resources, dry run by default)" if op["mutating"] else "")
        actions = "<br>".join(grant(op, a, code=True) for a in op["actions"])
        lines.append(
            f"| `{name}` | {role} | {op['scope']} | {_cell(op['description'])} | "
            f"{', '.join(own_columns)} | {_cell(params)} | {_cell(actions)} |"
        )
    return "\n".join(lines)


def readme_table(readme: str) -> str:
    """The table currently between the markers of ``readme`` (raises when a marker is missing)."""
    start = readme.index(START) + len(START)
    return readme[start : readme.index(END, start)].strip("\n")


def replace_table(readme: str) -> str:
    start = readme.index(START) + len(START)
    end = readme.index(END, start)
    return readme[:start] + "\n" + markdown_table() + "\n" + readme[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="README", help="replace the table between the markers in this file")
    args = parser.parse_args(argv)
    if not args.write:
        print(markdown_table())
        return 0
    path = Path(args.write)
    path.write_text(replace_table(path.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
