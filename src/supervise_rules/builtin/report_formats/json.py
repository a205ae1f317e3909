"""``json``: the findings report of ``findings.md`` (schema version 1)."""

from __future__ import annotations

from ...models import Report
from ...reporters import RenderOptions, Reporter


class JsonReporter(Reporter):
    name = "json"
    summary = "The findings report of findings.md (schema version 1)."
    suffix = ".json"
    human = False

    def render(self, report: Report, options: RenderOptions) -> bytes:
        return report.to_json_bytes()  # UTF-8 text; bytes spare a copy of a large report
