"""The 贺兰县 2024 example in every container loads into identical tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from supervise_rules.tables import TABLES

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
VARIANTS = [
    "helan-2024-xlsx",
    "helan-2024-xlsx/helan-2024.xlsx",
    "helan-2024-gb18030",
    "helan-2024-json",
    "helan-2024-json/helan-2024.json",
]


@pytest.fixture(scope="module")
def reference(host):
    from supervise_rules import load_submission

    return load_submission(EXAMPLES / "helan-2024", host=host)


def readme_only(sub) -> bool:
    """The only problem is the notice that the folder's README.md was not read
    (READ-14, info): the README documents the example, it is not data."""
    return [(p.rule_id, p.evidence[0].table) for p in sub.problems] == [("READ-14", "README.md")]


def test_reference_loads_cleanly(reference):
    assert readme_only(reference)
    assert set(reference.tables) == set(TABLES)
    assert reference.manifest.as_of.isoformat() == "2024-09-30"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_gives_the_same_tables(reference, load, variant):
    sub = load(EXAMPLES / variant)
    assert readme_only(sub) if (EXAMPLES / variant).is_dir() else sub.problems == []
    assert sub.manifest == reference.manifest
    assert list(sub.tables) == list(reference.tables)
    for name, table in reference.tables.items():
        assert_frame_equal(sub.tables[name].frame, table.frame, check_exact=True)


def test_workbook_rows_are_cited_as_sheet_rows(load):
    sub = load(EXAMPLES / "helan-2024-xlsx")
    schools = sub.tables["schools"]
    assert schools.header_line == 2  # merged title row above the Chinese headers
    assert schools.file_line(1) == 3
    assert schools.headers["students"] == "在校生数"


def test_gb18030_folder_reports_its_encodings(load):
    sub = load(EXAMPLES / "helan-2024-gb18030")
    assert set(sub.encodings.values()) == {"gb18030"}
    assert "学校.csv" in sub.encodings


@pytest.mark.parametrize("name", ["helan-2024", "helan-2024-preschool"])
def test_source_examples_load_cleanly(load, name):
    assert readme_only(load(EXAMPLES / name))


def test_cited_rows_and_cells_match_what_excel_shows(load):
    """openpyxl, independently of calamine: the sheet row and column our
    messages would cite hold the value we read."""
    openpyxl = pytest.importorskip("openpyxl")
    sub = load(EXAMPLES / "helan-2024-xlsx")
    book = openpyxl.load_workbook(EXAMPLES / "helan-2024-xlsx" / "helan-2024.xlsx", read_only=True)
    try:
        sheet = book["学校"]
        header = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
        schools = sub.tables["schools"]
        column = header.index(schools.headers["school_name"]) + 1
        for row, name in schools.frame.select("__row__", "school_name").iter_rows():
            assert sheet.cell(schools.file_line(row), column).value == name
    finally:
        book.close()
