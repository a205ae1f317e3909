"""``group_aggregate``: an aggregate (or ratio of aggregates) per group of rows,
e.g. the students of a whole school summed over its sections."""

from __future__ import annotations

from typing import Any

import narwhals as nw
from pydantic import Field, model_validator

from supervise_rules import (
    ROW,
    EvidenceSpec,
    LocalizedText,
    Params,
    Rows,
    RuleContext,
    RuleResult,
    Validator,
    compile_expression,
)
from supervise_rules.helpers import (
    ByColumn,
    Comparison,
    Expression,
    compare,
    error_exprs,
    error_results,
    first_zero_denominator,
    group_key_columns,
    group_subject_exprs,
    in_scope,
    joined_rows,
    shared,
    threshold_expr,
)
from supervise_rules.tables import TABLES


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


class GroupAggregateValidator(Validator[GroupAggregateParams]):
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
    summary = LocalizedText(
        zh="按行分组（如整所学校）的汇总值，与标准比较。",
        en="An aggregate per group of rows (e.g. a whole school) against a threshold.",
    )
    Params = GroupAggregateParams
    message_values = ("sections",)

    @classmethod
    def placeholders(cls, params: Any) -> frozenset[str] | None:
        names = super().placeholders(params)
        return None if names is None else names | frozenset(params.attributes)

    def check(self, ctx: RuleContext[GroupAggregateParams]) -> list[RuleResult]:
        p = ctx.params
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
        zh_table = spec.zh if spec else p.table
        name_col = ctx.subject_name_expr(p.table, ctx.columns(p.table))
        gkeys = group_key_columns(keys)
        raw_keys = {g: nw.col(k) for g, k in zip(gkeys, keys, strict=True)}
        subject_id, default_name = group_subject_exprs(ctx, p.table, keys)

        error_column, error_kind = error_exprs(referenced, [])
        rows = shared(
            in_scope(lf, where).with_columns(
                error_column=error_column, error_kind=error_kind, _name=name_col, row=nw.col(ROW)
            )
        )
        agg = shared(
            rows.filter(nw.col("error_column").is_null())
            .group_by(*keys)
            .agg(
                value.expr.cast(nw.Float64).alias("observed"),
                first_zero_denominator(value).alias("zero"),
                nw.col("_name").min().alias("name"),
                nw.len().alias("sections"),
                *[nw.col(a).min().alias(a) for a in p.attributes],
                *[nw.col(a).max().alias(f"{a}__max") for a in p.attributes],
            )
        )
        # The name is the name column's over the group's rows without errors,
        # else the one made from the keys.
        errors = (
            rows.filter(~nw.col("error_column").is_null())
            .select(*keys, "row", "error_column", "error_kind")
            .join(agg.select(*keys, "name"), on=keys, how="left")
            .with_columns(
                subject_id=subject_id, subject_name=nw.coalesce(nw.col("name"), default_name), **raw_keys
            )
        )
        results = error_results(
            ctx,
            errors,
            p.table,
            referenced,
            keys=("subject_id", "subject_name", *gkeys),
            columns=referenced,
            subject_type=stype,
            row="row",
        )

        # a group with any error row has only its error findings
        groups = agg.join(errors.select(*keys).unique(), on=keys, how="anti").with_columns(
            subject_id=subject_id,
            subject_name=nw.coalesce(nw.col("name"), default_name),
            required=threshold_expr(p.threshold),
            **raw_keys,
        )
        group_rows = Rows(
            rows.select(*[c.alias(g) for g, c in raw_keys.items()], "row"), on=tuple(gkeys), row="row"
        )
        consistent = nw.lit(True)
        for a in p.attributes:
            # sections of one school disagree: the finding is about the first
            # such attribute and lists every row of the school
            differs = consistent & (nw.col(a) != nw.col(f"{a}__max"))
            consistent = consistent & ~differs
            results.append(self._inconsistent(p, groups.filter(differs), a, stype, group_rows))
        scored = groups.filter(consistent & ~nw.col("required").is_null())
        undefined = ~nw.col("zero").is_null() | nw.col("observed").is_null()
        zero = nw.coalesce(nw.col("zero"), nw.lit(p.value, dtype=nw.String))
        results.append(
            RuleResult(
                frame=scored.with_columns(
                    observed=nw.when(~undefined).then(nw.col("observed")),
                    outcome=nw.when(undefined)
                    .then(nw.lit("error"))
                    .when(compare(nw.col("observed"), p.op, nw.col("required")))
                    .then(nw.lit("pass"))
                    .otherwise(nw.lit("fail")),
                    message_zh=nw.when(undefined).then(
                        nw.concat_str(
                            [nw.lit(f"「{zh_table}」表该组的 "), zero, nw.lit(" 为 0，无法计算本指标")]
                        )
                    ),
                    message_en=nw.when(undefined).then(
                        nw.concat_str(
                            [
                                nw.lit(f"table {p.table}: "),
                                zero,
                                nw.lit(" is 0 for this group; the figure cannot be computed"),
                            ]
                        )
                    ),
                ),
                table=p.table,
                subject_type=stype,
                op=p.op,
                unit=p.unit,
                values=(*p.attributes, "sections"),
                evidence=[EvidenceSpec(p.table, referenced, group_rows)],
            )
        )
        return results

    @staticmethod
    def _inconsistent(
        p: GroupAggregateParams, groups: nw.LazyFrame[Any], column: str, stype: str, group_rows: Rows
    ) -> RuleResult:
        spec = TABLES.get(p.table)
        zh_table = spec.zh if spec else p.table
        zh_col = spec.columns[column].zh if spec and column in spec.columns else column
        # the message names every row of the group, written out in the frame
        # (only for the groups in question: a province has a million rows)
        on = list(group_rows.on)
        listed = joined_rows(
            group_rows.frame.join(groups.select(*on), on=on, how="semi"), on, group_rows.row, "rows_text"
        )
        low, high = nw.col(column).cast(nw.String), nw.col(f"{column}__max").cast(nw.String)
        frame = groups.join(listed, on=on, how="left").with_columns(
            outcome=nw.lit("error", dtype=nw.String),
            observed=nw.lit(None, dtype=nw.Float64),
            message_zh=nw.concat_str(
                [
                    nw.lit(f"「{zh_table}」表第 "),
                    nw.col("rows_text"),
                    nw.lit(f" 行属于同一单位，但「{zh_col}」不一致（"),
                    low,
                    nw.lit(" / "),
                    high,
                    nw.lit("），无法确定适用的标准"),
                ]
            ),
            message_en=nw.concat_str(
                [
                    nw.lit(f"table {p.table}, rows "),
                    nw.col("rows_text"),
                    nw.lit(f": one group but column {column} differs ("),
                    low,
                    nw.lit(" / "),
                    high,
                    nw.lit("); the applicable limit is unknown"),
                ]
            ),
        )
        return RuleResult(
            frame=frame,
            table=p.table,
            subject_type=stype,
            op=p.op,
            unit=p.unit,
            evidence=[EvidenceSpec(p.table, [column, *p.group_by], group_rows)],
        )
