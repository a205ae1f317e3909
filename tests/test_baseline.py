"""Baseline diff (回头看): keyed on rule_id + subject.id, never on row numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from loop_fixtures import copy_example, edit_schools, finding, make_report, write_ruleset

from supervise_rules.baseline import BaselineError, apply_baseline, baseline_from_dict, load_baseline
from supervise_rules.cli import main
from supervise_rules.models import Severity, Subject

THIRD = ("2164000303", "primary")  # 贺兰县第三小学: largest class 52 > 45 in the example
FIRST = ("2164000232", "primary")  # 贺兰县第一小学: sports area 6.80 < 7.5 per student (minor)
SIXTH = ("2164000409", "primary")  # 贺兰县第六小学: passes everything in the example


def _run_json(capsys, args: list[str]) -> tuple[int, dict]:
    code = main([*args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def two_rounds(tmp_path, capsys):
    """Round 1 is the example; round 2 has its school rows in reverse order, the
    third primary school's class split (fixed) and a new oversized class at the sixth."""
    ruleset = write_ruleset(tmp_path)
    first = copy_example(tmp_path / "round1")
    second = copy_example(tmp_path / "round2")
    edit_schools(second, reverse=True, set_values={THIRD: {"largest_class_size": "45"},
                                                   SIXTH: {"largest_class_size": "58"}})
    code, data = _run_json(capsys, [str(first), "--ruleset", str(ruleset), "--fail-on", "minor"])
    assert code == 1
    baseline = tmp_path / "round1.json"
    baseline.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return ruleset, second, baseline, data


def _by_key(data: dict) -> dict[tuple[str, str], dict]:
    return {(f["rule_id"], f["subject"]["id"]): f for f in data["findings"]}


def test_reordered_rows_persist_not_new(two_rounds, capsys):
    ruleset, second, baseline, before = two_rounds
    code, after = _run_json(capsys, [str(second), "--ruleset", str(ruleset), "--baseline", str(baseline),
                                     "--include-passes"])
    assert code == 1
    old, new = _by_key(before), _by_key(after)
    # without the passes listed, the fixed one is in the baseline block only
    _, listed = _run_json(capsys, [str(second), "--ruleset", str(ruleset), "--baseline", str(baseline)])
    assert ("TST-21", "2164000303/primary") not in _by_key(listed)
    assert listed["baseline"] == after["baseline"] and listed["summary"] == after["summary"]

    persisting = new[("TST-05", "2164000232/primary")]
    assert persisting["outcome"] == "fail"
    assert persisting["baseline"] == "persisting"
    # the row number changed with the reordering; the key did not
    assert old[("TST-05", "2164000232/primary")]["evidence"][0]["rows"] != persisting["evidence"][0]["rows"]

    assert new[("TST-21", "2164000409/primary")]["baseline"] == "new"
    fixed = new[("TST-21", "2164000303/primary")]
    assert fixed["outcome"] == "pass" and fixed["baseline"] == "fixed"
    assert all("baseline" not in f for f in after["findings"]
               if f["outcome"] == "pass" and f is not fixed)

    block = after["baseline"]
    assert block["source"] == str(baseline)
    assert (block["new"], block["persisting"], block["fixed"]) == (1, 1, 1)
    assert [(x["rule_id"], x["subject"]["id"], x["now"]) for x in block["fixed_findings"]] == [
        ("TST-21", "2164000303/primary", "pass")]


def test_fail_on_new(two_rounds, capsys):
    ruleset, second, baseline, _ = two_rounds
    args = [str(second), "--ruleset", str(ruleset), "--baseline", str(baseline), "--fail-on", "minor"]
    # a new major failure (the sixth school's class of 58): fails with or without --fail-on-new
    assert main([*args, "--fail-on-new"]) == 1
    capsys.readouterr()
    # only the persisting minor failure left: fails normally, passes with --fail-on-new
    edit_schools(second, set_values={SIXTH: {"largest_class_size": "40"}})
    assert main(args) == 1
    assert main([*args, "--fail-on-new"]) == 0


def test_fail_on_new_needs_a_baseline(tmp_path, capsys):
    ruleset = write_ruleset(tmp_path)
    assert main([str(copy_example(tmp_path / "s")), "--ruleset", str(ruleset), "--fail-on-new"]) == 2
    assert "--fail-on-new needs --baseline" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("{not json", "not valid JSON"),
        ('{"findings": []}', "not a supervise-check JSON report"),
        ('{"schema_version": "3", "findings": []}', "schema_version '3' is not supported"),
        ('{"schema_version": "1", "findings": [{"rule_id": "X-1"}]}', "findings[0] lacks"),
        ("[1, 2]", "not an object"),
    ],
    ids=["not-json", "no-schema", "future-schema", "bad-finding", "array"],
)
def test_invalid_baseline_is_exit_2(tmp_path, capsys, content, text):
    ruleset = write_ruleset(tmp_path)
    bad = tmp_path / "previous.json"
    bad.write_text(content, encoding="utf-8")
    code = main([str(copy_example(tmp_path / "s")), "--ruleset", str(ruleset), "--baseline", str(bad)])
    assert code == 2
    err = capsys.readouterr().err
    assert str(bad) in err and text in err


def test_missing_baseline_file(tmp_path):
    with pytest.raises(BaselineError, match="no such baseline file"):
        load_baseline(tmp_path / "nope.json")


def test_library_diff_lists_fixed_without_a_current_finding():
    school = Subject(type="school", id="2164000303/primary", name="贺兰县第三小学")
    closed = Subject(type="school", id="2164000999/primary", name="已撤并小学")
    before = make_report([finding("BAL-21", school, "fail", observed=52, op="<=", value=45),
                          finding("BAL-21", closed, "fail", observed=61, op="<=", value=45),
                          finding("BAL-41", "640122", "error")])
    now = make_report([finding("BAL-21", school, "fail", observed=50, op="<=", value=45),
                       finding("BAL-41", "640122", "pass", observed=0.9, value=0.85)])
    diff = apply_baseline(now, baseline_from_dict(before.to_json_dict()))
    assert [f.baseline for f in diff.findings] == ["persisting", "fixed"]
    assert diff.baseline.fixed == 2
    assert [(x.rule_id, x.subject.id, x.now) for x in diff.baseline.fixed_findings] == [
        ("BAL-21", "2164000999/primary", None), ("BAL-41", "640122", "pass")]
    assert diff.failures(Severity.major, new_only=True) == []
    assert len(diff.failures(Severity.major)) == 1


def test_json_without_baseline_has_no_baseline_keys():
    data = make_report([finding("BAL-21", "640122")]).to_json_dict()
    assert "baseline" not in data and "baseline" not in data["findings"][0]


def test_a_report_file_is_accepted_from_any_newer_minor_version(tmp_path: Path):
    doc = make_report([finding("BAL-21", "640122")]).to_json_dict()
    doc["schema_version"] = "1.1"
    doc["something_new"] = {"x": 1}
    doc["findings"][0]["also_new"] = True
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert set(load_baseline(path).failures) == {("BAL-21", "640122")}
