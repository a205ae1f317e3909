"""Each normalization rule, column-wise, on one small frame per kind."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from supervise_rules.readers.normalize import ROW, normalize_columns
from supervise_rules.tables import TABLES, ColumnSpec


def run(kind: str, values: list, *, labels: dict[str, str] | None = None):
    spec = ColumnSpec(name="x", zh="某列", kind=kind, labels=labels or {})  # type: ignore[arg-type]
    frame = pl.DataFrame({"x": values}).with_row_index(ROW, offset=1)
    frame = frame.with_columns(pl.col(ROW).cast(pl.Int64))
    typed, bad = normalize_columns(frame, {"x": spec})
    bad_rows = bad[0].frame.get_column(ROW).to_list() if bad else []
    return typed.get_column("x").to_list(), bad_rows


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1234", 1234),
        ("1,234", 1234),
        ("1,234,567", 1234567),
        ("１２３４", 1234),  # full-width digits
        ("１，２３４", 1234),  # full-width comma
        (" 42 ", 42),
        ("\u300042\u3000", 42),  # ideographic spaces
        ("+7", 7),
        ("12.0", 12),  # an integral number from a spreadsheet
        ("-3", -3),
    ],
)
def test_int_accepts(raw, value):
    assert run("int", [raw]) == ([value], [])


@pytest.mark.parametrize("raw", ["12.5", "1,23", "12人", "abc", "1 234", "inf", "NaN", "#N/A"])
def test_int_rejects(raw):
    assert run("int", [raw]) == ([None], [1])


@pytest.mark.parametrize(
    ("raw", "value"),
    [("10635.7", 10635.7), ("10,635.7", 10635.7), ("1e3", 1000.0), ("６４０９０００", 6409000.0)],
)
def test_float_accepts(raw, value):
    assert run("float", [raw]) == ([value], [])


def test_float_rejects_percent_and_text():
    assert run("float", ["98%", "n/a", "inf"]) == ([None, None, None], [1, 2, 3])


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("98.01%", 0.9801),
        ("９８．０１％", 0.9801),
        ("98.01 %", 0.9801),
        ("0.9801", 0.9801),  # a bare fraction stays
        ("100%", 1.0),
        ("0", 0.0),
        ("93.72%", 0.9372),
    ],
)
def test_ratio(raw, value):
    assert run("ratio", [raw]) == ([value], [])


def test_ratio_rejects():
    assert run("ratio", ["%", "abc%", "98.01%%"]) == ([None, None, None], [1, 2, 3])


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("是", True), ("否", False), ("Y", True), ("n", False), ("yes", True), ("NO", False),
        ("true", True), ("False", False), ("1", True), ("0", False), ("ｙ", True),
    ],
)  # fmt: skip
def test_bool(raw, value):
    assert run("bool", [raw]) == ([value], [])


def test_bool_rejects():
    assert run("bool", ["对", "2", "maybe"]) == ([None, None, None], [1, 2, 3])


@pytest.mark.parametrize(
    "raw",
    [
        "2024-03-01",
        "2024/3/1",
        "2024/03/01",
        "2024.3.1",
        "2024年3月1日",
        "２０２４年３月１日",
        "20240301",
        "45352",  # Excel serial day number
        "45352.5",  # serial with a time of day
        "2024-03-01 00:00:00",  # a date cell of a workbook
        "2024-03-01T08:30:00",
        "2024-03-01 00:00:00.000000",
    ],
)
def test_date(raw):
    assert run("date", [raw]) == ([dt.date(2024, 3, 1)], [])


@pytest.mark.parametrize("raw", ["2024-02-30", "2024年3月", "3/1/2024", "soon", "1", "0024-03-01"])
def test_date_rejects(raw):
    assert run("date", [raw]) == ([None], [1])


def test_enum_by_code_or_label():
    labels = TABLES["schools"].columns["ownership"].labels
    values, bad = run("enum", ["public", "公办", "民办", " PRIVATE ", "公 办", "国有"], labels=labels)
    assert values == ["public", "public", "private", "private", "public", None]
    assert bad == [6]


def test_enum_label_with_slash():
    labels = TABLES["dropout_cases"].columns["status"].labels
    assert run("enum", ["依法延缓/免予入学", "已劝返"], labels=labels) == (
        ["exempt", "returned"],
        [],
    )


def test_blank_cells_are_missing_not_errors():
    for kind in ("int", "float", "ratio", "bool", "date", "str"):
        values, bad = run(kind, [None, "", "   ", "\u3000", "\u200b"])
        assert values == [None] * 5 and bad == [], kind


def test_str_keeps_chinese_punctuation_but_folds_full_width_digits():
    assert run("str", [" ２１６４０００２３２ ", "贺兰县第一小学（东校区）"]) == (
        ["2164000232", "贺兰县第一小学（东校区）"],
        [],
    )


def test_native_dtypes_take_the_direct_path():
    frame = pl.DataFrame(
        {
            ROW: [1, 2],
            "n": [1, 2],
            "f": [0.5, float("nan")],
            "d": [dt.date(2024, 3, 1), None],
            "t": [dt.datetime(2024, 3, 1, 8), None],
            "b": [True, False],
            "s": [2164000232.0, 1.5],
        }
    )
    specs = {
        "n": ColumnSpec("n", "n", "int"),
        "f": ColumnSpec("f", "f", "ratio"),
        "d": ColumnSpec("d", "d", "date"),
        "t": ColumnSpec("t", "t", "date"),
        "b": ColumnSpec("b", "b", "bool"),
        "s": ColumnSpec("s", "s", "str"),
    }
    typed, bad = normalize_columns(frame, specs)
    assert bad == []
    assert typed.schema == pl.Schema(
        {
            ROW: pl.Int64,
            "n": pl.Int64,
            "f": pl.Float64,
            "d": pl.Date,
            "t": pl.Date,
            "b": pl.Boolean,
            "s": pl.String,
        }
    )
    assert typed.row(0) == (1, 1, 0.5, dt.date(2024, 3, 1), dt.date(2024, 3, 1), True, "2164000232")
    assert typed.row(1)[2] is None  # NaN is missing, not a number
    assert typed.row(1)[6] == "1.5"


def test_unknown_columns_stay_text():
    frame = pl.DataFrame({ROW: [1], "备注": [" 无 "]})
    typed, bad = normalize_columns(frame, {"备注": None})
    assert typed.get_column("备注").to_list() == ["无"] and bad == []
