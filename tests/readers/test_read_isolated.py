"""Workbooks whose cells cannot be checked before calamine reads them (.xls,
.xlsb, .ods) are read in a child process with a memory limit: a stray value
far out in a sheet is a clear error (exit 2), never an abort of the run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import xlsxwriter

from supervise_rules.cli import main
from supervise_rules.readers import excel

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "helan-2024-xlsx"


@pytest.fixture
def unchecked(monkeypatch):
    """Treat every workbook as one the preflight cannot check (as .xlsb/.ods are)."""
    monkeypatch.setattr(excel, "_is_ooxml_with_xml_sheets", lambda data: False)


def test_a_far_stray_value_is_refused_not_an_abort(tmp_path, capsys, unchecked):
    book = tmp_path / "学校.xlsx"
    wb = xlsxwriter.Workbook(book)
    ws = wb.add_worksheet("学校")
    ws.write_row(0, 0, ["学校标识码", "学段", "在校生数"])
    ws.write_row(1, 0, ["2164000232", "小学", 100])
    ws.write("XFD1048576", "x")
    wb.close()
    code = main([str(book), "--format", "json", "--limit", "max_reader_memory_bytes=1500000000"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "学校.xlsx could not be read within the memory a workbook may use" in err
    assert "max_reader_memory_bytes" in err and "Traceback" not in err


def test_an_unchecked_workbook_reads_as_in_process(tmp_path, capsys, unchecked):
    source = next(EXAMPLE.glob("*.xlsx"))
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    assert main([str(copy), "--format", "json"]) in (0, 1)
    isolated = json.loads(capsys.readouterr().out)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(excel, "_is_ooxml_with_xml_sheets", lambda data: True)
        assert main([str(copy), "--format", "json"]) in (0, 1)
    direct = json.loads(capsys.readouterr().out)
    assert isolated["findings"] == direct["findings"]
    assert isolated["summary"] == direct["summary"]


def test_a_reader_that_takes_too_long_is_refused(tmp_path, capsys, unchecked, monkeypatch):
    """max_reader_seconds: the child is given that long, then the file is refused."""
    import subprocess

    seen = {}

    def slow(*args, timeout=None, **kwargs):
        seen["timeout"] = timeout
        raise subprocess.TimeoutExpired(args[0], timeout)

    monkeypatch.setattr(subprocess, "run", slow)
    source = next(EXAMPLE.glob("*.xlsx"))
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    code = main([str(copy), "--format", "json", "--limit", "max_reader_seconds=7"])
    _, err = capsys.readouterr()
    assert code == 2 and seen["timeout"] == 7
    assert f"{copy.name} was not read within 7 seconds" in err
    assert "max_reader_seconds" in err and "Traceback" not in err
