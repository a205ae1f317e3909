"""``supervise-check template``: the blank workbook, and the round trip: filled in
by a clerk (openpyxl here), it reads back as a clean submission."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from supervise_rules.cli import main
from supervise_rules.tables import CORE_TABLES, MANIFEST
from supervise_rules.template import plan, ruleset_tables

openpyxl = pytest.importorskip("openpyxl")


def run(*argv: str) -> int:
    return main(list(argv))


@pytest.fixture(scope="module")
def load():
    import supervise_rules as sr

    host = sr.get_plugin_host(entry_points=False)
    return lambda source: sr.load_submission(source, host=host)


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "模板.xlsx"
    assert run("template", "-o", str(path)) == 0
    return path


def _book(path: Path):
    return openpyxl.load_workbook(path)


def test_sheets_are_the_manifest_then_every_core_table(blank):
    book = _book(blank)
    assert book.sheetnames == [MANIFEST.zh, *(t.zh for t in CORE_TABLES.values())]
    assert all(ws.sheet_state == "visible" for ws in book.worksheets)


def test_manifest_sheet_has_one_blank_row_per_key(blank):
    sheet = _book(blank)[MANIFEST.zh]
    rows = list(sheet.iter_rows(min_row=2, max_row=1 + len(MANIFEST.columns), values_only=True))
    assert [r[0] for r in rows] == [c.zh for c in MANIFEST.columns.values()]
    assert all(r[1] is None for r in rows)  # nothing the county must fill is pre-filled
    as_of = rows[list(MANIFEST.columns).index("as_of")]
    assert "as_of" in as_of[2] and "截止" in as_of[2]


def test_headers_carry_their_units_and_a_note(blank):
    sheet = _book(blank)["学校"]
    headers = [c.value for c in sheet[1]]
    assert headers[:2] == ["学校标识码", "学校名称"]
    assert "在校生数（人）" in headers
    assert "教学仪器设备值（元）" in headers
    assert "教学及辅助用房面积（平方米）" in headers
    assert "音乐专用教室数（间）" in headers
    assert sheet.freeze_panes == "A2"
    spec = CORE_TABLES["schools"]
    for cell, column in zip(sheet[1], spec.columns.values(), strict=True):
        note = cell.comment.text
        assert column.name in note and "类型" in note and "必填" in note
    level = sheet.cell(1, list(spec.columns).index("level") + 1).comment.text
    assert "小学（primary）" in level and "必填：是" in level
    students = sheet.cell(1, list(spec.columns).index("students") + 1).comment.text
    assert "单位：人 (persons)" in students
    assert sheet.column_dimensions["A"].width >= 10
    hours = _book(blank)["督学"]
    assert "年度培训学时（学时）" in [c.value for c in hours[1]]


def test_enum_and_bool_columns_have_drop_down_lists(blank):
    book = _book(blank)

    def lists(sheet):
        return {
            str(dv.sqref).split(":")[0]: dv.formula1
            for dv in sheet.data_validations.dataValidation
            if dv.type == "list"
        }

    schools = lists(book["学校"])
    assert schools == {
        "E2": '"小学,初中"',
        "F2": '"独立设置,九年一贯制,十二年一贯制,教学点"',
        "G2": '"公办,民办"',
    }
    kindergartens = lists(book["幼儿园"])
    assert '"是,否"' in kindergartens.values() and '"公办,民办"' in kindergartens.values()


def test_the_same_template_gives_the_same_bytes(blank, tmp_path):
    again = tmp_path / "again.xlsx"
    assert run("template", "-o", str(again)) == 0
    assert again.read_bytes() == blank.read_bytes()


def test_blank_template_reads_without_read_findings(blank, load):
    sub = load(blank)
    assert sub.problems == []
    assert set(sub.tables) == set(CORE_TABLES)
    assert all(t.frame.height == 0 for t in sub.tables.values())


# --- the round trip ---------------------------------------------------------------------------

SCHOOLS = [
    # 学校标识码, 名称, 学段, 类型, 性质, 在校生, 班级, 最大班额, 专任, 高学历, 骨干, 体艺, 持证,
    # 教辅用房, 运动场馆, 设备值, 多媒体, 音乐, 美术
    (
        "2164000232",
        "贺兰县第一小学",
        "小学",
        "独立设置",
        "公办",
        1862,
        44,
        45,
        104,
        94,
        33,
        23,
        104,
        10635.7,
        12661.6,
        6409000,
        46,
        5,
        5,
    ),
    (
        "2164000301",
        "金贵镇中心学校",
        "小学",
        "九年一贯制",
        "公办",
        620,
        18,
        40,
        41,
        38,
        9,
        8,
        41,
        4100.5,
        6800,
        2100000,
        18,
        2,
        2,
    ),
    (
        "2164000301",
        "金贵镇中心学校",
        "初中",
        "九年一贯制",
        "公办",
        410,
        10,
        45,
        36,
        33,
        7,
        6,
        36,
        3900,
        5200,
        2460000,
        11,
        1,
        1,
    ),
]
SCHOOL_COLUMNS = [
    "school_id",
    "school_name",
    "level",
    "school_type",
    "ownership",
    "students",
    "classes",
    "largest_class_size",
    "full_time_teachers",
    "teachers_above_required_degree",
    "key_teachers",
    "pe_art_teachers",
    "certified_teachers",
    "teaching_aux_area_m2",
    "sports_area_m2",
    "equipment_value_yuan",
    "multimedia_classrooms",
    "music_rooms",
    "art_rooms",
]
KINDERGARTENS = [
    # 标识码, 名称, 性质, 普惠, 在园幼儿, 班级, 最大班额, 教职工, 专任, 保育员, 持证
    ("KG001", "贺兰县第一幼儿园", "公办", "是", 320, 10, 35, 42, 22, 10, 22),
    ("KG002", "贺兰县阳光幼儿园", "民办", "否", 150, 6, 30, 18, 9, 5, 8),
]
KG_COLUMNS = [
    "kindergarten_id",
    "kindergarten_name",
    "ownership",
    "inclusive",
    "children",
    "classes",
    "largest_class_size",
    "staff",
    "full_time_teachers",
    "caregivers",
    "certified_teachers",
]


def _fill(blank: Path, out: Path) -> None:
    book = _book(blank)
    manifest = book[MANIFEST.zh]
    values = {
        "区县代码": "640122",
        "区县名称": "贺兰县",
        "年度": 2024,
        "统计截止日期": dt.datetime(2024, 9, 30),
        "填报单位": "贺兰县教育督导室",
    }
    for row in manifest.iter_rows(min_row=2):
        if row[0].value in values:
            row[1].value = values[row[0].value]

    def put(sheet_name: str, table: str, columns: list[str], rows: list[tuple]) -> None:
        sheet = book[sheet_name]
        spec = CORE_TABLES[table]
        position = {name: j + 1 for j, name in enumerate(spec.columns)}
        for i, values in enumerate(rows, start=2):
            for name, value in zip(columns, values, strict=True):
                sheet.cell(i, position[name]).value = value
            if "county_code" in position:
                sheet.cell(i, position["county_code"]).value = "640122"
            if "township" in position:
                sheet.cell(i, position["township"]).value = "习岗镇"

    put("学校", "schools", SCHOOL_COLUMNS, SCHOOLS)
    put("幼儿园", "kindergartens", KG_COLUMNS, KINDERGARTENS)
    county = book["县域概况"]
    for j, value in enumerate(
        ["640122", "贺兰县", 13896, 634, 71, 17, 121480, 119360, 2716, 2787, 2829, 0.9372], start=1
    ):
        county.cell(2, j).value = value
    book.save(out)


@pytest.fixture(scope="module")
def filled(blank, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("filled") / "贺兰县-已填.xlsx"
    _fill(blank, out)
    return out


def test_filled_template_is_a_clean_submission(filled, load):
    sub = load(filled)
    assert sub.problems == [], [p.message.zh for p in sub.problems]
    assert sub.manifest.county_code == "640122"
    assert sub.manifest.year == 2024
    assert sub.manifest.as_of == dt.date(2024, 9, 30)
    schools = sub.tables["schools"].frame
    assert schools.height == 3
    assert schools["level"].to_list() == ["primary", "primary", "junior"]
    assert schools["school_type"].to_list() == ["standalone", "nine_year", "nine_year"]
    assert schools["ownership"].to_list() == ["public"] * 3
    assert schools["students"].to_list() == [1862, 620, 410]
    assert schools["equipment_value_yuan"].to_list() == [6409000.0, 2100000.0, 2460000.0]
    assert schools["school_id"].to_list()[0] == "2164000232"
    kindergartens = sub.tables["kindergartens"].frame
    assert kindergartens["inclusive"].to_list() == [True, False]
    assert kindergartens["ownership"].to_list() == ["public", "private"]
    county = sub.tables["county"].frame
    assert county["social_recognition_rate"].to_list() == [pytest.approx(0.9372)]
    assert sub.tables["schools"].headers["students"] == "在校生数（人）"


def test_filled_template_checks_through_the_cli(filled, tmp_path):
    report = tmp_path / "report.json"
    assert run(str(filled), "--format", "json", "-o", str(report), "--fail-on", "never") == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    read = [f for f in data["findings"] if f["rule_id"].startswith("READ-")]
    assert read == [], [f["message"]["zh"] for f in read]
    assert data["summary"]["rules_run"] > 0
    ran = {r["rule_id"]: r["by_outcome"] for r in data["rules"]}
    # the school indicators were computed for the three sections, not skipped
    assert ran["BAL-01"]["pass"] + ran["BAL-01"]["fail"] == 3
    assert ran["PRE-03"]["error"] == 0 and ran["PRE-03"]["not_applicable"] == 0


# --- which tables ------------------------------------------------------------------------------


def test_ruleset_selects_only_the_tables_it_needs(tmp_path, capsys):
    out = tmp_path / "学前.xlsx"
    assert run("template", "-o", str(out), "--ruleset", "national/preschool-2020") == 0
    assert "national/preschool-2020" in capsys.readouterr().out
    book = _book(out)
    assert book.sheetnames == ["说明", "县域概况", "幼儿园", "幼儿园班级"]
    assert "national/preschool-2020" in " ".join(
        str(c.value) for row in book["说明"].iter_rows() for c in row if c.value
    )


def test_the_county_ruleset_needs_every_core_table():
    from supervise_rules import load_ruleset

    names, complete = ruleset_tables(load_ruleset("helan-2024"), CORE_TABLES)
    assert complete and names == list(CORE_TABLES)


def test_a_rule_naming_no_table_falls_back_to_every_core_table():
    rule = SimpleNamespace(params={"threshold": 3})
    named = SimpleNamespace(params={"count": {"table": "inspectors"}})
    ruleset = SimpleNamespace(id="x", rules=[named, rule])
    the_plan = plan(ruleset, CORE_TABLES)
    assert the_plan.fallback and [t.name for t in the_plan.tables] == list(CORE_TABLES)
    only = plan(SimpleNamespace(id="y", rules=[named]), CORE_TABLES)
    assert [t.name for t in only.tables] == ["inspectors"] and not only.fallback


# --- where it writes ---------------------------------------------------------------------------


def test_output_is_required(capsys):
    assert run("template") == 2
    assert "--output" in capsys.readouterr().err


def test_a_directory_is_refused(tmp_path, capsys):
    assert run("template", "-o", str(tmp_path)) == 2
    assert "directory" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_and_left_alone(tmp_path, capsys):
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    assert run("template", "-o", str(fifo)) == 2
    assert "not a regular file" in capsys.readouterr().err
    assert fifo.is_fifo()


def test_an_existing_file_is_replaced_and_a_symlink_kept(tmp_path):
    target = tmp_path / "old.xlsx"
    target.write_bytes(b"old")
    link = tmp_path / "link.xlsx"
    link.symlink_to(target)
    assert run("template", "-o", str(link)) == 0
    assert link.is_symlink()
    assert target.read_bytes().startswith(b"PK")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_plugin_ruleset_brings_its_plugin_table(tmp_path, monkeypatch):
    root = Path(__file__).resolve().parents[1]
    monkeypatch.syspath_prepend(str(root / "plugins" / "supervise-rules-double-reduction" / "src"))
    out = tmp_path / "双减.xlsx"
    assert (
        run(
            "template",
            "-o",
            str(out),
            "--plugin",
            "supervise_rules_double_reduction",
            "--ruleset",
            "double-reduction-2021",
        )
        == 0
    )
    book = _book(out)
    # its validator reads its table without naming it: every known table is included
    assert book.sheetnames == ["说明", *(t.zh for t in CORE_TABLES.values()), "作业时长调查"]
    headers = [c.value for c in book["作业时长调查"][1]]
    assert "日均书面作业时长(分钟)" in headers  # a header with its unit already is kept
