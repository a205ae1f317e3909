"""``table``: the terminal view (rich): a summary, then failures grouped by rule."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ...models import Finding, Outcome, Report
from ...reporters import RenderOptions, Reporter
from ._common import (
    colon,
    counts,
    group_by_rule,
    label,
    required_text,
    status,
    status_text,
    subject_text,
    waiver_text,
    with_unit,
    work_point_title,
)

STATUS_STYLE = {
    "pass": "green",
    "fail": "red",
    "error": "magenta",
    "not_applicable": "dim",
    "waived": "yellow",
}
BASELINE_STYLE = {"new": "bold red", "persisting": "red", "fixed": "green"}


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
        _print_head(report, console, lang)

        shown = [f for f in report.findings
                 if options.show_passes or f.outcome in (Outcome.fail, Outcome.error)]
        if not shown:
            console.print(label("no_failures", lang), style="green")
        for rule_id, findings in group_by_rule(shown):
            _print_rule(rule_id, findings, console, lang)
        _print_fixed(report, console, lang)
        _print_unused_waivers(report, console, lang)


def _print_head(report: Report, console: Console, lang: str) -> None:
    sub = report.submission
    head = Text()
    head.append(f"{report.ruleset.title} ({report.ruleset.id} {report.ruleset.version})",
                style="bold")
    who = " ".join(str(x) for x in (sub.county_name, sub.county_code, sub.year) if x)
    if who:
        head.append(f"  ·  {who}")
    if sub.as_of:
        head.append(f"  ·  {label('as_of', lang)} {sub.as_of.isoformat()}")
    console.print(head)

    c = counts(report)
    line = Text()
    line.append(f"{label('rules_run', lang)} {c.rules_run}  ")
    for key, n in c.by_status.items():
        if key == "waived" and not n:
            continue
        line.append(f"{label(key, lang)} {n}  ", style=STATUS_STYLE[key])
    fails = ", ".join(f"{label(k, lang)} {v}" for k, v in c.by_severity.items() if v)
    if fails:
        line.append(f"| {label('failures_by_severity', lang)}{colon(lang)}{fails}")
    console.print(line)
    if c.baseline is not None:
        base = Text(f"{label('baseline_diff', lang)}{colon(lang)}")
        for key, n in c.baseline.items():
            base.append(f"{label(key, lang)} {n}  ", style=BASELINE_STYLE[key])
        console.print(base)


def _print_rule(rule_id: str, findings: list[Finding], console: Console, lang: str) -> None:
    first = findings[0]
    console.print()
    where = f" · {work_point_title(first.work_point, lang)}" if first.work_point else ""
    console.print(Text.assemble(
        (f"{rule_id} ", "bold"), first.title.get(lang),
        (f"  [{label(first.severity.value, lang)}{where}]", "dim"),
    ))
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=False)
    table.add_column(label("outcome", lang))
    table.add_column(label("subject", lang))
    table.add_column(label("observed", lang), justify="right")
    table.add_column(label("required", lang), justify="right")
    table.add_column(label("message", lang), overflow="fold")
    for f in findings:
        outcome = Text(status_text(f, lang), style=STATUS_STYLE[status(f)])
        if f.baseline:
            outcome.append(f" [{label(f.baseline, lang)}]", style=BASELINE_STYLE[f.baseline])
        message = Text(f.message.get(lang))
        if f.waiver is not None:
            message.append(f"\n{waiver_text(f, lang)}", style="yellow")
        table.add_row(outcome, subject_text(f), with_unit(f.observed, f.unit, lang),
                      required_text(f, lang), message)
    console.print(table)


def _print_fixed(report: Report, console: Console, lang: str) -> None:
    if report.baseline is None or not report.baseline.fixed_findings:
        return
    console.print()
    console.print(Text(label("fixed_since", lang), style="bold green"))
    for fx in report.baseline.fixed_findings:
        subject = f"{fx.subject.name} ({fx.subject.id})" if fx.subject.name else fx.subject.id
        title = f" {fx.title.get(lang)}" if fx.title else ""
        now = f"  [{label('now', lang)}{colon(lang)}{label(fx.now, lang)}]" if fx.now else ""
        console.print(Text.assemble((fx.rule_id, "bold"), title, f"  {subject}", (now, "dim")))


def _print_unused_waivers(report: Report, console: Console, lang: str) -> None:
    if not report.waivers_unused:
        return
    console.print()
    console.print(Text(label("waivers_unused", lang), style="bold yellow"))
    for w in report.waivers_unused:
        why = label("why_no_finding" if w.why == "no_finding" else "why_not_failing", lang)
        where = f" ({w.where})" if w.where else ""
        console.print(f"{w.rule} {w.subject}{colon(lang)}{why}{where}")
