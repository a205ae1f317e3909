"""``markdown``: a report to paste into an issue, a wiki or a document.

Summary first, then the failures grouped by work point and rule (a table per
rule), the baseline comparison, unused waivers and an overview of all rules.
Passing findings are listed per rule only with ``--show-passes``.
"""

from __future__ import annotations

import re
from collections import Counter

from ...models import Finding, Outcome, Report
from ...reporters import RenderOptions, Reporter
from ._common import (
    colon,
    comma,
    counts,
    failing,
    group_by_rule,
    group_by_work_point,
    label,
    location_text,
    required_text,
    rules_of,
    status,
    status_text,
    subject_text,
    submission_line,
    waiver_fields_text,
    waiver_text,
    with_unit,
    work_point_title,
)

_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell: no pipes, emphasis, code spans,
    line breaks or HTML of its own."""
    text = str(text).replace("\\", "\\\\")
    for char in "|*`<>":
        text = text.replace(char, "\\" + char)
    text = _ENTITY.sub(r"\\&", text)
    return text.replace("\r\n", "<br>").replace("\n", "<br>").replace("\r", "<br>")


def _row(cells: list[object]) -> str:
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    return [_row(header), "|" + "|".join(" --- " for _ in header) + "|", *(_row(r) for r in rows)]


class MarkdownReporter(Reporter):
    name = "markdown"
    summary = "Markdown: summary, failures by work point and rule, all rules."
    suffix = ".md"

    def render(self, report: Report, options: RenderOptions) -> str:
        lang = options.lang
        out: list[str] = []
        out += _head(report, lang)
        out += _summary(report, lang)
        out += _failures(report, lang)
        out += _fixed(report, lang)
        out += _unused(report, lang)
        out += _all_rules(report, lang, options.show_passes)
        return "\n".join(out).rstrip("\n") + "\n"


def _head(report: Report, lang: str) -> list[str]:
    r = report.ruleset
    return [
        f"# {cell(r.title)} — {label('report', lang)}",
        "",
        f"- {label('ruleset', lang)}{colon(lang)}{cell(r.id)} {cell(r.version)}",
        f"- {label('submission_of', lang)}{colon(lang)}{cell(submission_line(report, lang))}",
        f"- {label('tool', lang)}{colon(lang)}{cell(report.tool.name)} {cell(report.tool.version)}",
        "",
    ]


def _summary(report: Report, lang: str) -> list[str]:
    c = counts(report)
    header = [label("rules_run", lang), *(label(k, lang) for k in c.by_status)]
    out = [f"## {label('summary', lang)}", ""]
    out += _table(header, [[c.rules_run, *c.by_status.values()]])
    out += ["", f"{label('failures_by_severity', lang)}{colon(lang)}"
            + comma(lang).join(f"{label(k, lang)} {v}" for k, v in c.by_severity.items()), ""]
    if c.baseline is not None:
        source = f" ({cell(report.baseline.source)})" if report.baseline and report.baseline.source else ""
        out += [f"{label('baseline_diff', lang)}{source}{colon(lang)}"
                + comma(lang).join(f"{label(k, lang)} {v}" for k, v in c.baseline.items()), ""]
    return out


def _failures(report: Report, lang: str) -> list[str]:
    out = [f"## {label('failures_by_work_point', lang)}", ""]
    shown = failing(report.findings)
    if not shown:
        return [*out, label("no_failures", lang), ""]
    for wp, findings in group_by_work_point(shown):
        out += [f"### {work_point_title(wp, lang)}", ""]
        for rule_id, group in group_by_rule(findings):
            out += _rule_section(rule_id, group, lang)
    return out


def _rule_section(rule_id: str, findings: list[Finding], lang: str) -> list[str]:
    first = findings[0]
    out = [f"#### {cell(rule_id)} {cell(first.title.get(lang))} · {label(first.severity.value, lang)}",
           ""]
    if first.source:
        out += [f"{label('source', lang)}{colon(lang)}{cell(first.source)}", ""]
    header = [label(k, lang) for k in ("outcome", "subject", "observed", "required", "message",
                                       "location")]
    rows = []
    for f in findings:
        outcome = status_text(f, lang)
        if f.baseline:
            outcome += f" [{label(f.baseline, lang)}]"
        message = f.message.get(lang)
        if f.waiver is not None:
            message += f"\n{waiver_text(f, lang)}"
        rows.append([outcome, subject_text(f), with_unit(f.observed, f.unit, lang),
                     required_text(f, lang), message, location_text(f, lang)])
    return [*out, *_table(header, rows), ""]


def _fixed(report: Report, lang: str) -> list[str]:
    if report.baseline is None or not report.baseline.fixed_findings:
        return []
    header = [label("rule_id", lang), label("rule_title", lang), label("subject", lang),
              label("now", lang)]
    rows = []
    for fx in report.baseline.fixed_findings:
        subject = f"{fx.subject.name} ({fx.subject.id})" if fx.subject.name else fx.subject.id
        rows.append([fx.rule_id, fx.title.get(lang) if fx.title else "", subject,
                     label(fx.now, lang) if fx.now else "—"])
    return [f"## {label('fixed_since', lang)}", "", *_table(header, rows), ""]


def _unused(report: Report, lang: str) -> list[str]:
    if not report.waivers_unused:
        return []
    header = [label("rule_id", lang), label("subject", lang), label("waiver", lang),
              label("message", lang)]
    rows = []
    for w in report.waivers_unused:
        why = label("why_no_finding" if w.why == "no_finding" else "why_not_failing", lang)
        where = f" ({w.where})" if w.where else ""
        rows.append([w.rule, w.subject,
                     waiver_fields_text(w.status, w.reason, w.approved_by, w.expires.isoformat(), lang),
                     why + where])
    return [f"## {label('waivers_unused', lang)}", "", *_table(header, rows), ""]


def _all_rules(report: Report, lang: str, show_passes: bool) -> list[str]:
    per_rule: dict[str, Counter[str]] = {}
    for f in report.findings:
        per_rule.setdefault(f.rule_id, Counter())[status(f)] += 1
    keys = ("pass", "fail", "waived", "error", "not_applicable")
    header = [label("rule_id", lang), label("rule_title", lang), label("work_point", lang),
              label("severity", lang), *(label(k, lang) for k in keys)]
    rows = []
    for r in rules_of(report):
        title = {"zh": r.title_zh, "en": r.title_en}.get(lang, f"{r.title_zh} / {r.title_en}")
        c = per_rule[r.id]
        rows.append([r.id, title, r.work_point or "—", label(r.severity, lang),
                     *(c.get(k, 0) for k in keys)])
    out = [f"## {label('all_rules', lang)}", "", *_table(header, rows), ""]
    if show_passes:
        passes = [f for f in report.findings if f.outcome in (Outcome.passed, Outcome.not_applicable)]
        for rule_id, group in group_by_rule(passes):
            out += _rule_section(rule_id, group, lang)
    return out
