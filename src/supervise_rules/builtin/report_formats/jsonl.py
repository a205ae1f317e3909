"""``jsonl``: one finding per line, no envelope.

Each line is the finding object of the JSON report, key for key, so a line can
be streamed into a database or ``jq`` without reading the whole document.
"""

from __future__ import annotations

import json

from ...models import Report
from ...reporters import RenderOptions, Reporter


class JsonlReporter(Reporter):
    name = "jsonl"
    summary = "One finding per line (the JSON report's finding objects), no envelope."
    suffix = ".jsonl"
    human = False

    def render(self, report: Report, options: RenderOptions) -> str:
        return "".join(
            json.dumps(f.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) + "\n"
            for f in report.findings
        )
