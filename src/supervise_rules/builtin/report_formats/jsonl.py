"""``jsonl``: one finding per line, no envelope.

Each line is the finding object of the JSON report, key for key, so a line can
be streamed into a database or ``jq`` without reading the whole document. Like
``json``, passes are listed only with ``--include-passes``.
"""

from __future__ import annotations

from typing import BinaryIO

import polars as pl

from supervise_rules import RenderOptions, Report, Reporter


class JsonlReporter(Reporter):
    name = "jsonl"
    summary = "One finding per line (the JSON report's finding objects), no envelope."
    suffix = ".jsonl"
    human = False

    def render(self, report: Report, options: RenderOptions) -> bytes:
        import io

        out = io.BytesIO()
        self.write(report, options, out)
        return out.getvalue()

    def write(self, report: Report, options: RenderOptions, out: BinaryIO) -> None:
        # a rule at a time (see FindingStore.json_groups): never the whole text at once
        for lines in report.store.json_groups(options.show_passes):
            pl.DataFrame({"line": lines}).write_csv(out, include_header=False, quote_style="never")
