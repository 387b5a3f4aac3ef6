"""Read the Terraform configuration with python-hcl2: blocks, labels, and expressions as text."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "modules"
# The whole deployment as one module (no providers): what a root configuration calls.
COMPOSITION = MODULES / "orgops"
# This repository's root configuration: the providers and module "orgops" (its variables.tf is a
# symlink to the composition's); and the example of a root in a user's own repository.
ROOT_CONFIG = ROOT / "terraform"
EXAMPLE_ROOT = ROOT / "examples" / "own-operations" / "terraform"
ROOTS = [ROOT_CONFIG, EXAMPLE_ROOT]
MODULE_DIRS = sorted(p for p in MODULES.iterdir() if p.is_dir())
CONFIG_DIRS = [*MODULE_DIRS, *ROOTS]


def tf_files() -> list[Path]:
    """Every .tf file once: a symlink to a file already listed (terraform/variables.tf) is not."""
    files = sorted(p for d in CONFIG_DIRS for p in d.glob("*.tf"))
    real = {p.resolve() for p in files if not p.is_symlink()}
    return [p for p in files if not (p.is_symlink() and p.resolve() in real)]


@functools.cache
def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        return hcl2.load(f)


def label(text: str) -> str:
    """python-hcl2 keeps the quotes of block labels and string values: strip them."""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def string(value: Any) -> str:
    return label(value) if isinstance(value, str) else str(value)


def is_block(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) and v.get("__is_block__") for v in value)


def body(block: dict[str, Any]) -> dict[str, Any]:
    """A block's own keys: arguments and nested blocks, without python-hcl2's markers."""
    return {k: v for k, v in block.items() if not k.startswith("__")}


@dataclass(frozen=True)
class TypedBlock:
    """A ``resource`` or ``data`` block: ``data "aws_iam_policy_document" "key" {...}``."""

    kind: str
    type: str
    name: str
    body: dict[str, Any]
    path: Path

    @property
    def address(self) -> str:
        prefix = "data." if self.kind == "data" else ""
        return f"{self.path.parent.name}/{self.path.name}: {prefix}{self.type}.{self.name}"


def typed_blocks(kind: str, paths: list[Path] | None = None) -> Iterator[TypedBlock]:
    for path in paths or tf_files():
        for entry in load(path).get(kind, []):
            for type_label, named in body(entry).items():
                for name, block in body(named).items():
                    yield TypedBlock(kind, label(type_label), label(name), block, path)


def named_blocks(kind: str, path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``variable "x" {...}``, ``output "x" {...}``, ``module "x" {...}``: (name, body)."""
    for entry in load(path).get(kind, []):
        for name, block in body(entry).items():
            yield label(name), block


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split an HCL expression on ``sep`` outside brackets, braces, parentheses and strings."""
    parts, depth, current, quoted, i = [], 0, [], False, 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\":
                current.append(text[i : i + 2])
                i += 2
                continue
            if ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(current).strip())
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def call_arguments(expression: str, function: str) -> list[str]:
    """The arguments of the first call of ``function(...)`` in an expression, as text."""
    start = expression.index(f"{function}(") + len(function) + 1
    depth, quoted, i = 1, False, start
    while depth:
        ch = expression[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        i += 1
    return split_top_level(expression[start : i - 1])


def object_keys(expression: str) -> dict[str, str]:
    """``{a = 1, b = f(x)}`` -> {"a": "1", "b": "f(x)"}."""
    inner = expression.strip()
    assert inner.startswith("{") and inner.endswith("}"), f"not an object literal: {expression}"
    items = {}
    for item in split_top_level(inner[1:-1]):
        key, _, value = item.partition("=")
        items[label(key.strip())] = value.strip()
    return items
