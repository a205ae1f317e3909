"""Bounded resources on every input (issue 11, item 2): every limit of
``supervise_rules.limits`` refuses a file beyond it with exit 2 and a message
naming the file (sheet, line), the limit and the flag, before the expensive
part; ``--limit NAME=VALUE`` raises it and the same input passes. Encrypted
and damaged workbooks are named as such.

Files are made by each test. Inputs that would abort the process or exhaust
memory without the limits run in a subprocess under an address-space limit,
so that an abort fails the test instead of killing pytest.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from supervise_rules import Limits, SubmissionError, check
from supervise_rules.cli import main
from supervise_rules.limits import DEFAULT_LIMITS, current_limits, parse_flag, use_limits

MANIFEST = 'county_code: "640122"\ncounty_name: 贺兰县\nyear: 2024\nas_of: 2024-09-30\n'
SCHOOLS = "school_id,school_name,level,students\n2164000232,第一小学,primary,500\n"


@pytest.fixture
def sub(tmp_path: Path) -> Path:
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "submission.yaml").write_text(MANIFEST, encoding="utf-8")
    return folder


def run(*args: object, capsys) -> tuple[int, str]:
    """``supervise-check ARGS`` in-process: (exit code, stderr)."""
    capsys.readouterr()
    code = main(
        [str(a) for a in args] + ["--format", "json", "--fail-on", "never"]
        if args and str(args[0]) not in ("report", "notices")
        else [str(a) for a in args]
    )
    return code, capsys.readouterr().err


def isolated(*args: object, timeout: float = 60, memory: int = 3 << 30):
    """``python -m supervise_rules ARGS`` in a child process whose address space
    is bounded: (exit code, stderr, seconds, peak RSS in bytes)."""
    import resource

    def bound() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "supervise_rules", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=bound,
    )
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"supervise-check {args} did not finish within {timeout} s")
    seconds = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return proc.returncode, err.decode("utf-8", "replace"), seconds, usage.ru_maxrss * 1024


def workbook(path: Path, cells: dict[str, object], sheet: str = "学校") -> Path:
    """A workbook with the schools header and one data row, plus ``cells``."""
    import xlsxwriter

    book = xlsxwriter.Workbook(path)
    ws = book.add_worksheet(sheet)
    ws.write_row(0, 0, ["学校标识码", "学校名称", "学段", "在校生数"])
    ws.write_row(1, 0, ["2164000232", "第一小学", "小学", 500])
    for ref, value in cells.items():
        ws.write(ref, value)
    book.close()
    return path


def rewrite_part(path: Path, part: str, change) -> None:
    """Rewrite one part of a zip (a workbook) in place."""
    with zipfile.ZipFile(path) as zin:
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            zout.writestr(info, change(data) if info.filename == part else data)


def says_limit(err: str, name: str) -> None:
    assert f"the limit is {name}=" in err, err
    assert f"--limit {name}=" in err, err
    assert "Traceback" not in err


# --- the limits themselves ---------------------------------------------------------------


def test_every_limit_has_a_documented_default_and_a_flag():
    doc = (Path(__file__).parents[2] / "docs" / "reliability.md").read_text(encoding="utf-8")
    for name, field in Limits.model_fields.items():
        assert field.description, name
        assert f"`{name}`" in doc, f"docs/reliability.md does not document {name}"
        assert parse_flag(f"{name}=12") == (name, 12)
    assert parse_flag("max_file_bytes=20M") == ("max_file_bytes", 20 << 20)
    assert parse_flag("max_sheet_rows=2,000,000") == ("max_sheet_rows", 2_000_000)
    assert parse_flag("max_cells=1_000") == ("max_cells", 1000)


@pytest.mark.parametrize(
    "flag", ["max_nothing=3", "max_columns", "max_columns=-1", "max_columns=0", "max_columns=many"]
)
def test_a_bad_limit_flag_is_a_usage_error(sub, capsys, flag):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    code, err = run(sub, "--limit", flag, capsys=capsys)
    assert code == 2
    assert "--limit" in err and "Traceback" not in err


def test_limits_are_scoped_to_a_command(sub, capsys):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    assert run(sub, "--limit", "max_columns=2", capsys=capsys)[0] == 2
    assert current_limits() == DEFAULT_LIMITS  # nothing left behind for the next command
    assert run(sub, capsys=capsys)[0] == 0


def test_library_limits(sub):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    from supervise_rules import load_submission

    with pytest.raises(SubmissionError, match="max_columns=3"):
        load_submission(sub, limits=Limits(max_columns=3))
    with pytest.raises(SubmissionError, match="max_file_bytes=10"):
        check(sub, "helan-2024", limits=Limits(max_file_bytes=10))
    assert load_submission(sub, limits=Limits(max_columns=4)).tables["schools"].frame.height == 1
    with use_limits(Limits(max_columns=3)), pytest.raises(SubmissionError):
        load_submission(sub)


# --- workbooks -----------------------------------------------------------------------------


def test_a_stray_value_in_xfd1048576_is_refused_before_calamine_allocates(sub):
    # without the preflight calamine asks for 512 GB and aborts the process (SIGABRT)
    workbook(sub / "学校.xlsx", {"XFD1048576": "x"})
    code, err, seconds, rss = isolated(sub, "--format", "json")
    assert code == 2, err
    assert "学校.xlsx" in err and "sheet '学校'" in err and "XFD1048576" in err
    assert "工作表「学校」" in err
    says_limit(err, "max_columns")
    assert seconds < 30
    assert rss < 1 << 30


def test_a_far_cell_behind_a_false_dimension_is_still_found(sub):
    # the <dimension> element is only a hint: calamine sizes the grid by the cells
    path = workbook(sub / "学校.xlsx", {"XFD1048576": "x"})
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda d: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:D2"/>', d),
    )
    code, err, _, _ = isolated(sub)
    assert code == 2 and "XFD1048576" in err, err


def test_a_far_cell_with_no_value_is_nothing(sub, capsys):
    # a cell that only carries a format holds nothing; calamine does not place it
    path = workbook(sub / "学校.xlsx", {"XFD1048576": "x"})
    rewrite_part(
        path,
        "xl/worksheets/sheet1.xml",
        lambda d: re.sub(rb'<c r="XFD1048576"[^>]*>.*?</c>', b'<c r="XFD1048576" s="0"/>', d),
    )
    assert run(sub, capsys=capsys)[0] == 0


def test_cells_without_references_are_placed_as_calamine_places_them(sub, capsys):
    path = workbook(sub / "学校.xlsx", {"F2": "x"})
    # F2 written without r="..." after D2: calamine puts it in E2 (the next column)
    rewrite_part(path, "xl/worksheets/sheet1.xml", lambda d: d.replace(b'<c r="F2"', b"<c"))
    assert run(sub, capsys=capsys)[0] == 0
    code, err = run(sub, "--limit", "max_columns=4", capsys=capsys)
    assert code == 2 and "E2" in err
    says_limit(err, "max_columns")


@pytest.mark.parametrize(
    ("cells", "flag", "raised", "words"),
    [
        (
            {"AX5": "stray"},
            "max_columns=40",
            "max_columns=60",
            "its cells reach column AX (50 columns, cell AX5)",
        ),
        (
            {"A2000": "stray"},
            "max_sheet_rows=1000",
            "max_sheet_rows=5000",
            "its cells reach row 2,000 (cell A2000)",
        ),
        (
            {"AD100": "stray"},
            "max_cells=1000",
            "max_cells=5000",
            "its cells reach AD100, a range of 100 rows × 30 columns = 3,000 cells",
        ),
    ],
)
def test_used_range_limits_are_adjustable(sub, capsys, cells, flag, raised, words):
    workbook(sub / "学校.xlsx", cells)
    code, err = run(sub, "--limit", flag, capsys=capsys)
    assert code == 2
    assert "学校.xlsx, sheet '学校'" in err and words in err
    says_limit(err, flag.split("=")[0])
    assert run(sub, "--limit", raised, capsys=capsys)[0] == 0
    assert run(sub, capsys=capsys)[0] == 0  # within the defaults


def test_a_cell_longer_than_excel_allows(sub, capsys):
    path = workbook(sub / "学校.xlsx", {"B2": "PLACEHOLDER"})
    rewrite_part(path, "xl/sharedStrings.xml", lambda d: d.replace(b"PLACEHOLDER", "长".encode() * 40_000))
    code, err = run(sub, capsys=capsys)
    assert code == 2
    assert "学校.xlsx, sheet '学校', cell B2 holds 40,000 characters" in err
    says_limit(err, "max_cell_chars")
    assert run(sub, "--limit", "max_cell_chars=50000", capsys=capsys)[0] == 0


def test_shared_strings_and_unpacked_size(sub, capsys):
    workbook(sub / "学校.xlsx", {})
    code, err = run(sub, "--limit", "max_shared_strings_bytes=100", capsys=capsys)
    assert code == 2 and "xl/sharedStrings.xml" in err
    says_limit(err, "max_shared_strings_bytes")
    code, err = run(sub, "--limit", "max_unpacked_bytes=1000", capsys=capsys)
    assert code == 2 and "学校.xlsx unpacks to" in err
    says_limit(err, "max_unpacked_bytes")
    assert run(sub, "--limit", "max_shared_strings_bytes=1M", capsys=capsys)[0] == 0


def test_a_false_shared_string_count_is_a_damaged_workbook(sub):
    # calamine reserves room for uniqueCount strings: 4 billion of them abort it
    path = workbook(sub / "学校.xlsx", {})
    rewrite_part(
        path, "xl/sharedStrings.xml", lambda d: re.sub(rb'uniqueCount="\d+"', b'uniqueCount="4000000000"', d)
    )
    code, err, _, _ = isolated(sub)
    assert code == 2, err
    assert "学校.xlsx is not a readable Excel workbook" in err and "已损坏" in err


def test_an_encrypted_workbook_is_named_as_such(sub, capsys):
    # Excel's "Encrypt with password": an OLE2 compound file under the .xlsx name,
    # holding the streams EncryptionInfo and EncryptedPackage
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = "EncryptionInfo".encode("utf-16-le").ljust(128, b"\x00")
    directory += "EncryptedPackage".encode("utf-16-le").ljust(128, b"\x00")
    (sub / "学校.xlsx").write_bytes(header + directory + b"\x00" * 1024)
    code, err = run(sub, capsys=capsys)
    assert code == 2
    assert "学校.xlsx 是加密的工作簿（有打开密码），请另存为不加密的文件后再提交" in err
    assert "学校.xlsx is an encrypted workbook" in err


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short in transit
        lambda data: b"PK\x03\x04" + b"\x00" * 200,  # a zip header and nothing else
    ],
)
def test_a_damaged_workbook_is_named_as_such(sub, capsys, damage):
    path = workbook(sub / "学校.xlsx", {})
    path.write_bytes(damage(path.read_bytes()))
    code, err = run(sub, capsys=capsys)
    assert code == 2
    assert "学校.xlsx 已损坏或不是 Excel 工作簿" in err
    assert "学校.xlsx is not a readable Excel workbook" in err


# --- CSV and file sizes ---------------------------------------------------------------------


def test_a_file_larger_than_allowed(sub, capsys):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    code, err = run(sub, "--limit", "max_file_bytes=50", capsys=capsys)
    assert code == 2 and "schools.csv is" in err and "bytes, too large to read" in err
    says_limit(err, "max_file_bytes")


def test_a_csv_cell_larger_than_the_limit(sub, capsys):
    (sub / "schools.csv").write_text(
        SCHOOLS + "2164000233," + "长" * 40_000 + ",primary,1\n", encoding="utf-8"
    )
    code, err = run(sub, capsys=capsys)
    assert code == 2
    assert "schools.csv: line 3, cell B3 holds 40,000 characters" in err
    assert "schools.csv 第 3 行单元格 B3 有 40,000 个字符" in err
    says_limit(err, "max_cell_chars")
    assert run(sub, "--limit", "max_cell_chars=40000", capsys=capsys)[0] == 0


def test_a_csv_line_longer_than_the_limit(sub, capsys):
    (sub / "schools.csv").write_text(SCHOOLS + "2164000233," + "x" * 300 + ",primary,1\n", encoding="utf-8")
    code, err = run(sub, "--limit", "max_line_chars=200", capsys=capsys)
    assert code == 2 and "schools.csv: line 3 holds 321 characters" in err
    says_limit(err, "max_line_chars")
    assert run(sub, capsys=capsys)[0] == 0


def test_a_csv_line_wider_than_any_table(sub, capsys):
    wide = "2164000233,学校,primary,1" + ",x" * 1200 + "\n"
    (sub / "schools.csv").write_text(SCHOOLS + SCHOOLS.split("\n")[1] + "\n" * 60 + wide, encoding="utf-8")
    code, err = run(sub, capsys=capsys)
    assert code == 2
    assert "schools.csv: line 63 has 1,204 cells" in err
    says_limit(err, "max_columns")
    assert run(sub, "--limit", "max_columns=2000", capsys=capsys)[0] == 0


def test_a_csv_with_more_cells_than_allowed(sub, capsys):
    rows = "".join(f"21640002{i:02},学校{i},primary,{i}\n" for i in range(40))
    (sub / "schools.csv").write_text(SCHOOLS + rows, encoding="utf-8")
    code, err = run(sub, "--limit", "max_cells=100", capsys=capsys)
    assert code == 2 and "schools.csv:" in err and "cells" in err
    says_limit(err, "max_cells")
    assert run(sub, "--limit", "max_cells=1000", capsys=capsys)[0] == 0


# --- JSON ------------------------------------------------------------------------------------


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_nested_too_deep(tmp_path, capsys):
    doc = tmp_path / "sub.json"
    doc.write_text(
        '{"manifest": {"county_code": "640122", "year": 2024}, "schools": '
        f'[{{"school_id": "1", "note": {_nested(150)}}}]}}',
        encoding="utf-8",
    )
    code, err = run(doc, capsys=capsys)
    assert code == 2 and "sub.json" in err and "nested more than 100 levels" in err
    says_limit(err, "max_json_depth")
    assert run(doc, "--limit", "max_json_depth=200", capsys=capsys)[0] == 0


def test_json_nested_deeper_than_python_goes(tmp_path, capsys):
    doc = tmp_path / "schools.json"
    doc.write_text(_nested(200_000), encoding="utf-8")
    started = time.monotonic()
    code, err = run(doc, capsys=capsys)
    assert code == 2 and "schools.json nests arrays and objects more than 100 levels" in err
    assert "RecursionError" not in err and time.monotonic() - started < 10


def test_json_larger_than_allowed(tmp_path, capsys):
    doc = tmp_path / "schools.json"
    doc.write_text(json.dumps([{"school_id": "1", "level": "primary"}]), encoding="utf-8")
    code, err = run(doc, "--limit", "max_json_bytes=20", capsys=capsys)
    assert code == 2 and "schools.json is" in err
    says_limit(err, "max_json_bytes")


def test_a_baseline_nested_too_deep_or_too_large(sub, capsys, tmp_path):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    baseline = tmp_path / "previous.json"
    baseline.write_text(_nested(100_000), encoding="utf-8")
    code, err = run(sub, "--baseline", baseline, capsys=capsys)
    assert code == 2 and "previous.json" in err and "nested too deeply" in err
    baseline.write_text(json.dumps({"schema_version": "1.0", "findings": []}), encoding="utf-8")
    code, err = run(sub, "--baseline", baseline, "--limit", "max_json_bytes=10", capsys=capsys)
    assert code == 2 and "previous.json" in err
    says_limit(err, "max_json_bytes")


# --- YAML --------------------------------------------------------------------------------------


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    """A YAML document of a few hundred bytes that expands to width**levels values."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_manifest_is_refused_quickly(sub):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    (sub / "submission.yaml").write_text(MANIFEST + billion_laughs(), encoding="utf-8")
    code, err, seconds, rss = isolated(sub, timeout=60)
    assert code == 2, err
    assert re.search(r"submission\.yaml:\d+: the document holds more than 1,000,000 values", err)
    says_limit(err, "max_yaml_nodes")
    assert seconds < 30 and rss < 1 << 30


def test_an_alias_bomb_ruleset_is_refused_quickly(sub, tmp_path, capsys):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    ruleset = tmp_path / "bomb.yaml"
    ruleset.write_text("id: bomb\nversion: '1'\n" + billion_laughs(), encoding="utf-8")
    started = time.monotonic()
    code, err = run(sub, "--ruleset", ruleset, capsys=capsys)
    assert code == 2 and re.search(r"bomb\.yaml:\d+: the document holds more than", err), err
    assert time.monotonic() - started < 20


def test_an_alias_bomb_waivers_file_is_refused_quickly(sub, tmp_path, capsys):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers: []\n" + billion_laughs(), encoding="utf-8")
    started = time.monotonic()
    code, err = run(sub, "--waivers", waivers, capsys=capsys)
    assert code == 2 and re.search(r"waivers\.yaml:\d+: the document holds more than", err), err
    assert time.monotonic() - started < 20


def test_yaml_expansion_and_aliases_are_adjustable(sub, capsys):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    (sub / "submission.yaml").write_text(MANIFEST + billion_laughs(3, 10), encoding="utf-8")
    assert run(sub, capsys=capsys)[0] == 0  # 1,000 values, 20 aliases: within the defaults
    code, err = run(sub, "--limit", "max_yaml_nodes=500", capsys=capsys)
    assert code == 2 and "submission.yaml:" in err
    says_limit(err, "max_yaml_nodes")
    code, err = run(sub, "--limit", "max_yaml_aliases=15", capsys=capsys)
    assert code == 2 and "more than 15 aliases" in err
    says_limit(err, "max_yaml_aliases")


def test_yaml_nested_too_deep(sub, capsys):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    (sub / "submission.yaml").write_text(MANIFEST + f"note: {_nested(80)}\n", encoding="utf-8")
    code, err = run(sub, capsys=capsys)
    assert code == 2 and "submission.yaml:5: mappings and lists nested more than 50" in err
    says_limit(err, "max_yaml_depth")
    assert run(sub, "--limit", "max_yaml_depth=100", capsys=capsys)[0] == 0


def test_yaml_nested_far_too_deep_is_no_recursion_error(sub, capsys, tmp_path):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    ruleset = tmp_path / "deep.yaml"
    ruleset.write_text("id: deep\nrules: " + _nested(50_000) + "\n", encoding="utf-8")
    code, err = run(sub, "--ruleset", ruleset, capsys=capsys)
    assert code == 2 and "deep.yaml:2: mappings and lists nested more than 50" in err, err


def test_a_huge_yaml_file_is_refused_before_it_is_read(sub, capsys):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    (sub / "submission.yaml").write_text(MANIFEST + "# " + "x" * (11 << 20) + "\n", encoding="utf-8")
    started = time.monotonic()
    code, err = run(sub, capsys=capsys)
    assert code == 2 and "submission.yaml: the file is" in err
    says_limit(err, "max_yaml_bytes")
    assert time.monotonic() - started < 10
    (sub / "submission.yaml").write_text(MANIFEST, encoding="utf-8")
    code, err = run(sub, "--limit", "max_yaml_bytes=40", capsys=capsys)
    assert code == 2 and "submission.yaml" in err
    assert run(sub, "--limit", "max_yaml_bytes=1k", capsys=capsys)[0] == 0


# --- the follow-up commands read submissions within the same limits -------------------------------


def test_report_and_notices_take_limits(sub, capsys, tmp_path):
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    code, err = run(
        "report", "selfcheck", sub, "-o", tmp_path / "r.html", "--limit", "max_columns=2", capsys=capsys
    )
    assert code == 2
    says_limit(err, "max_columns")
    code, err = run(
        "notices", sub, "--output-dir", tmp_path / "notices", "--limit", "max_columns=2", capsys=capsys
    )
    assert code == 2
    says_limit(err, "max_columns")
    assert run("report", "selfcheck", sub, "-o", tmp_path / "r.html", capsys=capsys)[0] == 0
