"""No traceback for a user's mistake (issue 11, item 4), through the CLI.

An impossible date in the manifest, a waiver file, a baseline or a ruleset is
``file:line: message`` and exit 2; every output problem is one sentence naming
the path and exit 2, leaving no partial or temporary file and never touching an
input; an internal error (exit 3) prints two lines and leaves its traceback in
a log file. Every file is made by the test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supervise_rules.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "helan-2024"
MANIFEST = 'county_code: "640122"\ncounty_name: 贺兰县\nyear: 2024\nas_of: {as_of}\n'
SCHOOLS = "学校标识码,学校名称,学段\n6401220001,贺兰一小,小学\n"
WAIVER = """\
waivers:
  - rule: BAL-21
    subject: 6401220001/primary
    reason: 新校舍 2025 年投入使用
    approved_by: 贺兰县教育体育局
    expires: {expires}
"""


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence(err: str) -> str:
    """The error as printed: one line, no traceback."""
    assert "Traceback" not in err and "File \"" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def sub(tmp_path) -> Path:
    """A small folder submission (manifest and one table) made by the test."""
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "submission.yaml").write_text(MANIFEST.format(as_of="2024-09-30"), encoding="utf-8")
    (folder / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    return folder


def snapshot(*paths: Path) -> dict[Path, tuple[bytes, int]]:
    """Every file under ``paths`` with its bytes and mtime, to show nothing changed."""
    files = {}
    for path in paths:
        for p in [path] if path.is_file() else sorted(path.rglob("*")):
            if p.is_file():
                files[p] = (p.read_bytes(), p.stat().st_mtime_ns)
    return files


# --- impossible dates -----------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["2024-02-30", '"2024-02-30"', "2024-13-01"])
def test_impossible_date_in_the_yaml_manifest_is_file_line(sub, capsys, as_of):
    (sub / "submission.yaml").write_text(MANIFEST.format(as_of=as_of), encoding="utf-8")
    code, out, err = run(capsys, sub, "--format", "json")
    assert code == 2 and out == ""
    line = one_sentence(err)
    assert line.startswith("error: submission.yaml:4: manifest entry 'as_of' is '")
    assert "not a date" in line


def test_impossible_date_in_the_manifest_sheet_names_its_row(tmp_path, capsys):
    import xlsxwriter

    book = tmp_path / "b.xlsx"
    wb = xlsxwriter.Workbook(book)
    wb.add_worksheet("说明").write_column("A1", ["区县代码", "统计截止日期"])
    wb.get_worksheet_by_name("说明").write_column("B1", ["640122", "2024-02-30"])
    schools = wb.add_worksheet("学校")
    schools.write_row("A1", ["学校标识码", "学段"])
    schools.write_row("A2", ["6401220001", "初中"])
    wb.close()
    code, _, err = run(capsys, book)
    assert code == 2
    line = one_sentence(err)
    assert "b.xlsx, sheet '说明', row 2: manifest entry '统计截止日期' is '2024-02-30'" in line


def test_impossible_date_in_a_json_manifest(tmp_path, capsys):
    doc = tmp_path / "d.json"
    doc.write_text(json.dumps({"manifest": {"county_code": "640122", "as_of": "2024-02-30"},
                               "schools": [{"school_id": "6401220001", "level": "primary"}]}),
                   encoding="utf-8")
    code, _, err = run(capsys, doc)
    assert code == 2
    assert "manifest entry 'as_of' is '2024-02-30', not a date" in one_sentence(err)


@pytest.mark.parametrize("expires", ["2024-13-01", "2024-02-30", "'2024-02-30'"])
def test_impossible_date_in_a_waiver_file_is_file_line(sub, tmp_path, capsys, expires):
    waivers = tmp_path / "w.yaml"
    waivers.write_text(WAIVER.format(expires=expires), encoding="utf-8")
    code, _, err = run(capsys, sub, "--waivers", waivers)
    assert code == 2
    line = one_sentence(err)
    assert line.startswith(f"error: {waivers}:6: waivers.0.expires: '2024-")
    assert "is not a date (YYYY-MM-DD)" in line


def test_a_reason_that_looks_like_an_impossible_date_is_text(sub, tmp_path, capsys):
    waivers = tmp_path / "w.yaml"
    waivers.write_text(WAIVER.format(expires="2099-01-01").replace(
        "reason: 新校舍 2025 年投入使用", "reason: 2024-02-30"), encoding="utf-8")
    code, _, err = run(capsys, sub, "--waivers", waivers, "--format", "json")
    assert code in (0, 1) and "Traceback" not in err


def test_impossible_date_in_a_ruleset_is_file_line(sub, tmp_path, capsys):
    ruleset = tmp_path / "rs.yaml"
    text = (ROOT / "rulesets" / "helan-2024.yaml").read_text(encoding="utf-8")
    assert "period_start: 2024-01-01" in text
    ruleset.write_text(text.replace("period_start: 2024-01-01", "period_start: 2024-02-30"),
                       encoding="utf-8")
    line_no = next(i for i, line in enumerate(ruleset.read_text(encoding="utf-8").splitlines(), 1)
                   if "2024-02-30" in line)
    code, _, err = run(capsys, sub, "--ruleset", ruleset)
    assert code == 2
    assert one_sentence(err).startswith(f"error: {ruleset}:{line_no}: rule INS-05")
    assert "period_start" in err


@pytest.fixture
def baseline(sub, tmp_path, capsys) -> Path:
    path = tmp_path / "before.json"
    assert run(capsys, sub, "--format", "json", "-o", path)[0] in (0, 1)
    return path


def test_impossible_date_in_a_baseline_is_file_line(sub, baseline, capsys):
    data = json.loads(baseline.read_text(encoding="utf-8"))
    data["submission"]["as_of"] = "2024-02-30"
    baseline.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    line_no = next(i for i, line in enumerate(baseline.read_text(encoding="utf-8").splitlines(), 1)
                   if "2024-02-30" in line)
    code, _, err = run(capsys, sub, "--baseline", baseline)
    assert code == 2
    line = one_sentence(err)
    assert line.startswith(f"error: {baseline}:{line_no}: submission.as_of is '2024-02-30', "
                           "not a date")
    # the same file given to the follow-up commands
    code, _, err = run(capsys, "report", "selfcheck", baseline, "-o", baseline.with_suffix(".html"))
    assert code == 2
    assert one_sentence(err).startswith(f"error: {baseline}:{line_no}: not a valid findings report")
    assert not baseline.with_suffix(".html").exists()
