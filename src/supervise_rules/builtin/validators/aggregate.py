"""``aggregate``: a county-level figure (an aggregate or a ratio of aggregates,
possibly across tables) against a threshold."""

from __future__ import annotations

from typing import Any

import narwhals as nw
from pydantic import Field, model_validator

from ...expressions import Compiled, compile_expression
from ...models import Evidence, Finding, LocalizedText, Outcome, Required
from ...submission import ROW
from ...tables import TABLES
from ...validators import Params, RuleContext, Validator
from ._common import Comparison, Expression, compare_scalar, first_null_column, in_scope


class Side(Params):
    table: str = Field(description="The table aggregated, e.g. `kindergartens`.")
    expr: Expression = Field(description="An aggregate expression over it, e.g. `sum(children)`.")
    where: Expression | None = Field(
        default=None, description="Rows included (row-level expression); all rows when absent.")

    @model_validator(mode="after")
    def _must_aggregate(self) -> Side:
        if not compile_expression(self.expr).aggregate:
            raise ValueError(
                f"{self.expr!r} must aggregate the table (use sum, count, mean, min or max)"
            )
        return self


class AggregateParams(Params):
    numerator: Side = Field(description="The aggregate (or the numerator of the ratio).")
    denominator: Side | None = Field(
        default=None, description="When given, the figure is numerator / denominator.")
    op: Comparison = Field(description="Comparison of the figure with threshold.")
    threshold: float = Field(description="The required value.")
    unit: str | None = Field(default=None, description="Unit of the figure, e.g. `ratio`.")


class AggregateValidator(Validator):
    """Compare a county-level aggregate, or a ratio of two aggregates, with a threshold.

    What it checks
        Aggregates ``numerator.expr`` over the rows of ``numerator.table`` (where
        ``numerator.where`` holds), divides by the same for ``denominator`` if
        given (the two sides may be different tables), and compares the figure
        with ``threshold`` using ``op``. One finding, for the county.

    Parameters
        ``numerator`` and ``denominator`` (each ``table``, ``expr``, ``where``),
        ``op``, ``threshold``, ``unit``. Missing values in any referenced column
        give one ``error`` finding per column listing the rows; a zero
        denominator gives an ``error`` finding; neither is ever a silent pass.

    Example
        PRE-02: ``numerator: {table: kindergartens, expr: 'sum(if(ownership ==
        "public" or inclusive, children, 0))'}``, ``denominator: {table:
        kindergartens, expr: sum(children)}``, ``op: ">="``, ``threshold: 0.8``.
    """

    name = "aggregate"
    summary = "A county aggregate or ratio of aggregates (across tables) against a threshold."
    Params = AggregateParams

    def check(self, ctx: RuleContext) -> list[Finding]:
        p: AggregateParams = ctx.params  # type: ignore[assignment]
        sides = [s for s in (p.numerator, p.denominator) if s is not None]
        compiled = []
        for side in sides:
            expr = ctx.compile(side.expr, side.table)
            where = ctx.compile(side.where, side.table) if side.where else None
            cols = list(dict.fromkeys([*expr.columns, *(where.columns if where else [])]))
            compiled.append((side, expr, where, cols))
        problems = ctx.require_all([(side.table, cols) for side, _, _, cols in compiled])
        if problems:
            return problems

        per_table: dict[str, list[str]] = {}
        for side, _, _, cols in compiled:
            per_table[side.table] = list(dict.fromkeys([*per_table.get(side.table, []), *cols]))
        evidence = [Evidence(table=t, rows=None, columns=c) for t, c in per_table.items()]
        values: list[Any] = []
        for side, expr, where, cols in compiled:
            lf = ctx.frame(side.table)
            assert lf is not None
            lf = in_scope(lf, where)
            errors = [e for e in self._missing_values(ctx, lf, side.table, expr, cols)
                      if e.evidence not in [p.evidence for p in problems]]
            if errors:
                problems += errors
                continue
            values.append(self._scalar(lf, expr))
        if problems:
            return problems

        observed = values[0]
        if p.denominator is not None:
            if values[1] is None or float(values[1]) == 0:
                spec = TABLES.get(p.denominator.table)
                zh_table = spec.zh if spec else p.denominator.table
                return [ctx.finding(
                    outcome=Outcome.error,
                    subject=ctx.county_subject(),
                    message=LocalizedText(
                        zh=f"「{zh_table}」表 {p.denominator.expr} 为 0，无法计算本指标",
                        en=f"table {p.denominator.table}: {p.denominator.expr} is 0; "
                        "the ratio cannot be computed",
                    ),
                    required=Required(op=p.op, value=p.threshold),
                    unit=p.unit,
                    evidence=evidence,
                )]
            observed = float(observed) / float(values[1]) if observed is not None else None
        if observed is None:
            outcome = Outcome.error
        else:
            observed = float(observed)
            outcome = Outcome.passed if compare_scalar(observed, p.op, p.threshold) else Outcome.fail
        return [ctx.finding(
            outcome=outcome,
            subject=ctx.county_subject(),
            observed=observed,
            required=Required(op=p.op, value=p.threshold),
            unit=p.unit,
            evidence=evidence,
            values={"numerator": values[0], "denominator": values[1] if len(values) > 1 else None},
        )]

    @staticmethod
    def _scalar(lf: nw.LazyFrame, expr: Compiled) -> Any:
        value = lf.select(v=expr.expr.cast(nw.Float64)).collect().item(0, "v")
        return value

    @staticmethod
    def _missing_values(
        ctx: RuleContext, lf: nw.LazyFrame, table: str, expr: Compiled, cols: list[str]
    ) -> list[Finding]:
        """One error finding per column whose missing values leave a row out of the
        aggregate, listing the rows."""
        if not cols:
            return []
        flagged = (
            lf.filter(expr.null_in_aggregate())
            .select(nw.col(ROW), column=first_null_column(cols))
            .sort(ROW)
            .collect()
        )
        if flagged.is_empty():
            return []
        tbl = ctx.table(table)
        findings = []
        for c in [*cols, None]:
            rows = flagged.filter(
                nw.col("column").is_null() if c is None else nw.col("column") == c)[ROW].to_list()
            if not rows:
                continue
            msg = ctx.data_error_message(table, tbl, rows[0], c or expr.text, "missing")
            if len(rows) > 1:
                shown = ", ".join(str(r) for r in rows[:10]) + ("…" if len(rows) > 10 else "")
                msg = LocalizedText(
                    zh=msg.zh + f"（共 {len(rows)} 行：{shown}）",
                    en=msg.en + f" ({len(rows)} rows: {shown})",
                )
            findings.append(ctx.finding(
                outcome=Outcome.error,
                subject=ctx.county_subject(),
                message=msg,
                evidence=[Evidence(table=table, rows=[int(r) for r in rows], columns=[c] if c else cols)],
            ))
        return findings
