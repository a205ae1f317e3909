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
    edit_schools(
        second,
        reverse=True,
        set_values={THIRD: {"largest_class_size": "45"}, SIXTH: {"largest_class_size": "58"}},
    )
    code, data = _run_json(capsys, [str(first), "--ruleset", str(ruleset), "--fail-on", "minor"])
    assert code == 1
    baseline = tmp_path / "round1.json"
    baseline.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return ruleset, second, baseline, data


def _by_key(data: dict) -> dict[tuple[str, str], dict]:
    return {(f["rule_id"], f["subject"]["id"]): f for f in data["findings"]}


def test_reordered_rows_persist_not_new(two_rounds, capsys):
    ruleset, second, baseline, before = two_rounds
    code, after = _run_json(
        capsys, [str(second), "--ruleset", str(ruleset), "--baseline", str(baseline), "--include-passes"]
    )
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
    assert all("baseline" not in f for f in after["findings"] if f["outcome"] == "pass" and f is not fixed)

    block = after["baseline"]
    assert block["source"] == str(baseline)
    assert (block["new"], block["persisting"], block["fixed"]) == (1, 1, 1)
    assert [(x["rule_id"], x["subject"]["id"], x["now"]) for x in block["fixed_findings"]] == [
        ("TST-21", "2164000303/primary", "pass")
    ]


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
    before = make_report(
        [
            finding("BAL-21", school, "fail", observed=52, op="<=", value=45),
            finding("BAL-21", closed, "fail", observed=61, op="<=", value=45),
            finding("BAL-41", "640122", "error"),
        ]
    )
    now = make_report(
        [
            finding("BAL-21", school, "fail", observed=50, op="<=", value=45),
            finding("BAL-41", "640122", "pass", observed=0.9, value=0.85),
        ]
    )
    diff = apply_baseline(now, baseline_from_dict(before.to_json_dict()))
    assert [f.baseline for f in diff.findings] == ["persisting", "fixed"]
    assert diff.baseline.fixed == 2
    assert [(x.rule_id, x.subject.id, x.now) for x in diff.baseline.fixed_findings] == [
        ("BAL-21", "2164000999/primary", None),
        ("BAL-41", "640122", "pass"),
    ]
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


# --- a baseline of another ruleset, version or county (issue 15, item 5) --------------------


def _ruleset_v2(tmp_path: Path, *, drop: str | None = None, version: str = "2") -> Path:
    """The loop-test ruleset at another version, without rule ``drop``, with a new TST-22."""
    from loop_fixtures import LOOP_RULESET

    text = LOOP_RULESET.replace('version: "1"', f'version: "{version}"')
    rules = text.split("\n  - id: ")
    head, bodies = rules[0], [b for b in rules[1:] if not (drop and b.startswith(drop + "\n"))]
    new_rule = rules[1].replace("TST-21\n", "TST-22\n", 1).replace("{zh: 班额", "{zh: 班额二")
    path = tmp_path / f"loop-test-{version}.yaml"
    path.write_text("\n  - id: ".join([head, *bodies, new_rule]), encoding="utf-8")
    return path


def test_a_baseline_of_another_ruleset_or_version_is_refused(two_rounds, tmp_path, capsys):
    _, second, baseline, _ = two_rounds
    other = _ruleset_v2(tmp_path, drop="TST-21")
    code = main([str(second), "--ruleset", str(other), "--baseline", str(baseline)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(
        f"error: {baseline}: the baseline was checked with ruleset loop-test "
        "version 1, this run with loop-test version 2"
    )
    assert "--baseline-allow-ruleset-change" in err and "Traceback" not in err
    # another ruleset id altogether: the county's own ruleset
    code = main([str(second), "--ruleset", "helan-2024", "--baseline", str(baseline)])
    assert code == 2
    assert "this run with helan-2024 version 2024.1" in capsys.readouterr().err
    # the follow-up commands refuse it the same way, before writing anything
    out = tmp_path / "notices"
    assert (
        main(
            [
                "notices",
                str(second),
                "--ruleset",
                str(other),
                "--baseline",
                str(baseline),
                "--output-dir",
                str(out),
            ]
        )
        == 2
    )
    assert "the baseline was checked with ruleset loop-test version 1" in capsys.readouterr().err
    assert not out.exists()


def test_allowed_ruleset_change_never_counts_an_unchecked_rule_as_fixed(two_rounds, tmp_path, capsys):
    _, second, baseline, before = two_rounds
    assert ("TST-21", "2164000303/primary") in _by_key(before)  # failing in round 1
    other = _ruleset_v2(tmp_path, drop="TST-21")
    code = main(
        [
            str(second),
            "--ruleset",
            str(other),
            "--baseline",
            str(baseline),
            "--baseline-allow-ruleset-change",
            "--format",
            "json",
        ]
    )
    assert code == 1
    out, err = capsys.readouterr()
    after = json.loads(out)
    block = after["baseline"]
    assert block["ruleset"] == {"id": "loop-test", "version": "1", "title": "闭环测试规则集"}
    assert block["rules_removed"] == ["TST-21"] and block["rules_added"] == ["TST-22"]
    # TST-21 did not run: its failure of round 1 is not checked, not fixed
    assert block["fixed"] == 0 and block["fixed_findings"] == []
    assert block["not_checked"] == 1
    assert [(x["rule_id"], x["subject"]["id"]) for x in block["not_checked_findings"]] == [
        ("TST-21", "2164000303/primary")
    ]
    # the rule that ran in both rounds is compared as usual
    assert _by_key(after)[("TST-05", "2164000232/primary")]["baseline"] == "persisting"
    assert block["persisting"] == 1
    # TST-22 did not exist in round 1: its failures are new
    assert _by_key(after)[("TST-22", "2164000409/primary")]["baseline"] == "new"
    assert "warning: baseline" in err and "rules not run this time: TST-21" in err
    assert "1 of its problems were not checked (未检查)" in err


def test_same_ruleset_has_empty_rule_changes(two_rounds, capsys):
    ruleset, second, baseline, _ = two_rounds
    main([str(second), "--ruleset", str(ruleset), "--baseline", str(baseline), "--format", "json"])
    out, err = capsys.readouterr()
    block = json.loads(out)["baseline"]
    assert (block["rules_added"], block["rules_removed"], block["not_checked"]) == ([], [], 0)
    assert "warning" not in err


def test_a_baseline_of_another_county_is_refused_unless_the_flag(two_rounds, tmp_path, capsys):
    ruleset, second, _, before = two_rounds
    before["submission"]["county_code"] = "640121"
    other = tmp_path / "yongning.json"
    other.write_text(json.dumps(before, ensure_ascii=False), encoding="utf-8")
    code = main([str(second), "--ruleset", str(ruleset), "--baseline", str(other)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"error: {other}: the baseline is a report on county 640121, this run is on county 640122"
    )
    assert "--baseline-allow-ruleset-change" in err
    # with the flag the diff is made, and says it compares two counties
    out = tmp_path / "report.json"
    code = main(
        [
            str(second),
            "--ruleset",
            str(ruleset),
            "--baseline",
            str(other),
            "--baseline-allow-ruleset-change",
            "--format",
            "json",
            "-o",
            str(out),
        ]
    )
    assert code in (0, 1)
    err = capsys.readouterr().err
    assert "it is a report on county 640121, this run is on county 640122" in err
    assert json.loads(out.read_text(encoding="utf-8"))["baseline"]["county_code"] == "640121"


def test_the_flag_needs_a_baseline(tmp_path, capsys):
    ruleset = write_ruleset(tmp_path)
    code = main(
        [str(copy_example(tmp_path / "s")), "--ruleset", str(ruleset), "--baseline-allow-ruleset-change"]
    )
    assert code == 2
    assert "--baseline-allow-ruleset-change needs --baseline" in capsys.readouterr().err


def test_a_baseline_without_its_ruleset_is_refused(tmp_path):
    doc = make_report([finding("BAL-21", "640122")]).to_json_dict()
    del doc["ruleset"]
    with pytest.raises(BaselineError, match="no 'ruleset' with its id"):
        baseline_from_dict(doc)


def test_library_a_rule_that_did_not_run_is_not_checked_even_in_the_same_ruleset():
    school = Subject(type="school", id="2164000303/primary", name="贺兰县第三小学")
    before = make_report(
        [
            finding("BAL-21", school, "fail", observed=52, op="<=", value=45),
            finding("BAL-23", school, "fail", observed=0, value=1),
        ]
    )
    # BAL-23 was left out of this run (not selected, its table missing): no entry in rules
    now = make_report([finding("BAL-21", school, "pass", observed=44, op="<=", value=45)])
    diff = apply_baseline(now, baseline_from_dict(before.to_json_dict())).baseline
    assert [x.rule_id for x in diff.fixed_findings] == ["BAL-21"]
    assert [x.rule_id for x in diff.not_checked_findings] == ["BAL-23"]
    assert diff.rules_removed == ["BAL-23"] and diff.rules_added == []


def test_library_a_schema_1_baseline_says_nothing_of_rules_added():
    before = make_report([finding("BAL-21", "640122")]).to_json_dict()
    before["schema_version"] = "1"
    del before["rules"]
    now = make_report([finding("BAL-21", "640122"), finding("BAL-22", "640122")])
    diff = apply_baseline(now, baseline_from_dict(before)).baseline
    assert diff.rules_added is None and diff.rules_removed == []
    assert diff.persisting == 1 and diff.new == 1
