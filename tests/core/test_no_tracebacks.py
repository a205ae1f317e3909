"""No traceback for a user's mistake (issue 11, item 4), through the CLI.

An impossible date in the manifest, a waiver file, a baseline or a ruleset is
``file:line: message`` and exit 2; every output problem is one sentence naming
the path and exit 2, leaving no partial or temporary file and never touching an
input; an internal error (exit 3) prints two lines and leaves its traceback in
a log file. Every file is made by the test.
"""

from __future__ import annotations

import errno
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

from supervise_rules import reporters
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
    assert "Traceback" not in err and 'File "' not in err, err
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
    doc.write_text(
        json.dumps(
            {
                "manifest": {"county_code": "640122", "as_of": "2024-02-30"},
                "schools": [{"school_id": "6401220001", "level": "primary"}],
            }
        ),
        encoding="utf-8",
    )
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
    waivers.write_text(
        WAIVER.format(expires="2099-01-01").replace("reason: 新校舍 2025 年投入使用", "reason: 2024-02-30"),
        encoding="utf-8",
    )
    code, _, err = run(capsys, sub, "--waivers", waivers, "--format", "json")
    assert code in (0, 1) and "Traceback" not in err


def test_impossible_date_in_a_ruleset_is_file_line(sub, tmp_path, capsys):
    ruleset = tmp_path / "rs.yaml"
    text = (ROOT / "rulesets" / "helan-2024.yaml").read_text(encoding="utf-8")
    assert "period_start: 2024-01-01" in text
    ruleset.write_text(text.replace("period_start: 2024-01-01", "period_start: 2024-02-30"), encoding="utf-8")
    line_no = next(
        i
        for i, line in enumerate(ruleset.read_text(encoding="utf-8").splitlines(), 1)
        if "2024-02-30" in line
    )
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
    line_no = next(
        i
        for i, line in enumerate(baseline.read_text(encoding="utf-8").splitlines(), 1)
        if "2024-02-30" in line
    )
    code, _, err = run(capsys, sub, "--baseline", baseline)
    assert code == 2
    line = one_sentence(err)
    assert line.startswith(f"error: {baseline}:{line_no}: submission.as_of is '2024-02-30', not a date")
    # the same file given to the follow-up commands
    code, _, err = run(capsys, "report", "selfcheck", baseline, "-o", baseline.with_suffix(".html"))
    assert code == 2
    assert one_sentence(err).startswith(f"error: {baseline}:{line_no}: not a valid findings report")
    assert not baseline.with_suffix(".html").exists()


# --- output problems: one sentence, exit 2, nothing left behind, no input touched ----------


def no_temp_files(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")], list(
        folder.iterdir()
    )


def workbook(path: Path) -> Path:
    """A workbook submission (manifest sheet and one table)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(path)
    manifest = wb.add_worksheet("说明")
    manifest.write_column("A1", ["区县代码", "区县名称", "年度", "统计截止日期"])
    manifest.write_column("B1", ["640122", "贺兰县", "2024", "2024-09-30"])
    schools = wb.add_worksheet("学校")
    schools.write_row("A1", ["学校标识码", "学校名称", "学段"])
    schools.write_row("A2", ["6401220001", "贺兰一小", "小学"])
    wb.close()
    return path


def test_output_onto_the_workbook_being_checked_is_refused(tmp_path, capsys):
    book = workbook(tmp_path / "sub.xlsx")
    before = snapshot(tmp_path)
    code, _, err = run(capsys, book, "--format", "xlsx", "-o", book)
    assert code == 2
    line = one_sentence(err)
    assert f"cannot write {book}: it is the submission" in line and "another output file" in line
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("how", ["same", "relative", "symlink", "hardlink"])
def test_output_onto_an_input_under_another_name_is_refused(tmp_path, capsys, monkeypatch, how):
    book = workbook(tmp_path / "sub.xlsx")
    target = {
        "same": book,
        "relative": Path("sub.xlsx"),
        "symlink": tmp_path / "link.xlsx",
        "hardlink": tmp_path / "hard.xlsx",
    }[how]
    if how == "symlink":
        target.symlink_to(book)
    elif how == "hardlink":
        os.link(book, target)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    code, _, err = run(capsys, book, "--format", "json", "-o", target)
    assert code == 2
    assert "it is the submission" in one_sentence(err)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", ["schools.csv", "submission.yaml", "new-report.json"])
def test_output_into_a_folder_submission_is_refused(sub, capsys, name):
    before = snapshot(sub)
    code, _, err = run(capsys, sub, "--format", "json", "-o", sub / name)
    assert code == 2
    line = one_sentence(err)
    assert f"cannot write {sub / name}:" in line and f"the submission {sub}" in line
    assert snapshot(sub) == before


def test_output_onto_the_waivers_baseline_or_ruleset_file_is_refused(sub, tmp_path, baseline, capsys):
    waivers = tmp_path / "w.yaml"
    waivers.write_text(WAIVER.format(expires="2099-01-01"), encoding="utf-8")
    ruleset = tmp_path / "rs.yaml"
    ruleset.write_text((ROOT / "rulesets" / "helan-2024.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    before = snapshot(tmp_path)
    for option, path, what in [
        ("--waivers", waivers, "the waivers file"),
        ("--baseline", baseline, "the baseline"),
        ("--ruleset", ruleset, "the ruleset file"),
    ]:
        code, _, err = run(capsys, sub, option, path, "--format", "json", "-o", path)
        assert code == 2, option
        assert f"cannot write {path}: it is {what}, which this run reads" in one_sentence(err)
    # the follow-up commands and the template too
    code, _, err = run(capsys, "report", "selfcheck", sub, "--waivers", waivers, "-o", waivers)
    assert code == 2 and "it is the waivers file" in one_sentence(err)
    code, _, err = run(capsys, "report", "selfcheck", baseline, "-o", baseline)
    assert code == 2 and "it is the submission" in one_sentence(err)
    code, _, err = run(capsys, "template", "--ruleset", ruleset, "-o", ruleset)
    assert code == 2 and "it is the ruleset file" in one_sentence(err)
    code, _, err = run(capsys, "notices", sub, "--output-dir", sub)
    assert code == 2 and f"cannot write {sub}: it is the submission" in one_sentence(err)
    assert snapshot(tmp_path) == before


def test_output_under_a_regular_file_is_one_sentence(sub, tmp_path, capsys):
    plain = tmp_path / "plain"
    plain.write_text("keep me", encoding="utf-8")
    for argv in (
        [sub, "--format", "json", "-o", plain / "r.json"],
        ["report", "selfcheck", sub, "-o", plain / "r.html"],
        ["notices", sub, "--output-dir", plain / "notices"],
        ["notices", sub, "--output-dir", plain],
        ["template", "-o", plain / "t.xlsx"],
    ):
        code, _, err = run(capsys, *argv)
        assert code == 2, argv
        line = one_sentence(err)
        assert line.startswith("error: cannot write ") and str(plain) in line, line
    assert plain.read_text(encoding="utf-8") == "keep me"


def test_output_onto_a_directory_is_one_sentence(sub, tmp_path, capsys):
    folder = tmp_path / "reports"
    folder.mkdir()
    for argv in (
        [sub, "--format", "json", "-o", folder],
        ["report", "selfcheck", sub, "-o", folder],
        ["template", "-o", folder],
    ):
        code, _, err = run(capsys, *argv)
        assert code == 2, argv
        assert f"cannot write {folder}: it" in one_sentence(err) and "directory" in err
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores directory permissions")
def test_output_into_a_read_only_directory_is_one_sentence(sub, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        for argv in (
            [sub, "--format", "json", "-o", locked / "r.json"],
            ["report", "selfcheck", sub, "-o", locked / "r.html"],
            ["notices", sub, "--output-dir", locked / "notices"],
            ["template", "-o", locked / "t.xlsx"],
        ):
            code, _, err = run(capsys, *argv)
            assert code == 2, argv
            assert "ermission denied" in one_sentence(err)
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


class FullDisk(io.RawIOBase):
    """The temporary file on a disk that fills up after ``room`` bytes."""

    def __init__(self, fh, room: int = 100):
        self.fh, self.room = fh, room

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if len(data) > self.room:
            self.fh.write(bytes(data[: self.room]))  # what fitted is on disk, half a report
            self.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.fh.write(data)

    def close(self) -> None:
        self.fh.close()
        super().close()


@pytest.fixture
def full_disk(monkeypatch):
    real = reporters._open_output
    monkeypatch.setattr(reporters, "_open_output", lambda fd: FullDisk(real(fd)))


@pytest.mark.parametrize("fmt", ["json", "jsonl", "xlsx", "html", "sarif", "table"])
def test_a_full_disk_leaves_the_old_report_and_no_temp_file(sub, tmp_path, capsys, full_disk, fmt):
    target = tmp_path / f"report.{fmt}"
    target.write_text("the previous report", encoding="utf-8")
    code, _, err = run(capsys, sub, "--format", fmt, "-o", target, "--include-passes")
    assert code == 2
    assert one_sentence(err) == f"error: cannot write {target}: No space left on device"
    assert target.read_text(encoding="utf-8") == "the previous report"
    no_temp_files(tmp_path)


def test_a_full_disk_for_the_follow_up_commands(sub, tmp_path, capsys, full_disk):
    code, _, err = run(capsys, "report", "selfcheck", sub, "-o", tmp_path / "sc.html")
    assert code == 2 and "No space left on device" in one_sentence(err)
    assert not (tmp_path / "sc.html").exists()
    code, _, err = run(capsys, "template", "-o", tmp_path / "t.xlsx")
    assert code == 2 and "No space left on device" in one_sentence(err)
    code, _, err = run(capsys, "notices", sub, "--output-dir", tmp_path / "notices")
    assert code == 2 and "No space left on device" in one_sentence(err)
    no_temp_files(tmp_path)
    # all or nothing: the folder was not there before and is not made
    assert not (tmp_path / "notices").exists()
    assert not list(tmp_path.glob(".supervise-notices-*"))
    assert not (tmp_path / "t.xlsx").exists()


# --- internal errors: two lines, the traceback in a log file ------------------------------


@pytest.fixture
def bug(monkeypatch):
    """A bug of ours: the engine raises, with rich markup in its message."""
    from supervise_rules import engine

    def broken(*args, **kwargs):
        raise RuntimeError("a bug [/] [bold red]here[/]\nsecond line")

    monkeypatch.setattr(engine, "check", broken)


def test_an_internal_error_points_to_a_log_with_the_traceback(sub, tmp_path, capsys, monkeypatch, bug):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = run(capsys, sub, "--format", "json", "-o", out_dir / "r.json")
    assert code == 3 and out == ""
    line = one_sentence(err)
    (log,) = (tmp_path / "state" / "supervise-rules").glob("supervise-rules-*.log")
    assert line == (
        f"error: internal error: RuntimeError: a bug [/] [bold red]here[/] — the "
        f"traceback is in {log}; please report it with that file"
    )
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "second line" in text
    assert "in broken" in text and "supervise-rules" in text.splitlines()[0]
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    assert list(out_dir.iterdir()) == []  # never next to the outputs, and no report either


def test_the_log_falls_back_to_the_temp_dir(sub, tmp_path, capsys, monkeypatch, bug):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a directory", encoding="utf-8")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    code, _, err = run(capsys, sub)
    assert code == 3
    (log,) = temp.glob("supervise-rules-*-*.log")
    assert f"the traceback is in {log}" in one_sentence(err)


def test_with_no_log_anywhere_the_traceback_is_printed(sub, tmp_path, capsys, monkeypatch, bug):
    from supervise_rules import cli

    monkeypatch.setattr(cli, "log_directories", lambda: [tmp_path / "blocked" / "x"])
    (tmp_path / "blocked").write_text("", encoding="utf-8")
    code, _, err = run(capsys, sub)
    assert code == 3
    assert err.startswith("error: internal error: RuntimeError: a bug [/] [bold red]here[/] (no log file:")
    assert "Traceback" in err  # the last resort: better printed than lost


def test_markup_in_an_error_on_a_terminal_is_printed_as_written(monkeypatch, capsys):
    from supervise_rules import cli

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    fake = Terminal()
    monkeypatch.setattr(sys, "stderr", fake)
    cli._error("school [/] [link=https://x.example]名[/link] \\")
    printed = fake.getvalue()
    assert "error:" in printed and "school [/] [link=https://x.example]名[/link] \\" in printed


def test_a_usage_error_is_not_an_internal_error(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path / "missing")
    assert code == 2 and "internal error" not in err
    code, _, err = run(capsys, "--help")
    assert code == 0
