"""Helpers for validators whose findings are about groups of rows (a county and
level, a whole school): the group's subject as column expressions, the names
under which a result frame carries the group keys, and a group's rows written
out for a message."""

from __future__ import annotations

from typing import Any

import narwhals as nw
import polars as pl

from ...tables import TABLES
from ...validators import RuleContext
from ._support import county_name_frame


def group_subject_exprs(ctx: RuleContext, table: str, keys: list[str]) -> tuple[nw.Expr, nw.Expr]:
    """The subject of a group as column expressions over its keys:
    ``(subject_id, subject_name)``. The id is the key values joined by ``/``
    (``640122/primary``, ``?`` for a missing value); the name puts the county's
    name for the manifest's own code and enum labels in Chinese (小学) for enum
    keys, joined by a space."""
    spec = TABLES.get(table)
    manifest = ctx.submission.manifest
    ids, names = [], []
    for k in keys:
        text = nw.col(k).cast(nw.String)
        ids.append(text.fill_null("?"))
        name: nw.Expr = text
        if k == "county_code" and manifest.is_batch:
            counties = _county_names(ctx)
            if counties:
                name = text.replace_strict(
                    list(counties), list(counties.values()), default=text, return_dtype=nw.String
                )
        elif k == "county_code" and manifest.county_code and manifest.county_name:
            name = (
                nw.when(text == manifest.county_code)
                .then(nw.lit(manifest.county_name, dtype=nw.String))
                .otherwise(text)
            )
        elif spec is not None and k in spec.columns and spec.columns[k].labels:
            labels = spec.columns[k].labels
            name = text.replace_strict(
                list(labels), list(labels.values()), default=text, return_dtype=nw.String
            )
        names.append(name.fill_null("?"))
    ident = ids[0] if len(ids) == 1 else nw.concat_str(ids, separator="/")
    label = names[0] if len(names) == 1 else nw.concat_str(names, separator=" ")
    return ident, label


def group_key_columns(keys: list[str]) -> list[str]:
    """Names under which a result frame carries the raw group keys: fixed names,
    so that a key column can never shadow a result-frame column (``row``,
    ``observed`` …)."""
    return [f"_g{i}" for i in range(len(keys))]


def joined_rows(lf: nw.LazyFrame[Any], keys: list[str], row: str, alias: str) -> nw.LazyFrame[Any]:
    """``keys`` and, in ``alias``, the sorted rows of each group of ``lf`` written
    out as ``1, 2, 5``, for a message that names every row of a group.

    narwhals has no string (or list) aggregation, so this one step is written
    for each backend the engine runs on (polars, DuckDB, Spark); all stay lazy.
    """
    native = nw.to_native(lf)
    if isinstance(native, pl.LazyFrame):
        return nw.from_native(
            native.group_by(keys).agg(pl.col(row).sort().cast(pl.String).str.join(", ").alias(alias))
        )
    if type(native).__name__ == "DuckDBPyRelation":

        def quote(name: str) -> str:
            return '"' + name.replace('"', '""') + '"'

        group = ", ".join(quote(k) for k in keys)
        text = f"string_agg(CAST({quote(row)} AS VARCHAR), ', ' ORDER BY {quote(row)}) AS {quote(alias)}"
        joined: nw.LazyFrame[Any] = nw.from_native(native.aggregate(f"{group}, {text}", group))
        return joined
    if type(native).__name__ == "DataFrame" and type(native).__module__.startswith("pyspark."):
        from pyspark.sql import functions as F

        # sorted as numbers, then written: "2, 10", not "10, 2"
        rows = F.transform(F.array_sort(F.collect_list(F.col(row))), lambda x: x.cast("string"))
        joined = nw.from_native(native.groupBy(*keys).agg(F.concat_ws(", ", rows).alias(alias)))
        return joined
    raise TypeError(f"no string aggregation for a {type(native).__name__} frame")


def _county_names(ctx: RuleContext) -> dict[str, str]:
    """County code -> name from the county table (a batch names its counties
    there). Collected: the county table has one row per county, at most a few
    thousand for the nation, and a name is needed inside an expression."""
    names = county_name_frame(ctx)
    if names is None:
        return {}
    rows = names.collect()
    return dict(zip(rows["_code"].to_list(), rows["subject_name"].to_list(), strict=True))
