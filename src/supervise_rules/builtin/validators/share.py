"""``row_share``: the share of rows that meet a per-row condition, against a target
(e.g. the share of kindergarten classes within the class-size limit)."""

from __future__ import annotations

from typing import Any

import narwhals as nw
from pydantic import Field

from supervise_rules import (
    ROW,
    Evidence,
    EvidenceSpec,
    LocalizedText,
    Rows,
    RuleContext,
    RuleResult,
    Validator,
)
from supervise_rules.helpers import Comparison, compare, county_names, error_results, with_county
from supervise_rules.tables import TABLES

from .metric import MetricParams, RowResult, evaluate_rows


class RowShareParams(MetricParams):
    """The row condition exactly as in ``metric`` (``table``, ``value``, ``op``,
    ``threshold``, ``label``, ``also``, ``where``, ``columns``), plus the target
    for the share of rows that meet it. ``unit`` is the unit of the share."""

    share_op: Comparison = Field(default=">=", description="Comparison of the share with `share_threshold`.")
    share_threshold: float = Field(
        ge=0, le=1, description="The required share of rows in scope that meet the condition (0..1)."
    )
    unit: str | None = Field(default="ratio", description="Unit of the observed value shown in findings.")


class RowShareValidator(Validator[RowShareParams]):
    """The share of rows meeting a per-row condition, compared with a target share.

    What it checks
        Evaluates the per-row condition of ``metric`` (same parameters) on every
        row of ``table`` in scope, then compares the share of rows that meet it,
        (rows met) / (rows in scope), with ``share_threshold`` using
        ``share_op``. One finding, for the county; its evidence lists the rows
        that do not meet the condition.

    Parameters
        ``table``, ``value``, ``op``, ``threshold``, ``label``, ``also``,
        ``where``, ``columns`` (the row condition, as in ``metric``), and
        ``share_op``, ``share_threshold``, ``unit``. A missing value or zero
        denominator in any row in scope gives ``error`` findings naming the
        table, rows and column (the share cannot be computed); no row in scope
        is an ``error`` too (0 / 0). Message placeholders: ``{met}`` (rows
        meeting the condition), ``{rows}`` (rows in scope).

    Example
        PRE-06: ``table: kindergarten_classes``, ``value: children``,
        ``op: "<="``, ``threshold: {by: grade, values: {small: 25, middle: 30,
        large: 35, mixed: 30}}``, ``share_op: ">="``, ``share_threshold: 0.85``:
        440 of 498 classes within the limit = 88.35 % → pass.
    """

    name = "row_share"
    summary = LocalizedText(
        zh="满足逐行条件的行所占比例，与目标比例比较。",
        en="Share of rows meeting a per-row condition, against a target share.",
    )
    Params = RowShareParams
    message_values = ("met", "rows")

    def check(self, ctx: RuleContext[RowShareParams]) -> list[RuleResult]:
        p = ctx.params
        evaluated = evaluate_rows(ctx, p)
        if not isinstance(evaluated, RowResult):
            return evaluated
        frame = evaluated.frame
        columns = evaluated.columns
        county = ctx.county_subject()
        share: dict[str, Any] = dict(
            table=p.table, subject_type=county.type, op=p.share_op, threshold=p.share_threshold, unit=p.unit
        )
        # a row's error names a column, or a denominator's text
        denominators = [
            text
            for c in p.conditions()
            for e in (c.value, c.threshold)
            if isinstance(e, str)
            for _, text in ctx.compile(e, p.table).denominators
        ]
        # a batch of counties: one share per county, rows placed by their own
        # county_code or their kindergarten's / school's
        whole = ctx.frame(p.table)
        placed = (
            with_county(ctx, p.table, whole)
            if whole is not None and ctx.submission.manifest.is_batch
            else None
        )
        if placed is not None:
            share["subject_type"] = "county"
            frame = frame.join(
                placed.select(nw.col(ROW).alias("row"), nw.col("_county")), on="row", how="left"
            ).with_columns(subject_id=nw.col("_county").fill_null("?"))
            errors = county_names(
                ctx,
                frame.filter(nw.col("outcome") == "error").select(
                    "row", "error_column", "error_kind", "subject_id"
                ),
            )
            results = error_results(
                ctx,
                errors,
                p.table,
                [*columns, *denominators],
                columns=columns,
                subject_type="county",
                op=p.share_op,
                threshold=p.share_threshold,
                unit=p.unit,
                row="row",
            )
        else:
            results = error_results(
                ctx,
                frame.filter(nw.col("outcome") == "error").select("row", "error_column", "error_kind"),
                p.table,
                [*columns, *denominators],
                subject=county,
                columns=columns,
                op=p.share_op,
                threshold=p.share_threshold,
                unit=p.unit,
                row="row",
            )

        outcome = nw.col("outcome")
        aggregates = [
            nw.len().cast(nw.Int64).alias("rows"),
            (outcome == "pass").cast(nw.Int64).sum().fill_null(0).alias("met"),
            (outcome == "fail").cast(nw.Int64).sum().fill_null(0).alias("failed"),
            (outcome == "error").cast(nw.Int64).sum().fill_null(0).alias("errors"),
        ]
        if placed is not None:
            counts = county_names(ctx, frame.group_by("subject_id").agg(*aggregates)).filter(
                nw.col("errors") == 0
            )
        else:
            counts = (
                frame.select(*aggregates)
                .filter(nw.col("errors") == 0)
                .with_columns(
                    subject_id=nw.lit(county.id, dtype=nw.String),
                    subject_name=nw.lit(county.name, dtype=nw.String),
                )
            )
        spec = TABLES.get(p.table)
        zh_table = spec.zh if spec else p.table
        results.append(
            RuleResult(
                frame=counts.filter(nw.col("rows") == 0).with_columns(
                    outcome=nw.lit("error", dtype=nw.String),
                    message_zh=nw.lit(
                        f"「{zh_table}」表没有应检查的行，比例的分母为 0，无法计算本指标", dtype=nw.String
                    ),
                    message_en=nw.lit(
                        f"table {p.table} has no row in scope; the share has a zero "
                        "denominator and cannot be computed",
                        dtype=nw.String,
                    ),
                ),
                evidence=[EvidenceSpec(p.table, columns, None)],
                **share,
            )
        )
        scored = (
            counts.filter(nw.col("rows") > 0)
            .with_columns(observed=nw.col("met") / nw.col("rows"))
            .with_columns(
                outcome=nw.when(compare(nw.col("observed"), p.share_op, nw.lit(p.share_threshold)))
                .then(nw.lit("pass"))
                .otherwise(nw.lit("fail")),
            )
        )
        failing = frame.filter(outcome == "fail").select(
            "row",
            subject_id=nw.col("subject_id") if placed is not None else nw.lit(county.id, dtype=nw.String),
        )
        results.append(
            RuleResult(
                frame=scored.filter(nw.col("failed") > 0),
                values=self.message_values,
                evidence=[EvidenceSpec(p.table, columns, Rows(failing, row="row"))],
                **share,
            )
        )
        # no row fails: the evidence lists no rows (an empty list, not a whole table)
        results.append(
            RuleResult(
                frame=scored.filter(nw.col("failed") == 0),
                values=self.message_values,
                evidence=[],
                extra_evidence=[Evidence(table=p.table, rows=[], columns=columns)],
                **share,
            )
        )
        return results
