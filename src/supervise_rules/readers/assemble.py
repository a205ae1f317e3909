"""From a :class:`RawTable` to a typed :class:`~supervise_rules.submission.Table`:
find the header row, match headers to contract columns, normalize, locate."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import polars as pl

from ..errors import SubmissionError
from ..models import Finding, Subject
from ..submission import Table
from ..tables import (
    MANIFEST,
    ColumnSpec,
    Manifest,
    TableSpec,
    subject_id_columns,
)
from .base import RawTable
from .headers import header_findings, header_use, match_header, resolve_headers
from .normalize import ROW, BadCells, expected, normalize_columns
from .plausible import (
    Implausible,
    check_ranges,
    merge_unreadable,
    percent_scales,
    range_findings,
)
from .problems import MAX_CELL_FINDINGS, Place, cell_findings, column_letter, read_finding
from .rows import KINDS, Mismatch, NonDataRows, non_data_rows, totals_mismatches
from .widths import width_findings

#: rows scanned for the header (title rows, notes and merged group headers
#: above it are skipped)
HEADER_SCAN = 20


@dataclass
class _Columns:
    """The frame columns chosen from the raw table, and what was reported."""

    select: dict[str, str] = field(default_factory=dict)  # raw column -> final name
    specs: dict[str, ColumnSpec | None] = field(default_factory=dict)  # final name -> spec
    headers: dict[str, str] = field(default_factory=dict)  # final name -> header as written
    letters: dict[str, str] = field(default_factory=dict)  # final name -> sheet column letter
    scales: dict[str, Fraction] = field(default_factory=dict)  # final name -> unit factor
    problems: list[Finding] = field(default_factory=list)


def build_table(
    raw: RawTable, spec: TableSpec, place: Place, as_of: _dt.date | None = None
) -> tuple[Table, list[Finding]]:
    """Type one table; problems are READ-xx findings, never exceptions, except
    when no header row can be found at all (then :class:`SubmissionError`).
    ``as_of`` (the manifest's) makes a later date in a ``not_after_as_of``
    column implausible (READ-16)."""
    grid_lines = None
    if raw.header is None:
        header_index, header = detect_header(raw.frame, spec, place)
        data = raw.frame.slice(header_index + 1)
        header_line = raw.first_line + header_index
        if raw.lines is not None:
            header_line = int(raw.lines[header_index])
            grid_lines = raw.lines.slice(header_index + 1)
    else:
        header, data, header_line = list(raw.header), raw.frame, 0
    data = data.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    lines = Lines(
        header_line,
        None
        if grid_lines is None
        else pl.DataFrame({ROW: data.get_column(ROW), LINE: grid_lines.cast(pl.Int64)}),
    )
    cols = choose_columns(raw, data, header, spec, place, header_line)
    data = data.select(ROW, *[pl.col(c).alias(n) for c, n in cols.select.items()])
    skipped = non_data_rows(data, cols.specs, cols.headers)
    scales = percent_scales(cols.specs, cols.scales)
    typed, bad = normalize_columns(data, cols.specs, drop_blank_rows=True, scales=scales)
    problems = cols.problems
    if raw.widths is not None:  # a text file whose lines are not all as wide (READ-15)
        problems += width_findings(
            raw, data.height, header, cols.select, skipped.rows, spec.name, place, lines.of, lines.offset
        )
    if skipped.frame.height:
        problems += _non_data_findings(skipped, spec, place, lines)
        problems += _totals_findings(totals_mismatches(typed, skipped, cols.specs), spec, cols, place, lines)
        out = skipped.rows.implode()
        typed = typed.filter(~pl.col(ROW).is_in(out))
        bad = [BadCells(b.column, f) for b in bad if (f := b.frame.filter(~pl.col(ROW).is_in(out))).height]
    contract = [c for c in spec.columns if c in cols.specs]
    unknown = [c for c, s in cols.specs.items() if s is None]
    typed = typed.select(*contract, *unknown, ROW)
    # values the spec declares impossible (readers/plausible.py): null, reported as READ-16
    typed, implausible = check_ranges(typed, data, cols.specs, scales, as_of)
    if header:  # an empty list of records has no columns to miss
        problems += missing_key_findings(spec, cols, place, header_line)
    problems += column_cell_findings(bad, typed, spec, cols, place, lines)
    problems += range_findings(
        implausible,
        spec,
        place,
        cols.headers,
        cols.letters,
        lines.of,
        row_subjects(implausible, typed, spec),
        (lambda row: lines.offset + row) if lines.frame is not None else None,
    )
    table = Table(
        name=spec.name,
        frame=typed,
        source=table_source(place),
        headers={c: cols.headers[c] for c in (*contract, *unknown)},
        header_line=header_line,
        file=place.file,
        sheet=place.part,
        locator=place.locator,
        lines=lines.frame,
        letters=dict(cols.letters),
        unreadable=merge_unreadable({b.column: b.frame.rename({b.column: "raw"}) for b in bad}, implausible),
    )
    return table, problems


LINE = "__line__"


@dataclass(frozen=True)
class Lines:
    """Data row -> the file line or sheet row the clerk sees: ``offset + row``,
    unless ``frame`` (``__row__``, ``__line__``) says otherwise."""

    offset: int
    frame: pl.DataFrame | None = None

    def of(self, rows: list[int]) -> list[int]:
        if self.frame is None or not rows:
            return [self.offset + r for r in rows]
        wanted = pl.DataFrame({ROW: pl.Series(rows, dtype=pl.Int64)})
        found = wanted.join(self.frame, on=ROW, how="left", maintain_order="left")
        return [
            line if line is not None else self.offset + row
            for row, line in found.select(ROW, LINE).iter_rows()
        ]


def _ranges(lines: list[int]) -> str:
    """``3, 5–7, 12``: consecutive numbers as ranges."""
    parts: list[str] = []
    start = prev = None
    for n in lines:
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}–{prev}")
        start = prev = n
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}–{prev}")
    return ", ".join(parts)


def _non_data_findings(skipped: NonDataRows, spec: TableSpec, place: Place, lines: Lines) -> list[Finding]:
    """One READ-07 per table: which rows were not checked, and why."""
    zh_t, en_t = place.table()
    noun_zh, noun_en = place.row_nouns()
    zh_parts, en_parts = [], []
    for kind, (kind_zh, kind_en) in KINDS.items():
        rows = skipped.of(kind).to_list()
        if rows:
            shown = _ranges(lines.of(rows))
            zh_parts.append(f"{kind_zh}（第 {shown} {noun_zh}）")
            en_parts.append(f"{kind_en} ({noun_en} {shown})")
    rows = skipped.rows.to_list()
    return [
        read_finding(
            "READ-07",
            zh=f"{zh_t}：以下行不是数据，未参与检查：{'；'.join(zh_parts)}",
            en=f"{en_t}: rows that are not data were not checked: {'; '.join(en_parts)}",
            table=spec.name,
            rows=rows,
            place=place,
            lines=lines.of(rows),
        )
    ]


def _totals_findings(
    mismatches: list[Mismatch], spec: TableSpec, cols: _Columns, place: Place, lines: Lines
) -> list[Finding]:
    """READ-08: a totals cell that is not the sum of the column's data rows."""
    out = []
    for m in mismatches:
        line = lines.of([m.row])[0]
        header = cols.headers[m.column]
        letter = cols.letters.get(m.column)
        where_zh, where_en = place.cell(line, header, letter)
        written, computed = _number(m.written), _number(m.computed)
        diff = _number(m.written - m.computed)
        out.append(
            read_finding(
                "READ-08",
                zh=f"{where_zh}（合计行）为 {written}，各数据行合计为 {computed}（相差 {diff}），请核对",
                en=f"{where_en} (totals row) is {written}, but the data rows add up to {computed} "
                f"(difference {diff}); please check",
                table=spec.name,
                rows=[m.row],
                columns=[m.column],
                observed=m.written,
                place=place,
                lines=[line],
                headers=[header],
                cells=[f"{letter}{line}"] if letter else None,
            )
        )
    return out


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def table_source(place: Place) -> str | None:
    if place.part is None:
        return place.file
    return f"{place.file}!{place.part}" if place.file else place.part


def detect_header(frame: pl.DataFrame, spec: TableSpec, place: Place) -> tuple[int, list[Any]]:
    """The header row: the one (among the first rows) naming most contract
    columns, counting header cells merged down from a row above it."""
    head = frame.head(HEADER_SCAN).rows()
    best, best_hits, best_header = None, 0, []
    for i in range(len(head)):
        header = _merged_down(head, i, spec)
        hits = len({m for cell in header if (m := match_header(spec, cell))})
        if hits > best_hits:
            best, best_hits, best_header = i, hits, header
    if best is None:
        en = place.table()[1]
        raise SubmissionError(
            f"{en} is not a table of {spec.name} ({spec.zh}): none of its first "
            f"{len(head)} rows names a column of it."
        )
    return best, best_header


def _merged_down(head: list[tuple[Any, ...]], i: int, spec: TableSpec) -> list[Any]:
    """Row ``i`` with each blank cell taken from the nearest row above whose
    cell names a contract column (a header cell merged vertically keeps its
    text in the top row only)."""
    header = list(head[i])
    for j, cell in enumerate(header):
        if cell is None or not str(cell).strip():
            for above in range(i - 1, -1, -1):
                text = head[above][j]
                if text is not None and str(text).strip():
                    if match_header(spec, text):
                        header[j] = text
                    break
    return header


def choose_columns(
    raw: RawTable,
    data: pl.DataFrame,
    header: list[Any],
    spec: TableSpec,
    place: Place,
    header_line: int,
) -> _Columns:
    cols = _Columns()
    raw_names = raw.frame.columns
    empty = _empty_columns(data, raw_names)
    table_zh, table_en = place.header_line(header_line) if header_line else place.table()
    cells = list(zip(raw_names, header, strict=False))
    writtens = [str(cell).strip() if cell is not None else "" for _, cell in cells]
    matches = resolve_headers(spec, writtens)
    for j, ((raw_name, _), written, match) in enumerate(zip(cells, writtens, matches, strict=True)):
        letter = column_letter(raw.sheet_columns[j]) if raw.sheet_columns else None
        name, conv = header_use(spec, match)
        if name is not None and name in cols.specs:
            cols.problems.append(
                read_finding(
                    "READ-04",
                    zh=f"{table_zh}：「{written}」与「{cols.headers[name]}」是同一字段 {name}，只采用第一列",
                    en=f"{table_en}: column '{written}' repeats '{cols.headers[name]}' "
                    f"({name}); only the first is used",
                    table=spec.name,
                    columns=[name],
                )
            )
            continue
        if name is None:
            if not written and raw_name in empty:
                continue  # an unused column of the sheet
            name = written or f"column_{letter or j + 1}"
            base, n = name, 2
            while name in cols.specs or name == ROW:
                name, n = f"{base}_{n}", n + 1
            shown = written or f"（无表头，第 {letter or j + 1} 列）"
            if not match.ambiguous and match.column is None:
                cols.problems.append(
                    read_finding(
                        "READ-03",
                        zh=f"{table_zh}：「{shown}」不是{spec.zh}表（{spec.name}）的字段，已按文本保留",
                        en=f"{table_en}: column '{written or name}' is not a field of "
                        f"{spec.name} ({spec.zh}); it is kept as text",
                        table=spec.name,
                        columns=[name],
                    )
                )
            cols.specs[name] = None
        else:
            cols.specs[name] = spec.columns[name]
            if conv is not None and conv.converts:
                cols.scales[name] = conv.factor
        where = (table_zh, table_en)
        if letter and header_line:
            where = (
                f"{table_zh}（单元格 {letter}{header_line}）",
                f"{table_en} (cell {letter}{header_line})",
            )
        cell = f"{letter}{header_line}" if letter and header_line else None
        cols.problems += header_findings(spec, match, conv, name, where, place=place, cell=cell)
        cols.select[raw_name] = name
        cols.headers[name] = written or name
        if letter:
            cols.letters[name] = letter
    return cols


def _empty_columns(data: pl.DataFrame, names: list[str]) -> set[str]:
    if data.height == 0:
        return set(names)
    counts = data.select(pl.col(names).is_not_null().sum()).row(0)
    return {n for n, c in zip(names, counts, strict=True) if c == 0}


def missing_key_findings(spec: TableSpec, cols: _Columns, place: Place, header_line: int) -> list[Finding]:
    zh_t, en_t = place.header_line(header_line) if header_line else place.table()
    return [
        read_finding(
            "READ-02",
            zh=f"{zh_t}缺少关键列「{spec.columns[key].zh}」（{key}），无法按它识别记录",
            en=f"{en_t}: key column {key} ({spec.columns[key].zh}) is missing, "
            "so records cannot be identified by it",
            table=spec.name,
            columns=[key],
        )
        for key in spec.key
        if key not in cols.specs
    ]


def column_cell_findings(
    bad: list[BadCells],
    typed: pl.DataFrame,
    spec: TableSpec,
    cols: _Columns,
    place: Place,
    lines: Lines,
) -> list[Finding]:
    problems: list[Finding] = []
    subjects = row_subjects(bad, typed, spec)
    for cells in bad:
        column = spec.columns[cells.column]
        want_zh, want_en = expected(column)
        header = cols.headers[cells.column]

        def one(
            wz: str, we: str, raw: str, i: int, wzh: str = want_zh, wen: str = want_en
        ) -> tuple[str, str]:
            return f"{wz}的值「{raw}」无法识别，应为{wzh}", f"{we}: {raw!r} is not {wen}"

        def rest(
            zt: str, et: str, n: int, h: str = header, wzh: str = want_zh, wen: str = want_en
        ) -> tuple[str, str]:
            return (
                f"{zt}「{h}」列另有 {n} 个单元格无法识别（应为{wzh}）",
                f"{et}: {n} more cells of column '{h}' are not {wen}",
            )

        problems += cell_findings(
            "READ-01",
            table=spec.name,
            column=cells.column,
            header=header,
            letter=cols.letters.get(cells.column),
            place=place,
            rows=cells.frame.get_column(ROW).to_list(),
            raws=[str(v) for v in cells.frame.get_column(cells.column).head(MAX_CELL_FINDINGS)],
            lines_of=lines.of,
            # the row a spreadsheet shows the line on, when multi-line cells moved it
            record_of=(lambda row: lines.offset + row) if lines.frame is not None else None,
            subjects=subjects,
            one=one,
            rest=rest,
        )
    return problems


def row_subjects(
    bad: Sequence[BadCells | Implausible], typed: pl.DataFrame, spec: TableSpec
) -> dict[int, Subject]:
    keys = subject_id_columns(spec.name)
    if not bad or not keys or not all(k in typed.columns for k in keys):
        return {}
    # only the cells reported one by one name their subject
    rows = pl.concat([b.frame.select(ROW).head(MAX_CELL_FINDINGS) for b in bad]).unique()
    ids = typed.join(rows, on=ROW, how="semi").select(
        ROW, pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator="/").alias("id")
    )
    return {row: Subject(type=spec.subject_type, id=sid) for row, sid in ids.iter_rows() if sid is not None}


#: the statistics date a manifest may give (the contract's window for dates)
_AS_OF_WINDOW = (_dt.date(1949, 10, 1), _dt.date(2100, 12, 31))


def build_manifest(raw: RawTable, place: Place) -> Manifest:
    """Key/value rows (a sheet, a YAML or JSON object) as the :class:`Manifest`.

    :raises SubmissionError: a value cannot be read (the manifest decides the
        "today" of every deadline, so it must be right).
    """
    frame = raw.frame
    if frame.width < 2:
        en = place.table()[1]
        raise SubmissionError(f"{en}: the manifest needs a column of keys and one of values.")
    pairs = (
        frame.select(
            pl.col(frame.columns[0]).cast(pl.String).alias("key"),
            pl.col(frame.columns[1]).alias("value"),
        )
        .with_row_index("index")
        .filter(pl.col("key").is_not_null())
    )
    known: dict[str, tuple[str, object]] = {}
    extra: dict[str, object] = {}
    where: dict[str, int] = {}  # manifest field -> sheet row of its entry
    for index, key, value in pairs.iter_rows():
        name = match_header(MANIFEST, key)
        if name is None:
            # extra keys of a YAML/JSON manifest are kept; in a sheet, rows that
            # name no manifest field are headings or notes
            if raw.header is not None and value is not None and key.strip():
                extra[key.strip()] = value
        elif name not in known:
            known[name] = (key.strip(), value)
            if raw.header is None:
                where[name] = int(raw.lines[index]) if raw.lines is not None else raw.first_line + index
        elif value is not None and str(value).strip():
            # two entries for one field (as_of, then 截止日期): which is meant?
            first = known[name][0]
            en = _entry_place(raw, place, key.strip(), None)
            raise SubmissionError(
                f"{en}: manifest entry '{key.strip()}' gives {name} again, after '{first}'; give it once."
            )
    if not known:
        return Manifest(**extra)
    one_row = pl.DataFrame(
        {name: [value] for name, (_, value) in known.items()},
        schema={name: pl.String for name in known},
    ).with_columns(pl.lit(1, dtype=pl.Int64).alias(ROW))
    typed, bad = normalize_columns(one_row, {n: MANIFEST.columns[n] for n in known})
    if bad:
        cells = bad[0]
        written, value = known[cells.column]
        want_en = expected(MANIFEST.columns[cells.column])[1]
        en = _entry_place(raw, place, written, where.get(cells.column))
        raise SubmissionError(f"{en}: manifest entry '{written}' is {value!r}, not {want_en}.")
    values = {k: v for k, v in typed.drop(ROW).row(0, named=True).items() if v is not None}
    as_of = values.get("as_of")
    if as_of is not None and not (_AS_OF_WINDOW[0] <= as_of <= _AS_OF_WINDOW[1]):
        # the "today" of every deadline rule: a date outside the contract's window
        # (1900-01-01, a typed 2204) would make every deadline come out wrong
        written = known["as_of"][0]
        en = _entry_place(raw, place, written, where.get("as_of"))
        raise SubmissionError(
            f"{en}: manifest entry '{written}' is {as_of.isoformat()}, outside "
            f"{_AS_OF_WINDOW[0].isoformat()}..{_AS_OF_WINDOW[1].isoformat()}."
        )
    _check_codes(values, known, place)
    return Manifest(**values, **extra)


def _entry_place(raw: RawTable, place: Place, key: str, row: int | None) -> str:
    """Where a manifest entry is: ``submission.yaml:4`` (a text file whose reader
    gave ``extra["lines"]``, key -> line), ``b.xlsx, sheet '说明', row 3``."""
    en = place.table()[1]
    if row is not None:
        return f"{en}, row {row}" if raw.locator == "row" else f"{en}, line {row}"
    lines = raw.extra.get("lines")
    line = lines.get(key) if isinstance(lines, dict) else None
    if line is not None and place.part is None and place.file:
        return f"{place.file}:{line}"
    return en


def _check_codes(values: dict[str, object], known: dict[str, tuple[str, object]], place: Place) -> None:
    """A county code names one county; a region code (GB/T 2260) a batch of them."""
    en = place.table()[1]
    region = values.get("region_code")
    if region is None:
        return
    written = known["region_code"][0]
    text = str(region)
    if len(text) != 6 or not text.isdigit() or not text.endswith("00"):
        raise SubmissionError(
            f"{en}: manifest entry '{written}' is {text!r}, not a region code: a province "
            "(xx0000), a prefecture (xxxx00) or 000000 for the whole country. A single county "
            "gives county_code (区县代码) instead."
        )
    if values.get("county_code") is not None:
        raise SubmissionError(
            f"{en}: the manifest gives both county_code and '{written}': give county_code for "
            "one county, or region_code for a batch of counties, not both."
        )
