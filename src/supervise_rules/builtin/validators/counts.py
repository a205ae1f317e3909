"""Counting validators: ``group_compare`` (an aggregate per group of rows
against a number or another aggregate of the same group, e.g. schools per
inspector, issues rectified vs found per school) and ``count_ratio`` (a
distinct count against ceil(another distinct count / k), e.g. one inspector per
5 schools)."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import narwhals as nw
from pydantic import Field, model_validator

from ...expressions import compile_expression
from ...models import Evidence, Finding, LocalizedText, Outcome, Required, Subject
from ...submission import ROW
from ...validators import Params, RuleContext, Validator
from ._common import Comparison, Expression, compare, compare_scalar, in_scope
from ._support import (
    SubjectType,
    as_text,
    missing_rows_findings,
    missing_value_errors,
    names_of,
    row_subject,
    rows_by_key,
    table_zh,
    text,
)


def _aggregate(text_: str | None, what: str) -> None:
    if text_ is not None and not compile_expression(text_).aggregate:
        raise ValueError(f"{what} {text_!r} must aggregate the group (use sum, count, …)")


class GroupCompareParams(Params):
    table: str = Field(description="the table, e.g. assignments")
    group_by: str = Field(description="one finding per distinct value of this column")
    where: Expression | None = Field(default=None, description="rows in scope (expression)")
    value: Expression | None = Field(
        default=None, description="aggregate per group, e.g. sum(issues_rectified)")
    distinct: str | None = Field(
        default=None, description="instead of `value`: the number of distinct values of this column")
    op: Comparison = Field(description="the comparison")
    threshold: float | Expression = Field(
        description="a number, or an aggregate of the same group, e.g. sum(issues_found)")
    subject_type: SubjectType | None = Field(
        default=None, description="subject.type (default: the table's row subject)")
    highlight: Expression | None = Field(
        default=None,
        description="row condition picking the evidence rows of a failing group "
        "(default: every row of the group)")
    unit: str | None = Field(default=None, description="unit of the observed value")

    @model_validator(mode="after")
    def _check(self) -> GroupCompareParams:
        if (self.value is None) == (self.distinct is None):
            raise ValueError("give exactly one of `value` and `distinct`")
        _aggregate(self.value, "value")
        if isinstance(self.threshold, str):
            _aggregate(self.threshold, "threshold")
        return self


class GroupCompareValidator(Validator):
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
    summary = "An aggregate per group against a number or another aggregate of the group."
    Params = GroupCompareParams

    def check(self, ctx: RuleContext) -> list[Finding]:
        p: GroupCompareParams = ctx.params  # type: ignore[assignment]
        where = ctx.compile(p.where, p.table) if p.where else None
        value = ctx.compile(p.value, p.table) if p.value else None
        threshold = ctx.compile(p.threshold, p.table) if isinstance(p.threshold, str) else None
        highlight = ctx.compile(p.highlight, p.table) if p.highlight else None
        value_cols = [*(value.columns if value else [p.distinct]),
                      *(threshold.columns if threshold else [])]
        referenced = list(dict.fromkeys([p.group_by, *value_cols, *(where.columns if where else []),
                                         *(highlight.columns if highlight else [])]))
        missing = ctx.require(p.table, referenced)
        if missing:
            return missing
        lf = ctx.frame(p.table)
        assert lf is not None
        lf = in_scope(lf, where)
        stype = p.subject_type or row_subject(p.table)[0]
        findings = missing_value_errors(ctx, lf, p.table, [p.group_by])
        lf = lf.filter(~nw.col(p.group_by).is_null()).with_columns(_g=as_text(nw.col(p.group_by)))
        value_cols = list(dict.fromkeys(c for c in value_cols if c is not None))
        null_rows = lf.filter(nw.any_horizontal(*[nw.col(c).is_null() for c in value_cols],
                                                ignore_nulls=True)) if value_cols else None
        bad_groups = set()
        if null_rows is not None:
            # every group's missing values in one pass: group -> column -> sorted rows
            flagged = (
                null_rows.select("_g", nw.col(ROW), *[nw.col(c).is_null().alias(f"_null{i}")
                                                      for i, c in enumerate(value_cols)])
                .sort(ROW)
                .collect()
            )
            missing_of: dict[Any, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
            nulls = [flagged[f"_null{i}"].to_list() for i in range(len(value_cols))]
            for j, (g, r) in enumerate(zip(flagged["_g"].to_list(), flagged[ROW].to_list(),
                                           strict=True)):
                for c, col_nulls in zip(value_cols, nulls, strict=True):
                    if col_nulls[j]:
                        missing_of[g][c].append(int(r))
            bad_groups = set(missing_of)
            for g in sorted(bad_groups):
                subject = Subject(type=stype, id=str(g))  # type: ignore[arg-type]
                findings += missing_rows_findings(ctx, p.table, value_cols, missing_of[g],
                                                  subject=subject)
        observed = value.expr if value else nw.col(p.distinct).n_unique()
        required = threshold.expr if threshold else nw.lit(float(p.threshold))
        agg = (
            lf.group_by("_g")
            .agg(observed.cast(nw.Float64).alias("_obs"), required.cast(nw.Float64).alias("_req"),
                 nw.col(ROW).min().alias("_first"))
            .with_columns(_ok=compare(nw.col("_obs"), p.op, nw.col("_req")))
            .sort("_first")
            .collect()
        )
        all_rows = rows_by_key(lf.select("_g", ROW).collect(), "_g")
        hl_rows = rows_by_key(lf.filter(highlight.expr.fill_null(True)).select("_g", ROW).collect(),
                              "_g") if highlight else all_rows
        names = names_of(ctx, stype)
        for rec in agg.iter_rows(named=True):
            g = rec["_g"]
            if g in bad_groups:
                continue
            obs, req = rec["_obs"], rec["_req"]
            ok = bool(rec["_ok"])
            rows = all_rows.get(g, []) if ok else (hl_rows.get(g) or all_rows.get(g, []))
            findings.append(ctx.finding(
                outcome=Outcome.passed if ok else Outcome.fail,
                subject=Subject(type=stype, id=str(g), name=names.get(str(g))),  # type: ignore[arg-type]
                observed=_int_if_whole(obs), required=Required(op=p.op, value=_int_if_whole(req)),
                unit=p.unit,
                evidence=[Evidence(table=p.table, rows=rows, columns=referenced)],
                values={"gap": _int_if_whole(req - obs) if obs is not None and req is not None
                        else None, "rows": len(all_rows.get(g, []))},
            ))
        return findings


def _int_if_whole(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


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


class CountRatioValidator(Validator):
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
    summary = "A distinct count against ceil(another distinct count / divisor)."
    Params = CountRatioParams

    def check(self, ctx: RuleContext) -> list[Finding]:
        p: CountRatioParams = ctx.params  # type: ignore[assignment]
        sides = []
        problems: list[Finding] = []
        for side in (p.count, p.per):
            where = ctx.compile(side.where, side.table) if side.where else None
            problems += ctx.require(side.table, [side.column, *(where.columns if where else [])])
            sides.append((side, where))
        if problems:
            return problems
        counts = []
        for side, where in sides:
            lf = ctx.frame(side.table)
            assert lf is not None
            lf = in_scope(lf, where)
            problems += missing_value_errors(ctx, lf, side.table, [side.column],
                                             subject=ctx.county_subject())
            n = lf.filter(~nw.col(side.column).is_null()).select(
                nw.col(side.column).n_unique()).collect().item()
            counts.append(int(n or 0))  # DuckDB gives null for an empty selection
        if problems:
            return problems
        observed, base = counts
        evidence = [Evidence(table=p.count.table, rows=None, columns=[p.count.column]),
                    Evidence(table=p.per.table, rows=None, columns=[p.per.column])]
        if base == 0:
            return [ctx.finding(
                outcome=Outcome.error, subject=ctx.county_subject(), evidence=evidence,
                message=LocalizedText(
                    zh=f"「{table_zh(p.per.table)}」表没有任何{p.per.column}，无法计算配备要求",
                    en=f"table {p.per.table} has no {p.per.column} values; the requirement "
                    "cannot be computed",
                ),
            )]
        required = math.ceil(base / p.divisor - 1e-9)
        ok = compare_scalar(float(observed), p.op, float(required))
        return [ctx.finding(
            outcome=Outcome.passed if ok else Outcome.fail, subject=ctx.county_subject(),
            observed=observed, required=Required(op=p.op, value=required), unit=p.unit,
            evidence=evidence, values={"base": base, "divisor": text(p.divisor)},
        )]


__all__ = ["CountRatioValidator", "GroupCompareValidator"]
