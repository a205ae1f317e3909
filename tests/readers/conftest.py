"""Helpers for reader tests: write small submissions in every container."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from supervise_rules import load_submission
from supervise_rules.builtin.readers import register_readers

MANIFEST_YAML = 'county_code: "640122"\ncounty_name: 贺兰县\nyear: 2024\nas_of: 2024-09-30\n'


@pytest.fixture(scope="session")
def host():
    """Only the built-in readers (no entry points): fast and isolated."""
    return SimpleNamespace(readers=register_readers())


@pytest.fixture
def load(host):
    def _load(source, **kwargs):
        return load_submission(source, host=host, **kwargs)

    return _load


@pytest.fixture
def folder(tmp_path):
    """A folder submission with a manifest; ``folder.add(name, text, encoding)``."""

    def add(name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return path

    (tmp_path / "submission.yaml").write_text(MANIFEST_YAML, encoding="utf-8")
    return SimpleNamespace(path=tmp_path, add=add)


@pytest.fixture
def xlsx():
    """``xlsx(path, {"sheet": [[row], ...]}, start="A1")`` writes a workbook."""
    return write_xlsx


def write_xlsx(path: Path, sheets: dict[str, list[list]], *, start: str = "A1") -> Path:
    """A workbook with one sheet per entry; rows of Python values from ``start``."""
    import xlsxwriter

    book = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for i, row in enumerate(rows):
            sheet.write_row(_cell(start, i), row)
    book.close()
    return path


def _cell(start: str, down: int) -> str:
    letters = "".join(ch for ch in start if ch.isalpha())
    return f"{letters}{int(start[len(letters) :]) + down}"


@pytest.fixture
def located():
    """``located(submission)``: (rule_id, table, rows, columns) of every problem."""

    def _located(submission, code: str | None = None) -> list[tuple]:
        return [
            (p.rule_id, p.evidence[0].table, p.evidence[0].rows, p.evidence[0].columns)
            for p in submission.problems
            if code is None or p.rule_id == code
        ]

    return _located
