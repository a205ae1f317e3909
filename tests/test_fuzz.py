"""Fuzz the CLI end to end (issue 11, item 9): whatever a clerk or an attacker
puts in cells, headers, the manifest or a ruleset fragment, ``supervise-check``
returns exit 0, 1 or 2 and never a traceback; a report it writes parses, and
every damaged cell is named by a finding.

Each example starts from a small valid submission cut from
``examples/helan-2024`` (5 school sections, 3 kindergartens, the county row,
3 visits and the manifest), damages it, writes it as CSV (some tables as xlsx)
and runs ``main([folder, "--format", "json", "-o", out])``. Whether a cell is
damaged is decided by the contract's own parsers
(:func:`~supervise_rules.readers.normalize.normalize_columns` and
:func:`~supervise_rules.readers.plausible.check_ranges` on a one-cell frame),
never by re-implementing them: ``"12"`` in an integer column is not damage,
``"-3"``, ``"12.5"``, ``"1e308"``, ``"三十"`` and ``"137%"`` in a ratio are.

The examples are bounded (``max_examples``, small inputs, ``derandomize`` so CI
runs the same examples every time, no shrinking): the file runs in about 40 s.
``SUPERVISE_FUZZ=300`` draws 300 random examples per strategy instead, to hunt.
What is guaranteed, and how this file fits with the others: docs/reliability.md.
The bugs it found are reproduced at the end of the file, as regression tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import operator
import os
import re
import shutil
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from supervise_rules.cli import main
from supervise_rules.readers.headers import match_header, resolve_headers
from supervise_rules.readers.normalize import ROW, normalize_columns
from supervise_rules.readers.plausible import check_ranges
from supervise_rules.tables import MANIFEST, TABLES

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "helan-2024"
#: data rows of each table kept from the example (a run takes ~0.4 s)
ROWS = {"schools": 5, "kindergartens": 3, "county": 1, "visits": 3}

#: ``SUPERVISE_FUZZ=N``: N random examples per test instead of the suite's few
#: fixed ones, to hunt for bugs (``SUPERVISE_FUZZ=300 pytest tests/test_fuzz.py``)
HUNT = int(os.environ.get("SUPERVISE_FUZZ") or 0)


def fuzz(max_examples: int) -> settings:
    return settings(
        max_examples=HUNT or max_examples,
        deadline=None,
        derandomize=not HUNT,  # the same examples on every run: CI stays deterministic
        database=None,
        # a failure is reported as drawn: each example is a few cells or lines
        # already, and shrinking a CLI run costs minutes
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- the submission -------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    root: Path
    #: table -> [header, *rows] as in the example's CSV
    tables: dict[str, list[list[str]]]
    manifest: str


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    tables = {}
    for name, count in ROWS.items():
        with open(EXAMPLE / f"{name}.csv", encoding="utf-8", newline="") as fh:
            tables[name] = list(itertools.islice(csv.reader(fh), count + 1))
    manifest = (EXAMPLE / "submission.yaml").read_text(encoding="utf-8")
    return Base(tmp_path_factory.mktemp("fuzz"), tables, manifest)


_runs = itertools.count()


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def write_xlsx(path: Path, table: str, rows: list[list[Any]]) -> None:
    """One sheet named after the table; numbers of the example as number cells,
    text (the damage) as text cells, as a clerk's workbook would hold them."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        path, {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet(table)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    book.close()


def example_number(text: str) -> float | str:
    """A cell of the example as a workbook would hold it."""
    try:
        return float(text) if text.strip() and text.isascii() else text
    except ValueError:
        return text


def write_submission(
    base: Base,
    tables: dict[str, list[list[Any]]],
    *,
    xlsx: frozenset[str] = frozenset(),
    manifest: str | bytes | None = None,
) -> Path:
    """A folder: ``submission.yaml`` and each table as CSV, or as a workbook for
    the tables in ``xlsx`` (a float is a number cell, a string a text cell)."""
    folder = base.root / f"run{next(_runs)}"
    folder.mkdir()
    text = base.manifest if manifest is None else manifest
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    (folder / "submission.yaml").write_bytes(data)
    for name, rows in tables.items():
        if name in xlsx:
            write_xlsx(folder / f"{name}.xlsx", name, rows)
        else:
            write_csv(folder / f"{name}.csv", [[str(v) for v in row] for row in rows])
    return folder


def as_workbook(rows: list[list[str]]) -> list[list[Any]]:
    """The example's rows as a workbook holds them: numbers as number cells."""
    header, *body = rows
    return [header, *([example_number(v) for v in row] for row in body)]


def workbook_texts(path: Path) -> list[list[str | None]]:
    """The cells of a workbook's first sheet as the xlsx reader gets them (calamine
    through fastexcel, as text): the text a number cell or an escaped control
    character becomes is the reader's library's, not ours to guess."""
    import fastexcel

    sheet = fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string")
    return [list(row) for row in sheet.to_polars().rows()]


@dataclass
class Outcome:
    code: int
    stderr: str
    report: dict[str, Any] | None

    @property
    def findings(self) -> list[dict[str, Any]]:
        return self.report["findings"] if self.report else []


def run(folder: Path, *args: str, submission: Path | None = None) -> Outcome:
    """``supervise-check FOLDER --format json -o OUT ARGS`` (or ``SUBMISSION``, a
    file in the folder), asserting what holds for every input: no exception
    escapes, no traceback, exit 0, 1 or 2, a report that parses when one was
    written and none left behind on exit 2. The folder is removed afterwards."""
    out = folder.with_suffix(".report.json")
    err, so = io.StringIO(), io.StringIO()
    try:
        with redirect_stderr(err), redirect_stdout(so):
            code = main([str(submission or folder), "--format", "json", "-o", str(out), *args])
        stderr = err.getvalue()
        assert isinstance(code, int), code
        assert "Traceback" not in stderr, stderr
        assert code in (0, 1, 2), f"exit {code}: {stderr}"
        if currently_in_test_context():  # --hypothesis-show-statistics counts them
            event(f"exit {code}")
        if code == 2:
            assert stderr.strip(), "exit 2 without a word"
            assert not out.exists(), "exit 2 left a report behind"
            return Outcome(code, stderr, None)
        report = json.loads(out.read_text(encoding="utf-8"))
        assert isinstance(report.get("findings"), list)
        return Outcome(code, stderr, report)
    finally:
        out.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


# --- the oracle -----------------------------------------------------------------------------


def unreadable(table: str, column: str, value: str | float) -> bool:
    """Whether the contract refuses ``value`` in ``column``: not a number, date or
    code of its kind (READ-01), or outside its range (READ-16). Decided by the
    readers' own functions on a one-cell frame; a blank cell is no damage."""
    spec = TABLES[table].columns[column]
    if spec.kind == "str":
        return False
    dtype = pl.Float64 if isinstance(value, float) else pl.String
    frame = pl.DataFrame({ROW: [1], column: [value]}, schema={ROW: pl.Int64, column: dtype})
    typed, bad = normalize_columns(frame, {column: spec})
    if bad:
        return True
    _, strays = check_ranges(typed, frame, {column: spec})
    return bool(strays)


def read_findings(outcome: Outcome, table: str) -> list[dict[str, Any]]:
    """The READ-xx findings that are not passes, with their evidence on ``table``."""
    return [
        f
        for f in outcome.findings
        if f["rule_id"].startswith("READ-")
        and f["outcome"] != "pass"
        and any(ev.get("table") == table for ev in f.get("evidence") or [])
    ]


def names_cell(finding: dict[str, Any], table: str, row: int, column: str) -> bool:
    """The finding points at data row ``row`` (1-based) of ``table`` and at
    ``column`` — or at the whole row (a row set aside as totals or a footer,
    READ-07), or at the whole column."""
    for ev in finding.get("evidence") or []:
        if ev.get("table") != table:
            continue
        rows, columns = ev.get("rows"), ev.get("columns") or []
        if rows and row in rows and (not columns or column in columns):
            return True
        if not rows and column in columns:
            return True
    return False


# --- cell values ----------------------------------------------------------------------------

#: values a clerk, a platform export or an attacker puts in a cell
SPECIAL = [
    "=cmd|' /C calc'!A0",
    "@SUM(A1)",
    "+1+1",
    "[/]",
    "[bold red]红[/]",
    "<script>x</script>",
    "-3",
    "-25",
    "-0",
    "-0.0001",
    "1e308",
    "-1e308",
    "1e309",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "137%",
    "93.72",
    "100%",
    "0.5%",
    "-5%",
    "%",
    "12.5",
    "三十",
    "二〇二四年三月一日",
    "１２３",
    "１２．５％",
    "０．９",
    "1,234",
    "1,23",
    "12,5",
    "1.234,5",
    "0x10",
    "1_000",
    "+7",
    "  7  ",
    "7\u200b",
    "\ufeff7",
    "7 人",
    "¥100",
    "2024-02-30",
    "2024-13-01",
    "2024/3/1",
    "2024年3月1日",
    "20240301",
    "45352",
    "1900-01-01",
    "1949-09-30",
    "2200-01-01",
    "9999-12-31",
    "0000-00-00",
    "2024-03-01T08:00",
    "是",
    "否",
    "Y",
    "n",
    "TRUE",
    "公办",
    "public",
    "民辦",
    "小学",
    "初中",
    "Primary",
    "junior ",
    "合计",
    "小计",
    "填表人：张三",
    "备注",
    "\x00",
    "\x1b[31mred\x1b[0m",
    "\x07",
    "\t",
    "\r\n",
    "\r",
    "\n7",
    "7\n8",
    "😀",
    "🧒🏽",
    "null",
    "None",
    "N/A",
    "—",
    "-",
    "",
    " ",
    "\u3000",
    '"',
    '""',
    "'",
    "\\",
    ",",
    ";",
]
cell_text = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=20),  # any code point but surrogates: controls, emoji, RTL marks
    st.text(alphabet="0123456789.,%+-eE ０１２３４５６７８９．，％年月日/", max_size=12),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2300, 12, 31)).map(str),
    # a few KB in one cell (well within max_cell_chars)
    st.builds(operator.mul, st.text(min_size=1, max_size=3), st.integers(300, 1500)),
)
#: a number cell of a workbook (finite: a workbook holds no NaN)
cell_number = st.one_of(
    st.sampled_from([-3.0, -25.0, 12.5, 1e308, -1e308, 0.5, 93.72, 1.37, 2**53 + 1.0, 45352.0]),
    st.floats(allow_nan=False, allow_infinity=False),
)


def _header(table: str) -> list[str]:
    with open(EXAMPLE / f"{table}.csv", encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


#: kind -> every (table, column) of that kind in the cut submission
TARGETS: dict[str, list[tuple[str, str]]] = {}
for _table in ROWS:
    for _column in _header(_table):
        TARGETS.setdefault(TABLES[_table].columns[_column].kind, []).append((_table, _column))


@st.composite
def damage(draw: Callable) -> tuple[dict[tuple[str, int, str], str | float], frozenset[str]]:
    """1-6 cells (table, data row, column) -> new value, and the tables written as xlsx."""
    xlsx = draw(st.sets(st.sampled_from(["schools", "kindergartens", "county"]), max_size=2))
    cells: dict[tuple[str, int, str], str | float] = {}
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(sorted(TARGETS)))  # each kind as often: one date column
        table, column = draw(st.sampled_from(TARGETS[kind]))
        row = draw(st.integers(1, ROWS[table]))
        number = table in xlsx and draw(st.integers(0, 3)) == 0
        cells[table, row, column] = draw(cell_number if number else cell_text)
    return cells, frozenset(xlsx)


def test_unreadable_oracle():
    """The oracle itself, on values whose fate the data contract states."""
    assert not unreadable("schools", "students", "12")
    assert not unreadable("schools", "students", "1,234")
    assert not unreadable("schools", "students", "１２３")
    assert not unreadable("schools", "students", "")
    assert not unreadable("schools", "school_name", "=cmd")
    assert unreadable("schools", "students", "12.5")
    assert unreadable("schools", "students", "-3")
    assert unreadable("schools", "students", "三十")
    assert unreadable("schools", "students", "1e308")
    assert unreadable("schools", "students", -3.0)
    assert not unreadable("county", "social_recognition_rate", "93.72%")
    assert unreadable("county", "social_recognition_rate", "137%")
    assert unreadable("county", "social_recognition_rate", "93.72")
    assert unreadable("county", "social_recognition_rate", "nan")
    assert unreadable("visits", "visit_date", "2024-02-30")
    assert unreadable("visits", "visit_date", "1900-01-01")
    assert not unreadable("visits", "visit_date", "2024年3月1日")
    assert unreadable("schools", "level", "Primary school")
    assert not unreadable("schools", "level", "小学")
    assert unreadable("kindergartens", "inclusive", "maybe")


@fuzz(14)
@given(change=damage(), list_passes=st.integers(0, 2).map(lambda n: n == 0))
def test_fuzz_cells(base: Base, change, list_passes):
    cells, xlsx = change
    tables = {
        name: as_workbook(rows) if name in xlsx else [list(row) for row in rows]
        for name, rows in base.tables.items()
    }
    for (table, row, column), value in cells.items():
        header = tables[table][0]
        tables[table][row][header.index(column)] = value
    folder = write_submission(base, tables, xlsx=xlsx)
    read_as = {}  # (table, row, column) -> the cell as the reader sees it
    texts = {table: workbook_texts(folder / f"{table}.xlsx") for table in xlsx}
    for (table, row, column), value in cells.items():
        if table in xlsx:
            read_as[table, row, column] = texts[table][row][tables[table][0].index(column)] or ""
        else:
            read_as[table, row, column] = value
    # passes listed in a third of the examples (listing them costs half a run more)
    outcome = run(folder, *(["--include-passes"] if list_passes else []))
    if outcome.code == 2:
        # a file refused whole (a cell of NUL bytes makes it "binary data"): named
        files = {f"{table}.{'xlsx' if table in xlsx else 'csv'}" for table, _, _ in cells}
        assert any(name in outcome.stderr for name in files), outcome.stderr
        return
    for (table, row, column), value in cells.items():
        if not unreadable(table, column, read_as[table, row, column]):
            event("a cell replaced by a readable value")
            continue
        event(f"a damaged {TABLES[table].columns[column].kind} cell")
        found = [f for f in read_findings(outcome, table) if names_cell(f, table, row, column)]
        assert found, f"{table} row {row} {column}={value!r}: no READ finding names the cell"
        # a value the contract refuses is in no indicator: nothing passes on it
        passes = [
            f["rule_id"]
            for f in outcome.findings
            if f["outcome"] == "pass"
            and any(
                ev.get("table") == table
                and row in (ev.get("rows") or [])
                and column in (ev.get("columns") or [])
                for ev in f.get("evidence") or []
            )
        ]
        assert not passes, f"{table} row {row} {column}={value!r} passes {passes}"


# --- headers --------------------------------------------------------------------------------


def near_misses(name: str) -> st.SearchStrategy[str]:
    """A header one edit away from ``name``: a character dropped, doubled or swapped."""
    positions = st.integers(0, max(len(name) - 1, 0))
    return st.one_of(
        positions.map(lambda i: name[:i] + name[i + 1 :]),
        positions.map(lambda i: name[:i] + name[i] + name[i:]),
        positions.map(lambda i: name[:i] + name[i + 1 : i + 2] + name[i : i + 1] + name[i + 2 :]),
        st.sampled_from(
            [
                f" {name} ",
                name.upper(),
                f"*{name}",
                f"{name}（人）",
                f"{name}（万人）",
                f"{name}（%）",
                f"{name}(万元)",
                f"{name}_2",
                f"{name}\n",
            ]
        ),
    )


def header_text(table: str) -> st.SearchStrategy[str]:
    spec = TABLES[table]
    words = [w for c in spec.columns.values() for w in (c.name, c.zh, *c.aliases)]
    return st.one_of(
        st.sampled_from(
            [
                "",
                " ",
                "\u3000",
                "column_A",
                "=cmd",
                "[/]",
                "\x1b[1m",
                "合计",
                "备注",
                "序号",
                "Unnamed: 3",
                "NaN",
                "\ufeffschool_id",
                "学校（机构）标识码",
            ]
        ),
        st.sampled_from(words),  # a real header in the wrong place: a duplicate
        st.sampled_from(words).flatmap(near_misses),
        st.text(max_size=15),
    )


@st.composite
def header_damage(draw: Callable) -> dict[tuple[str, int], str]:
    """1-4 header cells (table, column index) -> new header text."""
    changes: dict[tuple[str, int], str] = {}
    for _ in range(draw(st.integers(1, 4))):
        table = draw(st.sampled_from(["schools", "kindergartens", "county", "visits"]))
        index = draw(st.integers(0, len(_header(table)) - 1))
        changes[table, index] = draw(header_text(table))
    return changes


def letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def names_header(finding: dict[str, Any], table: str, texts: set[str]) -> bool:
    for ev in finding.get("evidence") or []:
        if ev.get("table") == table:
            shown = {str(x).strip() for x in (ev.get("columns") or []) + (ev.get("headers") or [])}
            if shown & texts:
                return True
    return False


@fuzz(8)
@given(changes=header_damage(), as_xlsx=st.booleans())
def test_fuzz_headers(base: Base, changes, as_xlsx):
    tables = {name: [list(row) for row in rows] for name, rows in base.tables.items()}
    for (table, index), text in changes.items():
        tables[table][0][index] = text
    xlsx = frozenset({"schools"} if as_xlsx else ())
    if as_xlsx:
        tables["schools"] = [tables["schools"][0], *as_workbook(tables["schools"])[1:]]
    outcome = run(write_submission(base, tables, xlsx=xlsx))
    if outcome.code == 2:
        return  # e.g. a key column gone from every table: said in one line
    for table in {t for t, _ in changes}:
        header = tables[table][0]
        original = base.tables[table][0]
        matches = resolve_headers(TABLES[table], header)
        claimed = [m.column for m in matches]
        for (t, index), text in changes.items():
            if t != table:
                continue
            match, column = matches[index], original[index]
            silent = (
                match.column == column
                and match.how in ("exact", "alias")
                and match.unit is None
                and claimed.index(column) == index
            )
            if silent:
                continue  # the same header written another accepted way
            texts = {text.strip(), f"column_{letter(index)}", column, match.column or column}
            found = [f for f in outcome.findings if names_header(f, table, texts)]
            assert found, f"{table} header {index} {column!r} -> {text!r}: no finding names it"


# --- manifests ------------------------------------------------------------------------------

IMPOSSIBLE_DATES = [
    "2024-02-30",
    "2023-02-29",
    "2024-13-01",
    "2024-00-10",
    "2024-09-31",
    "0000-01-01",
    "2024-9-31",
]
yaml_scalar = st.one_of(
    st.sampled_from(
        [
            "~",
            "null",
            "",
            "yes",
            "no",
            "true",
            "on",
            ".inf",
            "-.inf",
            ".nan",
            "0x1F",
            "0o17",
            "1e308",
            "-3",
            "2024",
            "2024.5",
            '"二〇二四"',
            '"640122"',
            "640122",
            "6.40122e5",
            "贺兰县",
            "'[/]'",
            "'=cmd'",
            "!!binary aGk=",
            "!!python/object/apply:os.system ['echo hi']",
            "!custom x",
            "!!timestamp 2024-02-30",
            "&a 1",
            "*a",
            "*nowhere",
            "{a: *a}",
            "[]",
            "{}",
            "|\n  multi\n  line",
            ">\n  folded",
            "2024-09-30 12:00:00",
            "2024-09-30T25:00:00",
            "[" * 60 + "]" * 60,
            "{a: " * 60 + "1" + "}" * 60,
        ]
    ),
    st.sampled_from(IMPOSSIBLE_DATES),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(repr),
    st.text(max_size=20).map(lambda t: yaml_flow(t)),
    # as json.dumps escapes it: 😀 as the surrogate pair \ud83d\ude00, controls as \u0007
    st.text(max_size=20).map(json.dumps),
)
yaml_value = st.recursive(
    yaml_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.dictionaries(st.sampled_from(["a", "b", "as_of", "年度"]), inner, max_size=3).map(
            lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"
        ),
    ),
    max_leaves=8,
)
manifest_key = st.one_of(
    st.sampled_from(
        [
            "county_code",
            "county_name",
            "year",
            "as_of",
            "submitted_by",
            "region_code",
            "region_name",
            "统计截止日期",
            "年度",
            "区县代码",
            "截止日期",
            " as_of",
            "AS_OF",
            "as-of",
            "ruleset",
            "<<",
            "? complex",
            "'quoted key'",
            "1",
            "~",
        ]
    ),
    st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=8),
)


@st.composite
def manifests(draw: Callable) -> tuple[str | bytes, dict[str, str]]:
    """A manifest text, and the entries of it written on lines of their own."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.one_of(st.text(max_size=60), st.binary(max_size=60))), {}
    entries = dict(draw(st.lists(st.tuples(manifest_key, yaml_value), min_size=0, max_size=6)))
    if kind <= 5:  # mostly valid: the example's entries with some replaced
        valid = {"county_code": '"640122"', "county_name": "贺兰县", "year": "2024", "as_of": "2024-09-30"}
        entries = {**valid, **entries}
    text = "".join(f"{k}: {v}\n" for k, v in entries.items())
    return text, entries


@fuzz(20)
@given(manifest=manifests())
def test_fuzz_manifests(base: Base, manifest):
    text, entries = manifest
    outcome = run(write_submission(base, base.tables, manifest=text))
    if outcome.code == 2:
        # the manifest's problem, named (a ruleset it names may not exist)
        assert "submission.yaml" in outcome.stderr or "unknown ruleset" in outcome.stderr, outcome.stderr
        return
    # the manifest decides every deadline: a date it cannot hold is never taken,
    # and a field given twice is not resolved by a guess
    fields: dict[str | None, str] = {}
    for key, value in entries.items():
        name = match_header(MANIFEST, key)
        if name is not None and name in fields and value not in ("~", "null", "", '""'):
            pytest.fail(f"{key}: {value} gives {name} again, and was ignored")
        fields.setdefault(name, value)
    if fields.get("as_of") in IMPOSSIBLE_DATES:
        pytest.fail(f"as_of: {fields['as_of']} was accepted (exit {outcome.code})")
    if fields.get("year") in ("2024.5", '"二〇二四"'):
        pytest.fail(f"year: {fields['year']} was accepted (exit {outcome.code})")
    assert outcome.report is not None
    written = outcome.report["submission"].get("as_of")
    if written is not None:
        assert not unreadable_manifest("as_of", written), f"as_of {written} was taken"


def unreadable_manifest(field: str, value: str) -> bool:
    """As :func:`unreadable`, for a manifest field."""
    spec = MANIFEST.columns[field]
    frame = pl.DataFrame({ROW: [1], field: [value]}, schema={ROW: pl.Int64, field: pl.String})
    typed, bad = normalize_columns(frame, {field: spec})
    return bool(bad) or bool(check_ranges(typed, frame, {field: spec})[1])


# --- ruleset fragments ----------------------------------------------------------------------

SCHOOL_COLUMNS = _header("schools")
NUMBER_COLUMNS = [c for c in SCHOOL_COLUMNS if TABLES["schools"].columns[c].kind in ("int", "float")]
#: a well-formed expression of the grammar (expressions.py) over the schools table
expr_atom = st.one_of(
    st.sampled_from(NUMBER_COLUMNS),
    st.sampled_from(
        [
            "在校生数",
            "`在校生数`",
            "true",
            "false",
            '"public"',
            "0",
            "0.0",
            "1e308",
            "9" * 40,
            "1",
            ".5",
            "12",
        ]
    ),
    st.integers(-(10**6), 10**6).map(str),
)
expr_good = st.recursive(
    expr_atom,
    lambda inner: st.one_of(
        st.tuples(
            inner, st.sampled_from(["+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "and", "or"]), inner
        ).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(
            st.sampled_from(["sum", "count", "mean", "min", "max", "abs", "ceil", "floor", "is_null"]), inner
        ).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"round({t[0]}, {t[1]})"),
        st.tuples(inner, inner, inner).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"not {e}"),
        inner.map(lambda e: f"-{e}"),
    ),
    max_leaves=6,
)
#: and text the grammar refuses: attribute access, imports, powers, unknown names
expr_bad = st.one_of(
    st.sampled_from(
        [
            "__class__",
            "os",
            "import os",
            "lambda: 1",
            "students.real",
            "a[0]",
            "2 ** 99999",
            "students ** 2",
            "eval('1')",
            "__import__('os')",
            "len(x)",
            "`no such header`",
            "nosuch",
            "sum()",
            "round(1)",
            "if(1, 2)",
            "1 < 2 < 3",
            "(" * 300 + "1" + ")" * 300,
            "1 +" * 700 + "1",
            "'unterminated",
            "",
        ]
    ),
    st.text(alphabet="()+-*/<>=!,.`\"' 0123456789abcdefnot", max_size=30),
)
expr_text = st.one_of(expr_good, expr_good, expr_good, expr_bad)
#: a parameter value of any type, as YAML (flow style: JSON is YAML)
param_value = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=False),
        st.text(max_size=12),
        st.sampled_from(
            [
                "2024-02-30",
                "2024-01-01",
                "primary",
                ">=",
                "<",
                "schools",
                "nosuch",
                "students",
                "sum(students)",
                "students / 0",
            ]
        ),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["by", "values", "primary", "junior", "table", "expr", "x"]), inner, max_size=3
        ),
    ),
    max_leaves=6,
)
message_text = st.one_of(
    st.sampled_from(
        [
            "{observed} {verdict}",
            "{observed:.2%}",
            "{observed:%%}",
            "{nosuch}",
            "{observed.__class__}",
            "{observed[0]}",
            "{",
            "}",
            "{{}}",
            "{0}",
            "{}",
            "{required:>99999}",
            "{subject_name!r}",
            "{observed:,.2f}",
            "[/]",
            "\x1b[31m",
        ]
    ),
    st.text(max_size=20),
)


def like(value: Any) -> st.SearchStrategy[Any]:
    """A value of the same shape as a shipped parameter's (a threshold stays a
    number, an expression text, a list a list), or sometimes anything."""
    if isinstance(value, bool):
        same: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(value, int | float):
        same = st.one_of(
            st.sampled_from([0, -1, 0.5, 1, 100, 1e308, -1e308, 2**63]),
            st.floats(allow_nan=False, allow_infinity=False),
            st.integers(-(10**6), 10**6),
        )
    elif isinstance(value, str):
        same = (
            expr_text
            if any(c in value for c in "()_ ")
            else st.one_of(st.just(value), st.text(max_size=10), st.sampled_from(["schools", "nosuch", ">="]))
        )
    elif isinstance(value, list):
        same = st.lists(like(value[0]) if value else param_value, max_size=4)
    elif isinstance(value, dt.date):
        same = st.sampled_from(["2024-02-30", "1900-01-01", "2024-12-31", "9999-12-31"])
    else:
        same = param_value
    return st.one_of(same, same, same, param_value)


def _param_paths(params: dict[str, Any]) -> list[tuple[tuple[str, ...], Any]]:
    paths: list[tuple[tuple[str, ...], Any]] = []
    for key, value in params.items():
        paths.append(((key,), value))
        if isinstance(value, dict):
            paths += [((key, *p), v) for p, v in _param_paths(value)]
    return paths


@pytest.fixture(scope="module")
def shipped_rules() -> dict[str, list[tuple[tuple[str, ...], Any]]]:
    from supervise_rules import load_ruleset

    return {r.id: _param_paths(dict(r.rule.params)) for r in load_ruleset("helan-2024").rules}


def nested(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    for key in reversed(path):
        value = {key: value}
    return value


def yaml_flow(value: Any) -> str:
    """``value`` in YAML's flow style (JSON is YAML), every character written as
    itself but those YAML refuses to hold unescaped (DEL, the C1 controls but
    NEL, U+FFFE, U+FFFF)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return re.sub("[\x7f-\x84\x86-\x9f\ufffe\uffff]", lambda m: f"\\u{ord(m[0]):04x}", text)


@st.composite
def ruleset_fragment(draw: Callable, rules: dict[str, list[tuple[tuple[str, ...], Any]]]) -> str:
    """A ruleset extending the shipped one, overriding 0-3 rules (a parameter, a
    severity or a message) and adding 0-2 metric rules with random expressions."""
    overrides: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.integers(0, 3))):
        rule_id = draw(st.sampled_from(sorted(rules)))
        what = draw(st.sampled_from(["params"] * 5 + ["severity", "message"]))
        if what == "params" and rules[rule_id]:
            path, old = draw(st.sampled_from(rules[rule_id]))
            change = {"params": nested(path, draw(like(old)))}
        elif what == "severity":
            change = {"severity": draw(st.sampled_from(["critical", "minor", "info", "fatal"]))}
        else:
            change = {"message": {"zh": draw(message_text), "en": draw(message_text)}}
        overrides.setdefault(rule_id, {}).update(change)
    added = []
    for i in range(draw(st.integers(0, 2))):
        params = {
            "table": draw(st.sampled_from(["schools"] * 6 + ["kindergartens", "nosuch"])),
            "value": draw(expr_text),
            "op": draw(st.sampled_from([">=", "<", "==", "!=", "<=", ">", "=>"])),
            "threshold": draw(st.one_of(like(1.0), like(1.0), param_value)),
        }
        if draw(st.booleans()):
            params["where"] = draw(expr_text)
        added.append(
            {
                "id": draw(st.sampled_from([f"FUZ-{i + 1:02d}"] * 18 + ["BAL-01", "bad id"])),
                "title": {"zh": "随机规则", "en": "random rule"},
                "severity": "major",
                "source": "fuzz",
                "certainty": "M",
                "validator": draw(st.sampled_from(["metric"] * 8 + ["aggregate", "nosuch"])),
                "params": params,
                "message": {"zh": draw(message_text), "en": "{observed} {verdict}"},
                "docs": {"checks": "c", "why": "w", "example": "e"},
            }
        )
    parent = draw(st.sampled_from(["helan-2024"] * 18 + ["nosuch", "../x.yaml"]))
    lines = ["id: fuzz", 'version: "1"', "title: {zh: 模糊测试, en: fuzz}", f"extends: [{parent}]"]
    if overrides:
        lines.append(f"overrides: {yaml_flow(overrides)}")
    if added:
        lines.append(f"rules: {yaml_flow(added)}")
    if draw(st.integers(0, 4)) == 0:
        lines.append(f"disable: {{{draw(st.sampled_from(sorted(rules)))}: {{reason: fuzz}}}}")
    return "\n".join(lines) + "\n"


@fuzz(12)
@given(data=st.data())
def test_fuzz_rulesets(base: Base, shipped_rules, data):
    text = data.draw(ruleset_fragment(shipped_rules), label="ruleset")
    folder = write_submission(base, base.tables)
    ruleset = folder.parent / f"{folder.name}-ruleset.yaml"
    ruleset.write_text(text, encoding="utf-8")
    try:
        outcome = run(folder, "--ruleset", str(ruleset))
    finally:
        ruleset.unlink(missing_ok=True)
    if outcome.code == 2:
        # a ruleset problem is file:line: message, naming our file (or its parent)
        assert ruleset.name in outcome.stderr or "x.yaml" in outcome.stderr, outcome.stderr
        return
    # every rule that ran yields a finding (item 7), whatever its parameters
    assert outcome.report is not None
    silent = [r["rule_id"] for r in outcome.report["rules"] if not sum(r["by_outcome"].values())]
    assert not silent, f"rules without a finding: {silent}"


# --- bugs found by this file: their reproducers, kept as regression tests -------------------


@pytest.mark.parametrize("where", ["manifest", "ruleset", "json"])
def test_surrogate_escapes(base: Base, where: str):
    r"""``"\ud83d\ude00"`` is how ``json.dumps`` (and many exporters) write 😀; in
    YAML it was two lone surrogates, which polars and the UTF-8 report writer
    cannot encode (exit 3); a JSON ``"\udc00"`` is one. Now a pair becomes its
    character and a lone surrogate U+FFFD (``safetext.without_surrogates``)."""
    folder = write_submission(base, base.tables)
    args: list[str] = []
    if where == "manifest":
        (folder / "submission.yaml").write_text(
            'county_code: "640122"\nyear: 2024\nas_of: 2024-09-30\nsubmitted_by: "\\ud83d\\ude00"\n',
            encoding="utf-8",
        )
    elif where == "ruleset":
        ruleset = base.root / f"{folder.name}.yaml"
        ruleset.write_text(
            'id: fz\nversion: "1"\ntitle: {zh: "\\ud83d", en: x}\nextends: [helan-2024]\n', encoding="utf-8"
        )
        args = ["--ruleset", str(ruleset)]
    else:
        document = {
            "manifest": {"county_code": "640122", "year": 2024, "as_of": "2024-09-30"},
            "schools": [
                {"school_id": "2164000232", "level": "primary", "school_name": "\udc00", "students": "1862"}
            ],
        }
        (folder / "sub.json").write_text(json.dumps(document), encoding="ascii")
        run(folder, submission=folder / "sub.json")
        return
    run(folder, *args)


def test_manifest_as_of_out_of_range(base: Base):
    manifest = 'county_code: "640122"\nyear: 2024\nas_of: 1900-01-01\n'
    outcome = run(write_submission(base, base.tables, manifest=manifest))
    assert outcome.code == 2 or any(
        f["rule_id"].startswith("READ-") and "1900" in f["message"]["en"] for f in outcome.findings
    )


def test_manifest_field_twice(base: Base):
    manifest = 'county_code: "640122"\nyear: 2024\nas_of: 2024-09-30\n截止日期: 2024-02-30\n'
    outcome = run(write_submission(base, base.tables, manifest=manifest))
    assert outcome.code == 2 or any("截止日期" in f["message"]["zh"] for f in outcome.findings)


@pytest.mark.parametrize("command", ["report", "notices"])
def test_surrogate_in_a_report_given_back(base: Base, command: str):
    folder = write_submission(base, base.tables)
    report = base.root / f"{folder.name}-given.json"
    outcome = run(folder, "--include-passes")
    outcome.report["findings"][0]["subject"]["name"] = "\udc00"  # type: ignore[index]
    report.write_text(json.dumps(outcome.report), encoding="ascii")  # "\udc00" escaped
    out = base.root / f"{folder.name}-out"
    argv = (
        ["report", "selfcheck", str(report), "-o", f"{out}.html"]
        if command == "report"
        else ["notices", str(report), "--output-dir", str(out)]
    )
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        code = main(argv)
    assert code in (0, 1, 2), f"exit {code}: {err.getvalue()}"
    assert "Traceback" not in err.getvalue()
