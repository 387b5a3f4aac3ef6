"""docs/troubleshooting.md has an entry for every error code, status and exit code orgops emits.

The codes are collected from the source (``tests/docs/error_codes.py``), so a new code without
an entry fails here, naming it; the negative cases show that each kind of code is collected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs import error_codes

PAGE = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"
HEADING = re.compile(r"^(?P<level>#{1,6}) (?P<title>.+?)(?:\s*\{#(?P<id>[\w-]+)\})?\s*$")
LABELS = ("**What it means.**", "**How to confirm.**", "**How to fix.**")


@dataclass(frozen=True)
class Entry:
    title: str
    anchor: str | None
    body: str

    @property
    def codes(self) -> list[str]:
        return re.findall(r"`([^`]+)`", self.title)


def entries(text: str) -> list[Entry]:
    """The page's level-3 headings, each with the text up to the next heading."""
    found: list[Entry] = []
    current: tuple[str, str | None, list[str]] | None = None
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        m = None if in_fence else HEADING.match(line)
        if m:
            if current:
                found.append(Entry(current[0], current[1], "\n".join(current[2])))
            current = (m["title"], m["id"], []) if len(m["level"]) == 3 else None
        elif current:
            current[2].append(line)
    if current:
        found.append(Entry(current[0], current[1], "\n".join(current[2])))
    return found


def slug(code: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")


def missing_codes(codes: set[str], text: str) -> list[str]:
    named = {c for e in entries(text) for c in e.codes}
    return sorted(codes - named)


def missing_exit_codes(exit_codes: list[tuple[str, int]], text: str) -> list[str]:
    titles = {e.title for e in entries(text)}
    return [f"Exit code {v}: `{n}`" for n, v in exit_codes if f"Exit code {v}: `{n}`" not in titles]


def test_every_error_code_and_status_the_code_can_emit_has_an_entry() -> None:
    missing = missing_codes(error_codes.all_codes(), PAGE.read_text(encoding="utf-8"))

    assert missing == [], (
        f"add an entry (### `CODE` {{#code}}: what it means, how to confirm, how to fix) to {PAGE.name} for: "
        + ", ".join(missing)
    )


def test_every_exit_code_has_an_entry() -> None:
    exit_codes = error_codes.all_exit_codes()

    assert [v for _, v in exit_codes] == [0, 1, 2, 3, 4, 5, 130]
    assert missing_exit_codes(exit_codes, PAGE.read_text(encoding="utf-8")) == []


def test_every_entry_says_what_it_means_how_to_confirm_it_and_how_to_fix_it() -> None:
    incomplete = {
        e.title: [label for label in LABELS if label not in e.body] for e in entries(PAGE.read_text(encoding="utf-8"))
    }

    assert {title: labels for title, labels in incomplete.items() if labels} == {}


def test_each_entry_has_a_stable_anchor_made_of_its_first_code() -> None:
    anchors = [(e.title, e.anchor) for e in entries(PAGE.read_text(encoding="utf-8"))]
    expected = [
        (
            title,
            f"exit-{title.split()[2].rstrip(':')}"
            if title.startswith("Exit code")
            else slug(re.findall(r"`([^`]+)`", title)[0]),
        )
        for title, _ in anchors
    ]

    assert anchors == expected
    assert len({a for _, a in anchors}) == len(anchors)


def test_the_invalid_input_entry_names_every_field_of_the_execution_input() -> None:
    (entry,) = [e for e in entries(PAGE.read_text(encoding="utf-8")) if e.codes == ["InvalidInput"]]
    named = set(re.findall(r"`([A-Za-z$]+)(?:[.\[][^`]*)?`", entry.body))

    assert set(error_codes.input_keys()) - named == set()


# -- each kind of code is collected: a new one without an entry fails ------------------------------
SYNTHETIC = {
    "an exception class's code": ('class Boom(Exception):\n    code = "BrandNewCode"\n', {"BrandNewCode", "Boom"}),
    "a status built with a literal code": ('status(target, FAILED, code="BrandNewCode")\n', {"BrandNewCode"}),
    "a skipped reason": ('skipped_items(arn, targets, "BrandNewReason", expires)\n', {"BrandNewReason"}),
    "a *_CODE constant": ('NEW_THING_CODE = "BrandNewCode"\n', {"BrandNewCode"}),
    "a reconciliation message key": (
        'NEW = "BrandNewCode"\nRECONCILE_MESSAGES = {NEW: "why"}\n',
        {"BrandNewCode"},
    ),
    "a default code": ('code = str(s.get("error_code") or "BrandNewDefault")\n', {"BrandNewDefault"}),
}


@pytest.mark.parametrize("kind", sorted(SYNTHETIC))
def test_a_new_code_in_the_source_without_an_entry_is_reported(kind: str) -> None:
    source, expected = SYNTHETIC[kind]

    codes = error_codes.codes_in_source(source)

    assert expected <= codes
    assert set(missing_codes(codes, PAGE.read_text(encoding="utf-8"))) >= expected


def test_a_new_store_status_without_an_entry_is_reported() -> None:
    codes = error_codes.codes_in_source('SUCCEEDED = "SUCCEEDED"\nPARKED = "PARKED"\n', statuses=True)

    assert codes == {"SUCCEEDED", "PARKED"}
    assert missing_codes(codes, PAGE.read_text(encoding="utf-8")) == ["PARKED"]


def test_a_new_exit_code_without_an_entry_is_reported() -> None:
    source = "class ExitCode(IntEnum):\n    OK = 0\n    PARTIAL = 6\n"

    exit_codes = error_codes.exit_codes(source)

    assert exit_codes == [("OK", 0), ("PARTIAL", 6)]
    assert missing_exit_codes(exit_codes, PAGE.read_text(encoding="utf-8")) == ["Exit code 6: `PARTIAL`"]


def test_a_new_retried_error_in_the_template_without_an_entry_is_reported() -> None:
    template = '{"States": {"W": {"Type": "Task", "TimeoutSeconds": ${t}, "Retry": [{"ErrorEquals": ["Lambda.New"]}]}}}'

    codes = error_codes.template_codes(template)

    assert codes == {"Lambda.New"}
    assert missing_codes(codes, PAGE.read_text(encoding="utf-8")) == ["Lambda.New"]
