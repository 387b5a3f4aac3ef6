#!/usr/bin/env python3
"""Build dist/orgops.zip from lambda_src/orgops, byte for byte reproducibly.

With ``--operations-path DIR`` (repeatable; or ``ORGOPS_OPERATIONS_PATH``, folders separated by
``:``), the user's own operations too: every Python file under DIR (tests left out) in
``dist/operations-layer.zip``, a Lambda layer (``python/...``, on the runtime's path), just as
reproducible; and their declarations in the manifest, which Terraform reads (role, actions,
module). ``dist/orgops.zip`` is the same bytes with or without them.

Terraform redeploys a function whenever ``filebase64sha256(zip)`` changes, so the same sources
must give the same bytes: entries sorted by forward-slash path, a fixed timestamp, mode 0644
(Lambda runs code as another user: an unreadable file fails at import), one compression method.
No tests, caches or ``.pyc``: boto3 comes from the Lambda runtime, so the zip is our code only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import py_compile
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SOURCE = ROOT / "lambda_src"
PACKAGE = "orgops"
OUTPUT = ROOT / "dist" / "orgops.zip"
MANIFEST = ROOT / "dist" / "operations.json"
LAYER = "operations-layer.zip"
OPERATIONS_PATH_ENV = "ORGOPS_OPERATIONS_PATH"
LAYER_SKIP_FILES = {"conftest.py", "setup.py", "noxfile.py"}
LAYER_SKIP_DIRS = {"__pycache__", "tests", "test", ".pytest_cache", ".mypy_cache", "build", "dist"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SKIP_DIRS = {"__pycache__", "tests", ".pytest_cache", ".mypy_cache"}
SKIP_SUFFIXES = {".pyc", ".pyo"}
# The runtime: the only code in the Lambda zip, chosen by this allow-list (a file or a folder under
# the package). Not in it: ``orgops/cli`` (the operator CLI), ``orgops/emulator`` (moto),
# ``orgops/testing.py`` (for operations' tests). ``test_build`` refuses a module in none of them.
RUNTIME = (
    "orgops/__init__.py",
    "orgops/asl.py",
    "orgops/audit.py",
    "orgops/baselines.py",
    "orgops/changes.py",
    "orgops/config.py",
    "orgops/dataset.py",
    "orgops/errors.py",
    "orgops/inventory.py",
    "orgops/observability.py",
    "orgops/org.py",
    "orgops/plans.py",
    "orgops/preflight.py",
    "orgops/regions.py",
    "orgops/report.py",
    "orgops/retry.py",
    "orgops/sessions.py",
    "orgops/store.py",
    "orgops/targets.py",
    "orgops/text.py",
    "orgops/waves.py",
    "orgops/handlers/",
    "orgops/operations/",
    "orgops/templates/",
)
NOT_RUNTIME = ("orgops/cli/", "orgops/emulator/", "orgops/testing.py")


def in_runtime(name: str) -> bool:
    return any(name == entry or (entry.endswith("/") and name.startswith(entry)) for entry in RUNTIME)


class BuildError(Exception):
    pass


def sources(source: Path = SOURCE, package: str = PACKAGE) -> Iterator[tuple[str, Path]]:
    """(archive name, path) for every file to ship, sorted by archive name."""
    files = []
    for path in (source / package).rglob("*"):
        rel = path.relative_to(source)
        if path.is_dir() or SKIP_DIRS & set(rel.parts) or path.suffix in SKIP_SUFFIXES:
            continue
        if any(part.startswith(".") for part in rel.parts):  # editor swap files, .DS_Store
            continue
        if not in_runtime(rel.as_posix()):
            continue
        files.append((rel.as_posix(), path))
    yield from sorted(files)


def check_compiles(files: list[tuple[str, Path]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in files:
            if path.suffix != ".py":
                continue
            try:
                py_compile.compile(str(path), cfile=str(Path(tmp) / "x.pyc"), doraise=True)
            except py_compile.PyCompileError as exc:
                raise BuildError(f"{name} does not compile:\n{exc.msg}") from None


def layer_sources(folder: Path) -> list[tuple[str, Path]]:
    """(archive name under ``python/``, path) of every Python file of the user's operations folder:
    their packages and helpers, not their tests (``tests``/``test`` folders, ``test_*.py``)."""
    files = []
    for path in folder.rglob("*.py"):
        rel = path.relative_to(folder)
        if LAYER_SKIP_DIRS & set(rel.parts[:-1]):
            continue
        if any(part.startswith(".") for part in rel.parts) or path.name in LAYER_SKIP_FILES:
            continue
        if path.name.startswith("test_") or path.name.endswith("_test.py"):
            continue
        files.append((f"python/{rel.as_posix()}", path))
    return sorted(files)


def build_layer(folders: list[Path], output: Path) -> Path | None:
    """The user's operations as a Lambda layer; None (and no stale layer left) without folders."""
    if not folders:
        output.unlink(missing_ok=True)
        return None
    files: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            raise BuildError(f"--operations-path {folder}: not a folder")
        for name, path in layer_sources(folder):
            if name in files:
                raise BuildError(f"--operations-path: {name[len('python/') :]} is in both {files[name]} and {path}")
            files[name] = path
    if not files:
        raise BuildError(f"--operations-path: no Python files under {', '.join(map(str, folders))}")
    if any(name.split("/")[1] == PACKAGE for name in files):
        raise BuildError(f"--operations-path: a folder holds a package named {PACKAGE!r}, which is orgops's own")
    entries = sorted(files.items())
    check_compiles(entries)
    return write_zip(entries, output)


def write_zip(files: list[tuple[str, Path]], output: Path) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".zip.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for name, path in files:
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.external_attr = 0o644 << 16
                info.create_system = 3
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes(), compresslevel=9)
        tmp.replace(output)  # atomic: a reader never sees a half-written zip
    finally:
        tmp.unlink(missing_ok=True)
    return output


def build(output: Path = OUTPUT, source: Path = SOURCE) -> Path:
    files = list(sources(source))
    if not files:
        raise BuildError(f"no sources under {source / PACKAGE}")
    check_compiles(files)
    return write_zip(files, output)


MANIFEST_CODE = """
import json, sys
from pathlib import Path
import orgops.operations as o
for folder in sys.argv[1:]:
    o.register(o.discover(Path(folder)), "--operations-path " + folder)
print(json.dumps(o.manifest(), indent=2, sort_keys=True))
"""


def write_manifest(output: Path = MANIFEST, source: Path = SOURCE, folders: list[Path] | None = None) -> Path:
    """``dist/operations.json``: each operation's module, role and IAM actions, from the registry
    of the package being built and the user's folders (Terraform derives the member roles'
    policies, the operations layer and each worker's declared role from it)."""
    folders = folders or []
    env = {k: v for k, v in os.environ.items() if k != "ORGOPS_OPERATION_MODULES"}
    done = subprocess.run(
        [sys.executable, "-c", MANIFEST_CODE, *map(str, folders)],
        capture_output=True,
        text=True,
        check=False,
        env={**env, "PYTHONPATH": os.pathsep.join([str(source), *map(str, folders)])},
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BuildError(f"the operation registry does not load: {last}")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".json.tmp")
    tmp.write_text(done.stdout, encoding="utf-8")
    tmp.replace(output)
    return output


def source_code_hash(path: Path) -> str:
    """What Terraform's ``filebase64sha256()`` returns for the file."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="zip to write (default: dist/orgops.zip)")
    parser.add_argument(
        "--source", type=Path, default=SOURCE, help="folder holding the orgops package (default: lambda_src)"
    )
    parser.add_argument(
        "--operations-path",
        type=Path,
        action="append",
        metavar="DIR",
        help=f"a folder of your own operation modules (repeatable; default: ${OPERATIONS_PATH_ENV}, ':'-separated)",
    )
    args = parser.parse_args(argv)
    folders = args.operations_path
    if folders is None:
        folders = [Path(p) for p in os.environ.get(OPERATIONS_PATH_ENV, "").split(os.pathsep) if p]
    try:
        out = build(args.output, args.source)
        layer = build_layer(folders, args.output.with_name(LAYER))
        manifest = write_manifest(args.output.with_name("operations.json"), args.source, folders)
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    for path in (out, layer):
        if path is not None:
            print(f"{_shown(path)}  {path.stat().st_size} bytes  source_code_hash={source_code_hash(path)}")
    print(_shown(manifest))
    return 0


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


if __name__ == "__main__":
    sys.exit(main())
