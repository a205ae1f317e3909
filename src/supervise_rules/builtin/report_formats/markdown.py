"""``markdown``: a report to paste into an issue, a wiki or a document.

Summary first, then the overview of every rule that ran (its counts include
the passes), the failures grouped by work point and rule (a table per rule),
the other listed findings (not applicable; passes too with
``--include-passes``), the baseline comparison and unused waivers.
"""

from __future__ import annotations

from collections.abc import Sequence

from supervise_rules import Finding, RenderOptions, Report, Reporter
from supervise_rules.safetext import markdown_text
from supervise_rules.values import with_unit

from ._common import (
    CERTAINTY_LEGEND,
    OVERVIEW_OUTCOMES,
    UNCONFIRMED_LEGEND,
    certainty_text,
    colon,
    comma,
    counts,
    fail_count_text,
    failing,
    group_by_rule,
    group_by_work_point,
    label,
    location_text,
    mark,
    observed_range_text,
    passes_note,
    pick,
    required_text,
    rule_units,
    rules_of,
    status_text,
    subject_text,
    submission_line,
    waived_by_rule,
    waiver_fields_text,
    waiver_text,
    work_point_title,
)


class _Markdown(str):
    """A cell already written as Markdown (its data parts escaped with :func:`cell`)."""


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell: no pipes, emphasis, links, code
    spans, HTML or control characters of its own; line breaks as ``<br>``."""
    if isinstance(text, _Markdown):
        return str(text)
    return markdown_text(text, newline="<br>")


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def _table(header: list[str], rows: Sequence[Sequence[object]]) -> list[str]:
    return [_row(header), "|" + "|".join(" --- " for _ in header) + "|", *(_row(r) for r in rows)]


class MarkdownReporter(Reporter):
    name = "markdown"
    summary = "Markdown: summary, rules overview, failures by work point and rule."
    suffix = ".md"

    def render(self, report: Report, options: RenderOptions) -> str:
        lang = options.lang
        listed = list(report.iter_findings(options.show_passes))
        out: list[str] = []
        out += _head(report, lang)
        out += _summary(report, lang, options.show_passes)
        out += _all_rules(report, listed, lang)
        out += _failures(listed, lang)
        out += _others(listed, lang, options.show_passes)
        out += _fixed(report, lang)
        out += _unused(report, lang)
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


def _summary(report: Report, lang: str, show_passes: bool) -> list[str]:
    c = counts(report)
    header = [label("rules_run", lang), *(label(k, lang) for k in c.by_status)]
    out = [f"## {label('summary', lang)}", ""]
    out += _table(header, [[c.rules_run, *c.by_status.values()]])
    out += [
        "",
        f"{label('failures_by_severity', lang)}{colon(lang)}"
        + comma(lang).join(f"{label(k, lang)} {v}" for k, v in c.by_severity.items()),
        "",
    ]
    if c.baseline is not None:
        source = f" ({cell(report.baseline.source)})" if report.baseline and report.baseline.source else ""
        out += [
            f"{label('baseline_diff', lang)}{source}{colon(lang)}"
            + comma(lang).join(f"{label(k, lang)} {v}" for k, v in c.baseline.items()),
            "",
        ]
    if c.by_status["pass"] and not show_passes:
        out += [cell(passes_note(c.by_status["pass"], lang)), ""]
    files = report.submission.files
    if files:  # what ties the report to the data it checked
        out += [f"{label('input_files', lang)}{colon(lang)}", ""]
        out += _table(
            [label(k, lang) for k in ("file_path", "sha256", "bytes")],
            [[f.path, _Markdown(f"`{f.sha256}`"), f"{f.bytes:,}"] for f in files],
        )
        out += [""]
    return out


def _failures(listed: list[Finding], lang: str) -> list[str]:
    out = [f"## {label('failures_by_work_point', lang)}", ""]
    shown = failing(listed)
    if not shown:
        return [*out, label("no_failures", lang), ""]
    for wp, findings in group_by_work_point(shown):
        out += [f"### {cell(work_point_title(wp, lang))}", ""]
        for rule_id, group in group_by_rule(findings):
            out += _rule_section(rule_id, group, lang)
    if any(mark(f) for f in shown):
        out += [cell(pick(UNCONFIRMED_LEGEND, lang)), ""]
    return out


def _others(listed: list[Finding], lang: str, show_passes: bool) -> list[str]:
    """The listed findings that are not failures: not applicable, and the passes
    when they are listed."""
    others = [f for f in listed if not f.is_failure]
    if not others:
        return []
    which = ", ".join(
        label(k, lang) for k in (("pass", "not_applicable") if show_passes else ("not_applicable",))
    )
    out = [
        f"## {label('other_findings', lang)}（{which}）"
        if lang == "zh"
        else f"## {label('other_findings', lang)} ({which})",
        "",
    ]
    for rule_id, group in group_by_rule(others):
        out += _rule_section(rule_id, group, lang)
    return out


def _rule_section(rule_id: str, findings: list[Finding], lang: str) -> list[str]:
    first = findings[0]
    head = f"#### {cell(rule_id)} {cell(first.title.get(lang))} · {label(first.severity.value, lang)}"
    if first.certainty:
        head += f" · {label('certainty', lang)} {certainty_text(first.certainty, lang)}"
    out = [head, ""]
    if first.source:
        out += [f"{label('source', lang)}{colon(lang)}{cell(first.source)}", ""]
    header = [label(k, lang) for k in ("outcome", "subject", "observed", "required", "message", "location")]
    rows = []
    for f in findings:
        outcome = cell(status_text(f, lang) + mark(f))
        if f.baseline:  # the mark in brackets, as in the other formats: no link without "(…)"
            outcome += f" [{cell(label(f.baseline, lang))}]"
        message = f.message.get(lang)
        if f.waiver is not None:
            message += f"\n{waiver_text(f, lang)}"
        rows.append(
            [
                _Markdown(outcome),
                subject_text(f),
                with_unit(f.observed, f.unit, lang),
                required_text(f, lang),
                message,
                location_text(f, lang),
            ]
        )
    return [*out, *_table(header, rows), ""]


def _fixed(report: Report, lang: str) -> list[str]:
    if report.baseline is None or not report.baseline.fixed_findings:
        return []
    header = [label("rule_id", lang), label("rule_title", lang), label("subject", lang), label("now", lang)]
    rows = []
    for fx in report.baseline.fixed_findings:
        subject = f"{fx.subject.name} ({fx.subject.id})" if fx.subject.name else fx.subject.id
        rows.append(
            [
                fx.rule_id,
                fx.title.get(lang) if fx.title else "",
                subject,
                label(fx.now, lang) if fx.now else "—",
            ]
        )
    return [f"## {label('fixed_since', lang)}", "", *_table(header, rows), ""]


def _unused(report: Report, lang: str) -> list[str]:
    if not report.waivers_unused:
        return []
    header = [label("rule_id", lang), label("subject", lang), label("waiver", lang), label("message", lang)]
    rows = []
    for w in report.waivers_unused:
        why = label("why_no_finding" if w.why == "no_finding" else "why_not_failing", lang)
        where = f" ({w.where})" if w.where else ""
        rows.append(
            [
                w.rule,
                w.subject,
                waiver_fields_text(w.status, w.reason, w.approved_by, w.expires.isoformat(), lang),
                why + where,
            ]
        )
    return [f"## {label('waivers_unused', lang)}", "", *_table(header, rows), ""]


def _all_rules(report: Report, listed: list[Finding], lang: str) -> list[str]:
    """Every rule that ran, from the report's ``rules`` entries: the counts hold the
    passes whether they are listed or not."""
    rules = rules_of(report, listed)
    if not rules:
        return []
    units = rule_units(report)
    waived = waived_by_rule(report)
    header = [
        label(k, lang)
        for k in (
            "rule_id",
            "rule_title",
            "work_point",
            "severity",
            "certainty",
            "subjects",
            *OVERVIEW_OUTCOMES,
            "observed_range",
        )
    ]
    rows = []
    for r in rules:
        counts_ = [
            fail_count_text(r, waived.get(r.rule_id, 0), lang)
            if k == "fail"
            else f"{r.by_outcome.get(k, 0):,}"
            for k in OVERVIEW_OUTCOMES
        ]
        rows.append(
            [
                r.rule_id,
                r.title.get(lang),
                r.work_point or "—",
                label(r.severity.value, lang),
                r.certainty or "—",
                f"{r.subjects:,}",
                *counts_,
                observed_range_text(r, units.get(r.rule_id), lang),
            ]
        )
    return [
        f"## {label('all_rules', lang)}",
        "",
        *_table(header, rows),
        "",
        cell(pick(CERTAINTY_LEGEND, lang)),
        "",
    ]
