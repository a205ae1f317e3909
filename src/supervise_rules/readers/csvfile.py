"""CSV (and TSV) files: UTF-8, UTF-8 with BOM, GB18030 or UTF-16, read by
polars, exactly: every line's cells are kept, however wide the line.

The width polars reads is first sniffed from the first lines; a wider line
later on makes polars refuse the read (``truncate_ragged_lines`` is off), and
the file is then read again as wide as its widest line. Whether every line is
exactly as wide is known at no cost when the last column has no blank cell,
and otherwise from the file's separator count; only a file whose lines differ
pays for counting the cells of each line (:class:`_Widths`), which the host
compares with the header's (READ-15).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from ..errors import SubmissionError
from ..limits import current_limits
from .base import RawTable, Reader
from .bounds import check_cells, check_file_size, refuse
from .text import ByteCounts, LineEnds, as_utf8, detect_encoding, head_text

#: lines sniffed for the widest row (title rows are narrower than the header)
SNIFF_LINES = 50


class CsvReader(Reader):
    """Comma-separated text; every cell is read as text, nothing is inferred.

    The file is read as a grid (title rows included) so that the host can find
    the header row; row ``i`` of the grid is line ``i + 1`` of the file, unless
    a quoted cell spans several lines: then ``RawTable.lines`` gives each row's
    first line as a text editor numbers it. Lines may end in LF, CR LF or CR
    alone (old Mac exports). When the lines are not all equally wide,
    ``RawTable.widths`` gives each row's number of cells.
    """

    name = "csv"
    suffixes = (".csv",)
    separator = ","

    def read(self, path: Path) -> list[RawTable]:
        display = path.name
        check_file_size(path, display)
        ends = LineEnds()
        encoding = detect_encoding(path, display, ends)
        head = head_text(path, encoding)
        eol = _eol(head)
        width, widest, longest = self._sniff(head)
        limits = current_limits()
        if width > limits.max_columns:
            raise _too_wide(display, widest, width)
        with as_utf8(path, encoding) as utf8:
            # a bound taken before polars allocates: lines of at least the longest
            # sniffed line's length would make this many rows
            rows = utf8.stat().st_size // max(longest, 1)
            if rows * width > limits.max_cells:
                raise _too_many_cells(display, rows, width, about=True)
            frame = self._read(utf8, width, eol, display, strict=True)
            widths = None
            if frame is None or not self._uniform(frame, utf8):
                frame, widths = _Widths(self, utf8, eol, display, width).read()
        if frame.height * frame.width > limits.max_cells:
            raise _too_many_cells(display, frame.height, frame.width)
        # columns are lettered as a spreadsheet program shows the file (A, B, …)
        # a cell's line breaks push later lines down: looked for only where the
        # file's line ends say some cell holds one
        multi = ends.last is None or ends.breaks_in_cells(frame.height, eol)
        raw = RawTable(
            frame=frame,
            locator="line",
            first_line=1,
            encoding=encoding,
            sheet_columns=list(range(frame.width)),
            lines=_lines(frame) if multi else None,
            widths=widths,
        )
        check_cells(raw, display)
        return [raw]

    def _read(self, utf8: Path, width: int, eol: str, display: str, *, strict: bool) -> pl.DataFrame | None:
        """The grid at ``width`` columns; ``None`` when ``strict`` and a line is wider."""
        schema = {f"column_{i + 1}": pl.String for i in range(width)}
        try:
            return pl.read_csv(
                utf8,
                has_header=False,
                schema=schema,
                separator=self.separator,
                eol_char=eol,
                # a wider line must not lose its cells: refused, then read wider
                truncate_ragged_lines=not strict,
                # a narrow first line (a title) must not fix the width
                missing_columns="insert",
                encoding="utf8",
            )
        except (pl.exceptions.PolarsError, OSError) as exc:
            if strict and ("more fields" in str(exc) or "not specified in schema" in str(exc)):
                return None  # a line wider than ``width`` (the first one: "extra columns")
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise SubmissionError(
                f"{display} cannot be read as CSV ({detail}). {display} 无法按 CSV 读取。"
            ) from exc

    def _uniform(self, frame: pl.DataFrame, utf8: Path) -> bool:
        """Whether every line has exactly ``frame.width`` cells, none being wider."""
        if frame.height == 0 or frame.get_column(frame.columns[-1]).null_count() == 0:
            return True  # the last cell of every line is there
        counts = ByteCounts(self.separator.encode()).count_file(utf8)
        inside = _separators_in_cells(frame, self.separator) if counts.quotes else 0
        return counts.separators - inside == frame.height * (frame.width - 1)

    def _sniff(self, head: str) -> tuple[int, int, int]:
        """The widest of the first lines: (cells, its line, longest line in characters)."""
        lines = head.splitlines(keepends=True)[:SNIFF_LINES]
        if len(lines) > 1 and not head.endswith(("\n", "\r")):
            lines = lines[:-1]  # the sniffed text may end in the middle of a line
        longest = max((len(line) for line in lines), default=1)
        rows = csv.reader(io.StringIO("".join(lines)), delimiter=self.separator)
        width, widest, start = 1, 1, 1
        try:
            for row in rows:
                if len(row) > width:
                    width, widest = len(row), start
                start = rows.line_num + 1
        except csv.Error:
            counts = [line.count(self.separator) + 1 for line in lines]
            width = max(counts, default=1)
            widest = counts.index(width) + 1 if counts else 1
        return width, widest, longest


class TsvReader(CsvReader):
    """Tab-separated text, as some platforms export under ``.tsv``."""

    name = "tsv"
    suffixes = (".tsv",)
    separator = "\t"


class _Widths:
    """A file whose lines are not all equally wide: read it as wide as its
    widest line and count each record's cells.

    A record's cells are its separators plus one, less the separators inside
    its (quoted) cells: the separators are counted on the file's physical lines
    (read as single strings), a record spanning several lines (a quoted cell
    with line breaks) adds up its lines. Everything is polars, column-wise: a
    million lines cost a fraction of a second. A file that defeats this (a NUL
    byte) is counted by Python's csv module instead.
    """

    def __init__(self, reader: CsvReader, utf8: Path, eol: str, display: str, width: int):
        self.reader, self.utf8, self.eol, self.display, self.width = reader, utf8, eol, display, width
        self.sep = reader.separator

    def read(self) -> tuple[pl.DataFrame, pl.Series | None]:
        try:
            lines = pl.read_csv(
                self.utf8,
                has_header=False,
                separator="\x00",
                quote_char=None,
                eol_char=self.eol,
                schema={"line": pl.String},
                truncate_ragged_lines=False,
                encoding="utf8",
            ).get_column("line")
        except pl.exceptions.PolarsError:
            return self._by_python()
        seps = lines.str.count_matches(self.sep, literal=True).fill_null(0).cast(pl.Int64)
        if seps.len() == 0:
            return self._by_python()
        widest = int(seps.arg_max() or 0)
        width = max(self.width, int(seps[widest]) + 1)
        self._check(width, widest + 1, seps.len())
        frame = self.reader._read(self.utf8, width, self.eol, self.display, strict=True)
        if frame is None:  # a record spanning lines is wider than any one line
            return self._by_python()
        spans = 1 + _count_in_cells(frame, self.eol)
        if int(spans.sum()) != seps.len():
            return self._by_python()
        ends = spans.cum_sum()
        cum = pl.concat([pl.Series([0], dtype=pl.Int64), seps.cum_sum()])
        record_seps = cum.gather(ends) - cum.gather(ends - spans)
        widths = (record_seps - _count_in_cells(frame, self.sep) + 1).cast(pl.Int32)
        return _trim(frame, _widest(widths)), widths.alias("cells")

    def _by_python(self) -> tuple[pl.DataFrame, pl.Series | None]:
        limits = current_limits()
        csv.field_size_limit(max(limits.max_line_chars, limits.max_cell_chars) + 1)
        counted: list[int] = []
        width, widest = self.width, 1
        with self.utf8.open(encoding="utf-8-sig", newline="") as fh:
            rows = csv.reader(fh, delimiter=self.sep)
            start = 1
            try:
                for row in rows:
                    counted.append(max(len(row), 1))
                    if len(row) > width:
                        width, widest = len(row), start
                        self._check(width, widest, None)
                    start = rows.line_num + 1
            except csv.Error as exc:
                raise refuse(
                    f"{self.display}: line {start:,} cannot be read as CSV ({exc})",
                    f"{self.display} 第 {start:,} 行无法按 CSV 读取",
                    "max_line_chars",
                ) from None
        self._check(width, widest, len(counted))
        frame = self.reader._read(self.utf8, width, self.eol, self.display, strict=False)
        assert frame is not None
        if len(counted) != frame.height:  # the two parsers disagree: keep every cell, say nothing
            return frame, None
        widths = pl.Series("cells", counted, dtype=pl.Int32)
        return _trim(frame, _widest(widths)), widths

    def _check(self, width: int, line: int, rows: int | None) -> None:
        limits = current_limits()
        if width > limits.max_columns:
            raise _too_wide(self.display, line, width)
        if rows is not None and rows * width > limits.max_cells:
            raise _too_many_cells(self.display, rows, width, widest=line)


def _eol(head: str) -> str:
    """``"\r"`` for a file whose lines end in a lone CR (old Mac exports), else ``"\n"``
    (LF or CR LF; a lone CR inside a cell then stays in the cell)."""
    crlf = head.count("\r\n")
    return "\r" if head.count("\r") - crlf > head.count("\n") - crlf else "\n"


def _count_in_cells(frame: pl.DataFrame, text: str) -> pl.Series:
    """How often ``text`` occurs in each row's cells."""
    return frame.select(
        pl.sum_horizontal(pl.col(c).str.count_matches(text, literal=True).fill_null(0) for c in frame.columns)
        .cast(pl.Int64)
        .alias("n")
    ).to_series()


def _separators_in_cells(frame: pl.DataFrame, sep: str) -> int:
    sums = frame.select(pl.all().str.count_matches(sep, literal=True).sum()).row(0)
    return int(sum(s or 0 for s in sums))


def _trim(frame: pl.DataFrame, width: int) -> pl.DataFrame:
    """Drop the columns beyond the widest record (read wider as a bound)."""
    width = max(width, 1)
    if frame.width <= width:
        return frame
    return frame.select(frame.columns[:width])


def _too_wide(display: str, line: int, width: int) -> SubmissionError:
    return refuse(
        f"{display}: line {line:,} has {width:,} cells, more than a table may have",
        f"{display} 第 {line:,} 行有 {width:,} 个单元格，超过表格列数的上限",
        "max_columns",
        width,
    )


def _too_many_cells(
    display: str, rows: int, width: int, *, about: bool = False, widest: int | None = None
) -> SubmissionError:
    how = f"about {rows:,}" if about else f"{rows:,}"
    wide = f" (line {widest:,} is that wide)" if widest else ""
    return refuse(
        f"{display}: {how} lines of {width:,} cells{wide} make {rows * width:,} cells, "
        "more than one table may hold in memory",
        f"{display} 约 {rows:,} 行 × {width:,} 列，共 {rows * width:,} 个单元格，超过上限",
        "max_cells",
        rows * width,
    )


def _lines(frame: pl.DataFrame) -> pl.Series | None:
    """Each row's first file line, when some quoted cell spans lines; else ``None``."""
    if frame.height == 0 or frame.width == 0:
        return None
    breaks = pl.sum_horizontal(pl.col(c).str.count_matches(r"\r\n|\r|\n").fill_null(0) for c in frame.columns)
    extra = frame.select(breaks.cast(pl.Int64).alias("n")).to_series()
    if not (extra > 0).any():
        return None
    before = extra.cum_sum().shift(1, fill_value=0)
    return (pl.int_range(1, frame.height + 1, eager=True) + before).alias("line")


def _widest(widths: pl.Series) -> int:
    """The most cells of a record (1 for none)."""
    widest = widths.max()
    return widest if isinstance(widest, int) and widest else 1
