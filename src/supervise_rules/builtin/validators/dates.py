"""Date-window validators relative to the manifest's ``as_of``: ``term_checks``
(a dated record for every term begun, within N days of its start),
``overdue`` (an open item older than N days), ``periodic`` (enough events per
elapsed month outside vacations) and ``matched_count`` (a per-row figure against
the rows of another table dated within N days)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import narwhals as nw
from pydantic import Field, field_validator

from supervise_rules import (
    ROW,
    Evidence,
    EvidenceSpec,
    LocalizedText,
    Outcome,
    Params,
    Required,
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
    as_of_results,
    as_text,
    compare,
    date_epoch,
    epoch_days,
    error_exprs,
    first_null_column,
    id_expr,
    in_scope,
    missing_value_results,
    row_subject,
    with_names,
)
from supervise_rules.tables import TABLES

_TERM_LABELS = {"spring": ("春季", "spring"), "autumn": ("秋季", "autumn")}


class TermChecksParams(Params):
    table: str = Field(default="schools", description="the subjects, e.g. schools")
    key: str = Field(default="school_id", description="their key column")
    where: Expression | None = Field(default=None, description="subjects in scope (expression)")
    checks_table: str = Field(default="enrollment_checks", description="the dated records")
    checks_key: str = Field(default="school_id", description="the key column there")
    term_column: str = Field(default="term", description="the term of a record")
    date_column: str = Field(default="check_date", description="the date of a record")
    terms: dict[str, str] = Field(
        default_factory=lambda: {"spring": "03-01", "autumn": "09-01"},
        description="term -> start as MM-DD in the year of as_of",
    )
    within_days: int = Field(default=30, ge=0, description="days after the start a record may be dated")
    grace: bool = Field(
        default=False, description="a missing record is not yet due (not_applicable) while the window is open"
    )

    @field_validator("terms")
    @classmethod
    def _month_days(cls, value: dict[str, str]) -> dict[str, str]:
        for term, start in value.items():
            try:
                dt.date(2024, int(start[:2]), int(start[3:5]))
                assert len(start) == 5 and start[2] == "-"
            except (ValueError, AssertionError):
                raise ValueError(f"term {term}: start {start!r} must be MM-DD") from None
        return value


class TermChecksValidator(Validator[TermChecksParams]):
    """Every subject has a record for every term begun by ``as_of``, dated within
    N days of the term's start.

    What it checks
        The terms are those of ``terms`` whose start (``MM-DD`` in the year of
        ``as_of``) is on or before ``as_of``. For each distinct ``key`` of
        ``table`` and each such term: a record in ``checks_table`` with that key,
        ``term_column`` equal to the term, and ``date_column`` from the start to
        start + ``within_days`` days (inclusive) → ``pass`` (observed: the
        earliest such date); none → ``fail`` (observed: the earliest date
        recorded for that term, or null when there is none). A term counts as
        soon as it has begun; with ``grace: true`` a missing record while the
        window is still open at ``as_of`` is ``not_applicable`` (not yet due)
        instead. One finding per subject and term; required is ``within_days``
        days.

    Parameters
        ``table``, ``key``, ``where``, ``checks_table``, ``checks_key``,
        ``term_column``, ``date_column``, ``terms``, ``within_days``, ``grace``. Missing
        keys, terms or dates are ``error`` findings listing the rows (those
        records are not counted). Message values: ``term_zh``, ``term_en``,
        ``year``, ``start``, ``end``, ``records``.

    Example
        DRP-02, as_of 2024-09-30: spring (from 03-01) and autumn (from 09-01)
        have begun; a school with a spring check on 2024-03-07 and no autumn
        check passes for spring (observed 2024-03-07) and fails for autumn
        (observed null). A check dated 2024-04-15 is 45 days after the spring
        start and fails.
    """

    name = "term_checks"
    summary = LocalizedText(
        zh="每个已开学的学期，每个对象在开学后 N 天内有一条带日期的记录。",
        en="A dated record per subject for every term begun, within N days of its start.",
    )
    Params = TermChecksParams
    message_values = ("term_zh", "term_en", "year", "start", "end", "records", "checked_zh")

    def check(self, ctx: RuleContext[TermChecksParams]) -> list[RuleResult]:
        p = ctx.params
        where = ctx.compile(p.where, p.table) if p.where else None
        missing = ctx.require(p.table, [p.key, *(where.columns if where else [])]) + ctx.require(
            p.checks_table, [p.checks_key, p.term_column, p.date_column]
        )
        if missing:
            return missing
        as_of = ctx.as_of
        if as_of is None:
            return as_of_results(ctx)
        subjects = ctx.frame(p.table)
        checks = ctx.frame(p.checks_table)
        assert subjects is not None and checks is not None
        subjects = in_scope(subjects, where)
        results = missing_value_results(ctx, subjects, p.table, [p.key])
        results += missing_value_results(
            ctx, checks, p.checks_table, [p.checks_key, p.term_column, p.date_column]
        )
        due = []
        for term, start_text in p.terms.items():
            start = dt.date(as_of.year, int(start_text[:2]), int(start_text[3:5]))
            if start <= as_of:
                due.append((term, start, start + dt.timedelta(days=p.within_days)))
        if not due:
            return [
                *results,
                ctx.note(
                    Outcome.not_applicable,
                    LocalizedText(
                        zh=f"截至 {as_of.isoformat()} 本年度尚无学期开学，无需检查",
                        en=f"No term of {as_of.year} has begun by {as_of.isoformat()}; nothing is due",
                    ),
                    subject=ctx.county_subject(),
                    required=Required(op="within_days", value=p.within_days),
                    evidence=[Evidence(table=p.checks_table, rows=None, columns=[p.date_column])],
                ),
            ]
        keys = subjects.filter(~nw.col(p.key).is_null()).select(
            subject_id=as_text(nw.col(p.key)),
            _row=nw.col(ROW),
            _name=ctx.subject_name_expr(p.table, ctx.columns(p.table)),
        )
        per_key = keys.group_by("subject_id").agg(nw.col("_name").min().alias("subject_name"))
        base = checks.filter(
            ~nw.col(p.checks_key).is_null()
            & ~nw.col(p.term_column).is_null()
            & ~nw.col(p.date_column).is_null()
        )
        date_type = checks.collect_schema()[p.date_column]
        frames, records = [], []
        for term, start, end in due:
            label = nw.lit(term, dtype=nw.String)
            in_term = base.filter(nw.col(p.term_column).cast(nw.String) == term).select(
                subject_id=as_text(nw.col(p.checks_key)),
                term=label,
                _row=nw.col(ROW),
                _d=nw.col(p.date_column),
                _ok=(nw.col(p.date_column) >= nw.lit(start)) & (nw.col(p.date_column) <= nw.lit(end)),
            )
            records.append(in_term.select("subject_id", "term", "_row"))
            stats = in_term.group_by("subject_id").agg(
                _n=nw.len(),
                _valid=nw.col("_ok").cast(nw.Int64).sum(),
                _first_valid=nw.when(nw.col("_ok")).then(nw.col("_d")).min(),
                _first_any=nw.col("_d").min(),
            )
            valid = nw.col("_valid").fill_null(0) > 0
            # Not yet due: grace, nothing recorded for the term, its window still open.
            waiting = nw.col("_n").is_null() & nw.lit(p.grace and as_of < end)
            zh_term, en_term = _TERM_LABELS.get(term, (term, term))
            frames.append(
                per_key.join(stats, on="subject_id", how="left").select(
                    "subject_id",
                    "subject_name",
                    term=label,
                    outcome=nw.when(valid)
                    .then(nw.lit("pass", dtype=nw.String))
                    .when(waiting)
                    .then(nw.lit("not_applicable", dtype=nw.String))
                    .otherwise(nw.lit("fail", dtype=nw.String)),
                    observed=_text(
                        nw.when(valid)
                        .then(nw.col("_first_valid"))
                        .when(waiting)
                        .then(nw.lit(None, dtype=date_type))
                        .otherwise(nw.col("_first_any")),
                        date_type,
                        missing=None,
                    ),
                    _recorded=~nw.col("_n").is_null(),
                    # the date in words, or that there is none: never a dash for a date
                    checked_zh=nw.when(valid)
                    .then(
                        nw.concat_str(
                            [nw.lit("开学摸排日期 "), _text(nw.col("_first_valid"), date_type, missing=None)]
                        )
                    )
                    .when(nw.col("_n").is_null())
                    .then(nw.lit("没有开学摸排记录"))
                    .otherwise(
                        nw.concat_str(
                            [nw.lit("开学摸排日期 "), _text(nw.col("_first_any"), date_type, missing=None)]
                        )
                    ),
                    term_zh=nw.lit(zh_term, dtype=nw.String),
                    term_en=nw.lit(en_term, dtype=nw.String),
                    year=nw.lit(as_of.year, dtype=nw.Int64),
                    start=nw.lit(start.isoformat(), dtype=nw.String),
                    end=nw.lit(end.isoformat(), dtype=nw.String),
                    records=nw.col("_n").fill_null(0).cast(nw.Int64),
                )
            )
        found = frames[0] if len(frames) == 1 else nw.concat(frames, how="vertical")
        subject_rows = EvidenceSpec(
            p.table, [p.key], Rows(keys.select("subject_id", "_row"), on=("subject_id",), row="_row")
        )
        record_rows = EvidenceSpec(
            p.checks_table,
            [p.checks_key, p.term_column, p.date_column],
            Rows(
                records[0] if len(records) == 1 else nw.concat(records, how="vertical"),
                on=("subject_id", "term"),
                row="_row",
            ),
        )
        stype = TABLES[p.table].subject_type if p.table in TABLES else "submission"
        meta: dict[str, Any] = dict(
            table=p.table,
            subject_type=stype,
            op="within_days",
            threshold=p.within_days,
            unit="days",
            values=self.message_values,
        )
        # The records entry is listed only for a subject and term that has records.
        return [
            *results,
            RuleResult(frame=found.filter(nw.col("_recorded")), evidence=[subject_rows, record_rows], **meta),
            RuleResult(frame=found.filter(~nw.col("_recorded")), evidence=[subject_rows], **meta),
        ]


class OverdueParams(Params):
    table: str = Field(description="the table, e.g. dropout_cases")
    date_column: str = Field(description="when the item was opened, e.g. identified_date")
    where: Expression | None = Field(default=None, description="items still open (expression)")
    max_days: int = Field(ge=0, description="days an item may stay open before as_of")
    subject: SubjectType | None = Field(default=None, description="subject.type (default: the table's)")


class OverdueValidator(Validator[OverdueParams]):
    """An open item must not be older than ``max_days`` days at ``as_of``.

    What it checks
        For each row of ``table`` where ``where`` holds (e.g. ``status ==
        "open"``), the days from ``date_column`` to ``as_of``; more than
        ``max_days`` → ``fail``, otherwise ``pass`` (exactly ``max_days`` passes).
        One finding per row: observed is the number of days, required ``<=
        max_days``, unit ``days``. Day counts are computed column-wise from
        year, month and day, identically on every backend.

    Parameters
        ``table``, ``date_column``, ``where``, ``max_days``, ``subject``. A
        missing date is an ``error`` naming the row; no ``as_of`` in the manifest
        is an ``error``. A date after ``as_of`` gives negative days (a pass here;
        CON-05 reports the date). Message values: ``date``, ``as_of``.

    Example
        DRP-06 with N = 30, as_of 2024-09-30: a case open since 2024-06-17 is
        105 days old → fail; one open since 2024-08-31 (30 days) passes.
    """

    name = "overdue"
    summary = LocalizedText(
        zh="截至统计日期，未办结事项不超过 N 天。",
        en="Open items no older than N days at as_of.",
    )
    Params = OverdueParams
    message_values = ("date", "as_of")

    def check(self, ctx: RuleContext[OverdueParams]) -> list[RuleResult]:
        p = ctx.params
        where = ctx.compile(p.where, p.table) if p.where else None
        missing = ctx.require(p.table, [p.date_column, *(where.columns if where else [])])
        if missing:
            return missing
        as_of = ctx.as_of
        if as_of is None:
            return as_of_results(ctx)
        lf = ctx.frame(p.table)
        assert lf is not None
        stype, id_cols = row_subject(p.table)
        lf = in_scope(lf, where)
        null_col = first_null_column([*(where.columns if where else []), p.date_column])
        days = nw.lit(date_epoch(as_of)) - epoch_days(nw.col(p.date_column))
        rows = lf.select(
            subject_id=id_expr(id_cols),
            row=nw.col(ROW),
            error_column=null_col,
            error_kind=nw.lit("missing", dtype=nw.String),
            observed=days,
            outcome=nw.when(~null_col.is_null())
            .then(nw.lit("error", dtype=nw.String))
            .when((days <= p.max_days).fill_null(False))
            .then(nw.lit("pass", dtype=nw.String))
            .otherwise(nw.lit("fail", dtype=nw.String)),
            date=_text(nw.col(p.date_column), lf.collect_schema()[p.date_column]),
            as_of=nw.lit(as_of.isoformat(), dtype=nw.String),
        )
        columns = [p.date_column, *(where.columns if where else [])]
        subject_type = p.subject or stype
        # Errors carry no requirement or unit: two results.
        errors = rows.filter(nw.col("outcome") == "error").select(
            "subject_id", "row", "error_column", "error_kind", "outcome"
        )
        checked = rows.filter(nw.col("outcome") != "error").drop("error_column", "error_kind")
        return [
            RuleResult(frame=errors, table=p.table, subject_type=subject_type, columns=columns),
            RuleResult(
                frame=checked,
                table=p.table,
                subject_type=subject_type,
                columns=columns,
                op="<=",
                threshold=p.max_days,
                unit="days",
                values=self.message_values,
            ),
        ]


class PeriodicParams(Params):
    table: str = Field(default="assignments", description="the duties, e.g. assignments")
    keys: list[str] = Field(
        default_factory=lambda: ["inspector_id", "school_id"],
        min_length=1,
        description="columns identifying a duty, matched in `events_table`",
    )
    events_table: str = Field(default="visits", description="the events, e.g. visits")
    date_column: str = Field(default="visit_date", description="the date of an event")
    period_start: dt.date | None = Field(
        default=None, description="first day of the period (default: 1 January of as_of's year)"
    )
    vacation_months: list[int] = Field(
        default_factory=lambda: [1, 2, 7, 8], description="months (1-12) in which nothing is due"
    )
    per_month: int = Field(default=1, ge=1, description="events due per month outside vacations")
    count_current_month: bool = Field(
        default=False, description="also count the month of as_of when as_of is not its last day"
    )
    subject: SubjectType = Field(default="inspector", description="subject.type of the findings")

    @field_validator("vacation_months")
    @classmethod
    def _months(cls, value: list[int]) -> list[int]:
        if any(not 1 <= m <= 12 for m in value):
            raise ValueError("vacation months are 1..12")
        return value


class PeriodicValidator(Validator[PeriodicParams]):
    """Each duty has enough events in the period: ``per_month`` per elapsed month
    outside vacation months.

    What it checks
        Elapsed months are the calendar months from ``period_start``'s month up
        to the last month completed by ``as_of`` (the month of ``as_of`` counts
        when ``as_of`` is its last day, or always with ``count_current_month``),
        minus ``vacation_months``. For each row of ``table`` (a duty, e.g. an
        inspector's assignment to a school) the events of ``events_table`` with
        the same ``keys`` dated from ``period_start`` to ``as_of`` are counted
        and compared with ``per_month × elapsed months``. One finding per duty
        (subject id = the keys joined by ``/``); the total is compared, so two
        visits in May make up for none in April.

    Parameters
        ``table``, ``keys``, ``events_table``, ``date_column``,
        ``period_start``, ``vacation_months``, ``per_month``,
        ``count_current_month``, ``subject``. Missing keys or event dates are
        ``error`` findings listing the rows (those events are not counted); no
        month due yet gives one ``not_applicable``. Message values: ``months``,
        ``period_start``, ``as_of``, ``inspector_name``, ``school_name``.

    Example
        INS-05, 2024-01-01 .. 2024-09-30, vacations 1, 2, 7, 8: March, April,
        May, June and September are due, so 5 visits are required; an
        assignment with 3 visits fails.
    """

    name = "periodic"
    summary = LocalizedText(
        zh="每项职责的带日期记录足够：除假期外每个已过月份 per_month 次。",
        en="Enough dated events per duty: per_month per elapsed month outside vacations.",
    )
    Params = PeriodicParams
    message_values = ("months", "period_start", "as_of", "inspector_name", "school_name")

    def check(self, ctx: RuleContext[PeriodicParams]) -> list[RuleResult]:
        p = ctx.params
        missing = ctx.require(p.table, p.keys) + ctx.require(p.events_table, [*p.keys, p.date_column])
        if missing:
            return missing
        as_of = ctx.as_of
        if as_of is None:
            return as_of_results(ctx)
        start = p.period_start or dt.date(as_of.year, 1, 1)
        months = self.due_months(start, as_of, p.vacation_months, p.count_current_month)
        required = p.per_month * len(months)
        duties = ctx.frame(p.table)
        events = ctx.frame(p.events_table)
        assert duties is not None and events is not None
        results = missing_value_results(ctx, duties, p.table, p.keys)
        results += missing_value_results(ctx, events, p.events_table, [*p.keys, p.date_column])
        if required == 0:
            return [
                *results,
                ctx.note(
                    Outcome.not_applicable,
                    LocalizedText(
                        zh=f"{start.isoformat()} 至 {as_of.isoformat()} 没有应督导的月份（假期除外）",
                        en=f"No month outside vacations is due from {start.isoformat()} to "
                        f"{as_of.isoformat()}",
                    ),
                    subject=ctx.county_subject(),
                    required=Required(op=">=", value=0),
                    evidence=[Evidence(table=p.events_table, rows=None, columns=[p.date_column])],
                ),
            ]
        key_cols = {f"_k{i}": k for i, k in enumerate(p.keys)}
        ident = nw.concat_str([nw.col(a) for a in key_cols], separator="/")
        complete = nw.all_horizontal(*[~nw.col(k).is_null() for k in p.keys], ignore_nulls=True)
        d = duties.filter(complete).select(
            row=nw.col(ROW), **{a: as_text(nw.col(k)) for a, k in key_cols.items()}
        )
        e = events.filter(
            complete
            & ~nw.col(p.date_column).is_null()
            & (nw.col(p.date_column) >= nw.lit(start))
            & (nw.col(p.date_column) <= nw.lit(as_of))
        ).select(_erow=nw.col(ROW), **{a: as_text(nw.col(k)) for a, k in key_cols.items()})
        counts = e.group_by(*key_cols).agg(_n=nw.len())
        duty = d.join(counts, on=list(key_cols), how="left").with_columns(
            observed=nw.col("_n").fill_null(0).cast(nw.Int64), subject_id=ident
        )
        names = []
        for subject_type, key in (("inspector", "inspector_id"), ("school", "school_id")):
            column = f"{subject_type}_name"
            if key in p.keys:
                duty = with_names(ctx, duty, subject_type, key=f"_k{p.keys.index(key)}").rename(
                    {"subject_name": column}
                )
            else:
                duty = duty.with_columns(nw.lit(None, dtype=nw.String).alias(column))
            names.append(nw.col(column))
        # An empty name counts as none, so that no name is written as " → 一小".
        insp, school = names
        has_insp = ~insp.is_null() & (insp != "")
        has_school = ~school.is_null() & (school != "")
        frame = duty.select(
            "subject_id",
            "row",
            "observed",
            subject_name=nw.when(has_insp & has_school)
            .then(nw.concat_str([insp, nw.lit(" → "), school]))
            .when(has_insp)
            .then(insp)
            .when(has_school)
            .then(school)
            .otherwise(nw.lit(None, dtype=nw.String)),
            outcome=nw.when(nw.col("observed") >= required)
            .then(nw.lit("pass", dtype=nw.String))
            .otherwise(nw.lit("fail", dtype=nw.String)),
            months=nw.lit(len(months), dtype=nw.Int64),
            period_start=nw.lit(start.isoformat(), dtype=nw.String),
            as_of=nw.lit(as_of.isoformat(), dtype=nw.String),
            inspector_name=insp.fill_null(""),
            school_name=school.fill_null(""),
        )
        matched = e.select(subject_id=ident, _erow=nw.col("_erow"))
        duty_rows = EvidenceSpec(p.table, list(p.keys), "row")
        event_columns = [*p.keys, p.date_column]
        meta: dict[str, Any] = dict(
            table=p.table,
            subject_type=p.subject,
            op=">=",
            threshold=required,
            unit="visits",
            values=self.message_values,
        )
        # A duty without events lists an empty row list for the events, not none.
        return [
            *results,
            RuleResult(
                frame=frame.filter(nw.col("observed") > 0),
                evidence=[
                    duty_rows,
                    EvidenceSpec(
                        p.events_table, event_columns, Rows(matched, on=("subject_id",), row="_erow")
                    ),
                ],
                **meta,
            ),
            RuleResult(
                frame=frame.filter(nw.col("observed") == 0),
                evidence=[duty_rows],
                extra_evidence=[Evidence(table=p.events_table, rows=[], columns=event_columns)],
                **meta,
            ),
        ]

    @staticmethod
    def due_months(
        start: dt.date, as_of: dt.date, vacations: list[int], count_current: bool
    ) -> list[tuple[int, int]]:
        """(year, month) pairs due from ``start`` to ``as_of`` (see the docstring)."""
        last_day = calendar.monthrange(as_of.year, as_of.month)[1]
        end_y, end_m = as_of.year, as_of.month
        if not count_current and as_of.day != last_day:
            end_y, end_m = (end_y, end_m - 1) if end_m > 1 else (end_y - 1, 12)
        out = []
        y, m = start.year, start.month
        while (y, m) <= (end_y, end_m):
            if m not in vacations:
                out.append((y, m))
            y, m = (y, m + 1) if m < 12 else (y + 1, 1)
        return out


class MatchedCountParams(Params):
    table: str = Field(description="the table checked row by row, e.g. enrollment_checks")
    value: Expression = Field(description="row expression, e.g. enrolled - present")
    op: Comparison = Field(default="<=", description="value op (count of matching rows)")
    date_column: str = Field(description="the row's date, e.g. check_date")
    on: list[str] = Field(min_length=1, description="columns matched in `other`, e.g. [school_id]")
    other: str = Field(description="the table whose rows are counted, e.g. dropout_cases")
    other_on: list[str] | None = Field(default=None, description="matching columns there (default: on)")
    other_date: str = Field(description="their date, e.g. identified_date")
    other_where: Expression | None = Field(default=None, description="rows of `other` that count")
    within_days: int = Field(default=30, ge=0, description="|other_date − date| at most this")
    where: Expression | None = Field(default=None, description="rows of `table` in scope")
    subject: SubjectType | None = Field(default=None, description="subject.type (default: the row's)")
    unit: str | None = Field(default=None, description="unit of the value")


class MatchedCountValidator(Validator[MatchedCountParams]):
    """A per-row figure against the number of rows of another table that match it
    and are dated within N days of it.

    What it checks
        For each row of ``table`` (where ``where`` holds) computes ``value`` and
        counts the rows of ``other`` with the same ``on`` values whose
        ``other_date`` is at most ``within_days`` days before or after the row's
        ``date_column``; compares ``value op count``. One finding per row:
        observed = value, required = the count. Day differences are computed
        column-wise from year, month and day, identically on every backend.

    Parameters
        ``table``, ``value``, ``op``, ``date_column``, ``on``, ``other``,
        ``other_on``, ``other_date``, ``other_where``, ``within_days``,
        ``where``, ``subject``, ``unit``. A missing value in a referenced column
        of the row, or a zero denominator of ``value``, is an ``error`` naming
        the row and column; rows of ``other`` without a date are not counted.
        Message values: every column used by ``value`` (e.g. ``enrolled``,
        ``present``), ``date``, ``within_days``.

    Example
        DRP-03: a check with enrolled 1,862 and present 1,860 (gap 2) passes when
        2 cases of that school were identified within 30 days of the check date.
    """

    name = "matched_count"
    summary = LocalizedText(
        zh="逐行数值，与另一张表中前后 N 天内的记录比较。",
        en="A per-row figure against the rows of another table dated within N days.",
    )
    Params = MatchedCountParams
    message_values = ("date", "within_days")

    @classmethod
    def placeholders(cls, params: Any) -> frozenset[str] | None:
        names = super().placeholders(params)
        if names is None:
            return None
        # every column `value` uses, by its contract name
        spec = TABLES.get(params.table)
        used = compile_expression(
            params.value, lambda name: (spec.match_column(name) if spec else None) or name
        ).columns
        return names | frozenset(used)

    def check(self, ctx: RuleContext[MatchedCountParams]) -> list[RuleResult]:
        p = ctx.params
        other_on = p.other_on or p.on
        if len(other_on) != len(p.on):
            raise ValueError("`on` and `other_on` must have the same length")
        value = ctx.compile(p.value, p.table)
        where = ctx.compile(p.where, p.table) if p.where else None
        other_where = ctx.compile(p.other_where, p.other) if p.other_where else None
        referenced = list(dict.fromkeys([*p.on, p.date_column, *value.columns]))
        missing = ctx.require(p.table, [*referenced, *(where.columns if where else [])])
        missing += ctx.require(
            p.other, [*other_on, p.other_date, *(other_where.columns if other_where else [])]
        )
        if missing:
            return missing
        lf = ctx.frame(p.table)
        other = ctx.frame(p.other)
        assert lf is not None and other is not None
        lf = in_scope(lf, where)
        other = in_scope(other, other_where, unknown=False)
        keys = [f"_k{i}" for i in range(len(p.on))]
        rows = lf.select(
            _row=nw.col(ROW),
            _date=epoch_days(nw.col(p.date_column)),
            **{k: as_text(nw.col(c)) for k, c in zip(keys, p.on, strict=True)},
        )
        cases = other.filter(~nw.col(p.other_date).is_null()).select(
            _odate=epoch_days(nw.col(p.other_date)),
            **{k: as_text(nw.col(c)) for k, c in zip(keys, other_on, strict=True)},
        )
        counts = (
            rows.filter(~nw.col("_date").is_null())
            .join(cases, on=keys, how="inner")
            .filter((nw.col("_odate") - nw.col("_date")).abs() <= p.within_days)
            .group_by("_row")
            .agg(_n=nw.len())
        )
        stype, id_cols = row_subject(p.table)
        stype = p.subject or stype
        error_column, error_kind = error_exprs(referenced, [value])
        schema = lf.collect_schema()
        texts = {c: _text(nw.col(c), schema[c]) for c in [*value.columns, p.date_column]}
        result = (
            lf.select(
                *[texts[c].alias(c) for c in value.columns],
                _row=nw.col(ROW),
                subject_id=id_expr(id_cols),
                _obs=value.expr.cast(nw.Float64),
                error_column=error_column,
                error_kind=error_kind,
                date=texts[p.date_column],
            )
            .join(counts, on="_row", how="left")
            .with_columns(
                nw.col("_n").fill_null(0).cast(nw.Int64).alias("required"), nw.col("_row").alias("row")
            )
        )
        result = with_names(ctx, result, stype).with_columns(
            outcome=nw.when(~nw.col("error_column").is_null())
            .then(nw.lit("error", dtype=nw.String))
            .when(compare(nw.col("_obs"), p.op, nw.col("required").cast(nw.Float64)))
            .then(nw.lit("pass", dtype=nw.String))
            .otherwise(nw.lit("fail", dtype=nw.String)),
            within_days=nw.lit(p.within_days, dtype=nw.Int64),
        )
        evidence = [
            EvidenceSpec(p.table, referenced, "row"),
            EvidenceSpec(p.other, [*other_on, p.other_date], None),
        ]
        errors = result.filter(nw.col("outcome") == "error").select(
            "subject_id", "subject_name", "row", "error_column", "error_kind", "outcome"
        )
        checked = result.filter(nw.col("outcome") != "error").drop("error_column", "error_kind")
        obs = nw.col("_obs")
        # A figure is a float only to be compared; an integral one is reported
        # as an integer (2, not 2.0), in the message too, so one result per type.
        whole = (obs.is_finite() & (obs.round(0) == obs) & (obs.abs() < 2.0**62)).fill_null(False)
        meta: dict[str, Any] = dict(
            table=p.table,
            subject_type=stype,
            op=p.op,
            unit=p.unit,
            evidence=evidence,
            values=(*value.columns, "date", "within_days"),
        )
        return [
            RuleResult(frame=errors, table=p.table, subject_type=stype, evidence=evidence),
            RuleResult(frame=checked.filter(whole).with_columns(observed=obs.cast(nw.Int64)), **meta),
            RuleResult(frame=checked.filter(~whole).with_columns(observed=obs), **meta),
        ]


def _text(expr: nw.Expr, dtype: Any, missing: str | None = "—") -> nw.Expr:
    """A cell value as text for a message, written as the messages have always
    written it: dates in ISO, integral floats without ``.0``, ``True``/``False``,
    ``missing`` for a missing value. (Floats below 1e-4 are written as the
    backend writes them, e.g. ``0.00001`` where Python writes ``1e-05``.)"""
    if dtype == nw.Date:
        out = expr.dt.to_string("%Y-%m-%d")
    elif dtype == nw.Datetime:
        out = expr.dt.to_string("%Y-%m-%dT%H:%M:%S")
    elif dtype.is_float() or dtype.is_decimal():
        f = expr.cast(nw.Float64)
        whole = f.is_finite() & (f.round(0) == f) & (f.abs() < 2.0**62)
        # Both branches are computed for every row: the cast must not overflow.
        out = (
            nw.when(whole)
            .then(nw.when(whole).then(f).otherwise(nw.lit(0.0)).cast(nw.Int64).cast(nw.String))
            .otherwise(f.cast(nw.String))
        )
    elif dtype == nw.Boolean:
        out = (
            nw.when(expr.is_null())
            .then(nw.lit(None, dtype=nw.String))
            .when(expr)
            .then(nw.lit("True"))
            .otherwise(nw.lit("False"))
        )
    else:
        out = expr.cast(nw.String)
    return out if missing is None else out.fill_null(missing)


__all__ = ["MatchedCountValidator", "OverdueValidator", "PeriodicValidator", "TermChecksValidator"]
