"""The findings store: every finding of a run as columns, never as one object per row.

Validators hand the engine result frames (see :class:`supervise_rules.RuleResult`);
the engine turns each into a :class:`Part` — one polars frame of findings of one
rule with the outcome, subject, observed and required values and evidence rows
— and the :class:`FindingStore` keeps them. Counting and summarising read the
parts; messages are rendered column-wise (see :mod:`supervise_rules.messages`)
and each finding is encoded as one JSON text, by polars, only for the findings
that are listed: failures, errors and not-applicable findings always, passes
only on request. ``Finding`` objects are made from those texts on demand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .locations import ROW, WHY_EN, WHY_ZH, TablePlace, value_wording
from .messages import OP_TEXT, VERDICT, Template, parse_template
from .models import Certainty, Finding, LocalizedText, Outcome, Severity

#: Rows of a submission (all tables) up to which its queries run on polars'
#: in-memory engine. Measured on 2 cores: a county (≈ 900 rows) 1.28 → 0.87 s
#: and 100k schools (351k rows) 1.58 → 1.48 s with it, but 1M schools (3.5M
#: rows) 8.9 → 16.1 s: beyond, polars' own choice (streaming) is much faster.
IN_MEMORY_ROWS = 1_000_000


def engine_for(rows: int) -> Any:
    """The polars engine for the queries of a submission of ``rows`` rows."""
    return "in-memory" if rows <= IN_MEMORY_ROWS else "auto"


def collect_all(frames: Sequence[pl.LazyFrame], engine: Any = "auto") -> list[pl.DataFrame]:
    """Collect several lazy frames in one polars pass (shared inputs computed once)."""
    return pl.collect_all(frames, engine=engine)


#: Sort order of listed findings (the same as report contract v1).
SORT_KEYS = ("rule_id", "subject_id", "outcome", "message_en", "message_zh")

#: Columns of :meth:`FindingStore.frame`, in order.
FRAME_COLUMNS = (
    "rule_id",
    "severity",
    "certainty",
    "work_point",
    "outcome",
    "subject_type",
    "subject_id",
    "subject_name",
    "observed",
    "observed_text",
    "required_op",
    "required_value",
    "unit",
    "message_zh",
    "message_en",
    "table",
    "rows",
    "plugin",
    "waiver_status",
    "baseline",
)
#: the listed frame's further columns: the finding's JSON around its message
_JSON_PARTS = ("waiver_json", "json")

_EVIDENCE_DTYPE = pl.List(
    pl.Struct(
        {
            "table": pl.String,
            "rows": pl.List(pl.Int64),
            "columns": pl.List(pl.String),
            # where the clerk finds it (see supervise_rules.locations)
            "file": pl.String,
            "sheet": pl.String,
            "lines": pl.List(pl.Int64),
            "headers": pl.List(pl.String),
            "cells": pl.List(pl.String),
        }
    )
)
_EVIDENCE_WHERE = ("file", "sheet", "lines", "headers", "cells")
#: an unset one of those in a finding's JSON text (never inside a JSON string,
#: where a quote is escaped)
_UNSET_WHERE = ',"(?:' + "|".join(_EVIDENCE_WHERE) + ')":null'

#: subjects of whole-table findings: their rows are not written into the message
_AGGREGATE_SUBJECTS = ("county", "submission")
_LINE, _LINES, _ONE, _CELLS = "_loc_line", "_loc_lines", "_loc_one", "_loc_cells"
_SHEET_ROW = "_loc_sheet_row"
_ROWS_DTYPE = pl.List(pl.Int64)
_SHOWN_ROWS = 10


@dataclass(frozen=True)
class RuleMeta:
    """What every finding of a rule shares."""

    rule_id: str
    title: LocalizedText
    severity: Severity
    work_point: str | None = None
    certainty: Certainty | None = None
    source: str | None = None

    def json_fields(self) -> dict[str, pl.Expr]:
        return {
            "rule_id": pl.lit(self.rule_id, dtype=pl.String),
            "title": pl.struct(
                zh=pl.lit(self.title.zh, dtype=pl.String), en=pl.lit(self.title.en, dtype=pl.String)
            ),
            "work_point": pl.lit(self.work_point, dtype=pl.String),
            "severity": pl.lit(self.severity.value, dtype=pl.String),
            "certainty": pl.lit(self.certainty, dtype=pl.String),
        }


@dataclass(frozen=True)
class EvidenceColumn:
    """One evidence entry of every finding of a part: the table, its columns, and
    the frame column with the rows (``None``: a whole-table aggregate)."""

    table: str
    columns: tuple[str, ...] = ()
    rows: str | None = None
    #: a frame column whose value leads ``columns`` on each row (see ``EvidenceSpec``)
    lead: str | None = None


@dataclass
class Part:
    """Findings of one rule from one result, as one polars frame.

    Columns: ``outcome``, ``subject_type``, ``subject_id``, ``subject_name``,
    ``observed``, ``required_op``, ``required_value``, the evidence row columns
    named in ``evidence``, and optionally ``message_zh``/``message_en`` (given
    messages), ``error_column``/``error_kind`` (data errors), ``plugin``,
    ``evidence`` (whole evidence lists, from API-1 findings) and the template
    value columns named in ``values``.
    """

    rule: RuleMeta
    frame: pl.DataFrame
    table: str | None = None
    unit: str | None = None
    evidence: tuple[EvidenceColumn, ...] = ()
    templates: LocalizedText | None = None
    values: tuple[str, ...] = ()
    #: contract column -> Chinese name, for data-error messages
    column_zh: dict[str, str] = field(default_factory=dict)
    table_zh: str | None = None
    #: the passes, same columns as ``frame``: collected only when they are listed
    #: (a function that makes the frame, for a backend whose data is not in polars)
    passes: pl.LazyFrame | Callable[[], pl.LazyFrame] | None = None
    #: ``outcome, subject_type, n, min, max, subjects`` over every finding of the part
    stats: pl.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.stats is None:  # a part made eagerly (API-1 findings): split it here
            full = self.frame
            self.stats = stats_of(
                full.lazy().with_columns(stat_columns(full.schema)).head(1).collect(engine="in-memory")
            )
            self.frame = full.filter(pl.col("outcome") != "pass")
            self.passes = full.filter(pl.col("outcome") == "pass").lazy()

    def pass_frame(self) -> pl.LazyFrame:
        passes = self.passes
        assert passes is not None
        return passes() if callable(passes) else passes

    # -- rendering --------------------------------------------------------------

    def render(self, frame: pl.DataFrame, places: Mapping[str, TablePlace] | None = None) -> pl.DataFrame:
        """The listed form of ``frame`` (rows of this part): sort keys, the
        finding's JSON text and the columns of :meth:`FindingStore.frame`;
        ``places`` says where the clerk finds each table's rows."""
        n = frame.height
        places = places or {}
        place = self._first_place(places)
        if place is not None:
            frame = self._with_location(frame, place)
        zh, en = self._messages(frame, place)
        frame = frame.with_columns(message_zh=zh, message_en=en)
        evidence = self._evidence_expr(frame, places)
        observed = _clean(frame["observed"])
        required_value = frame["required_value"]
        subject = pl.struct(type=pl.col("subject_type"), id=pl.col("subject_id"), name=pl.col("subject_name"))
        fields = self.rule.json_fields()
        finding = pl.struct(
            fields["rule_id"].alias("rule_id"),
            fields["title"].alias("title"),
            fields["work_point"].alias("work_point"),
            fields["severity"].alias("severity"),
            fields["certainty"].alias("certainty"),
            pl.col("outcome"),
            subject.alias("subject"),
            pl.lit(observed).alias("observed") if n else pl.col("observed"),
            pl.when(pl.col("required_op").is_not_null())
            .then(pl.struct(op=pl.col("required_op"), value=pl.lit(required_value)))
            .alias("required"),
            pl.lit(self.unit, dtype=pl.String).alias("unit"),
            message_json().alias("message"),
            evidence.alias("evidence"),
            pl.lit(self.rule.source, dtype=pl.String).alias("source"),
        ).struct.json_encode()
        # unset, they are left out (as in the models): one pass for the five keys
        finding = finding.str.replace_all(_UNSET_WHERE, "")
        plugin = frame["plugin"] if "plugin" in frame.columns else pl.Series([None] * n, dtype=pl.String)
        first_table = self.evidence[0].table if self.evidence else None
        first_rows = self.evidence[0].rows if self.evidence else None
        out = frame.select(
            pl.lit(self.rule.rule_id, dtype=pl.String).alias("rule_id"),
            pl.lit(self.rule.severity.value, dtype=pl.String).alias("severity"),
            pl.lit(self.rule.certainty, dtype=pl.String).alias("certainty"),
            pl.lit(self.rule.work_point, dtype=pl.String).alias("work_point"),
            "outcome",
            "subject_type",
            "subject_id",
            "subject_name",
            pl.lit(_numeric(observed)).alias("observed"),
            pl.lit(_as_text(observed)).alias("observed_text"),
            "required_op",
            pl.lit(_as_text(required_value)).alias("required_value"),
            pl.lit(self.unit, dtype=pl.String).alias("unit"),
            "message_zh",
            "message_en",
            pl.lit(first_table, dtype=pl.String).alias("table"),
            (_rows_list(frame, first_rows) if first_rows else pl.lit(None, dtype=_ROWS_DTYPE)).alias("rows"),
            pl.lit(plugin).alias("plugin"),
            *(
                pl.col(c) if c in frame.columns else pl.lit(None, dtype=pl.String).alias(c)
                for c in ("waiver_status", "waiver_json", "baseline")
            ),
            finding.alias("json"),
        )
        return out

    def _first_place(self, places: Mapping[str, TablePlace]) -> TablePlace | None:
        if not self.evidence or not self.evidence[0].rows:
            return None
        return places.get(self.evidence[0].table)

    def _with_location(self, frame: pl.DataFrame, place: TablePlace) -> pl.DataFrame:
        """Where the clerk finds the first evidence entry's rows: ``_loc_lines``
        (every row's line), ``_loc_one`` (the line when there is one row),
        ``_loc_cells`` (that row's cells) and ``_loc_line`` (the lines a message
        names: a finding about one row or a few, not a whole table's)."""
        first = self.evidence[0]
        assert first.rows is not None
        if first.rows not in frame.columns:
            return frame
        lead = pl.col(first.lead).cast(pl.String) if first.lead else None
        about_rows = ~pl.col("subject_type").is_in(_AGGREGATE_SUBJECTS)
        if isinstance(frame.schema[first.rows], pl.List):
            lines = place.line_list(pl.col(first.rows).cast(_ROWS_DTYPE))
            frame = frame.with_columns(lines.alias(_LINES))
            count = pl.col(_LINES).list.len().fill_null(0)
            single = pl.when(count == 1).then(pl.col(first.rows).list.first().cast(pl.Int64))
            frame = frame.with_columns(
                pl.when(count == 1).then(pl.col(_LINES).list.first()).alias(_ONE),
                place.sheet_row(single).alias(_SHEET_ROW),
                pl.when(about_rows & (count >= 1) & (count <= _SHOWN_ROWS)).then(pl.col(_LINES)).alias(_LINE),
            )
        else:  # one row per finding, the usual case: no lists until the evidence
            row = pl.col(first.rows).cast(pl.Int64)
            frame = frame.with_columns(place.line_of(row).alias(_ONE), place.sheet_row(row).alias(_SHEET_ROW))
            one = pl.col(_ONE)
            frame = frame.with_columns(
                pl.when(one.is_not_null()).then(pl.concat_list([one])).alias(_LINES),
                pl.when(about_rows & one.is_not_null()).then(pl.concat_list([one])).alias(_LINE),
            )
        # a cell is a spreadsheet's: on the row a spreadsheet shows the line on
        return frame.with_columns(
            place.cell_list(list(first.columns), lead, pl.col(_SHEET_ROW)).alias(_CELLS)
        )

    def _messages(self, frame: pl.DataFrame, place: TablePlace | None = None) -> tuple[pl.Series, pl.Series]:
        """Each finding's message: the one written in the frame, else the data
        error's, else the templates' — each rendered only for the rows that need
        it; then where the clerk finds the row, when the finding is about rows."""
        n = frame.height
        out = {
            lang: frame[f"message_{lang}"]
            if f"message_{lang}" in frame.columns
            else pl.Series([None] * n, dtype=pl.String)
            for lang in ("zh", "en")
        }
        errors: dict[str, pl.Series | None] = {}
        for lang in ("zh", "en"):
            errors[lang] = self._error_messages(frame, lang, place)
            if errors[lang] is not None:
                out[lang] = out[lang].fill_null(errors[lang])
        need = out["zh"].is_null() | out["en"].is_null()
        if need.any():
            # every row, the usual case of passes: no copy of the frame (its
            # location lists) to a subset and no scatter back
            every = need.all()
            rows = None if every else need.arg_true()
            subset = frame if every else frame.filter(need)
            formatted: dict[tuple[str, str], pl.Series] = {}  # shared by both languages
            for lang in ("zh", "en"):
                texts = (
                    self._template_messages(subset, lang, formatted)
                    if self.templates is not None
                    else pl.Series([""] * subset.height, dtype=pl.String)
                )
                if rows is None:
                    out[lang] = out[lang].fill_null(texts)
                    continue
                given = out[lang].gather(rows)
                out[lang] = out[lang].scatter(rows, given.fill_null(texts))
        if place is not None and _LINE in frame.columns:
            for lang in ("zh", "en"):
                out[lang] = self._located(frame, out[lang], errors[lang], place, lang)
        return out["zh"].alias("message_zh"), out["en"].alias("message_en")

    @staticmethod
    def _located(
        frame: pl.DataFrame, messages: pl.Series, errors: pl.Series | None, place: TablePlace, lang: str
    ) -> pl.Series:
        """``messages`` followed by where the clerk finds the finding's rows
        (data errors already say where they are)."""
        lines = pl.col(_LINE)
        located = lines.is_not_null()
        if errors is not None:
            located = located & pl.lit(errors).is_null()
        if not frame.select(located.any()).item():
            return messages
        several = frame.select((lines.list.len() > 1).any()).item()
        if several:  # duplicates: their lines joined; worded only when there are any
            multiple = lines.list.len() > 1
            many: pl.Expr | None = multiple
            shown = (
                pl.when(multiple)
                .then(lines.list.eval(pl.element().cast(pl.String)).list.join("、" if lang == "zh" else ", "))
                .otherwise(pl.col(_ONE).cast(pl.String))
            )
        else:
            many, shown = None, pl.col(_ONE)
        # the message names the rule's own column; the evidence has every cell
        where = place.where(
            shown,
            pl.col(_CELLS).list.head(1),
            lang,
            plural=many,
            inline=True,
            sheet_row=None if several else pl.col(_SHEET_ROW),
        )
        suffix = pl.concat_str(
            [pl.lit("（" if lang == "zh" else " ("), where, pl.lit("）" if lang == "zh" else ")")]
        )
        return (
            frame.with_columns(_m=pl.lit(messages))
            .select(pl.when(located).then(pl.concat_str([pl.col("_m"), suffix])).otherwise(pl.col("_m")))
            .to_series()
        )

    def _template_messages(
        self, frame: pl.DataFrame, lang: str, formatted: dict[tuple[str, str], pl.Series]
    ) -> pl.Series:
        assert self.templates is not None
        template_text = getattr(self.templates, lang)
        try:
            template: Template = parse_template(template_text)
        except ValueError as exc:
            return pl.Series(
                [f"{template_text} [message template error: {exc}]"] * frame.height, dtype=pl.String
            )
        idx = 0 if lang == "zh" else 1
        verdict = frame["outcome"].replace_strict(
            {k: v[idx] for k, v in VERDICT.items()}, default="", return_dtype=pl.String
        )
        op_text = frame["required_op"].replace_strict(
            {k: v[idx] for k, v in OP_TEXT.items()}, default="", return_dtype=pl.String
        )
        columns: dict[str, Any] = {
            "observed": frame["observed"],
            "required": frame["required_value"],
            "unit": self.unit or "",
            "subject_id": frame["subject_id"],
            "subject_name": frame.select(pl.coalesce("subject_name", "subject_id")).to_series(),
            # "name（id）", or the id alone when the data names no one: never "id（id）"
            "subject": frame.select(
                pl.when(
                    pl.col("subject_name").is_not_null() & (pl.col("subject_name") != pl.col("subject_id"))
                )
                .then(
                    pl.concat_str(
                        [
                            pl.col("subject_name"),
                            pl.lit("（" if lang == "zh" else " ("),
                            pl.col("subject_id"),
                            pl.lit("）" if lang == "zh" else ")"),
                        ]
                    )
                )
                .otherwise(pl.col("subject_id"))
            ).to_series(),
            "verdict": verdict,
            "op_text": op_text,
        }
        for name in self.values:
            if name in frame.columns:
                columns[name] = frame[name]
        return template.render_column(
            columns, frame.height, formatted, shared=frozenset({"verdict", "op_text", "subject"})
        )

    def _error_messages(
        self, frame: pl.DataFrame, lang: str, place: TablePlace | None = None
    ) -> pl.Series | None:
        """Why a value could not be computed: where (the clerk's file, sheet,
        row and cell when known), which column, and every row when there are
        several (a data error is never a silent pass)."""
        if "error_kind" not in frame.columns:
            return None
        errors = (
            frame.select((pl.col("outcome") == "error") & pl.col("error_kind").is_not_null())
            .to_series()
            .fill_null(False)
        )
        if not errors.any():  # the usual case: a result frame that can hold errors has none
            return None
        if not errors.all():  # worded for the error rows only, then put in place
            at = errors.arg_true()
            texts = self._error_messages(frame[at], lang, place)
            assert texts is not None
            return pl.Series([None] * frame.height, dtype=pl.String).scatter(at, texts)
        table = self.table or "?"
        rows = (
            _rows_list(frame, self.evidence[0].rows)
            if self.evidence and self.evidence[0].rows
            else pl.lit(None, dtype=_ROWS_DTYPE)
        )
        column = pl.col("error_column").fill_null("?")
        # the rows and their lines computed once: the wording below uses each
        # several times, and a list expression repeated is evaluated again
        frame = frame.with_columns(rows.alias("_err_rows"))
        rows = pl.col("_err_rows")
        frame = frame.with_columns(
            (place.line_list(rows) if place is not None else rows).alias("_err_lines"),
            (place.sheet_row(rows.list.first()) if place is not None else pl.lit(None, dtype=pl.Int64)).alias(
                "_err_sheet_row"
            ),
        )
        shown_rows = pl.col("_err_lines")
        first = shown_rows.list.first().cast(pl.String)
        count = rows.list.len().fill_null(0)
        shown = shown_rows.list.head(_SHOWN_ROWS).cast(pl.List(pl.String)).list.join(", ") + pl.when(
            count > _SHOWN_ROWS
        ).then(pl.lit("…")).otherwise(pl.lit(""))
        raw = why = pl.lit(None, dtype=pl.String)
        if place is not None and place.unreadable is not None:
            # the value the cell held, when it held one that could not be read
            # (or one that was implausible: then also what it should have been)
            cells = frame.select(
                column=pl.col("error_column").cast(pl.String),
                **{
                    ROW: _rows_list(frame, self.evidence[0].rows).list.first()
                    if self.evidence and self.evidence[0].rows
                    else pl.lit(None, dtype=pl.Int64)
                },
            )
            held = cells.join(place.unreadable, on=["column", ROW], how="left", maintain_order="left")
            raw = pl.lit(held.get_column("raw"))
            why = pl.lit(held.get_column(WHY_ZH if lang == "zh" else WHY_EN))
        what = value_wording(pl.col("error_kind"), raw, lang, why)
        if place is not None:
            letter = (
                column.replace_strict(dict(place.letters), default=None, return_dtype=pl.String)
                if place.letters
                else pl.lit(None, dtype=pl.String)
            )
            sheet_row = pl.col("_err_sheet_row")
            frame = frame.with_columns(
                pl.when(letter.is_not_null() & first.is_not_null())
                .then(pl.concat_list([pl.concat_str([letter, sheet_row.cast(pl.String)])]))
                .alias("_err_cell")
            )
            cell = pl.col("_err_cell")
            table_only = place.place.table()[0 if lang == "zh" else 1]
            where = (
                pl.when(first.is_not_null())
                .then(place.where(first, cell, lang, sheet_row=sheet_row))
                .otherwise(pl.lit(table_only))
            )
        elif lang == "zh":
            where = pl.concat_str(
                [
                    pl.lit(f"「{self.table_zh or table}」表"),
                    pl.when(first.is_not_null())
                    .then(pl.concat_str([pl.lit("第 "), first, pl.lit(" 行")]))
                    .otherwise(pl.lit("")),
                ]
            )
        else:
            where = pl.concat_str(
                [
                    pl.lit(f"table {table}"),
                    pl.when(first.is_not_null())
                    .then(pl.concat_str([pl.lit(", row "), first]))
                    .otherwise(pl.lit("")),
                ]
            )
        if lang == "zh":
            col_zh = (
                column.replace_strict(self.column_zh, default=column, return_dtype=pl.String)
                if self.column_zh
                else column
            )
            note = (
                pl.when(count > 1)
                .then(
                    pl.concat_str(
                        [pl.lit("（共 "), count.cast(pl.String), pl.lit(" 行："), shown, pl.lit("）")]
                    )
                )
                .otherwise(pl.lit(""))
            )
            text = pl.concat_str([where, pl.lit("「"), col_zh, pl.lit("」"), what, note])
        else:
            note = (
                pl.when(count > 1)
                .then(
                    pl.concat_str(
                        [pl.lit(" ("), count.cast(pl.String), pl.lit(" rows: "), shown, pl.lit(")")]
                    )
                )
                .otherwise(pl.lit(""))
            )
            text = pl.concat_str([where, pl.lit(", column "), column, what, note])
        return frame.select(text).to_series()

    def _evidence_expr(self, frame: pl.DataFrame, places: Mapping[str, TablePlace] | None = None) -> pl.Expr:
        if "evidence" in frame.columns:
            return pl.col("evidence").cast(_EVIDENCE_DTYPE)
        if not self.evidence:
            return pl.lit([], dtype=_EVIDENCE_DTYPE)
        places = places or {}
        entries = []
        for i, e in enumerate(self.evidence):
            place = places.get(e.table)
            rows = _rows_list(frame, e.rows) if e.rows else pl.lit(None, dtype=_ROWS_DTYPE)
            lead = pl.col(e.lead).cast(pl.String) if e.lead else None
            if place is None:
                where: dict[str, pl.Expr] = {
                    "file": pl.lit(None, dtype=pl.String),
                    "sheet": pl.lit(None, dtype=pl.String),
                    "lines": pl.lit(None, dtype=_ROWS_DTYPE),
                    "headers": pl.lit(None, dtype=pl.List(pl.String)),
                    "cells": pl.lit(None, dtype=pl.List(pl.String)),
                }
            else:
                if i == 0 and _LINES in frame.columns:  # worked out for the messages
                    lines, cells = pl.col(_LINES), pl.col(_CELLS)
                elif e.rows:
                    lines = place.line_list(rows)
                    one = pl.when(rows.list.len() == 1).then(place.sheet_row(rows.list.first()))
                    cells = place.cell_list(list(e.columns), lead, one)
                else:
                    lines = pl.lit(None, dtype=_ROWS_DTYPE)
                    cells = pl.lit(None, dtype=pl.List(pl.String))
                where = {
                    "file": pl.lit(place.file, dtype=pl.String),
                    "sheet": pl.lit(place.sheet, dtype=pl.String),
                    "lines": lines if place.locator != "record" else pl.lit(None, dtype=_ROWS_DTYPE),
                    "headers": place.header_list(list(e.columns), lead),
                    "cells": cells,
                }
            fields = {
                "table": pl.lit(e.table, dtype=pl.String),
                "rows": rows,
                "columns": _columns_list(e),
                **where,
            }
            entries.append(pl.struct([expr.alias(name) for name, expr in fields.items()]))
        return pl.concat_list(entries)


def _columns_list(entry: EvidenceColumn) -> pl.Expr:
    static = pl.lit(list(entry.columns), dtype=pl.List(pl.String))
    if entry.lead is None:
        return static
    lead = pl.col(entry.lead).cast(pl.String)
    return (
        pl.when(lead.is_null())
        .then(static)
        .otherwise(pl.concat_list([lead, static]).list.unique(maintain_order=True))
    )


def _rows_list(frame: pl.DataFrame, column: str) -> pl.Expr:
    """The rows of an evidence column as a list (a scalar row becomes ``[row]``)."""
    if column not in frame.columns:
        return pl.lit(None, dtype=_ROWS_DTYPE)
    dtype = frame.schema[column]
    if isinstance(dtype, pl.List):
        return pl.col(column).cast(_ROWS_DTYPE)
    if dtype == pl.Null:
        return pl.lit(None, dtype=_ROWS_DTYPE)
    row = pl.col(column).cast(pl.Int64)
    return pl.when(row.is_not_null()).then(pl.concat_list([row])).otherwise(pl.lit(None, dtype=_ROWS_DTYPE))


def _clean(series: pl.Series) -> pl.Series:
    """:func:`clean_expr` of a series."""
    return series.to_frame("v").select(clean_expr(pl.col("v"), series.dtype)).to_series().alias(series.name)


def _numeric(series: pl.Series) -> pl.Series:
    if series.dtype.is_numeric():
        return series.cast(pl.Float64)
    return pl.Series([None] * len(series), dtype=pl.Float64)


def _as_text(series: pl.Series) -> pl.Series:
    """Values as text, for ``frame()`` (as polars writes them: no Python object
    per value; the JSON and the messages keep their own formatting)."""
    if series.dtype == pl.Null:
        return pl.Series([None] * len(series), dtype=pl.String)
    return series.cast(pl.String)


def dtype_is_float(dtype: Any) -> bool:
    """Whether a polars dtype is a float type."""
    return dtype in (pl.Float32, pl.Float64)


# --- the store -------------------------------------------------------------------------


class FindingStore:
    """Every finding of a run, kept as the engine's parts.

    Listed findings (not passes, unless asked) are rendered once and cached as one
    frame sorted by :data:`SORT_KEYS`; annotations (waivers, baseline marks) are
    applied to that frame by key, column-wise.
    """

    def __init__(
        self, parts: Sequence[Part], engine: Any = "auto", places: Mapping[str, TablePlace] | None = None
    ):
        self.parts = list(parts)
        #: where the clerk finds each table's rows (see supervise_rules.locations)
        self.places = dict(places or {})
        #: the polars engine that collects the passes when they are listed
        self.engine = engine
        self._listed: dict[bool, pl.DataFrame] = {}
        self._pass_marks: pl.DataFrame | None = None

    # -- counts -------------------------------------------------------------------

    def rule_stats(self) -> dict[str, dict[str, Any]]:
        """Per rule: subjects checked, counts by outcome, observed min/max."""
        stats: dict[str, dict[str, Any]] = {}
        for p in self.parts:
            entry = stats.setdefault(
                p.rule.rule_id,
                {
                    "meta": p.rule,
                    "n_subjects": 0,
                    "unit": p.unit,
                    "by_outcome": dict.fromkeys((o.value for o in Outcome), 0),
                    "min": None,
                    "max": None,
                    "numeric": False,
                },
            )
            assert p.stats is not None
            for rec in p.stats.iter_rows(named=True):
                entry["by_outcome"][rec["outcome"]] = entry["by_outcome"].get(rec["outcome"], 0) + rec["n"]
                entry["n_subjects"] += rec.get("subjects") or 0
                for key, pick in (("min", min), ("max", max)):
                    value = rec.get(key)
                    if value is not None:
                        entry["numeric"] = True
                        entry[key] = value if entry[key] is None else pick(entry[key], value)
        return stats

    # -- listing --------------------------------------------------------------------

    def listed(self, include_passes: bool = False) -> pl.DataFrame:
        """The listed findings, rendered and sorted (see :data:`FRAME_COLUMNS`)."""
        if include_passes not in self._listed:
            if include_passes:
                lazy = [(p, p.pass_frame()) for p in self.parts if p.passes is not None]
                collected = collect_all([f for _, f in lazy], self.engine) if lazy else []
                items = [(p, f) for (p, _), f in zip(lazy, collected, strict=True) if f.height]
                del lazy, collected  # the raw passes go as soon as they are rendered
                frames = [self._failures(), *(self._marked(r) for r in _render_all(items, self.places))]
                del items
                self._listed[True] = _sorted(frames)
            else:
                self._failures()
        return self._listed[include_passes]

    def _marked(self, passes: pl.DataFrame) -> pl.DataFrame:
        """Rendered passes with the baseline's ``fixed`` marks."""
        if self._pass_marks is None:
            return passes
        marks = self._pass_marks.rename({"baseline": "_mark"})
        return (
            passes.join(marks, on=["rule_id", "subject_id"], how="left", maintain_order="left")
            .with_columns(baseline=pl.coalesce("_mark", "baseline"))
            .drop("_mark")
        )

    def _failures(self) -> pl.DataFrame:
        """The listed findings that are not passes, rendered once."""
        if False in self._listed:
            return self._listed[False]
        self._listed[False] = _sorted(
            _render_all([(p, p.frame) for p in self.parts if p.frame.height], self.places)
        )
        return self._listed[False]

    def lookup(self, keys: pl.DataFrame) -> pl.DataFrame:
        """``rule_id, subject_id, outcome`` of every finding (passes included)
        whose rule and subject are among ``keys`` (a frame of those two columns)."""
        found: list[pl.LazyFrame] = []
        for p in self.parts:
            wanted = keys.filter(pl.col("rule_id") == p.rule.rule_id)["subject_id"]
            if not len(wanted):
                continue
            for frame in (p.frame.lazy(), p.pass_frame() if p.passes is not None else None):
                if frame is not None:
                    found.append(
                        frame.filter(pl.col("subject_id").is_in(wanted.implode())).select(
                            rule_id=pl.lit(p.rule.rule_id, dtype=pl.String),
                            subject_id="subject_id",
                            outcome="outcome",
                        )
                    )
        collected = [f for f in collect_all(found, self.engine) if f.height] if found else []
        if not collected:
            return pl.DataFrame(schema={"rule_id": pl.String, "subject_id": pl.String, "outcome": pl.String})
        return pl.concat(collected)

    def annotate(self, annotated: pl.DataFrame, pass_marks: pl.DataFrame | None = None) -> FindingStore:
        """A store whose listed findings are ``annotated`` (the listed frame with
        waiver or baseline columns set); ``pass_marks`` (``rule_id, subject_id,
        baseline``) marks passes when they are listed. Waivers and baseline marks
        are set by key, column-wise, never finding by finding."""
        store = FindingStore(self.parts, self.engine, self.places)
        store._listed = {False: annotated}
        store._pass_marks = pass_marks if pass_marks is not None else self._pass_marks
        return store

    def is_listed(self) -> bool:
        """Whether the listed findings (not passes) are rendered and held."""
        return False in self._listed

    def count_failing(self, severities: Sequence[str]) -> int:
        """Listed fails and errors of rules of these severities, not under an
        active waiver, counted on the parts without rendering them."""
        n = 0
        for p in self.parts:
            if not p.frame.height or p.rule.severity.value not in severities:
                continue
            cond = pl.col("outcome").is_in(["fail", "error"])
            if "waiver_status" in p.frame.columns:
                cond = cond & (pl.col("waiver_status").fill_null("") != "active")
            n += p.frame.filter(cond).height
        return n

    def json_groups(self, include_passes: bool = False) -> Iterator[pl.Series]:
        """The JSON texts of :meth:`json_lines`, in the same order, a rule at a time.

        When the listed findings are not held yet (a report written once, the
        usual run), each rule's findings are rendered, sorted, handed over and
        dropped: writing a national report never holds all of its text at once.
        Nothing is cached then; a later :meth:`listed` renders again."""
        if include_passes in self._listed:
            yield self.json_lines(include_passes)
            return
        failures: dict[str, pl.DataFrame] = {}
        if False in self._listed:  # annotated (waivers, a baseline): listed already
            failures = dict(_rule_slices(self._listed[False]))
        by_rule: dict[str, list[Part]] = {}
        for part in self.parts:
            by_rule.setdefault(part.rule.rule_id, []).append(part)
        for rule in sorted(set(by_rule) | set(failures)):
            parts = by_rule.get(rule, [])
            frames = (
                [failures.pop(rule)]
                if rule in failures
                else _render_all([(p, p.frame) for p in parts if p.frame.height], self.places)
            )
            if include_passes:
                with_passes = [p for p in parts if p.passes is not None]
                collected = (
                    collect_all([p.pass_frame() for p in with_passes], self.engine) if with_passes else []
                )
                items = [(p, f) for p, f in zip(with_passes, collected, strict=True) if f.height]
                del collected
                frames += [self._marked(r) for r in _render_all(items, self.places)]
                del items
            if frames:
                yield with_optional_keys(_sorted(frames))["json"]

    def json_lines(self, include_passes: bool = False) -> pl.Series:
        """Each listed finding's JSON text, in order (optional keys appended)."""
        return with_optional_keys(self.listed(include_passes))["json"]

    def findings(self, include_passes: bool = False) -> Iterator[Finding]:
        """Listed findings as :class:`Finding` objects, built one by one on demand."""
        validate = Finding.model_validate_json
        for line in self.json_lines(include_passes):
            yield validate(line)

    def frame(self, include_passes: bool = True, rules: Sequence[str] | None = None) -> pl.DataFrame:
        """One row per finding, for systems that join findings with their own data;
        with ``rules``, only those rules' findings (their passes alone are rendered)."""
        if rules is None:
            return self.listed(include_passes).select(FRAME_COLUMNS)
        wanted = set(rules)
        listed = self._failures().filter(pl.col("rule_id").is_in(list(wanted)))
        if not include_passes:
            return listed.select(FRAME_COLUMNS)
        parts = [p for p in self.parts if p.rule.rule_id in wanted and p.passes is not None]
        collected = collect_all([p.pass_frame() for p in parts], self.engine) if parts else []
        passes = _render_all([(p, f) for p, f in zip(parts, collected, strict=True) if f.height], self.places)
        return self._marked(_sorted([listed, *passes]) if passes else listed).select(FRAME_COLUMNS)


#: threads that render parts side by side
RENDER_THREADS = 2


def _render_all(
    items: Sequence[tuple[Part, pl.DataFrame]], places: Mapping[str, TablePlace]
) -> list[pl.DataFrame]:
    """``part.render(frame)`` of every item, in order. A part's rendering is a
    few dozen small polars queries, and polars releases the GIL while each
    runs: two threads keep both cores busy instead of waiting on one query
    at a time. The result does not depend on the threads (same order, same
    frames)."""
    if len(items) < 2 or RENDER_THREADS < 2:
        return [p.render(f, places) for p, f in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(RENDER_THREADS, thread_name_prefix="supervise-rules-render") as pool:
        return list(pool.map(lambda item: item[0].render(item[1], places), items))


#: prefix of the count columns a part's query carries (see :func:`stat_columns`)
STAT = "_stat_"


def stat_columns(schema: Any, *, subject_id: pl.Expr | None = None) -> list[pl.Expr]:
    """What the summary and the ``rules`` entries need of a part's findings, as
    columns over every row (the same value on each): counts by outcome, the
    observed min and max (numeric values only) and the distinct subjects. A
    query can then keep only the listed rows and still bring the counts back."""
    outcome = pl.col("outcome").cast(pl.String)
    observed = schema.get("observed")
    numeric = observed is not None and observed.is_numeric() and observed != pl.Boolean
    value = clean_expr(pl.col("observed"), observed) if numeric else pl.lit(None, dtype=pl.Float64)
    return [
        *((outcome == o.value).sum().alias(f"{STAT}{o.value}") for o in Outcome),
        value.min().alias(f"{STAT}min"),
        value.max().alias(f"{STAT}max"),
        (subject_id if subject_id is not None else pl.col("subject_id")).n_unique().alias(f"{STAT}subjects"),
    ]


def stats_of(frame: pl.DataFrame) -> pl.DataFrame:
    """``outcome, n, min, max, subjects`` from the :func:`stat_columns` of a
    collected frame's first row; min, max and subjects are on the first row only
    (:meth:`FindingStore.rule_stats` adds rows up)."""
    first = frame.row(0, named=True) if frame.height else {}
    rows = [(o.value, first[f"{STAT}{o.value}"]) for o in Outcome if first.get(f"{STAT}{o.value}")]
    if not rows:
        return pl.DataFrame(schema={"outcome": pl.String, "n": pl.UInt32})
    pad = [None] * (len(rows) - 1)
    return pl.DataFrame(
        {
            "outcome": [o for o, _ in rows],
            "n": pl.Series([n for _, n in rows], dtype=pl.UInt32),
            "min": pl.Series([first[f"{STAT}min"], *pad], dtype=frame.schema[f"{STAT}min"]),
            "max": pl.Series([first[f"{STAT}max"], *pad], dtype=frame.schema[f"{STAT}max"]),
            "subjects": pl.Series([first[f"{STAT}subjects"], *[0] * len(pad)], dtype=pl.UInt32),
        }
    )


def clean_expr(expr: pl.Expr, dtype: Any) -> pl.Expr:
    """JSON-friendly values of a column of ``dtype``: decimals as floats, NaN as
    null, dates as ISO text, floats to 12 significant digits (parallel float
    sums may differ in the last bits from run to run; the same input must give
    the same bytes)."""
    if isinstance(dtype, pl.Decimal) or dtype_is_float(dtype):
        return expr.cast(pl.Float64).fill_nan(None).round_sig_figs(12)
    if dtype in (pl.Date, pl.Datetime):
        return expr.cast(pl.Date).dt.to_string("%Y-%m-%d")
    return expr


def _sorted(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """``frames`` as one frame sorted by :data:`SORT_KEYS`; the list is emptied.

    Sorted rule by rule (``rule_id`` leads the keys) and put together without a
    copy: a national run's listed findings are held once, plus one rule's, instead
    of three times over (the inputs, their concatenation and the sorted copy)."""
    if not frames:
        return empty_listed()
    columns = [*FRAME_COLUMNS, *_JSON_PARTS]
    by_rule: dict[str, list[pl.DataFrame]] = {}
    while frames:
        for rule, piece in _rule_slices(frames.pop(0).select(columns)):
            by_rule.setdefault(rule, []).append(piece)
    out = []
    for rule in sorted(by_rule):
        pieces = by_rule.pop(rule)
        group = pieces[0] if len(pieces) == 1 else pl.concat(pieces, how="vertical_relaxed")
        del pieces
        # Findings equal in the sort keys are told apart by a hash of their JSON: a
        # total, deterministic order without sorting on the long texts themselves.
        out.append(
            group.with_columns(_tie=pl.col("json").hash(seed=0)).sort([*SORT_KEYS, "_tie"]).drop("_tie")
        )
        del group
    return pl.concat(out, how="vertical_relaxed", rechunk=False) if len(out) > 1 else out[0]


def _rule_slices(frame: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
    """``frame``'s rows of each rule: the frame itself for one rule, slices (no
    copy) of a frame sorted by rule, else filtered copies."""
    ids = frame.get_column("rule_id")
    if not frame.height:
        return []
    if ids.n_unique() == 1:
        return [(ids[0], frame)]
    if ids.is_sorted():
        runs = ids.rle()
        out, start = [], 0
        for length, rule in runs.struct.unnest().iter_rows():
            out.append((rule, frame.slice(start, length)))
            start += length
        return out
    return [(rule, frame.filter(pl.col("rule_id") == rule)) for rule in ids.unique().sort()]


def empty_listed() -> pl.DataFrame:
    """A frame of listed findings with no row (the columns and types of a full one)."""
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        c: pl.String for c in (*FRAME_COLUMNS, *_JSON_PARTS)
    }
    schema.update({"observed": pl.Float64, "rows": _ROWS_DTYPE})
    return pl.DataFrame(schema=schema)


#: optional finding keys, appended to the JSON text in this order when set
OPTIONAL_KEYS = ("plugin", "waiver", "baseline")


def message_json() -> pl.Expr:
    """A finding's ``message`` object, from the ``message_zh``/``message_en`` columns."""
    return pl.struct(zh=pl.col("message_zh"), en=pl.col("message_en"))


def with_optional_keys(listed: pl.DataFrame) -> pl.DataFrame:
    """``listed`` with the optional keys (plugin, waiver, baseline) added to its
    findings' JSON where they are set — absent keys are left out, as in report
    contract v1. Most reports set none, and are returned as they are."""
    pieces: list[pl.Expr] = [pl.col("json").str.head(-1)]
    for key in OPTIONAL_KEYS:
        column = "waiver_json" if key == "waiver" else key
        if listed[column].null_count() == listed.height:  # the usual case: not set anywhere
            continue
        if key == "waiver":
            value = pl.col("waiver_json")
            encoded = pl.concat_str([pl.lit('"waiver":'), value])
        else:
            value = pl.col(key)
            encoded = pl.struct(value.alias(key)).struct.json_encode().str.slice(1).str.head(-1)
        pieces.append(
            pl.when(value.is_not_null()).then(pl.concat_str([pl.lit(","), encoded])).otherwise(pl.lit(""))
        )
    if len(pieces) == 1:
        return listed
    pieces.append(pl.lit("}"))
    return listed.with_columns(json=pl.concat_str(pieces))


# --- API-1 findings ------------------------------------------------------------------


def part_from_findings(findings: Sequence[Finding], rule: RuleMeta | None = None) -> Part:
    """A part holding findings made as objects (API-1 validators, reader problems)."""
    first = findings[0]
    meta = rule or RuleMeta(
        rule_id=first.rule_id,
        title=first.title,
        severity=first.severity,
        work_point=first.work_point,
        certainty=first.certainty,
        source=first.source,
    )
    frame = pl.DataFrame(
        {
            "outcome": [f.outcome.value for f in findings],
            "subject_type": [f.subject.type for f in findings],
            "subject_id": [f.subject.id for f in findings],
            "subject_name": pl.Series([f.subject.name for f in findings], dtype=pl.String),
            "observed": _series([f.observed for f in findings]),
            "required_op": pl.Series(
                [f.required.op if f.required else None for f in findings], dtype=pl.String
            ),
            "required_value": _series([f.required.value if f.required else None for f in findings]),
            "message_zh": [f.message.zh for f in findings],
            "message_en": [f.message.en for f in findings],
            "plugin": pl.Series([f.plugin for f in findings], dtype=pl.String),
        }
    ).with_columns(evidence=_evidence_column(findings))
    if any(f.waiver is not None or f.baseline is not None for f in findings):
        frame = frame.with_columns(
            waiver_status=pl.Series(
                [f.waiver.status if f.waiver else None for f in findings], dtype=pl.String
            ),
            waiver_json=pl.Series(
                [f.waiver.model_dump_json() if f.waiver else None for f in findings], dtype=pl.String
            ),
            baseline=pl.Series([f.baseline for f in findings], dtype=pl.String),
        )
    return Part(rule=meta, frame=frame, unit=first.unit)


def parts_from_findings(findings: Sequence[Finding], rule: RuleMeta | None = None) -> list[Part]:
    """Parts for findings made as objects, one per rule and unit."""
    groups: dict[tuple[Any, ...], list[Finding]] = {}
    for f in findings:
        # a column has one type: an int and a text observed go to separate parts
        key = (f.rule_id, f.unit, type(f.observed), type(f.required.value if f.required else None))
        groups.setdefault(key, []).append(f)
    return [part_from_findings(group, rule) for group in groups.values()]


def _evidence_column(findings: Sequence[Finding]) -> pl.Series:
    """The evidence lists of ``findings`` as one list-of-struct column, built from
    flat columns of plain values (polars builds nested values from Python lists
    ~50x slower than flat ones)."""
    entry_of: list[int] = []
    tables: list[str] = []
    column_ids: list[int] = []
    has_rows: list[bool] = []
    files: list[str | None] = []
    sheets: list[str | None] = []
    has_lines: list[bool] = []
    headers: list[list[str] | None] = []
    cells: list[list[str] | None] = []
    row_entry: list[int] = []
    row_values: list[int] = []
    line_entry: list[int] = []
    line_values: list[int] = []
    column_sets: dict[tuple[str, ...], int] = {}
    for i, f in enumerate(findings):
        for e in f.evidence:
            k = len(entry_of)
            entry_of.append(i)
            tables.append(e.table)
            column_ids.append(column_sets.setdefault(tuple(e.columns), len(column_sets)))
            has_rows.append(e.rows is not None)
            if e.rows:
                row_entry.extend([k] * len(e.rows))
                row_values.extend(e.rows)
            files.append(e.file)
            sheets.append(e.sheet)
            has_lines.append(e.lines is not None)
            if e.lines:
                line_entry.extend([k] * len(e.lines))
                line_values.extend(e.lines)
            headers.append(e.headers)
            cells.append(e.cells)

    def lists(entry: list[int], values: list[int], name: str) -> pl.DataFrame:
        return (
            pl.DataFrame({"k": pl.Series(entry, dtype=pl.UInt32), name: pl.Series(values, dtype=pl.Int64)})
            .group_by("k")
            .agg(pl.col(name))
        )

    sets = pl.DataFrame(
        {
            "c": pl.Series(list(column_sets.values()), dtype=pl.UInt32),
            "columns": pl.Series([list(c) for c in column_sets], dtype=pl.List(pl.String)),
        }
    )
    empty = pl.lit([], dtype=_ROWS_DTYPE)
    entries = (
        pl.DataFrame(
            {
                "i": pl.Series(entry_of, dtype=pl.UInt32),
                "table": pl.Series(tables, dtype=pl.String),
                "c": pl.Series(column_ids, dtype=pl.UInt32),
                "has_rows": pl.Series(has_rows, dtype=pl.Boolean),
                "file": pl.Series(files, dtype=pl.String),
                "sheet": pl.Series(sheets, dtype=pl.String),
                "has_lines": pl.Series(has_lines, dtype=pl.Boolean),
                "headers": pl.Series(headers, dtype=pl.List(pl.String)),
                "cells": pl.Series(cells, dtype=pl.List(pl.String)),
            }
        )
        .with_row_index("k")
        .join(lists(row_entry, row_values, "rows"), on="k", how="left", maintain_order="left")
        .join(lists(line_entry, line_values, "lines"), on="k", how="left", maintain_order="left")
        .join(sets, on="c", how="left", maintain_order="left")
        .with_columns(
            rows=pl.when("has_rows").then(pl.col("rows").fill_null(empty)),
            lines=pl.when("has_lines").then(pl.col("lines").fill_null(empty)),
        )
        .group_by("i", maintain_order=True)
        .agg(
            pl.struct("table", "rows", "columns", "file", "sheet", "lines", "headers", "cells").alias(
                "evidence"
            )
        )
    )
    return (
        pl.DataFrame({"i": pl.Series(range(len(findings)), dtype=pl.UInt32)})
        .join(entries, on="i", how="left", maintain_order="left")
        .select(pl.col("evidence").fill_null(pl.lit([], dtype=_EVIDENCE_DTYPE)))
        .to_series()
        .cast(_EVIDENCE_DTYPE)
    )


def _series(values: list[Any]) -> pl.Series:
    values = [v.isoformat() if isinstance(v, dt.date) else v for v in values]
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int}:
        return pl.Series(values, dtype=pl.Int64)
    if kinds <= {int, float}:
        return pl.Series([None if v is None else float(v) for v in values], dtype=pl.Float64)
    if kinds <= {str}:
        return pl.Series(values, dtype=pl.String)
    return pl.Series([None if v is None else str(v) for v in values], dtype=pl.String)
