"""CSV is read exactly (issue 11, item 3): every line's width is checked
against the header's and nothing is dropped (READ-15); lines count as a text
editor shows them and the spreadsheet row is given where they differ; CR-only
line ends and UTF-16 without a byte-order mark are read; a file in no known
encoding is refused with the line and byte of the first bad byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supervise_rules.cli import main
from supervise_rules.errors import SubmissionError

HEADER = "school_id,school_name,level,students"


def rows(n: int, start: int = 1) -> list[str]:
    return [f"21640{i:05},学校{i},primary,{100 + i}" for i in range(start, start + n)]


def findings(folder: Path, capsys, code: str | None = None) -> list[dict]:
    capsys.readouterr()
    assert main([str(folder), "--format", "json", "--fail-on", "never"]) == 0
    report = json.loads(capsys.readouterr().out)
    return [f for f in report["findings"] if code is None or f["rule_id"] == code]


def write(
    folder: Path, lines: list[str], *, name: str = "schools.csv", end: str = "\n", encoding: str = "utf-8"
) -> Path:
    path = folder / name
    path.write_bytes(end.join(lines).encode(encoding) + end.encode(encoding))
    return path


def test_a_wider_line_after_the_sniffed_lines_keeps_its_cells(folder, load, capsys):
    lines = [HEADER, *rows(70)]
    lines[60] += ",备注一,多余"  # line 61: two cells more than the header
    write(folder.path, lines)
    (f,) = findings(folder.path, capsys, "READ-15")
    assert f["severity"] == "major" and f["outcome"] == "error"
    assert f["message"]["zh"] == (
        "schools.csv 第 61 行有 6 个单元格，而表头（第 1 行）有 4 个：多出的单元格 E61「备注一」、"
        "F61「多余」没有表头，已按无表头的列保留（请检查是否多了分隔符或填错了列）"
    )
    assert f["message"]["en"].startswith(
        "schools.csv, line 61 has 6 cells where the header (line 1) has 4: the extra cells "
        "E61 '备注一', F61 '多余' have no header"
    )
    assert f["evidence"][0]["lines"] == [61] and f["evidence"][0]["cells"] == ["E61", "F61"]
    # nothing dropped: the cells are columns of the table, kept as text (READ-03)
    table = load(folder.path).tables["schools"]
    kept = table.frame.filter(table.frame["school_id"] == "2164000060")
    assert kept.get_column("column_E").to_list() == ["备注一"]
    assert kept.get_column("column_F").to_list() == ["多余"]
    assert table.frame.height == 70


def test_a_narrower_line_names_the_missing_cells(folder, load, capsys):
    lines = [HEADER, *rows(5)]
    lines[3] = "2164000003,学校3"
    write(folder.path, lines)
    (f,) = findings(folder.path, capsys, "READ-15")
    assert f["severity"] == "minor" and f["outcome"] == "error"
    assert f["message"]["zh"] == (
        "schools.csv 第 4 行有 2 个单元格，而表头（第 1 行）有 4 个：缺少单元格 C4「level」、"
        "D4「students」，已按空白读取（若是中间漏填了一格，其后各列的值都会错位）"
    )
    assert f["evidence"][0]["cells"] == ["C4", "D4"]
    assert f["evidence"][0]["headers"] == ["level", "students"]
    frame = load(folder.path).tables["schools"].frame
    assert frame.get_column("students").to_list() == [101, 102, None, 104, 105]


def test_padding_blank_lines_and_footers_are_not_reported(folder, capsys):
    lines = [f"{HEADER},", *[f"{r}," for r in rows(3)]]  # a trailing separator everywhere
    lines.append(rows(1, 4)[0])  # one without it: only a blank header cell is missing
    lines.append(rows(1, 5)[0] + ",,")  # blank cells beyond the header
    lines += ["", "填表人：张三"]  # a blank line and a footer (READ-07)
    write(folder.path, lines)
    assert findings(folder.path, capsys, "READ-15") == []


def test_separators_inside_quoted_cells_are_not_cells(folder, load, capsys):
    # the last column has blanks, so the widths are counted from the separators
    lines = [
        HEADER,
        '2164000001,"学校,一",primary,',
        '2164000002,"a,b,c",primary,5',
        '2164000003,"x\ny,z",primary,',
        "2164000004,学校4,primary,7,extra",
    ]
    write(folder.path, lines)
    (f,) = findings(folder.path, capsys, "READ-15")
    assert f["evidence"][0]["lines"] == [6]  # the quoted line break moves it down one line
    assert "第 6 行（在 Excel 中为第 5 行）有 5 个单元格" in f["message"]["zh"]
    assert "line 6 (row 5 in Excel) has 5 cells" in f["message"]["en"]
    frame = load(folder.path).tables["schools"].frame
    assert frame.get_column("school_name").to_list() == ["学校,一", "a,b,c", "x\ny,z", "学校4"]


def test_many_uneven_lines_are_summed_up(folder, capsys):
    lines = [HEADER, *[f"{r},x" for r in rows(30)]]
    write(folder.path, lines)
    found = findings(folder.path, capsys, "READ-15")
    assert len(found) == 21
    assert found[-1]["message"]["en"] == (
        "schools.csv: 10 more lines have more or fewer cells than the header (4): lines 22–31"
    )
    assert found[-1]["evidence"][0]["lines"] == list(range(22, 32))


def test_tsv_lines_are_checked_too(folder, capsys):
    lines = [HEADER.replace(",", "\t"), *[r.replace(",", "\t") for r in rows(3)]]
    lines[2] += "\tstray"
    write(folder.path, lines, name="schools.tsv")
    (f,) = findings(folder.path, capsys, "READ-15")
    assert f["evidence"][0]["cells"] == ["E3"]


def test_a_nul_byte_still_gives_exact_widths(folder, load, capsys):
    lines = [HEADER, *rows(80)]
    lines[5] = "2164000005,学\x00校,primary,5,extra"
    write(folder.path, lines)
    (f,) = findings(folder.path, capsys, "READ-15")
    assert f["evidence"][0]["lines"] == [6] and f["evidence"][0]["cells"] == ["E6"]


def test_multi_line_cells_give_the_spreadsheet_row_in_cell_messages(folder, capsys):
    lines = [HEADER, '2164000001,"第一\n小学",primary,1', "2164000002,学校2,primary,三十"]
    write(folder.path, lines)
    (f,) = findings(folder.path, capsys, "READ-01")
    assert f["message"]["zh"].startswith(
        "schools.csv 第 4 行（在 Excel 中为第 3 行，单元格 D3）「students」列的值「三十」"
    )
    assert f["evidence"][0]["lines"] == [4]


# --- line ends and encodings -------------------------------------------------------------


def test_cr_only_line_ends_are_read(folder, load):
    lines = [HEADER, *rows(3), '2164000009,"old\rmac",primary,9']
    write(folder.path, lines, end="\r")
    table = load(folder.path).tables["schools"]
    assert table.frame.get_column("school_id").to_list() == [
        "2164000001",
        "2164000002",
        "2164000003",
        "2164000009",
    ]
    assert table.frame.get_column("school_name").to_list()[-1] == "old\rmac"
    assert table.frame.get_column("students").to_list() == [101, 102, 103, 9]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_byte_order_mark_is_read(folder, load, encoding):
    write(folder.path, ["学校标识码,学校名称,学段", "2164000232,贺兰县第一小学,小学"], encoding=encoding)
    sub = load(folder.path)
    assert sub.encodings == {"schools.csv": encoding}
    assert sub.tables["schools"].frame.get_column("school_name").to_list() == ["贺兰县第一小学"]


def test_a_bad_byte_is_refused_at_its_line(folder, load):
    text = "\n".join([HEADER, *rows(10)]).encode() + b"\n2164000011,\xff\xfe\xfd,primary,1\n"
    (folder.path / "学校.csv").write_bytes(text)
    offset = text.index(b"\xff") + 1
    with pytest.raises(SubmissionError) as raised:
        load(folder.path)
    message = str(raised.value)
    assert f"学校.csv 第 12 行（第 {offset:,} 字节）不是 UTF-8 或 GB18030 文本" in message
    assert f"学校.csv: line 12 (byte {offset:,}, 0xFF) is neither UTF-8 nor GB18030" in message


def test_a_bad_byte_in_gb18030_text_is_refused_at_its_line(folder, load):
    text = "\r\n".join([HEADER, *rows(4)]).encode("gb18030") + b"\r\n2164000005,\x80,primary,1\r\n"
    (folder.path / "schools.csv").write_bytes(text)
    with pytest.raises(SubmissionError, match=r"line 6 \(byte [\d,]+, 0x80\)"):
        load(folder.path)


def test_a_bad_byte_through_the_cli_is_exit_2(folder, capsys):
    (folder.path / "schools.csv").write_bytes(HEADER.encode() + b"\n1,\xff,primary,1\n")
    capsys.readouterr()
    assert main([str(folder.path)]) == 2
    err = capsys.readouterr().err
    assert "第 2 行" in err and "Traceback" not in err


@pytest.mark.parametrize(("end", "inside"), [("\r\n", "\r\n"), ("\n", "\r"), ("\r", "\n"), ("\r", "\r")])
def test_line_breaks_in_cells_are_found_whatever_the_line_ends(folder, capsys, end, inside):
    # the line ends counted with the encoding decide whether cells are searched
    lines = [HEADER, f'2164000001,"第一{inside}小学",primary,1', "2164000002,学校2,primary,三十"]
    write(folder.path, lines, end=end)
    (f,) = findings(folder.path, capsys, "READ-01")
    assert f["evidence"][0]["lines"] == [4]
    assert "在 Excel 中为第 3 行" in f["message"]["zh"]
