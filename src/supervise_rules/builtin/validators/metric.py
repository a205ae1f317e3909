"""``metric``: a per-row computed value (or several) against a threshold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import narwhals as nw
from pydantic import Field, model_validator

from supervise_rules import ROW, LocalizedText, Params, RuleContext, RuleResult, Validator, compile_expression
from supervise_rules.helpers import (
    ByColumn,
    Comparison,
    Compiled,
    Expression,
    compare,
    error_exprs,
    filter_scope,
    threshold_columns,
    threshold_expr,
    threshold_scope,
)


class Condition(Params):
    """One per-row comparison ``value op threshold``."""

    value: Expression = Field(description="Row-level expression, e.g. `music_rooms`.")
    op: Comparison = Field(description="Comparison of value with threshold: >=, >, <=, <, ==, !=.")
    threshold: float | ByColumn | Expression = Field(
        description="A number, a mapping by a column `{by, values}`, or a row-level expression."
    )
    label: LocalizedText | None = Field(
        default=None,
        description="Names the condition in messages (placeholders {condition_zh}, {condition_en}).",
    )

    @model_validator(mode="after")
    def _row_level_only(self) -> Condition:
        for text in (self.value, self.threshold):
            if isinstance(text, str) and _is_aggregate(text):
                raise ValueError(f"metric expressions are per row; {text!r} aggregates")
        return self


class MetricParams(Params):
    table: str = Field(description="The table whose rows are checked, e.g. `schools`.")
    value: Expression = Field(description="Row-level expression, e.g. `100 * key_teachers / students`.")
    op: Comparison = Field(description="Comparison of value with threshold: >=, >, <=, <, ==, !=.")
    threshold: float | ByColumn | Expression = Field(
        description="A number, a mapping by a column `{by, values}`, or a row-level expression."
    )
    label: LocalizedText | None = Field(
        default=None, description="Names the main condition in messages ({condition_zh}, {condition_en})."
    )
    also: list[Condition] = Field(
        default_factory=list,
        description="Further conditions each row must meet too; a finding reports the first unmet one.",
    )
    where: Expression | None = Field(
        default=None, description="Rows in scope; rows where it is false are not checked."
    )
    unit: str | None = Field(default=None, description="Unit of the value, e.g. `ratio`, `m2`.")
    columns: list[str] = Field(
        default_factory=list, description="Extra evidence columns beyond those the expressions reference."
    )

    @model_validator(mode="after")
    def _row_level_only(self) -> MetricParams:
        for text in (self.value, self.where, self.threshold):
            if isinstance(text, str) and _is_aggregate(text):
                raise ValueError(f"metric expressions are per row; {text!r} aggregates")
        return self

    def conditions(self) -> list[Condition]:
        main = Condition(value=self.value, op=self.op, threshold=self.threshold, label=self.label)
        return [main, *self.also]


def _is_aggregate(text: str) -> bool:
    return compile_expression(text).aggregate


@dataclass
class RowResult:
    """The rows in scope of a metric, lazily evaluated: one row per data row with
    the result-frame columns (``subject_id`` … ``outcome``, ``op``,
    ``condition_zh``, ``condition_en``) — see :func:`evaluate_rows`."""

    frame: nw.LazyFrame[Any]
    #: every column the rule reads, for evidence
    columns: list[str]


def _first_unmet(met: list[nw.Expr], exprs: list[nw.Expr]) -> nw.Expr:
    """``exprs[i]`` for the first condition ``i`` that is not met, else ``exprs[0]``."""
    if len(exprs) == 1:
        return exprs[0]
    chain: Any = None
    for m, e in zip(met, exprs, strict=True):
        cond = ~m
        chain = nw.when(cond).then(e) if chain is None else chain.when(cond).then(e)
    first: nw.Expr = chain.otherwise(exprs[0])
    return first


def evaluate_rows(ctx: RuleContext, p: MetricParams) -> RowResult | list[RuleResult]:
    """Evaluate a metric's conditions on every row in scope, column-wise.

    Returns the findings for a missing table or column instead when the rule
    cannot be evaluated. Reused by validators that summarise row checks
    (``row_share``).
    """
    conditions = p.conditions()
    values: list[Compiled] = []
    thresholds: list[Any] = []
    referenced: list[str] = []
    for c in conditions:
        value = ctx.compile(c.value, p.table)
        threshold = ctx.compile(c.threshold, p.table) if isinstance(c.threshold, str) else c.threshold
        values.append(value)
        thresholds.append(threshold)
        referenced += value.columns
        referenced += threshold.columns if isinstance(threshold, Compiled) else threshold_columns(threshold)
    where = ctx.compile(p.where, p.table) if p.where else None
    if where is not None:
        referenced += where.columns
    referenced = list(dict.fromkeys(referenced))
    evidence_columns = list(dict.fromkeys([*referenced, *p.columns]))
    missing = ctx.require(p.table, evidence_columns)
    if missing:
        return missing
    lf = ctx.frame(p.table)
    assert lf is not None

    scope = [threshold_scope(t) for t in thresholds]
    if where is not None:
        scope.append(where.expr.fill_null(True))
    error_column, error_kind = error_exprs(
        referenced, [*values, *(t for t in thresholds if isinstance(t, Compiled))]
    )

    observed = [v.expr.cast(nw.Float64) for v in values]
    required = [threshold_expr(t) for t in thresholds]
    met = [
        compare(o, c.op, r).fill_null(False) for o, c, r in zip(observed, conditions, required, strict=True)
    ]
    all_met = met[0] if len(met) == 1 else nw.all_horizontal(*met, ignore_nulls=False)

    def label(c: Condition, lang: str) -> nw.Expr:
        text = getattr(c.label, lang) if c.label else c.value
        return nw.lit(text, dtype=nw.String)

    frame = filter_scope(lf, scope).select(
        subject_id=ctx.subject_id_expr(p.table),
        subject_name=ctx.subject_name_expr(p.table, ctx.columns(p.table)),
        observed=_first_unmet(met, observed),
        required=_first_unmet(met, required),
        op=_first_unmet(met, [nw.lit(c.op, dtype=nw.String) for c in conditions]),
        condition_zh=_first_unmet(met, [label(c, "zh") for c in conditions]),
        condition_en=_first_unmet(met, [label(c, "en") for c in conditions]),
        row=nw.col(ROW),
        error_column=error_column,
        error_kind=error_kind,
        outcome=nw.when(~error_column.is_null())
        .then(nw.lit("error"))
        .when(all_met)
        .then(nw.lit("pass"))
        .otherwise(nw.lit("fail")),
    )
    return RowResult(frame=frame, columns=evidence_columns)


class MetricValidator(Validator[MetricParams]):
    """Compare a per-row metric with a threshold; one finding per row in scope.

    What it checks
        For every row of ``table`` where ``where`` holds, computes ``value`` and
        compares it with ``threshold`` using ``op``. The threshold is a number,
        a mapping by a column (e.g. primary vs junior) or another expression.
        With ``also``, the row must meet every further condition too
        ("all of"); the finding then reports the first unmet condition (its
        value, threshold and ``label``), or the main one when all are met.

    Parameters
        ``table``, ``value``, ``op``, ``threshold``, ``label``, ``also`` (a list
        of ``{value, op, threshold, label}``), ``where``, ``unit``, ``columns``.
        A row whose ``by`` column is not listed in a ``{by, values}`` threshold
        is out of scope; a missing value in any referenced column (``by``
        included), or a zero denominator, gives an ``error`` finding naming the
        table, row and column, never a silent pass. Messages may use
        ``{condition_zh}`` / ``{condition_en}``, the label of the condition
        reported.

    Example
        ``value: 100 * key_teachers / students``, ``op: ">="``,
        ``threshold: {by: level, values: {primary: 1.0, junior: 1.0}}``.
        Two conditions (BAL-23): ``value: music_rooms``, ``op: ">="``,
        ``threshold: ceil(classes / 12)``, ``also: [{value: art_rooms, op: ">=",
        threshold: ceil(classes / 12)}]``.
    """

    name = "metric"
    summary = LocalizedText(
        zh="逐行计算的数值（一个或多个），与标准比较。",
        en="A per-row computed value (or several) compared with a threshold.",
    )
    Params = MetricParams
    message_values = ("condition_zh", "condition_en")

    def check(self, ctx: RuleContext[MetricParams]) -> RuleResult | list[RuleResult]:
        p = ctx.params
        evaluated = evaluate_rows(ctx, p)
        if not isinstance(evaluated, RowResult):
            return evaluated
        return RuleResult(
            frame=evaluated.frame,
            table=p.table,
            op=p.op,
            unit=p.unit,
            columns=evaluated.columns,
            values=self.message_values,
        )
