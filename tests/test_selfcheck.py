"""核心指标自查报告: content of the HTML and xlsx self-check, built from BAL findings."""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from loop_fixtures import finding, helan_bal_findings, helan_bal_report, make_report

from supervise_rules import load_ruleset
from supervise_rules.cli import main
from supervise_rules.models import Outcome, Subject
from supervise_rules.selfcheck import (
    SelfCheckError,
    build_selfcheck,
    conclusion,
    layout_from_ruleset,
    render_html,
    render_xlsx,
    ruleset_for,
)

TITLE = "贺兰县 2024 年义务教育优质均衡发展核心指标自查报告"


@functools.cache
def helan_ruleset():
    """The ruleset the fixture reports say they were checked against: it places
    the rules and gives the standards."""
    return load_ruleset("helan-2024")


def selfcheck(report):
    return build_selfcheck(report, helan_ruleset())


class _Tables(HTMLParser):
    """Collects each table (by id) as rows of cell texts, and every attribute value."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.attrs: list[tuple[str, str]] = []
        self.tags: set[str] = set()
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [(k, v or "") for k, v in attrs]
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id") or f"t{len(self.tables)}", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _parse(html: str) -> _Tables:
    p = _Tables()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def helan():
    return selfcheck(helan_bal_report())


def test_html_title_sections_and_signature(helan):
    html = render_html(helan)
    assert f"<title>{TITLE}</title>" in html
    assert f"<h1>{TITLE}</h1>" in html
    for heading in (
        "一、基本情况",
        "二、资源配置",
        "三、校际差异系数",
        "四、政府保障程度",
        "五、教育质量与社会认可度",
        "六、自查结论",
    ):
        assert heading in html
    for line in ("填报单位（盖章）", "单位负责人（签字）", "报送日期"):
        assert line in html
    assert "数据截至 2024 年 9 月 30 日" in html


def test_html_is_self_contained(helan):
    html = render_html(helan)
    parsed = _parse(html)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert not [v for _, v in parsed.attrs if re.match(r"(https?:)?//", v)]
    assert "url(" not in html and "@import" not in html


def test_html_section_table_has_values_thresholds_and_verdicts(helan):
    tables = _parse(render_html(helan)).tables
    primary = tables["resource-primary"]
    header = primary[0]
    assert header[2] == "每百名学生拥有高于规定学历教师数（≥ 4.2）"
    assert header[6] == "生均体育运动场馆面积（≥ 7.5）"
    rows = {r[1]: r for r in primary[1:]}
    first = rows["2164000232"]
    assert first[0] == "贺兰县第一小学"
    assert first[6] == "6.80 ✗"  # BAL-05 below 7.5
    assert first[7] == "3,442 ✓"
    assert first[9] == "✓ 达标"  # BAL-08: 6 of 7 met, the seventh ≥ 85 %
    assert rows["2164000783"][9] == "不纳入评估"  # teaching point under 50 students
    junior = tables["resource-junior"]
    assert junior[0][2] == "每百名学生拥有高于规定学历教师数（≥ 5.3）"
    assert len(junior) - 1 == 12 and len(primary) - 1 == 24

    summary = {r[1]: r for r in tables["resource-summary"][1:]}
    assert summary["BAL-05"][2:] == ["≥ 7.5", "22 / 23", "≥ 10.2", "12 / 12"]
    assert summary["BAL-08"][3] == "23 / 23"


def test_html_cv_and_guarantee(helan):
    tables = _parse(render_html(helan)).tables
    cv = {r[1]: r for r in tables["cv"][1:]}
    assert cv["BAL-16"][0] == "生均教学仪器设备值"
    assert cv["BAL-16"][5:] == ["0.5221 ✗", "≤ 0.45", "✗ 未达标"]
    assert cv["BAL-16"][2:5] == ["0.1349 ✓", "≤ 0.5", "✓ 达标"]
    gov = {r[1]: r for r in tables["guarantee"][1:]}
    assert gov["BAL-21"][2] == "35 / 36 所（学段）达标" and gov["BAL-21"][4] == "✗ 未达标"
    assert gov["BAL-25"][2:] == ["11.20% ✓", "≥ 10%", "✓ 达标"]
    assert [r[0] for r in tables["guarantee-schools"][1:]] == ["贺兰县第三小学", "立岗镇兰光小学"]
    quality = {r[1]: r for r in tables["quality"][1:]}
    assert quality["BAL-31"][2] == "97.45% ✓"
    assert quality["BAL-41"][2] == "93.72% ✓"


def test_conclusion_in_plain_chinese(helan):
    text = conclusion(helan)
    assert text[0].startswith("自查结论：按本次填报数据，贺兰县义务教育优质均衡发展核心指标尚未全部达到标准")
    assert "1 项校际差异系数超标" in text[0]
    assert "2 项政府保障程度指标未达标" in text[0]
    joined = "\n".join(text)
    assert "初中生均教学仪器设备值差异系数 0.5221（标准 ≤ 0.45）" in joined
    assert "贺兰县第一小学（小学）生均体育运动场馆面积 6.80 平方米（标准 ≥ 7.5）" in joined


def test_all_met_and_missing_rules_are_said():
    passing = [
        f.model_copy(update={"outcome": Outcome.passed})
        for f in helan_bal_findings()
        if f.rule_id != "BAL-27"
    ]
    text = conclusion(selfcheck(make_report(passing)))
    assert "已检查的义务教育优质均衡发展核心指标均达到标准" in text[0]
    assert any("BAL-27" in t and "未包含" in t for t in text)

    nothing = conclusion(selfcheck(make_report([finding("PRE-01", "640122", "pass")])))
    assert "无法形成自查结论" in nothing[0]
    assert sorted(selfcheck(make_report([])).missing) == sorted(
        layout_from_ruleset(helan_ruleset()).all_rules
    )


def test_untrusted_text_is_escaped():
    evil = Subject(type="school", id="2164000001/primary", name='<script>alert(1)</script>"=1+1')
    report = make_report([finding("BAL-01", evil, "fail", observed=3.0, value=4.2)])
    html = render_html(selfcheck(report))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;=1+1" in html


def test_xlsx_content_and_no_formulas(helan):
    evil = Subject(type="school", id="2164000001/junior", name='=HYPERLINK("http://x","点我")')
    report = helan_bal_report(
        extra=[finding("BAL-01", evil, "fail", observed=1.0, value=5.3, message="+cmd|' /C calc'!A0")]
    )
    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx(selfcheck(report))))
    assert wb.sheetnames == ["核心指标自查报告", "小学资源配置", "初中资源配置", "指标明细"]
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [str(c.value) for c in cells]
    ws = wb["核心指标自查报告"]
    assert ws["A1"].value == TITLE
    assert '=HYPERLINK("http://x","点我")' in texts
    assert "+cmd|' /C calc'!A0" in texts
    # values are numbers, shown rounded with their mark by the number format
    numbers = {
        (c.value, c.number_format)
        for ws in wb.worksheets[:1]
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, float)
    }
    assert any(abs(v - 6.8) < 1e-9 and fmt == '#,##0.00" ✗"' for v, fmt in numbers)
    assert any(abs(v - 0.5221) < 1e-4 and fmt == '#,##0.0000" ✗"' for v, fmt in numbers)
    assert not [t for t in texts if t.endswith((" ✓", " ✗")) and t[0].isdigit()]
    assert any(t.startswith("自查结论：") for t in texts)
    assert "填报单位（盖章）：" in texts
    detail = wb["指标明细"]
    assert [c.value for c in detail[1]] == [
        "规则",
        "指标",
        "对象代码",
        "对象名称",
        "数值",
        "要求",
        "标准值",
        "单位",
        "结论",
        "说明",
    ]
    assert detail.freeze_panes == "A2" and wb["小学资源配置"].freeze_panes == "A2"
    numbers = [r[4] for r in detail.iter_rows(min_row=2, values_only=True) if r[0] == "BAL-16"]
    assert any(isinstance(v, float) and abs(v - 0.5221) < 1e-4 for v in numbers)


def test_every_schools_values_come_from_the_store_not_from_pass_findings(monkeypatch):
    """The passes are read as columns of ``report.frame()``: no ``Finding`` per school."""
    from supervise_rules.report import Report

    report = helan_bal_report()
    expected = render_html(selfcheck(report))

    def no_objects(self):
        raise AssertionError("the self-check made a Finding for every finding (report.findings)")

    monkeypatch.setattr(Report, "findings", property(no_objects))
    sc = selfcheck(report)
    assert render_html(sc) == expected
    assert render_xlsx(sc)
    first = next(row for row in sc.sections["primary"] if row.school_id == "2164000232")
    assert first.findings["BAL-06"].outcome is Outcome.passed  # a pass, read from the frame
    assert first.findings["BAL-06"].observed == pytest.approx(3442, abs=1)


def test_waived_and_error_values_keep_their_status():
    from supervise_rules.models import Waiver

    school = Subject(type="school", id="2164000303/primary", name="贺兰县第三小学")
    waived = finding("BAL-21", school, "fail", observed=52, op="<=", value=45).model_copy(
        update={"waiver": Waiver(reason="r", approved_by="a", expires=dt.date(2025, 1, 1))}
    )
    report = make_report([waived, finding("BAL-01", school, "error")])
    sc = selfcheck(report)
    [value] = sc.school_rules["BAL-21"]
    assert value.is_waived and value.observed == 52 and value.required == ("<=", 45)
    assert [f.rule_id for f in sc.errors] == ["BAL-01"]


def test_cli_from_a_json_report(tmp_path, capsys):
    report = tmp_path / "report.json"
    report.write_text(helan_bal_report().to_json(include_passes=True), encoding="utf-8")
    assert main(["report", "selfcheck", str(report)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!DOCTYPE html>") and TITLE in out
    assert "不完整" not in out
    assert "22 / 23" in out  # the passing schools are counted: they are in the document

    xlsx = tmp_path / "自查报告.xlsx"
    assert main(["report", "selfcheck", str(report), "--output", str(xlsx)]) == 0
    assert openpyxl.load_workbook(xlsx)["核心指标自查报告"]["A1"].value == TITLE

    assert main(["report", "selfcheck", str(report), "--format", "xlsx"]) == 2
    assert "give --output FILE" in capsys.readouterr().err


def test_cli_from_a_submission(tmp_path, examples, capsys):
    out = tmp_path / "selfcheck.html"
    assert main(["report", "selfcheck", str(examples / "helan-2024"), "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert TITLE in html
    assert "六、自查结论" in html
    assert capsys.readouterr().err == ""  # no progress or noise when stderr is not a terminal


def test_a_report_without_its_passes_is_said_to_be_incomplete(tmp_path, capsys):
    """A JSON report written without --include-passes holds the failures only: the
    self-check must not count the schools it cannot see as failing or missing."""
    report = tmp_path / "report.json"
    report.write_text(helan_bal_report().to_json(), encoding="utf-8")
    assert main(["report", "selfcheck", str(report)]) == 0
    out = capsys.readouterr().out
    assert "检查结果未列出通过项" in out and "--include-passes" in out
    assert "自查结论：所依据的检查结果不完整（未列出通过项），无法形成自查结论。" in out
    assert "尚未全部达到标准" not in out


def test_cli_bad_report_document(tmp_path, capsys):
    bad = tmp_path / "r.json"
    bad.write_text(json.dumps({"schema_version": "1", "findings": [{"rule_id": 1}]}), encoding="utf-8")
    assert main(["report", "selfcheck", str(bad)]) == 2
    assert "not a valid findings report" in capsys.readouterr().err


# --- issue 15, item 4: the self-check an office can send ------------------------------------


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&lt;", "<").replace("&gt;", ">").split())


@pytest.fixture(scope="module")
def helan_html(tmp_path_factory):
    helan = Path(__file__).resolve().parents[1] / "examples" / "helan-2024"
    out = tmp_path_factory.mktemp("sc") / "selfcheck.html"
    assert main(["report", "selfcheck", str(helan), "-o", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def test_an_excluded_teaching_point_is_listed_with_its_reason(helan_html):
    """The 38-student teaching point gets no resource finding (the rules' ``where``):
    it is still a row of the table, marked 不纳入评估, with the reason."""
    rows = {r[1]: r for r in _parse(helan_html).tables["resource-primary"][1:]}
    row = rows["2164000783"]
    assert row[0] == "洪广镇金山教学点"
    assert row[9] == "不纳入评估"
    assert row[10].startswith("全校在校生 38 人，不在资源配置指标的评估范围")
    assert "学校类型 为 教学点 且 在校生数 < 50" in row[10]
    assert "另有 1 个不纳入评估" in _text(helan_html)
    assert "不纳入评估的学校（学段）1 个：洪广镇金山教学点（小学" in _text(helan_html)


def test_every_failure_in_the_conclusion_has_figure_unit_and_standard(helan_html):
    text = _text(helan_html)
    assert "贺兰县第一小学（小学）生均体育运动场馆面积 6.80 平方米（标准 ≥ 7.5）" in text
    assert "初中生均教学仪器设备值差异系数 0.5221（标准 ≤ 0.45）" in text
    assert "班额（贺兰县第三小学（小学）52 人，标准 ≤ 45）" in text
    assert "音乐、美术专用教室（立岗镇兰光小学（小学）0 间，标准 ≥ 1）" in text
    assert "初中三年巩固率 97.45%（标准 ≥ 95%），达标" in text


def test_no_local_path_the_data_source_is_the_submissions_own_description(helan_html, examples):
    assert "examples/helan-2024" not in helan_html and str(examples) not in helan_html
    basic = {r[0]: r[1] for r in _parse(helan_html).tables["basic"][1:]}
    assert basic["数据来源"] == (
        "贺兰县 2024 年义务教育学校填报数据（截至 2024 年 9 月 30 日），"
        "11 个数据文件（见下表，按 SHA-256 核对）"
    )


def test_standards_come_from_the_ruleset_in_use(tmp_path, examples, capsys):
    """A county that raises a threshold and the school pass rule sees its own
    standards in the tables, the headers and the text: none is a copy in code."""
    ruleset = tmp_path / "stricter.yaml"
    ruleset.write_text(
        "id: stricter\nversion: '1'\ntitle: {zh: 更严, en: Stricter}\nextends: [helan-2024]\n"
        "overrides:\n"
        "  BAL-05:\n    params: {threshold: {by: level, values: {primary: 8.5, junior: 11}}}\n"
        "  BAL-08:\n    params: {min_met: 7, floor: 0.9}\n"
        "  BAL-21:\n    params: {threshold: {by: level, values: {primary: 40, junior: 45}}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "sc.html"
    assert (
        main(["report", "selfcheck", str(examples / "helan-2024"), "--ruleset", str(ruleset), "-o", str(out)])
        == 0
    )
    html = out.read_text(encoding="utf-8")
    tables = _parse(html).tables
    assert tables["resource-primary"][0][6] == "生均体育运动场馆面积（≥ 8.5）"
    summary = {r[1]: r for r in tables["resource-summary"][1:]}
    assert summary["BAL-05"][2] == "≥ 8.5" and summary["BAL-05"][4] == "≥ 11"
    assert summary["BAL-08"][0] == "学校资源配置达标（至少 7 项达标，其余不低于标准的 90%）"
    gov = {r[1]: r for r in tables["guarantee"][1:]}
    assert gov["BAL-21"][3] == "小学 ≤ 40 人，初中 ≤ 45 人"
    assert gov["BAL-22"][3] == "≤ 2,000 人（九年一贯制、十二年一贯制 ≤ 2,500 人）"


def test_a_ruleset_without_self_check_rules_is_a_clear_error(tmp_path, examples, capsys):
    """The rule ids and standards come only from the ruleset: one that tags no
    rule self-check cannot make the 自查报告, and says what it lacks (exit 2)."""
    school = Subject(type="school", id="2164000001/primary", name="某小学")
    report = make_report([finding("BAL-05", school, "fail", observed=6.0)])
    bare = load_ruleset("national/data-quality")
    with pytest.raises(
        SelfCheckError, match=r"national/data-quality has no rule .*\[self-check, resources\]"
    ):
        build_selfcheck(report, bare)
    out = tmp_path / "sc.html"
    code = main(
        [
            "report",
            "selfcheck",
            str(examples / "helan-2024"),
            "--ruleset",
            "national/data-quality",
            "-o",
            str(out),
        ]
    )
    assert code == 2 and not out.exists()
    assert "[self-check, resources]" in capsys.readouterr().err


def test_a_report_of_a_ruleset_not_at_hand_is_a_clear_error(tmp_path, capsys):
    """A JSON report of another version of its ruleset: the standards are not
    guessed (no catalogue in code), the user is told to give the ruleset file."""
    report = make_report([finding("PRE-01", "640122", "pass")])
    data = json.loads(report.to_json_bytes())
    data["ruleset"]["version"] = "1999.1"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    from supervise_rules import Report, get_plugin_host

    with pytest.raises(SelfCheckError, match=r"helan-2024 1999\.1, but helan-2024 .* is installed; give"):
        ruleset_for(Report.model_validate(data), host=get_plugin_host())
    assert main(["report", "selfcheck", str(path), "-o", str(tmp_path / "sc.html")]) == 2
    assert "--ruleset" in capsys.readouterr().err


def test_data_quality_failures_are_counted_by_the_rulesets_tag():
    """数据真实性: the failures of the rules the ruleset tags data-quality, named by id."""
    bad = finding("CON-02", "640122", "fail")
    sc = selfcheck(helan_bal_report(extra=[bad, finding("PRE-01", "640122", "fail")]))
    assert [f.rule_id for f in sc.other_failures] == ["CON-02"]
    assert any("数据真实性、有效性核查（CON-02）发现 1 处问题" in t for t in conclusion(sc))


def test_xlsx_is_byte_identical_between_two_runs(tmp_path, examples):
    """The workbook's creation date is the data's as_of, not the wall clock."""
    import time
    import zipfile

    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert main(["report", "selfcheck", str(examples / "helan-2024"), "-o", str(first)]) == 0
    time.sleep(1.1)  # a wall-clock date would change between the two
    assert main(["report", "selfcheck", str(examples / "helan-2024"), "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    core = zipfile.ZipFile(first).read("docProps/core.xml").decode()
    assert "2024-09-30T00:00:00Z" in core
