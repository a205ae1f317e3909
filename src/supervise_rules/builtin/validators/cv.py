"""``weighted_cv``: the enrollment-weighted coefficient of variation (差异系数) of a
per-row indicator within groups (a county and level), against a limit."""

from __future__ import annotations

from typing import Any

import narwhals as nw
from pydantic import Field, model_validator

from ...models import Evidence, Finding, LocalizedText, Outcome, Required
from ...submission import ROW
from ...validators import Params, RuleContext, Validator
from ._common import (
    ByColumn,
    Comparison,
    Expression,
    compare_scalar,
    error_exprs,
    filter_scope,
    limit_for,
    threshold_columns,
    threshold_scope,
)
from ._groups import distinct_groups, error_records_findings, errors_by_group, group_subject, rows_by_group


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


class WeightedCVValidator(Validator):
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
    summary = "Enrollment-weighted coefficient of variation of an indicator per group."
    Params = WeightedCVParams

    def check(self, ctx: RuleContext) -> list[Finding]:
        p: WeightedCVParams = ctx.params  # type: ignore[assignment]
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
        scope = [threshold_scope(p.threshold)]
        if where is not None:
            scope.append(where.expr.fill_null(True))
        error_column, error_kind = error_exprs(referenced, [value, weight])
        rows = filter_scope(lf, scope).select(
            *[nw.col(k) for k in keys],
            nw.col(ROW).alias("row"),
            x=value.expr.cast(nw.Float64),
            w=weight.expr.cast(nw.Float64),
            error_column=error_column,
            error_kind=error_kind,
        )
        errors = rows.filter(~nw.col("error_column").is_null()).collect()
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
            .sort(*keys)
            .collect()
        )
        # rows and errors of every group, each in one pass
        rows_of = rows_by_group(rows.select(*keys, "row").collect(), keys, "row")
        errors_of = errors_by_group(errors, keys)
        threshold = p.threshold

        findings: list[Finding] = []
        groups = distinct_groups(rows, keys)
        by_group = {tuple(rec[k] for k in keys): rec for rec in stats.iter_rows(named=True)}
        for key_values in groups:
            subject = group_subject(ctx, p.table, keys, key_values, p.subject_type)
            limit = limit_for(threshold, key_values)
            required = Required(op=p.op, value=limit)
            key = tuple(key_values[k] for k in keys)
            group_errors = errors_of.get(key)
            if group_errors:
                findings += error_records_findings(
                    ctx, p.table, group_errors, subject, columns=referenced, required=required, unit=p.unit
                )
                continue
            rec = by_group.get(key)
            evidence = [Evidence(table=p.table, rows=rows_of.get(key, []), columns=referenced)]
            if rec is None or rec["P"] in (None, 0) or rec["cv"] is None or limit is None:
                findings.append(self._undefined(ctx, p, subject, required, evidence, rec))
                continue
            cv = float(rec["cv"])
            outcome = Outcome.passed if compare_scalar(cv, p.op, limit) else Outcome.fail
            findings.append(
                ctx.finding(
                    outcome=outcome,
                    subject=subject,
                    observed=cv,
                    required=required,
                    unit=p.unit,
                    evidence=evidence,
                    values={
                        "mean": rec["mean"],
                        "std": rec["std"],
                        "schools": rec["n"],
                        "weight_total": rec["P"],
                    },
                )
            )
        return findings

    @staticmethod
    def _undefined(
        ctx: RuleContext, p: WeightedCVParams, subject, required, evidence, rec: dict[str, Any] | None
    ) -> Finding:
        if rec is None or rec["P"] in (None, 0):
            zh = f"「{p.table}」表该组的权重合计（{p.weight}）为 0，无法计算差异系数"
            en = (
                f"table {p.table}: the weights ({p.weight}) of this group sum to 0; "
                "the coefficient of variation cannot be computed"
            )
        else:
            zh = f"「{p.table}」表该组指标（{p.value}）的加权平均值为 0，无法计算差异系数"
            en = (
                f"table {p.table}: the weighted mean of {p.value} in this group is 0; "
                "the coefficient of variation cannot be computed"
            )
        return ctx.finding(
            outcome=Outcome.error,
            subject=subject,
            required=required,
            unit=p.unit,
            evidence=evidence,
            message=LocalizedText(zh=zh, en=en),
        )
