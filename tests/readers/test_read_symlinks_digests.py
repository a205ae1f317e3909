"""Symbolic links and file digests (issue 11, item 8).

A folder's table file or manifest that is a symbolic link resolving outside the
folder is refused (exit 2, naming it) unless ``--follow-symlinks`` is given; a
link resolving inside the folder is read. Every file read is listed in the
report's ``submission.files`` with its path relative to the submission and its
SHA-256, so that a sealed report can be tied to the exact data it checked.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

import supervise_rules as sr
from supervise_rules.cli import main
from supervise_rules.errors import SubmissionError
from supervise_rules.readers import load as load_module

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "helan-2024"


def _symlink(link: Path, target: Path | str) -> None:
    try:
        os.symlink(target, link)
    except (OSError, NotImplementedError) as exc:  # Windows without the privilege
        pytest.skip(f"cannot make a symbolic link here: {exc}")


@pytest.fixture
def sub(tmp_path) -> Path:
    if not EXAMPLE.exists():
        pytest.skip(f"{EXAMPLE} is missing")
    folder = tmp_path / "sub"
    shutil.copytree(EXAMPLE, folder)
    return folder


@pytest.fixture
def outside(sub, tmp_path) -> Path:
    """``sub/schools.csv`` is a link to ``elsewhere/schools.csv``, outside the folder."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "schools.csv"
    shutil.move(sub / "schools.csv", target)
    _symlink(sub / "schools.csv", target)
    return target


def _json_report(args: list[str], tmp_path: Path, capsys) -> tuple[int, dict | None, str]:
    out = tmp_path / "report.json"
    out.unlink(missing_ok=True)
    capsys.readouterr()
    code = main([*args, "--format", "json", "-o", str(out)])
    err = capsys.readouterr().err
    return code, json.loads(out.read_text(encoding="utf-8")) if out.exists() else None, err


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_table_file_linking_outside_the_folder_is_refused(sub, outside, tmp_path, capsys):
    code, doc, err = _json_report([str(sub)], tmp_path, capsys)
    assert code == 2 and doc is None
    assert "schools.csv" in err and "symbolic link" in err and "outside the submission folder" in err
    assert "--follow-symlinks" in err and "Traceback" not in err
    with pytest.raises(SubmissionError, match=r"schools\.csv is a symbolic link"):
        sr.load_submission(sub)
    with pytest.raises(SubmissionError, match=r"schools\.csv is a symbolic link"):
        sr.check(sub, "helan-2024")


def test_a_relative_link_climbing_out_of_the_folder_is_refused(sub, tmp_path, capsys):
    shutil.move(sub / "county.csv", tmp_path / "county.csv")
    _symlink(sub / "county.csv", Path("..") / "county.csv")
    code, _, err = _json_report([str(sub)], tmp_path, capsys)
    assert code == 2 and "county.csv is a symbolic link" in err


def test_a_manifest_linking_outside_the_folder_is_refused(sub, tmp_path, capsys):
    shutil.move(sub / "submission.yaml", tmp_path / "manifest.yaml")
    _symlink(sub / "submission.yaml", tmp_path / "manifest.yaml")
    code, _, err = _json_report([str(sub)], tmp_path, capsys)
    assert code == 2 and "submission.yaml is a symbolic link" in err


@pytest.mark.parametrize("command", ["check", "report", "notices"])
def test_follow_symlinks_reads_it(sub, outside, tmp_path, capsys, command):
    if command == "check":
        code, doc, err = _json_report([str(sub), "--follow-symlinks"], tmp_path, capsys)
        assert code in (0, 1), err
        files = {f["path"]: f for f in doc["submission"]["files"]}
        # the link's path in the folder, the digest of what it points to
        assert files["schools.csv"]["sha256"] == _sha(outside)
        assert files["schools.csv"]["bytes"] == outside.stat().st_size
        return
    args = (
        ["report", "selfcheck", str(sub), "-o", str(tmp_path / "sc.html")]
        if command == "report"
        else ["notices", str(sub), "--output-dir", str(tmp_path / "notices")]
    )
    capsys.readouterr()
    assert main(args) == 2
    assert "--follow-symlinks" in capsys.readouterr().err
    assert main([*args, "--follow-symlinks"]) == 0, capsys.readouterr().err
    if command == "report":
        assert _sha(outside) in (tmp_path / "sc.html").read_text(encoding="utf-8")


def test_the_library_follows_links_when_asked(sub, outside):
    submission = sr.load_submission(sub, follow_symlinks=True)
    assert "schools" in submission.tables
    report = sr.check(sub, "helan-2024", follow_symlinks=True)
    assert {f.path: f.sha256 for f in report.submission.files}["schools.csv"] == _sha(outside)


def test_a_link_resolving_inside_the_folder_is_read(sub, tmp_path, capsys):
    data = sub / "data"
    data.mkdir()
    shutil.move(sub / "schools.csv", data / "schools.csv")
    _symlink(sub / "schools.csv", Path("data") / "schools.csv")
    code, doc, err = _json_report([str(sub)], tmp_path, capsys)
    assert code in (0, 1), err
    files = {f["path"]: f for f in doc["submission"]["files"]}
    assert files["schools.csv"]["sha256"] == _sha(data / "schools.csv")
    assert "data/schools.csv" not in files  # the subfolder is not read (READ-14)


def test_a_linked_submission_folder_is_read(sub, tmp_path, capsys):
    link = tmp_path / "link"
    _symlink(link, sub)
    code, doc, err = _json_report([str(link)], tmp_path, capsys)
    assert code in (0, 1), err
    assert {f["path"] for f in doc["submission"]["files"]} >= {"schools.csv", "submission.yaml"}


def test_the_report_lists_every_file_read_with_its_sha256(sub, tmp_path, capsys):
    code, doc, _ = _json_report([str(sub)], tmp_path, capsys)
    assert code in (0, 1)
    files = doc["submission"]["files"]
    read = sorted(p.name for p in sub.iterdir() if p.suffix in (".csv", ".yaml"))
    assert [f["path"] for f in files] == read  # by path; README.md is not read, so not listed
    for f in files:
        assert set(f) == {"path", "sha256", "bytes"}
        assert f["sha256"] == _sha(sub / f["path"])
        assert f["bytes"] == (sub / f["path"]).stat().st_size
    # the report reads back with its files
    report = sr.Report.model_validate(doc)
    assert [f.path for f in report.submission.files] == read


def test_the_output_is_deterministic(sub, tmp_path, capsys):
    _, first, _ = _json_report([str(sub)], tmp_path, capsys)
    raw = (tmp_path / "report.json").read_bytes()
    _, second, _ = _json_report([str(sub)], tmp_path, capsys)
    assert (tmp_path / "report.json").read_bytes() == raw and first == second


def test_a_single_file_submission_lists_that_file(sub, tmp_path, capsys):
    code, doc, err = _json_report([str(sub / "schools.csv")], tmp_path, capsys)
    assert code in (0, 1), err
    assert doc["submission"]["files"] == [
        {
            "path": "schools.csv",
            "sha256": _sha(sub / "schools.csv"),
            "bytes": (sub / "schools.csv").stat().st_size,
        }
    ]


def test_a_workbook_lists_the_workbook(tmp_path, capsys):
    book = ROOT / "examples" / "helan-2024-xlsx"
    books = sorted(book.glob("*.xlsx")) if book.exists() else []
    if not books:
        pytest.skip("no example workbook")
    code, doc, err = _json_report([str(books[0])], tmp_path, capsys)
    assert code in (0, 1), err
    assert doc["submission"]["files"] == [
        {"path": books[0].name, "sha256": _sha(books[0]), "bytes": books[0].stat().st_size}
    ]


def test_a_submission_from_memory_has_no_files():
    report = sr.check(
        {
            "manifest": {"county_code": "640122", "as_of": "2024-09-30"},
            "schools": [{"school_id": "6401220001", "level": "primary"}],
        },
        "helan-2024",
    )
    assert report.submission.files is None
    assert "files" not in json.loads(report.to_json_bytes())["submission"]


def test_digests_are_read_in_chunks(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_bytes(os.urandom(10_000))
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setattr(load_module, "DIGEST_CHUNK", 1000)
    reads = []
    real_open = Path.open

    def counting_open(self, *args, **kwargs):
        fh = real_open(self, *args, **kwargs)
        real_read = fh.read

        def read(n=-1):
            reads.append(n)
            return real_read(n)

        fh.read = read
        return fh

    monkeypatch.setattr(Path, "open", counting_open)
    info = load_module.file_digest(path, "big.csv")
    assert info.sha256 == expected and info.bytes == 10_000
    assert reads and all(n == 1000 for n in reads)


def test_the_human_reports_show_the_digests(sub, tmp_path, capsys):
    import openpyxl

    digest = _sha(sub / "schools.csv")
    for fmt, suffix in (("html", ".html"), ("markdown", ".md"), ("xlsx", ".xlsx"), ("sarif", ".sarif")):
        out = tmp_path / f"r{suffix}"
        assert main([str(sub), "--format", fmt, "-o", str(out), "--fail-on", "never"]) == 0
        if fmt == "xlsx":
            values = [c.value for row in openpyxl.load_workbook(out).worksheets[0].iter_rows() for c in row]
            assert "数据文件及其 SHA-256" in values and digest in values and "schools.csv" in values
        elif fmt == "sarif":
            artifacts = json.loads(out.read_text(encoding="utf-8"))["runs"][0]["artifacts"]
            hashes = {a["location"]["uri"].rsplit("/", 1)[-1]: a.get("hashes") for a in artifacts}
            assert hashes["schools.csv"] == {"sha-256": digest}
        else:
            text = out.read_text(encoding="utf-8")
            assert "数据文件及其 SHA-256" in text and digest in text
    page = tmp_path / "selfcheck.html"
    assert main(["report", "selfcheck", str(sub), "-o", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "数据文件及其 SHA-256" in text and digest in text and _sha(sub / "submission.yaml") in text
