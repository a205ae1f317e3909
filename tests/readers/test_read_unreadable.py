"""Files that cannot be read at all raise SubmissionError naming the file."""

from __future__ import annotations

import json
import shutil

import pytest

from supervise_rules.errors import SubmissionError


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("schools.csv", b"", "schools.csv is empty"),
        ("schools.csv", b"\xef\xbb\xbf\r\n  \n", "schools.csv is empty"),
        ("schools.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "schools.csv is not a text table"),
        ("schools.csv", b"school_id\n\xff\xff\xfe\n", "neither UTF-8 nor GB18030"),
        ("schools.csv", "名称,备注\n甲,乙\n".encode(), "schools.csv is not a table of schools"),
        ("schools.xlsx", b"PK\x03\x04 not really a zip", "schools.xlsx is not a readable Excel"),
        ("schools.xlsx", b"", "schools.xlsx is empty"),
        ("schools.json", b'{"schools": [1, 2]', "schools.json is not valid JSON (line 1"),
        ("schools.json", b'{"schools": [1, 2]}', "schools.json: 'schools' must be a list of records"),
        ("schools.json", b'"text"', "schools.json must be an object"),
        ("schools.parquet", b"PAR1garbage", "schools.parquet is not a readable Parquet file"),
    ],
)
def test_unreadable_file(folder, load, name, content, words):
    folder.add(name, content)
    with pytest.raises(SubmissionError, match=words.replace("(", r"\(")):
        load(folder.path)


def test_unknown_extension_given_directly(tmp_path, load):
    path = tmp_path / "schools.ods.bak"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"schools\.ods\.bak: no reader for '\.bak' files"):
        load(path)


def test_missing_path(tmp_path, load):
    with pytest.raises(SubmissionError, match="does not exist"):
        load(tmp_path / "nope")


@pytest.mark.parametrize(
    ("yaml", "words"),
    [
        ("year: [2024\n", "submission.yaml is not valid YAML"),
        ("", "submission.yaml is empty"),
        ("- 2024\n", "submission.yaml must be an object"),
        ("year: twenty\n", "manifest entry 'year' is 'twenty', not an integer"),
        ("统计截止日期: 九月底\n", "manifest entry '统计截止日期' is '九月底', not a date"),
    ],
)
def test_bad_manifest(tmp_path, load, yaml, words):
    (tmp_path / "submission.yaml").write_text(yaml, encoding="utf-8")
    with pytest.raises(SubmissionError, match=words):
        load(tmp_path)


def test_same_table_twice(folder, load):
    folder.add("schools.csv", "school_id\n1\n")
    folder.add("学校.json", json.dumps([{"school_id": "2"}]))
    with pytest.raises(SubmissionError, match=r"table schools \(学校\) is given twice"):
        load(folder.path)


def test_corrupt_example_workbook_names_the_file(tmp_path, load):
    src = tmp_path / "helan.xlsx"
    shutil.copy("examples/helan-2024-xlsx/helan-2024.xlsx", src)
    data = bytearray(src.read_bytes())
    src.write_bytes(bytes(data[: len(data) // 2]))  # truncated download
    with pytest.raises(SubmissionError, match=r"helan\.xlsx is not a readable Excel workbook"):
        load(src)
