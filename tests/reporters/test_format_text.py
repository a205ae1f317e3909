"""jsonl, json, table and markdown: content checks beyond the golden files."""

from __future__ import annotations

import json
import re

from supervise_rules import Report
from supervise_rules.models import (
    Finding,
    LocalizedText,
    Outcome,
    RulesetInfo,
    Severity,
    Subject,
    SubmissionInfo,
    ToolInfo,
)

ALL = {"table", "json", "jsonl", "sarif", "junit", "markdown", "html", "xlsx"}


def test_builtins_come_through_the_hook(reporters):
    from supervise_rules.plugins import get_plugin_host

    host = get_plugin_host(entry_points=False)
    assert set(reporters) >= ALL
    for name in ALL:
        assert host.plugin_of("reporters", name) == "supervise_rules.builtin.reporters"
    assert reporters["xlsx"].binary and not reporters["html"].binary
    assert {n for n in ALL if reporters[n].human} == {"table", "markdown", "html", "xlsx"}


def test_jsonl_is_the_json_findings_one_per_line(report, render):
    lines = render("jsonl", report).splitlines()
    document = json.loads(render("json", report))
    assert [json.loads(line) for line in lines] == document["findings"]
    assert all(b"\n" not in line for line in lines)
    assert {f["outcome"] for f in document["findings"]} <= {"fail", "error", "not_applicable"}
    everything = render("jsonl", report, show_passes=True).splitlines()
    assert len(everything) == sum(report.summary.by_outcome.values())
    assert [json.loads(line) for line in everything] == json.loads(render("json", report, show_passes=True))[
        "findings"
    ]


def test_json_is_the_contract_document(report, render):
    assert json.loads(render("json", report)) == report.to_json_dict()


def test_table_languages_and_markers(report, render):
    zh = render("table", report, lang="zh")
    en = render("table", report, lang="en")
    both = render("table", report, lang="both")
    assert "已豁免 [仍存在]" in zh and "不通过 (豁免已过期) [新增]" in zh
    assert "waived [persisting]" in en and "fail (waiver expired) [new]" in en
    assert "已豁免 / waived" in both
    assert "已整改的问题" in zh and "Fixed since the baseline" in en
    assert "未使用的豁免" in zh and "waivers.yaml:12" in zh


def test_table_hides_passes_unless_asked(report, render):
    default = render("table", report)
    assert "贺兰县第二小学 (2164000266/primary)" not in default.split("已整改的问题")[0]
    assert "通过 6 项已计入概况和规则一览，未逐项列出" in default
    everything = render("table", report, show_passes=True)
    assert "贺兰县第二小学 (2164000266/primary)" in everything
    assert "未逐项列出" not in everything


_OVERVIEW_ROW = re.compile(
    r"^(?P<rule>\S+)\s.*?\s(?P<certainty>V|S|M|seed|—)\s+(?P<subjects>\d+)\s+(?P<pass>\d+)\s+"
    r"(?P<fail>\d+)(?: \(已豁免 \d+\))?\s+(?P<error>\d+)\s+(?P<not_applicable>\d+)\s+(?P<range>.+)$"
)


def _overview_rows(text: str) -> dict[str, dict[str, str]]:
    """Rule id -> the cells of the table's rules overview (header line skipped)."""
    block = text.split("规则一览\n", 1)[1].split("\n可信度：", 1)[0].splitlines()[1:]
    return {m["rule"]: m.groupdict() for m in map(_OVERVIEW_ROW.match, block) if m}


def test_table_rules_overview_counts_every_finding(report, render):
    for show_passes in (False, True):
        rows = _overview_rows(render("table", report, show_passes=show_passes, width=200))
        assert list(rows) == [r.rule_id for r in report.rules]
        totals = {
            k: sum(int(r[k]) for r in rows.values()) for k in ("pass", "fail", "error", "not_applicable")
        }
        assert totals == report.summary.by_outcome
    assert rows["INS-04"]["certainty"] == "seed" and rows["INS-04"]["range"] == "0 – 12 学时"
    assert rows["BAL-01"]["subjects"] == "3" and rows["BAL-01"]["pass"] == "2"


def test_unconfirmed_failures_are_marked(report, render):
    zh = render("table", report, width=200)
    ins05 = next(line for line in zh.splitlines() if "马志刚" in line and "督导 3 次" in line)
    assert ins05.startswith("不通过 ※ [新增]")
    assert "[一般 · 工作要点 1 · 可信度 M 未证实]" in zh
    assert "※ 标记的不通过项，所依据的标准未经国家或省级官方文件核实" in zh
    ins02 = next(line for line in zh.splitlines() if "督学李建国负责 7 所学校" in line)
    assert "※" not in ins02
    en = render("table", report, lang="en", width=200)
    assert "※ marks a failure judged against a figure not confirmed" in en
    md = render("markdown", report)
    assert "| 不通过 ※ [新增] | 马志刚 → 贺兰县第六小学 (HLDX01/2164000409) |" in md
    assert "#### INS-05 经常性督导 · 一般 · 可信度 M 未证实" in md
    assert "※ 标记的不通过项" in md


def _md_table(md: str, heading: str) -> list[list[str]]:
    lines = md.split(f"## {heading}\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in lines[2:]]


def test_markdown_rules_overview_counts_every_finding(report, render):
    for show_passes in (False, True):
        rows = _md_table(render("markdown", report, show_passes=show_passes), "规则一览")
        assert [r[0] for r in rows] == [r.rule_id for r in report.rules]
        totals = {
            k: sum(int(r[i].split()[0]) for r in rows)
            for k, i in (("pass", 6), ("fail", 7), ("error", 8), ("not_applicable", 9))
        }
        assert totals == report.summary.by_outcome
    by_id = {r[0]: r for r in rows}
    assert by_id["BAL-21"][7] == "1 (已豁免 1)"
    assert by_id["INS-05"][4] == "M"
    assert by_id["BAL-05"][10] == "6.80 – 9.86 平方米/生"
    assert by_id["PRE-01"][10] == "98.01%"


def test_markdown_lists_passes_only_when_asked(report, render):
    default = render("markdown", report)
    assert "贺兰县第二小学 (2164000266/primary)" not in default.split("## 已整改的问题")[0]
    assert "## 其他结果（不适用）" in default  # not-applicable findings are listed
    assert "常信乡四十里店教学点 (2164000846/primary)" in default
    assert "通过 6 项已计入概况和规则一览，未逐项列出" in default
    everything = render("markdown", report, show_passes=True)
    assert "## 其他结果（通过, 不适用）" in everything
    others = everything.split("## 其他结果", 1)[1].split("## 已整改的问题", 1)[0]
    assert others.count("\n| 通过 |") == 6
    assert "未逐项列出" not in everything


def _one(message: str) -> Report:
    f = Finding(
        rule_id="X-01",
        title=LocalizedText(zh="t", en="t"),
        severity=Severity.major,
        outcome=Outcome.fail,
        subject=Subject(type="school", id="1/primary"),
        message=LocalizedText(zh=message, en=message),
    )
    return Report.build(
        tool=ToolInfo(version="0"),
        ruleset=RulesetInfo(id="r", version="1", title="t"),
        submission=SubmissionInfo(),
        rules_run=1,
        findings=[f],
    )


def test_markdown_cells_cannot_break_the_table(render):
    md = render("markdown", _one("a | b\nc <img src=x> *d* `e`"))
    row = next(line for line in md.splitlines() if line.startswith("| 不通过"))
    assert row.count(" | ") == 5  # six cells, the message's pipe is escaped
    assert "a \\| b<br>c \\<img src=x\\> \\*d\\* \\`e\\`" in row


def test_markdown_groups_by_work_point_in_numeric_order(report, render):
    md = render("markdown", report)
    order = [line for line in md.splitlines() if line.startswith("### ")]
    assert order == [
        "### 工作要点 1",
        "### 工作要点 3",
        "### 工作要点 5",
        "### 工作要点 7",
        "### 工作要点 11",
        "### 其他",
    ]


def test_no_failures(render):
    f = Finding(
        rule_id="X-01",
        title=LocalizedText(zh="t", en="t"),
        severity=Severity.major,
        outcome=Outcome.passed,
        subject=Subject(type="county", id="1"),
        message=LocalizedText(zh="好", en="ok"),
    )
    report = Report.build(
        tool=ToolInfo(version="0"),
        ruleset=RulesetInfo(id="r", version="1", title="t"),
        submission=SubmissionInfo(),
        rules_run=1,
        findings=[f],
    )
    assert "没有不通过的项目。" in render("markdown", report)
    assert "No failures." in render("table", report, lang="en")
    assert "没有不通过的项目。" in render("html", report)
