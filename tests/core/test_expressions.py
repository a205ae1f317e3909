"""The restricted expression language: what it accepts, computes and refuses."""

from __future__ import annotations

import narwhals as nw
import polars as pl
import pytest

from supervise_rules import ExpressionError, compile_expression


def evaluate(text: str, frame: pl.DataFrame) -> list:
    compiled = compile_expression(text)
    return nw.from_native(frame).select(v=compiled.expr).to_native()["v"].to_list()


FRAME = pl.DataFrame(
    {
        "students": [100, 0, 50],
        "key_teachers": [3, 1, None],
        "level": ["primary", "junior", "primary"],
        "在校生数": [100, 200, 300],
        "3-5岁适龄人口数": [10, 20, 30],
        "inclusive": [True, False, None],
    }
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100 * key_teachers / students", [3.0, None, None]),
        ("students + 1", [101, 1, 51]),
        ("-students", [-100, 0, -50]),
        ("在校生数 / 100", [1.0, 2.0, 3.0]),
        ("`3-5岁适龄人口数` * 2", [20, 40, 60]),
        ('level == "primary"', [True, False, True]),
        ("level != 'primary' or students > 60", [True, True, False]),
        ("not (students >= 50)", [False, True, False]),
        ("ceil(students / 12)", [9.0, 0.0, 5.0]),
        ("floor(students / 12)", [8.0, 0.0, 4.0]),
        ("abs(0 - students)", [100, 0, 50]),
        ("round(students / 3, 1)", [33.3, 0.0, 16.7]),
        ('if(level == "primary", 1, 2)', [1, 2, 1]),
        ("is_null(key_teachers)", [False, False, True]),
        ("students * 0 + 1.5e1", [15.0, 15.0, 15.0]),
    ],
)
def test_row_expressions(text, expected):
    assert evaluate(text, FRAME) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sum(students)", 150),
        ("count(key_teachers)", 2),
        ("mean(students)", 50.0),
        ("min(students) + max(students)", 100),
        ('sum(if(level == "primary", students, 0)) / sum(students)', 1.0),
    ],
)
def test_aggregates(text, expected):
    compiled = compile_expression(text)
    assert compiled.aggregate
    assert evaluate(text, FRAME) == [expected]


def test_division_records_denominators_and_zero_flag():
    compiled = compile_expression("100 * key_teachers / students")
    assert compiled.columns == ["key_teachers", "students"]
    assert [text for _, text in compiled.denominators] == ["students"]
    flags = nw.from_native(FRAME).select(z=compiled.zero_denominator()).to_native()["z"].to_list()
    assert flags == [False, True, False]


def test_resolver_maps_chinese_headers():
    compiled = compile_expression("在校生数 + 1", {"在校生数": "students"}.get)
    assert compiled.columns == ["students"]


def test_resolver_none_means_unknown_column():
    with pytest.raises(ExpressionError, match="unknown column 'nope'"):
        compile_expression("nope + 1", lambda name: None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('__import__("os")', "name '__import__' is not allowed"),
        ('__import__("os").system("id")', "unexpected character '.'"),
        ("students.__class__", "unexpected character '.'"),
        ("().__class__.__bases__", "unexpected character '.'"),
        ("lambda: 1", "unexpected character ':'"),
        ("import os", "unexpected 'os'"),
        ("students[0]", "unexpected character '['"),
        ("students ** 2", "'**' is not allowed"),
        ("eval('1')", "unknown function 'eval'"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("__builtins__", "not allowed"),
        ("x if y else z", "unexpected 'if'"),
        ("1 < 2 < 3", "chained comparisons"),
        ("sum(sum(students))", "inside another aggregate"),
        ("ceil(1, 2)", "takes 1 argument"),
        ("round(students, students)", "digits must be an integer"),
        ("students +", "end of expression"),
        ("(students", "expected ')'"),
        ("", "empty expression"),
        ("students; 1", "unexpected character ';'"),
        ("'unterminated", "unexpected character"),
        ("a" * 3000, "longer than"),
    ],
)
def test_rejected_expressions(text, message):
    with pytest.raises(ExpressionError) as info:
        compile_expression(text)
    assert message in str(info.value)


def test_error_reports_position():
    with pytest.raises(ExpressionError) as info:
        compile_expression("students + $")
    assert info.value.position == 11
    assert "position 12" in str(info.value)
