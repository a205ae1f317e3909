"""Helpers for validators whose findings are about groups of rows (a county and
level, a whole school, the county): error findings listing the rows that stop a
figure from being computed, group subjects and the evidence rows of a group."""

from __future__ import annotations

from typing import Any

import narwhals as nw

from ...models import Evidence, Finding, LocalizedText, Outcome, Required, Subject
from ...submission import ROW
from ...tables import TABLES
from ...validators import RuleContext

#: rows listed in an error message before "…"
SHOWN_ROWS = 10


def rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:SHOWN_ROWS])
    return shown + ("…" if len(rows) > SHOWN_ROWS else "")


def row_error_findings(
    ctx: RuleContext,
    table: str,
    errors: nw.DataFrame,
    subject: Subject,
    *,
    columns: list[str],
    required: Required | None = None,
    unit: str | None = None,
) -> list[Finding]:
    """One ``error`` finding per (column, kind) among ``errors`` (an eager frame
    with ``row``, ``error_column`` and ``error_kind``), naming the table, the
    first row and column, and listing every row in the evidence."""
    if errors.is_empty():
        return []
    tbl = ctx.table(table)
    keys = (
        errors.group_by("error_column", "error_kind")
        .agg(nw.col("row").min().alias("first_row"))
        .sort("first_row", "error_column")
    )
    out = []
    for rec in keys.iter_rows(named=True):
        column, kind = rec["error_column"], rec["error_kind"]
        rows = (
            errors.filter((nw.col("error_column") == column) & (nw.col("error_kind") == kind))
            .sort("row")["row"].to_list()
        )
        message = ctx.data_error_message(table, tbl, rows[0], column, kind)
        if len(rows) > 1:
            message = LocalizedText(
                zh=message.zh + f"（共 {len(rows)} 行：{rows_text(rows)}）",
                en=message.en + f" ({len(rows)} rows: {rows_text(rows)})",
            )
        out.append(ctx.finding(
            outcome=Outcome.error,
            subject=subject,
            message=message,
            required=required,
            unit=unit,
            evidence=[Evidence(table=table, rows=[int(r) for r in rows],
                               columns=list(dict.fromkeys([column, *columns])))],
        ))
    return out


def group_subject(
    ctx: RuleContext, table: str, keys: list[str], values: dict[str, Any],
    subject_type: str, name: str | None = None,
) -> Subject:
    """A subject for one group: id = the key values joined by ``/`` (e.g.
    ``640122/primary``); name = the county's name for its own code, enum
    labels in Chinese (小学) for enum keys, or ``name`` when given."""
    ident = "/".join("?" if values.get(k) is None else str(values[k]) for k in keys)
    if name is None:
        spec = TABLES.get(table)
        manifest = ctx.submission.manifest
        parts = []
        for k in keys:
            v = values.get(k)
            if k == "county_code" and v is not None and str(v) == manifest.county_code \
                    and manifest.county_name:
                parts.append(manifest.county_name)
            elif spec is not None and k in spec.columns and v is not None \
                    and str(v) in spec.columns[k].labels:
                parts.append(spec.columns[k].labels[str(v)])
            else:
                parts.append("?" if v is None else str(v))
        name = " ".join(parts)
    return Subject(type=subject_type, id=ident, name=name)  # type: ignore[arg-type]


def key_filter(keys: list[str], values: dict[str, Any]) -> nw.Expr:
    """Rows of the group whose keys equal ``values`` (a null key matches null)."""
    expr: Any = nw.lit(True)
    for k in keys:
        v = values.get(k)
        expr = expr & (nw.col(k).is_null() if v is None else (nw.col(k) == v))
    return expr


def group_rows(frame: nw.DataFrame, keys: list[str], values: dict[str, Any]) -> list[int]:
    """The sorted data rows (``__row__``) of one group of an eager frame."""
    return sorted(int(r) for r in frame.filter(key_filter(keys, values))[ROW].to_list())
