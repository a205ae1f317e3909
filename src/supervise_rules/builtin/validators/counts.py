"""Counting validators: ``group_compare`` (an aggregate per group of rows
against a number or another aggregate of the same group, e.g. schools per
inspector, issues rectified vs found per school) and ``count_ratio`` (a
distinct count against ceil(another distinct count / k), e.g. one inspector per
5 schools)."""

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
    Comparison,
    Expression,
    SubjectType,
    as_text,
    compare,
    county_names,
    error_results,
    in_scope,
    missing_value_results,
    row_subject,
    table_zh,
    text,
    with_county,
    with_names,
)


def _aggregate(text_: str | None, what: str) -> None:
    if text_ is not None and not compile_expression(text_).aggregate:
        raise ValueError(f"{what} {text_!r} must aggregate the group (use sum, count, …)")


class GroupCompareParams(Params):
    table: str = Field(description="the table, e.g. assignments")
    group_by: str = Field(description="one finding per distinct value of this column")
    where: Expression | None = Field(default=None, description="rows in scope (expression)")
    value: Expression | None = Field(
        default=None, description="aggregate per group, e.g. sum(issues_rectified)"
    )
    distinct: str | None = Field(
        default=None, description="instead of `value`: the number of distinct values of this column"
    )
    op: Comparison = Field(description="the comparison")
    threshold: float | Expression = Field(
        description="a number, or an aggregate of the same group, e.g. sum(issues_found)"
    )
    subject_type: SubjectType | None = Field(
        default=None, description="subject.type (default: the table's row subject)"
    )
    highlight: Expression | None = Field(
        default=None,
        description="row condition picking the evidence rows of a failing group "
        "(default: every row of the group)",
    )
    unit: str | None = Field(default=None, description="unit of the observed value")

    @model_validator(mode="after")
    def _check(self) -> GroupCompareParams:
        if (self.value is None) == (self.distinct is None):
            raise ValueError("give exactly one of `value` and `distinct`")
        _aggregate(self.value, "value")
        if isinstance(self.threshold, str):
            _aggregate(self.threshold, "threshold")
        return self


class GroupCompareValidator(Validator[GroupCompareParams]):
    """Compare an aggregate of each group of rows with a number or another aggregate.

    What it checks
        Groups the rows of ``table`` in scope by ``group_by`` and computes
        ``value`` (an aggregate such as ``sum(issues_rectified)``) or the number
        of ``distinct`` values of a column; compares it with ``threshold``, a
        number or an aggregate of the same group (``sum(issues_found)``). One
        finding per group: subject id = the group value (type ``subject_type``),
        name from ``schools``/``inspectors`` when present; evidence = the
        group's rows, or those where ``highlight`` holds when the group fails.

    Parameters
        ``table``, ``group_by``, ``where``, ``value`` or ``distinct``, ``op``,
        ``threshold``, ``subject_type``, ``highlight``, ``unit``. A missing value
        in a referenced column makes the group an ``error`` naming the table,
        rows and column (a row with a missing ``group_by`` is an error of its
        own). Message values: ``gap`` (threshold − observed), ``rows``.

    Example
        INS-02: ``table: assignments``, ``group_by: inspector_id``, ``distinct:
        school_id``, ``op: "<="``, ``threshold: 5``: an inspector with 7 schools
        fails. INS-06: ``group_by: school_id``, ``value: sum(issues_rectified)``,
        ``op: ">="``, ``threshold: sum(issues_found)``.
    """

    name = "group_compare"
    summary = LocalizedText(
        zh="按组汇总值，与数值或该组另一汇总值比较。",
        en="An aggregate per group against a number or another aggregate of the group.",
    )
    Params = GroupCompareParams
    message_values = ("gap", "rows")

    def check(self, ctx: RuleContext[GroupCompareParams]) -> list[RuleResult]:
        p = ctx.params
        where = ctx.compile(p.where, p.table) if p.where else None
        value = ctx.compile(p.value, p.table) if p.value else None
        threshold = ctx.compile(p.threshold, p.table) if isinstance(p.threshold, str) else None
        highlight = ctx.compile(p.highlight, p.table) if p.highlight else None
        value_cols = [*(value.columns if value else [p.distinct]), *(threshold.columns if threshold else [])]
        referenced = list(
            dict.fromkeys(
                [
                    p.group_by,
                    *value_cols,
                    *(where.columns if where else []),
                    *(highlight.columns if highlight else []),
                ]
            )
        )
        missing = ctx.require(p.table, referenced)
        if missing:
            return missing
        lf = ctx.frame(p.table)
        assert lf is not None
        lf = in_scope(lf, where)
        stype = p.subject_type or row_subject(p.table)[0]
        results = missing_value_results(ctx, lf, p.table, [p.group_by])
        value_cols = [c for c in dict.fromkeys(value_cols) if c is not None]
        lf = lf.filter(~nw.col(p.group_by).is_null()).with_columns(
            _g=as_text(nw.col(p.group_by)),
            _null=nw.any_horizontal(*[nw.col(c).is_null() for c in value_cols], ignore_nulls=True).cast(
                nw.Int64
            )
            if value_cols
            else nw.lit(0, dtype=nw.Int64),
            _hl=highlight.expr.fill_null(True).cast(nw.Int64) if highlight else nw.lit(1, dtype=nw.Int64),
        )
        # a group with a missing value is an error per column, not a figure
        for c in value_cols:
            errors = lf.filter(nw.col(c).is_null()).select(
                nw.col(ROW),
                subject_id=nw.col("_g"),
                error_column=nw.lit(c, dtype=nw.String),
                error_kind=nw.lit("missing", dtype=nw.String),
            )
            results += error_results(ctx, errors, p.table, [c], keys=("subject_id",), subject_type=stype)

        if value is not None:
            observed = value.expr
        else:
            assert p.distinct is not None  # the model takes exactly one of value and distinct
            observed = nw.col(p.distinct).n_unique()
        required = threshold.expr if threshold else nw.lit(float(p.threshold))
        groups = (
            lf.group_by("_g")
            .agg(
                observed.alias("_obs"),
                required.alias("_req"),
                nw.len().alias("_n"),
                nw.col("_null").sum().alias("_nulls"),
                nw.col("_hl").sum().alias("_hl_n"),
            )
            .filter(nw.col("_nulls") == 0)
            .with_columns(
                _ok=compare(nw.col("_obs").cast(nw.Float64), p.op, nw.col("_req").cast(nw.Float64)).fill_null(
                    False
                )
            )
        )
        # The evidence of a failing group is its highlighted rows, or all of
        # them when none is highlighted.
        evidence_rows = (
            lf.select("_g", ROW, "_hl")
            .join(groups.select("_g", "_ok", "_hl_n"), on="_g", how="inner")
            .filter(nw.col("_ok") | (nw.col("_hl_n") == 0) | (nw.col("_hl") == 1))
            .select(nw.col(ROW), subject_id=nw.col("_g"))
        )
        frame = with_names(ctx, groups.rename({"_g": "subject_id"}), stype).with_columns(
            outcome=nw.when(nw.col("_ok")).then(nw.lit("pass")).otherwise(nw.lit("fail")),
            rows=nw.col("_n").cast(nw.Int64),
        )
        # The types of the aggregates (schema only, no data is read) tell whether
        # a figure is an integer by type or must be split by value below.
        schema = groups.collect_schema()
        literal = None if threshold else float(p.threshold)
        obs_int = True if schema["_obs"].is_integer() else None
        req_int = (
            literal.is_integer() if literal is not None else True if schema["_req"].is_integer() else None
        )
        common: dict[str, Any] = dict(
            table=p.table,
            subject_type=stype,
            op=p.op,
            unit=p.unit,
            values=self.message_values,
            evidence=[EvidenceSpec(p.table, referenced, Rows(evidence_rows))],
        )
        return [
            *results,
            *(RuleResult(frame=part, **common) for part in _whole_as_int(frame, obs_int, req_int)),
        ]


def _whole_as_int(
    frame: nw.LazyFrame[Any], obs_int: bool | None, req_int: bool | None
) -> list[nw.LazyFrame[Any]]:
    """``frame`` with ``observed``, ``required`` and ``gap`` (required − observed)
    from ``_obs`` and ``_req``, whole numbers as integers and others as floats, as
    the messages and the report show them ("7", not "7.0"; "6.5").

    ``obs_int``/``req_int``: ``True`` when the figure is always whole (an integer
    type, a whole literal), ``False`` when never (a literal like 1.5), ``None``
    when it depends on the value. A column has one type, so the rows are split
    by whether each value-dependent figure is whole: one frame per combination
    (a single frame when all are known, the usual case).
    """
    obs, req = nw.col("_obs"), nw.col("_req")
    obs_f, req_f = obs.cast(nw.Float64), req.cast(nw.Float64)
    # even whole minus 1.5 may round to a whole float, so only ints are certain
    gap_int = True if obs_int and req_int else None
    quantities = {
        "observed": (obs, obs_f, obs_int),
        "required": (req, req_f, req_int),
        "gap": (req - obs, req_f - obs_f, gap_int),
    }
    parts: list[tuple[nw.LazyFrame[Any], dict[str, nw.Expr]]] = [(frame, {})]
    for name, (exact, x, is_int) in quantities.items():
        if is_int is not None:
            parts = [(f, {**c, name: exact.cast(nw.Int64) if is_int else x}) for f, c in parts]
            continue
        whole = x.is_null() | (x.is_finite() & (x.abs() < 2.0**63) & (x.round(0) == x))
        parts = [
            split
            for f, c in parts
            for split in (
                (f.filter(whole), {**c, name: x.cast(nw.Int64)}),
                (f.filter(~whole), {**c, name: x}),
            )
        ]
    return [f.with_columns(**c) for f, c in parts]


class DistinctSide(Params):
    table: str = Field(description="the table")
    column: str = Field(description="the column whose distinct values are counted")
    where: Expression | None = Field(default=None, description="rows counted (expression)")


class CountRatioParams(Params):
    count: DistinctSide = Field(description="what is counted, e.g. assignments.inspector_id")
    per: DistinctSide = Field(description="what it is measured against, e.g. schools.school_id")
    divisor: float = Field(gt=0, description="one counted per this many, e.g. 5 schools")
    op: Comparison = Field(default=">=", description="the comparison with the requirement")
    unit: str | None = Field(default=None, description="unit of the observed count")


class CountRatioValidator(Validator[CountRatioParams]):
    """A distinct count against ``ceil(another distinct count / divisor)`` (county).

    What it checks
        Counts the distinct non-missing values of ``count.column`` (e.g. the
        inspectors who have at least one assignment) and of ``per.column`` (e.g.
        the schools), and compares the first with ``ceil(per / divisor)``. One
        finding for the county.

    Parameters
        ``count`` and ``per`` (each ``table``, ``column``, ``where``),
        ``divisor``, ``op``, ``unit``. Missing values in either column are
        ``error`` findings listing the rows; nothing to count against (no
        ``per`` value at all) is an ``error``, never a silent pass. Message
        values: ``base`` (the ``per`` count), ``divisor``.

    Example
        INS-03: 15 inspectors with assignments, 28 schools, divisor 5 → needs
        ceil(28 / 5) = 6 → pass.
    """

    name = "count_ratio"
    summary = LocalizedText(
        zh="不同值个数，与另一不同值个数除以除数后向上取整的结果比较。",
        en="A distinct count against ceil(another distinct count / divisor).",
    )
    Params = CountRatioParams
    message_values = ("base", "divisor")

    def check(self, ctx: RuleContext[CountRatioParams]) -> list[RuleResult]:
        p = ctx.params
        sides = []
        problems: list[RuleResult] = []
        for side in (p.count, p.per):
            where = ctx.compile(side.where, side.table) if side.where else None
            problems += ctx.require(side.table, [side.column, *(where.columns if where else [])])
            sides.append((side, where))
        if problems:
            return problems
        frames = []
        for side, where in sides:
            lf = ctx.frame(side.table)
            assert lf is not None
            lf = in_scope(lf, where)
            problems += missing_value_results(
                ctx, lf, side.table, [side.column], subject=ctx.county_subject()
            )
            frames.append(lf)
        # a batch of counties: one figure per county, where both tables can be
        # placed in a county; else one figure for the whole submission
        by_county = (
            [with_county(ctx, side.table, lf) for (side, _), lf in zip(sides, frames, strict=True)]
            if ctx.submission.manifest.is_batch
            else []
        )
        placed = [f for f in by_county if f is not None]
        per_county = bool(by_county) and len(placed) == len(by_county)
        counts = []
        for i, ((side, _), lf) in enumerate(zip(sides, frames, strict=True)):
            col = nw.col(side.column)
            # DuckDB gives null for an empty selection; n_unique counts a null as a value
            nulls = col.null_count().cast(nw.Int64).fill_null(0)
            aggs = [
                (col.n_unique().cast(nw.Int64).fill_null(0) - (nulls > 0).cast(nw.Int64)).alias(f"_n{i}"),
                nulls.alias(f"_nulls{i}"),
            ]
            if per_county:
                counts.append(placed[i].group_by("_county").agg(*aggs))
            else:
                counts.append(lf.select(*aggs))
        # a missing value in either column leaves only its errors, no figure
        if per_county:
            joined = counts[0].join(counts[1], on="_county", how="full", suffix="_per")
            both = joined.select(
                subject_id=nw.coalesce(nw.col("_county"), nw.col("_county_per")),
                _n0=nw.col("_n0").fill_null(0),
                _nulls0=nw.col("_nulls0").fill_null(0),
                _n1=nw.col("_n1").fill_null(0),
                _nulls1=nw.col("_nulls1").fill_null(0),
            )
            both = county_names(ctx, both)
        else:
            both = counts[0].join(counts[1], how="cross")
        both = both.filter((nw.col("_nulls0") + nw.col("_nulls1")) == 0)
        observed, base = nw.col("_n0"), nw.col("_n1")
        evidence = [
            EvidenceSpec(p.count.table, [p.count.column], None),
            EvidenceSpec(p.per.table, [p.per.column], None),
        ]
        county = nw.col("subject_id") if per_county else nw.lit(ctx.county_subject().id, dtype=nw.String)
        name = nw.col("subject_name") if per_county else nw.lit(None, dtype=nw.String)
        # with_columns, not select: literals alone would give a row even when none is left
        nothing = both.filter(base == 0).with_columns(
            subject_id=county,
            subject_name=name,
            outcome=nw.lit("error", dtype=nw.String),
            message_zh=nw.lit(
                f"「{table_zh(p.per.table)}」表没有任何{p.per.column}，无法计算配备要求", dtype=nw.String
            ),
            message_en=nw.lit(
                f"table {p.per.table} has no {p.per.column} values; the requirement cannot be computed",
                dtype=nw.String,
            ),
        )
        required = (base.cast(nw.Float64) / p.divisor - 1e-9).ceil().cast(nw.Int64)
        ratio = both.filter(base > 0).select(
            subject_id=county,
            subject_name=name,
            observed=observed,
            required=required,
            base=base,
            divisor=nw.lit(text(p.divisor), dtype=nw.String),
            outcome=nw.when(compare(observed.cast(nw.Float64), p.op, required.cast(nw.Float64)))
            .then(nw.lit("pass"))
            .otherwise(nw.lit("fail")),
        )
        return [
            *problems,
            RuleResult(
                frame=nothing,
                table=p.count.table,
                subject_type="county",
                aggregate=not per_county,
                evidence=evidence,
            ),
            RuleResult(
                frame=ratio,
                table=p.count.table,
                subject_type="county",
                aggregate=not per_county,
                op=p.op,
                unit=p.unit,
                values=self.message_values,
                evidence=evidence,
            ),
        ]


__all__ = ["CountRatioValidator", "GroupCompareValidator"]
