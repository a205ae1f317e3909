"""The submission as the engine sees it: a manifest and typed tables.

Readers (``supervise_rules.readers``) produce a :class:`Submission` from a
folder, workbook, JSON document or in-memory objects; the engine only ever sees
this model. Every table frame carries a ``__row__`` column: the 1-based data row
number in the table as submitted (header excluded), which findings cite as
``evidence.rows``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from .models import Finding, InputFile
from .tables import Manifest

ROW = "__row__"


class Table(BaseModel):
    """One table of the submission, typed per the data contract."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    name: str
    frame: Any = Field(description="a polars DataFrame, or any narwhals-compatible frame")
    source: str | None = Field(default=None, description="file (and sheet) it came from")
    headers: dict[str, str] = Field(
        default_factory=dict, description="contract column -> header as written in the file"
    )
    header_line: int = Field(
        default=1,
        description="the line (or sheet row) of the header, so file line = header_line + __row__",
    )

    file: str | None = Field(default=None, description="the file as the clerk knows it")
    sheet: str | None = Field(default=None, description="the sheet (or JSON key) within the file")
    locator: str = Field(
        default="line", description="how rows are numbered: 'line' (text), 'row' (sheet), 'record'"
    )
    lines: Any = Field(
        default=None,
        description="a polars frame (__row__, __line__) giving each data row's file line or "
        "sheet row where it is not header_line + __row__ (a CSV cell spanning lines); "
        "None when it is",
    )
    letters: dict[str, str] = Field(
        default_factory=dict, description="column -> sheet column letter (H), for cell references"
    )
    unreadable: dict[str, Any] = Field(
        default_factory=dict,
        description="column -> polars frame (__row__, raw[, why_zh, why_en]): cells that "
        "held a value that could not be read (READ-01; why_* null or absent) or one outside "
        "the column's plausible range (READ-16; why_* say what it should have been); they "
        "are null in ``frame``, so every rule needing them is an error saying what they held",
    )

    def header(self, column: str) -> str:
        """The column's header as the user wrote it (Chinese if they used Chinese)."""
        return self.headers.get(column, column)

    def file_line(self, row: int) -> int:
        return self.header_line + row


class Submission(BaseModel):
    """A submission as read: the manifest, its typed tables, the files read (with
    SHA-256) and the readers' problems (READ-xx findings)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    manifest: Manifest = Field(default_factory=Manifest)
    tables: dict[str, Table] = Field(default_factory=dict)
    source: str | None = None
    encodings: dict[str, str] = Field(default_factory=dict, description="file -> detected text encoding")
    files: list[InputFile] = Field(
        default_factory=list,
        description="every file read (path relative to the submission, SHA-256, size), by path",
    )
    problems: list[Finding] = Field(
        default_factory=list, description="READ-xx findings: cells that could not be read"
    )
    #: the backend whose engine holds the tables' frames when they were read where
    #: they live (``load_submission(..., backend="duckdb")``): ``check`` runs on it
    _backend: Any = PrivateAttr(default=None)

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)
