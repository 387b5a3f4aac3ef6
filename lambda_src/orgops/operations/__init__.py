"""The registry of operations, by name: the built-ins, and the user's own.

An operation is an importable module with a module-level ``OPERATION`` (see ``base.py``). The
built-ins are the modules in ``MODULES`` below. A user's own operations live in their own
repository and are found by import path, the same way everywhere:

- in Lambda, ``ORGOPS_OPERATION_MODULES`` (comma-separated import paths; Terraform sets it from
  the operation manifest, and the modules come in the layer ``build.py --operations-path`` makes);
- in the CLI, the ``orgops.operations`` entry point group of installed packages, the same
  environment variable, and ``--operations-path DIR`` (every module under DIR that declares
  ``OPERATION``; see ``discover``).

Adding a built-in: a module here, its name in ``MODULES``, its test.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from pathlib import Path

from orgops.errors import ConfigurationError, UnknownOperation
from orgops.operations.base import Operation

MODULES_ENV = "ORGOPS_OPERATION_MODULES"
ENTRY_POINT_GROUP = "orgops.operations"
BUILTIN_PACKAGE = "orgops.operations"

MODULES = (
    # inventories (readonly)
    "unused_ebs_volumes",
    "unused_nat_gateways",
    "public_ips",
    "lambda_functions",
    "vpcs",
    "accounts",
    "cloudfront_distributions",
    "tags",
    "public_endpoints",
    # compliance (admin, dry run by default)
    "tag_remediation",
    "sg_open_ingress_remediation",
    # security (admin, dry run by default)
    "securityhub_standards",
    "inspector_activation",
)

# name -> the import path of the module that declared it (built-ins included).
ORIGINS: dict[str, str] = {}


def _builtins() -> dict[str, Operation]:
    registry: dict[str, Operation] = {}
    for module in MODULES:
        op: Operation = importlib.import_module(f"{BUILTIN_PACKAGE}.{module}").OPERATION
        if op.name in registry:
            raise RuntimeError(f"two operations are named {op.name}")
        registry[op.name] = op
        ORIGINS[op.name] = f"{BUILTIN_PACKAGE}.{module}"
    return registry


REGISTRY: dict[str, Operation] = _builtins()


def load_module(path: str, where: str) -> Operation:
    """The ``OPERATION`` of the module at import path ``path``; ``where`` names the setting it
    came from, so a refusal says which one to fix."""
    if not path or not all(part.isidentifier() for part in path.split(".")):
        raise ConfigurationError(f"{where}: {path!r} is not an import path such as acme_ops.stopped_instances")
    try:
        module = importlib.import_module(path)
    except ImportError as exc:
        raise ConfigurationError(
            f"{where}: cannot import {path!r} ({type(exc).__name__}: {exc}); install its package, add its folder "
            "with --operations-path, or (in Lambda) attach the operations layer build.py made"
        ) from None
    op = getattr(module, "OPERATION", None)
    if not isinstance(op, Operation):
        raise ConfigurationError(
            f"{where}: module {path!r} declares no OPERATION (an orgops.operations.base.Operation at module level)"
        )
    return op


def register(paths: Iterable[str], where: str) -> list[Operation]:
    """Import the modules at ``paths`` and add their operations to ``REGISTRY``. A module already
    registered is skipped; a second module under a registered name is refused, naming both."""
    added = []
    for path in paths:
        op = load_module(path, where)
        known = ORIGINS.get(op.name)
        if known == path:
            continue
        if known is not None:
            raise ConfigurationError(
                f"{where}: {path!r} declares operation {op.name!r}, already declared by {known!r}; rename one"
            )
        REGISTRY[op.name] = op
        ORIGINS[op.name] = path
        added.append(op)
    return added


def unregister(names: Iterable[str]) -> None:
    """Forget the user operations ``names`` (the built-ins stay): for tests and the emulator."""
    for name in names:
        if not builtin(name):
            REGISTRY.pop(name, None)
            ORIGINS.pop(name, None)


def env_modules(env: Mapping[str, str] | None = None) -> list[str]:
    """The import paths in ``ORGOPS_OPERATION_MODULES`` (comma-separated, blanks ignored)."""
    raw = (os.environ if env is None else env).get(MODULES_ENV, "")
    return [p.strip() for p in raw.split(",") if p.strip()]


def entry_point_modules() -> list[str]:
    """The modules installed packages declare in the ``orgops.operations`` entry point group: an
    entry naming a module with ``OPERATION`` is that module; one naming a package is every module
    in it that declares one, so adding an operation to the package needs no new entry."""
    found: set[str] = set()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        path = ep.value.split(":", 1)[0].strip()
        where = f"entry point {ep.name} = {ep.value!r} ({ENTRY_POINT_GROUP})"
        try:
            module = importlib.import_module(path)
        except ImportError as exc:
            raise ConfigurationError(f"{where}: cannot import {path!r} ({type(exc).__name__}: {exc})") from None
        if isinstance(getattr(module, "OPERATION", None), Operation) or not hasattr(module, "__path__"):
            found.add(path)
            continue
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{path}."):
            leaf = info.name.rsplit(".", 1)[-1]
            if leaf.startswith("_") or leaf in ("tests", "test") or ".tests." in info.name:
                continue
            if isinstance(getattr(importlib.import_module(info.name), "OPERATION", None), Operation):
                found.add(info.name)
    return sorted(found)


def module_names(folder: Path) -> Iterator[str]:
    """The import paths of the Python modules under ``folder`` (top-level modules and packages,
    recursively), without private modules (``_x``) and ``tests`` packages."""
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "_")) or path.name in ("tests", "test"):
            continue
        if path.is_file() and path.suffix == ".py" and path.stem.isidentifier():
            yield path.stem
        elif path.is_dir() and (path / "__init__.py").is_file() and path.name.isidentifier():
            for sub in sorted(path.rglob("*.py")):
                parts = [p for p in sub.relative_to(folder).with_suffix("").parts if p != "__init__"]
                if all(p.isidentifier() and not p.startswith("_") and p not in ("tests", "test") for p in parts):
                    yield ".".join(parts)


def discover(folder: Path) -> list[str]:
    """The import paths of every module under ``folder`` that declares ``OPERATION``; ``folder``
    is put first on ``sys.path`` so they import from it."""
    if not folder.is_dir():
        raise ConfigurationError(f"--operations-path: {folder} is not a folder")
    root = str(folder.resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    found = []
    for name in module_names(folder):
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise ConfigurationError(
                f"--operations-path: {name!r} under {folder} does not import ({type(exc).__name__}: {exc})"
            ) from None
        if isinstance(getattr(module, "OPERATION", None), Operation):
            found.append(name)
    return found


def builtin(name: str) -> bool:
    return ORIGINS.get(name, "").startswith(f"{BUILTIN_PACKAGE}.")


def get(name: str) -> Operation:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownOperation(
            "Operation", f"no operation named {name!r}; known operations: {', '.join(sorted(REGISTRY))}"
        ) from None


# 3: each operation's scoped resources and conditions (``resources``, ``conditions``).
MANIFEST_VERSION = 3


def manifest(registry: dict[str, Operation] | None = None) -> dict[str, object]:
    """What Terraform needs of each operation (``dist/operations.json``, written by build.py):
    the module that declares it and whether it is a built-in (Terraform sets the user's modules
    in ``ORGOPS_OPERATION_MODULES``), its role, the IAM actions its member role must allow, the
    ARN patterns the scoped ones are allowed on (``resources``: action -> patterns with
    ``${Partition}`` and ``${Account}``; every other action is allowed on "*") and the conditions
    of those that have one (``conditions``: action -> {operator: {key: values}}), and its report's
    columns."""
    ops = REGISTRY if registry is None else registry
    from orgops import dataset  # the data set's tables (its column types): modules/dataset reads them

    return {
        "version": MANIFEST_VERSION,
        "dataset": dataset.manifest_section(ops),
        "operations": {
            name: {
                "module": ORIGINS.get(name, op.run.__module__),
                "builtin": builtin(name),
                "role": op.role,
                "mutating": op.mutating,
                "actions": sorted({*op.actions, *op.extra_actions}),
                "resources": {a: list(p) for a, p in op.resources.items()},
                "conditions": op.describe()["conditions"],
                "columns": list(op.report_columns),
                "key": list(op.key),
                "before": list(op.before),
                "column_types": dataset.column_types(op),
            }
            for name, op in sorted(ops.items())
        },
    }


# The user's modules Terraform named for this Lambda (none in the CLI unless set).
register(env_modules(), MODULES_ENV)
