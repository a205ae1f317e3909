"""``k_of_n``: at least k of n per-row indicators meet their thresholds, and every
unmet one reaches a floor (a fraction of its threshold)."""

from __future__ import annotations

from typing import Any, Literal

import narwhals as nw
from pydantic import Field, model_validator

from supervise_rules import ROW, LocalizedText, Params, RuleContext, RuleResult, Validator
from supervise_rules.helpers import (
    ByColumn,
    Compiled,
    Expression,
    compare,
    error_exprs,
    filter_scope,
    threshold_columns,
    threshold_expr,
    threshold_scope,
)


class Indicator(Params):
    """One indicator: ``value op threshold`` per row."""

    value: Expression = Field(description="Row-level expression, e.g. `sports_area_m2 / students`.")
    op: Literal[">=", "<="] = ">="
    threshold: float | ByColumn = Field(
        description="A number or `{by, values}`, e.g. `{by: level, values: {primary: 7.5, junior: 10.2}}`."
    )
    label: LocalizedText | None = None


class KOfNParams(Params):
    table: str = Field(description="The table whose rows are used, e.g. `schools`.")
    indicators: dict[str, Indicator] = Field(
        description="The indicators, keyed by a short id (usually the rule id that checks it alone)."
    )
    min_met: int = Field(ge=0, description="How many indicators must be met.")
    floor: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Every unmet indicator must reach this fraction of its threshold (1 = no tolerance).",
    )
    where: Expression | None = Field(default=None, description="Rows in scope (expression).")
    unit: str | None = Field(
        default="indicators", description="Unit of the observed value shown in findings."
    )
    columns: list[str] = Field(default_factory=list, description="Extra evidence columns.")

    @model_validator(mode="after")
    def _k_at_most_n(self) -> KOfNParams:
        if not self.indicators:
            raise ValueError("indicators must not be empty")
        if self.min_met > len(self.indicators):
            raise ValueError(f"min_met {self.min_met} exceeds the {len(self.indicators)} indicators")
        return self


def _id_list(flags: list[tuple[str, nw.Expr]]) -> nw.Expr:
    """The ids whose flag is true, separated by spaces (null if none)."""
    pieces = [nw.when(flag).then(nw.lit(f"{ident} ")).otherwise(nw.lit("")) for ident, flag in flags]
    text = nw.concat_str(pieces, separator="").str.strip_chars()
    return nw.when(text != "").then(text).otherwise(nw.lit(None, dtype=nw.String))


def _words(ids: nw.Expr, separator: str, none: str) -> nw.Expr:
    return (
        nw.when(ids.is_null()).then(nw.lit(none)).otherwise(ids.str.replace_all(" ", separator, literal=True))
    )


class KOfNValidator(Validator[KOfNParams]):
    """At least k of n indicators met, and every unmet one at least a floor of its threshold.

    What it checks
        For every row of ``table`` in scope, evaluates each indicator's
        ``value op threshold`` (thresholds may depend on a column such as
        ``level``). The row passes when at least ``min_met`` indicators are met
        **and** every unmet indicator reaches ``floor`` × its threshold (for
        ``>=``; for ``<=`` it must not exceed threshold ÷ ``floor``).
        ``observed`` is the number of indicators met; ``required`` is
        ``>= min_met``.

    Parameters
        ``table``, ``indicators`` (a mapping id → ``{value, op, threshold,
        label}``; a county override can change one indicator's threshold by its
        id), ``min_met``, ``floor``, ``where``, ``unit``, ``columns``. A missing
        value or zero denominator in any indicator gives an ``error`` finding
        naming the table, row and column. Message placeholders: ``{met}`` and
        ``{total}`` (counts), ``{unmet}`` (ids of unmet indicators) and
        ``{below_floor}`` (ids under the floor), each a space-separated list or
        "—", and ``{floor}``.

    Example
        BAL-08: ``indicators: {BAL-01: {value: 100 * teachers_above_required_degree
        / students, threshold: {by: level, values: {primary: 4.2, junior: 5.3}}},
        …}``, ``min_met: 6``, ``floor: 0.85``. A primary school meeting 6 of 7
        with sports area 6.80 m² per student (≥ 0.85 × 7.5 = 6.375) passes.
    """

    name = "k_of_n"
    summary = LocalizedText(
        zh="n 项逐行指标中至少 k 项达标，未达标的每项不低于底线。",
        en="At least k of n per-row indicators met, each unmet one above a floor.",
    )
    Params = KOfNParams
    message_values = (
        "met",
        "total",
        "unmet",
        "below_floor",
        "floor",
        "unmet_zh",
        "below_floor_zh",
        "unmet_en",
        "below_floor_en",
    )

    def check(self, ctx: RuleContext[KOfNParams]) -> RuleResult | list[RuleResult]:
        p = ctx.params
        compiled: dict[str, Compiled] = {
            ident: ctx.compile(ind.value, p.table) for ident, ind in p.indicators.items()
        }
        where = ctx.compile(p.where, p.table) if p.where else None
        referenced: list[str] = []
        for ident, ind in p.indicators.items():
            referenced += compiled[ident].columns + threshold_columns(ind.threshold)
        referenced += where.columns if where else []
        referenced = list(dict.fromkeys(referenced))
        evidence_columns = list(dict.fromkeys([*referenced, *p.columns]))
        missing = ctx.require(p.table, evidence_columns)
        if missing:
            return missing
        lf = ctx.frame(p.table)
        assert lf is not None

        scope: list[Any] = []
        met: list[tuple[str, nw.Expr]] = []
        near: list[tuple[str, nw.Expr]] = []
        for ident, ind in p.indicators.items():
            scope.append(threshold_scope(ind.threshold))
            observed = compiled[ident].expr.cast(nw.Float64)
            required = threshold_expr(ind.threshold)
            floor = required * p.floor if ind.op == ">=" else required / p.floor
            met.append((ident, compare(observed, ind.op, required).fill_null(False)))
            near.append((ident, compare(observed, ind.op, floor).fill_null(False)))
        if where is not None:
            scope.append(where.expr.fill_null(True))
        error_column, error_kind = error_exprs(referenced, list(compiled.values()))
        # Each indicator's flags are columns before they are counted and listed:
        # written as one expression, every use below repeats the indicators'
        # formulas, and on Spark each repetition is hundreds of calls into the JVM
        # (BAL-08 took 16 s to plan); polars computes the same either way.
        flags = {f"_kn_met{k}": m for k, (_, m) in enumerate(met)}
        flags |= {f"_kn_near{k}": n for k, (_, n) in enumerate(near)}
        staged = filter_scope(lf, scope).with_columns(
            **flags, _kn_error_column=error_column, _kn_error_kind=error_kind
        )
        met = [(ident, nw.col(f"_kn_met{k}")) for k, (ident, _) in enumerate(met)]
        near = [(ident, nw.col(f"_kn_near{k}")) for k, (ident, _) in enumerate(near)]
        error_column, error_kind = nw.col("_kn_error_column"), nw.col("_kn_error_kind")
        met_count = nw.sum_horizontal(*[m.cast(nw.Int64) for _, m in met])
        floor_ok = nw.all_horizontal(
            *[m | n for (_, m), (_, n) in zip(met, near, strict=True)], ignore_nulls=False
        )
        unmet = _id_list([(i, ~m) for i, m in met])
        below_floor = _id_list([(i, ~m & ~n) for (i, m), (_, n) in zip(met, near, strict=True)])
        staged = staged.with_columns(_kn_count=met_count, _kn_unmet=unmet, _kn_below=below_floor)
        met_count, unmet, below_floor = nw.col("_kn_count"), nw.col("_kn_unmet"), nw.col("_kn_below")
        result = staged.select(
            subject_id=ctx.subject_id_expr(p.table),
            subject_name=ctx.subject_name_expr(p.table, ctx.columns(p.table)),
            observed=met_count,
            met=met_count,
            total=nw.lit(len(met)),
            floor=nw.lit(p.floor),
            unmet=unmet,
            below_floor=below_floor,
            # the same lists in words: "无" / "none" rather than a dash for an empty one
            unmet_zh=_words(unmet, "、", "无"),
            below_floor_zh=_words(below_floor, "、", "无"),
            unmet_en=_words(unmet, ", ", "none"),
            below_floor_en=_words(below_floor, ", ", "none"),
            row=nw.col(ROW),
            error_column=error_column,
            error_kind=error_kind,
            outcome=nw.when(~error_column.is_null())
            .then(nw.lit("error"))
            .when((met_count >= p.min_met) & floor_ok)
            .then(nw.lit("pass"))
            .otherwise(nw.lit("fail")),
        )
        return RuleResult(
            frame=result,
            table=p.table,
            op=">=",
            unit=p.unit,
            columns=evidence_columns,
            threshold=p.min_met,
            values=self.message_values,
        )
