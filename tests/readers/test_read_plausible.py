"""Plausibility before indicators (issue 11, item 1): every contract column has a
declared range or domain; a value outside it is a located READ-16 finding and is
left out of every indicator, so a rule that needs it is ``error`` (never ``pass``)
and says why, and the self-check report certifies nothing built on it."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from supervise_rules import col, load_submission, table_spec
from supervise_rules.builtin.readers import register_readers
from supervise_rules.cli import main
from supervise_rules.contract import range_text
from supervise_rules.readers.plausible import MAX_CELL_FINDINGS
from supervise_rules.tables import CORE_TABLES, DATE_WINDOW, ColumnSpec

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "helan-2024"


# -- through the CLI, on a copy of the example with cells edited ----------------------------


def _copy(tmp_path: Path, *edits: tuple[str, str, str]) -> Path:
    """The example submission with ``(file, old, new)`` replaced once in each file."""
    folder = tmp_path / "sub"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("README.md"))
    for name, old, new in edits:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def _run(folder: Path, out: Path, *args: str) -> dict:
    code = main([str(folder), "--format", "json", "--include-passes", "-o", str(out), *args])
    assert code in (0, 1)
    return json.loads(out.read_text(encoding="utf-8"))


def _check(folder: Path, capsys, *args: str) -> dict:
    report = _run(folder, folder.parent / "report.json", *args)
    capsys.readouterr()
    return report


def _of(report: dict, rule: str, column: str | None = None) -> list[dict]:
    return [
        f
        for f in report["findings"]
        if f["rule_id"] == rule and (column is None or f["evidence"][0]["columns"] == [column])
    ]


def _set_rate(value: str) -> tuple[str, str, str]:
    return ("county.csv", ",0.9372\n", f",{value}\n")


#: one run of the CLI on the example with every impossible figure of issue 11
EDITS = (
    _set_rate("137%"),
    ("visits.csv", "HLDX01,2164000232,2024-03-12,3,3", "HLDX01,2164000232,2024-03-12,-3,-3"),
    ("visits.csv", "HLDX02,2164000445,2024-03-12", "HLDX02,2164000445,1900-03-12"),
    ("visits.csv", "HLDX06,2164000684,2024-03-12", "HLDX06,2164000684,2024-10-08"),
    ("kindergarten_classes.csv", "3164000124,小一班,small,23", "3164000124,小一班,small,-25"),
    ("schools.csv", ",1862,44,", ",12.5,44,"),
)


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("plausible")
    return _run(_copy(tmp, *EDITS), tmp / "report.json")


def test_a_rate_of_137_percent_is_implausible_and_bal41_is_an_error(edited):
    (read,) = _of(edited, "READ-16", "social_recognition_rate")
    assert read["outcome"] == "error" and read["severity"] == "major"
    assert read["message"]["zh"] == (
        "county.csv 第 2 行（单元格 K2）「social_recognition_rate」列的值「137%」超出合理范围，"
        "应在 0–100% 之间"
    )
    assert read["message"]["en"] == (
        "county.csv, line 2 (cell K2), column 'social_recognition_rate': '137%' is outside the "
        "plausible range (0–100%)"
    )
    assert read["observed"] == "137%"
    ev = read["evidence"][0]
    assert (ev["table"], ev["rows"], ev["columns"], ev["file"], ev["lines"], ev["cells"], ev["headers"]) == (
        "county",
        [1],
        ["social_recognition_rate"],
        "county.csv",
        [2],
        ["K2"],
        ["social_recognition_rate"],
    )
    assert read["subject"]["id"] == "640122"
    (bal,) = _of(edited, "BAL-41")
    assert bal["outcome"] == "error"
    assert bal["message"]["zh"] == (
        "county.csv 第 2 行（单元格 K2）「社会认可度」超出合理范围（原值「137%」，应在 0–100% 之间），"
        "无法计算本指标"
    )
    assert bal["message"]["en"] == (
        "county.csv, line 2 (cell K2), column social_recognition_rate: the value '137%' is "
        "outside the plausible range (0–100%); the indicator cannot be computed"
    )


def test_a_bare_number_above_1_in_a_ratio_is_not_read_as_a_percentage(tmp_path, capsys):
    report = _check(_copy(tmp_path, _set_rate("93.72")), capsys)
    (read,) = _of(report, "READ-16")
    assert read["message"]["zh"].endswith(
        "的值「93.72」超出合理范围，应为 0–1 之间的比例或带 % 的百分数，如 0.9372 或 93.72%"
    )
    assert "a ratio between 0 and 1 or a percentage with %, such as 0.9372 or 93.72%" in read["message"]["en"]
    (bal,) = _of(report, "BAL-41")
    assert bal["outcome"] == "error"  # 9372 % is never 达标
    assert "超出合理范围（原值「93.72」，应为 0–1 之间的比例" in bal["message"]["zh"]


def test_a_percent_header_reads_bare_numbers_as_percentages(tmp_path, capsys):
    folder = _copy(tmp_path, _set_rate("93.72"), ("county.csv", "social_recognition_rate", "社会认可度（%）"))
    report = _check(folder, capsys)
    assert _of(report, "READ-16") == []
    (bal,) = _of(report, "BAL-41")
    assert bal["outcome"] == "pass" and bal["observed"] == pytest.approx(0.9372)
    # and a percentage above 100 under that header is implausible, worded in percent
    folder = _copy(
        tmp_path / "2", _set_rate("137"), ("county.csv", "social_recognition_rate", "社会认可度（%）")
    )
    report = _check(folder, capsys)
    (read,) = _of(report, "READ-16")
    assert read["message"]["zh"].endswith("「社会认可度（%）」列的值「137」超出合理范围，应在 0–100% 之间")
    assert _of(report, "BAL-41")[0]["outcome"] == "error"


def test_negative_issue_counts_make_con06_and_ins06_errors(edited):
    reads = [r for r in _of(edited, "READ-16") if r["evidence"][0]["table"] == "visits"]
    assert sorted((r["evidence"][0]["columns"], r["evidence"][0]["cells"]) for r in reads) == [
        (["issues_found"], ["D2"]),
        (["issues_rectified"], ["E2"]),
        (["visit_date"], ["C3"]),
        (["visit_date"], ["C4"]),
    ]
    (found,) = _of(edited, "READ-16", "issues_found")
    assert found["message"]["zh"].endswith("「issues_found」列的值「-3」超出合理范围，应不小于 0")
    assert found["message"]["en"].endswith("'-3' is outside the plausible range (at least 0)")
    assert found["subject"] == {"type": "submission", "id": "visits", "name": None}
    con = [f for f in _of(edited, "CON-06") if f["evidence"][0]["rows"] == [1]]
    assert [f["outcome"] for f in con] == ["error"]
    assert "超出合理范围（原值「-3」，应不小于 0），无法计算本指标" in con[0]["message"]["zh"]
    ins = [f for f in _of(edited, "INS-06") if f["outcome"] == "error"]
    assert ins and all("原值「-3」" in f["message"]["zh"] for f in ins)
    # the school visited is not certified: no pass of INS-06 rests on row 1
    school = [f for f in _of(edited, "INS-06") if f["subject"]["id"] == "2164000232"]
    assert all(f["outcome"] != "pass" for f in school)


def test_a_class_of_minus_25_children_makes_pre06_an_error(edited):
    (read,) = _of(edited, "READ-16", "children")
    assert read["evidence"][0]["cells"] == ["D2"]
    assert read["subject"]["id"] == "3164000124/小一班"
    pre = _of(edited, "PRE-06")
    error = [f for f in pre if f["outcome"] == "error"]
    assert [f["message"]["zh"] for f in error] == [
        "kindergarten_classes.csv 第 2 行（单元格 D2）「幼儿数」超出合理范围（原值「-25」，应不小于 0），"
        "无法计算本指标"
    ]


def test_a_non_integral_count_is_refused_by_the_reader(edited):
    (read,) = _of(edited, "READ-01")  # an int column holds whole numbers by its kind
    assert read["message"]["zh"].endswith("「students」列的值「12.5」无法识别，应为整数")
    assert _of(edited, "READ-16", "students") == []


def test_a_visit_in_1900_is_implausible(edited):
    read, _after_as_of = _of(edited, "READ-16", "visit_date")
    assert read["message"]["zh"].endswith(
        "「visit_date」列的值「1900-03-12」超出合理范围，应在 1949-10-01 至 2100-12-31 之间"
    )
    errors = [f for f in _of(edited, "INS-05") if f["outcome"] == "error"]
    assert errors and "原值「1900-03-12」" in errors[0]["message"]["zh"]


def test_a_date_after_as_of_is_implausible_and_left_out(edited):
    """A visit dated after as_of (the manifest's) is READ-16 at its cell, and no
    rule counts it: INS-05 is an error for that duty saying what the cell held,
    and CON-05 does not report the cell a second time."""
    reads = _of(edited, "READ-16", "visit_date")
    assert [r["evidence"][0]["rows"] for r in reads] == [[2], [3]]
    assert reads[1]["message"]["zh"].endswith(
        "「visit_date」列的值「2024-10-08」超出合理范围，应不晚于统计截止日期 2024-09-30"
    )
    assert reads[1]["message"]["en"].endswith("(not after the as-of date 2024-09-30)")
    # INS-05's one error lists both excluded visits (lines 3 and 4), not a count
    (error,) = [f for f in _of(edited, "INS-05") if f["outcome"] == "error"]
    assert "共 2 行：3, 4" in error["message"]["zh"]
    assert not [f for f in _of(edited, "CON-05") if f["outcome"] in ("fail", "error")]


def test_deadline_rules_are_never_computed_on_a_date_after_as_of(tmp_path, capsys):
    """Before, a case 'identified' after as_of was open for −2 days (DRP-06 pass)
    and a term check dated 2024-10-01, after as_of but inside its window, passed
    DRP-02: both now cannot be computed (error), never pass."""
    folder = _copy(
        tmp_path,
        ("dropout_cases.csv", "2164000445,习岗镇,2024-09-02,", "2164000445,习岗镇,2024-10-02,"),
        ("enrollment_checks.csv", "2164000232,autumn,2024-09-06,", "2164000232,autumn,2024-10-01,"),
    )
    report = _check(folder, capsys)
    case = [f for f in _of(report, "DRP-06") if f["subject"]["id"] == "G640122201112079052"]
    assert [f["outcome"] for f in case] == ["error"]
    assert "原值「2024-10-02」，应不晚于统计截止日期 2024-09-30" in case[0]["message"]["zh"]
    term = [f for f in _of(report, "DRP-02") if f["subject"]["id"] == "2164000232"]
    assert "pass" not in [f["outcome"] for f in term if "秋季" in f["message"]["zh"]]
    assert {tuple(f["evidence"][0]["columns"]) for f in _of(report, "READ-16")} == {
        ("identified_date",),
        ("check_date",),
    }


def _visits_workbook(path: Path, manifest_last: bool) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    visits = wb.active
    visits.title = "督导记录"
    for row in (
        ["督学编号", "学校标识码", "督导日期", "发现问题数", "已整改问题数"],
        ["HLDX01", "2164000232", dt.date(2024, 9, 12), 1, 1],
        ["HLDX01", "2164000232", dt.date(2024, 10, 8), 1, 1],
    ):
        visits.append(row)
    manifest = wb.create_sheet("说明", index=None if manifest_last else 0)
    for row in (
        ["项目", "内容"],
        ["区县代码", "640122"],
        ["年度", 2024],
        ["统计截止日期", dt.date(2024, 9, 30)],
    ):
        manifest.append(row)
    wb.save(path)


@pytest.mark.parametrize("manifest_last", [True, False])
def test_as_of_bounds_dates_wherever_the_manifest_sheet_is(tmp_path, manifest_last):
    path = tmp_path / "helan.xlsx"
    _visits_workbook(path, manifest_last)
    sub = load_submission(path)
    (read,) = [p for p in sub.problems if p.rule_id == "READ-16"]
    assert read.message.zh == (
        "helan.xlsx 工作表「督导记录」第 3 行（单元格 C3）「督导日期」列的值"
        "「2024-10-08」超出合理范围，应不晚于统计截止日期 2024-09-30"
    )
    assert sub.tables["visits"].frame.get_column("visit_date").to_list() == [dt.date(2024, 9, 12), None]


def test_as_of_bounds_a_table_read_before_the_manifest_file(tmp_path):
    """A folder without submission.yaml whose manifest is a workbook read after
    the table (the files are read in name order): the table waits for it."""
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "visits.csv").write_text(
        "inspector_id,school_id,visit_date,issues_found,issues_rectified\n"
        "HLDX01,2164000232,2024-09-12,1,1\nHLDX01,2164000232,2024-10-08,1,1\n",
        encoding="utf-8",
    )
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "说明"
    for row in (["项目", "内容"], ["区县代码", "640122"], ["统计截止日期", "2024-09-30"]):
        wb.active.append(row)
    wb.save(folder / "说明.xlsx")
    sub = load_submission(folder)
    (read,) = [p for p in sub.problems if p.rule_id == "READ-16"]
    assert read.evidence[0].lines == [3]
    assert "应不晚于统计截止日期 2024-09-30" in read.message.zh


def test_many_implausible_cells_are_summed_up_after_the_cap(tmp_path, capsys):
    folder = _copy(tmp_path)
    path = folder / "kindergarten_classes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    n = len(lines) - 1
    assert n > MAX_CELL_FINDINGS
    lines = [lines[0]] + [re.sub(r",\d+$", ",-1", line) for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = _check(folder, capsys)
    reads = _of(report, "READ-16")
    assert len(reads) == MAX_CELL_FINDINGS + 1
    summary = reads[-1]
    assert summary["evidence"][0]["rows"] == list(range(MAX_CELL_FINDINGS + 1, n + 1))
    assert f"另有 {n - MAX_CELL_FINDINGS} 个单元格的值超出合理范围（应不小于 0）" in summary["message"]["zh"]
    assert all(f["outcome"] != "pass" for f in _of(report, "PRE-06"))


def test_the_selfcheck_report_does_not_certify_an_implausible_rate(tmp_path, capsys):
    folder = _copy(tmp_path, _set_rate("137%"))
    out = tmp_path / "selfcheck.html"
    assert main(["report", "selfcheck", str(folder), "-o", str(out)]) == 0
    capsys.readouterr()
    html = out.read_text(encoding="utf-8")
    rows = [r for r in re.findall(r"<tr\b.*?</tr>", html, flags=re.S) if "BAL-41" in r]
    assert rows
    for row in rows:
        text = re.sub(r"<[^>]+>", " ", row)
        assert "数据有误" in text
        assert "137" not in text and "达标" not in text.replace("数据有误", "")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    # a full ruleset's CON/INS/DRP passes are not "missing passes": a conclusion is formed
    assert "未列出通过项" not in text
    verdict = text[text.index("自查结论：") :]
    assert "1 项指标无法计算" in verdict and "社会认可度未达标" not in verdict
    assert "社会认可度 —，数据有误" in verdict


def test_a_negative_number_in_a_workbook_is_located_to_its_cell(tmp_path, capsys):
    import xlsxwriter

    folder = _copy(tmp_path)
    (folder / "kindergarten_classes.csv").unlink()
    book = xlsxwriter.Workbook(folder / "kindergarten_classes.xlsx")
    sheet = book.add_worksheet("幼儿园班级")
    sheet.write_row(0, 0, ["幼儿园班级情况表"])
    sheet.write_row(1, 0, ["幼儿园标识码", "班级名称", "年龄班", "幼儿数（人）"])
    sheet.write_row(2, 0, ["3164000124", "小一班", "小班", 23])
    sheet.write_row(3, 0, ["3164000124", "小二班", "小班", -25])
    book.close()
    report = _check(folder, capsys)
    (read,) = _of(report, "READ-16")
    assert read["message"]["zh"] == (
        "kindergarten_classes.xlsx 工作表「幼儿园班级」第 4 行（单元格 D4）「幼儿数（人）」列的值「-25」"
        "超出合理范围，应不小于 0"
    )
    assert read["evidence"][0]["sheet"] == "幼儿园班级"


def test_a_line_moved_by_a_multi_line_cell_is_also_given_as_its_excel_row(tmp_path):
    """As READ-01 does: the text line and the row a spreadsheet shows it on."""
    (tmp_path / "submission.yaml").write_text("year: 2024\n", encoding="utf-8")
    (tmp_path / "kindergarten_classes.csv").write_text(
        'kindergarten_id,class_name,grade,children\nK1,"小一\n班",small,20\nK1,小二班,small,-1\n',
        encoding="utf-8",
    )
    sub = load_submission(tmp_path, host=SimpleNamespace(readers=register_readers()))
    (read,) = [p for p in sub.problems if p.rule_id == "READ-16"]
    assert read.message.zh == (
        "kindergarten_classes.csv 第 4 行（在 Excel 中为第 3 行，单元格 D3）"
        "「children」列的值「-1」超出合理范围，应不小于 0"
    )
    assert read.evidence[0].lines == [4]


# -- the table and its wording ------------------------------------------------------------


@pytest.fixture(scope="module")
def host():
    return SimpleNamespace(readers=register_readers())


def test_an_implausible_cell_is_null_and_kept_with_its_reason(host):
    sub = load_submission(
        {
            "manifest": {"year": 2024},
            "county": [
                {"county_code": "640122", "social_recognition_rate": "137%", "exchanged_teachers": "x"},
                {"county_code": "640121", "social_recognition_rate": 0.9, "exchanged_teachers": -2},
            ],
        },
        host=host,
    )
    table = sub.tables["county"]
    assert table.frame.get_column("social_recognition_rate").to_list() == [None, 0.9]
    assert table.frame.get_column("exchanged_teachers").to_list() == [None, None]
    rate = table.unreadable["social_recognition_rate"]
    assert rate.to_dicts() == [
        {"__row__": 1, "raw": "137%", "why_zh": "应在 0–100% 之间", "why_en": "0–100%"}
    ]
    # one column may hold an unreadable cell (READ-01) and an implausible one (READ-16)
    teachers = table.unreadable["exchanged_teachers"]
    assert teachers.to_dicts() == [
        {"__row__": 1, "raw": "x", "why_zh": None, "why_en": None},
        {"__row__": 2, "raw": "-2", "why_zh": "应不小于 0", "why_en": "at least 0"},
    ]
    assert sorted(p.rule_id for p in sub.problems if p.rule_id.startswith("READ-1")) == ["READ-16", "READ-16"]


def test_non_data_rows_are_excluded_before_plausibility(host):
    """A totals row is not data: its figures are never judged (or used)."""
    sub = load_submission(
        {
            "manifest": {"year": 2024},
            "kindergarten_classes": [
                {"kindergarten_id": "K1", "class_name": "小一班", "grade": "small", "children": 20},
                {"kindergarten_id": "合计", "class_name": None, "grade": None, "children": -20},
            ],
        },
        host=host,
    )
    assert not [p for p in sub.problems if p.rule_id == "READ-16"]
    assert sub.tables["kindergarten_classes"].frame.height == 1


def test_a_plugin_declares_its_ranges_with_col():
    from pydantic import BaseModel

    class SurveyRow(BaseModel):
        school_id: str = col("学校标识码", "str", key=True)
        minutes: float = col("日均书面作业时长", "float", min=0, max=1440)
        rate: float = col("按时完成率", "ratio", min=0, max=1, percent=True)
        surveyed_on: dt.date = col("调查日期", "date", min="2021-07-24")

    spec = table_spec("homework_surveys", "作业时长调查", SurveyRow, "school")
    assert spec.columns["minutes"].bounds == (0, 1440)
    assert spec.columns["surveyed_on"].bounds == (dt.date(2021, 7, 24), None)
    plugin_host = SimpleNamespace(readers=register_readers(), tables={spec.name: spec})
    sub = load_submission(
        {
            "manifest": {"year": 2024},
            "homework_surveys": [
                {"school_id": "1", "minutes": 1500, "rate": "93.72", "surveyed_on": "2021-07-23"},
                {"school_id": "2", "minutes": 90, "rate": "101", "surveyed_on": "2024-03-01"},
            ],
        },
        host=plugin_host,
    )
    frame = sub.tables["homework_surveys"].frame
    assert frame.get_column("minutes").to_list() == [None, 90.0]
    # percent=True: a bare number is a percentage (93.72 is 0.9372), 101 is too many
    assert frame.get_column("rate").to_list() == [pytest.approx(0.9372), None]
    assert frame.get_column("surveyed_on").to_list() == [None, dt.date(2024, 3, 1)]
    messages = [p.message.zh for p in sub.problems if p.rule_id == "READ-16"]
    assert any(m.endswith("「minutes」字段的值「1500」超出合理范围，应在 0–1440 之间") for m in messages)
    assert any(m.endswith("的值「101」超出合理范围，应在 0–100% 之间") for m in messages)
    assert any(m.endswith("的值「2021-07-23」超出合理范围，应不早于 2021-07-24") for m in messages)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"kind": "str", "min": 0}, "applies to numbers and dates"),
        ({"kind": "int", "min": 5, "max": 1}, "is above max"),
        ({"kind": "date", "min": "2024-02-30"}, "is not a date"),
        ({"kind": "int", "min": "0"}, "must be a number"),
        ({"kind": "float", "percent": True}, "needs kind 'ratio'"),
    ],
)
def test_col_refuses_a_range_that_does_not_fit_the_kind(kwargs, words):
    kind = kwargs.pop("kind")
    with pytest.raises(ValueError, match=words):
        col("某列", kind, **kwargs)


# -- every contract column, from the specs -------------------------------------------------

COLUMNS = [(t.name, c) for t in CORE_TABLES.values() for c in t.columns.values()]


def test_every_contract_column_has_a_declared_range_or_domain():
    """Counts and amounts are bounded below, ratios both ways, dates by a window;
    codes, yes/no and text are their own domain. A new number column without a
    range fails here."""
    for table, column in COLUMNS:
        lo, hi = column.bounds
        if column.kind in ("int", "float"):
            assert lo is not None, f"{table}.{column.name} declares no min (col(..., min=0))"
        elif column.kind == "ratio":
            assert (lo, hi) == (0, 1), f"{table}.{column.name}: a ratio lies within 0..1"
        elif column.kind == "date":
            assert lo is not None and hi is not None, f"{table}.{column.name}"
            assert DATE_WINDOW[0] <= lo and hi <= DATE_WINDOW[1]
        elif column.kind == "enum":
            assert column.labels, f"{table}.{column.name}: an enum without codes"
        else:
            assert column.kind in ("str", "bool"), column.kind
        assert range_text(column)


def _cases(column: ColumnSpec) -> tuple[list[object], list[object]]:
    """(values just inside the column's range or domain, values just outside)."""
    lo, hi = column.bounds
    inside: list[object] = []
    outside: list[object] = []
    if column.kind == "int":
        inside += [str(lo), str(lo + 5)]
        outside += [str(lo - 1), f"{lo}.5"]  # below; not a whole number
        if hi is not None:
            inside.append(str(hi))
            outside.append(str(hi + 1))
    elif column.kind == "float":
        inside += [str(lo), f"{lo + 0.01}"]
        outside.append(f"{lo - 0.01}")
        if hi is not None:
            inside.append(str(hi))
            outside.append(f"{hi + 0.01}")
    elif column.kind == "ratio":
        inside += ["0", "1", "0.9372", "93.72%", "100%", "0%"]
        outside += ["-0.0001", "1.0001", "100.01%", "93.72", "-1%"]
    elif column.kind == "date":
        inside += [lo.isoformat(), hi.isoformat(), "2024/3/1"]
        outside += [(lo - dt.timedelta(days=1)).isoformat(), (hi + dt.timedelta(days=1)).isoformat()]
    elif column.kind == "enum":
        inside += list(column.labels) + list(column.labels.values())
        outside.append("不是代码")
    elif column.kind == "bool":
        inside += ["是", "否"]
        outside.append("也许")
    else:
        inside += ["任意文本", "-1"]
    return inside, outside


@pytest.mark.parametrize("table, column", COLUMNS, ids=[f"{t}.{c.name}" for t, c in COLUMNS])
def test_each_column_accepts_values_just_inside_and_refuses_values_just_outside(host, table, column):
    inside, outside = _cases(column)
    values = [*inside, *outside]
    rows = [{column.name: v} for v in values]
    if column.name != "school_id":  # a first cell that is data, never a note or a total
        rows = [{"school_id": f"A{i}", **r} for i, r in enumerate(rows)]
    sub = load_submission({"manifest": {"year": 2024}, table: rows}, host=host)
    frame = sub.tables[table].frame
    got = dict(
        zip(frame.get_column("__row__").to_list(), frame.get_column(column.name).to_list(), strict=True)
    )
    refused = {
        row
        for p in sub.problems
        if p.rule_id in ("READ-01", "READ-16") and p.evidence[0].columns == [column.name]
        for row in p.evidence[0].rows or ()
    }
    for i, value in enumerate(values, start=1):
        if i <= len(inside):
            assert got.get(i) is not None and i not in refused, (
                f"{table}.{column.name}: {value!r} is within {range_text(column)}"
            )
        else:
            assert got.get(i) is None and i in refused, (
                f"{table}.{column.name}: {value!r} is outside {range_text(column)}"
            )
    lo, hi = column.bounds
    typed = pl.Series([v for v in got.values() if v is not None])
    if lo is not None:
        assert typed.min() >= lo
    if hi is not None:
        assert typed.max() <= hi
