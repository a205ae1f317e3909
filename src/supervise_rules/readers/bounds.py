"""Limits every reader applies (:mod:`supervise_rules.limits`): a file's size
before it is read, a table's cells and lines once they are text.

A limit exceeded is a :class:`~supervise_rules.errors.SubmissionError` naming
the file, the place (sheet, line, cell), the limit and the flag that raises it,
in English and Chinese.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import SubmissionError
from ..limits import current_limits, exceeded, exceeded_zh
from .base import RawTable
from .problems import column_letter


def refuse(en: str, zh: str, name: str, actual: int | None = None, unit: str = "") -> SubmissionError:
    """The error for a limit exceeded: ``en`` and ``zh`` say what is too large."""
    return SubmissionError(f"{en} ({exceeded(name, actual, unit=unit)}). {zh}（{exceeded_zh(name)}）。")


def check_file_size(path: Path, display: str, name: str = "max_file_bytes") -> int:
    """Refuse a file larger than the limit ``name``, before reading it; its size."""
    size = path.stat().st_size
    if size > getattr(current_limits(), name):
        raise refuse(
            f"{display} is {size:,} bytes, too large to read",
            f"{display} 有 {size:,} 字节，太大，未读取",
            name,
            size,
            "bytes",
        )
    return size


def check_cells(raw: RawTable, display: str) -> None:
    """Refuse a table with a cell longer than ``max_cell_chars``, or (for a text
    file) a line longer than ``max_line_chars``. Cheap: the longest cell of each
    column is known from the lengths polars keeps; characters are counted only
    in a column that may be too long."""
    frame = raw.frame
    strings = [c for c, t in frame.schema.items() if t == pl.String]
    if frame.height == 0 or not strings:
        return
    limits = current_limits()
    longest = frame.select(pl.col(strings).str.len_bytes().max()).row(0)
    for column, size in zip(strings, longest, strict=True):
        if size is None or size <= limits.max_cell_chars:
            continue  # bytes: never fewer than characters
        chars = frame.get_column(column).str.len_chars()
        over = (chars > limits.max_cell_chars).arg_true()
        if len(over):
            i = int(over[0])
            en, zh = _cell(raw, display, i, frame.columns.index(column))
            zh += " " if zh[-1:].isascii() else ""
            raise refuse(
                f"{en} holds {int(chars[i]):,} characters, more than a cell may",
                f"{zh}有 {int(chars[i]):,} 个字符，超过单元格的上限",
                "max_cell_chars",
                int(chars[i]),
            )
    if raw.locator == "line" and sum(s or 0 for s in longest) + frame.width > limits.max_line_chars:
        # the cells' characters and the separators between them
        cells = raw.widths if raw.widths is not None else pl.repeat(frame.width, frame.height, eager=True)
        lengths = frame.select(
            pl.sum_horizontal(pl.col(strings).str.len_chars().fill_null(0)).alias("n")
        ).to_series() + (cells.cast(pl.Int64) - 1).clip(lower_bound=0)
        over = (lengths > limits.max_line_chars).arg_true()
        if len(over):
            i = int(over[0])
            line = _line(raw, i)
            raise refuse(
                f"{display}: line {line:,} holds {int(lengths[i]):,} characters",
                f"{display} 第 {line:,} 行有 {int(lengths[i]):,} 个字符，超过一行的上限",
                "max_line_chars",
                int(lengths[i]),
            )


def _line(raw: RawTable, i: int) -> int:
    if raw.lines is not None:
        return int(raw.lines[i])
    return raw.first_line + i


def _cell(raw: RawTable, display: str, i: int, j: int) -> tuple[str, str]:
    """Where grid cell (row ``i``, column ``j``) or record field is, (en, zh)."""
    if raw.header is not None:
        field = raw.header[j] if j < len(raw.header) else str(j + 1)
        part_en = f", '{raw.name}'" if raw.name else ""
        part_zh = f"「{raw.name}」" if raw.name else ""
        return (
            f"{display}{part_en}, record {i + 1}, field '{field}'",
            f"{display}{part_zh}第 {i + 1} 条记录的「{field}」字段",
        )
    line = _line(raw, i)
    letter = column_letter(raw.sheet_columns[j] if raw.sheet_columns else j)
    if raw.locator == "row":
        sheet_en = f", sheet '{raw.name}'" if raw.name else ""
        sheet_zh = f" 工作表「{raw.name}」" if raw.name else ""
        return f"{display}{sheet_en}, cell {letter}{line}", f"{display}{sheet_zh}单元格 {letter}{line}"
    return (
        f"{display}: line {line:,}, cell {letter}{line}",
        f"{display} 第 {line:,} 行单元格 {letter}{line}",
    )
