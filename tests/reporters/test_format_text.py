"""jsonl, json, table and markdown: content checks beyond the golden files."""

from __future__ import annotations

import json

from supervise_rules.models import (
    Finding,
    LocalizedText,
    Outcome,
    Report,
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
    assert [json.loads(line) for line in everything] == json.loads(
        render("json", report, show_passes=True))["findings"]


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
    assert "贺兰县第二小学 (2164000266/primary)" not in render("table", report).split("已整改的问题")[0]
    assert "贺兰县第二小学 (2164000266/primary)" in render("table", report, show_passes=True)


def _one(message: str) -> Report:
    f = Finding(rule_id="X-01", title=LocalizedText(zh="t", en="t"), severity=Severity.major,
                outcome=Outcome.fail, subject=Subject(type="school", id="1/primary"),
                message=LocalizedText(zh=message, en=message))
    return Report.build(tool=ToolInfo(version="0"), ruleset=RulesetInfo(id="r", version="1", title="t"),
                        submission=SubmissionInfo(), rules_run=1, findings=[f])


def test_markdown_cells_cannot_break_the_table(render):
    md = render("markdown", _one("a | b\nc <img src=x> *d* `e`"))
    row = next(line for line in md.splitlines() if line.startswith("| 不通过"))
    assert row.count(" | ") == 5  # six cells, the message's pipe is escaped
    assert "a \\| b<br>c \\<img src=x\\> \\*d\\* \\`e\\`" in row


def test_markdown_groups_by_work_point_in_numeric_order(report, render):
    md = render("markdown", report)
    order = [line for line in md.splitlines() if line.startswith("### ")]
    assert order == ["### 工作要点 1", "### 工作要点 3", "### 工作要点 5", "### 工作要点 7",
                     "### 工作要点 11", "### 其他"]


def test_no_failures(render):
    f = Finding(rule_id="X-01", title=LocalizedText(zh="t", en="t"), severity=Severity.major,
                outcome=Outcome.passed, subject=Subject(type="county", id="1"),
                message=LocalizedText(zh="好", en="ok"))
    report = Report.build(tool=ToolInfo(version="0"), ruleset=RulesetInfo(id="r", version="1", title="t"),
                          submission=SubmissionInfo(), rules_run=1, findings=[f])
    assert "没有不通过的项目。" in render("markdown", report)
    assert "No failures." in render("table", report, lang="en")
    assert "没有不通过的项目。" in render("html", report)
