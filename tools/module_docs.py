#!/usr/bin/env python3
"""Write each Terraform module's Inputs and Outputs tables into its README.md.

A stand-in for terraform-docs (not installable here), over python-hcl2 (the project virtualenv's):
for every module under ``modules/``, the ``variable`` and ``output`` blocks of its ``*.tf`` files
become two Markdown tables between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->`` in the
module's README.md; what is outside the markers is the README's own text and is kept.

    python tools/module_docs.py --write    # `make fmt`: rewrite the tables (a README is created
                                           # if missing; the tables are appended if it has no markers)
    python tools/module_docs.py --check    # `make lint`, tests/terraform/test_module_docs.py:
                                           # exit 1 naming every README that is not current

Inputs: required ones first (no ``default``), then by name; each with its type as written in the
HCL (python-hcl2's expression text, on one line), its default as HCL, its description. Outputs:
by name, with their description.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "modules"
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
MARKED = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)


@dataclass(frozen=True)
class Input:
    name: str
    type: str
    default: str | None  # HCL text; None: required
    description: str


@dataclass(frozen=True)
class Output:
    name: str
    description: str


# --- python-hcl2's values back to HCL text ------------------------------------------------------


def _unquote(text: str) -> str:
    """A quoted HCL string as python-hcl2 keeps it (quotes and escapes) -> its text."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out).replace("$${", "${").replace("%%{", "%{")


def _expression(text: str) -> str:
    """``${list(string)}`` -> ``list(string)``; python-hcl2 wraps non-literal expressions so."""
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def description(value: Any) -> str:
    """A description (a quoted string or a heredoc) as one line of text."""
    text = _unquote(str(value)) if value is not None else ""
    if text.startswith("<<"):
        lines = text.splitlines()[1:-1]
        text = textwrap.dedent("\n".join(lines))
    return " ".join(text.split())


def hcl_value(value: Any) -> str:
    """A default as HCL: strings keep their quotes, expressions lose python-hcl2's ``${}``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value if value.startswith('"') else _expression(value)
    if isinstance(value, list):
        return "[" + ", ".join(hcl_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{k} = {hcl_value(v)}" for k, v in value.items() if not str(k).startswith("__")]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"unexpected value from python-hcl2: {value!r}")


# --- reading a module --------------------------------------------------------------------------


def _label(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _blocks(paths: Iterable[Path], kind: str) -> Iterable[tuple[str, dict[str, Any]]]:
    for path in paths:
        with path.open(encoding="utf-8") as f:
            parsed = hcl2.load(f)
        for entry in parsed.get(kind, []):
            for name, block in entry.items():
                if not name.startswith("__"):
                    yield _label(name), block


def read_module(module: Path) -> tuple[list[Input], list[Output]]:
    files = sorted(module.glob("*.tf"))
    inputs = [
        Input(
            name,
            _expression(str(block.get("type", "any"))),
            hcl_value(block["default"]) if "default" in block else None,
            description(block.get("description")),
        )
        for name, block in _blocks(files, "variable")
    ]
    outputs = [Output(name, description(block.get("description"))) for name, block in _blocks(files, "output")]
    inputs.sort(key=lambda i: (i.default is not None, i.name))
    outputs.sort(key=lambda o: o.name)
    return inputs, outputs


# --- Markdown ----------------------------------------------------------------------------------


def _code(text: str) -> str:
    """An inline code span that holds any backticks the text has."""
    fence, pad = ("``", " ") if "`" in text else ("`", "")
    escaped = text.replace("|", "\\|")
    return f"{fence}{pad}{escaped}{pad}{fence}"


def _prose(text: str) -> str:
    """A table cell's text: pipes escaped; outside code spans, < and > so HTML does not eat them."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # the even parts are outside code spans
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts).replace("|", "\\|")


def render(inputs: list[Input], outputs: list[Output]) -> str:
    lines = [BEGIN, "## Inputs", ""]
    if inputs:
        lines += ["| Name | Type | Default | Description |", "|------|------|---------|-------------|"]
        for i in inputs:
            default = "required" if i.default is None else _code(i.default)
            lines.append(f"| {_code(i.name)} | {_code(i.type)} | {default} | {_prose(i.description)} |")
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    if outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        lines += [f"| {_code(o.name)} | {_prose(o.description)} |" for o in outputs]
    else:
        lines.append("No outputs.")
    lines.append(END)
    return "\n".join(lines)


def updated(readme_text: str | None, module: Path) -> str:
    """The README with its tables current: between the markers, else appended (or a new README)."""
    block = render(*read_module(module))
    if readme_text is None:
        return f"# {module.name}\n\n{block}\n"
    if MARKED.search(readme_text):
        return MARKED.sub(lambda _: block, readme_text, count=1)
    return readme_text.rstrip("\n") + "\n\n" + block + "\n"


DOCS_PAGE = ROOT / "docs" / "modules.md"


def reference_page(found: list[Path]) -> str:
    """docs/modules.md: every module's README (its heading one level down) with its tables."""
    parts = [
        "# Terraform module reference",
        "",
        "Generated by `python tools/module_docs.py --write` from the modules' variables and outputs",
        "(`make lint` fails when it is stale). `modules/orgops` is the whole deployment; the others are its parts.",
    ]
    for module in sorted(found, key=lambda m: (m.name != "orgops", m.name)):
        readme = module / "README.md"
        text = updated(readme.read_text(encoding="utf-8") if readme.exists() else None, module)
        lines = text.splitlines()
        body = "\n".join(lines[1:] if lines and lines[0].startswith("# ") else lines).strip("\n")
        body = re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + 1) + " ", body, flags=re.M)
        parts += ["", f"## modules/{module.name}", "", body]
    return "\n".join(parts).rstrip("\n") + "\n"


def modules(given: list[Path]) -> list[Path]:
    found = given or sorted(p for p in MODULES.iterdir() if p.is_dir() and any(p.glob("*.tf")))
    return [p.resolve() for p in found]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the tables in each README.md")
    mode.add_argument("--check", action="store_true", help="exit 1 if a README.md's tables are not current")
    parser.add_argument("module", nargs="*", type=Path, help="module folders (default: every one under modules/)")
    args = parser.parse_args(argv)

    stale = []
    for module in modules(args.module):
        readme = module / "README.md"
        current = readme.read_text(encoding="utf-8") if readme.exists() else None
        wanted = updated(current, module)
        if current == wanted:
            continue
        if args.write:
            readme.write_text(wanted, encoding="utf-8")
            print(f"wrote {_shown(readme)}")
            continue
        stale.append(readme)
        why = "missing" if current is None else "has no markers" if not MARKED.search(current) else "is stale"
        print(f"{_shown(readme)} {why}: run `python tools/module_docs.py --write`", file=sys.stderr)
        diff = difflib.unified_diff(
            (current or "").splitlines(), wanted.splitlines(), _shown(readme), "generated", lineterm="", n=1
        )
        print("\n".join(diff), file=sys.stderr)
    if not args.module:  # the docs' reference page covers every module
        wanted_page = reference_page(modules([]))
        current_page = DOCS_PAGE.read_text(encoding="utf-8") if DOCS_PAGE.exists() else None
        if current_page != wanted_page:
            if args.write:
                DOCS_PAGE.write_text(wanted_page, encoding="utf-8")
                print(f"wrote {_shown(DOCS_PAGE)}")
            else:
                stale.append(DOCS_PAGE)
                print(f"{_shown(DOCS_PAGE)} is stale: run `python tools/module_docs.py --write`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
