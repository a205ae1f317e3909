"""``table``: the terminal view (rich): a summary, the rules overview, then the
failures grouped by rule (every listed finding with ``--include-passes``).

Every text reaches rich as a :class:`~rich.text.Text` made by
:func:`~supervise_rules.safetext.rich_text`, never as a string: a school name
such as ``[bold red]…[/]`` or ``[link=file:///…]`` is printed as written, never
read as console markup, and its control characters (ESC, BEL …) are shown as U+FFFD."""

from __future__ import annotations

import io
from typing import BinaryIO, TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from supervise_rules import Finding, RenderOptions, Report, Reporter
from supervise_rules.safetext import plain
from supervise_rules.safetext import rich_text as _t
from supervise_rules.values import with_unit

from ._common import (
    CERTAINTY_LEGEND,
    OVERVIEW_OUTCOMES,
    UNCONFIRMED_LEGEND,
    certainty_text,
    checked,
    colon,
    counts,
    failed,
    failed_rules,
    group_by_rule,
    label,
    mark,
    more_text,
    observed_range_text,
    passes_note,
    pick,
    required_text,
    rule_units,
    rules_of,
    shown_findings,
    status,
    status_text,
    subject_text,
    totals_line,
    unconfirmed,
    waiver_text,
    work_point_title,
)
from ._wrap import Cell, grid, pieces

STATUS_STYLE = {
    "pass": "green",
    "fail": "red",
    "error": "magenta",
    "not_applicable": "dim",
    "waived": "yellow",
}
BASELINE_STYLE = {"new": "bold red", "persisting": "red", "fixed": "green"}


def _console(file: TextIO, options: RenderOptions) -> Console:
    return Console(
        file=file,
        force_terminal=options.color,
        no_color=not options.color,
        width=options.width,
        highlight=False,
        legacy_windows=False,
        markup=False,
        emoji=False,  # belt and braces: every text is a Text already
    )


class TableReporter(Reporter):
    name = "table"
    summary = "A terminal view: summary line, rules overview, failures grouped by rule (rich)."
    suffix = ".txt"

    def render(self, report: Report, options: RenderOptions) -> str:
        buf = io.StringIO()
        self.print(report, _console(buf, options), options)
        return buf.getvalue()

    def write(self, report: Report, options: RenderOptions, out: BinaryIO) -> None:
        """Streamed: each part is written as soon as it is made, so a terminal
        shows the first screen of a national report while the rest is drawn."""
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        try:
            self.print(report, _console(text, options), options)
        finally:
            text.flush()
            text.detach()  # the caller's file stays open

    def print(self, report: Report, console: Console, options: RenderOptions) -> None:
        lang = options.lang
        if options.view == "quiet":
            console.print(_t(totals_line(report, lang), "bold"))
            return
        if options.view == "statistics":
            _print_summary(report, console, lang)
            return
        # head and overview come from the counts: on a terminal they are the first
        # screen, shown before the failures' messages are rendered
        has_store = getattr(report, "store", None) is not None
        _print_head(report, console, lang)
        if has_store:
            _print_rules(report, [], console, lang)
        shown = shown_findings(report, options.show_passes, options.max_per_rule)
        if not has_store:  # a report put together by hand: its rules come from its findings
            _print_rules(report, shown.findings, console, lang)

        console.print()
        if not shown.findings:
            console.print(_t(label("no_failures", lang), "green"))
        for rule_id, findings in group_by_rule(shown.findings):
            _print_rule(rule_id, findings, console, lang, shown.hidden.get(rule_id, 0))
        if any(unconfirmed(f) for f in shown.findings):
            console.print()
            console.print(_t(pick(UNCONFIRMED_LEGEND, lang), "yellow"))
        passes = report.summary.by_outcome.get("pass", 0)
        if passes and not options.show_passes:
            console.print()
            console.print(_t(passes_note(passes, lang), "dim"))
        _print_fixed(report, console, lang)
        _print_unused_waivers(report, console, lang)
        console.print()
        _print_summary(report, console, lang)


def _print_summary(report: Report, console: Console, lang: str) -> None:
    """The end of the view, what a clerk reads first: each failing rule with its
    failed/checked count (like pytest's short summary), then the totals line."""
    rules = failed_rules(report)
    if rules:
        console.print(
            _t(pick(("不通过的规则（不通过/已检查）", "Failing rules (failed/checked)"), lang), "bold")
        )
        rows: list[list[Cell]] = []
        for r in rules:
            title = r.title.zh if lang == "both" else r.title.get(lang)
            rows.append(
                [
                    [(plain(r.rule_id), "bold")],
                    [(plain(label(r.severity.value, lang)), "")],
                    [(f"{failed(r):,}/{checked(r):,}", "red")],
                    [(plain(title), "")],
                ]
            )
        widths = [max(cell_len(row[i][0][0]) for row in rows) for i in range(3)]
        widths.append(max(10, console.width - sum(widths) - 6))
        console.file.write(grid([], rows, widths, {2}, console.is_terminal and not console.no_color))
    style = "bold red" if any(failed(r) for r in rules) else "bold green"
    console.print(_t(totals_line(report, lang), style))


def _print_head(report: Report, console: Console, lang: str) -> None:
    sub = report.submission
    head = Text()
    head.append_text(_t(f"{report.ruleset.title} ({report.ruleset.id} {report.ruleset.version})", "bold"))
    who = " ".join(str(x) for x in (sub.county_name, sub.county_code, sub.year) if x)
    if who:
        head.append_text(_t(f"  ·  {who}"))
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
        base = _t(f"{label('baseline_diff', lang)}{colon(lang)}")
        for key, n in c.baseline.items():
            base.append(f"{label(key, lang)} {n}  ", style=BASELINE_STYLE[key])
        console.print(base)


def _print_rules(report: Report, listed: list[Finding], console: Console, lang: str) -> None:
    """One line per rule that ran: what it checked and how it came out, passes
    counted whether they are listed or not."""
    rules = rules_of(report, listed)
    if not rules:
        return
    units = rule_units(report)
    console.print()
    console.print(_t(label("all_rules", lang), "bold"))

    def head(key: str) -> str:
        # both languages one above the other: side by side the columns would not fit
        return label(key, lang) if lang != "both" else f"{label(key, 'zh')}\n{label(key, 'en')}"

    keys = [
        "rule_id",
        "rule_title",
        "severity",
        "certainty",
        "subjects",
        *OVERVIEW_OUTCOMES,
        "observed_range",
    ]
    rows = []
    for r in rules:
        # in both languages the Chinese title: the English one is in the failure list
        title = r.title.zh if lang == "both" else r.title.get(lang)
        counts_ = [
            [
                (
                    f"{r.by_outcome.get(k, 0):,}",
                    STATUS_STYLE[k] if r.by_outcome.get(k, 0) and k != "pass" else "",
                )
            ]
            for k in OVERVIEW_OUTCOMES
        ]
        rows.append(
            [
                [(plain(r.rule_id), "")],
                [(plain(title), "")],
                [(plain(label(r.severity.value, lang)), "")],
                [(plain(r.certainty or "—"), "")],
                [(f"{r.subjects:,}", "")],
                *counts_,
                [(plain(observed_range_text(r, units.get(r.rule_id), lang)), "")],
            ]
        )
    heads = [head(k) for k in keys]
    # a narrow terminal drops the columns it can do without (subjects, certainty, then the
    # range) rather than cut a number or an id; the title wraps
    for drop in ([], ["subjects"], ["subjects", "certainty"], ["subjects", "certainty", "observed_range"]):
        kept = [i for i, k in enumerate(keys) if k not in drop]
        widths = [
            max(
                cell_len(line)
                for t in (heads[i], *(text for r in rows for text, _ in r[i]))
                for line in t.split("\n")
            )
            for i in kept
        ]
        title_at = kept.index(1)
        room = console.width - 2 * (len(kept) - 1) - (sum(widths) - widths[title_at])
        if room >= min(widths[title_at], 12) or drop == ["subjects", "certainty", "observed_range"]:
            widths[title_at] = max(8, min(widths[title_at], room))
            break
    right = {
        kept.index(i)
        for i, k in enumerate(keys)
        if i in kept and (k in OVERVIEW_OUTCOMES or k in ("subjects", "observed_range"))
    }
    console.file.write(
        grid(
            [heads[i] for i in kept],
            [[r[i] for i in kept] for r in rows],
            widths,
            right,
            console.is_terminal and not console.no_color,
        )
    )
    console.print(_t(pick(CERTAINTY_LEGEND, lang), "dim"))


def _print_rule(rule_id: str, findings: list[Finding], console: Console, lang: str, hidden: int = 0) -> None:
    first = findings[0]
    console.print()
    where = f" · {work_point_title(first.work_point, lang)}" if first.work_point else ""
    sure = f" · {label('certainty', lang)} {certainty_text(first.certainty, lang)}" if first.certainty else ""
    console.print(
        Text.assemble(
            _t(f"{rule_id} ", "bold"),
            _t(first.title.get(lang)),
            _t(f"  [{label(first.severity.value, lang)}{where}{sure}]", "dim"),
        )
    )
    heads = [plain(label(k, lang)) for k in ("outcome", "subject", "observed", "required", "message")]
    rows = []
    for f in findings:
        outcome = status_text(f, lang) + mark(f)
        if f.baseline:
            outcome += f" [{label(f.baseline, lang)}]"
        message = [(plain(line), "") for line in f.message.get(lang).split("\n")]
        if f.waiver is not None:
            message += [(plain(line), "yellow") for line in waiver_text(f, lang).split("\n")]
        rows.append(
            [
                [(plain(outcome), STATUS_STYLE[status(f)])],
                [(plain(subject_text(f)), "")],
                [(plain(with_unit(f.observed, f.unit, lang)), "")],
                [(plain(required_text(f, lang)), "")],
                message,
            ]
        )
    # a plain grid, not a rich Table: rich measures and renders every cell several
    # times over, seconds for the failure lists of 10,000 schools
    console.file.write(
        grid(
            heads,
            rows,
            _widths(heads, rows, console.width),
            {2, 3},
            console.is_terminal and not console.no_color,
        )
    )
    if hidden:
        console.print(_t(more_text(hidden, lang), "dim"))


def _widths(heads: list[str], rows: list[list[Cell]], total: int) -> list[int]:
    """Column widths of a rule's failure list: the short columns as wide as their
    widest text (the subject at most a third of the line, wrapped), the message
    the rest."""

    def texts(i: int) -> list[str]:
        return [heads[i], *(text for r in rows for text, _ in r[i])]

    def widest(i: int) -> int:
        return max(cell_len(t) for t in texts(i))

    def longest_piece(i: int) -> int:
        return max(max((cell_len(p.rstrip()) for _, p in pieces(t)), default=0) for t in texts(i))

    gaps = 2 * (len(heads) - 1)
    widths = [widest(i) for i in range(len(heads))]
    widths[1] = min(widths[1], max(longest_piece(1), total // 3))
    room = total - gaps - sum(widths[:4])
    widths[4] = max(min(widths[4], room), min(longest_piece(4), 20), 10)
    return widths


def _print_fixed(report: Report, console: Console, lang: str) -> None:
    if report.baseline is None or not report.baseline.fixed_findings:
        return
    console.print()
    console.print(_t(label("fixed_since", lang), "bold green"))
    for fx in report.baseline.fixed_findings:
        subject = f"{fx.subject.name} ({fx.subject.id})" if fx.subject.name else fx.subject.id
        title = f" {fx.title.get(lang)}" if fx.title else ""
        now = f"  [{label('now', lang)}{colon(lang)}{label(fx.now, lang)}]" if fx.now else ""
        console.print(Text.assemble(_t(fx.rule_id, "bold"), _t(title), _t(f"  {subject}"), _t(now, "dim")))


def _print_unused_waivers(report: Report, console: Console, lang: str) -> None:
    if not report.waivers_unused:
        return
    console.print()
    console.print(_t(label("waivers_unused", lang), "bold yellow"))
    for w in report.waivers_unused:
        why = label("why_no_finding" if w.why == "no_finding" else "why_not_failing", lang)
        where = f" ({w.where})" if w.where else ""
        console.print(_t(f"{w.rule} {w.subject}{colon(lang)}{why}{where}"))
