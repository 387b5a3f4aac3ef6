"""A run's report as one self-contained HTML page: ``orgops report ... --html`` writes ``report.html``.

``render`` is pure: from what the report step wrote (summary.json, report.csv, errors.csv and,
when the run was compared with an earlier one, changes.csv) it returns the page. The page loads
nothing: the CSS is inline, the charts are SVG drawn here, there is no script, and its
Content-Security-Policy forbids anything else, so a page opened from a mail or a share cannot
call out. Every value from the files is HTML-escaped: account names, tags and error messages are
written by whoever controls a member account (``<script>``, ``"><img onerror=...>``).

``read_report_dir`` and ``write_report`` are the CLI's I/O around it: a report directory
(``reports/OPERATION/NAME/``, as ``orgops run``, ``report`` and ``local`` save it) in, ``report.html`` out.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from orgops import changes as changes_text
from orgops.cli.common import UsageError

HTML_NAME = "report.html"
SUMMARY_NAME = "summary.json"
REPORT_NAME = "report.csv"
ERRORS_NAME = "errors.csv"
CHANGES_NAME = "changes.csv"
# Rows of each table shown on the page; the CSV next to it has them all.
ROWS_SHOWN = 500
# Bars per chart; the rest are counted in one "and N more" line.
TOP_BARS = 20
# Characters of a chart label (the full text is the bar's tooltip).
LABEL_CHARS = 34
# Cells longer than this wrap; shorter ones stay on one line.
LONG_CELL = 24
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# The summary's counts, in the order shown: (key, label, CSS class).
COUNTS = (
    ("Targets", "targets", "total"),
    ("Succeeded", "succeeded", "ok"),
    ("Failed", "failed", "bad"),
    ("Skipped", "skipped", "muted"),
    ("NotRun", "not run", "warn"),
    ("Rows", "rows", "total"),
)
# What changed since the previous run, when the summary says (top level or under "Changes").
CHANGE_COUNTS = (("New", "new"), ("Resolved", "resolved"), ("Changed", "changed"))

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 "DejaVu Sans","Liberation Sans",Arial,sans-serif;color:#1d2430;background:#fff}
main{max-width:1240px;margin:0 auto;padding:20px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:2px solid #dde3ea;padding-bottom:4px}
.sub{color:#5b6675;margin:0 0 14px}
.stats{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.stat{min-width:120px;padding:10px 14px;border:1px solid #dde3ea;border-radius:6px;background:#f7f9fb}
.stat b{display:block;font-size:26px;line-height:1.1}.stat span{color:#5b6675}
.ok b{color:#1d7a3a}.bad b{color:#b3261e}.warn b{color:#a05a00}.muted b{color:#5b6675}
.note{padding:8px 12px;border-radius:6px;margin:8px 0;border:1px solid #e6c26e;background:#fff7e0}
.note,.sub{overflow-wrap:anywhere}
.note.bad{border-color:#e2a19c;background:#fdecea}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:20px}
.chart h3{font-size:15px;margin:6px 0}
svg{display:block;max-width:100%}
svg text{font:12px "DejaVu Sans","Liberation Sans",Arial,sans-serif;fill:#1d2430}
table{border-collapse:collapse;width:100%;font-size:12px;table-layout:auto}
th,td{border:1px solid #dde3ea;padding:3px 6px;text-align:left;vertical-align:top;white-space:nowrap}
td.long{white-space:normal;overflow-wrap:anywhere;min-width:12em}
th{background:#eef2f6;position:sticky;top:0}
tr:nth-child(even) td{background:#fafbfc}
.more,.empty{color:#5b6675;font-style:italic}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0}
dt{color:#5b6675}dd{margin:0;overflow-wrap:anywhere}
@media print{main{max-width:none;padding:0}th{position:static}h2{break-after:avoid}tr{break-inside:avoid}}
"""


@dataclass(frozen=True)
class Table:
    """A CSV's header and rows (the rows are iterated once: a report can hold millions)."""

    columns: tuple[str, ...]
    rows: Iterable[Sequence[str]]


@dataclass
class RowStats:
    """What the page shows of a table: the first ``keep`` rows, the total, findings per account and region."""

    total: int = 0
    first: list[Sequence[str]] = field(default_factory=list)
    accounts: Counter[str] = field(default_factory=Counter)
    regions: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)  # changes.csv: rows per ``change`` (added, removed ...)


# ---- pure pieces ----------------------------------------------------------------------------------


def esc(value: Any) -> str:
    """Text for an element or an attribute: ``<``, ``>``, ``&``, ``"`` and ``'`` escaped."""
    return escape("" if value is None else str(value), quote=True)


def row_stats(columns: Sequence[str], rows: Iterable[Sequence[str]], keep: int = ROWS_SHOWN) -> RowStats:
    """One pass over ``rows``: the first ``keep``, the count, and the count per account and per region."""
    stats = RowStats()
    index = {name: i for i, name in enumerate(columns)}
    account, name, region = index.get("account_id"), index.get("account_name"), index.get("region")
    change = index.get("change")
    for row in rows:
        stats.total += 1
        if change is not None and change < len(row):
            stats.kinds[row[change]] += 1
        if len(stats.first) < keep:
            stats.first.append(row)
        if account is not None and account < len(row):
            label = row[account]
            if name is not None and name < len(row) and row[name]:
                label = f"{label} {row[name]}"
            stats.accounts[label] += 1
        if region is not None and region < len(row):
            stats.regions[row[region]] += 1
    return stats


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def bar_chart(title: str, counts: Counter[str], unit: str = "findings", top: int = TOP_BARS) -> str:
    """A horizontal bar chart (inline SVG) of the ``top`` largest counts, and a line for the rest."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown, rest = ranked[:top], ranked[top:]
    if not shown:
        return f'<div class="chart"><h3>{esc(title)}</h3><p class="empty">no {esc(unit)}</p></div>'
    width, label_w, bar_w, row_h = 600, 250, 290, 22
    peak = max(n for _, n in shown)
    bars = []
    for i, (label, n) in enumerate(shown):
        y = i * row_h
        length = max(2, round(bar_w * n / peak))
        bars.append(
            f"<g><title>{esc(label)}: {n}</title>"
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{esc(shorten(label))}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{length}" height="{row_h - 6}" fill="#2f6fb0"/>'
            f'<text x="{label_w + length + 5}" y="{y + 15}">{n}</text></g>'
        )
    height = len(shown) * row_h + 4
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">{"".join(bars)}</svg>'
    )
    more = ""
    if rest:
        more = f'<p class="more">and {len(rest)} more ({sum(n for _, n in rest)} {esc(unit)})</p>'
    return f'<div class="chart"><h3>{esc(title)}</h3>{svg}{more}</div>'


def status_bar(summary: Mapping[str, Any]) -> str:
    """The targets as one stacked bar: succeeded, failed, skipped, not run."""
    parts = [
        (_int(summary.get("Succeeded")), "#2e9e55", "succeeded"),
        (_int(summary.get("Failed")), "#d0453b", "failed"),
        (_int(summary.get("Skipped")), "#9aa5b1", "skipped"),
        (_int(summary.get("NotRun")), "#e39b2d", "not run"),
    ]
    total = sum(n for n, _, _ in parts)
    if total <= 0:
        return ""
    width, x, rects = 1200, 0.0, []
    for n, color, label in parts:
        if n <= 0:
            continue
        w = width * n / total
        rects.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="18" fill="{color}"><title>{n} {label}</title></rect>'
        )
        x += w
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="18" viewBox="0 0 {width} 18" '
        f'role="img" aria-label="targets by status">{"".join(rects)}</svg>'
    )


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def change_counts(summary: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """(key, label, count) of the New/Resolved/Changed counts the summary holds, top level or under "Changes"."""
    nested = summary.get("Changes")
    source = nested if isinstance(nested, Mapping) else summary
    return [(key, label, source[key]) for key, label in CHANGE_COUNTS if source.get(key) is not None]


def stat(key: str, label: str, value: Any, css: str) -> str:
    return (
        f'<div class="stat {css}" id="stat-{esc(key.lower())}" data-key="{esc(key)}">'
        f"<b>{esc(value)}</b><span>{esc(label)}</span></div>"
    )


def summary_section(summary: Mapping[str, Any]) -> str:
    stats = [
        stat(key, label, summary.get(key, 0), css)
        for key, label, css in COUNTS
        if key != "NotRun" or summary.get("NotRun")
    ]
    stats += [stat(key, label, value, "total") for key, label, value in change_counts(summary)]
    counts = f'<div class="stats">{"".join(stats)}</div>'
    return f'<section id="summary">{counts}{status_bar(summary)}{notes(summary)}</section>'


def notes(summary: Mapping[str, Any]) -> str:
    """The banners: a partial report, a run MaxErrors stopped, a failed Map, targets that never ran."""
    out = []
    if summary.get("Partial"):
        ended = summary.get("Status") or "before it succeeded"
        out.append(
            f'<p class="note bad" id="partial">Partial report: only the targets that finished before the execution '
            f"ended {esc(ended)}.</p>"
        )
    if summary.get("Stopped"):
        out.append(f'<p class="note" id="stopped">Stopped: {esc(summary["Stopped"])}</p>')
    map_error = summary.get("MapError")
    if isinstance(map_error, Mapping):
        out.append(
            f'<p class="note bad" id="map-error">The Map state failed ({esc(map_error.get("Error"))}): '
            f"{esc(map_error.get('Cause'))}. Every planned target is listed.</p>"
        )
    if summary.get("NeverRun"):
        out.append(
            f'<p class="note" id="never-run">{esc(summary["NeverRun"])} planned targets never ran to the end.</p>'
        )
    return "".join(out)


def details(summary: Mapping[str, Any]) -> str:
    """Where the files are and what run this was."""
    fields = (
        ("Execution", "ExecutionId"),
        ("Retry of", "RetryOf"),
        ("Report", "ReportUri"),
        ("Errors", "ErrorsUri"),
        ("Changes", "ChangesUri"),
        ("Compared with", "ComparedWith"),
    )
    items = [f"<dt>{label}</dt><dd>{esc(summary[key])}</dd>" for label, key in fields if summary.get(key)]
    return f"<dl>{''.join(items)}</dl>" if items else ""


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def cell_html(cell: str) -> str:
    """One cell: a short one on one line, a long one (a message, tags) wrapped."""
    return f'<td class="long">{esc(cell)}</td>' if len(cell) > LONG_CELL else f"<td>{esc(cell)}</td>"


def table(columns: Sequence[str], stats: RowStats, what: str, where: str, table_id: str) -> str:
    """A table of the first rows, and what was left out (``where``: the CSV that has them all)."""
    if not stats.total:
        return f'<p class="empty" id="{table_id}-empty">no {esc(what)}</p>'
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(cell_html(cell) for cell in row) + "</tr>" for row in stats.first)
    shown = len(stats.first)
    if shown < stats.total:
        caption = f"first {shown} of {stats.total} {esc(what)}; {esc(where)}"
    else:
        caption = f"{stats.total} {esc(what if stats.total != 1 else what.removesuffix('s'))}"
    return (
        f'<p class="more" id="{table_id}-count">{caption}</p>'
        f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def comparison_line(summary: Mapping[str, Any]) -> str | None:
    """The messages' line on what changed since the run compared with (orgops.changes), when there was one."""
    if not summary.get("ComparedWith"):
        return None
    try:
        return changes_text.lead_line(summary, changes_text.noun_of(str(summary.get("Operation"))))
    except (KeyError, TypeError, ValueError):  # a summary of another version: the counts above still say it
        return None


def changes_section(summary: Mapping[str, Any], changes: Table | None, keep: int) -> str:
    """changes.csv as a table (its own header), after the line saying what it was compared with."""
    line = comparison_line(summary)
    lead = f'<p id="changes-lead">{esc(line)}</p>' if line else ""
    if changes is None:
        if summary.get("ChangesUri"):
            where = esc(summary["ChangesUri"])
            return f'{lead}<p class="empty" id="changes-empty">{CHANGES_NAME} is not here: it is at {where}</p>'
        if summary.get("ComparedWith"):
            return lead
        return '<p class="empty" id="changes-empty">no earlier run to compare with</p>'
    stats = row_stats(changes.columns, changes.rows, keep)
    tally = ", ".join(f"{n} {esc(kind)}" for kind, n in sorted(stats.kinds.items()))
    kinds = f'<p id="changes-kinds">{tally}</p>' if tally else ""
    return lead + kinds + table(changes.columns, stats, "changes", f"all of them are in {CHANGES_NAME}", "changes")


def render(
    summary: Mapping[str, Any],
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
    errors: Table | None = None,
    changes: Table | None = None,
    keep: int = ROWS_SHOWN,
) -> str:
    """The page: summary, findings per account and region, changes since the last run, failed targets, rows."""
    operation = str(summary.get("Operation") or "orgops")
    execution = str(summary.get("ExecutionId") or "")
    name = execution.rsplit(":", 1)[-1] if execution else ""
    found = row_stats(columns, rows, keep)
    failed = row_stats(errors.columns, errors.rows, keep) if errors else RowStats()
    title = f"orgops {operation}" + (f": {name}" if name else "")
    return "".join(
        (
            "<!DOCTYPE html>\n",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=1280">',
            '<meta name="referrer" content="no-referrer">',
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body><main>",
            f'<h1 id="title">{esc(title)}</h1>',
            f'<p class="sub">{esc(operation)} report: {plural(found.total, "row")} from '
            f"{plural(_int(summary.get('Targets')), 'target')}</p>",
            summary_section(summary),
            details(summary),
            '<h2 id="findings">Findings by account and region</h2><div class="charts">',
            bar_chart("per account", found.accounts),
            bar_chart("per region", found.regions),
            "</div>",
            '<h2 id="changes-heading">Changes since the last run</h2>',
            changes_section(summary, changes, keep),
            '<h2 id="failed-heading">Failed targets</h2>',
            table(
                errors.columns if errors else (),
                failed,
                "failed targets",
                f"all of them are in {ERRORS_NAME}",
                "failed",
            ),
            '<h2 id="rows-heading">Rows</h2>',
            table(columns, found, "rows", f"the full report is {REPORT_NAME}", "rows"),
            "</main></body></html>\n",
        )
    )


# ---- the CLI's files ------------------------------------------------------------------------------


def csv_rows(path: Path) -> Iterator[list[str]]:
    """The data rows of a CSV the report step wrote (its header skipped), read as they are needed."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        yield from reader


def csv_header(path: Path) -> tuple[str, ...]:
    with path.open(encoding="utf-8", newline="") as f:
        return tuple(next(csv.reader(f), []))


def csv_table(path: Path) -> Table | None:
    return Table(csv_header(path), csv_rows(path)) if path.is_file() else None


def read_summary(directory: Path, argument: str = "DIR") -> dict[str, Any]:
    """summary.json of a report directory; a UsageError naming ``argument`` and the fix otherwise."""
    path = directory / SUMMARY_NAME
    if not directory.is_dir():
        raise UsageError(
            f"{argument}: {directory} is not a directory; give an execution ARN (arn:aws:states:...) or a "
            "report directory (reports/OPERATION/NAME/, saved by orgops run, report or local)"
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{argument}: {directory} has no {SUMMARY_NAME}, so it is not a report directory; give the folder "
            "orgops run, report or local saved (reports/OPERATION/NAME/), or the execution ARN"
        ) from None
    except OSError as exc:
        raise UsageError(f"{argument}: cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise UsageError(
            f"{argument}: {path} is not JSON; download the report again: orgops report EXECUTION_ARN"
        ) from None
    if not isinstance(doc, dict):
        raise UsageError(f"{argument}: {path} is not a report summary (a JSON object); download it again")
    return doc


def named_file(directory: Path, summary: Mapping[str, Any], key: str) -> Path | None:
    """The file in ``directory`` the summary's ``key`` (``ErrorsUri``, ``ChangesUri``) names, as
    ``orgops report`` saves it (the URI's last part); None when the summary names none. A file the
    summary does not name is not read: it would be left over from another run saved there."""
    uri = summary.get(key)
    return directory / str(uri).rsplit("/", 1)[-1] if uri else None


def render_dir(directory: Path, summary: Mapping[str, Any] | None = None, argument: str = "DIR") -> str:
    """The page of a report directory's files (``summary``: the run's, when the caller has it; else summary.json)."""
    if summary is None:
        summary = read_summary(directory, argument)
    report = directory / REPORT_NAME
    errors = named_file(directory, summary, "ErrorsUri")
    for path in (report, errors):
        if path is not None and not path.is_file():
            raise UsageError(
                f"{argument}: {directory} has no {path.name}; download the report again: orgops report EXECUTION_ARN"
            )
    changes = named_file(directory, summary, "ChangesUri")
    try:
        return render(
            summary,
            csv_header(report),
            csv_rows(report),
            csv_table(errors) if errors else None,
            csv_table(changes) if changes else None,
        )
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(
            f"{argument}: a CSV in {directory} cannot be read ({exc}); download the report again"
        ) from None


def write_report(
    directory: Path, out_dir: Path | None = None, summary: Mapping[str, Any] | None = None, argument: str = "DIR"
) -> Path:
    """Render ``directory``'s report into ``out_dir`` (default: the same directory)/report.html."""
    page = render_dir(directory, summary, argument)
    target = (out_dir or directory) / HTML_NAME
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--out {target.parent}: cannot write {HTML_NAME} ({exc.strerror})") from None
    return target
