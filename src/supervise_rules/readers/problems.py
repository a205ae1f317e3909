"""The READ-xx findings: problems found while reading a submission.

Each code is documented in ``docs/readers.md``. Errors that leave data unusable
(a cell, a key column, a duplicated column) are ``outcome: error``; notices
that lose nothing (an unknown column kept as text, a sheet that is not a table)
are ``outcome: fail`` at severity ``info``, so they are listed but never fail a
run at the default ``--fail-on major``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..models import Evidence, Finding, LocalizedText, Outcome, Severity, Subject

#: code -> (title zh, title en, severity, outcome)
CODES: dict[str, tuple[str, str, Severity, Outcome]] = {
    "READ-01": ("单元格值无法识别", "Cell value cannot be read", Severity.major, Outcome.error),
    "READ-02": ("缺少关键列", "Key column missing", Severity.major, Outcome.error),
    "READ-03": ("未知列（按文本保留）", "Unknown column kept as text", Severity.info, Outcome.fail),
    "READ-04": ("重复列", "Column given twice", Severity.major, Outcome.error),
    "READ-05": ("无法识别的表", "Not a table of the contract", Severity.info, Outcome.fail),
    "READ-06": ("缺少清单", "Manifest missing", Severity.minor, Outcome.error),
    # non-data rows: totals, notes and signature footers, repeated headers
    "READ-07": ("非数据行（未参与检查）", "Non-data rows not checked", Severity.info, Outcome.fail),
    "READ-08": ("合计行与明细不符", "Totals row disagrees with the rows", Severity.major, Outcome.fail),
    # headers written differently from the contract
    "READ-09": ("表头按近似名称识别", "Header matched by a variant", Severity.minor, Outcome.fail),
    "READ-10": ("表头无法确定", "Header ambiguous", Severity.major, Outcome.error),
    # units in headers
    "READ-11": ("单位已换算", "Unit converted", Severity.info, Outcome.fail),
    "READ-12": ("单位不符", "Unit incompatible", Severity.major, Outcome.error),
    # sheets and files that are not read as they are
    "READ-13": ("隐藏工作表", "Hidden sheet", Severity.info, Outcome.fail),
    "READ-14": ("未读取的文件", "File not read", Severity.info, Outcome.fail),
    # a line of a text file wider or narrower than its header (readers/widths.py);
    # a narrower one is minor: its cells are read as blank
    "READ-15": (
        "行的单元格数与表头不符",
        "Line wider or narrower than the header",
        Severity.major,
        Outcome.error,
    ),
    # values outside the range or domain the table spec declares (readers/plausible.py)
    "READ-16": ("值不合理", "Implausible value", Severity.major, Outcome.error),
}


def read_finding(
    code: str,
    *,
    zh: str,
    en: str,
    table: str,
    rows: list[int] | None = None,
    columns: list[str] | None = None,
    subject: Subject | None = None,
    observed: str | float | None = None,
    place: Place | None = None,
    lines: list[int] | None = None,
    headers: list[str] | None = None,
    cells: list[str] | None = None,
) -> Finding:
    """One READ-xx finding; ``place`` and ``lines`` (parallel to ``rows``) say
    where the clerk finds it, as the rules' findings do."""
    title_zh, title_en, severity, outcome = CODES[code]
    return Finding(
        rule_id=code,
        title=LocalizedText(zh=title_zh, en=title_en),
        severity=severity,
        outcome=outcome,
        subject=subject or Subject(type="submission", id=table),
        observed=observed,
        message=LocalizedText(zh=zh, en=en),
        evidence=[
            Evidence(
                table=table,
                rows=rows,
                columns=columns or [],
                file=place.file if place else None,
                sheet=place.part if place else None,
                lines=lines if place and place.locator != "record" else None,
                headers=headers,
                cells=cells,
            )
        ],
    )


@dataclass(frozen=True)
class Place:
    """Where a table sits, to word locations as the user sees them."""

    #: file name as the user knows it (``schools.csv``, ``贺兰县2024.xlsx``); None in memory
    file: str | None
    #: sheet name or JSON key, when the file holds several tables
    part: str | None
    locator: str  # "line" | "row" | "record"

    def table(self) -> tuple[str, str]:
        """The table itself: ``helan.xlsx 工作表「学校」`` / ``helan.xlsx, sheet 学校``."""
        file = self.file or ""
        if self.part is None:
            return file or "输入数据", file or "input"
        if self.locator == "row":
            return f"{file} 工作表「{self.part}」", f"{file}, sheet '{self.part}'"
        if not file:
            # a table given without a file (a dict, a JSON key): its Chinese name in zh
            from ..wording import table_zh

            return f"「{table_zh(self.part)}」表", f"'{self.part}'"
        return f"{file}「{self.part}」", f"{file}, '{self.part}'"

    def cell(
        self, line: int, header: str, column_letter: str | None, record: int | None = None
    ) -> tuple[str, str]:
        """One cell: line/row (and cell reference) plus the header as written.

        ``record``: the row a spreadsheet program shows a text file's line on,
        when a quoted cell spanning lines above made them differ."""
        zh_t, en_t = self.table()
        if self.locator == "record":
            return (
                f"{_sp(zh_t)}第 {line} 条记录的「{header}」字段",
                f"{en_t}, record {line}, field '{header}'",
            )
        noun_zh, noun_en = "行", ("row" if self.locator == "row" else "line")
        if record is not None and record != line and self.locator == "line":
            ref = f"，单元格 {column_letter}{record}" if column_letter else ""
            ref_en = f", cell {column_letter}{record}" if column_letter else ""
            return (
                f"{_sp(zh_t)}第 {line} 行（在 Excel 中为第 {record} 行{ref}）「{header}」列",
                f"{en_t}, line {line} (row {record} in Excel{ref_en}), column '{header}'",
            )
        ref_zh = f"（单元格 {column_letter}{line}）" if column_letter else ""
        ref_en = f" (cell {column_letter}{line})" if column_letter else ""
        return (
            f"{_sp(zh_t)}第 {line} {noun_zh}{ref_zh}「{header}」列",
            f"{en_t}, {noun_en} {line}{ref_en}, column '{header}'",
        )

    def line(self, line: int, record: int | None = None) -> tuple[str, str]:
        """One line of a text file (row of a sheet): ``schools.csv 第 7 行（在 Excel
        中为第 6 行）`` / ``schools.csv, line 7 (row 6 in Excel)``."""
        zh_t, en_t = self.table()
        noun_en = "row" if self.locator == "row" else "line"
        if record is not None and record != line and self.locator == "line":
            return (
                f"{_sp(zh_t)}第 {line} 行（在 Excel 中为第 {record} 行）",
                f"{en_t}, line {line} (row {record} in Excel)",
            )
        return f"{_sp(zh_t)}第 {line} 行", f"{en_t}, {noun_en} {line}"

    def row_nouns(self) -> tuple[str, str]:
        """What one row is called: 行 / line, row, record."""
        if self.locator == "record":
            return "条记录", "records"
        return "行", "rows" if self.locator == "row" else "lines"

    def header_line(self, line: int) -> tuple[str, str]:
        zh_t, en_t = self.table()
        if self.locator == "record":
            return zh_t, en_t
        noun_en = "row" if self.locator == "row" else "line"
        return f"{_sp(zh_t)}第 {line} 行表头", f"{en_t}, header on {noun_en} {line}"


def _sp(zh: str) -> str:
    """``zh`` followed by a space only where it ends in Latin text (a file name)."""
    return f"{zh} " if zh[-1:].isascii() else zh


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


#: findings one by one per column before the rest are summed up in one finding
MAX_CELL_FINDINGS = 20


def cell_findings(
    code: str,
    *,
    table: str,
    column: str,
    header: str,
    letter: str | None,
    place: Place,
    rows: list[int],
    raws: list[str],
    lines_of: Callable[[list[int]], list[int]],
    record_of: Callable[[int], int] | None,
    subjects: Mapping[int, Subject],
    one: Callable[[str, str, str, int], tuple[str, str]],
    rest: Callable[[str, str, int], tuple[str, str]],
) -> list[Finding]:
    """The findings of the bad cells of one column (READ-01, READ-16): one per
    cell — where the clerk finds it, the value as written — for the first
    :data:`MAX_CELL_FINDINGS`, then one summing up the rest.

    ``raws`` are the first cells' text; ``one(where_zh, where_en, raw, i)`` words
    the i-th, ``rest(table_zh, table_en, n)`` the summary. ``record_of`` gives
    the row a spreadsheet shows a text file's data row on, where multi-line
    cells moved the lines."""
    problems: list[Finding] = []
    shown = rows[:MAX_CELL_FINDINGS]
    for i, (row, line, raw) in enumerate(zip(shown, lines_of(shown), raws, strict=False)):
        record = record_of(row) if record_of is not None else None
        where_zh, where_en = place.cell(line, header, letter, record)
        zh, en = one(where_zh, where_en, raw, i)
        problems.append(
            read_finding(
                code,
                zh=zh,
                en=en,
                table=table,
                rows=[row],
                columns=[column],
                subject=subjects.get(row),
                observed=raw,
                place=place,
                lines=[line],
                headers=[header],
                # a cell is a spreadsheet's: on the row it shows the line on
                cells=[f"{letter}{record or line}"] if letter else None,
            )
        )
    if len(rows) > MAX_CELL_FINDINGS:
        left = rows[MAX_CELL_FINDINGS:]
        zh, en = rest(*place.table(), len(left))
        problems.append(
            read_finding(
                code,
                zh=zh,
                en=en,
                table=table,
                rows=left,
                columns=[column],
                place=place,
                lines=lines_of(left),
                headers=[header],
            )
        )
    return problems
