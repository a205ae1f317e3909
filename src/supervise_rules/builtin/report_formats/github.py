"""``github``: GitHub Actions workflow commands, one annotation per failure
(``::error file=…,line=…,title=…::message``), so a county that keeps its data in a
repository sees each failure on the line of the file it is about.

critical and major failures are ``error``, minor ``warning``, info ``notice``;
errors of a rule are always ``error``. Passes are never annotated. Values are
escaped as the runner expects (``%``, CR, LF; in properties also ``:`` and ``,``),
so a school name cannot end an annotation or start another command.
"""

from __future__ import annotations

import polars as pl

from supervise_rules import RenderOptions, Report, Reporter

from ._common import message_expr, one_line, place_columns, totals_line
from .concise import listed_frame_for

LEVEL = {"critical": "error", "major": "error", "minor": "warning", "info": "notice"}


def _escape_data(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace_all("%", "%25", literal=True)
        .str.replace_all("\r", "%0D", literal=True)
        .str.replace_all("\n", "%0A", literal=True)
    )


def _escape_property(expr: pl.Expr) -> pl.Expr:
    return (
        _escape_data(expr).str.replace_all(":", "%3A", literal=True).str.replace_all(",", "%2C", literal=True)
    )


class GithubReporter(Reporter):
    name = "github"
    summary = "GitHub Actions annotations (::error file=…,line=…::message), one per failure."
    suffix = ".txt"
    human = True

    def render(self, report: Report, options: RenderOptions) -> str:
        frame = listed_frame_for(report, False)
        frame = frame.filter(pl.col("waiver_status").fill_null("") != "active")
        tail = f"::notice title=supervise-rules::{totals_line(report, 'en')}\n"
        if not frame.height:
            return tail
        frame = place_columns(report, frame)
        level = (
            pl.when(pl.col("outcome") == "error")
            .then(pl.lit("error"))
            .otherwise(pl.col("severity").replace_strict(LEVEL, default="error"))
        )
        line = (
            pl.when(pl.col("_line").is_not_null())
            .then(pl.lit(",line=") + pl.col("_line").cast(pl.String))
            .otherwise(pl.lit(""))
        )
        title = pl.concat_str([pl.col("rule_id"), pl.lit(" "), pl.col("severity")])
        text = pl.concat_str(
            [
                pl.lit("::"),
                level,
                pl.lit(" file="),
                _escape_property(one_line(pl.col("_file"))),
                line,
                pl.lit(",title="),
                _escape_property(title),
                pl.lit("::"),
                _escape_data(one_line(message_expr(options.lang))),
            ]
        )
        lines = frame.select(text.alias("l")).to_series()
        return "\n".join(lines) + "\n" + tail
