"""JSON documents, parquet files and in-memory objects: tables that already
come as records with named fields."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import SubmissionError
from ..limits import current_limits
from ..safetext import may_hold_surrogates, without_surrogates
from .base import RawTable, Reader
from .bounds import check_cells, check_file_size, refuse
from .text import decode_text


def _too_deep(value: Any, levels: int) -> bool:
    """Whether ``value`` nests arrays and objects more than ``levels`` deep
    (iterative, stopping at the first path that does)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping | list):
            if depth > levels:
                return True
            children = node.values() if isinstance(node, Mapping) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, Mapping | list))
    return False


#: a JSON document nests a cell this deep: {"schools": [{"field": <cell>}]}
_CELL_DEPTH = 3


def cell_text(value: Any) -> str | None:
    """A Python value as the text a clerk would have typed into the cell."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    limit = current_limits().max_json_depth
    if isinstance(value, Mapping | list) and _too_deep(value, max(limit - _CELL_DEPTH, 1)):
        raise refuse(
            f"a cell holds arrays and objects nested more than {limit:,} levels deep",
            f"某个单元格中的数组和对象嵌套超过 {limit:,} 层",
            "max_json_depth",
        )
    return json.dumps(value, ensure_ascii=False, default=str)


def records_table(records: Any, *, name: str | None, where: str) -> RawTable:
    """A list of dicts as a text :class:`RawTable` (header = keys in order of
    first appearance)."""
    if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
        raise SubmissionError(f"{where} must be a list of records (objects with named fields).")
    keys: dict[str, Any] = {}  # header text -> the key as given (first seen wins)
    for record in records:
        for key in record:
            keys.setdefault(str(key), key)
    columns = {
        f"column_{i + 1}": pl.Series([cell_text(r.get(key)) for r in records], dtype=pl.String)
        for i, key in enumerate(keys.values())
    }
    frame = pl.DataFrame(columns, schema={c: pl.String for c in columns}, height=len(records))
    return RawTable(frame=frame, name=name, header=list(keys), locator="record")


def mapping_table(mapping: Mapping[str, Any], *, name: str, where: str) -> RawTable:
    """A key/value mapping (a manifest) as a two-column text table."""
    if not isinstance(mapping, Mapping):
        raise SubmissionError(f"{where} must be an object of key/value pairs.")
    frame = pl.DataFrame(
        {
            "column_1": [str(k) for k in mapping],
            "column_2": [cell_text(v) for v in mapping.values()],
        },
        schema={"column_1": pl.String, "column_2": pl.String},
    )
    return RawTable(frame=frame, name=name, header=["key", "value"], locator="record")


def _is_columns(mapping: Mapping[str, Any]) -> bool:
    """``{"school_id": [...], "students": [...]}``: every value a sequence of
    cells (a list, tuple, polars Series, NumPy or Arrow array), none a scalar."""
    if not mapping:
        return False
    return all(
        isinstance(v, list | tuple | pl.Series)
        or (
            hasattr(v, "__len__")
            and not isinstance(v, str | bytes | Mapping)
            and (hasattr(v, "dtype") or hasattr(v, "to_pylist"))
        )  # NumPy, pandas, Arrow
        for v in mapping.values()
    )


def columns_table(columns: Mapping[str, Any], *, name: str, where: str) -> RawTable:
    """A column-oriented mapping (column -> values) as a :class:`RawTable`;
    every column must have as many values as the first."""
    lengths = {str(k): len(v) for k, v in columns.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k}: {n}" for k, n in lengths.items())
        raise SubmissionError(
            f"{where}: the columns have different numbers of values ({shown}); a table "
            "given as columns needs one value per row in every column."
        )
    data = {}
    for key, values in columns.items():
        if isinstance(values, list | tuple):
            data[str(key)] = pl.Series([cell_text(v) for v in values], dtype=pl.String)
        else:
            data[str(key)] = pl.Series(values)  # a typed array keeps its dtype
    return frame_table(pl.DataFrame(data), name=name, where=where)


def frame_table(frame: Any, *, name: str | None, where: str) -> RawTable:
    """A polars (eager or lazy), pandas, pyarrow or any narwhals-supported data
    frame as a :class:`RawTable`; columns keep their dtype (the host casts what
    does not fit)."""
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if not isinstance(frame, pl.DataFrame):
        import narwhals as nw

        try:
            native = nw.from_native(frame)
            if isinstance(native, nw.LazyFrame):
                native = native.collect()
            frame = native.to_polars()
        except TypeError as exc:
            raise SubmissionError(
                f"{where} is neither a list of records, a mapping of columns nor a data frame "
                f"(it is a {type(frame).__name__})."
            ) from exc
    header = [str(c) for c in frame.columns]
    frame = frame.rename({c: f"column_{i + 1}" for i, c in enumerate(frame.columns)})
    return RawTable(frame=frame, name=name, header=header, locator="record")


def document_tables(document: Any, *, where: str, stem_table: bool) -> list[RawTable]:
    """The tables of a JSON-shaped document: a list of records (one table named
    by the file) or an object ``{"manifest": {...}, "schools": [...], ...}``."""
    if isinstance(document, list) and stem_table:
        return [records_table(document, name=None, where=where)]
    if not isinstance(document, Mapping):
        raise SubmissionError(f"{where} must be an object with one entry per table, or a list of records.")
    tables = []
    for key, value in document.items():
        part = f"{where}: {key!r}"
        if isinstance(value, Mapping) and _is_columns(value):
            tables.append(columns_table(value, name=str(key), where=part))
        elif isinstance(value, Mapping):
            tables.append(mapping_table(value, name=str(key), where=part))
        elif isinstance(value, list):
            tables.append(records_table(value, name=str(key), where=part))
        elif value is None:
            continue
        else:
            tables.append(frame_table(value, name=str(key), where=part))
    return tables


class JsonReader(Reader):
    """A JSON document ``{"manifest": {...}, "schools": [...]}``, or inside a
    folder a file holding one table's list of records."""

    name = "json"
    suffixes = (".json",)

    def read(self, path: Path) -> list[RawTable]:
        # held whole in memory as Python objects: a tighter bound than a CSV's
        check_file_size(path, path.name, "max_json_bytes")
        text, encoding = decode_text(path, path.name)
        limit = current_limits().max_json_depth
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SubmissionError(
                f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
            ) from exc
        except RecursionError:  # deeper than the decoder goes: deeper than the limit too
            raise refuse(
                f"{path.name} nests arrays and objects more than {limit:,} levels deep",
                f"{path.name} 中的数组和对象嵌套超过 {limit:,} 层",
                "max_json_depth",
            ) from None
        if may_hold_surrogates(text):  # "\ud83d\ude00", or a lone "\udc00"
            document = without_surrogates(document)
        del text
        try:
            tables = document_tables(document, where=path.name, stem_table=True)
        except SubmissionError as exc:  # a cell nested too deep: name the file
            if "max_json_depth" not in str(exc):
                raise
            raise SubmissionError(f"{path.name}: {exc}") from None
        tables = [_with_encoding(t, encoding) for t in tables]
        for table in tables:
            check_cells(table, path.name)
        return tables


def _with_encoding(table: RawTable, encoding: str) -> RawTable:
    return replace(table, encoding=encoding)


class ParquetReader(Reader):
    """An Apache Parquet file holding one table; column types are kept."""

    name = "parquet"
    suffixes = (".parquet", ".pq")

    def read(self, path: Path) -> list[RawTable]:
        check_file_size(path, path.name)
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:  # polars raises several kinds for a corrupt file
            raise SubmissionError(f"{path.name} is not a readable Parquet file ({exc}).") from exc
        return [frame_table(frame, name=None, where=path.name)]
