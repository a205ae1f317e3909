"""``concise``: one line per finding, ``FILE:SHEET!CELL: RULE-ID [severity] message``
(``FILE:LINE:`` for a text file), for grep and for editors that jump to a
``file:line:`` (like ``ruff --output-format concise``).

Every failure and error is listed (every listed finding with ``--include-passes``):
a line format is for grep, so ``--max-per-rule`` does not cut it. Lines are made
column by column in the store's frame, never one Python call per finding.
"""

from __future__ import annotations

from typing import BinaryIO

import polars as pl

from supervise_rules import RenderOptions, Report, Reporter

from ._common import message_expr, one_line, place_columns, statistics_text, totals_line


class ConciseReporter(Reporter):
    name = "concise"
    summary = "One line per finding: FILE:SHEET!CELL: RULE-ID [severity] message (grep, editors)."
    suffix = ".txt"

    def render(self, report: Report, options: RenderOptions) -> str:
        if options.view == "quiet":
            return totals_line(report, options.lang) + "\n"
        if options.view == "statistics":
            return statistics_text(report, options.lang)
        lines = concise_lines(report, options)
        body = "\n".join(lines) + "\n" if len(lines) else ""
        return body + totals_line(report, options.lang) + "\n"

    def write(self, report: Report, options: RenderOptions, out: BinaryIO) -> None:
        out.write(self.render(report, options).encode("utf-8"))


def listed_frame_for(report: Report, show_passes: bool) -> pl.DataFrame:
    from supervise_rules.store import with_optional_keys

    frame = report.store.listed(show_passes)
    if not show_passes:
        frame = frame.filter(pl.col("outcome").is_in(["fail", "error"]))
    return with_optional_keys(frame) if frame.height else frame


def concise_lines(report: Report, options: RenderOptions) -> pl.Series:
    frame = listed_frame_for(report, options.show_passes)
    if not frame.height:
        return pl.Series([], dtype=pl.String)
    frame = place_columns(report, frame)
    line = pl.col("_line").cast(pl.String)
    where = (
        pl.when(pl.col("_sheet").is_not_null() & pl.col("_cell").is_not_null())
        .then(pl.concat_str([pl.col("_file"), pl.lit(":"), pl.col("_sheet"), pl.lit("!"), pl.col("_cell")]))
        .when(pl.col("_sheet").is_not_null() & line.is_not_null())
        .then(pl.concat_str([pl.col("_file"), pl.lit(":"), pl.col("_sheet"), pl.lit(":"), line]))
        .when(line.is_not_null())
        .then(pl.concat_str([pl.col("_file"), pl.lit(":"), line]))
        .otherwise(pl.col("_file"))
    )
    status = (
        pl.when(pl.col("waiver_status") == "active")
        .then(pl.lit(" waived"))
        .when(pl.col("outcome").is_in(["fail", "error"]).not_())
        .then(pl.lit(" ") + pl.col("outcome"))
        .when(pl.col("outcome") == "error")
        .then(pl.lit(" error"))
        .otherwise(pl.lit(""))
    )
    text = pl.concat_str(
        [
            one_line(where),
            pl.lit(": "),
            pl.col("rule_id"),
            pl.lit(" ["),
            pl.col("severity"),
            status,
            pl.lit("] "),
            one_line(message_expr(options.lang)),
        ]
    )
    return frame.select(text.alias("line")).to_series()
