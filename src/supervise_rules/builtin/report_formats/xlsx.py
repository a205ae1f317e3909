"""``xlsx``: a workbook for the office: 「概况」, 「全部结果」 and one sheet per work point.

Each findings sheet has the same columns (Chinese headers; English with
``--lang en``), a frozen header row and an autofilter. Every string is written
with ``write_string``: a value starting with ``=``, ``+``, ``-`` or ``@`` from a
submission stays text and can never run as a formula. Numbers are written as
numbers (ratios with a percent format) so they sort and sum.

The bytes are deterministic: the document's creation date is the submission's
``as_of`` date (2000-01-01 when unknown) and xlsxwriter stamps the zip members
with a fixed date, so the same report gives the same file.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

from ...models import Finding, Report
from ...reporters import RenderOptions, Reporter
from ._common import (
    compact_rows,
    counts,
    group_by_work_point,
    label,
    required_text,
    status_text,
    submission_line,
    unit_text,
    waiver_text,
    work_point_title,
)

#: (label key, column width)
COLUMNS: tuple[tuple[str, int], ...] = (
    ("rule_id", 10),
    ("rule_title", 28),
    ("work_point", 9),
    ("severity", 9),
    ("outcome", 12),
    ("subject_type", 10),
    ("subject_id", 22),
    ("subject_name", 22),
    ("observed", 12),
    ("required", 12),
    ("unit", 10),
    ("message", 60),
    ("table", 18),
    ("row", 12),
    ("column", 28),
    ("source", 40),
    ("waiver", 40),
    ("baseline", 9),
)
#: Excel's limit on the characters of one cell
MAX_CELL = 32767
FALLBACK_DATE = dt.date(2000, 1, 1)


def _header(key: str, lang: str) -> str:
    # The workbook is for the office: Chinese headers, English only when asked for.
    return label(key, "en" if lang == "en" else "zh")


def _sheet_name(text: str, taken: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of ``[]:*?/\\``)."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in text).strip("'")[:31] or "_"
    name, n = clean, 2
    while name.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({n})"
        name, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


class XlsxReporter(Reporter):
    name = "xlsx"
    summary = "Excel workbook: all findings, one sheet per work point; filters on, no formulas."
    suffix = ".xlsx"
    binary = True

    def render(self, report: Report, options: RenderOptions) -> bytes:
        import xlsxwriter

        lang = options.lang
        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {
            "in_memory": True,
            # belt and braces: nothing a string holds is ever turned into a formula, URL or number
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        })
        created = report.submission.as_of or FALLBACK_DATE
        wb.set_properties({
            "title": f"{report.ruleset.title} — {label('report', lang)}",
            "subject": submission_line(report, lang),
            "author": report.tool.name,
            "comments": f"{report.tool.name} {report.tool.version}",
            "created": dt.datetime(created.year, created.month, created.day),
        })
        fmt = _Formats(wb)
        taken: set[str] = set()
        _summary_sheet(wb.add_worksheet(_sheet_name(label("summary", lang if lang == "en" else "zh"),
                                                    taken)), report, lang, fmt)
        _findings_sheet(wb.add_worksheet(_sheet_name(_header("all_findings", lang), taken)),
                        report.findings, lang, fmt)
        for wp, findings in group_by_work_point(report.findings):
            title = work_point_title(wp, "en" if lang == "en" else "zh")
            _findings_sheet(wb.add_worksheet(_sheet_name(title, taken)), findings, lang, fmt)
        wb.close()
        return buf.getvalue()


class _Formats:
    def __init__(self, wb: Any):
        self.header = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1,
                                     "text_wrap": True, "valign": "top"})
        self.text = wb.add_format({"valign": "top", "text_wrap": True})
        self.percent = wb.add_format({"valign": "top", "num_format": "0.00%"})
        self.number = wb.add_format({"valign": "top"})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True})


def _put(ws: Any, row: int, col: int, value: object, fmt: _Formats, *, unit: str | None = None) -> None:
    """Numbers as numbers, everything else as text, never a formula."""
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt.text)
    elif isinstance(value, bool):
        ws.write_string(row, col, str(value).lower(), fmt.text)
    elif isinstance(value, int | float) and math.isfinite(value):
        ws.write_number(row, col, value, fmt.percent if unit == "ratio" else fmt.number)
    else:
        ws.write_string(row, col, str(value)[:MAX_CELL], fmt.text)


def _unit_name(unit: str | None, lang: str) -> str | None:
    """The unit column: Chinese names in ``zh`` (比例, 系数, 平方米/生 …)."""
    if unit is None or lang == "en":
        return unit
    return {"ratio": "比例", "coefficient": "系数"}.get(unit) or unit_text(unit, lang) or unit


def _cells(f: Finding, lang: str) -> list[tuple[object, str | None]]:
    tables = ", ".join(dict.fromkeys(ev.table for ev in f.evidence))
    rows = "; ".join(compact_rows(ev.rows) for ev in f.evidence if ev.rows)
    columns = ", ".join(dict.fromkeys(c for ev in f.evidence for c in ev.columns))
    required = f.required.value if f.required and f.required.op in (">=", ">", "<=", "<") else None
    return [
        (f.rule_id, None),
        (f.title.get(lang), None),
        (f.work_point, None),
        (label(f.severity.value, lang), None),
        (status_text(f, lang), None),
        (label(f.subject.type, lang), None),
        (f.subject.id, None),
        (f.subject.name, None),
        (f.observed, f.unit),
        # a plain threshold as a number (it sorts); other requirements as text
        (required if isinstance(required, int | float) else required_text(f, lang), f.unit),
        (_unit_name(f.unit, lang), None),
        (f.message.get(lang), None),
        (tables, None),
        (rows, None),
        (columns, None),
        (f.source, None),
        (waiver_text(f, lang) if f.waiver else None, None),
        (label(f.baseline, lang) if f.baseline else None, None),
    ]


def _findings_sheet(ws: Any, findings: list[Finding], lang: str, fmt: _Formats) -> None:
    for col, (key, width) in enumerate(COLUMNS):
        ws.write_string(0, col, _header(key, lang), fmt.header)
        ws.set_column(col, col, width)
    for r, f in enumerate(findings, start=1):
        for col, (value, unit) in enumerate(_cells(f, lang)):
            _put(ws, r, col, value, fmt, unit=unit)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(findings), 1), len(COLUMNS) - 1)


def _summary_sheet(ws: Any, report: Report, lang: str, fmt: _Formats) -> None:
    c = counts(report)
    r = report.ruleset
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 60)
    ws.write_string(0, 0, f"{r.title} — {label('report', lang)}", fmt.title)
    rows: list[tuple[str, object]] = [
        (label("ruleset", lang), f"{r.id} {r.version}"),
        (label("submission_of", lang), submission_line(report, lang)),
        (label("tool", lang), f"{report.tool.name} {report.tool.version}"),
        ("", ""),
        (label("rules_run", lang), c.rules_run),
        *((label(k, lang), v) for k, v in c.by_status.items()),
        ("", ""),
        (label("failures_by_severity", lang), ""),
        *((label(k, lang), v) for k, v in c.by_severity.items()),
    ]
    if c.baseline is not None:
        rows += [("", ""), (label("baseline_diff", lang), report.baseline.source
                            if report.baseline and report.baseline.source else "")]
        rows += [(label(k, lang), v) for k, v in c.baseline.items()]
    for i, (key, value) in enumerate(rows, start=2):
        if key:
            ws.write_string(i, 0, key, fmt.bold)
        _put(ws, i, 1, value, fmt)
