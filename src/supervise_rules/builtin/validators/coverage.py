"""Cross-table validators: ``coverage`` (every key of one table has rows in
another, e.g. every school has a responsible inspector) and ``references``
(every id used in one table exists in its own table)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import narwhals as nw
from pydantic import Field

from supervise_rules import ROW, EvidenceSpec, LocalizedText, Params, Rows, RuleContext, RuleResult, Validator
from supervise_rules.helpers import (
    Compiled,
    Expression,
    SubjectType,
    absent_tables_result,
    as_of_results,
    as_text,
    column_label,
    in_scope,
    missing_value_results,
    reporting_year,
    table_problem,
    table_zh,
)
from supervise_rules.tables import TABLES


class DateWindow(Params):
    """Which rows of the other table count, by a date column."""

    column: str = Field(description="the date column, e.g. signed_date")
    in_year: bool = Field(
        default=False, description="only dates in the reporting year (manifest year, else the year of as_of)"
    )
    not_after_as_of: bool = Field(default=False, description="only dates on or before as_of")


class Label(Params):
    zh: str = Field(description="Chinese label, e.g. 学校")
    en: str = Field(description="English label, e.g. school")


class CoverageTarget(Params):
    key: str = Field(description="column of `table` whose distinct values must be covered")
    match: str = Field(description="column of `in_table` holding the same values")
    match_where: Expression | None = Field(
        default=None, description="rows of `in_table` that count for this key (expression)"
    )
    subject_type: SubjectType | None = Field(
        default=None,
        description="subject.type of the findings (default: the table's). For a key that is "
        "not the table's own (e.g. township), subject.id is '<county_code>/<value>'",
    )
    label: Label | None = Field(default=None, description="what a key value is, for messages")


class CoverageParams(Params):
    table: str = Field(description="the table whose keys must be covered, e.g. schools")
    where: Expression | None = Field(default=None, description="rows of `table` in scope")
    targets: list[CoverageTarget] = Field(min_length=1, description="the keys to cover")
    in_table: str = Field(description="the table that must cover them, e.g. assignments")
    in_where: Expression | None = Field(
        default=None, description="rows of `in_table` that count (expression)"
    )
    in_date: DateWindow | None = Field(default=None, description="rows of `in_table` that count, by date")
    min_rows: int = Field(default=1, ge=1, description="rows of `in_table` each key needs")
    unit: str | None = Field(default=None, description="unit of the observed count")


class CoverageValidator(Validator[CoverageParams]):
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
    summary = LocalizedText(
        zh="一张表的每个标识在另一张表中至少有一行记录。",
        en="Every key of one table has at least one row in another table.",
    )
    Params = CoverageParams
    message_values = ("label_zh", "label_en", "year", "as_of")

    def check(self, ctx: RuleContext[CoverageParams]) -> list[RuleResult]:
        p = ctx.params
        where = ctx.compile(p.where, p.table) if p.where else None
        in_where = ctx.compile(p.in_where, p.in_table) if p.in_where else None
        match_wheres = [ctx.compile(t.match_where, p.in_table) if t.match_where else None for t in p.targets]
        a_cols = [*(t.key for t in p.targets), *(where.columns if where else [])]
        b_cols = [
            *(t.match for t in p.targets),
            *(in_where.columns if in_where else []),
            *(c for m in match_wheres if m for c in m.columns),
            *([p.in_date.column] if p.in_date else []),
        ]
        missing = ctx.require(p.table, a_cols) + ctx.require(p.in_table, b_cols)
        if missing:
            return missing
        if p.in_date and (p.in_date.not_after_as_of or p.in_date.in_year):
            err = as_of_results(ctx)
            if err:
                return err
        a = ctx.frame(p.table)
        b = ctx.frame(p.in_table)
        assert a is not None and b is not None
        a = in_scope(a, where)
        b = in_scope(b, in_where, unknown=False)
        year = reporting_year(ctx)
        results: list[RuleResult] = []
        if p.in_date is not None:
            results += missing_value_results(ctx, b, p.in_table, [p.in_date.column])
            b = b.filter(self._window(p.in_date, ctx.as_of, year))
        own_type = TABLES[p.table].subject_type if p.table in TABLES else "submission"
        for target, match_where in zip(p.targets, match_wheres, strict=True):
            results += self._target(ctx, p, target, match_where, a, b, own_type, year)
        return results

    @staticmethod
    def _window(w: DateWindow, as_of: dt.date | None, year: int | None) -> nw.Expr:
        col = nw.col(w.column)
        cond = ~col.is_null()
        if w.in_year and year is not None:
            cond = cond & (col >= nw.lit(dt.date(year, 1, 1))) & (col <= nw.lit(dt.date(year, 12, 31)))
        if w.not_after_as_of and as_of is not None:
            cond = cond & (col <= nw.lit(as_of))
        return cond

    def _target(
        self,
        ctx: RuleContext,
        p: CoverageParams,
        target: CoverageTarget,
        match_where: Compiled | None,
        a: nw.LazyFrame[Any],
        b: nw.LazyFrame[Any],
        own_type: str,
        year: int | None,
    ) -> list[RuleResult]:
        results = missing_value_results(ctx, a, p.table, [target.key])
        keys = a.filter(~nw.col(target.key).is_null()).select(
            _k=as_text(nw.col(target.key)),
            _row=nw.col(ROW),
            _name=ctx.subject_name_expr(p.table, ctx.columns(p.table)),
        )
        other = in_scope(b, match_where, unknown=False)
        other = other.filter(~nw.col(target.match).is_null()).select(
            _k=as_text(nw.col(target.match)), _row=nw.col(ROW)
        )
        counts = other.group_by("_k").agg(_n=nw.len())
        stype = target.subject_type or own_type
        county = ctx.submission.manifest.county_code or "county"
        label = target.label or Label(zh=target.key, en=target.key)
        key = nw.col("_k")
        if stype == own_type:
            ident, name = key, nw.col("_name").fill_null(key)
        else:
            # a key that is not the table's own (a township) is named within the county
            ident, name = nw.concat_str([nw.lit(f"{county}/"), key]), key
        per_key = (
            keys.group_by("_k")
            .agg(nw.col("_name").min())
            .join(counts, on="_k", how="left")
            .select(
                "_k",
                subject_id=ident,
                subject_name=name,
                observed=nw.col("_n").fill_null(0).cast(nw.Int64),
                label_zh=nw.lit(label.zh, dtype=nw.String),
                label_en=nw.lit(label.en, dtype=nw.String),
                year=nw.lit(year, dtype=nw.Int64),
                as_of=nw.lit(ctx.as_of.isoformat() if ctx.as_of else None, dtype=nw.String),
            )
            .with_columns(
                outcome=nw.when(nw.col("observed") >= p.min_rows)
                .then(nw.lit("pass"))
                .otherwise(nw.lit("fail"))
            )
        )
        own_rows = EvidenceSpec(
            p.table, [target.key], Rows(keys.select("_k", "_row"), on=("_k",), row="_row")
        )
        matched_rows = EvidenceSpec(
            p.in_table,
            [target.match, *([p.in_date.column] if p.in_date else [])],
            Rows(other, on=("_k",), row="_row"),
        )
        common: dict[str, Any] = dict(
            table=p.table,
            subject_type=stype,
            op=">=",
            threshold=p.min_rows,
            unit=p.unit,
            values=self.message_values,
        )
        # A key that no row of `in_table` matches has no evidence entry for that
        # table at all (not an empty one): two results, one per evidence shape.
        return [
            *results,
            RuleResult(
                frame=per_key.filter(nw.col("observed") > 0), evidence=[own_rows, matched_rows], **common
            ),
            RuleResult(frame=per_key.filter(nw.col("observed") == 0), evidence=[own_rows], **common),
        ]


class Reference(Params):
    table: str = Field(description="the table using the id, e.g. visits")
    column: str = Field(description="the column holding the id, e.g. school_id")
    where: Expression | None = Field(default=None, description="rows of `table` in scope")
    to_table: str = Field(description="the table the id belongs to, e.g. schools")
    to_column: str = Field(description="its key column there, e.g. school_id")


class ReferencesParams(Params):
    references: list[Reference] = Field(min_length=1, description="the references to resolve")


class ReferencesValidator(Validator[ReferencesParams]):
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
    summary = LocalizedText(
        zh="一张表引用的每个标识都在其所属的表中存在。",
        en="Every id used in one table exists in its own table.",
    )
    Params = ReferencesParams
    message_values = ("detail_zh", "detail_en")

    def check(self, ctx: RuleContext[ReferencesParams]) -> list[RuleResult]:
        p = ctx.params
        results: list[RuleResult] = []
        skipped: dict[str, list[str] | None] = {}
        for ref in p.references:
            where = ctx.compile(ref.where, ref.table) if ref.where else None
            problem = False
            for table, cols in (
                (ref.table, [ref.column, *(where.columns if where else [])]),
                (ref.to_table, [ref.to_column]),
            ):
                issue = table_problem(ctx, table, cols)
                if issue is not False:
                    problem = True
                    if issue is None:
                        skipped[table] = None
                    elif skipped.get(table, []) is not None:
                        skipped[table] = list(dict.fromkeys([*(skipped.get(table) or []), *issue]))
            if not problem:
                results += self._reference(ctx, ref, where)
        if skipped:
            results.append(absent_tables_result(ctx, skipped))
        return results

    @staticmethod
    def _reference(ctx: RuleContext, ref: Reference, where: Compiled | None) -> list[RuleResult]:
        lf = ctx.frame(ref.table)
        target = ctx.frame(ref.to_table)
        assert lf is not None and target is not None
        lf = in_scope(lf, where)
        to_spec = TABLES.get(ref.to_table)
        stype = to_spec.subject_type if to_spec else "submission"
        op, required = "exists", f"{ref.to_table}.{ref.to_column}"
        results = missing_value_results(ctx, lf, ref.table, [ref.column], op=op, threshold=required)
        used = lf.filter(~nw.col(ref.column).is_null()).select(
            _k=as_text(nw.col(ref.column)), _row=nw.col(ROW)
        )
        known = (
            target.filter(~nw.col(ref.to_column).is_null())
            .select(_k=as_text(nw.col(ref.to_column)))
            .unique()
            .with_columns(_known=nw.lit(True))
        )
        unresolved = used.join(known.select("_k"), on="_k", how="anti")
        col_zh, col_en = column_label(ctx, ref.table, ref.column)
        t_zh, to_zh = table_zh(ref.table), table_zh(ref.to_table)
        common: dict[str, Any] = dict(
            table=ref.table, op=op, threshold=required, unit="rows", values=ReferencesValidator.message_values
        )
        whole_target = EvidenceSpec(ref.to_table, [ref.to_column], None)

        # one pass for the reference when every row resolves (the county is the subject)
        checked = nw.col("_checked").cast(nw.String)
        resolved = (
            used.join(known, on="_k", how="left")
            .select(
                _checked=nw.len().cast(nw.Int64),
                _unresolved=nw.col("_known").is_null().cast(nw.Int64).sum().fill_null(0),
            )
            .filter(nw.col("_unresolved") == 0)
            .select(
                subject_id=nw.lit(ctx.county_subject().id, dtype=nw.String),
                observed=nw.col("_checked"),
                outcome=nw.lit("pass", dtype=nw.String),
                detail_zh=nw.concat_str(
                    [nw.lit(f"「{t_zh}」表 "), checked, nw.lit(f" 行的{col_zh}均能在「{to_zh}」表中找到")]
                ),
                detail_en=nw.concat_str(
                    [
                        nw.lit("all "),
                        checked,
                        nw.lit(f" rows of {ref.table}.{col_en} resolve to {ref.to_table}.{ref.to_column}"),
                    ]
                ),
            )
        )
        results.append(
            RuleResult(
                frame=resolved,
                subject_type="county",
                aggregate=True,
                evidence=[EvidenceSpec(ref.table, [ref.column], None), whole_target],
                **common,
            )
        )

        # one fail per unresolved value, listing the rows that use it
        value, uses_n = nw.col("subject_id"), nw.col("_n").cast(nw.String)
        failed = _uses(unresolved.rename({"_k": "subject_id"}), "subject_id").select(
            "subject_id",
            observed=nw.col("_n"),
            outcome=nw.lit("fail", dtype=nw.String),
            # the rows themselves the report adds, as the clerk numbers them
            detail_zh=nw.concat_str(
                [
                    nw.lit(f"「{t_zh}」表 "),
                    uses_n,
                    nw.lit(f" 行的{col_zh} "),
                    value,
                    nw.lit(f" 在「{to_zh}」表中不存在"),
                ]
            ),
            detail_en=nw.concat_str(
                [
                    nw.lit(f"{ref.table}.{col_en} = "),
                    value,
                    nw.lit(" ("),
                    uses_n,
                    nw.lit(" rows"),
                    nw.lit(f") is not in {ref.to_table}.{ref.to_column}"),
                ]
            ),
        )
        uses = Rows(unresolved.select(subject_id=nw.col("_k"), _row=nw.col("_row")), row="_row")
        results.append(
            RuleResult(
                frame=failed,
                subject_type=stype,
                evidence=[EvidenceSpec(ref.table, [ref.column], uses), whole_target],
                **common,
            )
        )
        return results


def _uses(rows: nw.LazyFrame[Any], key: str) -> nw.LazyFrame[Any]:
    """One row per ``key`` of a long frame of ``(key, row)``: ``_n``, the number of rows."""
    return rows.group_by(key).agg(nw.len().cast(nw.Int64).alias("_n"))
