"""docs/data-contract.md is generated from the table specs and current; the
docs link to nothing outside the repository."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from supervise_rules.contract import header_with_unit, markdown
from supervise_rules.tables import CORE_TABLES, MANIFEST

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "data-contract.md"
DOCS = [
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "README.md",
    *sorted((ROOT / "examples").glob("*/README.md")),
]


def test_committed_doc_is_current():
    current = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
    assert current == markdown(), (
        "docs/data-contract.md is stale: run `python docs/gen_data_contract.py` and commit it"
    )


def test_generator_check_mode_agrees():
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "gen_data_contract.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_doc_lists_every_table_column_alias_and_manifest_key():
    text = markdown()
    for spec in CORE_TABLES.values():
        heading = f"### `{spec.name}` — {spec.zh}"
        assert heading in text
        section = text.split(heading, 1)[1].split("\n### ", 1)[0]
        for alias in spec.aliases:
            assert alias in section
        for column in spec.columns.values():
            row = next(
                line for line in section.splitlines() if line.startswith(f"| `{column.name}` | {column.zh} |")
            )
            for alias in column.aliases:
                assert alias in row
            for code, label in column.labels.items():
                assert f"`{code}` {label}" in row
    for column in MANIFEST.columns.values():
        row = next(
            line for line in text.splitlines() if line.startswith(f"| `{column.name}` | {column.zh} |")
        )
        for alias in column.aliases:
            assert alias in row


def test_units_are_given_in_chinese_and_english():
    text = markdown()
    for zh, en in [
        ("人", "persons"),
        ("元", "yuan"),
        ("平方米", "m2"),
        ("间", "rooms"),
        ("学时", "hours"),
        ("比例", "ratio"),
    ]:
        assert f"{zh} ({en})" in text
    schools = CORE_TABLES["schools"].columns
    assert header_with_unit(schools["students"]) == "在校生数（人）"
    assert header_with_unit(schools["equipment_value_yuan"]) == "教学仪器设备值（元）"
    assert header_with_unit(schools["school_name"]) == "学校名称"


def test_a_changed_spec_changes_the_doc():
    from dataclasses import replace

    schools = CORE_TABLES["schools"]
    column = replace(schools.columns["students"], aliases=("学生数",))
    changed = {**CORE_TABLES, "schools": replace(schools, columns={**schools.columns, "students": column})}
    assert markdown(changed) != markdown()
    assert "学生数" in markdown(changed)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_link_nothing_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text
    for target in re.findall(r"\]\(([^)#\s]+)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        resolved = (path.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{path.name} links outside the repository: {target}"
        assert resolved.exists(), f"{path.name} links to a missing file: {target}"
