"""The ``weighted_cv`` validator (差异系数, BAL-11..17) against an independent,
plain-Python computation of the catalogue's formula, on random data and on the
example county."""

from __future__ import annotations

import csv
import functools
import math
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supervise_rules.plugins import get_plugin_host
from supervise_rules.testing import RuleCase, run_case

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "helan-2024"
LIMITS = {"primary": 0.50, "junior": 0.45}


@functools.cache
def host():
    return get_plugin_host()


def reference_cv(values: list[float], weights: list[float]) -> float:
    """X̄ = ΣPᵢXᵢ/P, S = √(Σ(Pᵢ/P)(Xᵢ − X̄)²), CV = S/X̄, with exact float sums."""
    total = math.fsum(weights)
    mean = math.fsum(p * x for p, x in zip(weights, values, strict=True)) / total
    var = math.fsum(p / total * (x - mean) ** 2 for p, x in zip(weights, values, strict=True))
    return math.sqrt(var) / mean


def reference(rows: list[dict], column: str) -> dict[str, float]:
    """CV of ``column / students`` per county and level, teaching points under 50 left out."""
    groups: dict[str, tuple[list[float], list[float]]] = {}
    for r in rows:
        if r["school_type"] == "teaching_point" and r["students"] < 50:
            continue
        xs, ps = groups.setdefault(f"{r['county_code']}/{r['level']}", ([], []))
        xs.append(r[column] / r["students"])
        ps.append(r["students"])
    return {key: reference_cv(xs, ps) for key, (xs, ps) in groups.items()}


def computed(rows: list[dict], rule: str, backend: str = "polars") -> dict[str, object]:
    case = RuleCase(file=Path(__file__), rule=rule, name="random", tables={"schools": rows})
    findings = run_case(case, host(), backend)
    if all(f.outcome.value == "not_applicable" for f in findings):
        # no school is assessed (teaching points under 50 students): the rule says so
        assert len(findings) == 1
        return {}
    return {f.subject.id: f for f in findings}


school = st.fixed_dictionaries(
    {
        "county_code": st.sampled_from(["640122", "640121"]),
        "level": st.sampled_from(["primary", "junior"]),
        "school_type": st.sampled_from(["standalone", "nine_year", "teaching_point"]),
        "students": st.integers(min_value=1, max_value=3000),
        # sports area in m², one decimal as a county platform exports it
        "sports_area_m2": st.integers(min_value=1, max_value=600_000).map(lambda v: v / 10),
    }
)


@settings(max_examples=40, deadline=None)
@given(st.lists(school, min_size=1, max_size=25))
def test_cv_matches_independent_computation(rows):
    for i, r in enumerate(rows):
        r["school_id"] = f"64012{i:05d}"
    expected = reference(rows, "sports_area_m2")
    findings = computed(rows, "BAL-15")
    assert set(findings) == set(expected)
    for key, cv in expected.items():
        f = findings[key]
        assert f.subject.type == "county"
        assert f.observed == pytest.approx(cv, rel=1e-9, abs=1e-12)
        level = key.split("/")[1]
        outcome = "pass" if cv <= LIMITS[level] + 1e-9 else "fail"
        assert f.outcome.value == outcome
        assert f.required.value == LIMITS[level]


@pytest.mark.parametrize("seed", range(5))
def test_cv_same_on_duckdb(seed):
    pytest.importorskip("duckdb")
    rng = random.Random(seed)
    rows = [
        {
            "school_id": f"64012{i:05d}",
            "county_code": rng.choice(["640122", "640121"]),
            "level": rng.choice(["primary", "junior"]),
            "school_type": "standalone",
            "students": rng.randint(50, 3000),
            "equipment_value_yuan": round(rng.uniform(1e5, 3e7), 2),
        }
        for i in range(rng.randint(2, 30))
    ]
    expected = reference(rows, "equipment_value_yuan")
    for backend in ("polars", "duckdb"):
        findings = computed(rows, "BAL-16", backend)
        assert set(findings) == set(expected)
        for key, cv in expected.items():
            assert findings[key].observed == pytest.approx(cv, rel=1e-9)


def test_example_county_junior_equipment_cv():
    """BAL-16 on examples/helan-2024: junior CV 0.5221 (README), computed independently."""
    with (EXAMPLE / "schools.csv").open(encoding="utf-8") as fh:
        rows = [
            {**r, "students": int(r["students"]), "equipment_value_yuan": float(r["equipment_value_yuan"])}
            for r in csv.DictReader(fh)
        ]
    expected = reference(rows, "equipment_value_yuan")
    assert round(expected["640122/junior"], 4) == 0.5221
    findings = computed(rows, "BAL-16")
    assert findings["640122/junior"].observed == pytest.approx(expected["640122/junior"], rel=1e-12)
    assert findings["640122/junior"].outcome.value == "fail"
    assert "0.5221" in findings["640122/junior"].message.zh
    assert findings["640122/primary"].outcome.value == "pass"
