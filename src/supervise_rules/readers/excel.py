"""Excel workbooks through fastexcel (Rust calamine); see ``docs/readers.md``
for why not openpyxl."""

from __future__ import annotations

from pathlib import Path

import fastexcel
import polars as pl

from ..errors import SubmissionError
from .base import RawTable, Reader


class ExcelReader(Reader):
    """Every non-empty sheet as a grid of text cells.

    Hidden and very hidden sheets are read too and marked
    (``RawTable.hidden``): the host decides whether to use them and reports
    them. Empty sheets (``Sheet2`` of a default workbook) hold nothing and are
    left out.

    The file is read into memory once and handed to calamine as bytes, so no
    handle stays open. Cells are converted to text by calamine (``1234`` for
    an integral number, ``2024-03-01 00:00:00`` for a date cell, ``true`` for a
    boolean); the host normalizes them like any CSV cell. Grid rows are sheet
    rows from row 1; ``sheet_columns`` keeps each column's letter position.
    """

    name = "excel"
    suffixes = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")

    def read(self, path: Path) -> list[RawTable]:
        data = path.read_bytes()
        if not data:
            raise SubmissionError(f"{path.name} is empty.")
        try:
            book = fastexcel.read_excel(data)
        except Exception as exc:  # calamine reports every corruption differently
            raise SubmissionError(
                f"{path.name} is not a readable Excel workbook ({_first_line(exc)})."
            ) from exc
        tables = []
        for sheet_name in book.sheet_names:
            try:
                sheet = book.load_sheet(
                    sheet_name, header_row=None, skip_rows=0, dtypes="string"
                )
                if sheet.width == 0:
                    continue
                columns = [c.absolute_index for c in sheet.available_columns()]
                frame = sheet.to_polars()
            except Exception as exc:
                raise SubmissionError(
                    f"{path.name}: sheet {sheet_name!r} cannot be read ({_first_line(exc)})."
                ) from exc
            if frame.height == 0:
                continue
            frame = frame.rename({c: f"column_{i + 1}" for i, c in enumerate(frame.columns)})
            tables.append(
                RawTable(
                    frame=frame.cast(pl.String),
                    name=sheet_name,
                    locator="row",
                    first_line=1,
                    sheet_columns=columns,
                    hidden=None if sheet.visible == "visible" else sheet.visible,
                )
            )
        return tables


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
