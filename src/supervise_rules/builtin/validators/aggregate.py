"""``aggregate``: a county-level figure (an aggregate or a ratio of aggregates,
possibly across tables) against a threshold."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import narwhals as nw
from pydantic import Field, model_validator

from supervise_rules import (
    ROW,
    EvidenceSpec,
    LocalizedText,
    Params,
    RuleContext,
    RuleResult,
    Validator,
    compile_expression,
)
from supervise_rules.helpers import (
    Comparison,
    Compiled,
    Expression,
    compare,
    county_names,
    error_results,
    expression_zh,
    first_null_column,
    in_scope,
    with_county,
)
from supervise_rules.tables import TABLES

#: the county of a row in a batch submission (see ``with_county``)
_COUNTY = "_county"


class Side(Params):
    table: str = Field(description="The table aggregated, e.g. `kindergartens`.")
    expr: Expression = Field(description="An aggregate expression over it, e.g. `sum(children)`.")
    where: Expression | None = Field(
        default=None, description="Rows included (row-level expression); all rows when absent."
    )

    @model_validator(mode="after")
    def _must_aggregate(self) -> Side:
        if not compile_expression(self.expr).aggregate:
            raise ValueError(f"{self.expr!r} must aggregate the table (use sum, count, mean, min or max)")
        return self


class AggregateParams(Params):
    numerator: Side = Field(description="The aggregate (or the numerator of the ratio).")
    denominator: Side | None = Field(
        default=None, description="When given, the figure is numerator / denominator."
    )
    op: Comparison = Field(description="Comparison of the figure with threshold.")
    threshold: float = Field(description="The required value.")
    unit: str | None = Field(default=None, description="Unit of the figure, e.g. `ratio`.")


class AggregateValidator(Validator[AggregateParams]):
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
    summary = LocalizedText(
        zh="县级汇总值或（跨表）汇总值之比，与标准比较。",
        en="A county aggregate or ratio of aggregates (across tables) against a threshold.",
    )
    Params = AggregateParams
    message_values = ("numerator", "denominator")

    def check(self, ctx: RuleContext[AggregateParams]) -> list[RuleResult]:
        p = ctx.params
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
        county = ctx.county_subject()
        # a batch of counties: one figure per county, where every side's rows can
        # be placed in a county (their own county_code, or their school's)
        scoped: list[nw.LazyFrame[Any]] = []
        for side, _, where, _ in compiled:
            lf = ctx.frame(side.table)
            assert lf is not None
            scoped.append(in_scope(lf, where))
        placed = (
            [with_county(ctx, side.table, lf) for (side, *_), lf in zip(compiled, scoped, strict=True)]
            if ctx.submission.manifest.is_batch
            else []
        )
        per_county = bool(placed) and all(lf is not None for lf in placed)
        if per_county:
            scoped = [lf for lf in placed if lf is not None]
        results: list[RuleResult] = []
        values: list[nw.LazyFrame[Any]] = []
        flagged: list[tuple[str, nw.LazyFrame[Any], dict[str, tuple[str, ...]]]] = []
        for (side, expr, _, cols), lf, name in zip(
            compiled, scoped, ("numerator", "denominator"), strict=False
        ):
            value = expr.expr.cast(nw.Float64).alias(name)
            values.append(lf.group_by(_COUNTY).agg(value) if per_county else lf.select(value))
            if not cols:
                continue
            rows, evidence_of = self._missing_rows(lf, expr, cols, per_county)
            if flagged and flagged[0][0] == side.table:
                rows = self._without_repeats(rows, evidence_of, *flagged[0][1:])
            flagged.append((side.table, rows, evidence_of))
            subject = None if per_county else county
            errors = county_names(ctx, rows.with_columns(subject_id=nw.col(_COUNTY))) if per_county else rows
            for column, columns in evidence_of.items():
                for result in error_results(
                    ctx,
                    errors,
                    side.table,
                    [column],
                    subject=subject,
                    subject_type="county" if per_county else None,
                ):
                    # evidence names the column missing, or every column when no
                    # single one is to blame
                    results.append(
                        replace(
                            result,
                            evidence=[replace(e, columns=list(columns)) for e in result.evidence or ()],
                        )
                    )

        frame = values[0]
        for other in values[1:]:
            frame = (
                frame.join(other, on=_COUNTY, how="full", suffix="_den")
                .with_columns(nw.coalesce(nw.col(_COUNTY), nw.col(f"{_COUNTY}_den")).alias(_COUNTY))
                .drop(f"{_COUNTY}_den")
                if per_county
                else frame.join(other, how="cross")
            )
        if len(values) == 1:
            frame = frame.with_columns(denominator=nw.lit(None, dtype=nw.Float64))
        for i, (_, rows, _) in enumerate(flagged):
            if per_county:
                counts = rows.group_by(_COUNTY).agg(nw.len().alias(f"_errors{i}"))
                frame = frame.join(counts, on=_COUNTY, how="left").with_columns(
                    nw.col(f"_errors{i}").fill_null(0)
                )
            else:
                frame = frame.join(rows.select(nw.len().alias(f"_errors{i}")), how="cross")
        # a missing value anywhere leaves only its error findings
        clean = nw.all_horizontal(
            *[nw.col(f"_errors{i}") == 0 for i in range(len(flagged))], nw.lit(True), ignore_nulls=False
        )
        num, den = nw.col("numerator"), nw.col("denominator")
        if p.denominator is not None:
            zero = den.is_null() | (den == 0)
            observed: nw.Expr = nw.when(~zero & ~num.is_null()).then(num / den)
            spec = TABLES.get(p.denominator.table)
            zh_table = spec.zh if spec else p.denominator.table
            zero_zh = (
                f"「{zh_table}」表的{expression_zh(p.denominator.expr, p.denominator.table)}"
                "为 0，无法计算本指标"
            )
            zero_en = f"table {p.denominator.table}: {p.denominator.expr} is 0; the ratio cannot be computed"
        else:
            zero = nw.lit(False)
            observed = num
            zero_zh = zero_en = ""
        if per_county:
            frame = county_names(ctx, frame.with_columns(subject_id=nw.col(_COUNTY)))
        else:
            frame = frame.with_columns(
                subject_id=nw.lit(county.id, dtype=nw.String),
                subject_name=nw.lit(county.name, dtype=nw.String),
            )
        frame = (
            frame.filter(clean)
            .with_columns(observed=observed)
            .with_columns(
                outcome=nw.when(zero | nw.col("observed").is_null())
                .then(nw.lit("error"))
                .when(compare(nw.col("observed"), p.op, nw.lit(p.threshold)))
                .then(nw.lit("pass"))
                .otherwise(nw.lit("fail")),
                message_zh=nw.when(zero).then(nw.lit(zero_zh)).otherwise(nw.lit(None, dtype=nw.String)),
                message_en=nw.when(zero).then(nw.lit(zero_en)).otherwise(nw.lit(None, dtype=nw.String)),
            )
        )
        results.append(
            RuleResult(
                frame=frame,
                table=p.numerator.table,
                subject_type="county" if per_county else county.type,
                op=p.op,
                unit=p.unit,
                threshold=p.threshold,
                values=self.message_values,
                evidence=[EvidenceSpec(t, c, None) for t, c in per_table.items()],
            )
        )
        return results

    @staticmethod
    def _missing_rows(
        lf: nw.LazyFrame[Any], expr: Compiled, cols: list[str], per_county: bool
    ) -> tuple[nw.LazyFrame[Any], dict[str, tuple[str, ...]]]:
        """The rows whose missing values leave them out of the aggregate, each
        with the column to blame (the expression's text when none is null), and
        the evidence columns of each such finding."""
        rows = lf.filter(expr.null_in_aggregate()).select(
            nw.col(ROW),
            *([nw.col(_COUNTY)] if per_county else []),
            error_column=nw.coalesce(first_null_column(cols), nw.lit(expr.text, dtype=nw.String)),
            error_kind=nw.lit("missing", dtype=nw.String),
        )
        return rows, {**{c: (c,) for c in cols}, expr.text: tuple(cols)}

    @staticmethod
    def _without_repeats(
        rows: nw.LazyFrame[Any],
        evidence_of: dict[str, tuple[str, ...]],
        first: nw.LazyFrame[Any],
        first_evidence: dict[str, tuple[str, ...]],
    ) -> nw.LazyFrame[Any]:
        """``rows`` without the findings that the other side of a ratio over the
        same table already makes: the same evidence columns and the same rows."""
        for column, columns in evidence_of.items():
            for other in [c for c, cs in first_evidence.items() if cs == columns]:
                mine = rows.filter(nw.col("error_column") == column).select(ROW)
                theirs = first.filter(nw.col("error_column") == other).select(ROW)
                # equal sets of distinct rows: as many each, and all of them shared
                same = (
                    mine.select(nw.len().alias("_mine"))
                    .join(theirs.select(nw.len().alias("_theirs")), how="cross")
                    .join(mine.join(theirs, on=ROW, how="inner").select(nw.len().alias("_both")), how="cross")
                    .select(
                        _repeat=(nw.col("_mine") == nw.col("_theirs")) & (nw.col("_mine") == nw.col("_both"))
                    )
                )
                rows = (
                    rows.join(same, how="cross")
                    .filter((nw.col("error_column") != column) | ~nw.col("_repeat"))
                    .drop("_repeat")
                )
        return rows
