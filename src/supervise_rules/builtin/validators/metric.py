"""``metric``: a per-row computed value against a threshold."""

from __future__ import annotations

import narwhals as nw
from pydantic import Field, model_validator

from ...expressions import parse
from ...models import Finding
from ...submission import ROW
from ...validators import Params, RuleContext, Validator
from ._common import (
    ByColumn,
    Comparison,
    Expression,
    compare,
    first_null_column,
    first_zero_denominator,
    threshold_columns,
    threshold_expr,
)


class MetricParams(Params):
    table: str
    #: row-level expression, e.g. ``100 * key_teachers / students``
    value: Expression
    op: Comparison
    #: a number, a per-column mapping ``{by, values}``, or a row-level expression
    threshold: float | ByColumn | Expression
    #: rows in scope (expression); rows where it is false are not checked
    where: Expression | None = None
    unit: str | None = None
    #: extra evidence columns beyond those the expressions reference
    columns: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _row_level_only(self) -> MetricParams:
        for text in (self.value, self.where, self.threshold):
            if isinstance(text, str) and _is_aggregate(text):
                raise ValueError(f"metric expressions are per row; {text!r} aggregates")
        return self


def _is_aggregate(text: str) -> bool:
    from ...expressions import compile_expression

    parse(text)
    return compile_expression(text).aggregate


class MetricValidator(Validator):
    """Compare a per-row metric with a threshold; one finding per row in scope.

    What it checks
        For every row of ``table`` where ``where`` holds, computes ``value`` and
        compares it with ``threshold`` using ``op``. The threshold is a number,
        a mapping by a column (e.g. primary vs junior) or another expression.

    Parameters
        ``table``, ``value``, ``op``, ``threshold``, ``where``, ``unit``, ``columns``.
        A missing value in any referenced column, or a zero denominator, gives an
        ``error`` finding naming the table, row and column, never a silent pass.

    Example
        ``value: 100 * key_teachers / students``, ``op: ">="``,
        ``threshold: {by: level, values: {primary: 1.0, junior: 1.0}}``.
    """

    name = "metric"
    summary = "A per-row computed value compared with a threshold."
    Params = MetricParams

    def check(self, ctx: RuleContext) -> list[Finding]:
        p: MetricParams = ctx.params  # type: ignore[assignment]
        value = ctx.compile(p.value, p.table)
        where = ctx.compile(p.where, p.table) if p.where else None
        threshold = ctx.compile(p.threshold, p.table) if isinstance(p.threshold, str) else p.threshold
        threshold_cols = threshold.columns if not isinstance(threshold, float | ByColumn) else \
            threshold_columns(threshold)
        referenced = list(dict.fromkeys(
            [*value.columns, *(where.columns if where else []), *threshold_cols]))
        missing = ctx.require(p.table, [*referenced, *p.columns])
        if missing:
            return missing
        lf = ctx.frame(p.table)
        assert lf is not None
        required = threshold_expr(threshold)
        in_scope = required.is_not_null()
        if where is not None:
            in_scope = in_scope & where.expr.fill_null(True)
        null_col = first_null_column(referenced)
        zero_col = first_zero_denominator(value)
        if not isinstance(threshold, float | ByColumn):
            zero_col = nw.coalesce(zero_col, first_zero_denominator(threshold))
        observed = value.expr.cast(nw.Float64)
        result = (
            lf.filter(in_scope)
            .select(
                subject_id=ctx.subject_id_expr(p.table),
                subject_name=ctx.subject_name_expr(p.table, ctx.columns(p.table)),
                observed=observed,
                required=required,
                row=nw.col(ROW),
                error_column=nw.coalesce(null_col, zero_col),
                error_kind=nw.when(null_col.is_not_null()).then(nw.lit("missing"))
                .when(zero_col.is_not_null()).then(nw.lit("zero"))
                .otherwise(nw.lit(None, dtype=nw.String)),
                outcome=nw.when(null_col.is_not_null() | zero_col.is_not_null())
                .then(nw.lit("error"))
                .when(compare(observed, p.op, required))
                .then(nw.lit("pass"))
                .otherwise(nw.lit("fail")),
            )
            .sort("row")
            .collect()
        )
        return ctx.findings_from(
            result,
            table=p.table,
            op=p.op,
            unit=p.unit,
            columns=list(dict.fromkeys([*referenced, *p.columns])),
        )
