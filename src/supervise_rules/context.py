"""What the director's report shows beyond the findings: where each subject is
(its township) and how many students it has, and the shape of each rule.

The findings say that a school section's sports area is 6.80 m² per student;
the per-township roll-up needs the section's township and the coefficient of
variation chart needs its enrollment (the weight of the coefficient) and which
indicator a coefficient is computed over. :func:`report_context` takes these
from the submission and the ruleset at the end of a check, as one small polars
frame (one row per subject of a table that has a ``township`` column) and a
dict of rule shapes. It is not part of the JSON report: a report read back from
JSON has no context, and the charts that need it say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

#: tables whose rows are subjects with a township (the contract's)
_PLACED = ("schools", "kindergartens")


@dataclass(frozen=True)
class RuleShape:
    """A rule's validator and the expressions the charts read."""

    validator: str
    table: str | None = None
    value: str | None = None
    weight: str | None = None


@dataclass(frozen=True)
class ReportContext:
    #: ``subject_id``, ``root_id`` (the school's id without the level), ``township``,
    #: ``students`` (null where the table has none)
    subjects: pl.DataFrame
    rules: dict[str, RuleShape] = field(default_factory=dict)

    def townships(self) -> pl.DataFrame:
        """``subject_id`` → ``township`` for sections and for whole schools (root ids)."""
        by_section = self.subjects.select("subject_id", "township")
        by_root = self.subjects.select(pl.col("root_id").alias("subject_id"), "township")
        return pl.concat([by_section, by_root]).unique("subject_id", keep="first", maintain_order=True)


def report_context(submission: Any, ruleset: Any) -> ReportContext:
    from .submission import ROW
    from .tables import subject_id_columns

    frames = []
    for name in _PLACED:
        table = submission.tables.get(name)
        if table is None:
            continue
        frame = table.frame
        if not isinstance(frame, pl.DataFrame):
            import narwhals as nw

            # another engine's table: only the columns used here come into polars
            native = nw.from_native(frame)
            wanted = [
                c for c in (*subject_id_columns(name), "township", "students", ROW) if c in native.columns
            ]
            native = native.select(wanted)
            collected = native.collect() if isinstance(native, nw.LazyFrame) else native
            # in the order of the rows as submitted (an engine's order is its own)
            frame = collected.to_polars()
            frame = frame.sort(ROW) if ROW in frame.columns else frame
        keys = [c for c in subject_id_columns(name) if c in frame.columns]
        if not keys or "township" not in frame.columns:
            continue
        students = (
            pl.col("students").cast(pl.Float64, strict=False)
            if "students" in frame.columns
            else pl.lit(None, dtype=pl.Float64)
        )
        frames.append(
            frame.select(
                subject_id=pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator="/"),
                root_id=pl.col(keys[0]).cast(pl.String),
                township=pl.col("township").cast(pl.String),
                students=students,
            )
        )
    subjects = (
        pl.concat(frames)
        if frames
        else pl.DataFrame(
            schema={
                "subject_id": pl.String,
                "root_id": pl.String,
                "township": pl.String,
                "students": pl.Float64,
            }
        )
    )
    rules = {}
    for resolved in ruleset.rules:
        params = resolved.params
        value = getattr(params, "value", None)
        weight = getattr(params, "weight", None)
        rules[resolved.rule.id] = RuleShape(
            validator=resolved.rule.validator,
            table=getattr(params, "table", None),
            value=value if isinstance(value, str) else None,
            weight=weight if isinstance(weight, str) else None,
        )
    return ReportContext(subjects=subjects, rules=rules)


__all__ = ["ReportContext", "RuleShape", "report_context"]
