"""The documentation site: ``mkdocs build --strict`` passes, every page is in the nav, and the strict
build does fail on what it is there to catch (a broken link or anchor, a page left out of the nav).
The architecture page's state machine diagram has every state of the template."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.terraform.tools import tool

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CONFIG = ROOT / "mkdocs.yml"
TEMPLATE = ROOT / "lambda_src" / "orgops" / "templates" / "operation.asl.json.tftpl"


class _Loader(yaml.SafeLoader):
    """mkdocs.yml names Python objects (``!!python/name:``): read them as plain strings."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: suffix)


def config() -> dict[str, Any]:
    return yaml.load(CONFIG.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - SafeLoader subclass


def nav_pages(nav: object) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [p for item in nav for p in nav_pages(item)]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in nav_pages(value)]
    return []


def mkdocs() -> Path:
    try:
        return tool("mkdocs")
    except FileNotFoundError as exc:
        pytest.fail(f"{exc} (mkdocs and mkdocs-material are pinned there)")


def build(config_file: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(mkdocs()), "build", "--strict", "--config-file", str(config_file), "--site-dir", str(site)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )


def test_the_site_builds_with_strict(tmp_path: Path) -> None:
    done = build(CONFIG, tmp_path / "site")

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "troubleshooting" / "index.html").is_file()
    architecture = (tmp_path / "site" / "architecture" / "index.html").read_text(encoding="utf-8")
    assert architecture.count('<pre class="mermaid">') == 3  # rendered in the browser by Material


def test_every_page_under_docs_is_in_the_nav() -> None:
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))

    assert sorted(nav_pages(config()["nav"])) == pages


def test_the_theme_fetches_nothing_and_mermaid_fences_are_diagrams() -> None:
    cfg = config()

    assert cfg["theme"] == {**cfg["theme"], "name": "material", "font": False}
    assert cfg["plugins"] == ["search"]  # no social cards, no privacy plugin downloading assets
    (fences,) = [e for e in cfg["markdown_extensions"] if isinstance(e, dict) and "pymdownx.superfences" in e]
    assert fences["pymdownx.superfences"]["custom_fences"] == [
        {"name": "mermaid", "class": "mermaid", "format": "name:pymdownx.superfences.fence_code_format"}
    ]


def _copy_site(tmp_path: Path) -> Path:
    shutil.copytree(DOCS, tmp_path / "docs")
    shutil.copy(CONFIG, tmp_path / "mkdocs.yml")
    return tmp_path / "mkdocs.yml"


@pytest.mark.parametrize(
    ("change", "warning"),
    [
        ("[the emulator](emulator-page.md)", "emulator-page.md"),
        ("[an entry](troubleshooting.md#no-such-entry)", "no-such-entry"),
    ],
)
def test_a_broken_link_or_anchor_fails_the_strict_build(tmp_path: Path, change: str, warning: str) -> None:
    config_file = _copy_site(tmp_path)
    index = tmp_path / "docs" / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + f"\nSee {change}.\n", encoding="utf-8")

    done = build(config_file, tmp_path / "site")

    assert done.returncode != 0
    assert warning in done.stderr


def test_a_page_left_out_of_the_nav_fails_the_strict_build(tmp_path: Path) -> None:
    config_file = _copy_site(tmp_path)
    (tmp_path / "docs" / "orphan.md").write_text("# Orphan\n", encoding="utf-8")

    done = build(config_file, tmp_path / "site")

    assert done.returncode != 0
    assert "orphan.md" in done.stderr


# -- the architecture page's diagram --------------------------------------------------------------
def _state_names(node: object) -> set[str]:
    names: set[str] = set()
    if isinstance(node, dict):
        for name, state in (node.get("States") or {}).items():
            names.add(name)
            names |= _state_names(state)
        for key in ("ItemProcessor", "Iterator"):
            names |= _state_names(node.get(key))
    return names


def test_the_state_machine_diagram_has_every_state_of_the_template() -> None:
    definition = json.loads(re.sub(r"\$\{[a-z_]+\}", "0", TEMPLATE.read_text(encoding="utf-8")))
    page = (DOCS / "architecture.md").read_text(encoding="utf-8")
    diagram = page.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    nodes = set(re.findall(r"^\s*(?:subgraph\s+)?([A-Za-z]\w*)\s*[\[({]", diagram, re.M))

    assert _state_names(definition) - nodes == set()


def test_every_link_of_the_readme_resolves_to_a_file_and_its_anchor() -> None:
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", readme):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        page = root / path
        if not page.exists():
            broken.append(target)
            continue
        if anchor:
            text = page.read_text(encoding="utf-8")
            slugs = {
                re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
                for h in re.findall(r"^#+ (.+?)\s*$", text, re.M)
            }
            slugs |= set(re.findall(r"\{#([\w-]+)\}", text))
            if anchor not in slugs:
                broken.append(target)

    assert broken == []
    assert len(readme.splitlines()) <= 150
