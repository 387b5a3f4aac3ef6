"""checkov passes with zero failed checks (skips only inline, with a reason); terraform fmt is clean."""

from __future__ import annotations

import json
import re

import pytest

from tests.terraform import hcl
from tests.terraform.tools import run, terraform_binary, tool

SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def _reports(stdout: str) -> list[dict]:
    """checkov prints one JSON document (a list or an object) per run."""
    decoder, reports, i = json.JSONDecoder(), [], 0
    while i < len(stdout):
        if stdout[i].isspace():
            i += 1
            continue
        doc, i = decoder.raw_decode(stdout, i)
        reports.extend(doc if isinstance(doc, list) else [doc])
    return reports


@pytest.mark.parametrize("directory", ["modules", "terraform"])
def test_checkov_finds_no_failed_check(directory) -> None:
    result = run(
        [
            tool("checkov"),
            "--directory",
            hcl.ROOT / directory,
            "--framework",
            "terraform",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
        ],
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": ""},
    )
    reports = _reports(result.stdout)
    assert {r["check_type"] for r in reports} >= {"terraform"}, result.stderr[-2000:]
    failed = [
        f"{f['check_id']} {f['resource']} ({f['file_path']})"
        for r in reports
        for f in r["results"].get("failed_checks", [])
    ]
    assert failed == []
    assert all(r["summary"]["parsing_errors"] == 0 for r in reports)


def test_every_checkov_skip_is_inline_with_a_reason() -> None:
    skips = [
        (path.name, m.group(1), (m.group(2) or "").strip())
        for path in hcl.tf_files()
        for m in SKIP.finditer(path.read_text(encoding="utf-8"))
    ]
    assert skips, "expected the documented skips (e.g. CKV_AWS_117 on the Lambdas)"
    assert [s for s in skips if len(s[2]) < 20] == []


def test_no_checkov_configuration_file_skips_checks_globally() -> None:
    configs = [p for p in hcl.ROOT.glob(".checkov*")] + [p for d in hcl.CONFIG_DIRS for p in d.glob(".checkov*")]
    assert configs == []


@pytest.mark.parametrize("directory", ["modules", "terraform", "examples"])
def test_terraform_fmt_check_is_clean(directory) -> None:
    result = run([terraform_binary(), "fmt", "-check", "-recursive", "-diff", hcl.ROOT / directory])
    assert (result.returncode, result.stdout) == (0, "")


def test_tfvars_example_is_formatted() -> None:
    example = (hcl.ROOT_CONFIG / "terraform.tfvars.example").read_text(encoding="utf-8")
    result = run([terraform_binary(), "fmt", "-"], input=example)
    assert (result.returncode, result.stdout) == (0, example)
