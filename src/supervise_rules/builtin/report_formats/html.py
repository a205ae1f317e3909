"""``html``: one self-contained page, readable offline.

Inline CSS and a small inline script (sortable tables, a filter box), no
external resource of any kind: the file can be mailed, put on a USB stick or
opened on a machine without network. Every text from the report is escaped
(its control characters shown as U+FFFD).

The rules overview (``id="rule-overview"``) comes from the report's ``rules``
entries and so counts the passes; the lists hold the listed findings only
(passes with ``--include-passes``).

The summary numbers carry stable ids and ``data-count`` attributes
(``summary-rules``, ``summary-pass``, ``summary-fail``, ``summary-waived``,
``summary-error``, ``summary-not-applicable``, ``summary-severity-<severity>``,
``summary-new``/``-persisting``/``-fixed``) so that scripts and tests can read
them from the page.
"""

from __future__ import annotations

from html import escape
from typing import Any

from supervise_rules import Finding, RenderOptions, Report, Reporter
from supervise_rules.safetext import plain
from supervise_rules.values import with_unit

from ._charts import (
    NEAR,
    NEAR_SHOWN,
    OP_SIGN,
    bar,
    cv_strips,
    margin_svg,
    near_misses,
    strip_svg,
    trend,
    trend_svg,
)
from ._common import (
    CERTAINTY,
    CERTAINTY_LEGEND,
    MARK,
    OUTCOME_ORDER,
    OVERVIEW_OUTCOMES,
    SEVERITY_ORDER,
    UNCONFIRMED_LEGEND,
    certainty_text,
    colon,
    counts,
    fail_count_text,
    failing,
    group_by_rule,
    group_by_school,
    group_by_work_point,
    label,
    location_text,
    observed_range_text,
    passes_note,
    pick,
    required_text,
    rule_units,
    rules_of,
    status,
    submission_line,
    unconfirmed,
    waived_by_rule,
    waiver_fields_text,
    waiver_text,
    work_point_title,
)

assert NEAR  # the 5 % of the near-miss legend


#: this page's own labels (the others are shared with the text formats, in ``_common``)
LOCAL_LABELS = {
    "rollups": ("汇总", "Roll-ups"),
    "charts": ("图表", "Charts"),
    "checked_bar": ("通过 / 不通过", "Passed / failed"),
    "by_work_point_rollup": ("按工作要点汇总", "By work point"),
    "by_township_rollup": ("按乡镇汇总", "By township"),
    "rules_n": ("规则数", "Rules"),
    "checked": ("已检查", "Checked"),
    "passed": ("通过", "Passed"),
    "failed": ("不通过", "Failed"),
    "errors": ("错误", "Errors"),
    "township": ("乡镇", "Township"),
    "schools": ("学校（园）数", "Schools"),
    "schools_failing": ("有问题的学校", "Schools with failures"),
    "cv_charts": ("校际差异：各校数值分布", "Between-school variation: each school's value"),
    "near_misses": ("临界值：距标准 5% 以内", "Near misses: within 5 % of the standard"),
    "trend": ("与上一轮比较（按规则）", "Against the previous round (by rule)"),
    "margin": ("距标准", "Margin"),
    "no_context": (
        "图表和乡镇汇总需要填报数据本身：对填报数据运行检查生成本报告（由 JSON 结果生成时没有）。",
        "The charts and the township roll-up need the submission itself: run the check on "
        "the submission (a report made from a JSON result has none).",
    ),
    "cv_legend": (
        "每个点是一所学校（学段），面积与在校生数成正比；红点未达单项标准。"
        "实线为按在校生加权的平均值，"
        "红色虚线为该指标的标准。差异系数衡量各点离加权平均值的远近。",
        "One dot per school section, its area proportional to enrollment; red dots miss the "
        "indicator's standard. The solid line is the enrollment-weighted mean, the dashed red "
        "line the standard. The coefficient of variation measures how far the dots lie "
        "from the weighted mean.",
    ),
    "cv_unsized": (
        "（没有在校生数：各点同样大小，不画加权平均值）",
        "(no enrollment: dots of one size, no weighted mean)",
    ),
    "near_legend": (
        "未达标但差距不足 5%（红色，向左）或达标但距标准不足 5%"
        "（绿色，向右；恰好等于标准为棕色）的结果，"
        "未达标的在前，再按距标准由近到远；"
        "最多列出 {n} 项，共 {total} 项。",
        "Results that miss the standard by less than 5 % (red, left) or meet it by less "
        "than 5 % (green, right; exactly at it: brown), misses first, then closest "
        "first; at most {n} shown of {total}.",
    ),
    "no_near": ("没有距标准 5% 以内的结果。", "No result within 5 % of its standard."),
    "trend_legend": (
        "新增：本轮新出现的问题；仍存在：上一轮已有、本轮仍未整改；已整改：上一轮的问题本轮已通过。",
        "New: appeared this round; persisting: already there last round; fixed: last "
        "round's problem now passes.",
    ),
    "show_all": ("展开全部结果列表", "Show the full list of results"),
    "waiver_expired_badge": ("豁免已过期", "waiver expired"),
    "coefficient": ("差异系数", "coefficient"),
    "thinned": (
        "{level}共 {total} 所，图中画出 {shown} 所（未达标的全部画出，其余按数值等距选取）",
        "{level}: {shown} of {total} drawn (every miss, the others evenly spaced by value)",
    ),
}


LEVEL_NAMES = {"primary": ("小学", "primary"), "junior": ("初中", "junior")}


def lbl(key: str, lang: str) -> str:
    if key in LOCAL_LABELS:
        return pick(LOCAL_LABELS[key], lang)
    return label(key, lang)


def e(text: object) -> str:
    """Text of the report as HTML that shows it literally: escaped, without
    control characters or bidirectional overrides (:func:`~supervise_rules.safetext.plain`)."""
    return escape(plain(text), quote=True)


CSS = """
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --band:#f6f8fa;
  --pass:#1a7f37; --fail:#cf222e; --error:#8250df; --na:#6e7781; --waived:#9a6700; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; color: var(--fg); background: var(--bg);
  font: 14px/1.55 "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
  "Source Han Sans SC", "WenQuanYi Micro Hei", "Segoe UI", system-ui, -apple-system, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 24px 0 8px; }
h4 { font-size: 14px; margin: 16px 0 6px; }
.meta, .muted { color: var(--muted); }
nav { margin: 12px 0; display: flex; gap: 16px; flex-wrap: wrap; }
nav a { color: #0969da; text-decoration: none; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 110px;
  background: var(--band); }
.card .num { display: block; font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.pass .num { color: var(--pass); } .card.fail .num { color: var(--fail); }
.card.error .num { color: var(--error); } .card.not_applicable .num { color: var(--na); }
.card.waived .num { color: var(--waived); }
.wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--band); white-space: nowrap; }
td.id { white-space: nowrap; }
td.msg { min-width: 16em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: " \\2195"; color: var(--muted); font-size: 11px; }
table.sortable th[aria-sort="ascending"]::after { content: " \\2191"; }
table.sortable th[aria-sort="descending"]::after { content: " \\2193"; }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px;
  white-space: nowrap; color: #fff; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
.badge.error { background: var(--error); } .badge.not_applicable { background: var(--na); }
.badge.waived { background: var(--waived); }
.badge.new { background: #fff; color: var(--fail); border: 1px solid var(--fail); }
.badge.persisting { background: #fff; color: #953800; border: 1px solid #953800; }
.badge.fixed { background: #fff; color: var(--pass); border: 1px solid var(--pass); }
.note { color: var(--waived); font-size: 12px; }
.mark { color: var(--waived); font-weight: 600; cursor: help; }
.nowrap { white-space: nowrap; }
details { margin: 4px 0; } summary { cursor: pointer; }
.filter { margin: 8px 0; display: flex; gap: 8px; align-items: center; }
.filter input { padding: 4px 8px; min-width: 260px; border: 1px solid var(--line); border-radius: 6px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
.badge.expired { background: #fff; color: var(--waived); border: 1px solid var(--waived); }
.rollups { display: grid; grid-template-columns: 1fr 1fr; gap: 0 24px; }
.rollups > div { min-width: 0; }
.rollups td:first-child { white-space: nowrap; }
.charts { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: flex-start; }
.chart-box { margin: 0; max-width: 100%; }
.chart-box svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: var(--muted); max-width: 560px; }
.near-table { flex: 1 1 420px; min-width: 0; }
svg.bar { vertical-align: middle; }
td, th { overflow-wrap: anywhere; }
@page { size: A4; margin: 14mm 12mm; }
@media print { nav, .filter, .screen-only { display: none; }
  body { max-width: none; padding: 0; font-size: 11px; }
  .rollups { grid-template-columns: 1fr; }
  details { display: block; } details > * { display: block; }
  table { font-size: 10px; } th, td { padding: 2px 4px; } .wrap { overflow: visible; } }
"""

JS = """
(function () {
  function key(cell) {
    var v = cell.getAttribute("data-sort");
    if (v === null) { v = cell.textContent.trim(); }
    var n = Number(v);
    return (v !== "" && !isNaN(n)) ? [0, n, v] : [1, 0, v];
  }
  function cmp(a, b) {
    if (a[0] !== b[0]) { return a[0] - b[0]; }
    if (a[0] === 0 && a[1] !== b[1]) { return a[1] - b[1]; }
    return a[2].localeCompare(b[2], "zh-Hans-CN");
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.tabIndex = 0;
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var c = cmp(key(r1.cells[col]), key(r2.cells[col]));
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sort(); }
      });
    });
  });
  var box = document.getElementById("all-filter");
  var only = document.getElementById("all-only-failures");
  var table = document.getElementById("all-findings");
  function apply() {
    var q = box.value.trim().toLowerCase();
    var count = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
      var show = (!q || r.textContent.toLowerCase().indexOf(q) >= 0) &&
        (!only.checked || r.getAttribute("data-failing") === "1");
      r.hidden = !show;
      if (show) { count += 1; }
    });
    document.getElementById("all-shown").textContent = String(count);
  }
  if (box && only && table) {
    box.addEventListener("input", apply);
    only.addEventListener("change", apply);
  }
})();
"""

_SEVERITY_RANK = {s: str(3 - i) for i, s in enumerate(SEVERITY_ORDER)}
_STATUS_RANK = {s: str(i) for i, s in enumerate(("fail", "error", "waived", "not_applicable", "pass"))}


class HtmlReporter(Reporter):
    name = "html"
    summary = "One self-contained HTML page (offline): summary, failures by work point and school."
    suffix = ".html"

    def render(self, report: Report, options: RenderOptions) -> str:
        lang = options.lang
        listed = list(report.iter_findings(options.show_passes))
        # every finding, passes too, as one frame: the roll-ups and the near misses count it
        every = report.frame(include_passes=True)
        r = report.ruleset
        title = f"{r.title} — {label('report', lang)}"
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{"en" if lang == "en" else "zh-CN"}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="{e(report.tool.name)} {e(report.tool.version)}">',
            f"<title>{e(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            '<body class="report">',
            "<header>",
            f"<h1>{e(title)}</h1>",
            f'<p class="meta">{e(label("ruleset", lang))}{colon(lang)}{e(r.id)} {e(r.version)} · '
            f"{e(submission_line(report, lang))}</p>",
            "</header>",
            _nav(report, lang, options.show_passes),
            _summary(report, lang, options.show_passes),
            '<section id="overview">',
            _rules(report, listed, lang),
            _rollups(report, lang, every),
            "</section>",
            _charts(report, lang, every),
            _by_work_point(listed, lang),
            _by_school(listed, lang),
            _fixed(report, lang),
            _unused(report, lang),
            _all(listed, lang, options.show_passes),
            f"<footer>{e(report.tool.name)} {e(report.tool.version)} · schema_version "
            f"{e(report.schema_version)}</footer>",
            f"<script>{JS}</script>",
            "</body>",
            "</html>",
        ]
        return "\n".join(p for p in parts if p) + "\n"


def _nav(report: Report, lang: str, show_passes: bool) -> str:
    links = [
        ("summary", "summary"),
        ("rules", "all_rules"),
        ("rollups", "rollups"),
        ("charts", "charts"),
        ("by-work-point", "failures_by_work_point"),
        ("by-school", "failures_by_school"),
    ]
    if report.baseline is not None and report.baseline.fixed_findings:
        links.append(("fixed", "fixed_since"))
    if report.waivers_unused:
        links.append(("waivers-unused", "waivers_unused"))
    links.append(("all", "all_findings" if show_passes else "listed_findings"))
    return "<nav>" + "".join(f'<a href="#{a}">{e(lbl(k, lang))}</a>' for a, k in links) + "</nav>"


def _card(id_: str, css: str, n: int, text: str) -> str:
    return (
        f'<div class="card {css}"><span class="num" id="{id_}" data-count="{n}">{n}</span>'
        f'<span class="lbl">{e(text)}</span></div>'
    )


def _summary(report: Report, lang: str, show_passes: bool) -> str:
    c = counts(report)
    cards = [_card("summary-rules", "rules", c.rules_run, label("rules_run", lang))]
    for key in OUTCOME_ORDER:
        cards.append(_card(f"summary-{key.replace('_', '-')}", key, c.by_status[key], label(key, lang)))
    sev = " · ".join(
        f'{e(label(k, lang))} <span id="summary-severity-{k}" data-count="{v}">{v}</span>'
        for k, v in c.by_severity.items()
    )
    out = [
        '<section id="summary">',
        f"<h2>{e(label('summary', lang))}</h2>",
        f'<div class="cards">{"".join(cards)}</div>',
        f"<p>{e(label('failures_by_severity', lang))}{colon(lang)}{sev}</p>",
    ]
    if c.baseline is not None:
        src = report.baseline.source if report.baseline and report.baseline.source else None
        marks = " · ".join(
            f'<span class="badge {k}">{e(label(k, lang))}</span> '
            f'<span id="summary-{k}" data-count="{v}">{v}</span>'
            for k, v in c.baseline.items()
        )
        out.append(
            f"<p>{e(label('baseline_diff', lang))}{f' ({e(src)})' if src else ''}{colon(lang)}{marks}</p>"
        )
    if c.by_status["pass"] and not show_passes:
        out.append(f'<p class="muted">{e(passes_note(c.by_status["pass"], lang))}</p>')
    out.append(_files(report, lang))
    out.append("</section>")
    return "\n".join(p for p in out if p)


def _files(report: Report, lang: str) -> str:
    """The files read and their SHA-256: what ties the report to the data."""
    files = report.submission.files
    if not files:
        return ""
    head = "".join(f'<th scope="col">{e(label(h, lang))}</th>' for h in ("file_path", "sha256", "bytes"))
    rows = "\n".join(
        f'<tr><td class="id">{e(f.path)}</td><td class="id"><code>{e(f.sha256)}</code></td>'
        f'<td class="num">{f.bytes:,}</td></tr>'
        for f in files
    )
    return (
        f'<details id="input-files"><summary>{e(label("input_files", lang))} ({len(files)})'
        f'</summary><div class="wrap"><table><thead><tr>{head}</tr></thead>\n<tbody>\n'
        f"{rows}\n</tbody></table></div></details>"
    )


def _rules(report: Report, listed: list[Finding], lang: str) -> str:
    """Every rule that ran, counted over all its findings, passes included."""
    rules = rules_of(report, listed)
    units = rule_units(report)
    waived = waived_by_rule(report)
    with_failures = {f.rule_id for f in failing(listed)}
    columns = (
        "rule_id",
        "rule_title",
        "work_point",
        "severity",
        "certainty",
        "subjects",
        *OVERVIEW_OUTCOMES,
        "checked_bar",
        "observed_range",
    )
    head = "".join(f'<th scope="col">{e(lbl(h, lang))}</th>' for h in columns)
    rows = []
    for r in rules:
        rule_id = (
            f'<a href="#rule-{e(r.rule_id)}">{e(r.rule_id)}</a>'
            if r.rule_id in with_failures
            else e(r.rule_id)
        )
        sure = (
            f'<td title="{e(certainty_text(r.certainty, lang))}">{e(r.certainty)}</td>'
            if r.certainty in CERTAINTY
            else f"<td>{e(r.certainty or '—')}</td>"
        )
        cells = [
            f'<td class="id">{rule_id}</td>',
            f"<td>{e(r.title.get(lang))}</td>",
            f'<td data-sort="{e(r.work_point or "")}">{e(r.work_point or "—")}</td>',
            f'<td data-sort="{_SEVERITY_RANK[r.severity.value]}">{e(label(r.severity.value, lang))}</td>',
            sure,
            f'<td class="num" data-sort="{r.subjects}">{r.subjects:,}</td>',
        ]
        for key in OVERVIEW_OUTCOMES:
            n = r.by_outcome.get(key, 0)
            text = fail_count_text(r, waived.get(r.rule_id, 0), lang) if key == "fail" else f"{n:,}"
            cells.append(f'<td class="num" data-outcome="{key}" data-sort="{n}">{e(text)}</td>')
        checked = sum(r.by_outcome.get(k, 0) for k in ("pass", "fail", "error"))
        share = r.by_outcome.get("pass", 0) / checked if checked else 1.0
        cells.append(f'<td data-sort="{share:.6f}">{bar(r.by_outcome, lang)}</td>')
        low = r.observed.min if r.observed is not None else None
        sort = f' data-sort="{e(low)}"' if isinstance(low, int | float) else ""
        cells.append(f'<td class="num"{sort}>{e(observed_range_text(r, units.get(r.rule_id), lang))}</td>')
        rows.append(f'<tr data-rule="{e(r.rule_id)}">{"".join(cells)}</tr>')
    return "\n".join(
        [
            '<section id="rules">',
            f"<h2>{e(label('all_rules', lang))}</h2>",
            _sortable(head, rows, "rule-overview"),
            f'<p class="muted">{e(pick(CERTAINTY_LEGEND, lang))}</p>',
            "</section>",
        ]
    )


def _badges(f: Finding, lang: str) -> str:
    st = status(f)
    text = f'<span class="badge {st}">{e(label(st, lang))}</span>'
    if f.waiver is not None and f.waiver.status == "expired":
        # an expired waiver no longer covers the failure: said on the badge, not only in the note
        text += f' <span class="badge expired">{e(lbl("waiver_expired_badge", lang))}</span>'
    if unconfirmed(f):
        # kept on the badge's line: the mark belongs to the outcome, not to the baseline
        text = (
            f'<span class="nowrap">{text} <span class="mark" '
            f'title="{e(certainty_text(f.certainty, lang))}">{MARK}</span></span>'
        )
    if f.baseline:
        text += f' <span class="badge {f.baseline}">{e(label(f.baseline, lang))}</span>'
    return text


def _message(f: Finding, lang: str) -> str:
    text = e(f.message.get(lang))
    if f.waiver is not None:
        text += f'<br><span class="note">{e(waiver_text(f, lang))}</span>'
    return text


def _observed_cell(f: Finding, lang: str) -> str:
    sort = f' data-sort="{e(f.observed)}"' if isinstance(f.observed, int | float) else ""
    return f'<td class="num"{sort}>{e(with_unit(f.observed, f.unit, lang))}</td>'


def _status_cell(f: Finding, lang: str) -> str:
    return f'<td data-sort="{_STATUS_RANK[status(f)]}">{_badges(f, lang)}</td>'


def _sortable(header: str, rows: list[str], table_id: str | None = None) -> str:
    id_attr = f' id="{table_id}"' if table_id else ""
    return (
        f'<div class="wrap"><table class="sortable"{id_attr}><thead><tr>{header}</tr></thead>\n'
        "<tbody>\n" + "\n".join(rows) + "\n</tbody></table></div>"
    )


#: the columns of a findings table, per place in the page
RULE_COLUMNS = (
    "outcome",
    "subject_type",
    "subject_id",
    "subject_name",
    "observed",
    "required",
    "message",
    "location",
)
SCHOOL_COLUMNS = (
    "outcome",
    "rule_id",
    "rule_title",
    "severity",
    "subject_id",
    "observed",
    "required",
    "message",
    "location",
)
ALL_COLUMNS = (
    "outcome",
    "rule_id",
    "rule_title",
    "work_point",
    "severity",
    "certainty",
    "subject_type",
    "subject_id",
    "subject_name",
    "observed",
    "required",
    "message",
    "location",
)


def _cell(column: str, f: Finding, lang: str) -> str:
    if column == "outcome":
        return _status_cell(f, lang)
    if column == "observed":
        return _observed_cell(f, lang)
    if column == "message":
        return f'<td class="msg">{_message(f, lang)}</td>'
    if column == "work_point":
        return f'<td data-sort="{e(f.work_point or "")}">{e(f.work_point or "—")}</td>'
    if column == "certainty":
        # the letter keeps the wide table narrow; the words are its tooltip and the legend's
        if f.certainty is None:
            return "<td>—</td>"
        return f'<td title="{e(certainty_text(f.certainty, lang))}">{e(f.certainty)}</td>'
    if column == "severity":
        return f'<td data-sort="{_SEVERITY_RANK[f.severity.value]}">{e(label(f.severity.value, lang))}</td>'
    text = {
        "rule_id": lambda: f.rule_id,
        "rule_title": lambda: f.title.get(lang),
        "subject_type": lambda: label(f.subject.type, lang),
        "subject_id": lambda: f.subject.id,
        "subject_name": lambda: f.subject.name or "",
        "required": lambda: required_text(f, lang),
        "location": lambda: location_text(f, lang),
    }[column]()
    css = ' class="id"' if column in ("rule_id", "subject_id") else ""
    return f"<td{css}>{e(text)}</td>"


def _findings_table(
    findings: list[Finding], lang: str, columns: tuple[str, ...], table_id: str | None = None
) -> str:
    rows = []
    for f in findings:
        cells = "".join(_cell(c, f, lang) for c in columns)
        failing_flag = "1" if f.is_failure else "0"
        rows.append(
            f'<tr data-status="{status(f)}" data-rule="{e(f.rule_id)}" '
            f'data-failing="{failing_flag}">{cells}</tr>'
        )
    header = "".join(f'<th scope="col">{e(label(h, lang))}</th>' for h in columns)
    return _sortable(header, rows, table_id)


def _by_work_point(listed: list[Finding], lang: str) -> str:
    out = ['<section id="by-work-point">', f"<h2>{e(label('failures_by_work_point', lang))}</h2>"]
    shown = failing(listed)
    if not shown:
        out.append(f"<p>{e(label('no_failures', lang))}</p>")
    for wp, findings in group_by_work_point(shown):
        anchor = f"wp-{wp}" if wp is not None else "wp-other"
        out.append(
            f'<h3 id="{e(anchor)}">{e(work_point_title(wp, lang))} '
            f'<span class="muted">({len(findings)})</span></h3>'
        )
        for rule_id, group in group_by_rule(findings):
            first = group[0]
            source = ""
            if first.source:
                source = (
                    f'<br><span class="muted">{e(label("source", lang))}{colon(lang)}{e(first.source)}</span>'
                )
            sure = (
                f" · {e(label('certainty', lang))} {e(certainty_text(first.certainty, lang))}"
                if first.certainty
                else ""
            )
            out.append(
                f'<h4 id="rule-{e(rule_id)}">{e(rule_id)} {e(first.title.get(lang))} '
                f'<span class="muted">· {e(label(first.severity.value, lang))}{sure}</span>'
                f"{source}</h4>"
            )
            out.append(_findings_table(group, lang, RULE_COLUMNS))
    if any(unconfirmed(f) for f in shown):
        out.append(f'<p class="note" id="unconfirmed-legend">{e(pick(UNCONFIRMED_LEGEND, lang))}</p>')
    out.append("</section>")
    return "\n".join(out)


def _by_school(listed: list[Finding], lang: str) -> str:
    out = ['<section id="by-school">', f"<h2>{e(label('failures_by_school', lang))}</h2>"]
    groups = group_by_school(failing(listed))
    if not groups:
        out.append(f"<p>{e(label('no_failures', lang))}</p>")
        out.append("</section>")
        return "\n".join(out)
    head = "".join(
        f'<th scope="col">{e(label(h, lang))}</th>'
        for h in ("school_col", "subject_id", "subject_type", "failures", "rules")
    )
    rows = []
    for key, findings in groups:
        n_fail = sum(1 for f in findings if not f.is_waived)
        rules = ", ".join(sorted({f.rule_id for f in findings}))
        rows.append(
            f'<tr><td><a href="#school-{e(key.id)}">{e(key.name or key.id)}</a></td>'
            f"<td>{e(key.id)}</td><td>{e(label(key.type, lang))}</td>"
            f'<td class="num" data-sort="{n_fail}">{n_fail}</td><td>{e(rules)}</td></tr>'
        )
    out.append(_sortable(head, rows, "school-overview"))
    for key, findings in groups:
        out.append(
            f'<details id="school-{e(key.id)}"><summary><strong>{e(key.name or key.id)}'
            f"</strong> ({e(key.id)}) — {len(findings)}</summary>"
        )
        out.append(_findings_table(findings, lang, SCHOOL_COLUMNS))
        out.append("</details>")
    out.append("</section>")
    return "\n".join(out)


def _fixed(report: Report, lang: str) -> str:
    if report.baseline is None or not report.baseline.fixed_findings:
        return ""
    head = "".join(
        f'<th scope="col">{e(label(h, lang))}</th>'
        for h in ("rule_id", "rule_title", "subject_id", "subject_name", "now")
    )
    rows = []
    for fx in report.baseline.fixed_findings:
        now = label(fx.now, lang) if fx.now else "—"
        rows.append(
            f"<tr><td>{e(fx.rule_id)}</td><td>{e(fx.title.get(lang) if fx.title else '')}</td>"
            f"<td>{e(fx.subject.id)}</td><td>{e(fx.subject.name or '')}</td>"
            f"<td>{e(now)}</td></tr>"
        )
    return "\n".join(
        [
            '<section id="fixed">',
            f"<h2>{e(label('fixed_since', lang))}</h2>",
            _sortable(head, rows),
            "</section>",
        ]
    )


def _unused(report: Report, lang: str) -> str:
    if not report.waivers_unused:
        return ""
    head = "".join(
        f'<th scope="col">{e(label(h, lang))}</th>' for h in ("rule_id", "subject_id", "waiver", "message")
    )
    rows = []
    for w in report.waivers_unused:
        why = label("why_no_finding" if w.why == "no_finding" else "why_not_failing", lang)
        where = f" ({w.where})" if w.where else ""
        waiver = waiver_fields_text(w.status, w.reason, w.approved_by, w.expires.isoformat(), lang)
        rows.append(
            f"<tr><td>{e(w.rule)}</td><td>{e(w.subject)}</td><td>{e(waiver)}</td>"
            f"<td>{e(why + where)}</td></tr>"
        )
    return "\n".join(
        [
            '<section id="waivers-unused">',
            f"<h2>{e(label('waivers_unused', lang))}</h2>",
            _sortable(head, rows),
            "</section>",
        ]
    )


def _all(listed: list[Finding], lang: str, show_passes: bool) -> str:
    n = len(listed)
    only = {"zh": "只看不通过和错误", "en": "failures and errors only"}.get(
        lang, "只看不通过和错误 / failures and errors only"
    )
    table = _findings_table(listed, lang, ALL_COLUMNS, "all-findings")
    title = label("all_findings" if show_passes else "listed_findings", lang)
    # printed only when the passes were asked for: otherwise it repeats the failures
    css = "" if show_passes else ' class="screen-only"'
    return "\n".join(
        [
            f'<section id="all"{css}>',
            f'<h2>{e(title)} <span class="muted">(<span id="all-shown">{n}</span> / {n})</span></h2>',
            f'<details id="all-details"><summary>{e(lbl("show_all", lang))}</summary>',
            f'<div class="filter"><label>{e(label("filter", lang))} '
            f'<input id="all-filter" type="search" autocomplete="off"></label>'
            f'<label><input id="all-only-failures" type="checkbox"> {e(only)}</label></div>',
            table,
            "</details>",
            f'<p class="muted">{e(pick(CERTAINTY_LEGEND, lang))}</p>',
            "</section>",
        ]
    )


# --- the overview's roll-ups and the charts ----------------------------------------------------


def _rollup_table(
    table_id: str,
    first: str,
    rows: list[tuple[str, list[str], dict[str, int]]],
    extra: tuple[str, ...],
    lang: str,
) -> str:
    head = "".join(
        f'<th scope="col">{e(lbl(h, lang))}</th>'
        for h in (first, *extra, "checked", "passed", "failed", "errors", "checked_bar")
    )
    body = []
    for key, extra_cells, c in rows:
        checked = c.get("pass", 0) + c.get("fail", 0) + c.get("error", 0)
        cells = [
            f"<td>{e(key)}</td>",
            *(f'<td class="num">{x}</td>' for x in extra_cells),
            f'<td class="num" data-sort="{checked}">{checked:,}</td>',
            f'<td class="num" data-sort="{c.get("pass", 0)}">{c.get("pass", 0):,}</td>',
            f'<td class="num" data-col="fail" data-sort="{c.get("fail", 0)}">{c.get("fail", 0):,}</td>',
            f'<td class="num" data-sort="{c.get("error", 0)}">{c.get("error", 0):,}</td>',
            f"<td>{bar(c, lang)}</td>",
        ]
        body.append(f'<tr data-key="{e(key)}">{"".join(cells)}</tr>')
    return _sortable(head, body, table_id)


def _rollups(report: Report, lang: str, every: Any) -> str:
    """Per work point (from the rules entries: passes counted) and per township
    (the findings joined with the subjects' townships, as polars frames)."""
    import polars as pl

    out = ['<div id="rollups" class="rollups">', f"<div><h3>{e(lbl('by_work_point_rollup', lang))}</h3>"]
    by_wp: dict[str | None, tuple[int, dict[str, int]]] = {}
    for r in report.rules:
        n, c = by_wp.get(r.work_point, (0, {}))
        for k, v in r.by_outcome.items():
            c[k] = c.get(k, 0) + v
        by_wp[r.work_point] = (n + 1, c)
    order = sorted(by_wp, key=lambda wp: (wp is None, int(wp) if wp and wp.isdigit() else 10**6, wp or ""))
    out.append(
        _rollup_table(
            "work-point-rollup",
            "work_point",
            [(work_point_title(wp, lang), [f"{by_wp[wp][0]}"], by_wp[wp][1]) for wp in order],
            ("rules_n",),
            lang,
        )
    )
    out.append("</div>")
    ctx = report.context
    out.append(f"<div><h3>{e(lbl('by_township_rollup', lang))}</h3>")
    if ctx is None or ctx.subjects.is_empty():
        out.append(f'<p class="muted">{e(lbl("no_context", lang))}</p>')
    else:
        places = ctx.townships()
        frame = every.select("subject_id", "subject_type", "outcome")
        root = pl.col("subject_id").str.split("/").list.first()
        joined = (
            frame.join(places, on="subject_id", how="left")
            .join(
                places.rename({"subject_id": "_root", "township": "_t"}),
                left_on=root,
                right_on="_root",
                how="left",
            )
            .with_columns(
                township=pl.coalesce(
                    "township", "_t", pl.when(pl.col("subject_type") == "township").then(pl.col("subject_id"))
                )
            )
            .filter(pl.col("township").is_not_null())
            .with_columns(school=pl.when(pl.col("subject_type") == "school").then(root))
        )
        counts = joined.group_by("township", "outcome").len("n")
        failing = (
            joined.filter(pl.col("outcome").is_in(["fail", "error"]) & pl.col("school").is_not_null())
            .group_by("township")
            .agg(pl.col("school").n_unique().alias("n"))
        )
        schools = ctx.subjects.group_by("township").agg(pl.col("root_id").n_unique().alias("n"))
        by_t: dict[str, dict[str, int]] = {}
        for t, outcome, n in counts.iter_rows():
            by_t.setdefault(t, {})[outcome] = n
        n_schools = dict(schools.iter_rows())
        n_failing = dict(failing.iter_rows())
        rows = [(t, [f"{n_schools.get(t, 0):,}", f"{n_failing.get(t, 0):,}"], by_t[t]) for t in sorted(by_t)]
        out.append(_rollup_table("township-rollup", "township", rows, ("schools", "schools_failing"), lang))
    out.append("</div></div>")
    return "\n".join(out)


def _charts(report: Report, lang: str, every: Any) -> str:
    from supervise_rules.values import document_value as format_value

    out = ['<section id="charts">', f"<h2>{e(lbl('charts', lang))}</h2>"]
    strips = cv_strips(report)
    if report.context is None:
        out.append(f'<p class="muted">{e(lbl("no_context", lang))}</p>')
    if strips:
        out.append(f'<h3 id="cv-charts">{e(lbl("cv_charts", lang))}</h3>')
        out.append(f'<p class="muted">{e(lbl("cv_legend", lang))}</p>')
        out.append('<div class="charts">')
        for cv_rule, title, base, level_strips, sized in strips:
            notes = []
            for s in level_strips:
                if s.cv is None:
                    continue
                level = LEVEL_NAMES.get(s.level, (s.level, s.level))
                mark = "✓" if s.cv_outcome == "pass" else ("✗" if s.cv_outcome == "fail" else "?")
                limit = f" ≤ {format_value(s.cv_limit, None)}" if s.cv_limit is not None else ""
                notes.append(f"{pick(level, lang)} {s.cv:.4f}{limit} {mark}")
            caption = f"{base} {title} · {cv_rule} {lbl('coefficient', lang)}: " + "；".join(notes)
            for s in level_strips:
                if s.points.height < s.total:
                    name = pick(LEVEL_NAMES.get(s.level, (s.level, s.level)), lang)
                    caption += "。" + lbl("thinned", lang).format(
                        level=name, total=f"{s.total:,}", shown=f"{s.points.height:,}"
                    )
            if not sized:
                caption += " " + lbl("cv_unsized", lang)
            out.append(
                f'<figure class="chart-box" id="cv-{e(cv_rule)}" data-rule="{e(cv_rule)}">'
                f"{strip_svg(level_strips, sized, None, lang)}"
                f"<figcaption>{e(caption)}</figcaption></figure>"
            )
        out.append("</div>")
    near = near_misses(report, every)
    out.append(f'<h3 id="near-misses">{e(lbl("near_misses", lang))}</h3>')
    if near.is_empty():
        out.append(f'<p class="muted">{e(lbl("no_near", lang))}</p>')
    else:
        shown = near.head(NEAR_SHOWN)
        legend = lbl("near_legend", lang).format(n=NEAR_SHOWN, total=near.height)
        out.append(f'<p class="muted">{e(legend)}</p>')
        out.append(f'<div class="charts"><figure class="chart-box">{margin_svg(shown, lang)}</figure>')
        head = "".join(
            f'<th scope="col">{e(lbl(h, lang))}</th>'
            for h in ("rule_id", "subject_name", "observed", "required", "margin")
        )
        rows = []
        for r in shown.iter_rows(named=True):
            sign = OP_SIGN.get(r["required_op"], r["required_op"])
            rows.append(
                f'<tr data-rule="{e(r["rule_id"])}" data-status="{e(r["outcome"])}">'
                f'<td class="id">{e(r["rule_id"])}</td>'
                f"<td>{e(r['subject_name'] or r['subject_id'])}</td>"
                f'<td class="num">{e(with_unit(r["observed"], r["unit"], lang))}</td>'
                f'<td class="num">{e(sign)} {e(with_unit(r["required"], r["unit"], lang))}</td>'
                f'<td class="num" data-sort="{r["margin"]:.6f}">{r["margin"]:+.1%}</td></tr>'
            )
        out.append(f'<div class="near-table">{_sortable(head, rows, "near-miss-table")}</div></div>')
    rows_t = trend(report)
    if report.baseline is not None:
        out.append(f'<h3 id="trend">{e(lbl("trend", lang))}</h3>')
        out.append(f'<p class="muted">{e(lbl("trend_legend", lang))}</p>')
        if rows_t:
            head = "".join(
                f'<th scope="col">{e(h)}</th>'
                for h in (
                    label("rule_id", lang),
                    label("new", lang),
                    label("persisting", lang),
                    label("fixed", lang),
                )
            )
            body = [
                f'<tr data-rule="{e(rid)}"><td class="id">{e(rid)}</td>'
                f'<td class="num" data-trend="new">{a}</td>'
                f'<td class="num" data-trend="persisting">{b}</td>'
                f'<td class="num" data-trend="fixed">{c}</td></tr>'
                for rid, a, b, c in rows_t
            ]
            out.append(
                f'<div class="charts"><figure class="chart-box">{trend_svg(rows_t, lang)}</figure>'
                f'<div class="near-table">{_sortable(head, body, "trend-table")}</div></div>'
            )
    out.append("</section>")
    return "\n".join(out)
