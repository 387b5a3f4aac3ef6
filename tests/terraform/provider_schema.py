"""The AWS provider's resource schemas, read from the ``cdktn-provider-aws`` bindings with ``ast``.

``cdktn-provider-aws`` is generated from terraform-provider-aws 6.x: for each resource and data
source it holds a ``*Config`` class whose ``name_mapping`` lists every argument and nested block,
and whose ``__init__`` has no default for a required one; each nested block has its own class,
documented as ``":param x: x block."``. Importing the package needs Node (jsii), so these files
are only parsed, never imported. The package lives in the tools virtualenv (``make tools``).
"""

from __future__ import annotations

import ast
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
META_ARGUMENTS = frozenset({"connection", "count", "depends_on", "for_each", "lifecycle", "provider", "provisioners"})
BLOCK_DOC = re.compile(r":param (\w+): \1 block\.")


class SchemaNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Block:
    """One resource, data source or nested block: its arguments, required ones, nested blocks."""

    name: str
    arguments: frozenset[str]
    required: frozenset[str]
    blocks: dict[str, Block] = field(default_factory=dict)


def tools_venv() -> Path:
    return ROOT / os.environ.get("ORGOPS_TOOLS_VENV", ".venv-tools")


def package_dir() -> Path:
    found = sorted(tools_venv().glob("lib/python3*/site-packages/cdktn_provider_aws"))
    if not found:
        raise SchemaNotFound(
            f"cdktn-provider-aws is not installed in {tools_venv()}; run `make tools` (tools-requirements.txt)"
        )
    return found[-1]


def _data_type_kwargs(node: ast.ClassDef) -> dict[str, ast.expr] | None:
    for deco in node.decorator_list:
        if (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and deco.func.attr == "data_type"
            and isinstance(deco.func.value, ast.Name)
            and deco.func.value.id == "jsii"
        ):
            return {kw.arg: kw.value for kw in deco.keywords if kw.arg}
    return None


def _string_constants(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


@dataclass(frozen=True)
class _Struct:
    arguments: tuple[str, ...]
    required: frozenset[str]
    block_types: dict[str, str]  # argument -> class name of its nested block
    is_config: bool


def _parse_struct(node: ast.ClassDef, kwargs: dict[str, ast.expr], struct_names: set[str]) -> _Struct:
    mapping = kwargs.get("name_mapping")
    arguments = tuple(k.value for k in mapping.keys) if isinstance(mapping, ast.Dict) else ()  # type: ignore[union-attr]
    bases = kwargs.get("jsii_struct_bases")
    is_config = isinstance(bases, ast.List) and any(
        isinstance(b, ast.Attribute) and b.attr == "TerraformMetaArguments" for b in bases.elts
    )
    init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    required: set[str] = set()
    block_types: dict[str, str] = {}
    if init is not None:
        doc = ast.get_docstring(init) or ""
        documented_blocks = set(BLOCK_DOC.findall(doc))
        for arg, default in zip(init.args.kwonlyargs, init.args.kw_defaults, strict=True):
            if default is None:
                required.add(arg.arg)
            if arg.annotation is not None:
                classes = sorted(_string_constants(arg.annotation) & struct_names)
                if classes and (arg.arg in documented_blocks or len(classes) == 1):
                    block_types[arg.arg] = classes[0]
    return _Struct(arguments, frozenset(required), block_types, is_config)


@functools.cache
def _module_structs(directory: str) -> dict[str, _Struct]:
    path = package_dir() / directory / "__init__.py"
    if not path.is_file():
        raise SchemaNotFound(f"the AWS provider has no {directory!r} (looked for {path})")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    classes = {n.name: (n, kw) for n in tree.body if isinstance(n, ast.ClassDef) and (kw := _data_type_kwargs(n))}
    names = set(classes)
    return {name: _parse_struct(node, kw, names) for name, (node, kw) in classes.items()}


def _build(name: str, struct_name: str, structs: dict[str, _Struct], seen: tuple[str, ...] = ()) -> Block:
    struct = structs[struct_name]
    blocks = {
        arg: _build(arg, cls, structs, (*seen, struct_name))
        for arg, cls in struct.block_types.items()
        if cls not in seen and cls != struct_name
    }
    arguments = frozenset(struct.arguments) - META_ARGUMENTS if struct.is_config else frozenset(struct.arguments)
    return Block(name, arguments, struct.required & arguments, blocks)


@functools.cache
def schema(kind: str, type_name: str) -> Block:
    """The schema of ``resource "aws_x"`` (kind ``resource``) or ``data "aws_x"`` (kind ``data``)."""
    if not type_name.startswith("aws_"):
        raise SchemaNotFound(f"{type_name} is not an AWS provider type")
    directory = type_name.removeprefix("aws_") if kind == "resource" else f"data_{type_name}"
    structs = _module_structs(directory)
    configs = [n for n, s in structs.items() if s.is_config]
    if len(configs) != 1:
        raise SchemaNotFound(f"expected one Config class in {directory}, found {configs}")
    return _build(type_name, configs[0], structs)
