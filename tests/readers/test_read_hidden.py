"""Hidden sheets and files not read are reported, never skipped silently
(READ-13, READ-14). Every workbook and folder is made by the test, and checked
through the CLI."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from supervise_rules.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "helan-2024"
MANIFEST_ROWS = [
    ["项目", "内容"],
    ["区县代码", "640122"],
    ["区县名称", "贺兰县"],
    ["年度", 2024],
    ["统计截止日期", "2024-09-30"],
]


def readable() -> str:
    """The suffixes the CLI's readers read, as the messages list them."""
    from supervise_rules.plugins import get_plugin_host

    return ", ".join(sorted({s.lower() for r in get_plugin_host().readers for s in r.suffixes}))


def check(capsys, path: Path, *args: str) -> tuple[int, dict]:
    code = main([str(path), "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def notices(report: dict, code: str) -> list[tuple[str, str, str, str]]:
    """(table, severity, zh, en) of every finding of one READ code."""
    return [
        (f["evidence"][0]["table"], f["severity"], f["message"]["zh"], f["message"]["en"])
        for f in report["findings"]
        if f["rule_id"] == code
    ]


def outcomes(report: dict) -> list[tuple[str, str, str]]:
    """What the rules found, independently of how locations are worded."""
    return sorted(
        (f["rule_id"], f["subject"]["id"], f["outcome"])
        for f in report["findings"]
        if not f["rule_id"].startswith("READ-")
    )


def example_copy(target: Path, *leave_out: str) -> Path:
    """The data files of examples/helan-2024 (not its README), less ``leave_out``."""
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("README.md", *leave_out))
    return target


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def workbook(
    path: Path,
    sheets: dict[str, list[list]],
    *,
    hidden: tuple[str, ...] = (),
    very_hidden: tuple[str, ...] = (),
) -> Path:
    """A workbook with one sheet per entry, some of them hidden (xlsxwriter's
    ``hide()``) or very hidden (set afterwards with openpyxl, which xlsxwriter
    cannot do)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for i, row in enumerate(rows):
            sheet.write_row(i, 0, row)
        if name in hidden:
            sheet.hide()
    book.close()
    if very_hidden:
        openpyxl = pytest.importorskip("openpyxl")
        book = openpyxl.load_workbook(path)
        for name in very_hidden:
            book[name].sheet_state = "veryHidden"
        book.save(path)
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The example's report, run from its CSV folder."""
    folder = example_copy(tmp_path_factory.mktemp("reference") / "helan")
    code = main([str(folder), "--format", "json", "--output", str(folder.parent / "r.json")])
    assert code == 1
    return json.loads((folder.parent / "r.json").read_text(encoding="utf-8"))


def test_hidden_schools_sheet_is_read_and_flagged(tmp_path, capsys, reference):
    folder = example_copy(tmp_path / "helan", "schools.csv", "submission.yaml")
    book = workbook(
        folder / "贺兰县2024.xlsx",
        {
            "说明": MANIFEST_ROWS,
            "学校": csv_rows(EXAMPLE / "schools.csv"),
            "下拉选项": [["办学性质"], ["公办"], ["民办"]],
            "Sheet3": [],
        },
        hidden=("学校",),
        very_hidden=("下拉选项",),
    )
    openpyxl = pytest.importorskip("openpyxl")
    assert [s.sheet_state for s in openpyxl.load_workbook(book).worksheets] == [
        "visible",
        "hidden",
        "veryHidden",
        "visible",
    ]

    code, report = check(capsys, folder)
    assert code == 1  # the example's major failures, found in the hidden sheet
    assert notices(report, "READ-13") == [
        (
            "schools",
            "info",
            "贺兰县2024.xlsx 工作表「学校」是隐藏工作表，已作为「学校」表读取并检查",
            "贺兰县2024.xlsx, sheet '学校' is a hidden sheet; it was read and checked as table schools",
        ),
        (
            "下拉选项",
            "info",
            "贺兰县2024.xlsx 工作表「下拉选项」是深度隐藏工作表（veryHidden，Excel 的“取消隐藏”中不列出），"
            "不是数据规范中的表，未读取（可用的表：" + "、".join(_tables_zh()) + "）",
            "贺兰县2024.xlsx, sheet '下拉选项' is a very hidden sheet (veryHidden: Excel's Unhide does "
            "not list it) and not a table of the data contract; it was not read (tables: "
            + ", ".join(_tables_en())
            + ")",
        ),
    ]
    # the schools' rules ran on the hidden sheet exactly as on schools.csv:
    # BAL-21 (贺兰县第三小学's class of 52), BAL-05, INS-01 ... as the README lists
    assert outcomes(report) == outcomes(reference)
    assert ("BAL-21", "2164000303/primary", "fail") in outcomes(report)
    # the empty Sheet3 holds nothing and is not mentioned; nothing else is reported
    assert {f["rule_id"] for f in report["findings"] if f["rule_id"].startswith("READ-")} == {"READ-13"}
    assert "Sheet3" not in json.dumps(report, ensure_ascii=False)
    rules = {r["rule_id"]: r for r in report["rules"]}
    assert rules["READ-13"]["by_outcome"]["fail"] == 2 and rules["READ-13"]["severity"] == "info"


def test_hidden_manifest_sheet_is_read(tmp_path, capsys):
    rows = csv_rows(EXAMPLE / "county.csv")
    book = workbook(tmp_path / "贺兰县.xlsx", {"县域概况": rows, "说明": MANIFEST_ROWS}, hidden=("说明",))
    code, report = check(capsys, book, "--fail-on", "never")
    assert code == 0
    assert report["submission"]["county_name"] == "贺兰县"
    assert report["submission"]["as_of"] == "2024-09-30"
    assert notices(report, "READ-13") == [
        (
            "manifest",
            "info",
            "贺兰县.xlsx 工作表「说明」是隐藏工作表，已作为清单（说明）读取",
            "贺兰县.xlsx, sheet '说明' is a hidden sheet; it was read as the manifest",
        )
    ]
    assert notices(report, "READ-06") == []  # the manifest was found


def test_hidden_helper_sheet_does_not_change_which_sheet_a_table_file_is(tmp_path, capsys):
    """学校.xlsx with one visible sheet is the schools table, whatever its sheet's
    name, also when a hidden sheet (drop-down lists) sits next to it."""
    folder = example_copy(tmp_path / "helan", "schools.csv")
    workbook(
        folder / "学校.xlsx",
        {"Sheet1": csv_rows(EXAMPLE / "schools.csv"), "lists": [["level"], ["primary"]]},
        hidden=("lists",),
    )
    code, report = check(capsys, folder)
    assert code == 1
    assert ("BAL-21", "2164000303/primary", "fail") in outcomes(report)
    assert [(t, s) for t, s, _, _ in notices(report, "READ-13")] == [("lists", "info")]
    assert "未读取" in notices(report, "READ-13")[0][2]
    assert notices(report, "READ-05") == []


def test_hidden_sheet_given_a_table_twice_is_refused(tmp_path, capsys):
    schools = csv_rows(EXAMPLE / "schools.csv")
    book = workbook(
        tmp_path / "b.xlsx", {"说明": MANIFEST_ROWS, "schools": schools, "学校": schools}, hidden=("学校",)
    )
    assert main([str(book)]) == 2
    assert "given twice" in capsys.readouterr().err


def test_files_not_read_are_listed(tmp_path, capsys):
    folder = example_copy(tmp_path / "helan")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04 not really a document")
    (folder / "data.txt").write_text("学校,在校生数\n一小,1862\n", encoding="utf-8")
    (folder / "README.md").write_text("# 贺兰县 2024 年报送说明\n", encoding="utf-8")
    (folder / "LICENSE").write_text("free", encoding="utf-8")
    (folder / "submission.yml").write_text("county_code: '640122'\n", encoding="utf-8")
    (folder / "附件").mkdir()
    (folder / "附件" / "照片.jpg").write_bytes(b"\xff\xd8")
    # made by the system or by Excel, not by the clerk: not mentioned
    (folder / "~$schools.xlsx").write_bytes(b"lock")
    (folder / ".DS_Store").write_bytes(b"\0")
    (folder / "Thumbs.db").write_bytes(b"\0")

    code, report = check(capsys, folder)
    assert code == 1  # the example's own failures; the notices are info
    known = readable()
    assert ".csv, .duckdb, .json" in known and ".xlsx" in known
    assert notices(report, "READ-14") == [
        (
            "LICENSE",
            "info",
            f"「LICENSE」未读取：没有扩展名，无法判断格式（可读取：{_zh(known)}）",
            f"LICENSE was not read: it has no suffix, so its format is unknown (readable: {known})",
        ),
        (
            "README.md",
            "info",
            f"「README.md」未读取：没有读取 .md 文件的读取器（可读取：{_zh(known)}）",
            f"README.md was not read: no reader reads '.md' files (readable: {known})",
        ),
        (
            "data.txt",
            "info",
            f"「data.txt」未读取：没有读取 .txt 文件的读取器（可读取：{_zh(known)}）",
            f"data.txt was not read: no reader reads '.txt' files (readable: {known})",
        ),
        (
            "notes.docx",
            "info",
            f"「notes.docx」未读取：没有读取 .docx 文件的读取器（可读取：{_zh(known)}）",
            f"notes.docx was not read: no reader reads '.docx' files (readable: {known})",
        ),
        (
            "submission.yml",
            "info",
            "「submission.yml」未读取：是第二份清单（已读取 submission.yaml）",
            "submission.yml was not read: it is a second manifest (submission.yaml was read)",
        ),
        (
            "附件",
            "info",
            "「附件」未读取：是文件夹（子文件夹中的文件不读取）",
            "附件 was not read: it is a folder (files in subfolders are not read)",
        ),
    ]
    text = json.dumps(report, ensure_ascii=False)
    for silent in ("~$schools.xlsx", ".DS_Store", "Thumbs.db", "照片.jpg"):
        assert silent not in text
    assert {f["rule_id"] for f in report["findings"] if f["rule_id"].startswith("READ-")} == {"READ-14"}


def test_a_known_suffix_that_is_not_a_table_stays_read_05(tmp_path, capsys):
    folder = example_copy(tmp_path / "helan")
    (folder / "notes.csv").write_text("说明\n数据已核对\n", encoding="utf-8")
    _, report = check(capsys, folder)
    assert [t for t, *_ in notices(report, "READ-05")] == ["notes"]
    assert notices(report, "READ-14") == []


def test_table_view_lists_the_notices(tmp_path, capsys):
    folder = example_copy(tmp_path / "helan")
    (folder / "学校.docx").write_bytes(b"PK")
    main([str(folder), "--lang", "zh"])
    out = capsys.readouterr().out
    assert "READ-14" in out and "学校.docx" in out


def _tables_zh() -> list[str]:
    from supervise_rules.tables import TABLES

    return [s.zh for s in TABLES.values()]


def _tables_en() -> list[str]:
    from supervise_rules.tables import TABLES

    return list(TABLES)


def _zh(listing: str) -> str:
    return listing.replace(", ", "、")
