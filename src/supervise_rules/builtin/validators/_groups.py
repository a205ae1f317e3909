"""Helpers for validators whose findings are about groups of rows (a county and
level, a whole school, the county): error findings listing the rows that stop a
figure from being computed, group subjects and the evidence rows of a group."""

from __future__ import annotations

from collections import defaultdict
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
    records = list(zip(errors["row"].to_list(), errors["error_column"].to_list(),
                       errors["error_kind"].to_list(), strict=True))
    return error_records_findings(ctx, table, records, subject, columns=columns,
                                  required=required, unit=unit)


def error_records_findings(
    ctx: RuleContext,
    table: str,
    records: list[tuple[int, str, str]],
    subject: Subject,
    *,
    columns: list[str],
    required: Required | None = None,
    unit: str | None = None,
) -> list[Finding]:
    """:func:`row_error_findings` for ``(row, error_column, error_kind)`` tuples
    (e.g. one group's share of :func:`errors_by_group`): findings ordered by
    their first row, then column."""
    if not records:
        return []
    by_kind: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row, column, kind in records:
        by_kind[(column, kind)].append(int(row))
    tbl = ctx.table(table)
    out = []
    for (column, kind), rows in sorted(
        ((k, sorted(v)) for k, v in by_kind.items()), key=lambda kv: (kv[1][0], kv[0][0])
    ):
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
            evidence=[Evidence(table=table, rows=rows,
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


def group_keys(frame: nw.DataFrame, keys: list[str]) -> list[tuple[Any, ...]]:
    """The key tuple of every row of an eager frame, in row order."""
    return list(zip(*[frame[k].to_list() for k in keys], strict=True))


def rows_by_group(frame: nw.DataFrame, keys: list[str], row: str = ROW) -> dict[tuple[Any, ...], list[int]]:
    """``key tuple -> sorted rows`` of an eager frame, in one pass (the evidence
    of every group; a null key is a group of its own)."""
    out: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for key, r in zip(group_keys(frame, keys), frame[row].to_list(), strict=True):
        out[key].append(int(r))
    return {k: sorted(v) for k, v in out.items()}


def errors_by_group(
    errors: nw.DataFrame, keys: list[str]
) -> dict[tuple[Any, ...], list[tuple[int, str, str]]]:
    """``key tuple -> [(row, error_column, error_kind), …]`` of an eager frame of
    row errors, in one pass (for :func:`error_records_findings`)."""
    out: dict[tuple[Any, ...], list[tuple[int, str, str]]] = defaultdict(list)
    records = zip(errors["row"].to_list(), errors["error_column"].to_list(),
                  errors["error_kind"].to_list(), strict=True)
    for key, rec in zip(group_keys(errors, keys), records, strict=True):
        out[key].append(rec)
    return dict(out)


def distinct_groups(rows: Any, keys: list[str]) -> list[dict[str, Any]]:
    """The distinct key values of ``rows`` (a lazy frame), sorted, nulls last.

    Computed lazily: an eager ``unique`` needs numpy on the DuckDB backend.
    """
    return [
        {k: rec[k] for k in keys}
        for rec in rows.select(*keys).unique().sort(*keys, nulls_last=True).collect().iter_rows(named=True)
    ]


def group_subject_exprs(ctx: RuleContext, table: str, keys: list[str]) -> tuple[nw.Expr, nw.Expr]:
    """:func:`group_subject` as column expressions over the group keys:
    ``(subject_id, subject_name)``, for result frames with one row per group."""
    spec = TABLES.get(table)
    manifest = ctx.submission.manifest
    ids, names = [], []
    for k in keys:
        text = nw.col(k).cast(nw.String)
        ids.append(text.fill_null("?"))
        name: nw.Expr = text
        if k == "county_code" and manifest.county_code and manifest.county_name:
            name = nw.when(text == manifest.county_code).then(
                nw.lit(manifest.county_name, dtype=nw.String)).otherwise(text)
        elif spec is not None and k in spec.columns and spec.columns[k].labels:
            labels = spec.columns[k].labels
            name = text.replace_strict(list(labels), list(labels.values()), default=text,
                                       return_dtype=nw.String)
        names.append(name.fill_null("?"))
    ident = ids[0] if len(ids) == 1 else nw.concat_str(ids, separator="/")
    label = names[0] if len(names) == 1 else nw.concat_str(names, separator=" ")
    return ident, label
