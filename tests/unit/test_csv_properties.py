"""report.csv and errors.csv parse back, with Python's csv module, to exactly the cells written,
row for row, for any text (control characters included), and no cell is one a spreadsheet would
evaluate. Hypothesis, fixed seed (tests/conftest.py)."""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orgops import report, store

# Any Unicode text, surrogates excluded (they cannot be encoded as UTF-8), line breaks favoured.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40) | st.sampled_from(
    ["backup\r=cmd|' /C calc'!A0", "\r", "\n", "\r\n", "=1+2", "a\r\n@SUM(A1)", '"', "\t-x", "\x00", "\u2028+"]
)
VALUES = TEXT | st.integers() | st.booleans() | st.lists(TEXT, max_size=3) | st.dictionaries(TEXT, TEXT, max_size=3)


class UploadS3:
    """A small report is one PUT: keep its body."""

    body = b""

    def put_object(self, Body: bytes, **_: Any) -> dict[str, Any]:
        self.body = Body
        return {}


def parse(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def evaluates(cell: str) -> bool:
    return cell.startswith(store.FORMULA_PREFIXES)


def written(header: list[str], rows: list[list[str]]) -> bytes:
    s3 = UploadS3()
    count = report.write_csv(s3, "bucket", "report.csv", header, rows)
    assert count == len(rows)
    return s3.body


def test_a_carriage_return_in_a_tag_no_longer_splits_the_row() -> None:
    # The finding: Name="backup\r=cmd|' /C calc'!A0" gave two rows, the second starting with the formula.
    cells = ["111111111111", "prod", "eu-west-1", store.format_cell({"Name": "backup\r=cmd|' /C calc'!A0"}), "false"]

    body = written(["account_id", "account_name", "region", "tags", "applied"], [cells])

    assert parse(body) == [["account_id", "account_name", "region", "tags", "applied"], cells]
    assert cells[3] == "Name=backup\r'=cmd|' /C calc'!A0"
    assert body.endswith(b",\"Name=backup\r'=cmd|' /C calc'!A0\",false\n")


@given(st.lists(st.lists(VALUES, min_size=1, max_size=5), max_size=5))
def test_report_cells_parse_back_exactly_and_none_evaluates(values: list[list[Any]]) -> None:
    rows = [[store.format_cell(v) for v in row] for row in values]

    parsed = parse(written(["h"], rows))

    assert parsed == [["h"], *rows]
    assert [c for row in parsed for c in row if evaluates(c) and not c.lstrip("-").isdigit()] == []


@given(st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT), max_size=5))
def test_errors_csv_cells_parse_back_exactly_and_none_evaluates(failures: list[tuple[str, ...]]) -> None:
    statuses = [
        {"account_id": a, "account_name": n, "region": r, "status": store.FAILED, "error_code": c, "error_message": m}
        for a, n, r, c, m in failures
    ]
    rows = report.tally(statuses).failures

    parsed = parse(written(list(report.ERROR_COLUMNS), rows))

    assert parsed == [list(report.ERROR_COLUMNS), *rows]
    assert len(parsed) == len(failures) + 1
    assert [c for row in parsed[1:] for c in row if evaluates(c)] == []


@given(TEXT)
def test_no_line_inside_a_text_cell_starts_a_formula(value: str) -> None:
    cell = store.format_cell(value)
    assert [line for line in cell.replace("\r", "\n").split("\n") if evaluates(line)] == []
