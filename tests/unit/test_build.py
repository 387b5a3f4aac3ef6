"""build.py: a reproducible zip of our code only, and a clear failure on a broken source."""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import build


def make_source(root: Path) -> Path:
    """A small package tree under ``root/lambda_src`` with the clutter a checkout accumulates."""
    source = root / "lambda_src"
    files = {
        "orgops/__init__.py": "",
        "orgops/handlers/__init__.py": "",
        "orgops/handlers/worker.py": "def handler(event, context):\n    return event\n",
        "orgops/store.py": "X = 1\n",
        "orgops/operations/__init__.py": "def manifest():\n    return {'version': 1, 'operations': {}}\n",
        "orgops/templates/report.txt": "data file\n",
        "orgops/__pycache__/store.cpython-311.pyc": "junk",
        "orgops/handlers/__pycache__/worker.cpython-311.pyc": "junk",
        "orgops/stale.pyc": "junk",
        "orgops/tests/test_store.py": "assert True\n",
        "orgops/.store.py.swp": "junk",
        "orgops/cli/__init__.py": "",
        "orgops/emulator/__init__.py": "import moto\n",
        "orgops/testing.py": "",
    }
    for name, text in files.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return source


SHIPPED = [
    "orgops/__init__.py",
    "orgops/handlers/__init__.py",
    "orgops/handlers/worker.py",
    "orgops/operations/__init__.py",
    "orgops/store.py",
    "orgops/templates/report.txt",
]


def test_the_same_sources_give_byte_identical_zips_whatever_their_mtimes_and_modes(tmp_path: Path) -> None:
    source = make_source(tmp_path)
    first = build.build(tmp_path / "a.zip", source).read_bytes()
    for path in source.rglob("*.py"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
        path.chmod(0o600)

    second = build.build(tmp_path / "b.zip", source).read_bytes()

    assert first == second


def test_only_the_runtime_is_shipped_sorted_without_caches_tests_cli_emulator_or_hidden_files(tmp_path: Path) -> None:
    out = build.build(tmp_path / "orgops.zip", make_source(tmp_path))

    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == SHIPPED


def test_every_entry_is_0644_unix_with_a_fixed_timestamp(tmp_path: Path) -> None:
    out = build.build(tmp_path / "orgops.zip", make_source(tmp_path))

    with zipfile.ZipFile(out) as zf:
        infos = zf.infolist()
    assert {(i.external_attr >> 16, i.create_system, i.date_time, i.compress_type) for i in infos} == {
        (0o644, 3, (1980, 1, 1, 0, 0, 0), zipfile.ZIP_DEFLATED)
    }


def test_the_real_package_builds_with_every_module_and_no_bytecode(tmp_path: Path) -> None:
    out = build.build(tmp_path / "orgops.zip")

    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
    assert names == sorted(names)
    assert {"orgops/handlers/fanout.py", "orgops/handlers/worker.py", "orgops/handlers/report.py"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo")) or "/tests/" in n]


def test_a_source_that_does_not_compile_fails_naming_the_file_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = make_source(tmp_path)
    (source / "orgops/handlers/broken.py").write_text("def handler(:\n")
    out = tmp_path / "dist" / "orgops.zip"

    code = build.main(["--output", str(out), "--source", str(source)])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("build failed: orgops/handlers/broken.py does not compile:\n")
    assert "invalid syntax" in err
    assert not out.exists()
    assert not out.with_suffix(".zip.tmp").exists()


def test_an_empty_source_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "orgops").mkdir()

    with pytest.raises(build.BuildError, match=r"^no sources under .*orgops$"):
        build.build(tmp_path / "orgops.zip", tmp_path)


def test_the_printed_hash_is_terraforms_filebase64sha256(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "orgops.zip"

    code = build.main(["--output", str(out), "--source", str(make_source(tmp_path))])

    zip_line, manifest_line = capsys.readouterr().out.strip().splitlines()
    match = re.fullmatch(rf"{re.escape(str(out))}  (\d+) bytes  source_code_hash=(\S+)", zip_line)
    assert manifest_line == str(tmp_path / "operations.json")
    assert code == 0
    assert match is not None, zip_line
    data = out.read_bytes()
    # filebase64sha256(path) = base64encode(sha256 digest of the file's raw bytes): 44 characters.
    expected = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert (int(match.group(1)), match.group(2)) == (len(data), expected)
    assert len(expected) == 44


def test_the_manifest_is_the_registry_of_the_package_built(tmp_path: Path) -> None:
    from orgops import operations

    path = build.write_manifest(tmp_path / "operations.json")

    written = json.loads(path.read_text())
    assert written == json.loads(json.dumps(operations.manifest()))
    assert written["operations"]["unused-ebs-volumes"] == {
        "module": "orgops.operations.unused_ebs_volumes",
        "builtin": True,
        "role": "readonly",
        "mutating": False,
        "key": ["volume_id"],
        "before": [],
        "actions": ["ec2:DescribeVolumes"],
        "resources": {},  # DescribeVolumes supports no resource-level permission: "*"
        "conditions": {},
        "columns": [
            "account_id",
            "account_name",
            "region",
            "volume_id",
            "size_gib",
            "volume_type",
            "create_time",
            "availability_zone",
            "tags",
        ],
        # the data set's types (orgops.dataset): the declared ones, string for the others
        "column_types": {
            "account_id": "string",
            "account_name": "string",
            "region": "string",
            "volume_id": "string",
            "size_gib": "bigint",
            "volume_type": "string",
            "create_time": "timestamp",
            "availability_zone": "string",
            "tags": "string",
        },
    }


def test_a_registry_that_does_not_load_fails_the_build_naming_it(tmp_path: Path) -> None:
    source = make_source(tmp_path)
    (source / "orgops" / "operations" / "__init__.py").write_text("raise RuntimeError('two operations are named x')\n")

    with pytest.raises(
        build.BuildError, match=r"^the operation registry does not load: RuntimeError: two operations are named x$"
    ):
        build.write_manifest(tmp_path / "operations.json", source)


# --- the user's own operations: a layer and the manifest ---------------------------------------------

USER_OPERATION = """
from orgops.operations.base import Operation

OPERATION = Operation(
    name="{name}",
    description="a user operation for the build tests",
    role="{role}",
    columns=("thing_id",),
    actions=("ec2:DescribeInstances",),
    run=lambda session, target, params, dry_run: [],
)
"""


def user_folder(tmp_path: Path, name: str = "stopped-things", role: str = "readonly") -> Path:
    folder = tmp_path / "ops"
    (folder / "acme_ops" / "tests").mkdir(parents=True)
    (folder / "acme_ops" / "__init__.py").write_text("")
    (folder / "acme_ops" / "_helpers.py").write_text("HELP = 1\n")
    (folder / "acme_ops" / "things.py").write_text(USER_OPERATION.format(name=name, role=role))
    (folder / "acme_ops" / "tests" / "test_things.py").write_text("def test_x():\n    pass\n")
    (folder / "test_top.py").write_text("")
    (folder / "conftest.py").write_text("")
    return folder


def test_the_layer_holds_the_users_modules_under_python_and_not_their_tests(tmp_path: Path) -> None:
    layer = build.build_layer([user_folder(tmp_path)], tmp_path / "dist" / build.LAYER)

    assert layer is not None
    with zipfile.ZipFile(layer) as zf:
        assert zf.namelist() == [
            "python/acme_ops/__init__.py",
            "python/acme_ops/_helpers.py",
            "python/acme_ops/things.py",
        ]
        assert {i.date_time for i in zf.infolist()} == {build.FIXED_TIME}


def test_the_layer_is_byte_identical_across_builds_and_the_zip_does_not_change(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    plain = build.build(tmp_path / "a" / "orgops.zip")
    first = build.build_layer([folder], tmp_path / "a" / build.LAYER)
    os.utime(folder / "acme_ops" / "things.py", (1_000_000, 1_000_000))
    second = build.build_layer([folder], tmp_path / "b" / build.LAYER)
    code = build.main(["--output", str(tmp_path / "c" / "orgops.zip"), "--operations-path", str(folder)])

    assert first is not None and second is not None
    assert first.read_bytes() == second.read_bytes()
    assert code == 0
    assert (tmp_path / "c" / "orgops.zip").read_bytes() == plain.read_bytes()
    assert (tmp_path / "c" / build.LAYER).read_bytes() == first.read_bytes()


def test_the_manifest_declares_the_users_operation_with_its_module(tmp_path: Path) -> None:
    folder = user_folder(tmp_path, role="admin")

    path = build.write_manifest(tmp_path / "operations.json", folders=[folder])

    entry = json.loads(path.read_text())["operations"]["stopped-things"]
    assert entry == {
        "module": "acme_ops.things",
        "builtin": False,
        "role": "admin",
        "mutating": False,
        "key": [],
        "before": [],
        "actions": ["ec2:DescribeInstances"],
        "resources": {},
        "conditions": {},
        "columns": ["account_id", "account_name", "region", "thing_id"],
        "column_types": {"account_id": "string", "account_name": "string", "region": "string", "thing_id": "string"},
    }


def test_a_user_operation_named_like_a_built_in_fails_the_build_naming_both(tmp_path: Path) -> None:
    folder = user_folder(tmp_path, name="vpcs")

    with pytest.raises(build.BuildError) as refused:
        build.write_manifest(tmp_path / "operations.json", folders=[folder])

    assert str(refused.value) == (
        "the operation registry does not load: orgops.errors.ConfigurationError: --operations-path "
        f"{folder}: 'acme_ops.things' declares operation 'vpcs', already declared by 'orgops.operations.vpcs'; "
        "rename one"
    )


def test_without_a_folder_no_layer_is_left_behind(tmp_path: Path) -> None:
    stale = tmp_path / build.LAYER
    stale.write_bytes(b"old")

    assert build.build_layer([], stale) is None
    assert not stale.exists()


def test_a_users_package_named_orgops_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ops"
    (folder / "orgops").mkdir(parents=True)
    (folder / "orgops" / "x.py").write_text("")

    with pytest.raises(build.BuildError, match="a folder holds a package named 'orgops', which is orgops's own"):
        build.build_layer([folder], tmp_path / build.LAYER)


# --- the runtime, the CLI and the emulator stand apart -------------------------------------------------

PACKAGE = Path(build.SOURCE) / "orgops"


def package_files() -> list[str]:
    return sorted(
        p.relative_to(build.SOURCE).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in build.SKIP_SUFFIXES
    )


def test_every_module_of_the_package_is_runtime_or_named_as_not_runtime() -> None:
    unplaced = [
        f for f in package_files() if not build.in_runtime(f) and not any(f.startswith(e) for e in build.NOT_RUNTIME)
    ]

    assert unplaced == [], "add each to build.RUNTIME (the Lambda zip) or build.NOT_RUNTIME"


def test_the_zip_holds_exactly_the_runtime_and_the_template(tmp_path: Path) -> None:
    out = build.build(tmp_path / "orgops.zip")

    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
    assert names == [f for f in package_files() if build.in_runtime(f)]
    assert "orgops/templates/operation.asl.json.tftpl" in names
    assert not [n for n in names if n.startswith(("orgops/cli/", "orgops/emulator/")) or n == "orgops/testing.py"]


def imported_orgops_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("orgops")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("orgops"):
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


def test_the_runtime_imports_neither_the_cli_nor_the_emulator_nor_testing() -> None:
    leaks = {
        f: sorted(
            m
            for m in imported_orgops_modules(build.SOURCE / f)
            if m.startswith(("orgops.cli", "orgops.emulator", "orgops.testing"))
        )
        for f in package_files()
        if build.in_runtime(f) and f.endswith(".py")
    }

    assert {f: m for f, m in leaks.items() if m} == {}


def test_the_zip_runs_the_handlers_and_finds_the_template_without_the_checkout(tmp_path: Path) -> None:
    out = build.build(tmp_path / "orgops.zip")
    task = tmp_path / "task"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(task)
    code = (
        "import orgops.handlers.fanout, orgops.handlers.worker, orgops.handlers.report, orgops.asl as a; "
        "print(len(a.placeholders(a.TEMPLATE.read_text(encoding='utf-8'))))"
    )
    for where in (task, out):  # extracted as in /var/task, and imported from the zip itself
        done = subprocess.run(
            [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(where)!r}); {code}"],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        assert int(done.stdout) > 10
