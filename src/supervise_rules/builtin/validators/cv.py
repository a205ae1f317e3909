"""``weighted_cv``: the enrollment-weighted coefficient of variation (差异系数) of a
per-row indicator within groups (a county and level), against a limit."""

from __future__ import annotations

import narwhals as nw
from pydantic import Field, model_validator

from supervise_rules import ROW, EvidenceSpec, LocalizedText, Params, Rows, RuleContext, RuleResult, Validator
from supervise_rules.helpers import (
    ByColumn,
    Comparison,
    Expression,
    compare,
    error_exprs,
    error_results,
    expression_zh,
    filter_scope,
    group_key_columns,
    group_subject_exprs,
    shared,
    table_zh,
    threshold_columns,
    threshold_expr,
    threshold_scope,
)


class WeightedCVParams(Params):
    table: str = Field(description="The table whose rows are used, e.g. `schools`.")
    value: Expression = Field(
        description="The indicator Xᵢ of each row, e.g. `100 * key_teachers / students`."
    )
    weight: Expression = Field(default="students", description="The weight Pᵢ of each row (enrollment).")
    group_by: list[str] = Field(
        default_factory=lambda: ["county_code", "level"],
        description="One coefficient per group of these columns.",
    )
    op: Comparison = Field(default="<=", description="Comparison with the threshold.")
    threshold: float | ByColumn = Field(
        description="A number, or `{by, values}` where `by` is one of `group_by`."
    )
    where: Expression | None = Field(default=None, description="Rows in scope (expression).")
    unit: str | None = Field(
        default="coefficient", description="Unit of the observed value shown in findings."
    )
    subject_type: str = Field(default="county", description="The `subject.type` of findings.")

    @model_validator(mode="after")
    def _threshold_by_group(self) -> WeightedCVParams:
        if not self.group_by:
            raise ValueError("group_by must name at least one column")
        if isinstance(self.threshold, ByColumn) and self.threshold.by not in self.group_by:
            raise ValueError(f"threshold.by {self.threshold.by!r} must be one of group_by {self.group_by}")
        return self


class WeightedCVValidator(Validator[WeightedCVParams]):
    """The enrollment-weighted coefficient of variation of an indicator, per group.

    What it checks
        For the rows i of one group (by default one county and one level) in
        scope, with indicator Xᵢ (``value``) and weight Pᵢ (``weight``, the
        enrollment), P = ΣPᵢ:
        X̄ = ΣPᵢXᵢ / P,  S = √(Σ (Pᵢ/P)(Xᵢ − X̄)²),  CV = S / X̄
        (the 差异系数 of the 2012 基本均衡 computation note, reused for 优质均衡).
        One finding per group: ``observed`` is the CV at full precision,
        compared with ``threshold`` using ``op``; subject id is the group's key
        values joined by ``/`` (``640122/primary``).

    Parameters
        ``table``, ``value``, ``weight``, ``group_by``, ``op``, ``threshold``
        (a number or ``{by, values}`` keyed by a ``group_by`` column),
        ``where``, ``unit``, ``subject_type``. A missing value or a zero
        denominator in any row of a group makes that group's finding an
        ``error`` naming the table, rows and column; so do P = 0 and X̄ = 0
        (the coefficient is undefined). Message placeholders: ``{mean}`` (X̄),
        ``{std}`` (S), ``{schools}`` (rows in the group), ``{weight_total}`` (P).

    Example
        BAL-16: ``value: equipment_value_yuan / students``, ``weight: students``,
        ``group_by: [county_code, level]``, ``op: "<="``,
        ``threshold: {by: level, values: {primary: 0.50, junior: 0.45}}``.
    """

    name = "weighted_cv"
    summary = LocalizedText(
        zh="按在校生数加权的指标差异系数（分组计算）。",
        en="Enrollment-weighted coefficient of variation of an indicator per group.",
    )
    Params = WeightedCVParams
    message_values = ("mean", "std", "schools", "weight_total")

    def check(self, ctx: RuleContext[WeightedCVParams]) -> list[RuleResult]:
        p = ctx.params
        value = ctx.compile(p.value, p.table)
        weight = ctx.compile(p.weight, p.table)
        where = ctx.compile(p.where, p.table) if p.where else None
        referenced = list(
            dict.fromkeys(
                [
                    *p.group_by,
                    *value.columns,
                    *weight.columns,
                    *(where.columns if where else []),
                    *threshold_columns(p.threshold),
                ]
            )
        )
        missing = ctx.require(p.table, referenced)
        if missing:
            return missing
        lf = ctx.frame(p.table)
        assert lf is not None
        keys = list(p.group_by)
        gkeys = group_key_columns(keys)
        scope = [threshold_scope(p.threshold)]
        if where is not None:
            scope.append(where.expr.fill_null(True))
        error_column, error_kind = error_exprs(referenced, [value, weight])
        subject_id, subject_name = group_subject_exprs(ctx, p.table, keys)
        # read by the errors, the statistics and the evidence rows: evaluated once
        rows = shared(
            filter_scope(lf, scope).select(
                *[nw.col(k) for k in keys],
                nw.col(ROW).alias("row"),
                x=value.expr.cast(nw.Float64),
                w=weight.expr.cast(nw.Float64),
                error_column=error_column,
                error_kind=error_kind,
            )
        )
        # the group's subject, its limit and raw keys on every row, so that the
        # error findings of a group carry them
        group_columns = dict(
            subject_id=subject_id,
            subject_name=subject_name,
            required=threshold_expr(p.threshold),
            **{g: nw.col(k) for g, k in zip(gkeys, keys, strict=True)},
        )
        errors = rows.filter(~nw.col("error_column").is_null()).with_columns(**group_columns)
        # one finding per (group, column, kind); a zero denominator names the
        # denominator's text, which need not be a column
        error_columns = [
            *referenced,
            *(t for _, t in value.denominators),
            *(t for _, t in weight.denominators),
        ]
        results = error_results(
            ctx,
            errors,
            p.table,
            error_columns,
            keys=("subject_id", "subject_name", "required", *gkeys),
            columns=referenced,
            subject_type=p.subject_type,
            op=p.op,
            unit=p.unit,
            row="row",
        )

        good = rows.filter(nw.col("error_column").is_null())
        # two passes, column-wise: the weighted mean per group, then the weighted
        # mean square deviation from it
        total = nw.col("w").sum().over(*keys)
        mean = nw.when(total != 0).then((nw.col("w") * nw.col("x")).sum().over(*keys) / total)
        stats = (
            good.with_columns(P=total, mean=mean)
            .with_columns(
                dev=nw.when(nw.col("P") != 0).then(
                    nw.col("w") / nw.col("P") * (nw.col("x") - nw.col("mean")) ** 2
                )
            )
            .group_by(*keys)
            .agg(
                P=nw.col("P").max(),
                mean=nw.col("mean").max(),
                var=nw.col("dev").sum(),
                n=nw.len(),
            )
            .with_columns(std=nw.col("var").clip(lower_bound=0.0).sqrt())
            .with_columns(cv=nw.when(nw.col("mean") != 0).then(nw.col("std") / nw.col("mean")))
        )
        # a group with any error row has only its error findings
        with_errors = errors.select(*keys).unique()
        no_weight = nw.col("P").is_null() | (nw.col("P") == 0)
        undefined = no_weight | nw.col("cv").is_null() | nw.col("required").is_null()
        main = (
            stats.join(with_errors, on=keys, how="anti")
            .with_columns(**group_columns)
            .with_columns(
                observed=nw.when(~undefined).then(nw.col("cv")),
                outcome=nw.when(undefined)
                .then(nw.lit("error"))
                .when(compare(nw.col("cv"), p.op, nw.col("required")))
                .then(nw.lit("pass"))
                .otherwise(nw.lit("fail")),
                message_zh=nw.when(no_weight)
                .then(
                    nw.lit(
                        f"「{table_zh(p.table)}」表该组的权重（{expression_zh(p.weight, p.table)}）合计为 0，"
                        "无法计算差异系数"
                    )
                )
                .when(undefined)
                .then(
                    nw.lit(
                        f"「{table_zh(p.table)}」表该组指标（{expression_zh(p.value, p.table)}）的加权平均值"
                        "为 0，无法计算差异系数"
                    )
                )
                .otherwise(nw.lit(None, dtype=nw.String)),
                message_en=nw.when(no_weight)
                .then(
                    nw.lit(
                        f"table {p.table}: the weights ({p.weight}) of this group sum to 0; "
                        "the coefficient of variation cannot be computed"
                    )
                )
                .when(undefined)
                .then(
                    nw.lit(
                        f"table {p.table}: the weighted mean of {p.value} in this group is 0; "
                        "the coefficient of variation cannot be computed"
                    )
                )
                .otherwise(nw.lit(None, dtype=nw.String)),
                schools=nw.col("n"),
                weight_total=nw.col("P"),
            )
        )
        group_rows = Rows(
            rows.select(*[nw.col(k).alias(g) for g, k in zip(gkeys, keys, strict=True)], "row"),
            on=tuple(gkeys),
            row="row",
        )
        results.append(
            RuleResult(
                frame=main,
                table=p.table,
                subject_type=p.subject_type,
                op=p.op,
                unit=p.unit,
                values=self.message_values,
                evidence=[EvidenceSpec(p.table, referenced, group_rows)],
            )
        )
        return results
