"""Totals, footers, blanks and repeated headers are recognised, listed once
and never checked as schools (issue: readers a clerk can trust)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from supervise_rules.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "helan-2024"
SUMMED = ("students", "classes", "full_time_teachers")


def _schools() -> tuple[list[str], list[list[str]]]:
    with (EXAMPLE / "schools.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _report(capsys, folder: Path, *extra: str) -> dict:
    code = main([str(folder), "--format", "json", *extra])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return json.loads(out)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "sub"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("README.md", "schools.csv"))
    return folder


def _totals_row(
    header: list[str], rows: list[list[str]], label: str = "全县合计", wrong: dict[str, int] | None = None
) -> list:
    out: list = [""] * len(header)
    out[header.index("school_name")] = label
    for name in SUMMED:
        j = header.index(name)
        out[j] = sum(int(r[j]) for r in rows) + (wrong or {}).get(name, 0)
    return out


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for i, row in enumerate(rows):
            sheet.write_row(i, 0, row)
    book.close()
    return path


def _workbook(folder: Path, header, rows, *, totals, footer=True) -> Path:
    """学校.xlsx as a platform exports it: two title rows, the header on row 3."""
    sheet: list[list] = [["贺兰县义务教育学校基本情况统计表"], ["填报单位：贺兰县教育局"], header]
    sheet += [
        [
            int(c) if c.isdigit() and h != "school_id" and h != "county_code" else c
            for h, c in zip(header, r, strict=True)
        ]
        for r in rows
    ]
    sheet.append(totals)
    if footer:
        sheet.append(["填表人：王芳", "", "联系电话：0951-8012345", "", "填报日期：2024年10月8日"])
    return write_xlsx(folder / "学校.xlsx", {"学校": sheet})


def _subject_ids(report: dict) -> set[str]:
    return {f["subject"]["id"] for f in report["findings"]}


def test_totals_row_and_footer_are_not_schools(tmp_path, capsys):
    header, rows = _schools()
    folder = _folder(tmp_path)
    _workbook(folder, header, rows, totals=_totals_row(header, rows))
    report = _report(capsys, folder, "--include-passes")
    by_rule = {}
    for f in report["findings"]:
        by_rule.setdefault(f["rule_id"], []).append(f)
    # listed once, with the sheet rows the clerk sees: data on rows 4..39
    (notice,) = by_rule["READ-07"]
    last = 3 + len(rows)
    assert notice["severity"] == "info" and notice["outcome"] == "fail"
    assert f"合计行（第 {last + 1} 行）" in notice["message"]["zh"]
    assert f"注释或签名行（第 {last + 2} 行）" in notice["message"]["zh"]
    evidence = notice["evidence"][0]
    assert evidence["lines"] == [last + 1, last + 2]
    assert evidence["rows"] == [len(rows) + 1, len(rows) + 2]
    assert (evidence["file"], evidence["sheet"]) == ("学校.xlsx", "学校")
    # the sums are right: no READ-08; and no finding is about the fake rows
    assert "READ-08" not in by_rule
    ids = _subject_ids(report)
    assert not any("合计" in i or "0951" in i or "填表人" in i for i in ids)
    names = {f["subject"].get("name") for f in report["findings"]}
    assert not any(n and ("合计" in n or "填表" in n) for n in names)
    # every school is still checked, as in the CSV original
    original = _report(capsys, EXAMPLE, "--include-passes")
    assert len(by_rule["BAL-05"]) == sum(f["rule_id"] == "BAL-05" for f in original["findings"])
    # and each finding says where the clerk finds the school: its sheet row
    first = next(f for f in by_rule["BAL-05"] if f["evidence"][0]["rows"] == [1])
    assert first["evidence"][0]["lines"] == [4]
    assert "学校.xlsx 工作表「学校」第 4 行" in first["message"]["zh"]
    assert "学校.xlsx, sheet '学校', row 4" in first["message"]["en"]


def test_totals_row_disagreeing_with_the_rows_is_a_finding(tmp_path, capsys):
    header, rows = _schools()
    folder = _folder(tmp_path)
    _workbook(
        folder,
        header,
        rows,
        footer=False,
        totals=_totals_row(header, rows, label="合计", wrong={"students": 45}),
    )
    report = _report(capsys, folder)
    mismatches = [f for f in report["findings"] if f["rule_id"] == "READ-08"]
    assert len(mismatches) == 1
    (m,) = mismatches
    line = 4 + len(rows)
    letter = chr(ord("A") + header.index("students"))
    assert m["severity"] == "major" and m["outcome"] == "fail"
    assert m["evidence"][0]["cells"] == [f"{letter}{line}"]
    assert m["evidence"][0]["lines"] == [line]
    assert f"第 {line} 行（单元格 {letter}{line}）" in m["message"]["zh"]
    assert "相差 45" in m["message"]["zh"]
    assert "difference 45" in m["message"]["en"]
    # a major failure: the run fails at the default --fail-on major
    assert main([str(folder), "--format", "json"]) == 1


def test_csv_blank_separators_and_repeated_headers(tmp_path, capsys):
    header, rows = _schools()
    folder = _folder(tmp_path)
    lines = [header, *rows[:10], [""] * len(header), header, *rows[10:], ["小计", *[""] * 20]]
    with (folder / "schools.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(lines)
    report = _report(capsys, folder)
    (notice,) = [f for f in report["findings"] if f["rule_id"] == "READ-07"]
    zh = notice["message"]["zh"]
    assert "空行（第 12 行）" in zh
    assert "重复的表头行（第 13 行）" in zh
    assert f"小计行（第 {len(rows) + 4} 行）" in zh
    assert notice["evidence"][0]["lines"] == [12, 13, len(rows) + 4]
    assert not any(f["rule_id"] == "READ-01" for f in report["findings"])  # the header row


def test_notices_are_not_written_for_totals_rows(tmp_path, capsys):
    header, rows = _schools()
    folder = _folder(tmp_path)
    _workbook(folder, header, rows, totals=_totals_row(header, rows, wrong={"classes": 3}))
    out = tmp_path / "notices"
    code = main(["notices", str(folder), "--output-dir", str(out), "--format", "markdown"])
    capsys.readouterr()
    assert code == 0
    names = [p.name for p in out.rglob("*") if p.is_file()]
    assert names and not any("合计" in n or "0951" in n for n in names)
    text = "".join(
        p.read_text(encoding="utf-8", errors="ignore")
        for p in out.rglob("*")
        if p.suffix in (".md", ".html", ".txt", ".csv")
    )
    assert "0951-8012345" not in text


@pytest.mark.parametrize("label", ["合计", "总计", "合  计", "城区小计", "Total"])
def test_totals_labels(tmp_path, capsys, label):
    header, rows = _schools()
    folder = _folder(tmp_path)
    _workbook(folder, header, rows, footer=False, totals=_totals_row(header, rows, label=label))
    report = _report(capsys, folder)
    (notice,) = [f for f in report["findings"] if f["rule_id"] == "READ-07"]
    assert notice["evidence"][0]["lines"] == [4 + len(rows)]
    assert label.strip() not in _subject_ids(report)
