"""``json``: the findings report (report contract v2, docs/formats.md)."""

from __future__ import annotations

from typing import BinaryIO

from supervise_rules import RenderOptions, Report, Reporter


class JsonReporter(Reporter):
    name = "json"
    summary = "The findings report (contract v2): summary, rules, findings that are not passes."
    suffix = ".json"
    human = False

    def render(self, report: Report, options: RenderOptions) -> bytes:
        return report.to_json_bytes(include_passes=options.show_passes)

    def write(self, report: Report, options: RenderOptions, out: BinaryIO) -> None:
        # streamed by polars from the findings store into the file
        report.write_json(out, include_passes=options.show_passes)
