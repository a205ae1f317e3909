"""SARIF output: valid against the SARIF 2.1.0 schema, and mapped as documented."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from supervise_rules import Evidence, Finding, LocalizedText, Outcome, Report, Severity, Subject

HERE = Path(__file__).parent
SCHEMA = json.loads((HERE / "schemas" / "sarif-2.1.0.json").read_text(encoding="utf-8"))


def validate(doc: dict) -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:20])


@pytest.fixture(scope="module")
def sarif(report, render) -> dict:
    return json.loads(render("sarif", report))


@pytest.mark.parametrize("lang", ["zh", "en", "both"])
def test_valid_against_the_schema(report, render, lang):
    doc = json.loads(render("sarif", report, lang=lang))
    validate(doc)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")


def test_driver_rules(sarif, report):
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["name"] == "supervise-rules"
    assert driver["version"] == report.tool.version
    rules = {r["id"]: r for r in driver["rules"]}
    # every rule that ran, also those with passes only (PRE-01), with all its counts
    assert list(rules) == [r.rule_id for r in report.rules]
    assert rules["PRE-01"]["properties"]["by_outcome"] == {
        "pass": 1,
        "fail": 0,
        "not_applicable": 0,
        "error": 0,
    }
    assert rules["BAL-01"]["properties"]["subjects"] == 3
    assert rules["BAL-05"]["properties"]["observed"] == {"min": 6.8, "max": 9.86}
    pre = rules["PRE-11"]
    assert pre["shortDescription"]["text"] == "普惠性幼儿园覆盖率达到 2025 年目标"
    assert pre["fullDescription"]["text"].startswith("普惠性幼儿园覆盖率达到 2025 年目标")
    assert pre["properties"]["severity"] == "info"
    assert pre["properties"]["work_point"] == "7"
    assert pre["properties"]["source"]
    for result in sarif["runs"][0]["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


@pytest.mark.parametrize("show_passes", [False, True])
def test_one_result_per_listed_finding_with_kind_and_level(report, render, show_passes):
    doc = json.loads(render("sarif", report, show_passes=show_passes))
    validate(doc)
    results = doc["runs"][0]["results"]
    listed = list(report.iter_findings(show_passes))
    assert len(results) == (
        sum(report.summary.by_outcome.values())
        if show_passes
        else sum(n for k, n in report.summary.by_outcome.items() if k != "pass")
    )
    assert any(r["kind"] == "pass" for r in results) is show_passes
    expected_level = {"critical": "error", "major": "error", "minor": "warning", "info": "note"}
    for f, r in zip(listed, results, strict=True):
        assert r["ruleId"] == f.rule_id
        assert r["properties"]["outcome"] == f.outcome.value
        assert r["message"]["text"] == f.message.zh
        if f.outcome is Outcome.passed:
            assert (r["kind"], r["level"]) == ("pass", "none")
        elif f.outcome is Outcome.not_applicable:
            assert (r["kind"], r["level"]) == ("notApplicable", "none")
        elif f.outcome is Outcome.error:
            assert (r["kind"], r["level"]) == ("fail", "error")
        else:
            assert (r["kind"], r["level"]) == ("fail", expected_level[f.severity.value])


def _result(sarif, rule_id, subject_id):
    (r,) = [
        r
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == rule_id and r["properties"]["subject"]["id"] == subject_id
    ]
    return r


def test_location_is_the_table_file_row_and_column(sarif):
    r = _result(sarif, "BAL-21", "2164000303/primary")
    (loc,) = r["locations"]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "examples/helan-2024/schools.csv"
    assert loc["physicalLocation"]["region"] == {"startLine": 4}  # data row 3 under the header
    names = [x["fullyQualifiedName"] for x in loc["logicalLocations"]]
    assert names == ["schools", "schools[3]", "schools[3].largest_class_size"]
    uris = [a["location"]["uri"] for a in sarif["runs"][0]["artifacts"]]
    assert "examples/helan-2024/schools.csv" in uris


def test_multi_row_finding_has_related_locations(sarif):
    r = _result(sarif, "BAL-16", "640122")
    assert r["locations"][0]["physicalLocation"]["region"]["startLine"] == 8
    lines = [x["physicalLocation"]["region"]["startLine"] for x in r["relatedLocations"]]
    assert lines == [row + 1 for row in (8, 9, 10, 12, 14, 18, 22, 26, 30, 34, 36)]


def test_whole_table_finding_has_no_region(sarif):
    r = _result(sarif, "PRE-11", "640122")
    phys = r["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "examples/helan-2024/kindergartens.csv"
    assert "region" not in phys


def test_fingerprints_key_on_rule_and_subject(sarif):
    for r in sarif["runs"][0]["results"]:
        assert r["partialFingerprints"] == {
            "ruleSubject/v1": f"{r['ruleId']}|{r['properties']['subject']['id']}"
        }


def test_waivers_are_suppressions_and_baseline_is_baseline_state(sarif):
    waived = _result(sarif, "BAL-21", "2164000303/primary")
    assert waived["suppressions"][0]["status"] == "accepted"
    assert waived["suppressions"][0]["justification"].startswith("新教学楼")
    assert waived["baselineState"] == "unchanged"
    expired = _result(sarif, "BAL-23", "2164000721/primary")
    assert expired["suppressions"][0]["status"] == "rejected"
    assert expired["baselineState"] == "new"
    assert "baselineState" not in _result(sarif, "CON-04", "schools")


def test_certainty_and_the_unconfirmed_tag(sarif):
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["INS-05"]["properties"]["certainty"] == "M"
    assert rules["INS-05"]["properties"]["tags"] == ["unconfirmed"]
    assert rules["INS-05"]["fullDescription"]["text"].endswith("[M 未证实]")
    assert rules["DRP-06"]["properties"]["tags"] == ["unconfirmed"]  # seed
    assert "tags" not in rules["INS-02"]["properties"]  # V
    assert "certainty" not in rules["READ-03"]["properties"]
    ins05 = _result(sarif, "INS-05", "HLDX01/2164000409")
    assert ins05["properties"]["certainty"] == "M" and ins05["properties"]["tags"] == ["unconfirmed"]
    assert "tags" not in _result(sarif, "INS-02", "HLDX01")["properties"]


def test_no_machine_paths_or_timestamps(report, render):
    text = render("sarif", report)
    assert "/work/" not in text and "/tmp/" not in text
    assert "Time" not in text  # startTimeUtc / endTimeUtc and the like


def _minimal(source: str | None, evidence: list[Evidence]) -> Report:
    from supervise_rules.models import RulesetInfo, SubmissionInfo, ToolInfo

    f = Finding(
        rule_id="X-01",
        title=LocalizedText(zh="标题", en="Title"),
        severity=Severity.major,
        outcome=Outcome.fail,
        subject=Subject(type="submission", id="s"),
        message=LocalizedText(zh="信息", en="message"),
        evidence=evidence,
    )
    return Report.build(
        tool=ToolInfo(version="0"),
        ruleset=RulesetInfo(id="r", version="1", title="t"),
        submission=SubmissionInfo(source=source),
        rules_run=1,
        findings=[f],
    )


@pytest.mark.parametrize(
    ("source", "uri"),
    [
        ("county.xlsx", "county.xlsx"),  # one workbook: the workbook is the artifact
        ("folder", "folder"),  # table file unknown: the source
        (None, None),  # in-memory submission: no physical location
    ],
)
def test_artifact_when_the_table_file_is_unknown(render, source, uri):
    doc = json.loads(render("sarif", _minimal(source, [Evidence(table="schools", rows=[2])])))
    validate(doc)
    (result,) = doc["runs"][0]["results"]
    loc = result["locations"][0]
    if uri is None:
        assert "physicalLocation" not in loc
        assert loc["logicalLocations"][1]["fullyQualifiedName"] == "schools[2]"
    else:
        assert loc["physicalLocation"]["artifactLocation"]["uri"] == uri
        assert loc["physicalLocation"]["region"]["startLine"] == 3
