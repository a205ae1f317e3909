"""Subjects of a plugin's table in notices, waivers and the baseline (issue 13, item 2).

A 课后服务 plugin declares a table whose subject is one record (``record_id``),
named by ``service_name`` and belonging to the school in ``school_id``. Through
the CLI: its failures go to that school's 督办单 (named from ``schools``), the
record named in the 对象 column, never a notice addressed to a record; a waiver
and a baseline match the records by their id.
"""

from __future__ import annotations

import json
import sys
import textwrap
import types

import pytest
from pydantic import BaseModel, ConfigDict

import supervise_rules as sr
from supervise_rules.cli import main

PLUGIN = "after_school_test_plugin"


class ServiceRow(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    record_id: str = sr.col("记录编号", "str", key=True)
    school_id: str = sr.col("学校标识码", "str")
    service_name: str = sr.col("服务项目", "str")
    participation: float = sr.col("参与率", "float", unit="ratio", min=0, max=1)


def _plugin() -> types.ModuleType:
    module = types.ModuleType(PLUGIN)

    def register_tables():
        # the unit column is not a subject column: the school is known only from the row
        return [
            sr.table_spec(
                "after_school",
                "课后服务",
                ServiceRow,
                "school",
                name_column="service_name",
                unit_column="school_id",
            )
        ]

    module.register_tables = sr.hookimpl(register_tables)
    return module


RULESET = """\
id: after-school
version: '1'
title: {zh: 课后服务, en: After-school services}
rules:
  - id: AS-01
    title: {zh: 课后服务参与率, en: After-school participation}
    severity: major
    source: test
    certainty: V
    validator: metric
    params: {table: after_school, value: participation, op: ">=", threshold: 0.5, unit: ratio}
    message: {zh: "{subject_name} 参与率 {observed:.0%}，{verdict}", en: "{subject_name}: {observed:.0%}"}
    docs: {checks: c, why: w, example: e}
"""

SCHOOLS = [
    {"学校标识码": "2164000232", "学校名称": "贺兰县第一小学"},
    {"学校标识码": "2164000303", "学校名称": "贺兰县第三小学"},
]


def _submission(path, participation):
    rows = [
        {"记录编号": rid, "学校标识码": school, "服务项目": name, "参与率": rate}
        for (rid, school, name), rate in zip(
            [
                ("KF-001", "2164000232", "篮球社团"),
                ("KF-002", "2164000232", "书法兴趣班"),
                ("KF-003", "2164000303", "作业辅导"),
            ],
            participation,
            strict=True,
        )
    ]
    document = {
        "manifest": {"county_code": "640122", "county_name": "贺兰县", "year": 2024, "as_of": "2024-09-30"},
        "schools": SCHOOLS,
        "课后服务": rows,
    }
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, PLUGIN, _plugin())
    ruleset = tmp_path / "after-school.yaml"
    ruleset.write_text(RULESET, encoding="utf-8")
    return tmp_path, ["--ruleset", str(ruleset), "--plugin", PLUGIN]


def _notices(out, *args):
    code = main(["notices", *args, "--output-dir", str(out), "--format", "markdown"])
    assert code == 0
    return {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.suffix == ".md"}


def test_a_plugin_subject_goes_to_the_school_its_unit_column_names(setup, capsys):
    tmp, opts = setup
    data = _submission(tmp / "data.json", [0.2, 0.3, 0.1])
    docs = _notices(tmp / "n", str(data), *opts)
    # one notice per school, not per record; named from the schools table
    assert sorted(docs) == ["2164000232.md", "2164000303.md", "index.md", "office.md"]
    first = docs["2164000232.md"]
    assert "| 受文单位 | 贺兰县第一小学（学校代码 2164000232） |" in first
    assert "**贺兰县第一小学：**" in first
    # each problem names the record by the table's name column
    assert "| 1 | 课后服务参与率（AS-01） | 篮球社团 |" in first
    assert "| 2 | 课后服务参与率（AS-01） | 书法兴趣班 |" in first
    assert "作业辅导" not in first and "作业辅导" in docs["2164000303.md"]
    assert "KF-001" not in docs["index.md"]  # no record is a unit
    assert "AS-01" not in docs["office.md"]  # none left for the office


def test_from_a_json_report_with_its_submission(setup):
    tmp, opts = setup
    data = _submission(tmp / "data.json", [0.2, 0.9, 0.1])
    report = tmp / "report.json"
    assert main([str(data), *opts, "--format", "json", "--output", str(report)]) == 1
    docs = _notices(tmp / "n", str(report), "--submission", str(data), "--plugin", PLUGIN)
    assert "| 受文单位 | 贺兰县第一小学（学校代码 2164000232） |" in docs["2164000232.md"]
    assert "篮球社团" in docs["2164000232.md"] and "书法兴趣班" not in docs["2164000232.md"]


def test_a_waiver_matches_a_plugin_subject_by_its_id(setup):
    tmp, opts = setup
    data = _submission(tmp / "data.json", [0.2, 0.3, 0.1])
    waivers = tmp / "waivers.yaml"
    waivers.write_text(
        textwrap.dedent("""\
        waivers:
          - rule: AS-01
            subject: KF-003
            reason: 作业辅导 2024 年秋季学期刚开设
            approved_by: 贺兰县教育体育局
            expires: 2025-03-01
        """),
        encoding="utf-8",
    )
    docs = _notices(tmp / "n", str(data), *opts, "--waivers", str(waivers), "--today", "2024-10-01")
    assert "2164000303.md" not in docs  # its only problem is waived
    assert "篮球社团" in docs["2164000232.md"]

    report = tmp / "report.json"
    main(
        [
            str(data),
            *opts,
            "--waivers",
            str(waivers),
            "--today",
            "2024-10-01",
            "--format",
            "json",
            "--output",
            str(report),
        ]
    )
    waived = {
        f["subject"]["id"]: f.get("waiver", {}).get("status")
        for f in json.loads(report.read_text(encoding="utf-8"))["findings"]
        if f["rule_id"] == "AS-01"
    }
    assert waived == {"KF-001": None, "KF-002": None, "KF-003": "active"}


def test_the_baseline_matches_plugin_subjects_by_their_id(setup):
    tmp, opts = setup
    before = tmp / "before.json"
    first = _submission(tmp / "first.json", [0.2, 0.3, 0.1])
    assert main([str(first), *opts, "--format", "json", "--output", str(before)]) == 1
    # the next round: 书法兴趣班 fixed, the others still failing
    second = _submission(tmp / "second.json", [0.2, 0.8, 0.1])
    docs = _notices(tmp / "n", str(second), *opts, "--baseline", str(before))
    school = docs["2164000232.md"]
    assert "【二次督办】" in school and "| 1 | 课后服务参与率（AS-01） | 篮球社团 |" in school
    assert "书法兴趣班" not in school

    now = tmp / "now.json"
    main([str(second), *opts, "--baseline", str(before), "--format", "json", "--output", str(now)])
    report = json.loads(now.read_text(encoding="utf-8"))
    states = {f["subject"]["id"]: f.get("baseline") for f in report["findings"] if f["rule_id"] == "AS-01"}
    assert states == {"KF-001": "persisting", "KF-003": "persisting"}
    assert [f["subject"]["id"] for f in report["baseline"]["fixed_findings"]] == ["KF-002"]


def test_the_library_routes_with_the_plugin_host(tmp_path):
    from supervise_rules.notices import Routes, collect_notices

    host = sr.get_plugin_host([_plugin()], entry_points=False)
    ruleset = tmp_path / "after-school.yaml"
    ruleset.write_text(RULESET, encoding="utf-8")
    submission = sr.load_submission(_submission(tmp_path / "data.json", [0.2, 0.9, 0.1]), host=host)
    report = sr.check(submission, sr.load_ruleset(ruleset, host=host), host=host)
    notices = collect_notices(report, Routes.from_submission(submission, host=host))
    assert [(n.unit_id, n.name, [f.subject.id for f in n.findings]) for n in notices] == [
        ("2164000232", "贺兰县第一小学", ["KF-001"]),
        ("2164000303", "贺兰县第三小学", ["KF-003"]),
    ]
    assert notices[0].targets == {("after_school", "KF-001"): "篮球社团"}


def test_a_record_without_its_school_goes_to_the_office_list(setup):
    tmp, opts = setup
    data = _submission(tmp / "data.json", [0.2, 0.9, 0.1])
    document = json.loads(data.read_text(encoding="utf-8"))
    document["课后服务"][2]["学校标识码"] = ""
    data.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    docs = _notices(tmp / "n", str(data), *opts)
    assert sorted(docs) == ["2164000232.md", "index.md", "office.md"]  # no notice to "KF-003"
    assert "作业辅导" in docs["office.md"] and "AS-01" in docs["office.md"]
