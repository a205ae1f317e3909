"""UTF-8, UTF-8 with BOM, GB18030 and its GBK subset; files are never modified
or left open; GB18030 is transcoded through a temporary file that is removed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

TEXT = "学校标识码,学校名称,学段\n2164000232,贺兰县第一小学,小学\n2164000266,洪广镇欣荣小学,初中\n"


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("utf-8", TEXT.encode("utf-8")),
        ("utf-8-sig", TEXT.encode("utf-8-sig")),
        ("gb18030", TEXT.encode("gb18030")),
        ("gb18030", TEXT.encode("gbk")),  # GBK is a subset of GB18030
        ("gb18030", TEXT.replace("\n", "\r\n").encode("gb18030")),
        ("utf-16", TEXT.encode("utf-16")),  # Excel's "Unicode text" export
    ],
)
def test_encoding_detected_and_recorded(folder, load, encoding, data):
    folder.add("学校.csv", data)
    sub = load(folder.path)
    assert sub.encodings == {"学校.csv": encoding}
    frame = sub.tables["schools"].frame
    assert frame.get_column("school_name").to_list() == ["贺兰县第一小学", "洪广镇欣荣小学"]
    assert frame.get_column("level").to_list() == ["primary", "junior"]
    assert sub.tables["schools"].headers["school_id"] == "学校标识码"  # no BOM in the header


def test_gb18030_only_character(folder, load):
    # U+20BB7 𠮷 is outside GBK: only GB18030 (4-byte sequence) encodes it
    folder.add("学校.csv", "学校标识码,学校名称\n1,𠮷祥小学\n".encode("gb18030"))
    sub = load(folder.path)
    assert sub.tables["schools"].frame.get_column("school_name").to_list() == ["𠮷祥小学"]


def test_gb18030_temporary_copy_is_removed(folder, load, monkeypatch, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("scratch")
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    folder.add("学校.csv", TEXT.encode("gb18030"))
    load(folder.path)
    assert list(scratch.iterdir()) == []


def _open_fds() -> set[str]:
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.exists():
        pytest.skip("needs /proc")
    return {os.path.realpath(fd_dir / fd) for fd in os.listdir(fd_dir)}


def test_files_are_never_modified_nor_left_open(folder, load, xlsx):
    folder.add("学校.csv", TEXT.encode("gb18030"))
    folder.add("inspectors.csv", "inspector_id,role\nA,专职\n".encode("utf-8-sig"))
    folder.add("visits.json", '[{"inspector_id": "A", "visit_date": "2024/3/1"}]')
    xlsx(folder.path / "幼儿园.xlsx", {"幼儿园": [["幼儿园标识码"], ["K1"]]})
    files = sorted(p for p in folder.path.iterdir())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    fds_before = _open_fds()
    sub = load(folder.path)
    assert set(sub.tables) == {"schools", "inspectors", "visits", "kindergartens"}
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    assert after == before
    assert sorted(folder.path.iterdir()) == files  # nothing written next to them
    assert not {fd for fd in _open_fds() - fds_before if fd.startswith(str(folder.path))}


def test_a_stray_nul_is_a_bad_cell_not_a_binary_file(folder, load, located):
    folder.add("schools.csv", "school_id,level,students\n1,primary,1\x002\n")
    assert located(load(folder.path)) == [("READ-01", "schools", [1], ["students"])]
