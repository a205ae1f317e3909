"""Column-wise normalization of raw cells into the contract's types.

Every conversion is a polars expression over a whole column: no Python loop
touches individual cells. A cell that is not blank but cannot be converted
comes out null, and :func:`normalize_columns` returns its row and raw value so
the host can report it where the user will find it.

What is accepted, after NFKC folding (free text: see :func:`clean`) (full-width digits and punctuation become
half-width: ``１２３`` -> ``123``, ``９８．０１％`` -> ``98.01%``) and trimming:

==========  ===================================================================
kind        accepted
==========  ===================================================================
str         any text
int         ``1234``, ``1,234``, ``+12``, ``12.0`` (an integral number)
float       ``1234.5``, ``1,234.5``, ``1e3``
ratio       ``0.9801`` or ``98.01%`` (-> 0.9801)
bool        是/否, Y/N, yes/no, true/false, 1/0, T/F (any case)
date        ``2024-03-01``, ``2024/3/1``, ``2024.3.1``, ``2024年3月1日``,
            ``20240301``, an Excel serial day number (``45352``), a date with
            a time of day (the time is dropped)
enum        the English code (``public``) or the Chinese label (``公办``, also in
            traditional characters: ``公辦``)
==========  ===================================================================
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

import polars as pl

from ..tables import ColumnSpec, Kind, normalize_header
from .headers import TRADITIONAL

ROW = "__row__"
_BAD = "__bad__"

BOOLEANS = {
    "是": True, "否": False,
    "y": True, "n": False,
    "yes": True, "no": False,
    "true": True, "false": False,
    "t": True, "f": False,
    "1": True, "0": False,
}  # fmt: skip

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
#: Excel serial day 25569 is 1970-01-01 (serials count from 1899-12-30)
EXCEL_EPOCH_SERIAL = 25569
YEARS = (1900, 2100)

_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
_TIME_OF_DAY = r"^(\S+?)[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$"


#: full-width digits and Latin letters and the ideographic space, half-width
_FULL_WIDTH_ALNUM = {
    chr(c): chr(c - 0xFEE0) for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
} | {"\u3000": " "}


def clean(text: pl.Expr, *, fold: bool = True) -> pl.Expr:
    """Drop zero-width characters, trim; blank becomes null.

    With ``fold`` (numbers, dates, codes) the text is NFKC-folded, so full-width
    digits and punctuation become half-width. Without it (free text such as
    names) only full-width digits, Latin letters and spaces are folded: an ID
    typed as ``２１６４…`` still matches, while ``（东校区）`` keeps its
    Chinese brackets.
    """
    text = text.str.normalize("NFKC") if fold else text.str.replace_many(_FULL_WIDTH_ALNUM)
    folded = text.str.replace_all("[\u200b\u200c\u200d\ufeff]", "").str.strip_chars()
    return pl.when(folded.str.len_chars() > 0).then(folded)


def as_text(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Cells of any dtype as the text a clerk would have typed."""
    if dtype == pl.String:
        return column
    if dtype.is_float():
        integral = column.is_finite() & (column == column.floor()) & (column.abs() < 2**53)
        return (
            pl.when(integral)
            .then(column.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(column.cast(pl.String))
        )
    if dtype == pl.Null:
        return column.cast(pl.String)
    if isinstance(dtype, pl.Datetime):  # a workbook's date cell: as Excel shows it
        midnight = column.dt.time() == pl.time(0)
        return (
            pl.when(midnight)
            .then(column.dt.to_string("%Y-%m-%d"))
            .otherwise(column.dt.to_string("%Y-%m-%d %H:%M:%S"))
        )
    if dtype.is_numeric() or dtype in (pl.Boolean, pl.Date):
        return column.cast(pl.String)
    return column.map_elements(_any_text, return_dtype=pl.String)


def _any_text(value: object) -> str:
    from .records import cell_text

    return cell_text(value) or ""


def _plain(s: pl.Expr, commas: bool) -> pl.Expr:
    """Thousands separators removed where they are well placed (``1,234``)."""
    if not commas:  # the column has no comma at all: spare a pass over it
        return s
    return pl.when(s.str.contains(_THOUSANDS)).then(s.str.replace_all(",", "", literal=True)).otherwise(s)


def number(s: pl.Expr, *, commas: bool = True) -> pl.Expr:
    """A finite float from text with optional thousands separators."""
    value = _plain(s, commas).cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value)


def integer(s: pl.Expr, *, commas: bool = True) -> pl.Expr:
    plain = _plain(s, commas)
    exact = plain.cast(pl.Int64, strict=False)
    f = plain.cast(pl.Float64, strict=False)
    integral = pl.when(f.is_finite() & (f == f.floor()) & (f.abs() < 2**53)).then(
        f.cast(pl.Int64, strict=False)
    )
    return pl.coalesce(exact, integral)


def ratio(s: pl.Expr, *, commas: bool = True) -> pl.Expr:
    percent = s.str.ends_with("%")
    body = pl.when(percent).then(s.str.strip_suffix("%").str.strip_chars()).otherwise(s)
    value = number(body, commas=commas)
    # round so that 98.01% is exactly the float 0.9801 a workbook would store
    return pl.when(percent).then((value / 100).round(12)).otherwise(value)


def boolean(s: pl.Expr) -> pl.Expr:
    return s.str.to_lowercase().replace_strict(BOOLEANS, default=None, return_dtype=pl.Boolean)


def date(s: pl.Expr) -> pl.Expr:
    day = s.str.replace(_TIME_OF_DAY, "${1}")
    parsed = [day.str.to_date(fmt, strict=False) for fmt in DATE_FORMATS]
    compact = pl.when(day.str.contains(r"^\d{8}$")).then(day.str.to_date("%Y%m%d", strict=False))
    serial = pl.when(day.str.contains(r"^\d{5}(\.\d+)?$")).then(
        (day.cast(pl.Float64, strict=False).floor().cast(pl.Int64, strict=False) - EXCEL_EPOCH_SERIAL)
        .cast(pl.Int32, strict=False)
        .cast(pl.Date)
    )
    value = pl.coalesce(*parsed, compact, serial)
    return pl.when(value.dt.year().is_between(*YEARS)).then(value)


def enum(s: pl.Expr, labels: dict[str, str]) -> pl.Expr:
    lookup: dict[str, str] = {}
    for code, label in labels.items():
        lookup[normalize_header(label)] = code
        lookup[normalize_header(code)] = code
    # traditional characters as simplified (小學 is 小学): only cells the fast
    # path's exact lookup left reach this
    key = s.str.to_lowercase().str.replace_all(r"\s+", "").str.replace_many(_SIMPLIFIED)
    return key.replace_strict(lookup, default=None, return_dtype=pl.String)


#: traditional -> simplified characters of the contract's words (enum labels)
_SIMPLIFIED = {chr(t): s for t, s in TRADITIONAL.items()}


def convert(s: pl.Expr, column: ColumnSpec, *, commas: bool = True) -> pl.Expr:
    """The typed column from cleaned text ``s`` (null where unconvertible);
    ``commas=False`` promises that no cell holds a comma."""
    match column.kind:
        case "int":
            return integer(s, commas=commas)
        case "float":
            return number(s, commas=commas)
        case "ratio":
            return ratio(s, commas=commas)
        case "bool":
            return boolean(s)
        case "date":
            return date(s)
        case "enum":
            return enum(s, column.labels)
        case _:
            return s


DTYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "ratio": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "enum": pl.String(),
}


def _native(column: pl.Expr, dtype: pl.DataType, kind: str) -> pl.Expr | None:
    """A direct cast when the frame already holds the right kind of values
    (parquet, data frames); ``None`` when the text path is needed."""
    if kind == "int" and dtype.is_integer():
        return column.cast(pl.Int64, strict=False)
    if kind in ("float", "ratio") and dtype.is_numeric():
        value = column.cast(pl.Float64)
        return pl.when(value.is_finite()).then(value)
    if kind == "bool" and dtype == pl.Boolean:
        return column
    if kind == "date" and dtype == pl.Date:
        return column
    if kind == "date" and isinstance(dtype, pl.Datetime):
        return column.dt.date()
    return None


def expected(column: ColumnSpec) -> tuple[str, str]:
    """What a cell of this column should hold, in Chinese and English."""
    match column.kind:
        case "int":
            return "整数", "an integer"
        case "float":
            return "数值", "a number"
        case "ratio":
            return "比例（如 0.98 或 98%）", "a ratio such as 0.98 or 98%"
        case "bool":
            return "是/否（或 Y/N、true/false、1/0）", "yes or no (是/否, Y/N, true/false, 1/0)"
        case "date":
            return (
                "日期（如 2024-03-01、2024/3/1、2024年3月1日）",
                "a date such as 2024-03-01, 2024/3/1 or 2024年3月1日",
            )
        case "enum":
            zh = "、".join(f"{label}（{code}）" for code, label in column.labels.items())
            en = ", ".join(f"{code} ({label})" for code, label in column.labels.items())
            return f"以下之一：{zh}", f"one of {en}"
        case _:
            return "文本", "text"


def scale_columns(
    out: pl.DataFrame,
    frame: pl.DataFrame,
    scales: Mapping[str, Fraction],
    kinds: Mapping[str, str],
    bad_rows: dict[str, pl.Series],
) -> pl.DataFrame:
    """Typed columns of ``out`` times their factor, in one pass over whole columns.

    ``kinds`` are the kinds the columns were typed as (an ``int`` column with a
    factor is typed as ``float`` first). A ``ratio`` column under ``%`` divides
    only the cells written without ``%`` (``98.01`` -> 0.9801; ``98.01%`` already
    is 0.9801). Products are rounded where a float product of two decimals
    strays in the last bit (0.07 × 10000 = 700.0000000000001): to 6 decimals
    after a multiplication, 12 after a division. An ``int`` column stays
    ``Int64``; a cell whose product is not a whole number joins ``bad_rows``.
    """
    exprs: list[pl.Expr] = []
    checks: list[pl.Expr] = []
    for name, factor in scales.items():
        value = pl.col(name)
        times = value * factor.numerator / factor.denominator
        product = times.round(6) if factor.denominator == 1 else times.round(12)
        kind = kinds[name]
        if kind == "ratio":
            text = as_text(pl.col(name), frame.schema[name])
            marked = frame.select(text.str.contains("[%％‰]").fill_null(False)).to_series()
            exprs.append(pl.when(pl.lit(marked)).then(value).otherwise(product).alias(name))
        elif kind == "int":
            whole = (product == product.floor()) & (product.abs() < 2**53)
            exprs.append(pl.when(whole).then(product.cast(pl.Int64)).alias(name))
            checks.append((value.is_not_null() & ~whole).alias(name))
        else:
            exprs.append(product.alias(name))
    if checks:
        for name, flags in out.select(checks).to_dict().items():
            if flags.any():
                found = flags.arg_true()
                old = bad_rows.get(name)
                bad_rows[name] = found if old is None else pl.concat([old, found]).unique().sort()
    return out.with_columns(exprs)


@dataclass(frozen=True)
class BadCells:
    """The cells of one column that could not be converted: ``frame`` has
    ``__row__`` and the column's raw values, in row order."""

    column: str
    frame: pl.DataFrame


# --- the fast path --------------------------------------------------------------------------
# Almost every cell of a real export is already plain (``123``, ``2024-03-01``,
# ``public``): one cast or one exact lookup of the raw text types it, and
# cleaning (NFKC folding, regexes) would leave it as it is. ``normalize_columns``
# therefore types every cell by the fast path first and sends only the cells it
# leaves null (blank, malformed, or written in another accepted form) through
# ``clean`` + ``convert``. The fast path must never type a cell differently
# from the full path; each function below says why it does not.

#: a cell that ``clean(fold=False)`` would change: blank, edge whitespace, a
#: zero-width character, a full-width digit or Latin letter, an ideographic space
_TEXT_NEEDS_CLEANING = r"^$|^\s|\s$|[\u200b\u200c\u200d\ufeff\u3000\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]"


def _fast_number(text: pl.Expr) -> pl.Expr:
    # polars' string -> Float64 cast accepts no whitespace, comma, percent sign
    # or non-ASCII character, so a cell it parses is one clean() leaves as is
    # and number() parses the same way
    value = text.cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value)


def _fast_date(text: pl.Expr) -> pl.Expr:
    # date() tries this format first, on the cleaned cell: the parser skips
    # only leading whitespace, which clean() strips, and rejects full-width
    # digits; the length bound keeps out times of day and the like
    value = text.str.to_date("%Y-%m-%d", strict=False)
    first, last = _dt.date(YEARS[0], 1, 1), _dt.date(YEARS[1], 12, 31)
    return pl.when((text.str.len_bytes() <= 10) & value.is_between(first, last)).then(value)


def _exact_values(kind: Kind, candidates: list[str], labels: dict[str, str]) -> dict[str, object]:
    """``candidates`` that the full path types, with what it types them as:
    an exact-match table built by the full path itself, so it cannot disagree."""
    spec = ColumnSpec(name="_", zh="_", kind=kind, labels=labels)
    texts = pl.Series("t", list(dict.fromkeys(candidates)), dtype=pl.String)
    typed = pl.select(convert(clean(pl.lit(texts)), spec).cast(DTYPES[kind])).to_series()
    return {t: v for t, v in zip(texts.to_list(), typed.to_list(), strict=True) if v is not None}


@functools.cache
def bool_values() -> dict[str, object]:
    return _exact_values("bool", [f(k) for k in BOOLEANS for f in (str, str.upper, str.title)], {})


@functools.cache
def enum_values(labels: tuple[tuple[str, str], ...]) -> dict[str, object]:
    forms = (str, str.lower, str.upper, str.title, normalize_header)
    candidates = [f(text) for pair in labels for text in pair for f in forms]
    return _exact_values("enum", candidates, dict(labels))


def _fast(text: pl.Expr, column: ColumnSpec) -> pl.Expr:
    """The typed column where the fast path can type a cell, null elsewhere."""
    match column.kind:
        case "int":  # as _fast_number: a cell the cast parses is clean and has no comma
            return text.cast(pl.Int64, strict=False)
        case "float" | "ratio":  # a percentage fails the cast
            return _fast_number(text)
        case "bool":
            return text.replace_strict(bool_values(), default=None, return_dtype=pl.Boolean)
        case "date":
            return _fast_date(text)
        case "enum":
            values = enum_values(tuple(column.labels.items()))
            if not values:
                return pl.lit(None, dtype=pl.String)
            return text.replace_strict(values, default=None, return_dtype=pl.String)
        case _:
            raise AssertionError(column.kind)


_SLOW = "__slow__"


def normalize_columns(
    frame: pl.DataFrame,
    columns: dict[str, ColumnSpec | None],
    *,
    drop_blank_rows: bool = False,
    scales: Mapping[str, Fraction] | None = None,
) -> tuple[pl.DataFrame, list[BadCells]]:
    """Type every column of ``frame`` (which also has ``__row__``).

    ``columns`` maps each frame column to its contract spec, or ``None`` for an
    unknown column (kept as cleaned text). Returns the typed frame (``__row__``
    first, then ``columns`` in order) and the unconvertible cells of each
    column that has any. With ``drop_blank_rows``, rows whose every cell is
    blank are left out (their row numbers are simply skipped).

    One lazy query over whole columns types every cell the fast path can (a
    cast or an exact lookup of the raw text, see above) and flags the rest;
    only the flagged cells of each column are then cleaned and converted by
    the full path and put back in place.

    ``scales`` converts a column to the contract's unit: its values times the
    factor (``万元`` → ×10000), see :func:`scale_columns`.
    """
    scales = {n: f for n, f in (scales or {}).items() if f != 1 and columns.get(n) is not None}
    kinds = {n: s.kind for n, s in columns.items() if s is not None}
    if scales:  # an int column in 万人 may hold 1.5: typed as a number, scaled, then checked
        columns = {
            n: replace(s, kind="float") if n in scales and s is not None and s.kind == "int" else s
            for n, s in columns.items()
        }
    schema = frame.schema
    outputs: list[pl.Expr] = []
    flags: list[pl.Expr] = []  # text: the cell needs cleaning; typed: the cell is not null
    typed_flags: list[pl.Expr] = []  # typed: not null, yet the fast path left it null
    texts: dict[str, pl.Expr] = {}
    for name, spec in columns.items():
        dtype = schema[name]
        if spec is not None and (direct := _native(pl.col(name), dtype, spec.kind)) is not None:
            outputs.append(direct.alias(name))
            continue
        text = texts[name] = as_text(pl.col(name), dtype)
        if spec is None or spec.kind == "str":
            outputs.append(text.alias(name))
            flags.append(text.str.contains(_TEXT_NEEDS_CLEANING).alias(_SLOW + name))
        else:
            outputs.append(_fast(text, spec).cast(DTYPES[spec.kind]).alias(name))
            flags.append(text.is_not_null().alias(_SLOW + name))
            typed_flags.append((pl.col(_SLOW + name) & pl.col(name).is_null()).alias(_SLOW + name))
    out = frame.lazy().select(pl.col(ROW), *outputs, *flags).with_columns(typed_flags).collect()
    slow = out.select(pl.col(_SLOW + n).any() for n in texts).row(0) if texts else ()
    # the full path, on the flagged cells of each column only (all columns at once)
    jobs: list[tuple[str, pl.Series, pl.LazyFrame]] = []
    for (name, text), has_slow in zip(texts.items(), slow, strict=True):
        if not has_slow:
            continue
        spec = columns[name]
        at = out.get_column(_SLOW + name).arg_true()
        # gathered eagerly: a lazy gather copies the whole column first
        cleaned = (
            frame.select(pl.col(name).gather(at))
            .lazy()
            .select(clean(text, fold=spec is not None and spec.kind != "str").alias(_SLOW))
        )
        if spec is None or spec.kind == "str":
            job = cleaned.select(pl.col(_SLOW).alias(name))
        else:
            typed = convert(pl.col(_SLOW), spec).cast(DTYPES[spec.kind])
            job = cleaned.select(
                typed.alias(name), (pl.col(_SLOW).is_not_null() & typed.is_null()).alias(_BAD)
            )
        jobs.append((name, at, job))
    bad_rows: dict[str, pl.Series] = {}
    fixed: list[pl.Series] = []
    for (name, at, _), part in zip(jobs, pl.collect_all([j for *_, j in jobs]), strict=True):
        if _BAD in part.columns and (bad := part.get_column(_BAD)).any():
            bad_rows[name] = at.filter(bad)
        fixed.append(out.get_column(name).scatter(at, part.get_column(name)))
    out = out.select(pl.col(ROW), *columns).with_columns(fixed)
    if scales:
        out = scale_columns(out, frame, scales, kinds, bad_rows)
    if drop_blank_rows and columns:
        # a row is blank when every cell is, after cleaning: typed null and not bad
        filled = pl.any_horizontal(pl.col(list(columns)).is_not_null())
        if bad_rows:
            has_bad = pl.select(pl.repeat(False, out.height, dtype=pl.Boolean)).to_series()
            has_bad = has_bad.scatter(pl.concat(list(bad_rows.values())), True)
            filled = filled | pl.lit(has_bad)
        keep = out.select(filled).to_series()
        if not keep.all():
            out = out.filter(keep)
    bad_cells = [
        BadCells(name, frame.select(ROW, name)[bad_rows[name]]) for name in columns if name in bad_rows
    ]
    return out, bad_cells
