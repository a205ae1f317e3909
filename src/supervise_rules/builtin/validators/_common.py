"""Parameter types and column-expression helpers shared by built-in validators."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import narwhals as nw
from pydantic import AfterValidator, BaseModel, ConfigDict

from ...expressions import Compiled, parse

Comparison = Literal[">=", ">", "<=", "<", "==", "!="]

#: Comparisons tolerate this relative error so that a value exactly at its
#: threshold (e.g. 100 × 21 / 500 against 4.2) is not failed by float rounding.
EPSILON = 1e-9


def _check_expression(text: str) -> str:
    try:
        parse(text)
    except Exception as exc:  # ExpressionError: reported at the parameter's line
        raise ValueError(str(exc)) from None
    return text


Expression = Annotated[str, AfterValidator(_check_expression)]


class ByColumn(BaseModel):
    """A threshold that depends on a column, e.g. ``{by: level, values: {primary: 4.2,
    junior: 5.3}}``. Rows whose ``by`` value is not listed are out of scope."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    by: str
    values: dict[str, float]


Threshold = float | ByColumn


def limit_for(threshold: Threshold, values: dict[str, Any]) -> float | None:
    """The threshold that applies to one subject or group, given its column
    values; ``None`` when a ``ByColumn`` threshold does not list its value."""
    if isinstance(threshold, ByColumn):
        return threshold.values.get(str(values.get(threshold.by)))
    return float(threshold)


def threshold_expr(threshold: Threshold | Compiled) -> nw.Expr:
    if isinstance(threshold, ByColumn):
        expr: Any = None
        for key, value in threshold.values.items():
            cond = nw.col(threshold.by) == key
            expr = nw.when(cond).then(nw.lit(value)) if expr is None else expr.when(cond).then(nw.lit(value))
        return expr.otherwise(nw.lit(None, dtype=nw.Float64)) if expr is not None else nw.lit(None)
    if isinstance(threshold, Compiled):
        return threshold.expr.cast(nw.Float64)
    return nw.lit(float(threshold))


def threshold_columns(threshold: Threshold) -> list[str]:
    return [threshold.by] if isinstance(threshold, ByColumn) else []


def compare(observed: nw.Expr, op: str, required: nw.Expr) -> nw.Expr:
    """``observed op required`` with the :data:`EPSILON` tolerance at the boundary."""
    tol = required.abs().clip(lower_bound=1.0) * EPSILON
    return {
        ">=": lambda: observed >= required - tol,
        ">": lambda: observed > required + tol,
        "<=": lambda: observed <= required + tol,
        "<": lambda: observed < required - tol,
        "==": lambda: (observed - required).abs() <= tol,
        "!=": lambda: (observed - required).abs() > tol,
    }[op]()


def compare_scalar(observed: float, op: str, required: float) -> bool:
    tol = max(abs(required), 1.0) * EPSILON
    return {
        ">=": observed >= required - tol,
        ">": observed > required + tol,
        "<=": observed <= required + tol,
        "<": observed < required - tol,
        "==": abs(observed - required) <= tol,
        "!=": abs(observed - required) > tol,
    }[op]


def first_null_column(columns: list[str]) -> nw.Expr:
    """The name of the first of ``columns`` that is null in the row, else null."""
    expr: Any = None
    for c in columns:
        cond = nw.col(c).is_null()
        expr = nw.when(cond).then(nw.lit(c)) if expr is None else expr.when(cond).then(nw.lit(c))
    if expr is None:
        return nw.lit(None, dtype=nw.String)
    first: nw.Expr = expr.otherwise(nw.lit(None, dtype=nw.String))
    return first


def first_zero_denominator(compiled: Compiled) -> nw.Expr:
    """The text of the first denominator that is 0 in the row, else null."""
    expr: Any = None
    for den, text in compiled.denominators:
        cond = (den == 0).fill_null(False)
        expr = nw.when(cond).then(nw.lit(text)) if expr is None else expr.when(cond).then(nw.lit(text))
    if expr is None:
        return nw.lit(None, dtype=nw.String)
    first: nw.Expr = expr.otherwise(nw.lit(None, dtype=nw.String))
    return first


def threshold_scope(threshold: Threshold | Compiled) -> nw.Expr | None:
    """Rows a threshold applies to. For a :class:`ByColumn`, rows whose ``by``
    value is listed, or missing (a missing value is then reported as an error,
    never silently skipped); ``None`` (every row) for any other threshold."""
    if isinstance(threshold, ByColumn):
        by = nw.col(threshold.by)
        return by.is_null() | by.is_in(list(threshold.values))
    return None


def in_scope(lf: Any, where: Compiled | None, *, unknown: bool = True) -> Any:
    """The rows of ``lf`` where the rule's ``where`` condition holds.

    Where the condition is unknown (a null in its columns) the row is kept by
    default: a subject whose scope is unclear is still checked, so its missing
    values are reported rather than silently skipped. Rows of *another* table
    matched against the subjects use ``unknown=False``: an unknown row cannot
    count as evidence for them.
    """
    return lf if where is None else lf.filter(where.expr.fill_null(unknown))


def filter_scope(lf: Any, conditions: list[nw.Expr | None]) -> Any:
    """``lf`` filtered by every non-``None`` condition (unchanged if none)."""
    conds = [c for c in conditions if c is not None]
    if not conds:
        return lf
    expr = conds[0]
    for c in conds[1:]:
        expr = expr & c
    return lf.filter(expr)


def error_exprs(columns: list[str], compiled: list[Compiled]) -> tuple[nw.Expr, nw.Expr]:
    """``(error_column, error_kind)`` for a row: the first of ``columns`` that is
    missing (kind ``missing``), else the first denominator of ``compiled`` that
    is 0 (kind ``zero``), else null."""
    null_col = first_null_column(columns)
    zero_col: nw.Expr = nw.lit(None, dtype=nw.String)
    zeros = [first_zero_denominator(c) for c in compiled if c.denominators]
    if zeros:
        zero_col = zeros[0] if len(zeros) == 1 else nw.coalesce(*zeros)
    kind = (
        nw.when(~null_col.is_null())
        .then(nw.lit("missing"))
        .when(~zero_col.is_null())
        .then(nw.lit("zero"))
        .otherwise(nw.lit(None, dtype=nw.String))
    )
    return nw.coalesce(null_col, zero_col), kind


def shared(lf: Any) -> Any:
    """``lf`` evaluated once when several result frames of a rule read it (they
    are collected in one batch). polars does not find such a common part of
    several plans by itself: BAL-22's three results grouped every school row
    three times. On polars this is a cache node; another backend's frame is
    returned as it is (it plans each result on its own)."""
    import polars as pl

    native = nw.to_native(lf)
    return nw.from_native(native.cache()) if isinstance(native, pl.LazyFrame) else lf
