"""Helpers shared by the cross-table, date-window and consistency validators
(INS, DRP and CON rules): subjects of rows in tables without a natural key,
portable date arithmetic, missing-value error findings, and evidence rows of
groups collected from small result frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import narwhals as nw
from pydantic import Field

from ...models import Evidence, LocalizedText, Outcome, Subject, SubjectType
from ...submission import ROW
from ...tables import TABLES, subject_id_columns
from ...validators import EvidenceSpec, Params, Rows, RuleContext, RuleResult
from ...wording import column_zh

#: rows listed in a message before "…"
SHOWN_ROWS = 10

#: Subject of a row for tables whose contract key does not name a subject
#: (a visit is about a school, an assignment about an inspector …).
ROW_SUBJECTS: dict[str, tuple[SubjectType, tuple[str, ...]]] = {
    "assignments": ("inspector", ("inspector_id",)),
    "visits": ("school", ("school_id",)),
    "enrollment_checks": ("school", ("school_id",)),
    "responsibility_letters": ("submission", ("party_id",)),
}


class SubjectSpec(Params):
    """Which columns of a table name the subject of a row finding."""

    type: SubjectType = Field(description="subject.type of the findings")
    columns: list[str] = Field(min_length=1, description="columns joined by '/' into subject.id")


def row_subject(table: str, override: SubjectSpec | None = None) -> tuple[str, tuple[str, ...]]:
    """``(subject type, id columns)`` of a row of ``table``."""
    if override is not None:
        return override.type, tuple(override.columns)
    if table in ROW_SUBJECTS:
        return ROW_SUBJECTS[table]
    spec = TABLES.get(table)
    return (spec.subject_type if spec else "submission"), subject_id_columns(table)


def id_expr(columns: Iterable[str]) -> nw.Expr:
    """Subject id of a row: the columns as text joined by ``/`` (``?`` for missing);
    the row number when there are no columns."""
    cols = list(columns)
    if not cols:
        return nw.col(ROW).cast(nw.String)
    parts = [nw.col(c).cast(nw.String).fill_null("?") for c in cols]
    return parts[0] if len(parts) == 1 else nw.concat_str(parts, separator="/")


def table_zh(table: str) -> str:
    spec = TABLES.get(table)
    return spec.zh if spec else table


def column_label(ctx: RuleContext, table: str, column: str) -> tuple[str, str]:
    """``(zh, en)`` label of a column: its Chinese contract name and its English
    contract name (never the header as written, so that a CSV, a workbook with
    Chinese headers and a JSON document give identical findings)."""
    spec = TABLES.get(table)
    zh = spec.columns[column].zh if spec and column in spec.columns else column
    return zh, column


def text(value: Any) -> str:
    """A cell value for a message: dates as ISO, integral floats without ``.0``."""
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "is_finite") and not isinstance(value, int | float):  # Decimal
        f = float(value)
        return str(int(f)) if f.is_integer() else str(f)
    return str(value)


# --- dates ---------------------------------------------------------------------------


def epoch_days(expr: nw.Expr) -> nw.Expr:
    """Days since 1970-01-01 of a date expression, by integer arithmetic on year,
    month and day (Hinnant's ``days_from_civil``): identical on every backend,
    where date subtraction is not (polars gives a duration, DuckDB an integer)."""
    y = expr.dt.year().cast(nw.Int64)
    m = expr.dt.month().cast(nw.Int64)
    d = expr.dt.day().cast(nw.Int64)
    y = y - (m <= 2).cast(nw.Int64)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def date_epoch(value: dt.date) -> int:
    return (value - dt.date(1970, 1, 1)).days


def as_of_results(ctx: RuleContext) -> list[RuleResult]:
    """An ``error`` result when the manifest has no ``as_of`` date, else ``[]``."""
    if ctx.as_of is not None:
        return []
    return [
        ctx.note(
            Outcome.error,
            LocalizedText(
                zh="清单（manifest）缺少统计截止日期（as_of），无法检查本规则的期限",
                en="The manifest has no as_of date, so this rule's deadlines cannot be checked",
            ),
            evidence=[Evidence(table="manifest", rows=None, columns=["as_of"])],
        )
    ]


def reporting_year(ctx: RuleContext) -> int | None:
    """The manifest's ``year``, else the year of ``as_of``."""
    m = ctx.submission.manifest
    if m.year is not None:
        return int(m.year)
    return ctx.as_of.year if ctx.as_of is not None else None


# --- missing values and evidence ------------------------------------------------------


def absent_tables_result(ctx: RuleContext, problems: dict[str, list[str] | None]) -> RuleResult:
    """One finding for every part of a multi-table rule that could not run:
    ``table -> missing columns`` (``None``: the whole table is absent). It is
    ``not_applicable`` when only tables are absent (``error`` if the rule
    requires its data), ``error`` when a submitted table lacks a column."""
    zh_parts, en_parts, evidence = [], [], []
    for table, cols in problems.items():
        if cols is None:
            zh_parts.append(f"没有「{table_zh(table)}」表")
            en_parts.append(f"no {table} table")
        else:
            hints = {c: h for c in cols if (h := ctx.nearest_header(table, c))}
            zh_parts.append(
                f"「{table_zh(table)}」表缺少列"
                + "、".join(
                    f"「{column_zh(table, c)}」"
                    + (f"（最接近的表头是「{hints[c]}」，是否就是它？）" if c in hints else "")
                    for c in cols
                )
            )
            en_parts.append(
                f"table {table} lacks "
                + ", ".join(c + (f" (did you mean '{hints[c]}'?)" if c in hints else "") for c in cols)
            )
        evidence.append(Evidence(table=table, rows=None, columns=cols or []))
    missing_columns = any(cols is not None for cols in problems.values())
    outcome = Outcome.error if ctx.rule.rule.requires_data or missing_columns else Outcome.not_applicable
    return ctx.note(
        outcome,
        LocalizedText(
            zh="；".join(zh_parts) + "：这部分检查未执行",
            en="; ".join(en_parts) + ": these checks were not run",
        ),
        evidence=evidence,
    )


def table_problem(ctx: RuleContext, table: str, columns: Iterable[str]) -> list[str] | Literal[False] | None:
    """``False`` when the table and columns are present; ``None`` when the table
    is absent; else the missing columns."""
    tbl = ctx.table(table)
    if tbl is None:
        return None
    # the columns naming a row's subject are needed by every rule on the table
    needed = dict.fromkeys([*subject_id_columns(table), *columns])
    missing = [c for c in needed if c not in tbl.frame.columns]
    return missing or False


def as_text(expr: nw.Expr) -> nw.Expr:
    """Keys compared across tables as text, so ``2164000232`` read as a number in
    one file still matches the same code read as text in another."""
    return expr.cast(nw.String)


# --- API 2: results instead of findings ---------------------------------------------------


def error_results(
    ctx: RuleContext,
    errors: nw.LazyFrame[Any],
    table: str,
    error_columns: Iterable[str],
    *,
    subject: Subject | None = None,
    keys: Sequence[str] = ("subject_id", "subject_name"),
    columns: Sequence[str] = (),
    subject_type: str | None = None,
    op: str | None = None,
    threshold: Any = None,
    unit: str | None = None,
    row: str = ROW,
) -> list[RuleResult]:
    """``error`` results for the rows of ``errors`` (a lazy frame with ``row``,
    ``error_column``, ``error_kind`` and the ``keys`` columns that name the
    subject): one finding per subject, column and kind, naming the table, the
    first row and column, and listing every row in the evidence.

    One result for all of them: each finding's evidence leads with its own
    column (``EvidenceSpec.lead``), so a table is scanned once, not once per
    column. With ``subject``, every finding is about that one subject.
    """
    if subject is not None:
        errors = errors.with_columns(
            subject_id=nw.lit(subject.id, dtype=nw.String),
            subject_name=nw.lit(subject.name, dtype=nw.String),
        )
        keys = ("subject_id", "subject_name")
        subject_type = subject_type or subject.type
    group = [*keys, "error_column", "error_kind"]
    rows = errors.filter(nw.col("error_column").is_in(list(dict.fromkeys(error_columns))))
    frame = (
        rows.group_by(*group)
        .agg(nw.col(row).min().alias("row_first"))
        .with_columns(
            outcome=nw.lit("error", dtype=nw.String),
        )
    )
    # one result for every column: each finding's evidence leads with its column
    evidence = EvidenceSpec(
        table, list(columns), Rows(rows.select(*group, row), on=tuple(group), row=row), lead="error_column"
    )
    return [
        RuleResult(
            frame=frame,
            table=table,
            subject_type=subject_type,
            op=op,
            threshold=threshold,
            unit=unit,
            evidence=[evidence],
        )
    ]


def missing_value_results(
    ctx: RuleContext,
    lf: nw.LazyFrame[Any],
    table: str,
    columns: Sequence[str],
    *,
    subject: Subject | None = None,
    op: str | None = None,
    threshold: Any = None,
    unit: str | None = None,
) -> list[RuleResult]:
    """One ``error`` finding per column of ``columns`` that is missing in some
    rows of ``lf``, naming the table, the first row and column and listing every
    row in its evidence (subject: ``subject`` or the submission). Lazy: a
    column with no missing value gives no finding."""
    subject = subject or ctx.submission_subject()
    out = []
    for c in dict.fromkeys(columns):
        errors = lf.filter(nw.col(c).is_null()).select(
            nw.col(ROW),
            error_column=nw.lit(c, dtype=nw.String),
            error_kind=nw.lit("missing", dtype=nw.String),
        )
        out += error_results(
            ctx, errors, table, [c], subject=subject, op=op, threshold=threshold, unit=unit, columns=()
        )
    return out


def name_frame(ctx: RuleContext, subject_type: str) -> nw.LazyFrame[Any] | None:
    """``(_key, _name)`` for schools (by ``school_id``) or inspectors (by
    ``inspector_id``) from their own tables, to join display names onto subjects
    found in other tables; ``None`` when there is no such table."""
    known = {
        "school": ("schools", "school_id", "school_name"),
        "inspector": ("inspectors", "inspector_id", "inspector_name"),
    }.get(subject_type)
    if known is None:
        return None
    table, key, name = known
    if ctx.table(table) is None or not {key, name} <= set(ctx.columns(table)):
        return None
    lf = ctx.frame(table)
    assert lf is not None
    return (
        lf.filter(~nw.col(key).is_null() & ~nw.col(name).is_null())
        .group_by(nw.col(key).cast(nw.String).alias("_key"))
        .agg(nw.col(name).cast(nw.String).min().alias("_name"))
    )


def with_names(
    ctx: RuleContext, frame: nw.LazyFrame[Any], subject_type: str, key: str = "subject_id"
) -> nw.LazyFrame[Any]:
    """``frame`` with ``subject_name`` joined from the subject's own table (null
    where it has none)."""
    names = name_frame(ctx, subject_type)
    if names is None:
        return frame.with_columns(subject_name=nw.lit(None, dtype=nw.String))
    return frame.join(names, left_on=key, right_on="_key", how="left").rename({"_name": "subject_name"})


# --- batches of counties -------------------------------------------------------------------

#: tables whose rows belong to a county through another table's key
_COUNTY_VIA = (("school_id", "schools"), ("kindergarten_id", "kindergartens"))


def with_county(ctx: RuleContext, table: str, lf: nw.LazyFrame[Any]) -> nw.LazyFrame[Any] | None:
    """``lf`` with a ``_county`` column: the row's own ``county_code``, else
    that of its school or kindergarten (through ``school_id`` / ``kindergarten_id``);
    ``None`` when the table cannot be placed in a county."""
    columns = set(ctx.columns(table))
    if "county_code" in columns:
        return lf.with_columns(_county=nw.col("county_code").cast(nw.String))
    for key, owner in _COUNTY_VIA:
        if key in columns and owner != table and {key, "county_code"} <= set(ctx.columns(owner)):
            owners = ctx.frame(owner)
            assert owners is not None
            counties = owners.group_by(nw.col(key).cast(nw.String).alias("_key")).agg(
                nw.col("county_code").cast(nw.String).min().alias("_county")
            )
            return (
                lf.with_columns(_key=nw.col(key).cast(nw.String))
                .join(counties, on="_key", how="left")
                .drop("_key")
            )
    return None


def county_name_frame(ctx: RuleContext) -> nw.LazyFrame[Any] | None:
    """``(_code, subject_name)``: each county's name from the county table, or
    ``None`` when the county table does not name its counties."""
    if ctx.table("county") is None or not {"county_code", "county_name"} <= set(ctx.columns("county")):
        return None
    county = ctx.frame("county")
    assert county is not None
    return (
        county.filter(~nw.col("county_name").is_null())
        .group_by(nw.col("county_code").cast(nw.String).alias("_code"))
        .agg(nw.col("county_name").cast(nw.String).min().alias("subject_name"))
    )


def county_names(ctx: RuleContext, frame: nw.LazyFrame[Any], key: str = "subject_id") -> nw.LazyFrame[Any]:
    """``frame`` with ``subject_name`` from the county table's ``county_name``
    (null where the county table does not name the county)."""
    names = county_name_frame(ctx)
    if names is None:
        return frame.with_columns(subject_name=nw.lit(None, dtype=nw.String))
    return frame.join(names, left_on=key, right_on="_code", how="left")
