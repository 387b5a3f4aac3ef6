"""``orgops report ... --html``: the page ``orgops.cli.html.render`` draws from a report's files, and
``orgops report DIR`` reading a saved report directory (no AWS). The page in a real browser:
``test_report_html_browser.py``."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from orgops.cli import app as cli
from orgops.cli import html
from orgops.cli.common import EXIT_OK, EXIT_TARGETS_FAILED, EXIT_USAGE

COLUMNS = ("account_id", "account_name", "region", "volume_id", "tags")
ERROR_COLUMNS = ("account_id", "account_name", "region", "error_code", "error_message")
HOSTILE = '<script>document.title="pwned"</script>"><img src=x onerror=alert(1)>'
FORMULA = '\'=HYPERLINK("http://evil.example","click")'
SUMMARY = {
    "Operation": "unused-ebs-volumes",
    "Targets": 8,
    "Succeeded": 5,
    "Failed": 2,
    "Skipped": 1,
    "Rows": 3,
    "ReportUri": "s3://bucket/reports/unused-ebs-volumes/run-1/report.csv",
    "ErrorsUri": "s3://bucket/reports/unused-ebs-volumes/run-1/errors.csv",
    "ExecutionId": "arn:aws:states:us-east-1:111111111111:execution:orgops-unused-ebs-volumes:run-1",
}
ROWS = [
    ["111111111111", "alpha", "eu-west-1", "vol-1", "owner=alice"],
    ["111111111111", "alpha", "us-east-1", "vol-2", FORMULA],
    ["444444444444", HOSTILE, "eu-west-1", "vol-3", f"Name={HOSTILE}"],
]
ERRORS = [["222222222222", "beta", r, "AccessDenied", f"cannot assume {HOSTILE}"] for r in ("eu-west-1", "us-east-1")]
# Every element the page may hold: no script, no img, no link, no iframe, no form.
ELEMENTS = {
    *("html", "head", "meta", "title", "style", "body", "main", "section", "h1", "h2", "h3", "p", "div", "b"),
    *("span", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td", "svg", "g", "text", "rect"),
}


class Elements(HTMLParser):
    """The start tags of a page and every attribute name, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes |= {name for name, _ in attrs}

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    parser.close()
    return parser


def page(summary: dict | None = None, rows: list[list[str]] = ROWS, changes: html.Table | None = None) -> str:
    return html.render(summary or SUMMARY, COLUMNS, rows, html.Table(ERROR_COLUMNS, ERRORS), changes)


def section(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin)]


# ---- the renderer ----------------------------------------------------------------------------------


def test_hostile_cells_are_text_never_elements_or_attributes() -> None:
    result = page()

    doc = parsed(result)
    assert set(doc.tags) <= ELEMENTS
    assert doc.tags.count("script") == doc.tags.count("img") == 0
    assert "onerror" not in doc.attributes
    assert "<script" not in result and "<img" not in result
    text = "".join(doc.text)
    assert HOSTILE in text  # shown as the text it is, in the rows, the chart and the errors
    assert text.count(HOSTILE) >= 4
    assert FORMULA in text  # a formula-prefixed cell is shown as written in the CSV, inert
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in result


def test_the_page_loads_nothing_from_anywhere() -> None:
    result = page()

    csp = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', result)
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]
    assert not {"src", "href", "srcset", "action", "style"} & parsed(result).attributes
    assert "url(" not in result and "@import" not in result and "<script" not in result


def test_the_summary_numbers_are_on_the_page() -> None:
    doc = parsed(page())

    text = " ".join(t.strip() for t in doc.text if t.strip())
    for number, label in ((8, "targets"), (5, "succeeded"), (2, "failed"), (1, "skipped"), (3, "rows")):
        assert f"{number} {label}" in text
    assert "not run" not in text  # only when the run had NOT_RUN targets
    assert "orgops unused-ebs-volumes: run-1" in text
    assert SUMMARY["ErrorsUri"] in text


def test_stopped_map_error_partial_not_run_and_changes_counts_are_shown() -> None:
    summary = {
        **SUMMARY,
        "NotRun": 3,
        "Stopped": "MaxErrors 1 exceeded: 2 targets failed",
        "MapError": {"Error": "States.ExceedToleratedFailureThreshold", "Cause": f"batch {HOSTILE}"},
        "Partial": True,
        "Status": "ABORTED",
        "New": 4,
        "Resolved": 1,
        "Changed": 2,
    }

    result = page(summary)

    text = " ".join(t.strip() for t in parsed(result).text if t.strip())
    assert "3 not run" in text and "4 new" in text and "1 resolved" in text and "2 changed" in text
    assert "Stopped: MaxErrors 1 exceeded: 2 targets failed" in text
    assert "The Map state failed (States.ExceedToleratedFailureThreshold)" in text
    assert "ended ABORTED" in text
    assert "<img" not in result


def test_the_charts_count_every_row_and_show_the_top_20() -> None:
    rows = [[f"{i:012d}", f"acct-{i}", f"region-{i % 3}", f"vol-{i}-{j}", ""] for i in range(25) for j in range(i + 1)]

    result = page(rows=rows)

    per_account = section(result, "<h3>per account</h3>", "<h3>per region</h3>")
    assert per_account.count("<rect") == 20
    assert "000000000024 acct-24" in per_account  # the largest first
    assert "000000000004 acct-4" not in per_account
    assert "and 5 more (15 findings)" in per_account  # accounts 0-4: 1+2+3+4+5 rows
    per_region = section(result, "<h3>per region</h3>", 'id="changes-heading"')
    assert per_region.count("<rect") == 3
    assert f">{sum(i + 1 for i in range(25) if i % 3 == 0)}</text>" in per_region


def test_the_rows_table_is_capped_and_says_where_the_rest_is() -> None:
    rows = [["111111111111", "alpha", "eu-west-1", f"vol-{i}", ""] for i in range(1200)]

    result = page(rows=rows)

    table = section(result, '<table id="rows">', "</table>")
    assert table.count("<tr>") == 1 + 500
    assert "first 500 of 1200 rows; the full report is report.csv" in result
    assert ">1200</text>" in result  # the chart counts them all


def test_no_changes_file_says_there_was_no_earlier_run() -> None:
    assert "no earlier run to compare with" in page()
    named = page({**SUMMARY, "ChangesUri": "s3://bucket/reports/op/run-1/changes.csv"})
    assert "changes.csv is not here: it is at s3://bucket/reports/op/run-1/changes.csv" in named


def test_changes_are_rendered_from_their_own_header() -> None:
    columns = ("change", "changed_columns", *COLUMNS)
    changes = html.Table(
        columns,
        [
            ["added", "", "111111111111", "alpha", "eu-west-1", "vol-9", ""],
            ["removed", "", "111111111111", "alpha", "eu-west-1", "vol-1", ""],
            ["changed", "tags", "444444444444", HOSTILE, "eu-west-1", "vol-3", "Name=x"],
        ],
    )

    result = page(changes=changes)

    table = section(result, '<table id="changes">', "</table>")
    assert "<th>changed_columns</th>" in table and table.count("<tr>") == 4
    assert "1 added, 1 changed, 1 removed" in result
    assert "no earlier run" not in result
    assert "<img" not in table


def test_no_rows_and_no_failures_say_so() -> None:
    result = html.render({**SUMMARY, "Rows": 0, "Failed": 0, "ErrorsUri": None}, COLUMNS, [], None)

    assert "no rows" in result and "no failed targets" in result and "no findings" in result


# ---- orgops report DIR -----------------------------------------------------------------------------


def write_csv(path: Path, columns: tuple[str, ...], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([list(columns), *rows])


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A report directory as orgops run / report / local save it."""
    folder = tmp_path / "reports" / "unused-ebs-volumes" / "run-1"
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(SUMMARY), encoding="utf-8")
    write_csv(folder / "report.csv", COLUMNS, ROWS)
    write_csv(folder / "errors.csv", ERROR_COLUMNS, ERRORS)
    return folder


def test_report_dir_html_writes_report_html_beside_the_files(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", str(saved), "--html"]) == EXIT_TARGETS_FAILED  # the run's own exit code

    out = capsys.readouterr().out
    assert f"saved      {saved / 'report.html'}\n" in out
    assert "targets    8: 5 succeeded, 2 failed, 1 skipped\n" in out
    written = (saved / "report.html").read_text(encoding="utf-8")
    assert written == page()


def test_report_dir_without_html_only_prints_the_summary(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", str(saved), "--output", "json"]) == EXIT_TARGETS_FAILED

    doc = json.loads(capsys.readouterr().out)
    assert (doc["ExecutionArn"], doc["Status"], doc["Files"]) == (SUMMARY["ExecutionId"], "SUCCEEDED", [])
    assert "ExecutionId" not in doc["Summary"]
    assert not (saved / "report.html").exists()


def test_report_dir_html_out_writes_elsewhere(saved: Path, tmp_path: Path) -> None:
    assert cli.main(["report", str(saved), "--html", "--out", str(tmp_path / "pages")]) == EXIT_TARGETS_FAILED

    assert (tmp_path / "pages" / "report.html").is_file()
    assert not (saved / "report.html").exists()


def test_a_file_the_summary_does_not_name_is_not_read(saved: Path) -> None:
    # errors.csv left over from an earlier run saved into the same folder; this run had no failures
    summary = {**SUMMARY, "Failed": 0, "ErrorsUri": None}
    (saved / "summary.json").write_text(json.dumps(summary), encoding="utf-8")

    assert cli.main(["report", str(saved), "--html"]) == EXIT_OK

    result = (saved / "report.html").read_text(encoding="utf-8")
    assert "no failed targets" in result and "AccessDenied" not in result


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing", "--html"], "EXECUTION_ARN|DIR: missing is not a directory; give an execution ARN"),
        ([".", "--html"], "EXECUTION_ARN|DIR: . has no summary.json, so it is not a report directory"),
        (["{saved}", "--wait"], "--wait: {saved} is a saved report, there is nothing to follow"),
        (["{saved}", "--out", "x"], "--out: {saved} is already saved; with a directory --out says where --html"),
    ],
    ids=["no-such-dir", "not-a-report", "wait", "out-without-html"],
)
def test_report_dir_bad_input_exits_2_naming_the_argument(
    saved: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.replace("{saved}", str(saved)) for a in args]

    assert cli.main(["report", *argv]) == EXIT_USAGE

    assert capsys.readouterr().err.startswith(f"orgops: {message.replace('{saved}', str(saved))}")


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("summary.json", "is not JSON; download the report again"),
        ("report.csv", "has no report.csv; download the report again"),
        ("errors.csv", "has no errors.csv; download the report again"),
    ],
)
def test_a_broken_report_dir_exits_2_saying_to_download_it_again(
    saved: Path, broken: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if broken == "summary.json":
        (saved / broken).write_text("{not json", encoding="utf-8")
    else:
        (saved / broken).unlink()

    assert cli.main(["report", str(saved), "--html"]) == EXIT_USAGE

    assert message in capsys.readouterr().err
    assert not (saved / "report.html").exists()
