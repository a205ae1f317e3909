"""督办单: one file per school with failing findings, plus an index."""

from __future__ import annotations

import datetime as dt
import io

from loop_fixtures import finding, helan_bal_report, make_report
from rich.console import Console

from supervise_rules.cli import main
from supervise_rules.followup import rule_progress
from supervise_rules.models import Subject, Waiver
from supervise_rules.notices import collect_notices, safe_filename, write_notices

FAILING_SCHOOLS = ["2164000232", "2164000303", "2164000684"]  # BAL-05, BAL-21, BAL-23 in the example


def test_one_file_per_school_and_an_index(tmp_path):
    written = write_notices(helan_bal_report(), tmp_path, deadline=dt.date(2024, 12, 31))
    assert [p.name for p in written] == [f"{s}.html" for s in FAILING_SCHOOLS] + ["office.html", "index.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)

    third = (tmp_path / "2164000303.html").read_text(encoding="utf-8")
    assert "督 办 单" in third and "贺兰县第三小学" in third
    # the masthead: the issuing office in red above a red rule, the document number
    assert '<header class="masthead">' in third and '<div class="rule"></div>' in third
    assert '<div class="issuer">贺兰县人民政府教育督导室</div>' in third
    assert '<div class="docno">贺教督办〔2024〕2号</div>' in third
    assert "#c8102e" in third and "@page { size: A4" in third
    assert "班额（BAL-21）" in third
    assert ">52<" in third and "≤ 45" in third  # the figure and the requirement
    assert "《县域义务教育优质均衡发展督导评估办法》(教督〔2017〕6号)" in third  # the source
    assert "整改期限" in third and "2024 年 12 月 31 日" in third
    for part in (
        "整改措施",
        "完成时间",
        "责任人",
        "复查意见",
        "复查人",
        "督办单位（盖章）",
        "签发人",
        "受文单位签收人",
    ):
        assert part in third, part
    assert "http" not in third and "<script" not in third

    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for school in FAILING_SCHOOLS:
        assert f'href="{school}.html"' in index
    assert 'href="office.html"' in index
    assert "共发出督办单 3 份（其中学校 3 所），涉及问题 3 个" in index
    assert "贺教督办〔2024〕1号" in index and "约谈名单" in index


def test_markdown_and_blank_deadline(tmp_path):
    written = write_notices(helan_bal_report(), tmp_path, fmt="markdown")
    assert [p.suffix for p in written] == [".md"] * 5
    first = (tmp_path / "2164000232.md").read_text(encoding="utf-8")
    assert first.startswith("**贺兰县人民政府教育督导室**\n\n贺教督办〔2024〕1号\n\n---\n\n# 督 办 单\n")
    assert "| 1 | 生均体育运动场馆面积（BAL-05） | 小学 | 6.8 | ≥ 7.5 |" in first
    assert "前整改到位" in first and "**整改期限**" not in first
    assert "| 整改期限 |     年    月    日 |" in first
    index = (tmp_path / "index.md").read_text(encoding="utf-8")
    assert "[贺兰县第三小学](<2164000303.md>)" in index


def test_school_level_and_section_findings_share_a_notice():
    school = Subject(type="school", id="2164000584", name="金贵镇中心学校")
    primary = Subject(type="school", id="2164000584/primary", name="金贵镇中心学校")
    junior = Subject(type="school", id="2164000584/junior", name="金贵镇中心学校")
    county = Subject(type="county", id="640122", name="贺兰县")
    waived = finding("BAL-21", junior, "fail", observed=56, op="<=", value=50).model_copy(
        update={"waiver": Waiver(reason="r", approved_by="a", expires=dt.date(2025, 1, 1))}
    )
    report = make_report(
        [
            finding("INS-06", school, "fail", observed=2, op=">=", value=3),
            finding("BAL-01", primary, "error"),
            finding("BAL-02", primary, "pass", observed=1.5, value=1.0),
            finding("BAL-25", county, "fail", observed=0.05, value=0.1),
            waived,
        ]
    )
    [notice] = collect_notices(report)
    assert notice.school_id == "2164000584" and notice.name == "金贵镇中心学校"
    # the error (data to correct) is sent, the pass and the waived failure are not
    assert [(f.rule_id, f.subject.id) for f in notice.findings] == [
        ("BAL-01", "2164000584/primary"),
        ("INS-06", "2164000584"),
    ]


def test_notices_never_make_the_passes_into_objects(tmp_path, monkeypatch):
    from supervise_rules.report import Report

    report = helan_bal_report()
    expected = [
        (n.school_id, [(f.rule_id, f.subject.id) for f in n.findings]) for n in collect_notices(report)
    ]

    def no_objects(self):
        raise AssertionError("notices made a Finding for every finding (report.findings)")

    monkeypatch.setattr(Report, "findings", property(no_objects))
    assert [
        (n.school_id, [(f.rule_id, f.subject.id) for f in n.findings]) for n in collect_notices(report)
    ] == expected
    assert [s for s, _ in expected] == FAILING_SCHOOLS
    assert len(write_notices(report, tmp_path)) == len(FAILING_SCHOOLS) + 2


def test_notices_from_a_report_without_its_passes(tmp_path):
    """A JSON report lists the failures only by default: that is all notices need."""
    from supervise_rules import Report

    report = Report.model_validate_json(helan_bal_report().to_json())
    assert [n.school_id for n in collect_notices(report)] == FAILING_SCHOOLS


def test_file_names_are_safe(tmp_path):
    assert safe_filename("../../etc/passwd") == "etc_passwd"
    assert safe_filename("学校") == "school"
    report = make_report(
        [
            finding("BAL-21", Subject(type="school", id="../x/primary", name="甲"), "fail"),
            finding("BAL-21", Subject(type="school", id="..x/primary", name="乙"), "fail"),
            finding("BAL-21", Subject(type="school", id="x/junior", name="丙"), "fail"),
            finding("BAL-21", Subject(type="school", id="index", name="丁"), "fail"),
        ]
    )
    written = write_notices(report, tmp_path / "out")
    assert all(p.parent == tmp_path / "out" for p in written)
    assert sorted(p.name for p in written) == [
        "index-2.html",
        "index.html",
        "office.html",
        "school.html",
        "x-2.html",
        "x.html",
    ]


def test_cli_notices_with_baseline_say_what_persists(tmp_path, capsys):
    now = tmp_path / "now.json"
    now.write_text(helan_bal_report().to_json(), encoding="utf-8")
    before = make_report([finding("BAL-21", Subject(type="school", id="2164000303/primary"), "fail")])
    previous = tmp_path / "before.json"
    previous.write_text(before.to_json(), encoding="utf-8")

    out = tmp_path / "notices"
    code = main(
        [
            "notices",
            str(now),
            "--output-dir",
            str(out),
            "--baseline",
            str(previous),
            "--deadline",
            "2024-11-30",
            "--format",
            "markdown",
        ]
    )
    assert code == 0
    assert "3 notice(s)" in capsys.readouterr().out
    third = (out / "2164000303.md").read_text(encoding="utf-8")
    # raised in the baseline, still failing: a second notice, said in the masthead and the row
    assert "【二次督办】" in third and "二次督办（连续 2 轮）" in third
    assert "上一轮督导已经指出、至今仍未整改到位" in third
    assert "2024 年 11 月 30 日" in third
    first = (out / "2164000232.md").read_text(encoding="utf-8")
    assert "首次督办" in first and "二次督办" not in first.split("---")[0]
    assert "上一轮已指出、仍未整改的问题 1 个" in (out / "index.md").read_text(encoding="utf-8")

    assert main(["notices", str(now), "--output-dir", str(out), "--deadline", "soon"]) == 2


def test_cli_notices_from_a_submission(tmp_path, examples):
    out = tmp_path / "n"
    assert main(["notices", str(examples / "helan-2024"), "--output-dir", str(out)]) == 0
    assert (out / "index.html").is_file()


# --- progress (stderr only, and only on a terminal) ----------------------------------------


class _Rule:
    id = "BAL-01"

    class title:  # mimics LocalizedText
        zh = "每百名学生拥有高于规定学历教师数"


def test_progress_is_off_when_stderr_is_not_a_terminal():
    with rule_progress() as progress:  # pytest captures stderr: not a terminal
        assert progress is None


def test_progress_draws_on_stderr_when_enabled(monkeypatch):
    import supervise_rules.followup as followup

    buf = io.StringIO()
    monkeypatch.setattr(followup, "PROGRESS_DELAY", 0.0)
    monkeypatch.setattr("rich.console.Console", lambda **kw: Console(file=buf, force_terminal=True))
    with rule_progress(enabled=True) as progress:
        assert progress is not None
        for i in range(3):
            progress(_Rule, i, 3)
    assert "BAL-01" in buf.getvalue()


def test_every_subject_type_is_routed():
    from supervise_rules.notices import CaseRoute, Routes, route

    kg = Subject(type="kindergarten", id="8164000101", name="贺兰县第一幼儿园")
    kg_class = Subject(type="kindergarten", id="8164000102/大一班", name="大一班")
    township = Subject(type="county", id="洪广镇", name="洪广镇")
    county_level = Subject(type="county", id="640122/junior", name="贺兰县 初中")
    inspector = Subject(type="inspector", id="HLDX01", name="马志刚")
    routed_case = Subject(type="case", id="G1")
    township_case = Subject(type="case", id="G2")
    lost_case = Subject(type="case", id="G3")
    report = make_report(
        [
            finding("PRE-01", kg, "fail"),
            finding("PRE-02", kg_class, "fail"),
            finding("DRP-04", township, "fail"),
            finding("BAL-11", county_level, "fail"),
            finding("INS-02", inspector, "fail"),
            finding("DRP-06", routed_case, "fail"),
            finding("DRP-06", township_case, "fail"),
            finding("DRP-05", lost_case, "fail"),
            finding("READ-14", Subject(type="submission", id="README.md"), "fail"),
        ]
    )
    routes = Routes(
        cases={
            "G1": CaseRoute("2164000697", "洪广镇中心学校", "洪广镇"),
            "G2": CaseRoute(None, None, "常信乡"),
        },
        names={"8164000102": "贺兰县第二幼儿园"},
    )
    notices, office = route(report, routes)
    assert [(n.kind, n.unit_id, n.name, [f.subject.id for f in n.findings]) for n in notices] == [
        ("school", "2164000697", "洪广镇中心学校", ["G1"]),
        ("kindergarten", "8164000101", "贺兰县第一幼儿园", ["8164000101"]),
        ("kindergarten", "8164000102", "贺兰县第二幼儿园", ["8164000102/大一班"]),
        ("township", "常信乡", "常信乡", ["G2"]),
        ("township", "洪广镇", "洪广镇", ["洪广镇"]),
    ]
    assert sorted(f.subject.id for f in office.findings) == ["640122/junior", "G3", "HLDX01", "README.md"]
