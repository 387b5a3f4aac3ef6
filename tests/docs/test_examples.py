"""Examples that run: every command block and Python snippet of docs/*.md and README.md is
either executed here against the emulator (``tests/docs/examples.py`` says how) or marked
``<!-- needs-aws -->`` / ``<!-- not-run: REASON -->`` on the line before it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs import examples
from tests.docs.examples import Block


def unaccounted(blocks: list[Block]) -> list[str]:
    """Command blocks and snippets that are neither executable by the runner nor marked."""
    problems = []
    for block in blocks:
        if block.kind is None:
            continue
        if block.marker is not None:
            if problem := examples.marker_problem(block.marker):
                problems.append(f"{block.where}: {problem}")
            continue
        if reason := examples.unsupported(block):
            problems.append(
                f"{block.where}: {reason}; run it here (tests/docs/examples.py) or mark it <!-- needs-aws --> "
                "or <!-- not-run: REASON --> on the line before the block"
            )
    return problems


def all_blocks() -> list[Block]:
    return [b for path in examples.doc_files() for b in examples.blocks(path)]


def executed() -> list[Block]:
    return [b for b in all_blocks() if b.kind is not None and b.marker is None and examples.unsupported(b) is None]


def test_every_command_block_and_snippet_is_executed_or_marked() -> None:
    assert unaccounted(all_blocks()) == []


def test_every_code_block_of_the_docs_says_its_language() -> None:
    untagged = [b.where for path in sorted(examples.DOCS.glob("**/*.md")) for b in examples.blocks(path) if not b.lang]

    assert untagged == [], "give each block a language: sh, console, python, json, text, mermaid ..."


def test_the_emulator_pages_and_the_readmes_emulator_examples_are_executed() -> None:
    page = [b for b in examples.blocks(examples.DOCS / "emulator.md") if b.kind]
    readme = [b for b in examples.blocks(examples.README) if b.kind and "emulator" in b.body and b.marker is None]

    assert page, "docs/emulator.md has no command block or snippet"
    assert readme, "the README shows no emulator command"
    assert [b.where for b in [*page, *readme] if b.marker is None and b not in executed()] == []


@pytest.mark.e2e
@pytest.mark.parametrize("block", executed(), ids=lambda b: b.where)
def test_the_example_runs(block: Block) -> None:
    result = examples.run_block(block)

    assert result.problems == [], str(result)


# -- the runner's own rules ---------------------------------------------------------------------------
def _doc(tmp_path: Path, text: str) -> list[Block]:
    path = examples.DOCS / "synthetic.md"  # under docs/, so it reports as docs/synthetic.md
    return examples.blocks(path, text)


@pytest.mark.parametrize(
    ("text", "listed"),
    [
        ("```sh\nterraform apply\n```\n", "'terraform' is not a command the runner executes"),
        ("```sh\nmake apply\n```\n", "make apply is not a make target the runner executes"),
        ('```\naws s3 ls "$(terraform output -raw data_bucket)"\n```\n', "'terraform' is not a command"),
        ("<!-- needs aws -->\n```sh\nterraform apply\n```\n", "unknown marker 'needs aws'"),
        ("<!-- not-run: -->\n```sh\nterraform apply\n```\n", "needs its reason"),
    ],
)
def test_an_unmarked_block_the_runner_cannot_execute_is_listed(tmp_path: Path, text: str, listed: str) -> None:
    (problem,) = unaccounted(_doc(tmp_path, text))

    assert problem.startswith("docs/synthetic.md:") and listed in problem


@pytest.mark.parametrize(
    "text",
    [
        "<!-- needs-aws -->\n```sh\nterraform apply\n```\n",
        "<!-- not-run: it is the test suite -->\n\n```sh\nmake test\n```\n",
        "```sh\norgops list   # a comment; with a semicolon\n```\n",
        '```json\n{"Regions": ["eu-west-1"]}\n```\n',
        "```\nRegions: must be a list of region names\n```\n",
    ],
)
def test_a_marked_runnable_or_non_command_block_is_accounted_for(tmp_path: Path, text: str) -> None:
    assert unaccounted(_doc(tmp_path, text)) == []


def test_console_output_is_matched_with_ellipses() -> None:
    expected = ["started ...", "...", "targets    2: 2 succeeded"]

    assert examples.output_matches(expected, ["started x (dry run)", "a", "b", "targets    2: 2 succeeded"])
    assert examples.output_matches(expected, ["started x", "targets    2: 2 succeeded"])
    assert not examples.output_matches(expected, ["started x", "targets    2: 1 succeeded"])


def test_a_console_block_checks_each_commands_output_and_exit_code(tmp_path: Path) -> None:
    (good,) = _doc(tmp_path, "```console\n$ echo hello\nhello\n$ test -e nowhere\n$ echo $?\n1\n```\n")
    (bad,) = _doc(tmp_path, "```console\n$ echo hello\nbye\n```\n")

    assert examples.run_block(good).problems == []
    (problem,) = examples.run_block(bad).problems
    assert "command 1 ('echo hello') printed:\nhello\nexpected:\nbye" in problem
