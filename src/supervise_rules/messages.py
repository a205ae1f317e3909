"""Message templates: parsed once, rendered for a whole column of findings at a time.

A rule's ``message`` is a restricted ``str.format`` template (``{observed:.2%}``,
``{subject_name}``, ``{verdict}`` …). Only plain names are allowed: attribute
access, indexing and conversions (``{x.__class__}``, ``{x[0]}``, ``{x!r}``) are
rejected, so a ruleset cannot reach into Python objects through its messages.

Rendering is column-wise: literal parts are polars literals, and a placeholder
with a format spec is formatted once per *distinct* value with Python's own
``format`` and mapped back onto the column. That keeps every rendered text
byte-identical to ``format(value, spec)`` (including rounding at ties, where
polars' decimal rounding and Python's exact-binary rounding differ) while the
work grows with the number of distinct values, not with the number of findings.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from typing import Any

import polars as pl

#: The text shown for a placeholder whose value is missing.
MISSING = "—"

#: Placeholders every template may use, whatever the validator.
STANDARD_PLACEHOLDERS = frozenset(
    {"observed", "required", "unit", "subject_id", "subject_name", "subject", "verdict", "op_text"}
)


#: ``{op_text}`` of a comparison, (zh, en)
OP_TEXT = {
    ">=": ("不低于", "at least"),
    ">": ("高于", "above"),
    "<=": ("不高于", "at most"),
    "<": ("低于", "below"),
    "==": ("等于", "equal to"),
    "!=": ("不等于", "not equal to"),
    "in": ("属于", "one of"),
    "exists": ("存在", "present"),
    "within_days": ("在规定天数内", "within the days allowed"),
}
#: ``{verdict}`` of an outcome, (zh, en); other outcomes render as "" (a template renders
#: ``not_applicable`` only for a duty whose time has not come: a term not yet due)
VERDICT = {
    "pass": ("达标", "meets the requirement"),
    "fail": ("未达标", "does not meet the requirement"),
    "not_applicable": ("尚未到期", "not due yet"),
}


class Template:
    """A message template parsed once: literal text and ``{name:spec}`` fields."""

    def __init__(self, template: str):
        self.template = template
        self.parts: list[tuple[str, str | None, str]] = []
        for literal, name, spec, conversion in string.Formatter().parse(template):
            if name is not None:
                if conversion:
                    raise ValueError("conversions such as !r are not allowed in messages")
                if not name.isidentifier() or name.startswith("_"):
                    raise ValueError(f"placeholder {{{name}}} is not allowed")
                if "{" in (spec or ""):
                    raise ValueError(f"nested placeholders in {{{name}:{spec}}} are not allowed")
            self.parts.append((literal, name, spec or ""))

    @property
    def names(self) -> list[str]:
        return [name for _, name, _ in self.parts if name is not None]

    def render(self, values: Mapping[str, Any]) -> str:
        """One message from scalar values (a missing name raises ``KeyError``)."""
        out = []
        for literal, name, spec in self.parts:
            out.append(literal)
            if name is None:
                continue
            value = values[name]
            out.append(MISSING if value is None else format_value(value, spec))
        return "".join(out)

    def render_column(
        self,
        columns: Mapping[str, pl.Series | Any],
        height: int,
        formatted: dict[tuple[str, str], pl.Series] | None = None,
        shared: frozenset[str] = frozenset(),
    ) -> pl.Series:
        """The messages of ``height`` findings; ``columns`` maps each placeholder
        to a series of that height or to one scalar shared by every row. A name
        that is not given renders every row as the template with an error note,
        the same text :func:`render_message` gives, so a bad template never
        aborts a run. ``formatted`` caches formatted columns between the
        templates of one set of findings (the Chinese and English messages
        format the same values); names in ``shared`` differ per template and
        are not cached."""
        missing = [n for n in self.names if n not in columns]
        if missing:
            text = f"{self.template} [message template error: {missing[0]!r}]"
            return pl.Series([text] * height, dtype=pl.String)
        pieces: list[pl.Series] = []
        for literal, name, spec in self.parts:
            if literal:
                pieces.append(pl.Series([literal], dtype=pl.String))
            if name is None:
                continue
            value = columns[name]
            if isinstance(value, pl.Series):
                key = (name, spec)
                if formatted is None or name in shared:
                    pieces.append(format_series(value, spec))
                    continue
                if key not in formatted:
                    formatted[key] = format_series(value, spec)
                pieces.append(formatted[key])
            else:
                text = MISSING if value is None else format_value(value, spec)
                pieces.append(pl.Series([text], dtype=pl.String))
        if not pieces:
            return pl.Series([""] * height, dtype=pl.String)
        frame = pl.DataFrame({f"p{i}": p for i, p in enumerate(pieces) if len(p) == height})
        scalars = {f"p{i}": p[0] for i, p in enumerate(pieces) if len(p) != height}
        exprs = [
            pl.col(f"p{i}") if f"p{i}" not in scalars else pl.lit(scalars[f"p{i}"])
            for i in range(len(pieces))
        ]
        if frame.width == 0:
            frame = pl.DataFrame({"_": pl.Series([None] * height, dtype=pl.Null)})
        return frame.select(pl.concat_str(exprs).alias("message")).to_series()


def format_value(value: Any, spec: str) -> str:
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def format_series(series: pl.Series, spec: str) -> pl.Series:
    """``format(value, spec)`` of every value, computed once per distinct value;
    nulls become :data:`MISSING`."""
    if series.dtype == pl.String and not spec:
        return series.fill_null(MISSING)
    if series.dtype == pl.Null:
        return pl.Series([MISSING] * len(series), dtype=pl.String)
    distinct = series.drop_nulls().unique(maintain_order=True)
    texts = pl.Series([format_value(v, spec) for v in distinct.to_list()], dtype=pl.String)
    if len(distinct) == 0:
        return pl.Series([MISSING] * len(series), dtype=pl.String)
    return series.replace_strict(distinct, texts, default=None, return_dtype=pl.String).fill_null(MISSING)


@functools.lru_cache(maxsize=4096)
def parse_template(template: str) -> Template:
    return Template(template)


def render_message(template: str, values: Mapping[str, Any]) -> str:
    """Render one message; a bad placeholder never crashes a run."""
    try:
        return parse_template(template).render(values)
    except (KeyError, ValueError, IndexError) as exc:
        return f"{template} [message template error: {exc}]"
