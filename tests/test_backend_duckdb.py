"""The duckdb backend reads CSV, parquet and .duckdb tables where they live and
gives the report polars gives, to the byte: on every example, on a generated
batch and on a submission full of what the readers must normalise or report
(READ-01/02/03/04/16), in each container; what it cannot do natively falls back
to the polars readers. DuckDBBackend.collect brings many results in one query.
(The rule cases are compared in tests/rules/test_rule_cases.py.)"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import supervise_rules as sr
from supervise_rules import load_submission
from supervise_rules.backends import DuckDBBackend

duckdb = pytest.importorskip("duckdb")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir() and not p.name.startswith("."))

MANIFEST = 'county_code: "640122"\ncounty_name: 贺兰县\nyear: 2024\nas_of: 2024-09-30\n'

# every cell form the readers accept, and some they do not, in Chinese headers and aliases
SCHOOLS = """\
学校标识码,学校名称,区县代码,乡镇,学段,办学类型,办学性质,在校生数,班级数,专任教师数,\
教学及辅助用房面积,备用列
2164000232,贺兰县第一小学,640122,习岗镇,primary,standalone,public,1862,44,104,10635.7,x
2164000266, 贺兰县第二小学 ,640122,习岗镇,小学,独立设置,公办,"1,647",３９,94,"9,365.7",
2164000301,贺兰县第三小学,640122,洪广镇,小學,standalone,PUBLIC,十二,40,-3,1e3,
2164000302,贺兰县第四小学,640122,洪广镇,高中,standalone,public,700,20.0,45,abc,y
2164000303,贺兰县第五小学,640122,洪广镇,junior,nine_year,private, 45 ,-1,12,1.5,
,无标识学校,640122,洪广镇,primary,standalone,public,10,1,2,3,
"""
VISITS = """督学编号,学校标识码,督导日期,发现问题数,已整改问题数
HLDX01,2164000232,2024-03-12,3,3
HLDX02,2164000266,2024/3/1,2,1
HLDX02,2164000301,2024年3月1日,1,1
HLDX03,2164000302,20240301,0,0
HLDX03,2164000303,2025-01-01,1,0
HLDX04,2164000303,2024-02-30,1,0
HLDX04,2164000232,45352,1,1
"""
KINDERGARTENS = """kindergarten_id,kindergarten_name,county_code,ownership,inclusive,children,classes
K001,第一幼儿园,640122,public,是,300,10
K002,第二幼儿园,640122,private,N,120,4
K003,第三幼儿园,640122,private,maybe,80,3
合计,,,,,500,17
"""
# a unit to convert (万元)
COUNTY = """\
county_code,population_age_3_5,exchanged_teachers,教师年平均工资收入（万元）,\
social_recognition_rate
640122,13896,71,12.148,0.9372
"""
# a title row above the header
CHECKS = """贺兰县开学摸排
school_id,term,check_date,enrolled,present
2164000232,spring,2024-03-07,1860,1860
"""
LETTERS = """party_type,party_id,signed_date
township,习岗镇,2024-02-28
school,2164000232,2024-13-01
"""
ASSIGNMENTS = """inspector_id,school_id
HLDX01,2164000232
HLDX02,"2164000266
"
"""
# no key column: READ-02
INSPECTORS = """督学姓名,联系学校数
张三,3
"""


def _messy(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "submission.yaml").write_text(MANIFEST, encoding="utf-8")
    files = {
        "schools.csv": SCHOOLS,
        "visits.csv": VISITS,
        "kindergartens.csv": KINDERGARTENS,
        "county.csv": COUNTY,
        "responsibility_letters.csv": LETTERS,
        "enrollment_checks.csv": CHECKS,
        "assignments.csv": ASSIGNMENTS,
        "inspectors.csv": INSPECTORS,
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _as_parquet(folder: Path, out: Path, *, typed: bool) -> Path:
    """The folder's tables as parquet: the CSV cells as text, or the polars
    readers' typed tables (contract names and types)."""
    out.mkdir(parents=True)
    shutil.copy(folder / "submission.yaml", out)
    if typed:
        for name, table in load_submission(folder).tables.items():
            table.frame.drop("__row__").write_parquet(out / f"{name}.parquet")
    else:
        for path in sorted(folder.glob("*.csv")):
            try:
                frame = pl.read_csv(path, infer_schema=False)
            except pl.exceptions.ComputeError:  # a title row: not a table of records
                continue
            frame.write_parquet(out / f"{path.stem}.parquet")
    return out


def _as_database(folder: Path, path: Path, *, manifest_table: bool = True) -> Path:
    """The folder's typed tables in a DuckDB database, the manifest as a
    ``submission`` table of key/value rows (or left in submission.yaml beside it)."""
    submission = load_submission(folder)
    con = duckdb.connect(str(path))
    try:
        for name, table in submission.tables.items():
            con.register("frame", table.frame.drop("__row__").to_arrow())
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
            con.unregister("frame")
        if manifest_table:
            con.execute("CREATE TABLE submission (key VARCHAR, value VARCHAR)")
            for line in MANIFEST.strip().splitlines():
                key, value = line.split(":", 1)
                con.execute("INSERT INTO submission VALUES (?, ?)", [key, value.strip().strip('"')])
    finally:
        con.close()
    if not manifest_table:
        shutil.copy(folder / "submission.yaml", path.parent / "submission.yaml")
    return path


def _both(path: Path, ruleset: str = "helan-2024") -> tuple[bytes, bytes, sr.Submission]:
    host = sr.get_plugin_host()
    polars = sr.check(path, ruleset, host=host).to_json_bytes()
    submission = load_submission(path, host=host, backend="duckdb")
    duck = sr.check(submission, ruleset, host=host, backend="duckdb").to_json_bytes()
    return polars, duck, submission


def _native(submission: sr.Submission) -> set[str]:
    return {n for n, t in submission.tables.items() if type(t.frame).__name__ == "DuckDBPyRelation"}


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> Path:
    return _messy(tmp_path_factory.mktemp("messy") / "csv")


def test_csv_folder_read_by_duckdb_gives_the_polars_report(messy):
    polars, duck, submission = _both(messy)
    assert duck == polars
    problems = {f.rule_id for f in submission.problems}
    assert {"READ-01", "READ-02", "READ-03", "READ-07", "READ-16"} <= problems
    # cells to normalise and to report, and READ-16, on the native path …
    assert {"schools", "visits", "responsibility_letters"} <= _native(submission)
    # … and what it cannot do natively by the polars readers: a totals row, a
    # unit to convert, a title row, a cell holding a line break
    assert not {"kindergartens", "county", "enrollment_checks", "assignments"} & _native(submission)


@pytest.mark.parametrize("typed", [False, True], ids=["text", "typed"])
def test_parquet_folder_read_by_duckdb_gives_the_polars_report(messy, tmp_path, typed):
    folder = _as_parquet(messy, tmp_path / "parquet", typed=typed)
    polars, duck, submission = _both(folder)
    assert duck == polars
    assert _native(submission) >= {"schools", "visits"}
    if not typed:
        assert "READ-01" in {f.rule_id for f in submission.problems}


@pytest.mark.parametrize("manifest_table", [True, False], ids=["submission-table", "submission-yaml"])
def test_a_duckdb_database_is_a_submission(messy, tmp_path, manifest_table):
    path = _as_database(messy, tmp_path / "data.duckdb", manifest_table=manifest_table)
    polars, duck, submission = _both(path)
    assert duck == polars
    assert submission.manifest.county_code == "640122"
    assert str(submission.manifest.as_of) == "2024-09-30"
    assert _native(submission) == set(submission.tables)


def test_duckdb_database_on_the_cli(messy, tmp_path):
    from supervise_rules.cli import main

    path = _as_database(messy, tmp_path / "data.duckdb")
    out, polars = tmp_path / "report.json", tmp_path / "polars.json"
    assert (
        main([str(path), "--backend", "duckdb", "--format", "json", "-o", str(out), "--fail-on", "never"])
        == 0
    )
    assert main([str(path), "--format", "json", "-o", str(polars), "--fail-on", "never"]) == 0
    assert out.read_bytes() == polars.read_bytes()


def test_a_corrupt_database_is_a_clear_error(tmp_path):
    path = tmp_path / "data.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from supervise_rules.cli import main; sys.exit(main(sys.argv[1:]))",
            str(path),
            "--backend",
            "duckdb",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stderr
    assert "data.duckdb is not a readable DuckDB database" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_corrupt_parquet_file_is_the_polars_readers_error(tmp_path):
    (tmp_path / "submission.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "schools.parquet").write_bytes(b"PAR1 not really")
    messages = []
    for backend in (None, "duckdb"):
        with pytest.raises(sr.SuperviseRulesError) as raised:
            load_submission(tmp_path, backend=backend)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert "schools.parquet is not a readable Parquet file" in messages[1]


def test_a_missing_column_is_the_same_located_finding(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "submission.yaml").write_text(MANIFEST, encoding="utf-8")
    (folder / "schools.csv").write_text("school_id,level\n2164000232,primary\n", encoding="utf-8")
    polars, duck, submission = _both(folder)
    assert duck == polars
    assert _native(submission) == {"schools"}


def test_a_csv_with_a_byte_order_mark_and_crlf_is_read_natively(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "submission.yaml").write_text(MANIFEST, encoding="utf-8")
    text = "school_id,level,students\r\n2164000232,primary,12\r\n2164000233,junior,abc\r\n"
    (folder / "schools.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    polars, duck, submission = _both(folder)
    assert duck == polars
    assert _native(submission) == {"schools"}
    assert submission.encodings == {"schools.csv": "utf-8-sig"}
    assert [f.rule_id for f in submission.problems] == ["READ-01"]


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_gives_the_same_bytes(example):
    ruleset = "helan-2024"
    polars, duck, _ = _both(example, ruleset)
    assert duck == polars


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    out = tmp_path_factory.mktemp("batch") / "n2000"
    generate.generate(2000, out)
    return out


@pytest.mark.parametrize("container", ["csv", "parquet", "duckdb"])
def test_a_generated_batch_gives_the_same_bytes(batch, tmp_path, container):
    if container == "csv":
        path = batch
    elif container == "parquet":
        path = _as_parquet(batch, tmp_path / "parquet", typed=True)
    else:
        path = _as_database(batch, tmp_path / "data.duckdb", manifest_table=False)
    polars, duck, submission = _both(path)
    assert duck == polars
    assert _native(submission) == set(submission.tables)


# --- collect ---------------------------------------------------------------------------


def test_collect_brings_each_result_in_one_query():
    import narwhals as nw

    backend = DuckDBBackend()
    backend.open()
    con = backend._con()
    con.execute(
        "CREATE TABLE t AS SELECT range AS i, range * 2.5 AS x, DATE '2024-01-01' + range::INT AS d, "
        "CASE WHEN range % 3 = 0 THEN NULL ELSE 'a' || range END AS s FROM range(10)"
    ).fetchall()
    # a rule's steps: one lazy plan of several operations
    steps = nw.from_native(con.sql("SELECT * FROM t")).filter(nw.col("i") < 5).with_columns(y=nw.col("i") * 2)
    frames = [
        steps,
        nw.from_native(con.sql("SELECT s, count(*) AS n FROM t GROUP BY s ORDER BY s NULLS FIRST")),
        nw.from_native(con.sql("SELECT * FROM t WHERE i > 100")),  # empty, with its columns
        backend.lazy(pl.DataFrame({"a": [1, 2]})),
    ]
    expected = [nw.to_native(f).pl() for f in frames]
    before = _query_id(con)
    got = backend.collect(frames)
    # one query per result (four, the small frame handed over included), not one per step
    assert _query_id(con) - before - 1 == len(frames)
    assert len(got) == 4
    for a, b in zip(got, expected, strict=True):
        assert isinstance(a, pl.DataFrame)
        assert a.schema == b.schema
        assert a.sort(a.columns, nulls_last=True).equals(b.sort(b.columns, nulls_last=True))
    assert got[2].height == 0 and got[2].columns == ["i", "x", "d", "s"]


def _query_id(con) -> int:
    """DuckDB's count of the connection's queries (this one included)."""
    return con.execute("SELECT current_query_id()").fetchall()[0][0]


def test_collect_takes_polars_frames_too():
    backend = DuckDBBackend()
    frame = pl.DataFrame({"a": [1]})
    assert backend.collect([frame.lazy(), frame])[1].equals(frame)
