"""The spark backend gives the same report, byte for byte, as polars: for every
example, every rule's YAML cases and a generated 10k batch; a rule whose Spark
query fails is one error finding and the others still run; the engine hands
Spark many rules' frames at once (issue 12, items 3 and 4).

All on one local SparkSession (the session-scoped ``spark_session`` fixture);
select them with ``-m spark``, leave them out with ``-m 'not spark'``."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import narwhals as nw
import pytest

import supervise_rules as sr
from supervise_rules.backends import SparkBackend
from supervise_rules.cli import main
from supervise_rules.testing import case_params, case_report

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "README.md").is_file() and p.is_dir())
CASES = ROOT / "tests" / "rules" / "cases"


@pytest.fixture(scope="module")
def host():
    return sr.get_plugin_host(entry_points=False)


def _json(capsys, path: Path, *extra: str) -> bytes:
    code = main([str(path), "--format", "json", *extra])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return out.encode()


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_gives_the_same_bytes(example, spark_session, capsys):
    assert _json(capsys, example, "--backend", "spark") == _json(capsys, example)


@pytest.mark.parametrize("case", case_params(CASES))
def test_rule_case_gives_the_same_bytes(case, host, spark_session):
    on_spark = case_report(case, host, SparkBackend(session=spark_session)).to_json_bytes()
    assert on_spark == case_report(case, host).to_json_bytes()


def test_a_generated_10k_batch_gives_the_same_bytes(tmp_path, host, spark_session):
    folder = tmp_path / "n10000"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "10000", str(folder)],
        check=True,
        capture_output=True,
    )
    submission = sr.load_submission(folder, host=host)
    ruleset = sr.load_ruleset("helan-2024", host=host)
    on_spark = sr.check(submission, ruleset, host=host, backend=SparkBackend(session=spark_session))
    assert on_spark.to_json_bytes() == sr.check(submission, ruleset, host=host).to_json_bytes()


# --- isolation and batching -------------------------------------------------------------


class _Failing(sr.Validator):
    """A validator whose Spark query fails only when Spark runs it."""

    name = "fails_on_spark"
    summary = "A result frame Spark cannot compute."

    def check(self, ctx):
        from pyspark.sql import functions as F

        native = nw.to_native(ctx.frame("schools"))
        frame = native.select(
            F.col("school_id").alias("subject_id"),
            F.raise_error(F.lit("boom from the query")).cast("string").alias("outcome"),
        )
        return sr.RuleResult(frame=nw.from_native(frame), table="schools")


def _failing_plugin() -> types.ModuleType:
    module = types.ModuleType("spark_failing")
    module.register_validators = sr.hookimpl(lambda: [_Failing])
    return module


def _ruleset(tmp_path: Path) -> Path:
    path = tmp_path / "r.yaml"
    rules = [
        ("T-01", "fails_on_spark", "{}"),
        ("T-02", "metric", '{table: schools, value: students, op: ">=", threshold: 1}'),
    ]
    lines = ["id: t", "version: '1'", "title: {zh: 测试, en: test}", "rules:"]
    for rule_id, validator, params in rules:
        lines += [
            f"  - id: {rule_id}",
            "    title: {zh: 规则, en: rule}",
            "    severity: major",
            "    source: test",
            "    certainty: V",
            f"    validator: {validator}",
            f"    params: {params}",
            "    message: {zh: '{observed}', en: '{observed}'}",
            "    docs: {checks: x, why: y, example: z}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_failing_spark_query_is_one_error_finding_the_others_run(tmp_path, spark_session):
    host = sr.get_plugin_host([_failing_plugin()], entry_points=False)
    example = ROOT / "examples" / "helan-2024"
    backend = SparkBackend(session=spark_session)
    report = sr.check(example, _ruleset(tmp_path), host=host, backend=backend)
    (error,) = [f for f in report.findings if f.rule_id == "T-01"]
    assert error.outcome is sr.Outcome.error and error.plugin == "spark_failing"
    assert "T-01" in error.message.en and "spark_failing" in error.message.en
    assert "Py4J" not in error.message.en and "\n" not in error.message.en
    on_polars = sr.check(example, _ruleset(tmp_path), host=host, select="T-02")
    others = [(f.subject.id, f.outcome) for f in report.findings if f.rule_id == "T-02"]
    assert others and others == [(f.subject.id, f.outcome) for f in on_polars.findings]


def test_spark_gets_many_rules_frames_per_collect(monkeypatch, spark_session, host):
    batches: list[int] = []
    real = SparkBackend.collect

    def spy(self, frames):
        batches.append(len(frames))
        return real(self, frames)

    monkeypatch.setattr(SparkBackend, "collect", spy)
    report = sr.check(
        ROOT / "examples" / "helan-2024",
        "helan-2024",
        host=host,
        backend=SparkBackend(session=spark_session),
        select="BAL-0",
    )
    rules = {f.rule_id for f in report.findings}
    assert len(rules) >= 7
    # one collect for the rules' frames, not one per rule and step
    assert 2 * len(batches) <= len(rules) and sum(batches) >= len(rules)
