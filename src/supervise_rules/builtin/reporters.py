"""Built-in reporters, contributed through the ``register_reporters`` hook."""

from __future__ import annotations

import io
from collections import defaultdict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..hookspecs import hookimpl
from ..models import Finding, Outcome, Report
from ..reporters import RenderOptions, Reporter


class JsonReporter(Reporter):
    name = "json"
    summary = "The findings report of findings.md (schema version 1)."
    suffix = ".json"
    human = False

    def render(self, report: Report, options: RenderOptions) -> str:
        return report.to_json()


_OUTCOME_STYLE = {
    "pass": "green",
    "fail": "red",
    "error": "magenta",
    "not_applicable": "dim",
}
_OUTCOME_ZH = {"pass": "通过", "fail": "不通过", "error": "错误", "not_applicable": "不适用"}


def format_value(value: object, unit: str | None) -> str:
    if value is None:
        return "—"
    if unit == "ratio" and isinstance(value, int | float):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


class TableReporter(Reporter):
    name = "table"
    summary = "A terminal view: summary line, failures grouped by rule (rich)."
    suffix = ".txt"

    def render(self, report: Report, options: RenderOptions) -> str:
        buf = io.StringIO()
        console = Console(
            file=buf, force_terminal=options.color, no_color=not options.color,
            width=options.width, highlight=False, legacy_windows=False,
        )
        self.print(report, console, options)
        return buf.getvalue()

    def print(self, report: Report, console: Console, options: RenderOptions) -> None:
        lang = options.lang
        s = report.summary
        sub = report.submission
        head = Text()
        head.append(f"{report.ruleset.title} ({report.ruleset.id} {report.ruleset.version})",
                    style="bold")
        who = " ".join(str(x) for x in (sub.county_name, sub.county_code, sub.year) if x)
        if who:
            head.append(f"  ·  {who}")
        if sub.as_of:
            head.append(f"  ·  as of {sub.as_of.isoformat()}")
        console.print(head)
        line = Text()
        line.append(f"{s.rules_run} rules  ")
        for outcome in ("pass", "fail", "error", "not_applicable"):
            label = _OUTCOME_ZH[outcome] if lang == "zh" else outcome
            line.append(f"{label} {s.by_outcome.get(outcome, 0)}  ", style=_OUTCOME_STYLE[outcome])
        fails = ", ".join(f"{k} {v}" for k, v in s.by_severity.items() if v)
        if fails:
            line.append(f"| failures by severity: {fails}")
        console.print(line)

        shown = [f for f in report.findings
                 if options.show_passes or f.outcome in (Outcome.fail, Outcome.error)]
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for f in shown:
            by_rule[f.rule_id].append(f)
        if not by_rule:
            console.print("No failures." if lang == "en" else "没有不通过的项目。", style="green")
            return
        for rule_id, findings in by_rule.items():
            first = findings[0]
            console.print()
            title = first.title.get(lang)
            console.print(
                Text.assemble((f"{rule_id} ", "bold"), title,
                              (f"  [{first.severity.value}", "dim"),
                              (f" · work point {first.work_point}]" if first.work_point else "]",
                               "dim"))
            )
            table = Table(show_header=True, header_style="bold", box=None, pad_edge=False,
                          expand=False)
            table.add_column("outcome")
            table.add_column("subject")
            table.add_column("observed", justify="right")
            table.add_column("required", justify="right")
            table.add_column("message", overflow="fold")
            for f in findings:
                req = f.required
                required = f"{req.op} {format_value(req.value, f.unit)}" if req else ""
                subject = f.subject.id if not f.subject.name else f"{f.subject.name} ({f.subject.id})"
                table.add_row(
                    Text(f.outcome.value, style=_OUTCOME_STYLE[f.outcome.value]),
                    subject,
                    format_value(f.observed, f.unit),
                    required,
                    f.message.get(lang),
                )
            console.print(table)


@hookimpl(trylast=True)
def register_reporters() -> list[Reporter]:
    return [TableReporter(), JsonReporter()]
