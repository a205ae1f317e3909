"""Each class of READ-xx problem, located to the exact row and column."""

from __future__ import annotations

import json

from supervise_rules.models import Outcome, Severity
from supervise_rules.readers.assemble import MAX_CELL_FINDINGS


def test_bad_cell_in_csv_is_located_and_loading_continues(folder, load, located):
    folder.add(
        "学校.csv",
        "贺兰县学校统计表\n学校标识码,学段,在校生数,持证专任教师数\n"
        "2164000232,小学,1862,12\n2164000266,初中,十二,7\n2164000300,小学,5,8\n",
    )
    sub = load(folder.path)
    assert located(sub) == [("READ-01", "schools", [2], ["students"])]
    problem = sub.problems[0]
    assert (problem.severity, problem.outcome) == (Severity.major, Outcome.error)
    assert problem.subject.type == "school" and problem.subject.id == "2164000266/junior"
    assert problem.observed == "十二"
    # the user sees line 4 of 学校.csv (title, header, two data rows before it)
    # the cell as a spreadsheet program shows the file: column C
    assert problem.message.zh == "学校.csv 第 4 行（单元格 C4）「在校生数」列的值「十二」无法识别，应为整数"
    assert problem.message.en == ("学校.csv, line 4 (cell C4), column '在校生数': '十二' is not an integer")
    assert (problem.evidence[0].lines, problem.evidence[0].cells) == ([4], ["C4"])
    frame = sub.tables["schools"].frame
    assert frame.get_column("students").to_list() == [1862, None, 5]
    assert frame.get_column("certified_teachers").to_list() == [12, 7, 8]


def test_bad_cell_in_workbook_names_sheet_row_and_cell(tmp_path, load, located, xlsx):
    book = xlsx(
        tmp_path / "h.xlsx",
        {"幼儿园": [["幼儿园统计"], ["幼儿园标识码", "是否普惠性", "在园幼儿数"],
                    ["K1", "是", 30], ["K2", "也许", 40]]},
        start="B1",
    )  # fmt: skip
    sub = load(book)
    assert located(sub, "READ-01") == [("READ-01", "kindergartens", [2], ["inclusive"])]
    problem = sub.problems[0]
    assert problem.subject.type == "kindergarten" and problem.subject.id == "K2"
    assert "h.xlsx 工作表「幼儿园」第 4 行（单元格 C4）「是否普惠性」列的值「也许」" in problem.message.zh
    assert problem.message.en.startswith("h.xlsx, sheet '幼儿园', row 4 (cell C4), column '是否普惠性':")
    assert "yes or no" in problem.message.en


def test_bad_value_in_json_names_the_record(tmp_path, load, located):
    path = tmp_path / "d.json"
    doc = {"manifest": {"year": 2024}, "visits": [
        {"inspector_id": "A", "visit_date": "2024-03-01"},
        {"inspector_id": "A", "visit_date": "next week"},
    ]}  # fmt: skip
    path.write_text(json.dumps(doc), encoding="utf-8")
    sub = load(path)
    assert located(sub) == [("READ-01", "visits", [2], ["visit_date"])]
    assert sub.problems[0].message.en.startswith(
        "d.json, 'visits', record 2, field 'visit_date': 'next week' is not a date"
    )
    assert sub.problems[0].subject.type == "submission"  # visits have no row subject


def test_enum_error_lists_allowed_values(folder, load):
    folder.add("schools.csv", "school_id,level\n1,高中\n")
    message = load(folder.path).problems[0].message
    assert message.en.endswith("is not one of primary (小学), junior (初中)")
    assert "小学（primary）、初中（junior）" in message.zh


def test_many_bad_cells_are_summed_up(folder, load, located):
    rows = "".join(f"{i},primary,x\n" for i in range(1, 31))
    folder.add("schools.csv", "school_id,level,students\n" + rows)
    found = located(load(folder.path))
    assert len(found) == MAX_CELL_FINDINGS + 1
    assert found[0] == ("READ-01", "schools", [1], ["students"])
    assert found[-1] == ("READ-01", "schools", list(range(21, 31)), ["students"])


def test_missing_key_column(folder, load, located):
    folder.add("学校.csv", "学校名称,学段\n一小,小学\n")
    sub = load(folder.path)
    assert located(sub) == [("READ-02", "schools", None, ["school_id"])]
    assert sub.problems[0].outcome is Outcome.error
    assert "学校.csv 第 1 行表头缺少关键列「学校标识码」" in sub.problems[0].message.zh


def test_unknown_column_is_kept_and_reported_once(folder, load, located):
    folder.add("inspectors.csv", "inspector_id,电话,\n1,139,\n2,138,x\n")
    sub = load(folder.path)
    assert located(sub) == [
        ("READ-03", "inspectors", None, ["电话"]),
        ("READ-03", "inspectors", None, ["column_C"]),
    ]
    assert {(p.severity, p.outcome) for p in sub.problems} == {(Severity.info, Outcome.fail)}
    frame = sub.tables["inspectors"].frame
    assert frame.get_column("电话").to_list() == ["139", "138"]
    assert frame.get_column("column_C").to_list() == [None, "x"]


def test_empty_unnamed_columns_are_dropped_silently(folder, load):
    folder.add("inspectors.csv", "inspector_id,,\n1,,\n")
    sub = load(folder.path)
    assert sub.problems == [] and sub.tables["inspectors"].frame.columns == ["inspector_id", "__row__"]


def test_duplicate_column(folder, load, located):
    folder.add("inspectors.csv", "inspector_id,督学编号\n1,2\n")
    sub = load(folder.path)
    assert located(sub) == [("READ-04", "inspectors", None, ["inspector_id"])]
    assert sub.tables["inspectors"].frame.get_column("inspector_id").to_list() == ["1"]


def test_unknown_sheet_is_reported_and_ignored(tmp_path, load, located, xlsx):
    book = xlsx(
        tmp_path / "w.xlsx",
        {"manifest": [["year", 2024]], "汇总": [["a"], [1]], "督学": [["督学编号"], ["D01"]]},
    )
    sub = load(book)
    assert located(sub) == [("READ-05", "汇总", None, [])]
    assert list(sub.tables) == ["inspectors"]  # a workbook with no table at all: exit 2


def test_missing_manifest(tmp_path, load, located):
    (tmp_path / "inspectors.csv").write_text("inspector_id\n1\n", encoding="utf-8")
    sub = load(tmp_path)
    assert located(sub) == [("READ-06", "manifest", None, [])]
    assert sub.problems[0].severity is Severity.minor


def test_empty_tables_are_tables_without_rows(folder, load):
    folder.add("schools.csv", "school_id,level,students\n")
    folder.add("inspectors.json", "[]")
    sub = load(folder.path)
    assert sub.problems == []
    assert sub.tables["schools"].frame.height == 0
    assert sub.tables["schools"].frame.schema["students"].is_integer()
    assert sub.tables["inspectors"].frame.columns == ["__row__"]
