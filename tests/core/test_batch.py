"""Batch submissions: a province, a prefecture or the nation in one run."""

from __future__ import annotations

import pytest

import supervise_rules as sr

SCHOOL = {
    "level": "primary",
    "school_type": "standalone",
    "ownership": "public",
    "students": 500,
    "classes": 12,
}


def _doc(manifest: dict, codes: list[str]) -> dict:
    schools = [
        {
            **SCHOOL,
            "school_id": f"2{code[2:6]}{i:05d}"[:10].ljust(10, "0"),
            "school_name": f"{code} 学校 {i}",
            "county_code": code,
        }
        for i, code in enumerate(codes)
    ]
    return {"manifest": {"year": 2024, "as_of": "2024-09-30", **manifest}, "schools": schools}


def _con01(report: sr.Report) -> list[sr.Finding]:
    # the tables this document lacks are not applicable; the rest must hold
    return [f for f in report.findings if f.rule_id == "CON-01" and f.outcome.value != "not_applicable"]


def test_counties_of_the_region_are_not_foreign():
    doc = _doc({"region_code": "640000", "region_name": "宁夏回族自治区"}, ["640122", "640181", "640122"])
    report = sr.check(doc, "national/data-quality")
    assert report.submission.region_code == "640000"
    assert report.submission.region_name == "宁夏回族自治区"
    assert report.submission.county_code is None
    findings = _con01(report)
    assert {f.outcome.value for f in findings} == {"pass"}
    (manifest,) = [f for f in findings if f.evidence[0].table == "manifest"]
    assert manifest.subject.id == "640000" and "区划代码" in manifest.message.zh


def test_a_county_outside_the_region_fails_naming_the_region():
    doc = _doc({"region_code": "640100", "region_name": "银川市"}, ["640122", "640205", "110101"])
    fails = [f for f in _con01(sr.check(doc, "national/data-quality")) if f.outcome.value == "fail"]
    assert len(fails) == 2  # 640205 is in 石嘴山市 (6402), 110101 in Beijing
    assert all("640100" in f.message.zh and "640100" in f.message.en for f in fails)
    assert sorted(f.evidence[0].rows for f in fails) == [[2], [3]]


def test_the_whole_country_accepts_every_county_code():
    doc = _doc({"region_code": "000000", "region_name": "全国"}, ["640122", "110101", "650102"])
    assert {f.outcome.value for f in _con01(sr.check(doc, "national/data-quality"))} == {"pass"}


def test_a_single_county_submission_behaves_as_before():
    doc = _doc({"county_code": "640122", "county_name": "贺兰县"}, ["640122", "640181"])
    fails = [f for f in _con01(sr.check(doc, "national/data-quality")) if f.outcome.value == "fail"]
    assert len(fails) == 1 and "与清单的 640122 不一致" in fails[0].message.zh


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"region_code": "640122"}, "not a region code"),
        ({"region_code": "64000"}, "not a region code"),
        ({"region_code": "640000", "county_code": "640122"}, "not both"),
    ],
)
def test_bad_region_codes_are_clear_errors(manifest, message):
    with pytest.raises(sr.SubmissionError, match=message):
        sr.load_submission(_doc(manifest, ["640122"]))


def test_the_two_county_example_is_judged_county_by_county(tmp_path):
    from pathlib import Path

    from supervise_rules.cli import main

    example = Path(__file__).resolve().parents[2] / "examples" / "yinchuan-2024-batch"
    out = tmp_path / "report.json"
    assert (
        main([str(example), "--format", "json", "-o", str(out), "--fail-on", "never", "--include-passes"])
        == 0
    )
    import json

    report = json.loads(out.read_text(encoding="utf-8"))
    sub = report["submission"]
    assert (sub["region_code"], sub["region_name"], sub["county_code"]) == ("640100", "银川市", None)

    def findings(rule_id: str) -> dict[str, dict]:
        return {f["subject"]["id"]: f for f in report["findings"] if f["rule_id"] == rule_id}

    pre01 = findings("PRE-01")
    assert {k: (f["subject"]["name"], f["outcome"]) for k, f in pre01.items()} == {
        "640122": ("贺兰县", "pass"),
        "640181": ("灵武市", "fail"),
    }
    assert round(pre01["640122"]["observed"], 4) == 0.9801
    assert round(pre01["640181"]["observed"], 4) == 0.7782
    assert set(findings("INS-03")) == {"640122", "640181"}
    assert set(findings("PRE-06")) == {"640122", "640181"}
    assert {f["subject"]["name"] for f in findings("BAL-16").values()} == {
        "贺兰县 小学",
        "贺兰县 初中",
        "灵武市 小学",
        "灵武市 初中",
    }
    # every county code lies within 6401: no CON-01 failure
    assert {f["outcome"] for f in report["findings"] if f["rule_id"] == "CON-01"} == {"pass"}
    rules = {r["rule_id"]: r for r in report["rules"]}
    assert rules["PRE-01"]["subjects"] == 2
    assert rules["PRE-01"]["by_outcome"]["fail"] == 1
