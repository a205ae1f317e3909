"""``xlsx``: a workbook for the office: 「概况」, 「规则一览」, the findings and one sheet
per work point.

「规则一览」 has one row per rule that ran, counted over every finding (passes
included); the findings sheets list the listed findings — 「结果清单（不含通过项）」,
or 「全部结果」 with ``--include-passes``. Each findings sheet has the same columns
(Chinese headers; English with ``--lang en``), a frozen header row and an autofilter. Every string is written
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

from supervise_rules import Finding, RenderOptions, Report, Reporter
from supervise_rules.safetext import plain
from supervise_rules.values import unit_text

from ._common import (
    CERTAINTY_LEGEND,
    UNCONFIRMED_NOTE,
    certainty_text,
    compact_rows,
    counts,
    group_by_work_point,
    label,
    passes_note,
    pick,
    required_text,
    rule_units,
    rules_of,
    status_text,
    submission_line,
    unconfirmed,
    waived_by_rule,
    waiver_text,
    work_point_title,
)

#: (label key, column width)
COLUMNS: tuple[tuple[str, int], ...] = (
    ("rule_id", 10),
    ("rule_title", 28),
    ("work_point", 9),
    ("severity", 9),
    ("certainty", 14),
    ("outcome", 12),
    ("subject_type", 10),
    ("subject_id", 22),
    ("subject_name", 22),
    ("observed", 12),
    ("required", 12),
    ("unit", 10),
    ("message", 60),
    ("table", 18),
    ("file", 24),
    ("row", 12),
    ("line", 12),
    ("cell", 12),
    ("column", 36),
    ("source", 40),
    ("waiver", 40),
    ("baseline", 9),
)
#: (label key, column width) of 「规则一览」
RULE_COLUMNS: tuple[tuple[str, int], ...] = (
    ("rule_id", 10),
    ("rule_title", 36),
    ("work_point", 9),
    ("severity", 9),
    ("certainty", 14),
    ("subjects", 9),
    ("pass", 9),
    ("fail", 9),
    ("waived", 9),
    ("error", 9),
    ("not_applicable", 9),
    ("observed_min", 12),
    ("observed_max", 12),
    ("unit", 10),
    ("source", 40),
)
#: Excel's limit on the characters of one cell
MAX_CELL = 32767
FALLBACK_DATE = dt.date(2000, 1, 1)


def _header(key: str, lang: str) -> str:
    # The workbook is for the office: Chinese headers, English only when asked for.
    return label(key, "en" if lang == "en" else "zh")


def _sheet_name(text: str, taken: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of ``[]:*?/\\``)."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in plain(text)).strip("'")[:31] or "_"
    name, n = clean, 2
    while name.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({n})"
        name, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


class XlsxReporter(Reporter):
    name = "xlsx"
    summary = "Excel workbook: summary, rules, findings, one sheet per work point; no formulas."
    suffix = ".xlsx"
    binary = True

    def render(self, report: Report, options: RenderOptions) -> bytes:
        import xlsxwriter

        lang = options.lang
        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(
            buf,
            {
                "in_memory": True,
                # belt and braces: nothing a string holds is ever turned into a formula, URL or number
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        created = report.submission.as_of or FALLBACK_DATE
        wb.set_properties(
            {
                "title": plain(f"{report.ruleset.title} — {label('report', lang)}"),
                "subject": plain(submission_line(report, lang)),
                "author": report.tool.name,
                "comments": f"{report.tool.name} {report.tool.version}",
                "created": dt.datetime(created.year, created.month, created.day),
            }
        )
        fmt = _Formats(wb)
        taken: set[str] = set()
        listed = list(report.iter_findings(options.show_passes))
        _summary_sheet(
            wb.add_worksheet(_sheet_name(label("summary", lang if lang == "en" else "zh"), taken)),
            report,
            listed,
            lang,
            fmt,
            options.show_passes,
        )
        _rules_sheet(
            wb.add_worksheet(_sheet_name(_header("all_rules", lang), taken)), report, listed, lang, fmt
        )
        findings_title = _header("all_findings" if options.show_passes else "listed_findings", lang)
        _findings_sheet(wb.add_worksheet(_sheet_name(findings_title, taken)), listed, lang, fmt)
        for wp, findings in group_by_work_point(listed):
            title = work_point_title(wp, "en" if lang == "en" else "zh")
            _findings_sheet(wb.add_worksheet(_sheet_name(title, taken)), findings, lang, fmt)
        wb.close()
        return buf.getvalue()


class _Formats:
    def __init__(self, wb: Any):
        self.header = wb.add_format(
            {"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True, "valign": "top"}
        )
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
        # a string cell, never a formula; control characters as U+FFFD (Excel would show _x001B_)
        ws.write_string(row, col, plain(value)[:MAX_CELL], fmt.text)


def _unit_name(unit: str | None, lang: str) -> str | None:
    """The unit column: Chinese names in ``zh`` (比例, 系数, 平方米/生 …)."""
    if unit is None or lang == "en":
        return unit
    return {"ratio": "比例", "coefficient": "系数"}.get(unit) or unit_text(unit, lang) or unit


def _file_text(ev: Any, lang: str) -> str:
    if ev.file and ev.sheet:
        return f"{ev.file} 工作表「{ev.sheet}」" if lang != "en" else f"{ev.file}, sheet {ev.sheet}"
    return ev.file or ev.sheet or ""


def _cells(f: Finding, lang: str) -> list[tuple[object, str | None]]:
    tables = ", ".join(dict.fromkeys(ev.table for ev in f.evidence))
    files = ", ".join(dict.fromkeys(_file_text(ev, lang) for ev in f.evidence if ev.file or ev.sheet))
    rows = "; ".join(compact_rows(ev.rows) for ev in f.evidence if ev.rows)
    lines = "; ".join(compact_rows(ev.lines) for ev in f.evidence if ev.lines)
    cells = ", ".join(c for ev in f.evidence for c in ev.cells or ())
    # the contract's name and, where it differs, the header the clerk wrote
    columns = ", ".join(
        dict.fromkeys(
            c if not ev.headers or i >= len(ev.headers) or ev.headers[i] == c else f"{c}（{ev.headers[i]}）"
            for ev in f.evidence
            for i, c in enumerate(ev.columns)
        )
    )
    required = f.required.value if f.required and f.required.op in (">=", ">", "<=", "<") else None
    return [
        (f.rule_id, None),
        (f.title.get(lang), None),
        (f.work_point, None),
        (label(f.severity.value, lang), None),
        (certainty_text(f.certainty, lang) if f.certainty else None, None),
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
        (files or None, None),
        (rows, None),
        (lines or None, None),
        (cells or None, None),
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


def _rules_sheet(ws: Any, report: Report, listed: list[Finding], lang: str, fmt: _Formats) -> None:
    """One row per rule that ran; its counts include the passes, listed or not."""
    units = rule_units(report)
    waived = waived_by_rule(report)
    for col, (key, width) in enumerate(RULE_COLUMNS):
        ws.write_string(0, col, _header(key, lang), fmt.header)
        ws.set_column(col, col, width)
    rules = rules_of(report, listed)
    for r, entry in enumerate(rules, start=1):
        unit = units.get(entry.rule_id)
        rng = entry.observed
        values: list[tuple[object, str | None]] = [
            (entry.rule_id, None),
            (entry.title.get(lang), None),
            (entry.work_point, None),
            (label(entry.severity.value, lang), None),
            (certainty_text(entry.certainty, lang) if entry.certainty else None, None),
            (entry.subjects, None),
            (entry.by_outcome.get("pass", 0), None),
            (entry.by_outcome.get("fail", 0), None),
            (waived.get(entry.rule_id, 0), None),
            (entry.by_outcome.get("error", 0), None),
            (entry.by_outcome.get("not_applicable", 0), None),
            (rng.min if rng is not None else None, unit),
            (rng.max if rng is not None else None, unit),
            (_unit_name(unit, lang), None),
            (entry.source, None),
        ]
        for col, (value, value_unit) in enumerate(values):
            _put(ws, r, col, value, fmt, unit=value_unit)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(rules), 1), len(RULE_COLUMNS) - 1)


def _summary_sheet(
    ws: Any, report: Report, listed: list[Finding], lang: str, fmt: _Formats, show_passes: bool
) -> None:
    c = counts(report)
    r = report.ruleset
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 60)
    ws.write_string(0, 0, plain(f"{r.title} — {label('report', lang)}"), fmt.title)
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
        rows += [
            ("", ""),
            (
                label("baseline_diff", lang),
                report.baseline.source if report.baseline and report.baseline.source else "",
            ),
        ]
        rows += [(label(k, lang), v) for k, v in c.baseline.items()]
    # the notes a reader of the findings sheets needs, in the sheet they open first
    notes = []
    if c.by_status["pass"] and not show_passes:
        notes.append(passes_note(c.by_status["pass"], lang))
    notes.append(pick(CERTAINTY_LEGEND, lang))
    if any(unconfirmed(f) for f in listed):
        notes.append(pick(UNCONFIRMED_NOTE, lang))
    rows += [("", ""), *((label("note", lang) if i == 0 else "", n) for i, n in enumerate(notes))]
    for i, (key, value) in enumerate(rows, start=2):
        if key:
            ws.write_string(i, 0, key, fmt.bold)
        _put(ws, i, 1, value, fmt)
    files = report.submission.files
    if files:  # what ties the workbook to the data it checked: path, SHA-256, bytes
        row = len(rows) + 3
        ws.write_string(row, 0, label("input_files", lang), fmt.bold)
        ws.set_column(2, 2, 12)
        for key, col in (("file_path", 0), ("sha256", 1), ("bytes", 2)):
            ws.write_string(row + 1, col, label(key, lang), fmt.bold)
        for i, f in enumerate(files, start=row + 2):
            _put(ws, i, 0, f.path, fmt)
            _put(ws, i, 1, f.sha256, fmt)
            _put(ws, i, 2, f.bytes, fmt)
