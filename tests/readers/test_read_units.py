"""Units in headers (issue 10, item 3), through the CLI on workbooks and CSV files
made here: 万元, 千元, 万人, 公顷, % and ‰ are converted to the contract's unit and
said once per column (READ-11); 亩 (not exact) and a unit of another dimension are
refused naming the header (READ-12), and the rules needing the column become errors;
the contract's own unit says nothing."""

from __future__ import annotations

import json

import polars as pl
import pytest
from conftest import write_xlsx

import supervise_rules as sr
from supervise_rules.cli import main
from supervise_rules.readers.headers import conversion, header_unit
from supervise_rules.tables import CORE_TABLES

MANIFEST = [["区县代码", "640122"], ["区县名称", "贺兰县"], ["年度", 2024], ["统计截止日期", "2024-09-30"]]
HEAD = "学校标识码,学校名称,区县代码,学段,学校类型,在校生数"


def check(capsys, path, *extra):
    code = main([str(path), "--ruleset", "helan-2024", "--format", "json", *map(str, extra)])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def findings(report, rule_id):
    return [f for f in report["findings"] if f["rule_id"] == rule_id]


def test_wan_yuan_is_times_10000_said_once_and_the_rule_sees_yuan(tmp_path, capsys):
    # the issue: 教学仪器设备值（万元） read as yuan gave 生均 0.34 元 and a failure per school
    rows = [
        ["6401220001", "甲小学", "640122", "小学", "独立设置", 1000, 250],
        ["6401220002", "乙小学", "640122", "小学", "独立设置", 1000, 150],
        ["6401220003", "丙中学", "640122", "初中", "独立设置", 1000, 0.34],
    ]
    book = write_xlsx(
        tmp_path / "贺兰县.xlsx",
        {
            "说明": MANIFEST,
            "学校": [
                [
                    "学校标识码",
                    "学校名称",
                    "区县代码",
                    "学段",
                    "学校类型",
                    "在校生数",
                    "教学仪器设备值（万元）",
                ],
                *rows,
            ],
        },
    )
    _, report, _ = check(capsys, book, "--include-passes")
    (read11,) = findings(report, "READ-11")  # once for the column, not once per cell
    assert (read11["severity"], read11["outcome"]) == ("info", "fail")
    assert "「教学仪器设备值（万元）」的单位为万元，数值已换算为元（×10,000）" in read11["message"]["zh"]
    assert "is in 万元; its values were converted to yuan (×10,000)" in read11["message"]["en"]
    assert read11["evidence"][0]["columns"] == ["equipment_value_yuan"]
    bal06 = {f["subject"]["id"]: (f["outcome"], f["observed"]) for f in findings(report, "BAL-06")}
    assert bal06 == {
        "6401220001/primary": ("pass", 2500.0),
        "6401220002/primary": ("fail", 1500.0),
        "6401220003/junior": ("fail", 3.4),
    }
    frame = sr.load_submission(book).table("schools").frame
    assert frame["equipment_value_yuan"].to_list() == [2_500_000.0, 1_500_000.0, 3400.0]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["0.34", "0.07", "12.345", "1,234.5678"], [3400.0, 700.0, 123450.0, 12345678.0]),
    ],
)
def test_conversion_is_exact_on_decimals(folder, cells, expected):
    body = "".join(
        f"64012200{i:02d},小学,{c if ',' not in c else chr(34) + c + chr(34)}\n" for i, c in enumerate(cells)
    )
    folder.add("schools.csv", "学校标识码,学段,教学仪器设备值(万元)\n" + body)
    frame = sr.load_submission(folder.path).table("schools").frame
    assert frame["equipment_value_yuan"].to_list() == expected


def test_thousand_yuan_and_a_json_document_of_numbers(tmp_path):
    path = tmp_path / "sub.json"
    path.write_text(
        json.dumps(
            {
                "manifest": {"county_code": "640122"},
                "county": [
                    {
                        "区县代码": "640122",
                        "教师年平均工资收入（千元）": 98.5,
                        "3-5岁适龄人口数（万人）": 0.52,
                    }
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    sub = sr.load_submission(path)
    frame = sub.table("county").frame
    assert frame["avg_teacher_salary"].to_list() == [98500.0]
    assert frame["population_age_3_5"].to_list() == [5200]
    assert frame.schema["population_age_3_5"] == pl.Int64  # an int column stays int
    assert sorted(p.rule_id for p in sub.problems) == ["READ-11", "READ-11"]


def test_ten_thousand_persons_that_is_not_a_whole_number_is_a_bad_cell(folder):
    folder.add("county.csv", "区县代码,3-5岁适龄人口数（万人）\n640122,0.52345\n")
    sub = sr.load_submission(folder.path)
    assert sub.table("county").frame["population_age_3_5"].to_list() == [None]
    assert sorted(p.rule_id for p in sub.problems) == ["READ-01", "READ-11"]


def test_percent_on_a_ratio_column_reads_98_01_as_0_9801(folder, capsys):
    folder.add("county.csv", "区县代码,社会认可度（%）\n640122,84.99\n")
    _, report, _ = check(capsys, folder.path)
    (read11,) = findings(report, "READ-11")
    assert "数值已换算为比例（小数，如 0.98）（÷100）" in read11["message"]["zh"]
    (bal41,) = findings(report, "BAL-41")
    assert (bal41["outcome"], bal41["observed"]) == ("fail", 0.8499)


def test_percent_header_and_percent_cells_are_not_divided_twice(folder):
    folder.add("county.csv", "区县代码,社会认可度(%)\n640122,98.01%\n640123,98.01\n640124,\n")
    frame = sr.load_submission(folder.path).table("county").frame
    assert frame["social_recognition_rate"].to_list() == [0.9801, 0.9801, None]


def test_per_mille_and_hectares(folder):
    folder.add("county.csv", "区县代码,社会认可度（‰）\n640122,980.1\n")
    folder.add(
        "schools.csv",
        "学校标识码,学段,体育运动场馆面积（公顷）,教学及辅助用房面积(㎡)\n6401220001,小学,1.25,3000\n",
    )
    sub = sr.load_submission(folder.path)
    assert sub.table("county").frame["social_recognition_rate"].to_list() == [0.9801]
    assert sub.table("schools").frame["sports_area_m2"].to_list() == [12500.0]
    assert sub.table("schools").frame["teaching_aux_area_m2"].to_list() == [3000.0]
    converted = sorted(p.evidence[0].columns[0] for p in sub.problems if p.rule_id == "READ-11")
    assert converted == ["social_recognition_rate", "sports_area_m2"]  # ㎡ is the contract's


def test_mu_is_refused_asking_for_square_metres(folder, capsys):
    folder.add(
        "schools.csv", f"{HEAD},体育运动场馆面积（亩）\n6401220001,甲小学,640122,小学,独立设置,1000,11\n"
    )
    code, report, _ = check(capsys, folder.path)
    assert code == 1
    (read12,) = findings(report, "READ-12")
    assert (read12["severity"], read12["outcome"]) == ("major", "error")
    zh, en = read12["message"]["zh"], read12["message"]["en"]
    assert "「体育运动场馆面积（亩）」是「体育运动场馆面积」（sports_area_m2）" in zh
    assert "无法精确换算为平方米（1 亩 = 2000/3 平方米），请按平方米填报" in zh
    assert "'体育运动场馆面积（亩）'" in en and "cannot be converted exactly" in en
    (bal05,) = findings(report, "BAL-05")
    assert bal05["outcome"] == "error"
    assert "最接近的表头是「体育运动场馆面积（亩）」" in bal05["message"]["zh"]
    assert "did you mean '体育运动场馆面积（亩）'?" in bal05["message"]["en"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("教学仪器设备值（台）", "教学仪器设备值"),  # a count of devices for an amount
        ("在校生数（元）", "在校生数"),  # money for persons
        ("网络多媒体教室数（平方米）", "网络多媒体教室数"),
    ],
)
def test_an_incompatible_unit_is_an_error_naming_the_header(folder, capsys, header, field):
    folder.add("schools.csv", f"学校标识码,学段,{header}\n6401220001,小学,3\n")
    _, report, _ = check(capsys, folder.path)
    (read12,) = findings(report, "READ-12")
    assert f"「{header}」是「{field}」" in read12["message"]["zh"]
    assert "不符" in read12["message"]["zh"] and "does not fit" in read12["message"]["en"]
    assert not findings(report, "READ-03") and not findings(report, "READ-11")
    column = CORE_TABLES["schools"].match_column(field)
    sub = sr.load_submission(folder.path)
    assert column not in sub.table("schools").frame.columns
    assert sub.table("schools").frame[header].to_list() == ["3"]  # kept as text


@pytest.mark.parametrize(
    "header",
    [
        "在校生数（人）",
        "在校生数(名)",
        "教学仪器设备值（元）",
        "体育运动场馆面积（平方米）",
        "体育运动场馆面积（m²）",
        "体育运动场馆面积(㎡)",
        "网络多媒体教室数（间）",
        "网络多媒体教室数（个）",
        "班级数（个）",
    ],
)
def test_the_contracts_own_unit_says_nothing(folder, header):
    folder.add("schools.csv", f"学校标识码,学段,{header}\n6401220001,小学,3\n")
    sub = sr.load_submission(folder.path)
    assert [p.rule_id for p in sub.problems] == []
    assert len(sub.table("schools").frame.columns) == 4  # school_id, level, the field, __row__


def test_units_are_parsed_whatever_their_spelling():
    assert header_unit("万元").factor == 10000
    assert header_unit("萬元").factor == 10000  # traditional
    assert header_unit("m²").dimension == header_unit("㎡").dimension == "area"
    assert header_unit("10位") is None  # brackets that are no unit: ignored as before
    students = CORE_TABLES["schools"].columns["students"]
    assert conversion(students, header_unit("人")) is None
    assert conversion(students, header_unit("万人")).factor == 10000
    assert conversion(students, header_unit("%")).refused
    hours = CORE_TABLES["inspectors"].columns["training_hours"]
    assert conversion(hours, header_unit("小时")) is None
    assert conversion(hours, header_unit("分钟")).refused  # 1/60: not exact
