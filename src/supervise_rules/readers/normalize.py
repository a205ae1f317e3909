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
enum        the English code (``public``) or the Chinese label (``公办``)
==========  ===================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..tables import ColumnSpec, normalize_header

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
    chr(c): chr(c - 0xFEE0)
    for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
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
            .then(column.cast(pl.Int64).cast(pl.String))
            .otherwise(column.cast(pl.String))
        )
    if dtype == pl.Null:
        return column.cast(pl.String)
    if dtype.is_numeric() or dtype in (pl.Boolean, pl.Date) or isinstance(dtype, pl.Datetime):
        return column.cast(pl.String)
    return column.map_elements(_any_text, return_dtype=pl.String)


def _any_text(value: object) -> str:
    from .records import cell_text

    return cell_text(value) or ""


def number(s: pl.Expr) -> pl.Expr:
    """A finite float from text with optional thousands separators."""
    plain = pl.when(s.str.contains(_THOUSANDS)).then(s.str.replace_all(",", "", literal=True))
    value = pl.coalesce(plain, s).cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value)


def integer(s: pl.Expr) -> pl.Expr:
    plain = pl.coalesce(
        pl.when(s.str.contains(_THOUSANDS)).then(s.str.replace_all(",", "", literal=True)), s
    )
    exact = plain.cast(pl.Int64, strict=False)
    f = number(s)
    integral = pl.when((f == f.floor()) & (f.abs() < 2**53)).then(f.cast(pl.Int64))
    return pl.coalesce(exact, integral)


def ratio(s: pl.Expr) -> pl.Expr:
    percent = s.str.ends_with("%")
    body = pl.when(percent).then(s.str.strip_suffix("%").str.strip_chars()).otherwise(s)
    value = number(body)
    # round so that 98.01% is exactly the float 0.9801 a workbook would store
    return pl.when(percent).then((value / 100).round(12)).otherwise(value)


def boolean(s: pl.Expr) -> pl.Expr:
    return s.str.to_lowercase().replace_strict(BOOLEANS, default=None, return_dtype=pl.Boolean)


def date(s: pl.Expr) -> pl.Expr:
    day = s.str.replace(_TIME_OF_DAY, "${1}")
    parsed = [day.str.to_date(fmt, strict=False) for fmt in DATE_FORMATS]
    compact = pl.when(day.str.contains(r"^\d{8}$")).then(day.str.to_date("%Y%m%d", strict=False))
    serial = pl.when(day.str.contains(r"^\d{5}(\.\d+)?$")).then(
        (day.cast(pl.Float64, strict=False).floor().cast(pl.Int64) - EXCEL_EPOCH_SERIAL)
        .cast(pl.Int32)
        .cast(pl.Date)
    )
    value = pl.coalesce(*parsed, compact, serial)
    return pl.when(value.dt.year().is_between(*YEARS)).then(value)


def enum(s: pl.Expr, labels: dict[str, str]) -> pl.Expr:
    lookup: dict[str, str] = {}
    for code, label in labels.items():
        lookup[normalize_header(label)] = code
        lookup[normalize_header(code)] = code
    key = s.str.to_lowercase().str.replace_all(r"\s+", "")
    return key.replace_strict(lookup, default=None, return_dtype=pl.String)


def convert(s: pl.Expr, column: ColumnSpec) -> pl.Expr:
    """The typed column from cleaned text ``s`` (null where unconvertible)."""
    match column.kind:
        case "int":
            return integer(s)
        case "float":
            return number(s)
        case "ratio":
            return ratio(s)
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
        return column.cast(pl.Int64)
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


@dataclass(frozen=True)
class BadCells:
    """The cells of one column that could not be converted: ``frame`` has
    ``__row__`` and the column's raw values, in row order."""

    column: str
    frame: pl.DataFrame


def normalize_columns(
    frame: pl.DataFrame, columns: dict[str, ColumnSpec | None]
) -> tuple[pl.DataFrame, list[BadCells]]:
    """Type every column of ``frame`` (which also has ``__row__``).

    ``columns`` maps each frame column to its contract spec, or ``None`` for an
    unknown column (kept as cleaned text). Returns the typed frame (same column
    order) and the unconvertible cells of each column that has any.
    """
    schema = frame.schema
    outputs: list[pl.Expr] = []
    checks: list[pl.Expr] = []
    for name, spec in columns.items():
        raw = pl.col(name)
        dtype = schema[name]
        if spec is not None and (native := _native(raw, dtype, spec.kind)) is not None:
            outputs.append(native.alias(name))
            continue
        text = clean(as_text(raw, dtype), fold=spec is not None and spec.kind != "str")
        if spec is None:
            outputs.append(text.alias(name))
            continue
        typed = convert(text, spec).cast(DTYPES[spec.kind])
        outputs.append(typed.alias(name))
        if spec.kind not in ("str",):
            checks.append((text.is_not_null() & typed.is_null()).alias(_BAD + name))
    out = frame.lazy().select(pl.col(ROW), *outputs, *checks).collect()
    bad: list[BadCells] = []
    for check in checks:
        name = check.meta.output_name()[len(_BAD) :]
        mask = out.get_column(_BAD + name)
        if mask.any():
            bad.append(BadCells(name, frame.filter(mask).select(ROW, name)))
    return out.select(ROW, *columns), bad


def blank_rows(frame: pl.DataFrame, names: list[str]) -> pl.Expr:
    """True for rows whose every listed cell is blank."""
    schema = frame.schema
    if not names:
        return pl.lit(True)
    return pl.all_horizontal(
        [
            clean(pl.col(n)).is_null() if schema[n] == pl.String else pl.col(n).is_null()
            for n in names
        ]
    )
