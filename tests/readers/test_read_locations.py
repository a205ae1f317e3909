"""Findings point where the clerk looks: file, sheet, the sheet's own row and
the cell, with one numbering for READ-xx and rule findings; and messages say
what happened to a value (unreadable, blank, zero)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from supervise_rules.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "helan-2024"


def _schools() -> tuple[list[str], list[list[str]]]:
    with (EXAMPLE / "schools.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "sub"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("README.md", "schools.csv"))
    return folder


def _run(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return code, out


def _json(capsys, folder: Path) -> dict:
    return json.loads(_run(capsys, folder, "--format", "json")[1])


def _by(report: dict, rule: str, row: int) -> dict:
    return next(f for f in report["findings"] if f["rule_id"] == rule and f["evidence"][0]["rows"] == [row])


@pytest.fixture
def csv_folder(tmp_path):
    """schools.csv whose 3rd school's name spans two lines, followed by a
    students cell holding 三十, a blank one and a zero."""
    header, rows = _schools()
    rows = [list(r) for r in rows]
    s = header.index("students")
    rows[2][header.index("school_name")] = "贺兰县\n第三小学"
    rows[4][s], rows[5][s], rows[6][s] = "三十", "", "0"
    folder = _folder(tmp_path)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    (folder / "schools.csv").write_text(buf.getvalue(), encoding="utf-8")
    return folder, header


def test_csv_lines_count_multi_line_cells_and_messages_say_what_happened(csv_folder, capsys):
    folder, header = csv_folder
    report = _json(capsys, folder)
    letter = chr(ord("A") + header.index("students"))
    # the header is line 1; data row 3 spans lines 4-5, so data row 5 is on line 7
    (read01,) = [f for f in report["findings"] if f["rule_id"] == "READ-01"]
    assert read01["evidence"][0]["rows"] == [5]
    assert read01["evidence"][0]["lines"] == [7]
    assert read01["evidence"][0]["cells"] == [f"{letter}6"]  # the spreadsheet's cell
    # and the row a spreadsheet program shows it on (one record a row): row 6
    assert read01["message"]["zh"].startswith(
        f"schools.csv 第 7 行（在 Excel 中为第 6 行，单元格 {letter}6）「students」列"
    )
    assert read01["message"]["en"].startswith(
        f"schools.csv, line 7 (row 6 in Excel, cell {letter}6), column 'students'"
    )
    # the rule that needed the value: the same line and cell, and what the cell held
    unreadable = _by(report, "BAL-05", 5)
    assert unreadable["outcome"] == "error"
    assert unreadable["evidence"][0]["lines"] == [7]
    assert f"{letter}6" in unreadable["evidence"][0]["cells"]
    assert unreadable["message"]["zh"] == (
        f"schools.csv 第 7 行（在 Excel 中为第 6 行，单元格 {letter}6）「在校生数」无法识别"
        "（原值「三十」），无法计算本指标"
    )
    assert unreadable["message"]["en"] == (
        f"schools.csv, line 7 (row 6 in Excel, cell {letter}6), column students: the value "
        "'三十' cannot be read; the indicator cannot be computed"
    )
    blank = _by(report, "BAL-05", 6)
    assert blank["message"]["zh"] == (
        f"schools.csv 第 8 行（在 Excel 中为第 7 行，单元格 {letter}7）「在校生数」缺失，无法计算本指标"
    )
    zero = _by(report, "BAL-05", 7)
    assert zero["message"]["zh"] == (
        f"schools.csv 第 9 行（在 Excel 中为第 8 行，单元格 {letter}8）「在校生数」为 0，"
        "作为分母无法计算本指标"
    )
    # a failing row after the multi-line cell: its line, its Excel row and cell
    failing = next(
        f
        for f in report["findings"]
        if f["outcome"] == "fail"
        and f["evidence"]
        and f["evidence"][0]["table"] == "schools"
        and (f["evidence"][0]["rows"] or [0])[0] > 3
        and len(f["evidence"][0]["rows"]) == 1
    )
    row = failing["evidence"][0]["rows"][0]
    assert failing["message"]["zh"].endswith(
        f"第 {row + 2} 行，在 Excel 中为第 {row + 1} 行，单元格 {failing['evidence'][0]['cells'][0]}）"
    )
    assert failing["evidence"][0]["cells"][0].endswith(str(row + 1))
    # every row finding after the multi-line cell names its own line: one down
    after = [
        f["evidence"][0]
        for f in report["findings"]
        if f["evidence"]
        and f["evidence"][0]["table"] == "schools"
        and len(f["evidence"][0]["rows"] or []) == 1
        and f["evidence"][0]["rows"][0] > 3
    ]
    assert after and all(e["lines"] == [e["rows"][0] + 2] for e in after)


def test_sarif_regions_use_the_clerks_lines(csv_folder, capsys, tmp_path):
    folder, _ = csv_folder
    report = _json(capsys, folder)
    out = tmp_path / "r.sarif"
    _run(capsys, folder, "--format", "sarif", "-o", out)
    sarif = json.loads(out.read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    lines = {}
    for f in report["findings"]:
        if f["evidence"] and f["evidence"][0].get("lines"):
            lines.setdefault(f["rule_id"], set()).add(f["evidence"][0]["lines"][0])
    for r in results:
        locations = r.get("locations") or []
        region = locations[0].get("physicalLocation", {}).get("region") if locations else None
        if region and r["ruleId"] in lines:
            assert region["startLine"] in lines[r["ruleId"]]
    read01 = next(r for r in results if r["ruleId"] == "READ-01")
    physical = read01["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"].endswith("schools.csv")
    assert physical["region"]["startLine"] == 7


def _platform_workbook(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """学校 sheet as a platform exports it: a title, a merged group header over
    the teacher columns, the field headers on row 3 (some renamed by the test)."""
    book = xlsxwriter.Workbook(path)
    ws = book.add_worksheet("学校")
    ws.write(0, 0, "贺兰县义务教育学校情况")
    t0 = header.index("full_time_teachers")
    ws.merge_range(1, t0, 1, t0 + 4, "教师情况")
    zh = {"school_id": "学校标识码", "school_name": "学校名称", "students": "在校生数"}
    for j, name in enumerate(header):
        ws.write(2, j, zh.get(name, name))
    for i, row in enumerate(rows, start=3):
        for j, cell in enumerate(row):
            if cell.isdigit() and header[j] not in ("school_id", "county_code"):
                ws.write_number(i, j, int(cell))
            else:
                ws.write_string(i, j, cell)
    book.close()


def test_workbook_rows_cells_and_headers(tmp_path, capsys):
    header, rows = _schools()
    rows = [list(r) for r in rows]
    s = header.index("students")
    rows[3][s] = "两"
    folder = _folder(tmp_path)
    _platform_workbook(folder / "学校.xlsx", header, rows)
    report = _json(capsys, folder)
    letter = chr(ord("A") + s)
    # data row 4 is Excel row 7: a title, the merged group header, the header row
    (read01,) = [f for f in report["findings"] if f["rule_id"] == "READ-01"]
    ev = read01["evidence"][0]
    assert (ev["file"], ev["sheet"], ev["rows"], ev["lines"], ev["cells"]) == (
        "学校.xlsx",
        "学校",
        [4],
        [7],
        [f"{letter}7"],
    )
    assert read01["message"]["zh"].startswith(f"学校.xlsx 工作表「学校」第 7 行（单元格 {letter}7）")
    rule = _by(report, "BAL-05", 4)
    assert rule["evidence"][0]["lines"] == [7]
    assert rule["message"]["zh"].startswith(f"学校.xlsx 工作表「学校」第 7 行（单元格 {letter}7）")
    assert "无法识别（原值「两」）" in rule["message"]["zh"]
    # a failing school: the message ends with its sheet row and cell
    failing = next(f for f in report["findings"] if f["rule_id"] == "BAL-05" and f["outcome"] == "fail")
    line = failing["evidence"][0]["lines"][0]
    assert line == failing["evidence"][0]["rows"][0] + 3
    assert failing["message"]["zh"].endswith(
        f"（学校.xlsx 工作表「学校」第 {line} 行，单元格 {failing['evidence'][0]['cells'][0]}）"
    )
    assert failing["message"]["en"].endswith(
        f"(学校.xlsx, sheet '学校', row {line}, cell {failing['evidence'][0]['cells'][0]})"
    )
    assert failing["evidence"][0]["headers"][:2] == ["sports_area_m2", "在校生数"]

    # the xlsx report: file and sheet, sheet rows, cells, and the clerk's headers
    out = tmp_path / "report.xlsx"
    _run(capsys, folder, "--format", "xlsx", "-o", out)
    ws = openpyxl.load_workbook(out)["结果清单（不含通过项）"]
    rows_out = list(ws.iter_rows(values_only=True))
    head = list(rows_out[0])
    col = {name: head.index(name) for name in ("文件及工作表", "表中行号", "单元格", "列（表头）")}
    row = next(r for r in rows_out[1:] if r[0] == "BAL-05" and r[7] == failing["subject"]["id"])
    assert row[col["文件及工作表"]] == "学校.xlsx 工作表「学校」"
    assert row[col["表中行号"]] == str(line)
    assert row[col["单元格"]].startswith(failing["evidence"][0]["cells"][0])
    assert "students（在校生数）" in row[col["列（表头）"]]


def test_an_unreadable_key_is_not_called_missing(tmp_path, capsys):
    """CON-01 uses the one wording: a 学段 cell holding 高中 is unreadable, a blank one missing."""
    header, rows = _schools()
    rows = [list(r) for r in rows]
    level = header.index("level")
    rows[1][level], rows[2][level] = "高中", ""
    folder = _folder(tmp_path)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    (folder / "schools.csv").write_text(buf.getvalue(), encoding="utf-8")
    report = _json(capsys, folder)
    con01 = {
        f["evidence"][0]["rows"][0]: f
        for f in report["findings"]
        if f["rule_id"] == "CON-01" and f["evidence"][0]["rows"]
    }
    assert con01[2]["message"]["zh"].startswith("关键字段「学段」无法识别（原值「高中」）")
    assert "key column level: the value '高中' cannot be read" in con01[2]["message"]["en"]
    assert con01[2]["message"]["zh"].endswith(f"（schools.csv 第 3 行，单元格 {chr(65 + level)}3）")
    assert con01[3]["message"]["zh"].startswith("关键字段「学段」缺失")
