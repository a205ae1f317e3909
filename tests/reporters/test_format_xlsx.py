"""xlsx: read back with openpyxl; headers, sheets, filters, and never a formula."""

from __future__ import annotations

import io

import openpyxl
import pytest

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

HEADERS = [
    "规则编号",
    "规则名称",
    "工作要点",
    "严重程度",
    "可信度",
    "结果",
    "对象类型",
    "对象编号",
    "对象名称",
    "实际值",
    "要求",
    "单位",
    "说明",
    "数据表",
    "文件及工作表",
    "数据行",
    "表中行号",
    "单元格",
    "列（表头）",
    "依据",
    "豁免",
    "回头看",
]
RULE_HEADERS = [
    "规则编号",
    "规则名称",
    "工作要点",
    "严重程度",
    "可信度",
    "对象数",
    "通过",
    "不通过",
    "已豁免",
    "错误",
    "不适用",
    "实际值最小",
    "实际值最大",
    "单位",
    "依据",
]
LISTED = "结果清单（不含通过项）"


def load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module")
def workbook(report, render):
    return load(render("xlsx", report))


def test_sheets(workbook, report):
    points = sorted({f.work_point for f in report.iter_findings() if f.work_point}, key=int)
    assert workbook.sheetnames == ["概况", "规则一览", LISTED, *(f"工作要点 {p}" for p in points), "其他"]


def test_listed_findings_sheet(workbook, report):
    ws = workbook[LISTED]
    rows = list(ws.iter_rows(values_only=True))
    listed = list(report.iter_findings())
    assert list(rows[0]) == HEADERS
    assert len(rows) == 1 + len(listed)
    assert "通过" not in {r[5] for r in rows[1:]}
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:V{1 + len(listed)}"
    by_id = {(r[0], r[7]): r for r in rows[1:]}
    waived = by_id[("BAL-21", "2164000303/primary")]
    assert waived[5] == "已豁免"
    assert waived[9] == 52 and waived[10] == 45
    assert waived[20].startswith("已豁免：新教学楼")
    assert waived[21] == "仍存在"
    ratio = by_id[("PRE-11", "640122")]
    assert ratio[9] == pytest.approx(0.8299)
    assert ws.cell(row=rows.index(ratio) + 1, column=10).number_format == "0.00%"
    assert by_id[("BAL-16", "640122")][15] == "7-10, 12, 14, 18, 22, 26, 30, 34, 36"
    assert by_id[("INS-05", "HLDX01/2164000409")][4] == "M 未证实"
    assert by_id[("READ-03", "schools")][4] is None


def test_with_passes_every_finding_is_listed(report, render):
    wb = load(render("xlsx", report, show_passes=True))
    assert wb.sheetnames[2] == "全部结果"
    rows = list(wb["全部结果"].iter_rows(values_only=True))[1:]
    assert len(rows) == sum(report.summary.by_outcome.values())
    assert [r[5] for r in rows].count("通过") == 6


def test_rules_sheet_counts_every_finding(workbook, report):
    ws = workbook["规则一览"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == RULE_HEADERS
    assert [r[0] for r in rows[1:]] == [r.rule_id for r in report.rules]
    totals = {
        k: sum(r[i] for r in rows[1:])
        for k, i in (("pass", 6), ("fail", 7), ("error", 9), ("not_applicable", 10))
    }
    assert totals == report.summary.by_outcome
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["BAL-21"][7:9] == (1, 1)  # one failure, and it is waived
    assert by_id["BAL-05"][11:14] == (6.8, 9.86, "平方米/生")
    assert by_id["PRE-01"][11] == pytest.approx(0.9801)
    assert ws.cell(row=[r[0] for r in rows].index("PRE-01") + 1, column=12).number_format == "0.00%"
    assert by_id["INS-05"][4] == "M 未证实"


def test_work_point_sheets_hold_their_findings(workbook, report):
    listed = list(report.iter_findings())
    for f_wp in {f.work_point for f in listed if f.work_point}:
        ws = workbook[f"工作要点 {f_wp}"]
        rows = list(ws.iter_rows(values_only=True))[1:]
        assert len(rows) == sum(1 for f in listed if f.work_point == f_wp)
        assert {r[2] for r in rows} == {f_wp}
        assert ws.auto_filter.ref and ws.freeze_panes == "A2"


def test_summary_sheet_numbers(workbook):
    rows = list(workbook["概况"].iter_rows(min_row=3, values_only=True))
    values = {r[0]: r[1] for r in rows if r[0]}
    assert values["规则数"] == 19
    assert (values["通过"], values["不通过"], values["已豁免"], values["错误"], values["不适用"]) == (
        6,
        15,
        1,
        1,
        1,
    )
    notes = [r[1] for r in rows[[r[0] for r in rows].index("说明") :]]
    assert notes[0].startswith("通过 6 项已计入概况和规则一览，未逐项列出")
    assert any(n.startswith("可信度为 M 或 seed 的不通过项") for n in notes)


def _report_with(messages: list[str]) -> Report:
    findings = [
        Finding(
            rule_id=f"X-{i:02d}",
            title=LocalizedText(zh=m, en=m),
            severity=Severity.major,
            outcome=Outcome.fail,
            subject=Subject(type="school", id=m, name=m),
            observed=m,
            message=LocalizedText(zh=m, en=m),
            source=m,
        )
        for i, m in enumerate(messages)
    ]
    return Report.build(
        tool=ToolInfo(version="0"),
        ruleset=RulesetInfo(id="r", version="1", title="t"),
        submission=SubmissionInfo(),
        rules_run=len(findings),
        findings=findings,
    )


INJECTION = [
    '=HYPERLINK("http://example.invalid","x")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "=cmd|' /C calc'!A0",
    "http://example.invalid/x",
    "0123",
    "1e5",
]


def test_formula_like_strings_stay_text(render):
    wb = load(render("xlsx", _report_with(INJECTION)))
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    seen.add(cell.value)
    assert set(INJECTION) <= seen
    ws = wb[LISTED]
    for row in ws.iter_rows(min_row=2):
        assert row[12].data_type == "s"  # the message column
        assert row[12].value in INJECTION
    assert not ws._hyperlinks


def test_fixture_workbook_has_no_formula(workbook):
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row)


def test_same_report_same_bytes(report, render):
    assert render("xlsx", report) == render("xlsx", report)
    props = load(render("xlsx", report)).properties
    assert props.created.date().isoformat() == "2024-09-30"


def test_english_headers(report, render):
    wb = load(render("xlsx", report, lang="en"))
    assert wb.sheetnames[:3] == ["Summary", "Rules", "Findings (passes not listed)"]
    ws = wb["Findings (passes not listed)"]
    assert next(ws.iter_rows(values_only=True))[:5] == (
        "Rule",
        "Title",
        "Work point",
        "Severity",
        "Certainty",
    )
