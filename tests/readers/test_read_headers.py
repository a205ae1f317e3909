"""Headers and table names written differently from the contract (issue 10, item 2),
through the CLI on workbooks and CSV files made here: aliases are silent, variants
and close matches are read with a READ-09, ambiguous ones refused with READ-10, a
column a rule needs that is missing makes the rule an error, and a submission with
no table of the contract is a usage error (exit 2)."""

from __future__ import annotations

import json
import types

import pytest
from conftest import write_xlsx

import supervise_rules as sr
from supervise_rules.cli import main
from supervise_rules.readers.headers import resolve_headers, resolve_table
from supervise_rules.tables import CORE_TABLES, TABLES

MANIFEST = [["区县代码", "640122"], ["区县名称", "贺兰县"], ["年度", 2024], ["统计截止日期", "2024-09-30"]]


def school_rows(header: list[str], *rows: list) -> list[list]:
    return [header, *[list(r) for r in rows]]


#: two schools with their key columns; the tests add the columns they look at
KEYS = ["学校标识码", "学校名称", "区县代码", "学段", "学校类型"]
SCHOOL_1 = ["6401220001", "甲小学", "640122", "小学", "独立设置"]
SCHOOL_2 = ["6401220002", "乙中学", "640122", "初中", "独立设置"]


def check(capsys, path, *extra):
    """``supervise-check PATH --ruleset helan-2024 --format json``: (exit code, report, stderr)."""
    code = main([str(path), "--ruleset", "helan-2024", "--format", "json", *map(str, extra)])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def findings(report, rule_id):
    return [f for f in report["findings"] if f["rule_id"] == rule_id]


def messages(report, rule_id, lang="zh"):
    return [f["message"][lang] for f in findings(report, rule_id)]


def workbook(tmp_path, sheets, name="贺兰县2024.xlsx"):
    return write_xlsx(tmp_path / name, {"说明": MANIFEST, **sheets})


# --- step 3: variants ----------------------------------------------------------------------


def test_renshu_for_shu_and_a_unit_in_brackets_is_read_with_a_minor_finding(tmp_path, capsys):
    # CON-02: 县级以上骨干教师数 6 > 专任教师数 5 must fail, not vanish as not_applicable
    book = workbook(
        tmp_path,
        {
            "学校": school_rows(
                [*KEYS, "专任教师人数（人）", "县级以上骨干教师数"], [*SCHOOL_1, 5, 6], [*SCHOOL_2, 10, 2]
            )
        },
    )
    code, report, _ = check(capsys, book)
    assert code == 1
    (read09,) = findings(report, "READ-09")
    assert read09["severity"] == "minor" and read09["outcome"] == "fail"
    assert "「专任教师人数（人）」按「专任教师数」（full_time_teachers）读取" in read09["message"]["zh"]
    assert "'专任教师人数（人）' was read as '专任教师数' (full_time_teachers)" in read09["message"]["en"]
    evidence = read09["evidence"][0]
    assert (evidence["columns"], evidence["headers"], evidence["cells"]) == (
        ["full_time_teachers"],
        ["专任教师人数（人）"],
        ["F1"],
    )  # the header cell
    assert (evidence["file"], evidence["sheet"]) == ("贺兰县2024.xlsx", "学校")
    assert "工作表「学校」第 1 行表头（单元格 F1）" in read09["message"]["zh"]
    assert not findings(report, "READ-03")
    con02 = [f for f in findings(report, "CON-02") if f["outcome"] == "fail"]
    assert [(f["subject"]["id"], f["observed"], f["required"]["value"]) for f in con02] == [
        ("6401220001/primary", 6, 5)
    ]


@pytest.mark.parametrize(
    ("header", "reported"),
    [
        ("在校生数（人）", False),  # the contract's unit in brackets: exact
        ("在校生数(人)", False),
        ("在校生数[人]", False),
        ("在校生数【人】", False),
        ("在校生数（单位：人）", False),
        ("在校生数/人", False),
        ("*在校生数", False),  # a required-marker
        ("在校生数人", True),  # a unit straight after the name: a variant
        ("在校生人数", True),  # 人数 for 数
    ],
)
def test_unit_suffix_variants(folder, capsys, header, reported):
    folder.add("schools.csv", f"学校标识码,学段,{header}\n6401220001,小学,480\n")
    code, report, _ = check(capsys, folder.path, "--include-passes")
    assert code in (0, 1)
    (con01,) = [f for f in findings(report, "CON-01") if f["outcome"] == "pass"][:1]
    assert con01  # the table was read
    assert bool(findings(report, "READ-09")) is reported
    assert not findings(report, "READ-03") and not findings(report, "READ-11")
    sub = sr.load_submission(folder.path)
    assert sub.table("schools").frame["students"].to_list() == [480]


def test_traditional_characters_in_headers_and_sheet_names(tmp_path, capsys):
    book = workbook(
        tmp_path,
        {
            "學校": school_rows(
                ["學校標識碼", "學段", "學校類型", "在校生數", "體育運動場館面積"],
                ["6401220001", "小學", "standalone", 1000, 7000],
            )
        },
    )
    _, report, _ = check(capsys, book, "--include-passes")
    read09 = messages(report, "READ-09")
    assert any("「學校」按「学校」表（schools）读取" in m for m in read09)
    assert any("「體育運動場館面積」按「体育运动场馆面积」（sports_area_m2）读取" in m for m in read09)
    assert len(read09) == 6  # the sheet and its five headers
    (bal05,) = findings(report, "BAL-05")
    assert (bal05["outcome"], bal05["observed"]) == ("fail", 7.0)  # 小學 is 小学 (primary)


def test_a_manifest_sheet_in_traditional_characters(tmp_path):
    book = write_xlsx(
        tmp_path / "b.xlsx",
        {
            "說明": [["區縣代碼", "640122"], ["統計截止日期", "2024-09-30"]],
            "學校": [["學校標識碼", "學段"], ["6401220001", "初中"]],
        },
    )
    sub = sr.load_submission(book)
    assert (sub.manifest.county_code, str(sub.manifest.as_of)) == ("640122", "2024-09-30")
    assert "READ-06" not in {p.rule_id for p in sub.problems}


def test_a_close_header_is_read_with_a_minor_finding_and_a_far_one_is_unknown(folder, capsys):
    folder.add(
        "schools.csv",
        "学校标识码,学段,学校类型,在校生数,教学仪器设备价值,校长姓名\n"
        "6401220001,小学,独立设置,1000,1500000,张三\n",
    )
    _, report, _ = check(capsys, folder.path)
    (read09,) = messages(report, "READ-09")
    assert "「教学仪器设备价值」按「教学仪器设备值」（equipment_value_yuan）读取（名称与规范相近）" in read09
    (read03,) = messages(report, "READ-03")
    assert "「校长姓名」不是学校表" in read03
    (bal06,) = findings(report, "BAL-06")
    assert (bal06["outcome"], bal06["observed"]) == ("fail", 1500.0)


def test_an_alias_is_silent(folder, capsys):
    folder.add(
        "schools.csv",
        "学校（机构）标识码,学段,办学类型,学生数,教学仪器设备总值\n6401220001,初中,独立设置,100,300000\n",
    )
    _, report, _ = check(capsys, folder.path, "--include-passes")
    assert not [
        f for f in report["findings"] if f["rule_id"].startswith("READ-") and f["rule_id"] != "READ-06"
    ]
    (bal06,) = findings(report, "BAL-06")
    assert (bal06["outcome"], bal06["observed"]) == ("pass", 3000.0)


# --- table names ---------------------------------------------------------------------------


def test_sheet_named_school_basic_information(tmp_path, capsys):
    book = workbook(
        tmp_path,
        {
            "学校基本情况": school_rows(
                [*KEYS, "在校生数", "专任教师数", "持证专任教师数"], [*SCHOOL_1, 100, 5, 6]
            )
        },
    )
    _, report, _ = check(capsys, book)
    (read09,) = findings(report, "READ-09")
    assert "工作表「学校基本情况」：「学校基本情况」按「学校」表（schools）读取" in read09["message"]["zh"]
    assert "was read as table schools (学校)" in read09["message"]["en"]
    assert read09["evidence"][0]["table"] == "schools"
    assert [f["subject"]["id"] for f in findings(report, "CON-02") if f["outcome"] == "fail"] == [
        "6401220001/primary"
    ]


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("school.csv", "schools"),
        ("Schools.csv", None),  # the same name in another case: exact, silent
        ("kindergarten.csv", "kindergartens"),
        ("幼儿园基本情况.csv", "kindergartens"),
        ("贺兰县2024年督学名单.csv", "inspectors"),
        ("dropout-cases.csv", "dropout_cases"),
    ],
)
def test_file_names_written_differently(folder, capsys, name, table):
    header = {
        "schools": "学校标识码,学段",
        "kindergartens": "幼儿园标识码",
        "inspectors": "督学编号",
        "dropout_cases": "学籍号",
        None: "学校标识码,学段",
    }[table]
    folder.add(name, f"{header}\nX1{',小学' if ',' in header else ''}\n")
    code, report, _ = check(capsys, folder.path)
    assert code in (0, 1)
    read09 = findings(report, "READ-09")
    if table is None:
        assert read09 == []
    else:
        (f,) = read09
        assert f["evidence"][0]["table"] == table
        assert f"{name}：" in f["message"]["zh"] and f"（{table}）读取" in f["message"]["zh"]


def test_table_name_resolution_steps():
    assert resolve_table("学校").how == "exact"
    assert resolve_table("中小学校").how == "alias"
    assert (resolve_table("shools").table, resolve_table("shools").how) == ("schools", "close")
    assert resolve_table("Sheet1").table is None and not resolve_table("Sheet1").candidates
    assert resolve_table("学生").table is None  # two characters: no close match


# --- step 4 refused: READ-10 ---------------------------------------------------------------


def test_ambiguous_header_is_an_error_saying_did_you_mean(folder, capsys):
    folder.add("schools.csv", "学校标识码,学段,班级数,音乐美术专用教室数\n6401220001,小学,12,2\n")
    code, report, _ = check(capsys, folder.path)
    assert code == 1
    (read10,) = findings(report, "READ-10")
    assert (read10["severity"], read10["outcome"]) == ("major", "error")
    assert (
        "无法确定「音乐美术专用教室数」是哪个字段：是「音乐专用教室数」（music_rooms）还是"
        "「美术专用教室数」（art_rooms）？"
    ) in read10["message"]["zh"]
    assert (
        "did you mean '音乐专用教室数' (music_rooms) or '美术专用教室数' (art_rooms)?"
        in read10["message"]["en"]
    )
    assert not findings(report, "READ-03")  # said once, by READ-10
    # the column is not used: BAL-23 cannot be checked on data that was submitted
    (bal23,) = findings(report, "BAL-23")
    assert bal23["outcome"] == "error"
    assert "最接近的表头是「音乐美术专用教室数」" in bal23["message"]["zh"]


def test_two_headers_for_one_field_are_both_refused(folder, capsys):
    folder.add("schools.csv", "学校标识码,学段,专任教师人数,专任教师总数\n6401220001,小学,5,6\n")
    _, report, _ = check(capsys, folder.path)
    read10 = messages(report, "READ-10")
    assert len(read10) == 2
    assert "「专任教师人数」与「专任教师总数」都像「专任教师数」（full_time_teachers）" in read10[0]
    sub = sr.load_submission(folder.path)
    assert "full_time_teachers" not in sub.table("schools").frame.columns


def test_an_exact_header_wins_over_a_variant_of_it():
    spec = CORE_TABLES["schools"]
    found = resolve_headers(spec, ["专任教师人数", "专任教师数"])
    assert (found[0].column, found[1].column) == (None, "full_time_teachers")


def test_ambiguous_sheet_name_is_an_error(tmp_path, capsys):
    book = workbook(
        tmp_path,
        {
            "学校": school_rows([*KEYS], SCHOOL_1),
            "幼儿园班": [["幼儿园标识码", "班级名称"], ["K1", "小一班"]],
        },
    )
    _, report, _ = check(capsys, book)
    (read10,) = findings(report, "READ-10")
    assert (
        "无法确定「幼儿园班」是哪张表：是「幼儿园」（kindergartens）还是「幼儿园班级」"
        in read10["message"]["zh"]
    )
    assert not findings(report, "READ-05")


# --- a column a rule needs is missing --------------------------------------------------------


def test_missing_columns_make_the_rules_that_need_them_errors(folder, capsys):
    # the vanished failures: BAL-05, BAL-16, BAL-23, CON-02 need columns this file lacks
    folder.add(
        "schools.csv",
        "学校标识码,学校名称,区县代码,学段,学校类型,在校生数\n"
        "6401220001,甲小学,640122,小学,独立设置,1000\n"
        "6401220002,乙小学,640122,小学,独立设置,800\n",
    )
    code, report, _ = check(capsys, folder.path)
    assert code == 1
    for rule_id, column in [
        ("BAL-05", "sports_area_m2"),
        ("BAL-16", "equipment_value_yuan"),
        ("BAL-23", "music_rooms"),
        ("CON-02", "full_time_teachers"),
    ]:
        (f,) = findings(report, rule_id)
        assert f["outcome"] == "error", rule_id
        assert column in f["message"]["en"], rule_id
    # a table that is absent altogether stays not applicable
    (pre01,) = findings(report, "PRE-01")
    assert pre01["outcome"] == "not_applicable"


# --- nothing recognised: a usage error -------------------------------------------------------


def test_a_folder_whose_tables_are_all_unrecognised_exits_2(folder, capsys):
    folder.add("名单.csv", "序号,名称\n1,甲\n")
    write_xlsx(folder.path / "汇总.xlsx", {"Sheet1": [["a", "b"], [1, 2]]})
    code, report, err = check(capsys, folder.path)
    assert code == 2 and report is None
    assert "no table of the data contract was recognised" in err
    assert "名单.csv" in err and "汇总.xlsx, sheet 'Sheet1'" in err and "submission.yaml" in err
    assert "schools (学校)" in err and "kindergartens (幼儿园)" in err


def test_a_manifest_alone_exits_2(folder, capsys):
    code, _, err = check(capsys, folder.path)
    assert code == 2 and "only the manifest (submission.yaml)" in err


def test_a_workbook_without_a_contract_sheet_exits_2(tmp_path, capsys):
    book = workbook(tmp_path, {"Sheet2": [["x"], [1]]})
    code, _, err = check(capsys, book)
    assert code == 2 and "Sheet2" in err and "responsibility_letters (控辍保学责任书)" in err


def test_a_json_document_without_a_contract_key_exits_2(tmp_path, capsys):
    path = tmp_path / "sub.json"
    path.write_text(
        json.dumps({"manifest": {"county_code": "640122"}, "学生": [{"a": 1}]}, ensure_ascii=False),
        encoding="utf-8",
    )
    code, _, err = check(capsys, path)
    assert code == 2 and "'学生'" in err


# --- plugins add aliases ---------------------------------------------------------------------


def _alias_plugin(**hooks) -> types.ModuleType:
    module = types.ModuleType("alias_plugin")
    for name, fn in hooks.items():
        setattr(module, name, sr.hookimpl(fn))
    return module


def test_hook_register_aliases(tmp_path):
    plugin = _alias_plugin(
        register_aliases=lambda: [
            sr.TableAliases("schools", names=["义教学校统计"], columns={"students": ["在籍生"]}),
            sr.TableAliases("schools", columns={"students": ["在籍学生"]}),
        ]
    )
    host = sr.get_plugin_host([plugin], entry_points=False)
    assert host.plugin_of("aliases", "schools") == "alias_plugin"
    assert "在籍生" in host.tables["schools"].columns["students"].aliases
    assert "在籍生" not in CORE_TABLES["schools"].columns["students"].aliases  # a copy
    book = write_xlsx(
        tmp_path / "b.xlsx", {"义教学校统计": [["学校标识码", "学段", "在籍生"], ["6401220001", "小学", 12]]}
    )
    sub = sr.load_submission(book, host=host)
    assert sub.table("schools").frame["students"].to_list() == [12]
    assert [p.rule_id for p in sub.problems] == ["READ-06"]  # aliases are silent
    with host.activate():
        assert "义教学校统计" in TABLES["schools"].aliases
    assert "义教学校统计" not in TABLES["schools"].aliases
    # without the plugin the sheet is not a table, and the header is unknown
    with pytest.raises(sr.SubmissionError, match="义教学校统计"):
        sr.load_submission(book, host=sr.get_plugin_host(entry_points=False))


def test_aliases_for_an_unknown_table_or_column_are_a_plugin_error():
    bad_table = _alias_plugin(register_aliases=lambda: [sr.TableAliases("pupils")])
    with pytest.raises(sr.PluginError, match="'pupils', which is not a known table"):
        sr.get_plugin_host([bad_table], entry_points=False)
    bad_column = _alias_plugin(
        register_aliases=lambda: [sr.TableAliases("schools", columns={"pupils": ["学生"]})]
    )
    with pytest.raises(sr.PluginError, match="'pupils' of table 'schools'"):
        sr.get_plugin_host([bad_column], entry_points=False)
