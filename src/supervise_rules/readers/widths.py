"""READ-15: a line of a text file with more or fewer cells than its header.

A CSV line wider than the header holds cells no column is named for (a
stray separator, a value typed one cell too far): they are kept, as columns
without a header (READ-03), and the line is reported naming them. A narrower
line lacks cells (a row a clerk ended early, or a cell left out in the middle,
which shifts every later value to the left): they are read as blank, and the
line is reported naming the columns it lacks.

Cells that only pad a line carry nothing, and are not reported: blank cells
beyond the header (``1,2,3,,``) and missing cells under blank header cells
(a header ``a,b,c,`` over lines ``1,2,3``). Blank lines and the rows READ-07
sets aside (totals, notes, a repeated header) are not data and are not
compared.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ..models import Finding, Severity
from .base import RawTable
from .normalize import ROW
from .problems import Place, column_letter, read_finding

#: READ-15 findings named one by one before the rest are summed up
MAX_ROW_FINDINGS = 20
#: cells shown in one finding
MAX_CELLS_SHOWN = 8


def width_findings(
    raw: RawTable,
    data_height: int,
    header: list[Any],
    select: dict[str, str],
    skipped: pl.Series,
    table: str,
    place: Place,
    line_of: Any,
    offset: int,
) -> list[Finding]:
    """READ-15 findings of a grid whose ``raw.widths`` are known.

    :param data_height: rows under the header (the header is grid row
        ``raw.frame.height - data_height - 1``).
    :param header: the header cells, one per grid column (as detected).
    :param select: grid column -> the column it became (kept columns only).
    :param skipped: ``__row__`` of the rows that are not data (READ-07).
    :param line_of: data rows -> file lines (``Lines.of``).
    :param offset: the sheet row of data row 0 (``Lines.offset``): a data
        row's row in a spreadsheet program is ``offset + row``.
    """
    assert raw.widths is not None
    h = raw.frame.height - data_height - 1
    expected = int(raw.widths[h])
    names = raw.frame.columns
    named = [j for j in range(len(names)) if j < len(header) and _text(header[j])]
    last_named = max(named, default=-1)
    grid = (
        raw.frame.slice(h + 1)
        .with_row_index(ROW, offset=1)
        .with_columns(pl.col(ROW).cast(pl.Int64), raw.widths.slice(h + 1).alias("__cells__"))
    )
    grid = grid.filter((pl.col("__cells__") != expected) & ~pl.col(ROW).is_in(skipped.implode()))
    if grid.height == 0:
        return []
    blank = {c: pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in names}
    # wider: a filled cell beyond the header; narrower: a missing cell under a named header
    wide = pl.any_horizontal([~blank[names[j]] for j in range(expected, len(names))] or [pl.lit(False)])
    short = pl.col("__cells__") <= last_named
    grid = grid.filter(
        ~pl.all_horizontal(list(blank.values()))
        & ((pl.col("__cells__") > expected) & wide | (pl.col("__cells__") < expected) & short)
    )
    if grid.height == 0:
        return []
    rows = grid.get_column(ROW).to_list()
    lines = line_of(rows)
    findings: list[Finding] = []
    zh_t, en_t = place.table()
    header_line = int(raw.lines[h]) if raw.lines is not None else raw.first_line + h
    for k, record in enumerate(grid.head(MAX_ROW_FINDINGS).iter_rows(named=True)):
        row, line, cells = record[ROW], lines[k], record["__cells__"]
        # cells are a spreadsheet's: on the row it shows the line on
        excel = offset + row if offset + row != line else None
        where_zh, where_en = place.line(line, excel)
        base_zh = f"{where_zh}有 {cells} 个单元格，而表头（第 {header_line} 行）有 {expected} 个"
        base_en = f"{where_en} has {cells} cells where the header (line {header_line}) has {expected}"
        if cells > expected:
            extra = [
                (j, record[names[j]])
                for j in range(expected, min(cells, len(names)))
                if _text(record[names[j]])
            ]
            refs = [f"{column_letter(_sheet(raw, j))}{excel or line}" for j, _ in extra]
            shown_zh = "、".join(
                f"{ref}「{value}」" for ref, (_, value) in zip(refs[:MAX_CELLS_SHOWN], extra, strict=False)
            )
            shown_en = ", ".join(
                f"{ref} {value!r}" for ref, (_, value) in zip(refs[:MAX_CELLS_SHOWN], extra, strict=False)
            )
            more = len(extra) - MAX_CELLS_SHOWN
            shown_zh += f" 等 {len(extra)} 个" if more > 0 else ""
            shown_en += f" and {more} more" if more > 0 else ""
            kept = [select[names[j]] for j, _ in extra if names[j] in select]
            finding = read_finding(
                "READ-15",
                zh=f"{base_zh}：多出的单元格 {shown_zh}没有表头，已按无表头的列保留"
                "（请检查是否多了分隔符或填错了列）",
                en=f"{base_en}: the extra cells {shown_en} have no header; they are kept as "
                "columns without a header (a separator too many, or a value one cell too far?)",
                table=table,
                rows=[row],
                columns=kept,
                place=place,
                lines=[line],
                observed=cells,
                cells=refs,
            )
        else:
            missing = [j for j in range(cells, expected) if j < len(header) and _text(header[j])]
            refs = [f"{column_letter(_sheet(raw, j))}{excel or line}" for j in missing]
            heads = [str(header[j]).strip() for j in missing]
            shown_zh = "、".join(
                f"{ref}「{head}」" for ref, head in zip(refs[:MAX_CELLS_SHOWN], heads, strict=False)
            )
            shown_en = ", ".join(
                f"{ref} ('{head}')" for ref, head in zip(refs[:MAX_CELLS_SHOWN], heads, strict=False)
            )
            more = len(missing) - MAX_CELLS_SHOWN
            shown_zh += f" 等 {len(missing)} 个" if more > 0 else ""
            shown_en += f" and {more} more" if more > 0 else ""
            finding = read_finding(
                "READ-15",
                zh=f"{base_zh}：缺少单元格 {shown_zh}，已按空白读取"
                "（若是中间漏填了一格，其后各列的值都会错位）",
                en=f"{base_en}: cells {shown_en} are missing and were read as blank (if a "
                "cell was left out in the middle, every later value is one column off)",
                table=table,
                rows=[row],
                columns=[select[names[j]] for j in missing if names[j] in select],
                place=place,
                lines=[line],
                observed=cells,
                headers=heads,
                cells=refs,
            )
            # nothing is lost nor moved, unless a cell was left out in the middle
            finding = finding.model_copy(update={"severity": Severity.minor})
        findings.append(finding)
    if len(rows) > MAX_ROW_FINDINGS:
        rest, rest_lines = rows[MAX_ROW_FINDINGS:], lines[MAX_ROW_FINDINGS:]
        findings.append(
            read_finding(
                "READ-15",
                zh=f"{zh_t}另有 {len(rest)} 行的单元格数与表头（{expected} 个）不符"
                f"（第 {_ranges(rest_lines)} 行）",
                en=f"{en_t}: {len(rest)} more lines have more or fewer cells than the header "
                f"({expected}): lines {_ranges(rest_lines)}",
                table=table,
                rows=rest,
                place=place,
                lines=rest_lines,
            )
        )
    return findings


def _text(value: Any) -> bool:
    return value is not None and bool(str(value).strip())


def _sheet(raw: RawTable, j: int) -> int:
    return raw.sheet_columns[j] if raw.sheet_columns and j < len(raw.sheet_columns) else j


def _ranges(numbers: list[int], limit: int = 30) -> str:
    """``3, 5–7, 12``: consecutive numbers as ranges (the first ``limit`` ranges)."""
    parts: list[str] = []
    start: int | None = None
    prev = 0
    for n in numbers:
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            parts.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = prev = n
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}–{prev}")
    shown = ", ".join(parts[:limit])
    return shown + (" …" if len(parts) > limit else "")
