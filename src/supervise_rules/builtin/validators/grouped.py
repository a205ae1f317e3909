"""``group_aggregate``: an aggregate (or ratio of aggregates) per group of rows,
e.g. the students of a whole school summed over its sections."""

from __future__ import annotations

import narwhals as nw
from pydantic import Field, model_validator

from ...expressions import compile_expression
from ...models import Evidence, Finding, LocalizedText, Outcome, Required
from ...submission import ROW
from ...tables import TABLES
from ...validators import Params, RuleContext, Validator
from ._common import (
    ByColumn,
    Comparison,
    Expression,
    compare_scalar,
    error_exprs,
    first_zero_denominator,
    in_scope,
    limit_for,
)
from ._groups import distinct_groups, error_records_findings, errors_by_group, group_subject, rows_by_group


class GroupAggregateParams(Params):
    table: str = Field(description="The table whose rows are used, e.g. `schools`.")
    group_by: list[str] = Field(
        min_length=1, description="One finding per group of these columns, e.g. `[school_id]`."
    )
    value: Expression = Field(
        description="An aggregate over the group's rows, e.g. `sum(students)` or `sum(a) / sum(b)`."
    )
    op: Comparison = Field(description="Comparison with the threshold: >=, >, <=, <, ==, !=.")
    threshold: float | ByColumn = Field(
        description="A number, or `{by, values}` where `by` is a `group_by` or `attributes` column."
    )
    attributes: list[str] = Field(
        default_factory=list,
        description="Columns that must be the same on every row of a group (e.g. `school_type`).",
    )
    where: Expression | None = Field(default=None, description="Rows in scope (expression).")
    unit: str | None = Field(default=None, description="Unit of the observed value shown in findings.")
    subject_type: str | None = Field(
        default=None, description="The `subject.type` of findings (default: the table's, e.g. `school`)."
    )

    @model_validator(mode="after")
    def _check(self) -> GroupAggregateParams:
        if not compile_expression(self.value).aggregate:
            raise ValueError(f"{self.value!r} must aggregate the group (use sum, count, mean …)")
        if isinstance(self.threshold, ByColumn) and self.threshold.by not in (
            *self.group_by,
            *self.attributes,
        ):
            raise ValueError(f"threshold.by {self.threshold.by!r} must be a group_by or attributes column")
        return self


class GroupAggregateValidator(Validator):
    """Compare an aggregate of each group of rows with a threshold.

    What it checks
        Groups the rows of ``table`` in scope by ``group_by`` and computes
        ``value`` (an aggregate such as ``sum(students)``, or a ratio of
        aggregates) for each group; compares it with ``threshold`` using ``op``.
        The threshold may depend on a group attribute, e.g. the school type.
        One finding per group; subject id is the group's key values joined by
        ``/`` and its name the table's name column (e.g. ``school_name``).

    Parameters
        ``table``, ``group_by``, ``value``, ``op``, ``threshold`` (a number or
        ``{by, values}``), ``attributes``, ``where``, ``unit``, ``subject_type``.
        A missing value in a referenced column gives an ``error`` finding for the
        group naming the table, rows and column; so does an attribute that
        differs between rows of one group (e.g. one section says ``nine_year``,
        the other ``standalone``) and a zero denominator. A group whose
        attribute is not listed in ``threshold.values`` is out of scope.

    Example
        BAL-22: ``group_by: [school_id]``, ``value: sum(students)``, ``op: "<="``,
        ``attributes: [school_type]``, ``threshold: {by: school_type, values:
        {standalone: 2000, nine_year: 2500, twelve_year: 2500}}``.
    """

    name = "group_aggregate"
    summary = "An aggregate per group of rows (e.g. a whole school) against a threshold."
    Params = GroupAggregateParams

    def check(self, ctx: RuleContext) -> list[Finding]:
        p: GroupAggregateParams = ctx.params  # type: ignore[assignment]
        value = ctx.compile(p.value, p.table)
        where = ctx.compile(p.where, p.table) if p.where else None
        keys = list(p.group_by)
        referenced = list(
            dict.fromkeys([*keys, *p.attributes, *value.columns, *(where.columns if where else [])])
        )
        missing = ctx.require(p.table, referenced)
        if missing:
            return missing
        lf = ctx.frame(p.table)
        assert lf is not None
        spec = TABLES.get(p.table)
        stype = p.subject_type or (spec.subject_type if spec else "submission")
        name_col = ctx.subject_name_expr(p.table, ctx.columns(p.table))

        scoped = in_scope(lf, where)
        error_column, error_kind = error_exprs(referenced, [])
        rows = scoped.with_columns(
            error_column=error_column, error_kind=error_kind, _name=name_col, row=nw.col(ROW)
        )
        errors = (
            rows.filter(~nw.col("error_column").is_null())
            .select(*keys, "row", "error_column", "error_kind")
            .collect()
        )
        agg = (
            rows.filter(nw.col("error_column").is_null())
            .group_by(*keys)
            .agg(
                value.expr.cast(nw.Float64).alias("observed"),
                first_zero_denominator(value).alias("zero"),
                nw.col("_name").min().alias("name"),
                *[nw.col(a).min().alias(a) for a in p.attributes],
                *[nw.col(a).max().alias(f"{a}__max") for a in p.attributes],
            )
            .sort(*keys)
            .collect()
        )
        # rows and errors of every group, each in one pass
        rows_of = rows_by_group(rows.select(*keys, ROW).collect(), keys)
        errors_of = errors_by_group(errors, keys)
        findings: list[Finding] = []
        by_group = {tuple(rec[k] for k in keys): rec for rec in agg.iter_rows(named=True)}
        for key_values in distinct_groups(rows, keys):
            key = tuple(key_values[k] for k in keys)
            rec = by_group.get(key)
            subject = group_subject(ctx, p.table, keys, key_values, stype, name=(rec or {}).get("name"))
            group_errors = errors_of.get(key)
            if group_errors:
                findings += error_records_findings(ctx, p.table, group_errors, subject, columns=referenced)
                continue
            assert rec is not None
            group_rows_ = rows_of.get(key, [])
            evidence = [Evidence(table=p.table, rows=group_rows_, columns=referenced)]
            limit = limit_for(p.threshold, rec)
            required = Required(op=p.op, value=limit)
            inconsistent = [a for a in p.attributes if rec[a] != rec[f"{a}__max"]]
            if inconsistent:
                findings.append(self._inconsistent(ctx, p, subject, inconsistent[0], rec, evidence, required))
                continue
            if limit is None:
                continue  # e.g. a school type the threshold does not list: out of scope
            if rec["zero"] is not None or rec["observed"] is None:
                findings.append(
                    ctx.finding(
                        outcome=Outcome.error,
                        subject=subject,
                        required=required,
                        unit=p.unit,
                        evidence=evidence,
                        message=LocalizedText(
                            zh=f"「{spec.zh if spec else p.table}」表该组的 {rec['zero'] or p.value} "
                            "为 0，无法计算本指标",
                            en=f"table {p.table}: {rec['zero'] or p.value} is 0 for this group; "
                            "the figure cannot be computed",
                        ),
                    )
                )
                continue
            observed = float(rec["observed"])
            outcome = Outcome.passed if compare_scalar(observed, p.op, limit) else Outcome.fail
            findings.append(
                ctx.finding(
                    outcome=outcome,
                    subject=subject,
                    observed=observed,
                    required=required,
                    unit=p.unit,
                    evidence=evidence,
                    values={a: rec[a] for a in p.attributes} | {"sections": len(group_rows_)},
                )
            )
        return findings

    @staticmethod
    def _inconsistent(ctx, p, subject, column, rec, evidence, required) -> Finding:
        spec = TABLES.get(p.table)
        zh_table = spec.zh if spec else p.table
        zh_col = spec.columns[column].zh if spec and column in spec.columns else column
        rows = ", ".join(str(r) for r in evidence[0].rows)
        return ctx.finding(
            outcome=Outcome.error,
            subject=subject,
            required=required,
            unit=p.unit,
            evidence=[Evidence(table=p.table, rows=evidence[0].rows, columns=[column, *p.group_by])],
            message=LocalizedText(
                zh=f"「{zh_table}」表第 {rows} 行属于同一单位，但「{zh_col}」不一致"
                f"（{rec[column]} / {rec[column + '__max']}），无法确定适用的标准",
                en=f"table {p.table}, rows {rows}: one group but column {column} differs "
                f"({rec[column]} / {rec[column + '__max']}); the applicable limit is unknown",
            ),
        )
