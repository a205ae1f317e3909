"""督办单 are written all or nothing (issue 11, item 4), through the CLI.

A full disk or a Ctrl-C at the N-th file leaves the output folder exactly as it
was: no notice, no index, no temporary folder next to it, an unrelated file of
the folder untouched. Anything of ours in the way that is not a regular file is
refused before anything is written.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
from pathlib import Path

import pytest

from supervise_rules import reporters
from supervise_rules.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "helan-2024"
SCHOOL = "2164000303"  # one of the schools with a notice (BAL-21)


@pytest.fixture
def sub(tmp_path) -> Path:
    folder = tmp_path / "sub"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("README.md"))
    return folder


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "keep.txt").write_text("not ours", encoding="utf-8")
    return folder


@pytest.fixture
def expected(sub, tmp_path, capsys) -> list[str]:
    """The files a run writes, from a run into a folder of their own."""
    ref = tmp_path / "ref"
    assert run(capsys, "notices", sub, "--output-dir", ref)[0] == 0
    names = sorted(p.name for p in ref.iterdir())
    assert "index.html" in names and f"{SCHOOL}.html" in names and len(names) > 3
    return names


def run(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def one_sentence(err: str) -> str:
    assert "Traceback" not in err and 'File "' not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


class Failing(io.RawIOBase):
    """A file whose first write raises ``exc``, after half of it reached the disk."""

    def __init__(self, fh, exc: BaseException):
        self.fh, self.exc = fh, exc

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.fh.write(bytes(data[: len(data) // 2]))
        raise self.exc

    def close(self) -> None:
        self.fh.close()
        super().close()


def fail_at(monkeypatch, n: int, exc: BaseException) -> None:
    """The ``n``-th file written fails with ``exc``."""
    real, calls = reporters._open_output, [0]

    def open_output(fd):
        calls[0] += 1
        fh = real(fd)
        return Failing(fh, exc) if calls[0] == n else fh

    monkeypatch.setattr(reporters, "_open_output", open_output)


def unchanged(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert (out / "keep.txt").read_text(encoding="utf-8") == "not ours"
    assert not list(out.parent.glob(".supervise-notices-*"))


@pytest.mark.parametrize("n", [1, 3, -1])  # the first notice, another, the index (written last)
def test_a_full_disk_at_the_nth_file_leaves_the_folder_as_it_was(sub, out, expected, capsys, monkeypatch, n):
    fail_at(monkeypatch, len(expected) if n == -1 else n, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    code, err = run(capsys, "notices", sub, "--output-dir", out)
    assert code == 2
    line = one_sentence(err)
    assert line.startswith(f"error: cannot write {out}{os.sep}") and "No space left on device" in line
    unchanged(out)

    monkeypatch.undo()
    code, err = run(capsys, "notices", sub, "--output-dir", out)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == sorted([*expected, "keep.txt"])
    assert (out / "keep.txt").read_text(encoding="utf-8") == "not ours"
    assert not list(out.parent.glob(".supervise-notices-*"))


def test_a_full_disk_replaces_none_of_the_previous_notices(sub, out, capsys, monkeypatch):
    assert run(capsys, "notices", sub, "--output-dir", out, "--format", "markdown")[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    fail_at(monkeypatch, 2, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    code, err = run(
        capsys, "notices", sub, "--output-dir", out, "--format", "markdown", "--deadline", "2025-01-31"
    )
    assert code == 2 and "No space left on device" in one_sentence(err)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not list(out.parent.glob(".supervise-notices-*"))


def test_a_folder_that_did_not_exist_is_not_made(sub, tmp_path, capsys, monkeypatch):
    fail_at(monkeypatch, 2, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    code, err = run(capsys, "notices", sub, "--output-dir", tmp_path / "new")
    assert code == 2 and "No space left on device" in one_sentence(err)
    assert not (tmp_path / "new").exists()
    assert not list(tmp_path.glob(".supervise-notices-*"))


def test_ctrl_c_at_the_nth_file_leaves_the_folder_as_it_was(sub, out, capsys, monkeypatch):
    fail_at(monkeypatch, 2, KeyboardInterrupt())
    code, err = run(capsys, "notices", sub, "--output-dir", out)
    assert code == 130
    assert "Traceback" not in err
    unchanged(out)


@pytest.mark.parametrize("kind", ["directory", "symlink", "fifo"])
def test_something_of_ours_in_the_way_is_refused_before_anything_is_written(sub, out, tmp_path, capsys, kind):
    in_the_way = out / f"{SCHOOL}.html"
    if kind == "directory":
        in_the_way.mkdir()
    elif kind == "symlink":
        (tmp_path / "elsewhere.html").write_text("elsewhere", encoding="utf-8")
        in_the_way.symlink_to(tmp_path / "elsewhere.html")
    else:
        os.mkfifo(in_the_way)
    code, err = run(capsys, "notices", sub, "--output-dir", out)
    assert code == 2
    assert one_sentence(err).startswith(f"error: cannot write {in_the_way}: it is ")
    assert sorted(p.name for p in out.iterdir()) == sorted(["keep.txt", in_the_way.name])
    assert not list(out.parent.glob(".supervise-notices-*"))
    if kind == "symlink":
        assert (tmp_path / "elsewhere.html").read_text(encoding="utf-8") == "elsewhere"


@pytest.mark.parametrize("n", [1, -1])  # the first notice; the numbering state (written last)
def test_a_full_disk_leaves_a_numbering_state_kept_elsewhere_as_it_was(
    sub, out, expected, tmp_path, capsys, monkeypatch, n
):
    office = tmp_path / "office"
    office.mkdir()
    state = office / "numbering.json"
    assert run(capsys, "notices", sub, "--output-dir", tmp_path / "round1", "--numbering", state)[0] == 0
    before = state.read_bytes()
    # the same set plus the state: as many files as with the state in the folder
    fail_at(monkeypatch, len(expected) if n == -1 else n, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    code, err = run(capsys, "notices", sub, "--output-dir", out, "--numbering", state, "--round", "r2")
    assert code == 2
    shown = state if n == -1 else out
    assert one_sentence(err).startswith(f"error: cannot write {shown}") and "No space left" in err
    unchanged(out)
    assert state.read_bytes() == before
    assert sorted(p.name for p in office.iterdir()) == ["numbering.json"]  # no temporary file left

    monkeypatch.undo()
    assert run(capsys, "notices", sub, "--output-dir", out, "--numbering", state, "--round", "r2")[0] == 0
    assert json.loads(state.read_text(encoding="utf-8"))["rounds"] == ["2024-09-30", "r2"]
    assert "numbering.json" not in [p.name for p in out.iterdir()]
