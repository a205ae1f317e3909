"""The engine through the public API: data errors become located findings, a
crashing validator becomes an error finding naming its plugin, and the same
rules give identical findings on polars and DuckDB."""

from __future__ import annotations

import pytest

import supervise_rules as sr
from supervise_rules import Outcome, Params, Validator, hookimpl, load_submission

MANIFEST = {"county_code": "640122", "county_name": "贺兰县", "year": 2024, "as_of": "2024-09-30"}


def submission(**tables):
    return load_submission({"manifest": MANIFEST, **tables})


def kg(kid, ownership, inclusive, children, **extra):
    return {
        "kindergarten_id": kid,
        "kindergarten_name": f"园{kid}",
        "county_code": "640122",
        "ownership": ownership,
        "inclusive": inclusive,
        "children": children,
        **extra,
    }


@pytest.fixture(scope="module")
def host():
    return sr.get_plugin_host(entry_points=False)


@pytest.fixture(scope="module")
def ruleset(host):
    return sr.load_ruleset("national/preschool-2020", host=host)


def by_rule(report, rule_id):
    return [f for f in report.findings if f.rule_id == rule_id]


def test_zero_denominator_is_an_error_not_a_pass(host, ruleset):
    sub = submission(kindergartens=[kg("K1", "public", True, 0)])
    (f,) = by_rule(sr.check(sub, ruleset, host=host), "PRE-02")
    assert f.outcome is Outcome.error
    assert f.observed is None
    assert "为 0" in f.message.zh and "is 0" in f.message.en
    assert f.evidence[0].table == "kindergartens"


def test_missing_value_is_an_error_naming_table_row_and_column(host, ruleset):
    # a public kindergarten's missing `inclusive` does not matter (public counts as
    # inclusive); a private one's does, and so does a missing `children`
    sub = submission(
        kindergartens=[
            kg("K1", "public", None, 10),
            kg("K2", "private", True, None),
            kg("K3", "private", None, 5),
        ]
    )
    report = sr.check(sub, ruleset, host=host)
    errors = by_rule(report, "PRE-02")
    assert [f.outcome for f in errors] == [Outcome.error, Outcome.error]
    by_column = {f.evidence[0].columns[0]: f for f in errors}
    assert by_column["children"].evidence[0].rows == [2]
    assert by_column["inclusive"].evidence[0].rows == [3]
    # data given in memory: the n-th record of its entry
    assert by_column["children"].message.zh.startswith("「幼儿园」表第 2 条记录「在园幼儿数」缺失")
    assert "record 2, column children" in by_column["children"].message.en


def test_missing_table_is_not_applicable(host, ruleset):
    report = sr.check(submission(kindergartens=[kg("K1", "public", True, 10)]), ruleset, host=host)
    (f,) = by_rule(report, "PRE-01")  # needs the county table
    assert f.outcome is Outcome.not_applicable
    assert "county" in f.message.en


def test_missing_column_of_a_submitted_table_is_an_error(host, ruleset):
    rows = [{"kindergarten_id": "K1", "ownership": "public", "inclusive": True}]
    (f,) = by_rule(sr.check(submission(kindergartens=rows), ruleset, host=host), "PRE-03")
    assert f.outcome is Outcome.error
    assert f.evidence[0].columns == ["children"]


def test_absent_table_is_not_applicable(host, ruleset):
    rows = [{"county_code": "640122", "population_age_3_5": 100}]
    (f,) = by_rule(sr.check(submission(county=rows), ruleset, host=host), "PRE-03")
    assert f.outcome is Outcome.not_applicable


def test_required_data_missing_is_an_error(host, ruleset, tmp_path):
    child = tmp_path / "strict.yaml"
    child.write_text(
        "id: strict\nversion: '1'\ntitle: {zh: 严, en: Strict}\n"
        "extends: [national/preschool-2020]\noverrides:\n  PRE-01: {requires_data: true}\n",
        encoding="utf-8",
    )
    rs = sr.load_ruleset(child, host=host)
    (f,) = by_rule(sr.check(submission(kindergartens=[kg("K1", "public", True, 1)]), rs, host=host), "PRE-01")
    assert f.outcome is Outcome.error


class Boom(Validator):
    """Always raises.

    What it checks
        Nothing.

    Parameters
        None.

    Example
        ``validator: boom``
    """

    name = "boom"
    summary = "raises"
    Params = Params

    def check(self, ctx):
        raise RuntimeError("kaboom")


class CrashingPlugin:
    @hookimpl
    def register_validators(self):
        return [Boom]


def test_crashing_validator_gives_an_error_finding_and_the_run_continues(tmp_path):
    host = sr.get_plugin_host([CrashingPlugin()], entry_points=False)
    path = tmp_path / "rs.yaml"
    path.write_text(
        "id: crash\nversion: '1'\ntitle: {zh: 崩, en: Crash}\n"
        "extends: [national/preschool-2020]\nrules:\n"
        "  - id: X-01\n    title: {zh: 崩, en: Crash}\n    severity: major\n    source: t\n"
        "    certainty: V\n    validator: boom\n    message: {zh: x, en: x}\n"
        "    docs: {checks: c, why: w, example: e}\n",
        encoding="utf-8",
    )
    rs = sr.load_ruleset(path, host=host)
    report = sr.check(submission(kindergartens=[kg("K1", "public", True, 10)]), rs, host=host)
    (crash,) = by_rule(report, "X-01")
    assert crash.outcome is Outcome.error
    assert crash.plugin == "CrashingPlugin"
    assert "kaboom" in crash.message.en and "X-01" in crash.message.en
    assert crash.plugin in crash.message.en
    # the other rules still ran
    assert by_rule(report, "PRE-02")[0].outcome is Outcome.passed


def test_findings_are_sorted_and_summary_counts(host):
    report = sr.check("examples/helan-2024-preschool", "helan-2024", host=host)
    keys = [(f.rule_id, f.subject.id) for f in report.findings]
    assert keys == sorted(keys)
    assert report.summary.rules_run == len(
        {f.rule_id for f in report.findings if not f.rule_id.startswith("READ-")}
    )
    assert sum(report.summary.by_outcome.values()) == len(report.findings)


@pytest.mark.parametrize("example", ["helan-2024-preschool", "helan-2024"])
def test_polars_and_duckdb_give_identical_findings(host, examples, example):
    pytest.importorskip("duckdb")
    on_polars = sr.check(examples / example, "helan-2024", host=host)
    on_duckdb = sr.check(examples / example, "helan-2024", host=host, backend="duckdb")
    assert on_duckdb.to_json() == on_polars.to_json()


def test_same_input_same_bytes(host, examples):
    first = sr.check(examples / "helan-2024", "helan-2024", host=host).to_json()
    second = sr.check(examples / "helan-2024", "helan-2024", host=host).to_json()
    assert first == second
