"""Every rule that runs says something: a pass, fail, not_applicable or error
finding — on empty tables, one-row tables and tables missing their key
columns — and a missing key column is a finding naming it, never a validator
exception (issue: reliability)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import supervise_rules as sr
from supervise_rules.models import Outcome
from supervise_rules.tables import TABLES, subject_id_columns

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "helan-2024"
MANIFEST = {"county_code": "640122", "county_name": "贺兰县", "year": 2024, "as_of": "2024-09-30"}


@pytest.fixture(scope="module")
def host():
    return sr.get_plugin_host(entry_points=False)


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, str]]]:
    out = {}
    for path in sorted(EXAMPLE.glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            out[path.stem] = list(csv.DictReader(fh))
    return out


def _document(records, edit) -> dict:
    return {"manifest": dict(MANIFEST), **{t: edit(t, rows) for t, rows in records.items()}}


def _scenarios():
    yield "empty tables", lambda t, rows: []
    yield "one row per table", lambda t, rows: rows[:1]
    for table in TABLES:
        keys = subject_id_columns(table)
        if keys:

            def drop(t, rows, table=table, keys=keys):
                if t != table:
                    return rows
                return [{k: v for k, v in r.items() if k not in keys} for r in rows]

            yield f"{table} without its key columns", drop


SCENARIOS = list(_scenarios())
RULESETS = [
    "national/balanced-2017",
    "national/data-quality",
    "national/dropout",
    "national/inspection",
    "national/preschool-2020",
]


def _no_keys(t, rows):
    keys = subject_id_columns(t)
    return [{k: v for k, v in r.items() if k not in keys} for r in rows]


#: every scenario on the county's ruleset; the national ones (the same
#: validators, other parameters) on the three that differ most
CASES = [("helan-2024", n, e) for n, e in SCENARIOS] + [
    (r, n, e)
    for r in RULESETS
    for n, e in (SCENARIOS[0], SCENARIOS[1], ("no table has its key columns", _no_keys))
]


def _crashed(finding: sr.Finding) -> bool:
    """A validator that raised: the engine's safety net names the plugin."""
    return finding.plugin is not None or " raised " in finding.message.en


@pytest.mark.parametrize("ruleset_id,name,edit", CASES, ids=[f"{r}: {n}" for r, n, _ in CASES])
def test_every_rule_yields_a_finding(host, records, ruleset_id, name, edit):
    ruleset = sr.load_ruleset(ruleset_id, host=host)
    report = sr.check(_document(records, edit), ruleset, host=host)
    by_rule: dict[str, list[sr.Finding]] = {}
    for f in report.iter_findings(include_passes=True):
        by_rule.setdefault(f.rule_id, []).append(f)
    silent = [r.id for r in ruleset.rules if r.id not in by_rule]
    assert not silent, f"{name}: rules without a finding: {silent}"
    crashed = sorted({f.rule_id for fs in by_rule.values() for f in fs if _crashed(f)})
    assert not crashed, f"{name}: validators raised: {crashed}"


@pytest.mark.parametrize(
    "table", [t for t in ("schools", "kindergartens", "dropout_cases", "county", "inspectors")]
)
def test_a_missing_key_column_is_an_error_naming_it(host, records, table):
    keys = subject_id_columns(table)
    document = _document(
        records,
        lambda t, rows: [{k: v for k, v in r.items() if k not in keys} for r in rows] if t == table else rows,
    )
    report = sr.check(document, "helan-2024", host=host)
    about = [
        f
        for f in report.iter_findings()
        if f.rule_id[:4] != "READ"
        and any(e.table == table and set(keys) & set(e.columns) for e in f.evidence)
    ]
    assert about, f"no rule finding names the missing key of {table}"
    for f in about:
        assert f.outcome is Outcome.error
        assert any(k in f.message.en for k in keys)
