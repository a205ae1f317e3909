"""Data-driven rule tests: every YAML case in ``cases/`` through the public test kit,
on the polars backend and on DuckDB, plus the catalogue-coverage meta-test."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervise_rules import get_plugin_host, load_ruleset
from supervise_rules.testing import case_params, case_report, check_case, load_case_file

CASES = Path(__file__).parent / "cases"

#: Every rule id of ../shared/spec/rules-catalogue.md (v1).
CATALOGUE = (
    [f"BAL-0{i}" for i in range(1, 9)]
    + [f"BAL-{i}" for i in range(11, 18)]
    + [f"BAL-{i}" for i in range(21, 28)]
    + ["BAL-31", "BAL-41"]
    + [f"PRE-{i:02d}" for i in range(1, 12)]
    + [f"INS-0{i}" for i in range(1, 7)]
    + [f"DRP-0{i}" for i in range(1, 7)]
    + [f"CON-0{i}" for i in range(1, 7)]
)


@pytest.fixture(scope="module")
def host():
    # One host for the module: cases only read it, and the kit caches the
    # loaded ruleset per host.
    return get_plugin_host(entry_points=False)


@pytest.mark.parametrize("case", case_params(CASES))
def test_rule_case(case, host):
    check_case(case, host)


@pytest.mark.parametrize("case", case_params(CASES))
def test_rule_case_on_duckdb(case, host):
    # the same report, to the byte, as on polars (whose findings the case checks)
    pytest.importorskip("duckdb")
    polars = case_report(case, host, backend="polars").to_json_bytes()
    assert case_report(case, host, backend="duckdb").to_json_bytes() == polars


@pytest.mark.parametrize("rule_id", CATALOGUE)
def test_every_catalogue_rule_has_cases_and_docs(rule_id):
    path = CASES / f"{rule_id}.yaml"
    assert path.is_file(), f"{rule_id} has no case file {path}"
    cases = load_case_file(path)
    outcomes = {e.get("outcome") for c in cases for e in c.expect}
    assert {"pass", "fail"} <= outcomes, f"{rule_id}: cases must include a pass and a fail"
    rule = load_ruleset("helan-2024").rule(rule_id)
    assert rule is not None
    docs = rule.rule.docs
    for section in ("checks", "why", "example"):
        for lang in ("zh", "en"):
            assert (docs.text(section, lang) or "").strip(), (
                f"{rule_id}: empty docs section {section} ({lang})"
            )
    if rule.rule.certainty == "M":
        assert "unconfirmed" in (docs.text("notes", "en") or "").lower(), (
            f"{rule_id}: a figure marked M must say 'unconfirmed' in its docs notes"
        )
        assert "未经证实" in (docs.text("notes", "zh") or ""), (
            f"{rule_id}: a figure marked M must say 未经证实 in its Chinese docs notes"
        )
