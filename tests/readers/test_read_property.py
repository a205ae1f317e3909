"""Random garbage in a cell never crashes the reader: it yields a valid value
(within the column's declared bounds), a missing value (blank cell) or a READ-01
(unreadable) or READ-16 (implausible) finding located to that cell."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supervise_rules import load_submission
from supervise_rules.tables import TABLES

#: (table, column under test, valid values of the table's other key columns)
TARGETS = [
    ("schools", "students", {"school_id": "1", "level": "primary"}),
    ("schools", "teaching_aux_area_m2", {"school_id": "1", "level": "primary"}),
    ("schools", "ownership", {"school_id": "1", "level": "primary"}),
    ("schools", "school_name", {"school_id": "1", "level": "primary"}),
    ("county", "social_recognition_rate", {"county_code": "640122"}),
    ("kindergartens", "inclusive", {"kindergarten_id": "K1"}),
    ("visits", "visit_date", {"inspector_id": "A"}),
]
PYTHON_TYPES = {
    "int": int, "float": float, "ratio": float, "bool": bool,
    "date": dt.date, "enum": str, "str": str,
}  # fmt: skip

garbage = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789,.%+-eE年月日/ 　０１２３４５６７８９，．％是否YyNn", max_size=15),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
)


def check(sub, table: str, column: str, value) -> None:
    kind = TABLES[table].columns[column].kind
    typed = sub.tables[table].frame.get_column(column).to_list()[0]
    problems = [p for p in sub.problems if p.rule_id in ("READ-01", "READ-16")]
    if typed is None:
        if problems:
            (problem,) = problems
            assert problem.evidence[0].table == table
            assert problem.evidence[0].rows == [1]
            assert problem.evidence[0].columns == [column]
        else:
            assert value is None or str(value).strip() == "" or isinstance(value, float)
    else:
        assert problems == []
        assert isinstance(typed, PYTHON_TYPES[kind])
        lo, hi = TABLES[table].columns[column].bounds
        assert lo is None or typed >= lo
        assert hi is None or typed <= hi


@settings(max_examples=200, deadline=None)
@given(target=st.sampled_from(TARGETS), value=garbage)
def test_garbage_in_memory(target, value):
    table, column, keys = target
    sub = load_submission({"manifest": {"year": 2024}, table: [{**keys, column: value}]})
    check(sub, table, column, value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.sampled_from(TARGETS), value=st.text(max_size=20))
def test_garbage_in_a_csv_cell(target, value):
    table, column, keys = target
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*keys, column])
    writer.writerow([*keys.values(), value])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{table}.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        sub = load_submission(path)
    if table in sub.tables and sub.tables[table].frame.height:
        check(sub, table, column, value)
