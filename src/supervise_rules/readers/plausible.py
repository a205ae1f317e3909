"""Plausibility: values a column cannot hold, checked before any indicator uses them.

Each :class:`~supervise_rules.tables.ColumnSpec` declares its range or domain
(``col(..., min=0)``, ``min=0, max=1`` for a ratio, a date window for every
date: :attr:`ColumnSpec.bounds`); the kind is the domain of the rest (whole
numbers for ``int``, codes for ``enum``, yes/no for ``bool``). After typing and
unit scaling, :func:`check_ranges` finds the cells outside their column's
bounds in one lazy pass over whole columns (a minimum and a maximum per column;
only a column that strays is looked at row by row, still as polars
expressions), sets them to null and returns them with the text as written and
what was expected. The host reports them as READ-16 (:func:`range_findings`)
and keeps them in ``Table.unreadable`` with a reason (``why_zh``, ``why_en``),
so every rule that needs such a value is ``error`` and says why
(:func:`supervise_rules.locations.value_wording`): an impossible figure is never
computed into an indicator, let alone certified.

A ratio is checked after percent normalisation: ``137%`` is 1.37 and out of
0..1. A bare number above 1 (``93.72``) is not taken for a percentage: it is
implausible, and the message says how to write it (``0.9372`` or ``93.72%``),
unless the header says ``（%）`` (the values were divided by 100 already) or the
column declares ``percent=True``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import polars as pl

from ..models import Finding, Subject
from ..tables import ColumnSpec, TableSpec
from .normalize import as_text
from .problems import MAX_CELL_FINDINGS, Place, cell_findings

ROW = "__row__"
#: what an implausible cell should have held, in ``Table.unreadable`` frames
WHY_ZH, WHY_EN = "why_zh", "why_en"

#: a cell written as a percentage or per mille
_MARKED = "[%％‰]"


@dataclass(frozen=True)
class Implausible:
    """The cells of one column outside its bounds: ``frame`` has ``__row__``,
    ``raw`` (the cell as written), ``why_zh`` and ``why_en`` (what it should
    have held: ``应不小于 0`` / ``at least 0``), in row order."""

    column: str
    frame: pl.DataFrame


def _number(value: float | dt.date | None) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return f"{value:g}" if isinstance(value, float) else str(value)


def _percent(value: float | dt.date) -> str:
    assert not isinstance(value, dt.date)
    return f"{round(value * 100, 10):g}%"


def expectation(column: ColumnSpec, *, as_percent: bool = False) -> tuple[str, str]:
    """What a value of ``column`` must be, ``(zh, en)``: ``应不小于 0`` /
    ``at least 0``; a ratio ``as_percent`` is worded in percent (``0–100%``)."""
    lo, hi = column.bounds
    show = _percent if column.kind == "ratio" and as_percent else _number
    if lo is not None and hi is not None:
        if column.kind == "ratio" and as_percent:
            return f"应在 {show(lo)[:-1]}–{show(hi)} 之间", f"{show(lo)[:-1]}–{show(hi)}"
        if column.kind == "date":
            return f"应在 {show(lo)} 至 {show(hi)} 之间", f"between {show(lo)} and {show(hi)}"
        return f"应在 {show(lo)}–{show(hi)} 之间", f"between {show(lo)} and {show(hi)}"
    if lo is not None:
        if column.kind == "date":
            return f"应不早于 {show(lo)}", f"not before {show(lo)}"
        return f"应不小于 {show(lo)}", f"at least {show(lo)}"
    assert hi is not None
    if column.kind == "date":
        return f"应不晚于 {show(hi)}", f"not after {show(hi)}"
    return f"应不大于 {show(hi)}", f"at most {show(hi)}"


def column_expectation(column: ColumnSpec) -> tuple[str, str]:
    """:func:`expectation` for a whole column (a summary, the data contract):
    a ratio in both forms, a date's ``not_after_as_of`` said."""
    if column.kind == "date" and column.not_after_as_of:
        zh, en = expectation(column)
        return f"{zh}，且不晚于统计截止日期", f"{en}, and not after the as-of date"
    if column.kind != "ratio" or column.percent:
        return expectation(column, as_percent=column.percent)
    zh, en = expectation(column)
    pzh, pen = expectation(column, as_percent=True)
    return f"{zh}（百分数{pzh.removeprefix('应')}）", f"{en} as a ratio, {pen} as a percentage"


def percent_scales(
    columns: Mapping[str, ColumnSpec | None], scales: Mapping[str, Fraction]
) -> dict[str, Fraction]:
    """The header's unit factors plus ÷100 for each ``percent=True`` column whose
    header gives no unit of its own (``（‰）`` stays ÷1000)."""
    out = dict(scales)
    for name, spec in columns.items():
        if spec is not None and spec.percent and name not in out:
            out[name] = Fraction(1, 100)
    return out


def _outside(value: pl.Expr, lo: object, hi: object) -> pl.Expr:
    checks = []
    if lo is not None:
        checks.append(value < pl.lit(lo))
    if hi is not None:
        checks.append(value > pl.lit(hi))
    return pl.any_horizontal(checks)


def check_ranges(
    typed: pl.DataFrame,
    data: pl.DataFrame,
    columns: Mapping[str, ColumnSpec | None],
    scales: Mapping[str, Fraction] | None = None,
    as_of: dt.date | None = None,
) -> tuple[pl.DataFrame, list[Implausible]]:
    """``typed`` with every value outside its column's bounds set to null, and
    those cells, per column.

    ``typed`` holds the data rows (``__row__`` and the typed columns), ``data``
    the same rows as read (``__row__`` and the cells as written, before typing:
    their text is what the clerk sees). ``scales`` are the unit factors the
    header gave (a ratio under ``（%）`` was divided by 100). ``as_of`` (the
    manifest's) bounds the ``not_after_as_of`` date columns from above.

    One lazy pass computes each bounded column's minimum and maximum; a column
    within its bounds (the usual case) is not touched again. Only a column that
    strays is filtered for its stray cells and rewritten.
    """
    scales = scales or {}
    limits = {
        name: range_limits(spec, as_of)
        for name, spec in columns.items()
        if spec is not None and name in typed.columns and range_limits(spec, as_of) != (None, None)
    }
    if not limits or typed.height == 0:
        return typed, []
    bounded = {name: spec for name, spec in columns.items() if spec is not None and name in limits}
    aggregates = []
    for i, name in enumerate(limits):
        aggregates += [pl.col(name).min().alias(f"lo{i}"), pl.col(name).max().alias(f"hi{i}")]
    extremes = typed.lazy().select(aggregates).collect().row(0)
    strays = [
        name
        for i, (name, (lo, hi)) in enumerate(limits.items())
        if (lo is not None and extremes[2 * i] is not None and extremes[2 * i] < lo)
        or (hi is not None and extremes[2 * i + 1] is not None and extremes[2 * i + 1] > hi)
    ]
    if not strays:
        return typed, []
    masks = {name: _outside(pl.col(name), *limits[name]) for name in strays}
    found = pl.collect_all(
        [
            typed.lazy()
            .filter(masks[name])
            .select(ROW, pl.col(name).alias("value"))
            .join(
                data.lazy().select(ROW, as_text(pl.col(name), data.schema[name]).alias("raw")),
                on=ROW,
                how="left",
                maintain_order="left",
            )
            .with_columns(_why(bounded[name], name in scales, as_of))
            .select(ROW, "raw", WHY_ZH, WHY_EN)
            for name in strays
        ]
    )
    typed = typed.with_columns(
        pl.when(masks[name]).then(None).otherwise(pl.col(name)).alias(name) for name in strays
    )
    return typed, [Implausible(name, frame) for name, frame in zip(strays, found, strict=True)]


def range_limits(spec: ColumnSpec, as_of: dt.date | None) -> tuple[object, object]:
    lo, hi = spec.bounds
    if (
        spec.not_after_as_of
        and as_of is not None
        and (hi is None or (isinstance(hi, dt.date) and as_of < hi))
    ):
        hi = as_of
    return lo, hi


def as_of_expectation(as_of: dt.date) -> tuple[str, str]:
    """What a ``not_after_as_of`` date must be, ``(zh, en)``."""
    return (f"应不晚于统计截止日期 {as_of.isoformat()}", f"not after the as-of date {as_of.isoformat()}")


def _why(column: ColumnSpec, scaled: bool, as_of: dt.date | None = None) -> list[pl.Expr]:
    """``why_zh``, ``why_en`` of each stray cell (``raw``, ``value``)."""
    if column.kind == "date" and column.not_after_as_of and as_of is not None:
        zh, en = expectation(column)
        late_zh, late_en = as_of_expectation(as_of)
        # the window is said only of a date outside it, the as_of of one after it
        late = pl.col("value") > pl.lit(as_of)
        if column.bounds[1] is not None:
            late = late & (pl.col("value") <= pl.lit(column.bounds[1]))
        return [
            pl.when(late).then(pl.lit(late_zh)).otherwise(pl.lit(zh)).alias(WHY_ZH),
            pl.when(late).then(pl.lit(late_en)).otherwise(pl.lit(en)).alias(WHY_EN),
        ]
    if column.kind != "ratio":
        zh, en = expectation(column)
        return [pl.lit(zh).alias(WHY_ZH), pl.lit(en).alias(WHY_EN)]
    pzh, pen = expectation(column, as_percent=True)
    if scaled or column.percent:
        return [pl.lit(pzh).alias(WHY_ZH), pl.lit(pen).alias(WHY_EN)]
    # a bare number above 1 is most likely a percentage without its sign: say
    # how to write it (93.72 -> 0.9372 or 93.72%), never read it as one
    marked = pl.col("raw").str.contains(_MARKED).fill_null(False)
    value = pl.col("value")
    bare = ~marked & (value > 1)
    shown = pl.col("raw").str.strip_chars()
    example = (
        pl.when(bare & (value <= 100))
        .then(pl.concat_str([(value / 100).round(10).cast(pl.String), pl.lit(" 或 "), shown, pl.lit("%")]))
        .otherwise(pl.lit("0.98 或 98%"))
    )
    example_en = (
        pl.when(bare & (value <= 100))
        .then(pl.concat_str([(value / 100).round(10).cast(pl.String), pl.lit(" or "), shown, pl.lit("%")]))
        .otherwise(pl.lit("0.98 or 98%"))
    )
    lo, hi = (_number(b) for b in column.bounds)
    return [
        pl.when(bare)
        .then(pl.concat_str([pl.lit(f"应为 {lo}–{hi} 之间的比例或带 % 的百分数，如 "), example]))
        .otherwise(pl.lit(pzh))
        .alias(WHY_ZH),
        pl.when(bare)
        .then(
            pl.concat_str(
                [pl.lit(f"a ratio between {lo} and {hi} or a percentage with %, such as "), example_en]
            )
        )
        .otherwise(pl.lit(pen))
        .alias(WHY_EN),
    ]


def range_findings(
    cells: list[Implausible],
    spec: TableSpec,
    place: Place,
    headers: Mapping[str, str],
    letters: Mapping[str, str],
    lines_of: Callable[[list[int]], list[int]],
    subjects: Mapping[int, Subject],
    record_of: Callable[[int], int] | None = None,
) -> list[Finding]:
    """READ-16: one finding per implausible cell, located like READ-01 (file,
    sheet row or line, cell, header as written, the value as written, what was
    expected), then one summing up the rest of a column after
    :data:`MAX_CELL_FINDINGS`. ``record_of`` gives the row a spreadsheet shows
    a text file's data row on, where multi-line cells moved the lines."""
    problems: list[Finding] = []
    for stray in cells:
        column = spec.columns[stray.column]
        header = headers.get(stray.column, stray.column)
        first = stray.frame.head(MAX_CELL_FINDINGS)
        whys = list(zip(first.get_column(WHY_ZH).to_list(), first.get_column(WHY_EN).to_list(), strict=True))
        want_zh, want_en = column_expectation(column)

        def one(wz: str, we: str, raw: str, i: int, whys: list[tuple[str, str]] = whys) -> tuple[str, str]:
            return (
                f"{wz}的值「{raw}」超出合理范围，{whys[i][0]}",
                f"{we}: {raw!r} is outside the plausible range ({whys[i][1]})",
            )

        def rest(
            zt: str, et: str, n: int, h: str = header, wz: str = want_zh, we: str = want_en
        ) -> tuple[str, str]:
            return (
                f"{zt}「{h}」列另有 {n} 个单元格的值超出合理范围（{wz}）",
                f"{et}: {n} more cells of column '{h}' are outside the plausible range ({we})",
            )

        problems += cell_findings(
            "READ-16",
            table=spec.name,
            column=stray.column,
            header=header,
            letter=letters.get(stray.column),
            place=place,
            rows=stray.frame.get_column(ROW).to_list(),
            raws=first.get_column("raw").to_list(),
            lines_of=lines_of,
            record_of=record_of,
            subjects=subjects,
            one=one,
            rest=rest,
        )
    return problems


def merge_unreadable(
    unreadable: Mapping[str, pl.DataFrame], implausible: list[Implausible]
) -> dict[str, pl.DataFrame]:
    """``Table.unreadable``: per column, the cells that could not be read
    (``__row__, raw``; ``why_*`` null) and those that were implausible
    (``why_*`` set), in row order."""
    out = dict(unreadable)
    for stray in implausible:
        old = out.get(stray.column)
        if old is None:
            out[stray.column] = stray.frame
            continue
        old = old.select(
            ROW,
            pl.col("raw").cast(pl.String),
            pl.lit(None, dtype=pl.String).alias(WHY_ZH),
            pl.lit(None, dtype=pl.String).alias(WHY_EN),
        )
        out[stray.column] = pl.concat([old, stray.frame]).sort(ROW)
    return out


__all__ = [
    "MAX_CELL_FINDINGS",
    "Implausible",
    "as_of_expectation",
    "check_ranges",
    "column_expectation",
    "expectation",
    "merge_unreadable",
    "percent_scales",
    "range_findings",
]
