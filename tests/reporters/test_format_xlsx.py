"""xlsx: read back with openpyxl; headers, sheets, filters, and never a formula."""

from __future__ import annotations

import io

import openpyxl
import pytest

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

HEADERS = ["规则编号", "规则名称", "工作要点", "严重程度", "结果", "对象类型", "对象编号", "对象名称",
           "实际值", "要求", "单位", "说明", "数据表", "行", "列", "依据", "豁免", "回头看"]


def load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module")
def workbook(report, render):
    return load(render("xlsx", report))


def test_sheets(workbook, report):
    points = sorted({f.work_point for f in report.findings if f.work_point}, key=int)
    assert workbook.sheetnames == ["概况", "全部结果", *(f"工作要点 {p}" for p in points), "其他"]


def test_all_findings_sheet(workbook, report):
    ws = workbook["全部结果"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 1 + len(report.findings)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:R{1 + len(report.findings)}"
    by_id = {(r[0], r[6]): r for r in rows[1:]}
    waived = by_id[("BAL-21", "2164000303/primary")]
    assert waived[4] == "已豁免"
    assert waived[8] == 52 and waived[9] == 45
    assert waived[16].startswith("已豁免：新教学楼")
    assert waived[17] == "仍存在"
    ratio = by_id[("PRE-11", "640122")]
    assert ratio[8] == pytest.approx(0.8299)
    assert ws.cell(row=rows.index(ratio) + 1, column=9).number_format == "0.00%"
    assert by_id[("BAL-16", "640122")][13] == "7-10, 12, 14, 18, 22, 26, 30, 34, 36"


def test_work_point_sheets_hold_their_findings(workbook, report):
    for f_wp in {f.work_point for f in report.findings if f.work_point}:
        ws = workbook[f"工作要点 {f_wp}"]
        rows = list(ws.iter_rows(values_only=True))[1:]
        assert len(rows) == sum(1 for f in report.findings if f.work_point == f_wp)
        assert {r[2] for r in rows} == {f_wp}
        assert ws.auto_filter.ref and ws.freeze_panes == "A2"


def test_summary_sheet_numbers(workbook):
    values = {r[0]: r[1] for r in workbook["概况"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert values["规则数"] == 18
    assert (values["通过"], values["不通过"], values["已豁免"], values["错误"], values["不适用"]) == (
        5, 14, 1, 1, 1)


def _report_with(messages: list[str]) -> Report:
    findings = [
        Finding(rule_id=f"X-{i:02d}", title=LocalizedText(zh=m, en=m), severity=Severity.major,
                outcome=Outcome.fail, subject=Subject(type="school", id=m, name=m), observed=m,
                message=LocalizedText(zh=m, en=m), source=m)
        for i, m in enumerate(messages)
    ]
    return Report.build(tool=ToolInfo(version="0"), ruleset=RulesetInfo(id="r", version="1", title="t"),
                        submission=SubmissionInfo(), rules_run=len(findings), findings=findings)


INJECTION = ['=HYPERLINK("http://example.invalid","x")', "=1+1", "+1+1", "-1+1", "@SUM(A1:A2)",
             "=cmd|' /C calc'!A0", "http://example.invalid/x", "0123", "1e5"]


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
    ws = wb["全部结果"]
    for row in ws.iter_rows(min_row=2):
        assert row[11].data_type == "s"  # the message column
        assert row[11].value in INJECTION
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
    ws = load(render("xlsx", report, lang="en"))["All findings"]
    assert next(ws.iter_rows(values_only=True))[:3] == ("Rule", "Title", "Work point")
