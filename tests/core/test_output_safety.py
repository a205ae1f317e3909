"""``--output`` never damages what it writes to (issue 9, item 6).

A regular file is replaced atomically; a device or FIFO is written in place and
stays what it was; a directory, a missing directory or an unwritable one is a
clear error (exit 2). The real ``/dev/null`` is never used: a test run as root
would replace it for the whole machine if the code under test were wrong.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import threading

import pytest

from supervise_rules.cli import main
from supervise_rules.errors import SuperviseRulesError
from supervise_rules.reporters import write_atomically

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")


def check(examples, *args):
    return main([str(examples / "helan-2024"), "--format", "json", "--fail-on", "never", *map(str, args)])


class FifoReader:
    """Reads a FIFO to its end in a thread, as ``cat fifo`` in another process would."""

    def __init__(self, path):
        self.path = path
        self.data = b""
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        with open(self.path, "rb") as fh:
            self.data = fh.read()

    def finish(self):
        # If the writer never opened the FIFO, the reader still waits in open(): let it go.
        with contextlib.suppress(OSError):
            os.close(os.open(self.path, os.O_WRONLY | os.O_NONBLOCK))
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        return self.data


def test_fifo_is_written_in_place_and_stays_a_fifo(tmp_path, examples):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    code = check(examples, "-o", fifo)
    data = reader.finish()
    assert code == 0
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(data)["schema_version"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.fifo"]  # no temp file left


def test_library_writes_a_fifo_in_place(tmp_path):
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    write_atomically(fifo, "text ✓")
    assert reader.finish() == "text ✓".encode()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_directory_target_is_exit_2(tmp_path, examples, capsys):
    assert check(examples, "-o", tmp_path) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "is a directory" in err
    assert tmp_path.is_dir()


def test_missing_directory_is_exit_2_and_not_created(tmp_path, examples, capsys):
    target = tmp_path / "missing" / "deeper" / "r.json"
    assert check(examples, "-o", target) == 2
    err = capsys.readouterr().err
    assert f"directory {tmp_path / 'missing' / 'deeper'} does not exist" in err
    assert not (tmp_path / "missing").exists()


def test_parent_that_is_a_file_is_exit_2(tmp_path, examples, capsys):
    (tmp_path / "plain").write_text("keep me")
    assert check(examples, "-o", tmp_path / "plain" / "r.json") == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'plain'} is not a directory" in err
    assert (tmp_path / "plain").read_text() == "keep me"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory_is_exit_2(tmp_path, examples, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert check(examples, "-o", locked / "r.json") == 2
        err = capsys.readouterr().err
        assert str(locked / "r.json") in err and "ermission denied" in err
        assert "Traceback" not in err
    finally:
        locked.chmod(0o755)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file_is_not_replaced(tmp_path):
    target = tmp_path / "r.json"
    target.write_text("old")
    target.chmod(0o444)
    with pytest.raises(SuperviseRulesError, match="permission denied"):
        write_atomically(target, "new")
    assert target.read_text() == "old"


def test_dash_is_standard_output(tmp_path, examples, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert check(examples, "-o", "-") == 0
    out = capsys.readouterr().out
    assert json.loads(out)["schema_version"]
    assert not (tmp_path / "-").exists()


def test_binary_format_to_dash_goes_down_the_pipe(tmp_path, examples, capsysbinary, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main([str(examples / "helan-2024"), "--format", "xlsx", "--fail-on", "never", "-o", "-"])
    assert code == 0
    assert capsysbinary.readouterr().out[:2] == b"PK"  # a zip container


def test_regular_file_is_replaced_and_keeps_its_mode(tmp_path, examples):
    target = tmp_path / "r.json"
    target.write_text("old")
    target.chmod(0o640)
    assert check(examples, "-o", target) == 0
    assert json.loads(target.read_text(encoding="utf-8"))["schema_version"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_symlink_is_written_through_and_kept(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomically(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"


def test_new_file_in_existing_directory(tmp_path):
    write_atomically(tmp_path / "new.txt", b"bytes")
    assert (tmp_path / "new.txt").read_bytes() == b"bytes"


def test_notices_still_create_their_output_folder(tmp_path, examples):
    out = tmp_path / "nested" / "notices"
    assert main(["notices", str(examples / "helan-2024"), "--output-dir", str(out)]) == 0
    assert (out / "index.html").is_file()
