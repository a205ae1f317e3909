"""The reader plugin interface: a file in, raw cells out.

A :class:`Reader` knows one file format and nothing of the data contract. It
returns :class:`RawTable` objects (a CSV gives one, a workbook one per sheet)
whose cells are still text as written, together with where each cell sits in
the file. The host (:mod:`supervise_rules.readers.load`) then finds the header
row, matches headers to contract columns, normalizes values column-wise and
locates every problem to its cell, identically for every format.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

import polars as pl

#: How a location is shown to the user: a text file's line, a sheet's row (and
#: cell such as ``C7``), or the n-th record of a JSON array or data frame.
Locator = Literal["line", "row", "record"]


@dataclass(frozen=True, eq=False)
class RawTable:
    """One table as a reader found it.

    Two shapes are possible:

    * a **grid** (``header is None``): every row of the sheet or text file,
      header and title rows included, as ``pl.String`` columns with positional
      names; row ``i`` of ``frame`` is line/row ``first_line + i`` of the file.
      The host detects the header row.
    * **records** (``header`` given): ``frame`` holds data rows only, one
      column per entry of ``header`` (same order); record ``i`` is the
      ``i + 1``-th data row. Columns may keep a native dtype (parquet, data
      frames); the host casts what does not already fit.
    """

    frame: pl.DataFrame
    #: sheet name or JSON key; ``None`` when the file itself is the table
    #: (its stem then names the table).
    name: str | None = None
    header: list[str] | None = None
    locator: Locator = "line"
    #: file line / sheet row of ``frame``'s first row (grids only)
    first_line: int = 1
    #: 0-based sheet column of each frame column, for cell references like C7
    sheet_columns: list[int] | None = None
    #: the file line of each grid row where it is not ``first_line + i``: a
    #: quoted CSV cell spanning lines pushes every later row down (grids only)
    lines: pl.Series | None = None
    #: the number of cells of each grid row as written, where the rows of a text
    #: file are not all equally wide (grids only; ``None``: every row is as wide
    #: as the frame). The host compares them with the header's (READ-15).
    widths: pl.Series | None = None
    #: text encoding the reader detected ('utf-8', 'utf-8-sig', 'gb18030')
    encoding: str | None = None
    #: a sheet the user does not see: ``"hidden"`` (Format > Unhide shows it) or
    #: ``"veryhidden"`` (only VBA shows it); ``None`` for a visible sheet. The host
    #: reads a hidden sheet only when its name is a contract table or the
    #: manifest, and reports every hidden sheet (READ-13).
    hidden: Literal["hidden", "veryhidden"] | None = None
    #: anything else a reader wants to pass on (not used by the host)
    extra: dict[str, object] = field(default_factory=dict)


class Reader(ABC):
    """Read one file format into :class:`RawTable` objects.

    Subclass, set ``name`` and ``suffixes`` and implement :meth:`read`; return
    an instance from a ``register_readers`` hookimpl. A reader must not modify
    the file and must not leave it open. It raises
    :class:`~supervise_rules.errors.SubmissionError` with one sentence naming
    the file when the file cannot be read at all.
    """

    #: unique reader name, e.g. ``"csv"``
    name: ClassVar[str]
    #: lower-case file suffixes with the dot, e.g. ``(".csv",)``
    suffixes: ClassVar[tuple[str, ...]]

    @abstractmethod
    def read(self, path: Path) -> list[RawTable]:
        """Read ``path`` into its tables (a workbook gives one per sheet)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {' '.join(self.suffixes)}>"


__all__ = ["Locator", "RawTable", "Reader"]
