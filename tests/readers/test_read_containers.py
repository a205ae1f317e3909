"""Every container and every table-file format loads into the same typed tables."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from supervise_rules import RawTable, Reader, load_submission
from supervise_rules.submission import ROW
from supervise_rules.tables import Manifest

SCHOOLS_CSV = (
    "school_id,school_name,level,ownership,students,teaching_aux_area_m2\n"
    "2164000232,贺兰县第一小学,primary,public,1862,10635.7\n"
    "2164000266,贺兰县第二小学,primary,private,1647,9365.7\n"
)
SCHOOLS_ZH = [
    ["学校标识码", "学校名称", "学段", "办学性质", "在校生数", "教学及辅助用房面积"],
    ["2164000232", "贺兰县第一小学", "小学", "公办", 1862, 10635.7],
    ["2164000266", "贺兰县第二小学", "小学", "民办", 1647, 9365.7],
]
MANIFEST = Manifest(county_code="640122", county_name="贺兰县", year=2024, as_of=dt.date(2024, 9, 30))


@pytest.fixture
def expected(tmp_path_factory, load):
    path = tmp_path_factory.mktemp("expected") / "schools.csv"
    path.write_text(SCHOOLS_CSV, encoding="utf-8")
    return load(path).tables["schools"].frame


def test_folder_of_csv(folder, load):
    folder.add("schools.csv", SCHOOLS_CSV)
    sub = load(folder.path)
    assert sub.manifest == MANIFEST
    assert sub.problems == []
    assert sub.encodings == {"schools.csv": "utf-8"}
    table = sub.tables["schools"]
    assert table.frame.schema == pl.Schema(
        {
            "school_id": pl.String,
            "school_name": pl.String,
            "level": pl.String,
            "ownership": pl.String,
            "students": pl.Int64,
            "teaching_aux_area_m2": pl.Float64,
            ROW: pl.Int64,
        }
    )
    assert table.frame.get_column(ROW).to_list() == [1, 2]
    assert table.header_line == 1 and table.source == "schools.csv"
    assert table.headers["students"] == "students"


def test_workbook_with_chinese_sheets_title_row_and_manifest_sheet(tmp_path, load, expected, xlsx):
    book = xlsx(
        tmp_path / "贺兰县.xlsx",
        {
            "说明": [["项目", "内容"], ["区县代码", "640122"], ["区县名称", "贺兰县"],
                     ["年度", 2024], ["统计截止日期", "2024年9月30日"]],
            "学校": [["贺兰县 2024 年学校基本情况"], [], *SCHOOLS_ZH],
            "Sheet3": [],
        },
    )  # fmt: skip
    sub = load(book)
    assert sub.manifest == MANIFEST
    assert sub.problems == []
    table = sub.tables["schools"]
    assert_frame_equal(table.frame, expected)
    assert table.header_line == 3  # title row and a blank row above the header
    assert table.headers["students"] == "在校生数"
    assert table.source == "贺兰县.xlsx!学校"


def test_workbook_not_starting_at_a1(tmp_path, load, expected, xlsx):
    book = xlsx(tmp_path / "b.xlsx", {"schools": SCHOOLS_ZH}, start="C4")
    table = load(book).tables["schools"]
    assert_frame_equal(table.frame, expected)
    assert table.header_line == 4


def test_folder_mixing_formats(folder, load, expected, xlsx):
    xlsx(folder.path / "学校.xlsx", {"Sheet1": SCHOOLS_ZH})
    folder.add(
        "inspectors.json",
        json.dumps([{"inspector_id": "HLDX01", "role": "专职", "training_hours": 12}]),
    )
    pl.DataFrame({"kindergarten_id": ["K1"], "children": [30], "inclusive": [True]}).write_parquet(
        folder.path / "幼儿园.parquet"
    )
    folder.add("README.md", "not data")
    folder.add("~$学校.xlsx", b"lock file")
    sub = load(folder.path)
    # the README is listed as not read (info); the lock file is Excel's, not the clerk's
    assert [(p.rule_id, p.evidence[0].table) for p in sub.problems] == [("READ-14", "README.md")]
    assert set(sub.tables) == {"schools", "kindergartens", "inspectors"}
    assert_frame_equal(sub.tables["schools"].frame, expected)
    assert sub.tables["inspectors"].frame.row(0, named=True) == {
        "inspector_id": "HLDX01",
        "role": "full_time",
        "training_hours": 12.0,
        ROW: 1,
    }
    assert sub.tables["kindergartens"].frame.row(0) == ("K1", True, 30, 1)
    assert sub.encodings == {"inspectors.json": "utf-8"}


def test_json_document(tmp_path, load, expected):
    doc = {
        "manifest": {"区县代码": "640122", "county_name": "贺兰县", "year": 2024,
                     "as_of": "2024-09-30"},
        "学校": [
            {"school_id": "2164000232", "school_name": "贺兰县第一小学", "level": "primary",
             "ownership": "public", "students": 1862, "teaching_aux_area_m2": 10635.7},
            {"school_id": "2164000266", "school_name": "贺兰县第二小学", "level": "小学",
             "ownership": "民办", "students": "1,647", "teaching_aux_area_m2": 9365.7},
        ],
    }  # fmt: skip
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    sub = load(path)
    assert sub.manifest == MANIFEST and sub.problems == []
    assert_frame_equal(sub.tables["schools"].frame, expected)
    assert sub.tables["schools"].header_line == 0


def test_in_memory_records_and_frames(expected):
    records = pl.read_csv(SCHOOLS_CSV.encode(), infer_schema=False).to_dicts()
    for schools in (records, pl.DataFrame(records), pl.read_csv(SCHOOLS_CSV.encode())):
        sub = load_submission({"manifest": MANIFEST, "schools": schools})
        assert sub.manifest == MANIFEST and sub.problems == []
        assert_frame_equal(sub.tables["schools"].frame, expected)
        assert sub.source is None


def test_in_memory_pandas_frame(expected):
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(__import__("io").StringIO(SCHOOLS_CSV), dtype={"school_id": str})
    sub = load_submission({"manifest": {"year": 2024}, "schools": frame})
    assert_frame_equal(sub.tables["schools"].frame, expected)


def test_single_csv_file_is_one_table(tmp_path, load, expected):
    path = tmp_path / "学校.csv"
    path.write_text(SCHOOLS_CSV, encoding="utf-8")
    sub = load(path)
    assert_frame_equal(sub.tables["schools"].frame, expected)
    assert [p.rule_id for p in sub.problems] == ["READ-06"]  # no manifest


def test_headers_with_units_required_marks_and_full_width(folder, load):
    folder.add("学校.csv", "*学校标识码,学　段,在校生数（人）,教学及辅助用房面积(m2)\n1,初中,5,6\n")
    table = load(folder.path).tables["schools"]
    assert table.frame.columns == [
        "school_id", "level", "students", "teaching_aux_area_m2", ROW
    ]  # fmt: skip
    assert table.headers == {
        "school_id": "*学校标识码",
        "level": "学　段",
        "students": "在校生数（人）",
        "teaching_aux_area_m2": "教学及辅助用房面积(m2)",
    }


def test_title_rows_in_csv(folder, load):
    folder.add(
        "schools.csv", "贺兰县学校统计表\n填报日期：2024-09-30,,\n学校标识码,学段,在校生数\n1,小学,5\n"
    )
    table = load(folder.path).tables["schools"]
    assert table.header_line == 3
    assert table.frame.row(0) == ("1", "primary", 5, 1)


def test_vertically_merged_header_cells(tmp_path, load):
    import xlsxwriter

    path = tmp_path / "m.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("学校")
    sheet.merge_range("A1:A2", "学校标识码")
    sheet.merge_range("B1:B2", "学段")
    sheet.merge_range("C1:D1", "教师情况")
    sheet.write_row("C2", ["专任教师数", "县级以上骨干教师数"])
    sheet.write_row("A3", ["1", "小学", 10, 3])
    book.close()
    table = load(path).tables["schools"]
    assert table.header_line == 2
    assert table.frame.row(0, named=True) == {
        "school_id": "1", "level": "primary", "full_time_teachers": 10, "key_teachers": 3, ROW: 1
    }  # fmt: skip


def test_blank_rows_keep_row_numbers(folder, load):
    folder.add("schools.csv", "school_id,level,students\n1,primary,5\n,,\n\n2,junior,7\n")
    frame = load(folder.path).tables["schools"].frame
    assert frame.get_column(ROW).to_list() == [1, 4]


def test_columns_in_contract_order_then_unknown(folder, load):
    folder.add("schools.csv", "备注,students,school_id,level,联系人\nx,5,1,primary,张三\n")
    sub = load(folder.path)
    assert sub.tables["schools"].frame.columns == [
        "school_id", "level", "students", "备注", "联系人", ROW
    ]  # fmt: skip


def test_manifest_with_chinese_keys_and_extra_keys(tmp_path, load):
    (tmp_path / "submission.yaml").write_text(
        "区县代码: 640122\n年度: '２０２４'\n统计截止日期: 2024/9/30\n联系人: 张三\n", encoding="utf-8"
    )
    (tmp_path / "inspectors.csv").write_text("inspector_id\nD01\n", encoding="utf-8")
    manifest = load(tmp_path).manifest
    assert (manifest.county_code, manifest.year, manifest.as_of) == (
        "640122",
        2024,
        dt.date(2024, 9, 30),
    )
    assert manifest.model_extra == {"联系人": "张三"}


class PipeReader(Reader):
    """A third-party format: pipe-separated text."""

    name = "pipe"
    suffixes = (".psv",)

    def read(self, path):
        frame = pl.read_csv(path, separator="|", has_header=False, infer_schema=False)
        return [RawTable(frame=frame, locator="line")]


def test_a_plugin_reader_is_used(tmp_path, host):
    from types import SimpleNamespace

    (tmp_path / "schools.psv").write_text("school_id|level\n1|小学\n", encoding="utf-8")
    sub = load_submission(tmp_path, host=SimpleNamespace(readers=[*host.readers, PipeReader()]))
    assert sub.tables["schools"].frame.row(0) == ("1", "primary", 1)


def test_default_host_has_the_builtin_readers(folder):
    folder.add("schools.csv", SCHOOLS_CSV)
    assert load_submission(folder.path).tables["schools"].frame.height == 2


# -- in-memory tables in every form a program holds them (issue 13, item 1) ---------------

_MANIFEST = {"county_code": "640122", "year": 2024, "as_of": "2024-09-30"}
_COLUMNS = {"school_id": ["2164000001", "2164000002"], "level": ["primary", "junior"], "students": [100, 200]}


def _forms():
    import narwhals as nw
    import polars as pl
    import pyarrow as pa

    rows = [dict(zip(_COLUMNS, values, strict=True)) for values in zip(*_COLUMNS.values(), strict=True)]
    return {
        "records": rows,
        "columns": _COLUMNS,
        "columns, Chinese headers": {
            "学校标识码": _COLUMNS["school_id"],
            "学段": _COLUMNS["level"],
            "在校生数": _COLUMNS["students"],
        },
        "columns as arrays": {k: pa.array(v) for k, v in _COLUMNS.items()},
        "polars": pl.DataFrame(_COLUMNS),
        "polars lazy": pl.DataFrame(_COLUMNS).lazy(),
        "pyarrow": pa.table(_COLUMNS),
        "narwhals": nw.from_native(pl.DataFrame(_COLUMNS)),
    }


@pytest.mark.parametrize("form", list(_forms()))
def test_a_table_in_memory_reads_the_same_in_every_form(form):
    from supervise_rules import load_submission

    sub = load_submission({"manifest": _MANIFEST, "schools": _forms()[form]})
    frame = sub.table("schools").frame
    assert frame.select("school_id", "level", "students").rows() == [
        ("2164000001", "primary", 100),
        ("2164000002", "junior", 200),
    ]
    assert [p.rule_id for p in sub.problems] == []


def test_columns_of_different_lengths_are_refused_naming_them():
    from supervise_rules import SubmissionError, load_submission

    with pytest.raises(
        SubmissionError,
        match=r"'schools': the columns have different numbers of "
        r"values \(school_id: 2, students: 1\)",
    ):
        load_submission({"manifest": _MANIFEST, "schools": {"school_id": ["1", "2"], "students": [1]}})
