"""The ``duckdb`` backend's reading path: tables typed where they live.

With ``--backend duckdb`` a folder's CSV and parquet files and the tables of a
``.duckdb`` database are not read into polars: DuckDB scans them
(``read_csv``, ``read_parquet``, the database's tables), and each table of the
submission is a DuckDB view (parquet, database tables: scanned again by every
query, so a set larger than memory can be checked) or a DuckDB table (CSV:
parsed once). The rules then run on those relations.

The result must be the polars readers' to the byte, so this module reuses
their decisions instead of re-implementing them:

* the header is matched by the same functions (:mod:`.headers`), with the same
  READ-02/03/04 findings;
* every cell is typed by an SQL *fast path* that is stricter than polars' (a
  plain integer, a plain decimal, an ISO date, an exact code or yes/no); a cell
  it leaves untyped is fetched, with its row, and typed by the polars readers'
  own full path (:func:`.normalize.clean` + :func:`.normalize.convert`): the
  fixes go back into DuckDB as a small table joined on ``__row__``. A file of
  clean cells moves none of its rows into Python; the READ-01 findings are the
  polars readers' own;
* values outside their column's range are found by one SQL aggregate and, for
  a stray column only, fetched and checked by :func:`.plausible.check_ranges`
  (READ-16).

Where a reader feature needs the whole table in hand, the table is read by the
polars readers instead and handed to DuckDB through Arrow, exactly as before:
a CSV that is not UTF-8, whose header is not its first line, whose lines are
not all as wide or whose cells hold line breaks; a header with a unit to
convert (``万元``, ``（%）``); rows that are not data (totals, notes, blank or
repeated header rows); a cell or line over the limits (the polars reader then
refuses it in its own words); a column type DuckDB and polars would render
differently as text (floating point read as text). ``docs/backends.md`` lists
them.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..limits import current_limits
from ..models import Finding
from ..submission import Table
from ..tables import TableSpec
from .assemble import (
    HEADER_SCAN,
    Lines,
    choose_columns,
    column_cell_findings,
    detect_header,
    missing_key_findings,
    row_subjects,
    table_source,
)
from .base import RawTable, Reader
from .bounds import check_file_size
from .duckdbfile import connect_read_only, quoted, read_table, table_names
from .normalize import (
    DTYPES,
    ROW,
    YEARS,
    BadCells,
    bool_values,
    clean,
    convert,
    enum_values,
)
from .plausible import check_ranges, merge_unreadable, percent_scales, range_findings, range_limits
from .problems import Place
from .records import frame_table
from .rows import PREFILTER, header_forms, non_data_rows
from .text import LineEnds, detect_encoding, head_text

#: key of :attr:`RawTable.extra` holding a table's :class:`Scan`
NATIVE = "duckdb_native"

#: Unicode whitespace (what ``\s`` matches in polars' regexes; RE2's ``\s`` is ASCII only)
_WS = r"\t\n\x{0b}\f\r \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
#: readers/normalize.py's _TEXT_NEEDS_CLEANING, in RE2
_NEEDS_CLEANING = (
    rf"^$|^[{_WS}]|[{_WS}]$|[\x{{200b}}\x{{200c}}\x{{200d}}\x{{feff}}\x{{3000}}"
    r"\x{ff10}-\x{ff19}\x{ff21}-\x{ff3a}\x{ff41}-\x{ff5a}]"
)
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
_NUMERIC_TYPES = _INTEGER_TYPES | {"FLOAT", "DOUBLE", "UBIGINT", "HUGEINT"}
#: types whose text DuckDB writes as polars does (integers, yes/no as true/false, ISO dates)
_AS_TEXT_TYPES = _INTEGER_TYPES | {"VARCHAR", "BOOLEAN", "DATE"}
_SQL_TYPES = {"str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "ratio": "DOUBLE"}
_SQL_TYPES |= {"bool": "BOOLEAN", "date": "DATE", "enum": "VARCHAR"}


class Fallback(Exception):
    """This table needs a reader feature the native path does not have: the
    polars readers read it (the message says which, for the debug log)."""


@dataclass
class Scan:
    """A table as DuckDB sees it before typing: ``source`` is an SQL relation
    (a table or view name) whose columns are ``columns`` (positional) and
    ``__row__`` (1-based data row); ``types`` are their DuckDB types."""

    source: str
    columns: list[str]
    types: list[str]
    #: the polars readers' :class:`RawTable` of the same table (the fallback)
    fallback: Callable[[], RawTable]
    #: a temporary table behind ``source`` (a CSV's cells), dropped once typed
    grid: str | None = None


class NativeScanner:
    """Reads CSV, parquet and ``.duckdb`` tables into one DuckDB connection.

    Made by :meth:`supervise_rules.DuckDBBackend.scanner`; the tables'
    relations live on the backend's connection, so the rules' queries can join
    them."""

    def __init__(self, con: Any):
        self.con = con
        self._names = itertools.count()
        #: tables read by the polars readers instead, with why (for docs and tests)
        self.fell_back: dict[str, str] = {}

    # --- reading: a file to RawTables carrying their Scan ----------------------------

    def read(self, path: Path, display: str, reader: Reader) -> list[RawTable] | None:
        """The file's tables as scans, or ``None`` for the polars reader to read it."""
        if reader.name == "parquet":
            raw = self._parquet(path, display, reader)
            return None if raw is None else [raw]
        if reader.name == "csv":
            return self._csv(path, display, reader)
        if reader.name == "duckdb":
            return self._database(path, display)
        return None

    def _exec(self, sql: str) -> list[tuple[Any, ...]]:
        """Run ``sql`` to its end (DuckDB refuses the next query while a result is open)."""
        rows: list[tuple[Any, ...]] = self.con.execute(sql).fetchall()
        return rows

    def _name(self, stem: str) -> str:
        return f"__sr_{stem}_{next(self._names)}"

    def _describe(self, relation: str) -> tuple[list[str], list[str]]:
        rows = self._exec(f"DESCRIBE SELECT * FROM {relation}")
        return [r[0] for r in rows], [str(r[1]) for r in rows]

    def _parquet(self, path: Path, display: str, reader: Reader) -> RawTable | None:
        check_file_size(path, display)
        literal = _literal(str(path))
        try:
            names, types = self._describe(f"read_parquet({literal})")
        except Exception:  # not parquet after all: the polars reader says so in its words
            return None
        view = self._name("parquet")
        cols = [f"column_{i + 1}" for i in range(len(names))]
        select = ", ".join(f"{quoted(n)} AS {c}" for n, c in zip(names, cols, strict=True))
        self._exec(
            f"CREATE TEMP VIEW {view} AS SELECT {select}, CAST(file_row_number + 1 AS BIGINT) AS {ROW} "
            f"FROM read_parquet({literal}, file_row_number = true)"
        )
        scan = Scan(view, cols, types, lambda: reader.read(path)[0])
        return RawTable(frame=self._head(view, cols), header=names, locator="record", extra={NATIVE: scan})

    def _head(self, relation: str, cols: list[str]) -> pl.DataFrame:
        """The first rows, for what the host looks at before typing (an empty table)."""
        if not cols:
            return pl.DataFrame()
        frame: pl.DataFrame = self.con.sql(
            f"SELECT {', '.join(cols)} FROM {relation} LIMIT {HEADER_SCAN}"
        ).pl()
        return frame.select(pl.all().cast(pl.String))

    def _database(self, path: Path, display: str) -> list[RawTable]:
        check_file_size(path, display)
        from .load import is_manifest

        own = connect_read_only(path, display)  # a corrupt file: the polars reader's words
        try:
            names = table_names(own, display)
            # the manifest is small, and built by the host from polars
            manifests = [read_table(own, t, display) for t in names if is_manifest(t)]
        finally:
            own.close()
        alias = self._name("db")
        self._exec(f"ATTACH {_literal(str(path))} AS {alias} (READ_ONLY)")
        out = list(manifests)
        for table in names:
            if is_manifest(table):
                continue
            source = f"{alias}.main.{quoted(table)}"
            names_, types = self._describe(source)
            cols = [f"column_{i + 1}" for i in range(len(names_))]
            select = ", ".join(f"{quoted(n)} AS {c}" for n, c in zip(names_, cols, strict=True))
            view = self._name("table")
            self._exec(
                f"CREATE TEMP VIEW {view} AS SELECT {select}, "
                f"CAST(row_number() OVER (ORDER BY rowid) AS BIGINT) AS {ROW} FROM {source}"
            )

            def fallback(table: str = table, source: str = source) -> RawTable:
                frame = self.con.sql(f"SELECT * FROM {source} ORDER BY rowid").pl()
                return frame_table(frame, name=table, where=f"{display}: {table!r}")

            scan = Scan(view, cols, types, fallback)
            out.append(
                RawTable(
                    frame=self._head(view, cols),
                    name=table,
                    header=names_,
                    locator="record",
                    extra={NATIVE: scan},
                )
            )
        return out

    def _csv(self, path: Path, display: str, reader: Reader) -> list[RawTable] | None:
        check_file_size(path, display)
        ends = LineEnds()
        encoding = detect_encoding(path, display, ends)
        if encoding not in ("utf-8", "utf-8-sig"):
            return None
        head = head_text(path, encoding)
        if "\r" in head.replace("\r\n", ""):
            return None  # lone CRs: the polars reader knows which are line ends
        width, _, _ = reader._sniff(head)  # type: ignore[attr-defined]
        if width > current_limits().max_columns:
            return None
        cols = [f"column_{i + 1}" for i in range(width)]
        table = self._name("csv")
        columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
        try:
            # strict: a line wider or narrower than the first lines, a stray
            # quote, bytes that are not UTF-8: the polars reader's case
            self._exec(
                f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv({_literal(str(path))}, "
                f"columns = {columns}, header = false, auto_detect = false, delim = ',', quote = '\"', "
                "escape = '\"', strict_mode = true, null_padding = false)"
            )
        except Exception:
            return None
        height = self._exec(f"SELECT count(*) FROM {table}")[0][0]
        if ends.last is None or ends.breaks_in_cells(height, "\n"):
            self._exec(f"DROP TABLE {table}")
            return None  # a cell holding a line break: lines move, the polars reader numbers them
        limits = current_limits()
        if height * width > limits.max_cells or not self._within_cell_limits(table, cols):
            self._exec(f"DROP TABLE {table}")
            return None
        head_frame = self.con.sql(f"SELECT * FROM {table} ORDER BY rowid LIMIT {HEADER_SCAN}").pl()
        view = self._name("rows")
        # row i of the grid (rowid i) is line i + 1; the first is the header: data row i is rowid i
        self._exec(
            f"CREATE TEMP VIEW {view} AS SELECT {', '.join(cols)}, CAST(rowid AS BIGINT) AS {ROW} "
            f"FROM {table} WHERE rowid > 0"
        )
        scan = Scan(view, cols, ["VARCHAR"] * width, lambda: reader.read(path)[0], grid=table)
        raw = RawTable(
            frame=head_frame,
            locator="line",
            first_line=1,
            encoding=encoding,
            sheet_columns=list(range(width)),
            extra={NATIVE: scan},
        )
        return [raw]

    def _within_cell_limits(self, table: str, cols: list[str]) -> bool:
        limits = current_limits()
        longest = self._exec(f"SELECT {', '.join(f'max(strlen({c}))' for c in cols)} FROM {table}")[0]
        if any(n is not None and n > limits.max_cell_chars for n in longest):
            return False
        return sum(n or 0 for n in longest) + len(cols) <= limits.max_line_chars

    # --- typing: a Scan to a Table -----------------------------------------------------

    def build(
        self, raw: RawTable, spec: TableSpec, place: Place, as_of: _dt.date | None
    ) -> tuple[Table, list[Finding]] | None:
        """The typed table on DuckDB and its READ-xx findings, or ``None`` when
        the polars readers must read it (:class:`Fallback`)."""
        scan: Scan = raw.extra[NATIVE]  # type: ignore[assignment]
        try:
            return _Typing(self, raw, scan, spec, place, as_of).run()
        except Fallback as why:
            self.fell_back[place.table()[1]] = str(why)
            return None


class _Typing:
    """One table's typing (one instance per table)."""

    def __init__(
        self, scanner: NativeScanner, raw: RawTable, scan: Scan, spec: TableSpec, place: Place, as_of: Any
    ):
        self.s, self.con, self.raw, self.scan = scanner, scanner.con, raw, scan
        self.spec, self.place, self.as_of = spec, place, as_of

    def sql(self, query: str) -> Any:
        return self.con.sql(query)

    def run(self) -> tuple[Table, list[Finding]]:
        raw, scan, spec, place = self.raw, self.scan, self.spec, self.place
        if raw.header is None:  # a CSV grid: the header must be its first line
            index, header = detect_header(raw.frame, spec, place)
            if index != 0:
                raise Fallback("the header is not the first line")
            header_line = raw.first_line
        else:
            header, header_line = list(raw.header), 0
        surrogate = RawTable(
            frame=pl.DataFrame(schema={c: pl.String for c in scan.columns}),
            header=raw.header,
            sheet_columns=raw.sheet_columns,
            locator=raw.locator,
        )
        cols = choose_columns(surrogate, self._emptiness(header), header, spec, place, header_line)
        if cols.scales or percent_scales(cols.specs, cols.scales):
            raise Fallback("a header gives a unit to convert")
        types = dict(zip(scan.columns, scan.types, strict=True))
        raws = {name: c for c, name in cols.select.items()}  # final name -> scan column
        dtypes = {name: types[c] for name, c in raws.items()}
        self._no_rows_that_are_not_data(raws, cols.specs, cols.headers, dtypes)
        typed_view, bad = self._typed(raws, cols.specs, dtypes)
        if self.typed_from_text and not self.in_table:
            # a view with the full path's fixes joined in: typed once, not by every query
            name = self.s._name("typed_table")
            self.s._exec(f"CREATE TEMP TABLE {name} AS SELECT * FROM {typed_view}")
            typed_view = name
        contract = [c for c in spec.columns if c in cols.specs]
        unknown = [c for c, s in cols.specs.items() if s is None]
        order = [*contract, *unknown]
        # values out of range: nulled by a view over the typed table (a CASE on the
        # few columns that have any)
        final, implausible = self._ranges(typed_view, order, raws, cols.specs, dtypes)
        if scan.grid is not None:
            self.s._exec(f"DROP TABLE {scan.grid}")  # the cells as read are not read again
        problems = cols.problems
        if header:
            problems += missing_key_findings(spec, cols, place, header_line)
        lines = Lines(header_line, None)
        rows = sorted({r for b in [*bad, *implausible] for r in b.frame.get_column(ROW).to_list()})
        typed_rows = self._rows_of(final, order, rows)
        problems += column_cell_findings(bad, typed_rows, spec, cols, place, lines)
        problems += range_findings(
            implausible,
            spec,
            place,
            cols.headers,
            cols.letters,
            lines.of,
            row_subjects(implausible, typed_rows, spec),
            None,
        )
        table = Table(
            name=spec.name,
            frame=self.sql(f"SELECT * FROM {final}"),
            source=table_source(place),
            headers={c: cols.headers[c] for c in order},
            header_line=header_line,
            file=place.file,
            sheet=place.part,
            locator=place.locator,
            lines=None,
            letters=dict(cols.letters),
            unreadable=merge_unreadable(
                {b.column: b.frame.rename({b.column: "raw"}) for b in bad}, implausible
            ),
        )
        return table, problems

    def _emptiness(self, header: list[Any]) -> pl.DataFrame:
        """A stand-in for the data :func:`choose_columns` looks at: one row, null
        in the columns without any value (only asked about a blank header)."""
        cols = self.scan.columns
        blank = [c for c, h in zip(cols, header, strict=False) if h is None or not str(h).strip()]
        filled = set(cols) - set(blank)
        if blank:
            counts = self.s._exec(
                f"SELECT {', '.join(f'count({c})' for c in blank)} FROM {self.scan.source}"
            )[0]
            filled |= {c for c, n in zip(blank, counts, strict=True) if n}
        return pl.DataFrame(
            {c: ["x" if c in filled else None] for c in cols}, schema={c: pl.String for c in cols}
        )

    def _no_rows_that_are_not_data(
        self, raws: dict[str, str], specs: dict[str, Any], headers: dict[str, str], dtypes: dict[str, str]
    ) -> None:
        """Fallback when a row may be a total, a note, a repeated header or blank:
        the same prefilter as :func:`.rows.non_data_rows`, in SQL; its few
        candidates are classified by that function itself."""
        names = list(raws)
        if not names:
            return
        textual = [n for n in names if specs[n] is None or specs[n].kind == "str"]
        scanned = list(dict.fromkeys([names[0], *textual]))
        forms = header_forms(specs, headers)
        tests = []
        for n in scanned:
            text = f"CAST({raws[n]} AS VARCHAR)"
            listed = ", ".join(_literal(f) for f in forms[n])
            tests.append(
                f"coalesce(regexp_matches({text}, {_literal(PREFILTER)}) OR {text} IN ({listed}), false)"
            )
        # as the polars prefilter: a row whose scanned cells are all blank is a candidate too
        tests.append("(" + " AND ".join(f"{raws[n]} IS NULL" for n in scanned) + ")")
        candidate = " OR ".join(tests)
        # a row of blanks (in any reader: null, or text the cleaning empties) is not data either
        blank = " AND ".join(
            f"({raws[n]} IS NULL OR regexp_full_match(CAST({raws[n]} AS VARCHAR), {_literal(_BLANK)}))"
            for n in names
        )
        subset = self.sql(
            f"SELECT {ROW}, {', '.join(f'{raws[n]} AS {quoted(n)}' for n in names)}, ({blank}) AS __blank__ "
            f"FROM {self.scan.source} WHERE ({candidate}) OR ({blank}) LIMIT 10000"
        ).pl()
        if subset.height == 0:
            return
        if subset.get_column("__blank__").any():
            raise Fallback("a blank row")
        found = non_data_rows(subset.drop("__blank__"), specs, headers)
        if found.frame.height:
            raise Fallback("rows that are not data (totals, notes, repeated headers)")
        if subset.height == 10000:
            raise Fallback("too many rows that may not be data")

    def _typed(
        self, raws: dict[str, str], specs: dict[str, Any], dtypes: dict[str, str]
    ) -> tuple[str, list[BadCells]]:
        """A view of the typed columns (fast path, then the full path's fixes)."""
        outputs: dict[str, str] = {}
        slow: dict[str, tuple[str, str]] = {}  # name -> (text expression, flag expression)
        self.typed_from_text = False
        for name, c in raws.items():
            spec, dtype = specs[name], dtypes[name]
            direct = _direct(c, dtype, spec.kind) if spec is not None else None
            if direct is not None:
                outputs[name] = direct
                continue
            if dtype not in _AS_TEXT_TYPES:
                raise Fallback(f"column {name} is {dtype}, read as text")
            text = c if dtype == "VARCHAR" else f"CAST({c} AS VARCHAR)"
            if spec is None or spec.kind == "str":
                outputs[name] = text
                slow[name] = (text, f"regexp_matches({text}, {_literal(_NEEDS_CLEANING)})")
            else:
                fast = _fast(text, spec)
                outputs[name] = f"CAST({fast} AS {_SQL_TYPES[spec.kind]})"
                self.typed_from_text = True
                slow[name] = (text, f"({text} IS NOT NULL AND ({fast}) IS NULL)")
        # typed once into a table when cells are typed from text: otherwise the range
        # check and every rule's query would type every cell again (and a CSV is
        # parsed once anyway); DuckDB spills a table larger than memory to its
        # temporary directory. A parquet or database table of the contract's types
        # stays a view: each query scans only the columns it reads
        self.in_table = self.scan.grid is not None or self.typed_from_text
        if self.in_table:
            return self._typed_table(raws, specs, outputs, slow)
        flags = {}
        if slow:
            row = self.s._exec(
                f"SELECT {', '.join(f'coalesce(bool_or({flag}), false)' for _, flag in slow.values())} "
                f"FROM {self.scan.source}"
            )[0]
            flags = {n: f for n, f in zip(slow, row, strict=True)}
        joins: list[str] = []
        bad: list[Any] = []
        selects = [f"s.{ROW}"]
        for i, name in enumerate(raws):
            if not flags.get(name):
                selects.append(f"{outputs[name]} AS {quoted(name)}")
                continue
            text, flag = slow[name]
            cells = self.sql(
                f"SELECT {ROW}, {raws[name]} AS raw, {text} AS text FROM {self.scan.source} "
                f"WHERE {flag} ORDER BY {ROW}"
            ).pl()
            fixes = self._full_path(name, specs[name], cells, bad)
            joins.append(f"LEFT JOIN {fixes} f{i} ON f{i}.{ROW} = s.{ROW}")
            self.typed_from_text = True  # then kept in a table (see run)
            selects.append(
                f"CASE WHEN f{i}.{ROW} IS NULL THEN {outputs[name]} "
                f"ELSE CAST(f{i}.value AS {_sql_type(specs[name])}) END AS {quoted(name)}"
            )
        view = self.s._name("typed")
        # rows of blanks are gone (fallback), so every data row is kept, in row order
        joined = " ".join(joins)
        self.s._exec(
            f"CREATE TEMP VIEW {view} AS SELECT {', '.join(selects)} FROM {self.scan.source} s {joined}"
        )
        bad.sort(key=lambda b: list(raws).index(b.column))
        return view, bad

    def _typed_table(
        self,
        raws: dict[str, str],
        specs: dict[str, Any],
        outputs: dict[str, str],
        slow: dict[str, tuple[str, str]],
    ) -> tuple[str, list[BadCells]]:
        """As :meth:`_typed`, into a table, in one pass over the cells: the fast
        path's values and each cell's flag are written together, the flagged cells
        are then fetched, typed by the full path and updated in place."""
        table = self.s._name("typed_table")
        flag_of = {name: f"__slow_{i}" for i, name in enumerate(slow)}
        columns = [f"s.{ROW}", *(f"{outputs[n]} AS {quoted(n)}" for n in raws)]
        columns += [f"coalesce({slow[n][1]}, false) AS {flag_of[n]}" for n in slow]
        self.s._exec(f"CREATE TEMP TABLE {table} AS SELECT {', '.join(columns)} FROM {self.scan.source} s")
        bad: list[BadCells] = []
        if not slow:
            return table, bad
        row = self.s._exec(f"SELECT {', '.join(f'bool_or({f})' for f in flag_of.values())} FROM {table}")[0]
        for name, flagged in zip(slow, row, strict=True):
            if not flagged:
                continue
            text, _ = slow[name]
            cells = self.sql(
                f"SELECT s.{ROW} AS {ROW}, {raws[name]} AS raw, {text} AS text FROM {self.scan.source} s "
                f"SEMI JOIN (SELECT {ROW} FROM {table} WHERE {flag_of[name]}) f ON f.{ROW} = s.{ROW} "
                f"ORDER BY s.{ROW}"
            ).pl()
            fixes = self._full_path(name, specs[name], cells, bad)
            self.s._exec(
                f"UPDATE {table} SET {quoted(name)} = CAST(f.value AS {_sql_type(specs[name])}) "
                f"FROM {fixes} f WHERE {table}.{ROW} = f.{ROW}"
            )
        for flag in flag_of.values():
            self.s._exec(f"ALTER TABLE {table} DROP COLUMN {flag}")
        bad.sort(key=lambda b: list(raws).index(b.column))
        return table, bad

    def _full_path(self, name: str, spec: Any, cells: pl.DataFrame, bad: list[BadCells]) -> str:
        """The polars readers' full path on the cells the fast path left (``cells``:
        ``__row__``, ``raw``, ``text``): a DuckDB table of their values (``__row__``,
        ``value``); the cells it cannot type either join ``bad``."""
        fold = spec is not None and spec.kind != "str"
        cleaned = cells.with_columns(clean(pl.col("text"), fold=fold).alias("clean"))
        if spec is None or spec.kind == "str":
            fixed = cleaned.select(ROW, pl.col("clean").alias("value"))
        else:
            typed = convert(pl.col("clean"), spec).cast(DTYPES[spec.kind])
            fixed = cleaned.select(
                ROW, typed.alias("value"), (pl.col("clean").is_not_null() & typed.is_null()).alias("bad")
            )
            wrong = fixed.filter("bad")
            if wrong.height:
                rows = cells.join(wrong.select(ROW), on=ROW, how="semi")
                bad.append(BadCells(name, rows.select(ROW, pl.col("raw").alias(name))))
            fixed = fixed.drop("bad")
        fixes = self.s._name("fix")
        self.con.register(f"{fixes}_arrow", fixed.to_arrow())
        try:
            self.s._exec(f"CREATE TEMP TABLE {fixes} AS SELECT * FROM {fixes}_arrow")
        finally:
            self.con.unregister(f"{fixes}_arrow")
        return fixes

    def _ranges(
        self, view: str, order: list[str], raws: dict[str, str], specs: dict[str, Any], dtypes: dict[str, str]
    ) -> tuple[str, list[Any]]:
        limits = {
            n: range_limits(specs[n], self.as_of)
            for n in order
            if specs[n] is not None and range_limits(specs[n], self.as_of) != (None, None)
        }
        strays: list[str] = []
        if limits:
            row = self.s._exec(
                f"SELECT {', '.join(f'min({quoted(n)}), max({quoted(n)})' for n in limits)} FROM {view}"
            )[0]
            for i, (name, (lo, hi)) in enumerate(limits.items()):
                low, high = row[2 * i], row[2 * i + 1]
                if (lo is not None and low is not None and low < lo) or (
                    hi is not None and high is not None and high > hi
                ):
                    strays.append(name)
        implausible: list[Any] = []
        outside = {}
        for name in strays:
            lo, hi = limits[name]
            tests = []
            if lo is not None:
                tests.append(f"t.{quoted(name)} < {_sql_value(lo)}")
            if hi is not None:
                tests.append(f"t.{quoted(name)} > {_sql_value(hi)}")
            outside[name] = " OR ".join(tests)
            got = self.sql(
                f"SELECT t.{ROW}, t.{quoted(name)} AS value, s.{raws[name]} AS raw FROM {view} t "
                f"JOIN {self.scan.source} s ON s.{ROW} = t.{ROW} WHERE {outside[name]} ORDER BY t.{ROW}"
            ).pl()
            typed = got.select(ROW, pl.col("value").alias(name))
            data = got.select(ROW, pl.col("raw").alias(name))
            _, found = check_ranges(typed, data, {name: specs[name]}, {}, self.as_of)
            implausible += found
        final = self.s._name("table")
        columns = [
            f"CASE WHEN {outside[n]} THEN NULL ELSE t.{quoted(n)} END AS {quoted(n)}"
            if n in outside
            else f"t.{quoted(n)}"
            for n in order
        ]
        self.s._exec(f"CREATE TEMP VIEW {final} AS SELECT {', '.join([*columns, f't.{ROW}'])} FROM {view} t")
        return final, implausible

    def _rows_of(self, view: str, order: list[str], rows: list[int]) -> pl.DataFrame:
        """The typed rows findings name (their subjects), as polars."""
        if not rows:
            return pl.DataFrame(schema={ROW: pl.Int64})
        wanted = pl.DataFrame({ROW: pl.Series(rows, dtype=pl.Int64)})
        name = self.s._name("wanted")
        self.con.register(name, wanted.to_arrow())
        try:
            return self.sql(  # type: ignore[no-any-return]  # DuckDB's .pl() is untyped
                f"SELECT t.* FROM {view} t SEMI JOIN {name} w ON w.{ROW} = t.{ROW} ORDER BY t.{ROW}"
            ).pl()
        finally:
            self.con.unregister(name)


#: a cell the cleaning empties: whitespace and zero-width characters only
_BLANK = rf"[{_WS}\x{{200b}}\x{{200c}}\x{{200d}}\x{{feff}}]*"


def _sql_type(spec: Any) -> str:
    return _SQL_TYPES[spec.kind] if spec is not None else "VARCHAR"


def _direct(c: str, dtype: str, kind: str) -> str | None:
    """As :func:`.normalize._native`: a cast when the column already holds the kind."""
    if kind == "int" and dtype in _INTEGER_TYPES | {"UBIGINT", "HUGEINT"}:
        return f"TRY_CAST({c} AS BIGINT)"
    if kind in ("float", "ratio") and (dtype in _NUMERIC_TYPES or dtype.startswith("DECIMAL")):
        return f"CASE WHEN isfinite(CAST({c} AS DOUBLE)) THEN CAST({c} AS DOUBLE) END"
    if kind == "bool" and dtype == "BOOLEAN":
        return c
    if kind == "date" and dtype == "DATE":
        return c
    if kind == "date" and dtype.startswith("TIMESTAMP") and "TIME ZONE" not in dtype:
        return f"CAST({c} AS DATE)"
    return None


def _fast(text: str, spec: Any) -> str:
    """Stricter than :func:`.normalize._fast`: whatever it types, the full path
    types the same; the rest goes to the full path."""
    match spec.kind:
        case "int":
            return (
                f"CASE WHEN regexp_full_match({text}, '[+-]?[0-9]{{1,18}}') THEN CAST({text} AS BIGINT) END"
            )
        case "float" | "ratio":
            return (
                f"CASE WHEN regexp_full_match({text}, '[+-]?[0-9]{{1,15}}(\\.[0-9]{{1,15}})?') "
                f"THEN CAST({text} AS DOUBLE) END"
            )
        case "bool":
            return _lookup(text, bool_values(), "BOOLEAN")
        case "date":
            first, last = _dt.date(YEARS[0], 1, 1), _dt.date(YEARS[1], 12, 31)
            day = f"TRY_CAST({text} AS DATE)"
            return (
                f"CASE WHEN regexp_full_match({text}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                f"AND {day} BETWEEN DATE '{first}' AND DATE '{last}' THEN {day} END"
            )
        case "enum":
            return _lookup(text, enum_values(tuple(spec.labels.items())), "VARCHAR")
        case _:
            raise AssertionError(spec.kind)


def _lookup(text: str, values: dict[str, object], sql_type: str) -> str:
    if not values:
        return f"CAST(NULL AS {sql_type})"
    cases = " ".join(f"WHEN {_literal(k)} THEN {_sql_value(v)}" for k, v in values.items())
    return f"CASE {text} {cases} END"


def _sql_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, int | float):
        return repr(value)
    return _literal(str(value))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


__all__ = ["NATIVE", "Fallback", "NativeScanner", "Scan"]
