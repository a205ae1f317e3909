"""Golden files: every format rendered from ``fixtures/report.json``, compared byte for byte.

After an intended change, rewrite them with ``UPDATE_GOLDEN=1 pytest tests/reporters``
and review the diff (``git diff tests/reporters/golden``) before committing.
The golden files are report contract v2: passes counted, not listed.
The xlsx golden file is compared by its cell values first (a readable diff),
then byte for byte: xlsxwriter's output is stable for fixed document properties.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

CASES = [
    ("table", "zh"),
    ("table", "en"),
    ("table", "both"),
    ("json", "zh"),
    ("jsonl", "zh"),
    ("sarif", "zh"),
    ("junit", "zh"),
    ("markdown", "zh"),
    ("markdown", "en"),
    ("markdown", "both"),
    ("html", "zh"),
    ("html", "en"),
    ("xlsx", "zh"),
    ("concise", "zh"),
    ("concise", "en"),
    ("github", "zh"),
]


def golden_path(name: str, lang: str, suffix: str):
    return GOLDEN / f"report.{name}.{lang}{suffix}"


#: laid out with the machine's fonts, so no byte-golden file: its pages are read
#: back in tests/test_pdf.py (text per page, fonts, a rendered PNG, same bytes twice)
PAGE_FORMATS = {"pdf"}


def test_every_builtin_format_has_a_golden_file(reporters):
    builtin = {n for n, r in reporters.items() if type(r).__module__.startswith("supervise_rules.")}
    assert builtin - PAGE_FORMATS <= {name for name, _ in CASES}


def xlsx_cells(data: bytes) -> dict[str, list[list[object]]]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


@pytest.mark.parametrize(("name", "lang"), CASES, ids=[f"{n}-{lang}" for n, lang in CASES])
def test_golden(name, lang, report, reporters, render):
    out = render(name, report, lang=lang)
    data = out if isinstance(out, bytes) else out.encode("utf-8")
    path = golden_path(name, lang, reporters[name].suffix)
    if UPDATE or not path.exists():
        path.write_bytes(data)
        if not UPDATE:
            pytest.fail(f"{path.name} did not exist and was written: review it and rerun")
    expected = path.read_bytes()
    if name == "xlsx":
        assert xlsx_cells(data) == xlsx_cells(expected)
        assert data == expected, "same cells but different bytes: xlsx output is not byte-stable"
    elif data != expected:
        # compare as text for a readable diff
        assert data.decode("utf-8") == expected.decode("utf-8")


@pytest.mark.parametrize(("name", "lang"), CASES, ids=[f"{n}-{lang}" for n, lang in CASES])
def test_rendering_is_deterministic(name, lang, report, render):
    assert render(name, report, lang=lang) == render(name, report, lang=lang)


@pytest.mark.parametrize("name", sorted({n for n, _ in CASES}))
@pytest.mark.parametrize("show_passes", [False, True])
def test_no_format_makes_every_finding_an_object(name, show_passes, report, render, monkeypatch):
    """``report.findings`` makes a ``Finding`` of every pass (tens of millions in a
    national run): the formats list ``iter_findings()`` and count from the summary."""
    from supervise_rules.report import Report

    expected = render(name, report, show_passes=show_passes)

    def no_objects(self):
        raise AssertionError(f"{name} iterated report.findings")

    monkeypatch.setattr(Report, "findings", property(no_objects))
    assert render(name, report, show_passes=show_passes) == expected
