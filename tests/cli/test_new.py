"""``orgops new``: a module and its test that pass as generated; nothing overwritten; bad names refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orgops.cli import app as cli

ROOT = Path(__file__).resolve().parents[2]


def test_the_generated_read_and_mutating_operations_pass_their_generated_tests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    assert cli.main(["new", "key-pairs", "--package", "acme_ops"]) == 0
    assert cli.main(["new", "tag-key-pairs", "--package", "acme_ops", "--mutating"]) == 0

    printed = capsys.readouterr().out.splitlines()
    assert [line for line in printed if not line.startswith("next:")] == [
        "src/acme_ops/__init__.py",
        "src/acme_ops/key_pairs.py",
        "tests/test_key_pairs.py",
        "src/acme_ops/tag_key_pairs.py",
        "tests/test_tag_key_pairs.py",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "pythonpath=src", "tests"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "lambda_src")},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout  # one read test; a dry-run, an apply and a plan test


def test_the_cli_lists_the_generated_operation_with_its_declared_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    cli.main(["new", "tag-key-pairs-b", "--package", "acme_ops_b", "--mutating"])
    capsys.readouterr()
    try:
        assert cli.main(["describe", "tag-key-pairs-b", "--operations-path", "src"]) == 0
        out = capsys.readouterr().out
    finally:
        from orgops import operations

        operations.unregister(["tag-key-pairs-b"])
    assert "  role: admin   scope: regional   changes resources: yes" in out
    assert "  IAM actions: ec2:CreateTags, ec2:DescribeKeyPairs" in out


def test_an_existing_module_is_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src" / "ops").mkdir(parents=True)
    (tmp_path / "src" / "ops" / "key_pairs.py").write_text("# mine\n")

    assert cli.main(["new", "key-pairs"]) == 2

    assert capsys.readouterr().err == (
        "orgops: NAME: src/ops/key_pairs.py already exists: orgops new never overwrites\n"
    )
    assert (tmp_path / "src" / "ops" / "key_pairs.py").read_text() == "# mine\n"
    assert not (tmp_path / "tests").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["new", "Key_Pairs"],
            "NAME: 'Key_Pairs' is not an operation name: lowercase letters, digits, hyphens, e.g. stopped-instances",
        ),
        (
            ["new", "key-pairs", "--package", "acme-ops"],
            "--package: 'acme-ops' is not a Python package name such as acme_ops",
        ),
        (
            ["new", "key-pairs", "--package", "orgops.mine"],
            "--package: orgops is this project's own package: name yours, e.g. acme_ops",
        ),
    ],
)
def test_a_bad_name_or_package_is_refused_naming_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)

    assert cli.main(argv) == 2
    assert capsys.readouterr().err == f"orgops: {message}\n"
    assert list(tmp_path.iterdir()) == []
