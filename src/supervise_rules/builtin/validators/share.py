"""``row_share``: the share of rows that meet a per-row condition, against a target
(e.g. the share of kindergarten classes within the class-size limit)."""

from __future__ import annotations

import narwhals as nw
from pydantic import Field

from ...models import Evidence, Finding, LocalizedText, Outcome, Required
from ...tables import TABLES
from ...validators import RuleContext, Validator
from ._common import Comparison, compare_scalar
from ._groups import row_error_findings
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


class RowShareValidator(Validator):
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
    summary = "Share of rows meeting a per-row condition, against a target share."
    Params = RowShareParams

    def check(self, ctx: RuleContext) -> list[Finding]:
        p: RowShareParams = ctx.params  # type: ignore[assignment]
        evaluated = evaluate_rows(ctx, p)
        if not isinstance(evaluated, RowResult):
            return evaluated
        frame = evaluated.frame
        required = Required(op=p.share_op, value=p.share_threshold)
        subject = ctx.county_subject()
        errors = (
            frame.filter(nw.col("outcome") == "error").select("row", "error_column", "error_kind").collect()
        )
        if not errors.is_empty():
            return row_error_findings(
                ctx, p.table, errors, subject, columns=evaluated.columns, required=required, unit=p.unit
            )
        counts = frame.select(
            rows=nw.len(),
            met=(nw.col("outcome") == "pass").cast(nw.Int64).sum(),
        ).collect()
        n, met = int(counts.item(0, "rows")), int(counts.item(0, "met") or 0)
        if n == 0:
            spec = TABLES.get(p.table)
            zh_table = spec.zh if spec else p.table
            return [
                ctx.finding(
                    outcome=Outcome.error,
                    subject=subject,
                    required=required,
                    unit=p.unit,
                    evidence=[Evidence(table=p.table, rows=None, columns=evaluated.columns)],
                    message=LocalizedText(
                        zh=f"「{zh_table}」表没有应检查的行，比例的分母为 0，无法计算本指标",
                        en=f"table {p.table} has no row in scope; the share has a zero "
                        "denominator and cannot be computed",
                    ),
                )
            ]
        failing = frame.filter(nw.col("outcome") == "fail").select("row").sort("row").collect()
        share = met / n
        outcome = Outcome.passed if compare_scalar(share, p.share_op, p.share_threshold) else Outcome.fail
        return [
            ctx.finding(
                outcome=outcome,
                subject=subject,
                observed=share,
                required=required,
                unit=p.unit,
                evidence=[
                    Evidence(
                        table=p.table,
                        rows=[int(r) for r in failing["row"].to_list()],
                        columns=evaluated.columns,
                    )
                ],
                values={"met": met, "rows": n},
            )
        ]
