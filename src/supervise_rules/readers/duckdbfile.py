"""DuckDB database files (``.duckdb``): one table of the contract per database table.

The database's table names are the tables' names (``schools``, ``学校`` …, as a
workbook's sheet names are); a table named ``submission`` (or ``说明``,
``manifest``) is the manifest, as key/value rows: its first column the keys,
its second the values. Without one, a ``submission.yaml`` next to the file is
the manifest (see :func:`~supervise_rules.readers.load_submission`).

This reader hands each table to the polars readers (the ``polars`` backend, and
the fallback of the ``duckdb`` backend's native path); ``--backend duckdb`` scans
the tables where they are instead (:mod:`supervise_rules.readers.duckdb_native`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import SubmissionError
from .base import RawTable, Reader
from .bounds import check_cells, check_file_size
from .records import frame_table


def connect_read_only(path: Path, display: str) -> Any:
    """A read-only connection to the database file, or :class:`SubmissionError`
    saying why it cannot be opened (no DuckDB, not a database, a newer format)."""
    try:
        import duckdb
    except ImportError as exc:
        raise SubmissionError(
            f"{display}: reading a DuckDB database needs DuckDB: pip install duckdb"
        ) from exc
    try:
        return duckdb.connect(str(path), read_only=True)
    except Exception as exc:  # duckdb raises IOException, InvalidInputException …
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SubmissionError(
            f"{display} is not a readable DuckDB database ({detail}). {display} 不是可读取的 DuckDB 数据库。"
        ) from exc


def table_names(con: Any, display: str) -> list[str]:
    """The base tables of the database's main schema, by name."""
    try:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
        ).fetchall()
    except Exception as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SubmissionError(f"{display} is not a readable DuckDB database ({detail}).") from exc
    return [r[0] for r in rows]


def quoted(name: str) -> str:
    """An SQL identifier for any table or column name."""
    return '"' + name.replace('"', '""') + '"'


def read_table(con: Any, table: str, display: str) -> RawTable:
    """One database table as records, in the order of its rows (``rowid``)."""
    try:
        frame = con.sql(f"SELECT * FROM {quoted(table)} ORDER BY rowid").pl()
    except Exception as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SubmissionError(f"{display}: table {table!r} cannot be read ({detail}).") from exc
    raw = frame_table(frame, name=table, where=f"{display}: {table!r}")
    check_cells(raw, display)
    return raw


class DuckDBFileReader(Reader):
    """A DuckDB database file: each base table of its main schema is a table."""

    name = "duckdb"
    suffixes = (".duckdb",)

    def read(self, path: Path) -> list[RawTable]:
        display = path.name
        check_file_size(path, display)
        con = connect_read_only(path, display)
        try:
            return [read_table(con, t, display) for t in table_names(con, display)]
        finally:
            con.close()
