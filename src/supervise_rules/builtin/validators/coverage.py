"""Cross-table validators: ``coverage`` (every key of one table has rows in
another, e.g. every school has a responsible inspector) and ``references``
(every id used in one table exists in its own table)."""

from __future__ import annotations

import datetime as dt

import narwhals as nw
from pydantic import Field

from ...models import Evidence, Finding, Outcome, Required, Subject
from ...submission import ROW
from ...tables import TABLES
from ...validators import Params, RuleContext, Validator
from ._common import Expression, in_scope
from ._support import (
    SubjectType,
    absent_tables_finding,
    as_of_error,
    as_text,
    column_label,
    missing_value_errors,
    reporting_year,
    rows_by_key,
    rows_text,
    table_problem,
    table_zh,
)


class DateWindow(Params):
    """Which rows of the other table count, by a date column."""

    column: str = Field(description="the date column, e.g. signed_date")
    in_year: bool = Field(
        default=False,
        description="only dates in the reporting year (manifest year, else the year of as_of)")
    not_after_as_of: bool = Field(default=False, description="only dates on or before as_of")


class Label(Params):
    zh: str = Field(description="Chinese label, e.g. 学校")
    en: str = Field(description="English label, e.g. school")


class CoverageTarget(Params):
    key: str = Field(description="column of `table` whose distinct values must be covered")
    match: str = Field(description="column of `in_table` holding the same values")
    match_where: Expression | None = Field(
        default=None, description="rows of `in_table` that count for this key (expression)")
    subject_type: SubjectType | None = Field(
        default=None,
        description="subject.type of the findings (default: the table's). For a key that is "
        "not the table's own (e.g. township), subject.id is '<county_code>/<value>'")
    label: Label | None = Field(default=None, description="what a key value is, for messages")


class CoverageParams(Params):
    table: str = Field(description="the table whose keys must be covered, e.g. schools")
    where: Expression | None = Field(default=None, description="rows of `table` in scope")
    targets: list[CoverageTarget] = Field(min_length=1, description="the keys to cover")
    in_table: str = Field(description="the table that must cover them, e.g. assignments")
    in_where: Expression | None = Field(
        default=None, description="rows of `in_table` that count (expression)")
    in_date: DateWindow | None = Field(
        default=None, description="rows of `in_table` that count, by date")
    min_rows: int = Field(default=1, ge=1, description="rows of `in_table` each key needs")
    unit: str | None = Field(default=None, description="unit of the observed count")


class CoverageValidator(Validator):
    """Every key of one table has at least ``min_rows`` rows in another table.

    What it checks
        For each target, takes the distinct values of ``table.<key>`` (rows where
        ``where`` holds) and counts the rows of ``in_table`` whose ``<match>``
        equals the value, among rows where ``in_where`` and ``match_where`` hold
        and whose ``in_date`` column lies in the window (reporting year, not after
        ``as_of``). One finding per key value: ``observed`` is the count,
        ``required`` is ``>= min_rows``; the evidence lists the rows of ``table``
        with that value (and of ``in_table`` that matched). Keys are compared as
        text.

    Parameters
        ``table``, ``where``, ``targets`` (each ``key``, ``match``,
        ``match_where``, ``subject_type``, ``label``), ``in_table``,
        ``in_where``, ``in_date`` (``column``, ``in_year``, ``not_after_as_of``),
        ``min_rows``, ``unit``. A missing key in ``table`` is an ``error``
        naming the rows; a missing date in a row of ``in_table`` that could
        count is an ``error`` too (that row is not counted). Message values:
        ``label_zh``, ``label_en``, ``year``, ``as_of``.

    Example
        INS-01: ``table: schools``, ``targets: [{key: school_id, match:
        school_id}]``, ``in_table: assignments``: a school with no row in
        ``assignments`` fails with observed 0.
    """

    name = "coverage"
    summary = "Every key of one table has at least one row in another table."
    Params = CoverageParams

    def check(self, ctx: RuleContext) -> list[Finding]:
        p: CoverageParams = ctx.params  # type: ignore[assignment]
        where = ctx.compile(p.where, p.table) if p.where else None
        in_where = ctx.compile(p.in_where, p.in_table) if p.in_where else None
        match_wheres = [ctx.compile(t.match_where, p.in_table) if t.match_where else None
                        for t in p.targets]
        a_cols = [*(t.key for t in p.targets), *(where.columns if where else [])]
        b_cols = [*(t.match for t in p.targets), *(in_where.columns if in_where else []),
                  *(c for m in match_wheres if m for c in m.columns),
                  *([p.in_date.column] if p.in_date else [])]
        missing = ctx.require(p.table, a_cols) + ctx.require(p.in_table, b_cols)
        if missing:
            return missing
        if p.in_date and (p.in_date.not_after_as_of or p.in_date.in_year):
            err = as_of_error(ctx)
            if err:
                return err
        a = ctx.frame(p.table)
        b = ctx.frame(p.in_table)
        assert a is not None and b is not None
        a = in_scope(a, where)
        b = in_scope(b, in_where, unknown=False)
        year = reporting_year(ctx)
        findings: list[Finding] = []
        if p.in_date is not None:
            findings += missing_value_errors(ctx, b, p.in_table, [p.in_date.column])
            b = b.filter(self._window(p.in_date, ctx.as_of, year))
        own_type = TABLES[p.table].subject_type if p.table in TABLES else "submission"
        for target, match_where in zip(p.targets, match_wheres, strict=True):
            findings += self._target(ctx, p, target, match_where, a, b, own_type, year)
        return findings

    @staticmethod
    def _window(w: DateWindow, as_of: dt.date | None, year: int | None) -> nw.Expr:
        col = nw.col(w.column)
        cond = ~col.is_null()
        if w.in_year and year is not None:
            cond = cond & (col >= nw.lit(dt.date(year, 1, 1))) & (col <= nw.lit(dt.date(year, 12, 31)))
        if w.not_after_as_of and as_of is not None:
            cond = cond & (col <= nw.lit(as_of))
        return cond

    def _target(self, ctx, p: CoverageParams, target: CoverageTarget, match_where, a, b,
                own_type: str, year: int | None) -> list[Finding]:
        findings = missing_value_errors(ctx, a, p.table, [target.key])
        keys = (
            a.filter(~nw.col(target.key).is_null())
            .select(_k=as_text(nw.col(target.key)), _row=nw.col(ROW),
                    _name=ctx.subject_name_expr(p.table, ctx.columns(p.table)))
        )
        other = in_scope(b, match_where, unknown=False)
        other = other.filter(~nw.col(target.match).is_null()).select(
            _k=as_text(nw.col(target.match)), _row=nw.col(ROW))
        counts = other.group_by("_k").agg(_n=nw.len())
        per_key = (
            keys.group_by("_k").agg(nw.col("_name").min(), nw.col("_row").min().alias("_first"))
            .join(counts, on="_k", how="left")
            .with_columns(nw.col("_n").fill_null(0))
            .sort("_first")
            .collect()
        )
        a_rows = rows_by_key(keys.select("_k", "_row").collect(), "_k", "_row")
        b_rows = rows_by_key(other.join(keys.select("_k").unique(), on="_k", how="inner")
                             .collect(), "_k", "_row")
        stype = target.subject_type or own_type
        own_key = stype == own_type
        county = ctx.submission.manifest.county_code or "county"
        label = target.label or Label(zh=target.key, en=target.key)
        required = Required(op=">=", value=p.min_rows)
        b_cols = [target.match, *([p.in_date.column] if p.in_date else [])]
        for rec in per_key.iter_rows(named=True):
            key = rec["_k"]
            ident = key if own_key else f"{county}/{key}"
            name = rec["_name"] if own_key and rec["_name"] is not None else key
            n = int(rec["_n"])
            evidence = [Evidence(table=p.table, rows=a_rows.get(key, []), columns=[target.key])]
            if b_rows.get(key):
                evidence.append(Evidence(table=p.in_table, rows=b_rows[key], columns=b_cols))
            findings.append(ctx.finding(
                outcome=Outcome.passed if n >= p.min_rows else Outcome.fail,
                subject=Subject(type=stype, id=str(ident), name=name),  # type: ignore[arg-type]
                observed=n, required=required, unit=p.unit, evidence=evidence,
                values={"label_zh": label.zh, "label_en": label.en, "year": year,
                        "as_of": ctx.as_of.isoformat() if ctx.as_of else None},
            ))
        return findings


class Reference(Params):
    table: str = Field(description="the table using the id, e.g. visits")
    column: str = Field(description="the column holding the id, e.g. school_id")
    where: Expression | None = Field(default=None, description="rows of `table` in scope")
    to_table: str = Field(description="the table the id belongs to, e.g. schools")
    to_column: str = Field(description="its key column there, e.g. school_id")


class ReferencesParams(Params):
    references: list[Reference] = Field(min_length=1, description="the references to resolve")


class ReferencesValidator(Validator):
    """Every id used in one table exists in the table it belongs to.

    What it checks
        For each reference, the rows of ``table`` (where ``where`` holds) whose
        ``column`` value is not among the values of ``to_table.to_column``
        (compared as text). One ``fail`` finding per unresolved value, listing
        the rows that use it (subject: the value, typed by ``to_table``); one
        ``pass`` per reference that resolves on every row (observed: rows
        checked). A missing id is an ``error`` naming the rows. References whose
        tables or columns are absent are skipped and reported together in one
        ``not_applicable`` finding. Message values: ``detail_zh``, ``detail_en``.

    Parameters
        ``references``: a list of ``{table, column, where, to_table, to_column}``.

    Example
        CON-04: ``{table: visits, column: school_id, to_table: schools,
        to_column: school_id}``: a visit to school ``2164009999``, which is not in
        ``schools``, fails with the visit's rows as evidence.
    """

    name = "references"
    summary = "Every id used in one table exists in its own table."
    Params = ReferencesParams

    def check(self, ctx: RuleContext) -> list[Finding]:
        p: ReferencesParams = ctx.params  # type: ignore[assignment]
        findings: list[Finding] = []
        skipped: dict[str, list[str] | None] = {}
        for ref in p.references:
            where = ctx.compile(ref.where, ref.table) if ref.where else None
            problem = False
            for table, cols in ((ref.table, [ref.column, *(where.columns if where else [])]),
                                (ref.to_table, [ref.to_column])):
                issue = table_problem(ctx, table, cols)
                if issue is not False:
                    problem = True
                    if issue is None:
                        skipped[table] = None
                    elif skipped.get(table, []) is not None:
                        skipped[table] = list(dict.fromkeys([*(skipped.get(table) or []), *issue]))
            if not problem:
                findings += self._reference(ctx, ref, where)
        if skipped:
            findings.append(absent_tables_finding(ctx, skipped))
        return findings

    @staticmethod
    def _reference(ctx: RuleContext, ref: Reference, where) -> list[Finding]:
        lf = ctx.frame(ref.table)
        target = ctx.frame(ref.to_table)
        assert lf is not None and target is not None
        lf = in_scope(lf, where)
        to_spec = TABLES.get(ref.to_table)
        stype = to_spec.subject_type if to_spec else "submission"
        required = Required(op="exists", value=f"{ref.to_table}.{ref.to_column}")
        findings = missing_value_errors(ctx, lf, ref.table, [ref.column], required=required)
        used = lf.filter(~nw.col(ref.column).is_null()).select(
            _k=as_text(nw.col(ref.column)), _row=nw.col(ROW))
        known = target.filter(~nw.col(ref.to_column).is_null()).select(
            _k=as_text(nw.col(ref.to_column))).unique()
        unresolved = used.join(known, on="_k", how="anti").sort("_row").collect()
        checked = int(used.select(nw.len()).collect().item())
        col_zh, col_en = column_label(ctx, ref.table, ref.column)
        t_zh, to_zh = table_zh(ref.table), table_zh(ref.to_table)
        if unresolved.is_empty():
            findings.append(ctx.finding(
                outcome=Outcome.passed, subject=ctx.county_subject(), observed=checked,
                required=required, unit="rows",
                evidence=[Evidence(table=ref.table, rows=None, columns=[ref.column]),
                          Evidence(table=ref.to_table, rows=None, columns=[ref.to_column])],
                values={
                    "detail_zh": f"「{t_zh}」表 {checked} 行的{col_zh}均能在「{to_zh}」表中找到",
                    "detail_en": f"all {checked} rows of {ref.table}.{col_en} resolve to "
                    f"{ref.to_table}.{ref.to_column}",
                },
            ))
            return findings
        by_value = rows_by_key(unresolved, "_k", "_row")
        for value, rows in by_value.items():
            findings.append(ctx.finding(
                outcome=Outcome.fail,
                subject=Subject(type=stype, id=str(value)),  # type: ignore[arg-type]
                observed=len(rows), required=required, unit="rows",
                evidence=[Evidence(table=ref.table, rows=rows, columns=[ref.column]),
                          Evidence(table=ref.to_table, rows=None, columns=[ref.to_column])],
                values={
                    "detail_zh": f"「{t_zh}」表第 {rows_text(rows)} 行的{col_zh} {value} "
                    f"在「{to_zh}」表中不存在",
                    "detail_en": f"{ref.table}.{col_en} = {value} (row(s) {rows_text(rows)}) "
                    f"is not in {ref.to_table}.{ref.to_column}",
                },
            ))
        return findings


__all__ = ["CoverageValidator", "ReferencesValidator"]
