#!/usr/bin/env python3
"""Build dist/orgops.zip from lambda_src/orgops, byte for byte reproducibly.

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
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SKIP_DIRS = {"__pycache__", "tests", ".pytest_cache", ".mypy_cache", "emulator"}  # emulator: dev-only, imports moto
SKIP_SUFFIXES = {".pyc", ".pyo"}


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


def build(output: Path = OUTPUT, source: Path = SOURCE) -> Path:
    files = list(sources(source))
    if not files:
        raise BuildError(f"no sources under {source / PACKAGE}")
    check_compiles(files)
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


def write_manifest(output: Path = MANIFEST, source: Path = SOURCE) -> Path:
    """``dist/operations.json``: each operation's role and IAM actions, from the registry of the
    package being built (Terraform derives the member roles' policies from it)."""
    code = "import json, orgops.operations as o; print(json.dumps(o.manifest(), indent=2, sort_keys=True))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(source)},
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
    args = parser.parse_args(argv)
    try:
        out = build(args.output, args.source)
        manifest = write_manifest(args.output.with_name("operations.json"), args.source)
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    print(
        f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}  {out.stat().st_size} bytes  "
        f"source_code_hash={source_code_hash(out)}"
    )
    print(manifest.relative_to(ROOT) if manifest.is_relative_to(ROOT) else manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
