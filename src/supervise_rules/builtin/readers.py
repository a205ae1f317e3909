"""Built-in readers, contributed through the ``register_readers`` hook exactly
as a third-party plugin would add, say, a platform's own export layout."""

from __future__ import annotations

from supervise_rules import Reader, hookimpl

from ..readers.csvfile import CsvReader, TsvReader
from ..readers.duckdbfile import DuckDBFileReader
from ..readers.excel import ExcelReader
from ..readers.records import JsonReader, ParquetReader


@hookimpl
def register_readers() -> list[Reader]:
    return [CsvReader(), TsvReader(), ExcelReader(), JsonReader(), ParquetReader(), DuckDBFileReader()]
