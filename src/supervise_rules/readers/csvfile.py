"""CSV (and TSV) files: UTF-8, UTF-8 with BOM or GB18030, read by polars."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from ..errors import SubmissionError
from .base import RawTable, Reader
from .text import as_utf8, detect_encoding, head_text

#: lines sniffed for the widest row (title rows are narrower than the header)
SNIFF_LINES = 50


class CsvReader(Reader):
    """Comma-separated text; every cell is read as text, nothing is inferred.

    The file is read as a grid (title rows included) so that the host can find
    the header row; row ``i`` of the grid is line ``i + 1`` of the file, unless
    a quoted cell spans several lines: then ``RawTable.lines`` gives each row's
    first line as a text editor numbers it.
    """

    name = "csv"
    suffixes = (".csv",)
    separator = ","

    def read(self, path: Path) -> list[RawTable]:
        display = path.name
        encoding = detect_encoding(path, display)
        width = self._width(head_text(path, encoding))
        schema = {f"column_{i + 1}": pl.String for i in range(width)}
        with as_utf8(path, encoding) as utf8:
            try:
                frame = pl.read_csv(
                    utf8,
                    has_header=False,
                    schema=schema,
                    separator=self.separator,
                    truncate_ragged_lines=True,
                    # a narrow first line (a title) must not fix the width
                    missing_columns="insert",
                    encoding="utf8",
                )
            except (pl.exceptions.PolarsError, OSError) as exc:
                raise SubmissionError(f"{display} cannot be read as CSV: {exc}") from exc
        # columns are lettered as a spreadsheet program shows the file (A, B, …)
        return [RawTable(frame=frame, locator="line", first_line=1, encoding=encoding,
                         sheet_columns=list(range(width)), lines=_lines(frame))]

    def _width(self, head: str) -> int:
        lines = head.splitlines(keepends=True)[:SNIFF_LINES]
        if len(lines) > 1 and not head.endswith(("\n", "\r")):
            lines = lines[:-1]  # the sniffed text may end in the middle of a line
        rows = csv.reader(io.StringIO("".join(lines)), delimiter=self.separator)
        try:
            return max((len(row) for row in rows), default=1) or 1
        except csv.Error:
            return max(line.count(self.separator) + 1 for line in lines)


class TsvReader(CsvReader):
    """Tab-separated text, as some platforms export under ``.tsv``."""

    name = "tsv"
    suffixes = (".tsv",)
    separator = "\t"


def _lines(frame: pl.DataFrame) -> pl.Series | None:
    """Each row's first file line, when some quoted cell spans lines; else ``None``."""
    if frame.height == 0 or frame.width == 0:
        return None
    breaks = pl.sum_horizontal(
        pl.col(c).str.count_matches(r"\r\n|\r|\n").fill_null(0) for c in frame.columns
    )
    extra = frame.select(breaks.cast(pl.Int64).alias("n")).to_series()
    if not (extra > 0).any():
        return None
    before = extra.cum_sum().shift(1, fill_value=0)
    return (pl.int_range(1, frame.height + 1, eager=True) + before).alias("line")
