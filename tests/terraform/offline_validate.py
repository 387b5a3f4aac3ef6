"""An offline stand-in for ``terraform validate``: each aws_* block against the provider schema.

Checks, recursively into nested blocks (``dynamic "x" { content {...} }`` included), that every
argument and nested block is one the AWS provider knows, and that every required argument or
block is set. Meta-arguments (count, for_each, provider, depends_on, lifecycle) are allowed.
"""

from __future__ import annotations

from typing import Any

from tests.terraform import hcl
from tests.terraform.provider_schema import Block

META = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle"})


def _entries(value: Any) -> list[dict[str, Any]]:
    """A nested block's bodies (a block may repeat)."""
    return [hcl.body(v) for v in value] if hcl.is_block(value) else []


def _dynamic_blocks(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for dynamic in body.get("dynamic", []):
        for name, spec in hcl.body(dynamic).items():
            content = [hcl.body(c) for c in spec.get("content", [])]
            found.setdefault(hcl.label(name), []).extend(content)
    return found


def check_block(schema: Block, body: dict[str, Any], where: str, top_level: bool = False) -> list[str]:
    errors: list[str] = []
    dynamic = _dynamic_blocks(body)
    present = {k for k in body if k != "dynamic"} | set(dynamic)
    for key in sorted(present):
        if top_level and key in META:
            continue
        if key not in schema.arguments:
            errors.append(f"{where}: unknown argument or block {key!r}")
    for required in sorted(schema.required - present):
        errors.append(f"{where}: required argument or block {required!r} is not set")
    for name, nested in sorted(schema.blocks.items()):
        if name in body and not hcl.is_block(body[name]):
            errors.append(f"{where}: {name!r} is a nested block: write `{name} {{ ... }}`, not `{name} = ...`")
            continue
        bodies = _entries(body.get(name)) + dynamic.get(name, [])
        for i, nested_body in enumerate(bodies):
            errors.extend(check_block(nested, nested_body, f"{where}.{name}[{i}]"))
    return errors
