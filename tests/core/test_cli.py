"""End-to-end through the ``supervise-check`` CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from supervise_rules.cli import main


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_preschool_example_json_field_by_field(capsys, examples):
    """Report contract v2 on the example, key by key: failures listed, passes counted."""
    code, out, _ = run(capsys, examples / "helan-2024-preschool", "--format", "json")
    assert code == 0  # PRE-11 fails, but it is info and --fail-on defaults to major
    report = json.loads(out)
    assert list(report) == ["schema_version", "tool", "ruleset", "submission", "summary", "rules", "findings"]
    assert report["schema_version"] == "2"
    assert report["tool"]["name"] == "supervise-rules"
    assert report["ruleset"] == {
        "id": "helan-2024",
        "version": "2024.1",
        "title": "贺兰县 2024 年教育督导工作要点",
    }
    sub = report["submission"]
    assert (sub["county_code"], sub["county_name"], sub["year"], sub["as_of"]) == (
        "640122",
        "贺兰县",
        2024,
        "2024-09-30",
    )
    # everything that is not a pass is listed: PRE-11 fails, the rules on tables
    # this example lacks are not applicable, and the folder's README.md is listed
    # as a file not read (READ-14, info)
    listed = {f["rule_id"]: f["outcome"] for f in report["findings"]}
    assert listed["PRE-11"] == "fail" and listed["READ-14"] == "fail"
    assert set(listed.values()) == {"fail", "not_applicable"} and "PRE-02" not in listed
    by_outcome = report["summary"]["by_outcome"]
    assert by_outcome["fail"] == 2 and by_outcome["pass"] > 0
    assert len(report["findings"]) == by_outcome["fail"] + by_outcome["not_applicable"]
    assert sum(by_outcome.values()) == sum(sum(r["by_outcome"].values()) for r in report["rules"])
    rules = {r["rule_id"]: r for r in report["rules"]}
    assert list(rules) == sorted(rules)
    pre02 = rules["PRE-02"]
    assert list(pre02) == [
        "rule_id",
        "title",
        "work_point",
        "severity",
        "certainty",
        "source",
        "unit",
        "subjects",
        "by_outcome",
        "observed",
    ]
    assert pre02["unit"] == "ratio"
    assert pre02["title"] == {"zh": "普惠性幼儿园覆盖率", "en": "Inclusive kindergarten coverage"}
    assert (pre02["work_point"], pre02["severity"], pre02["certainty"]) == ("7", "major", "V")
    assert pre02["source"].startswith("《")
    assert pre02["subjects"] == 1
    assert pre02["by_outcome"] == {"pass": 1, "fail": 0, "not_applicable": 0, "error": 0}
    assert round(pre02["observed"]["min"], 4) == round(pre02["observed"]["max"], 4) == 0.8299

    code, out, _ = run(capsys, examples / "helan-2024-preschool", "--format", "json", "--include-passes")
    full = json.loads(out)
    assert full["summary"] == report["summary"] and full["rules"] == report["rules"]
    findings = {f["rule_id"]: f for f in full["findings"]}
    expected = {
        "PRE-01": ("pass", 0.9801),
        "PRE-02": ("pass", 0.8299),
        "PRE-03": ("pass", 0.6733),
        "PRE-10": ("pass", 0.9801),
        "PRE-11": ("fail", 0.8299),
    }
    for rule_id, (outcome, observed) in expected.items():
        f = findings[rule_id]
        assert f["outcome"] == outcome, rule_id
        assert round(f["observed"], 4) == observed, rule_id
        assert f["subject"] == {"type": "county", "id": "640122", "name": "贺兰县"}
        assert f["unit"] == "ratio"
        assert f["work_point"] == "7"
        assert f["source"].startswith("《")
        assert list(f) == [
            "rule_id",
            "title",
            "work_point",
            "severity",
            "certainty",
            "outcome",
            "subject",
            "observed",
            "required",
            "unit",
            "message",
            "evidence",
            "source",
        ]
    pre02 = findings["PRE-02"]
    assert pre02["required"] == {"op": ">=", "value": 0.8}
    assert (pre02["severity"], pre02["certainty"]) == ("major", "V")
    assert pre02["title"] == {"zh": "普惠性幼儿园覆盖率", "en": "Inclusive kindergarten coverage"}
    # a whole-table aggregate: the file it was read from, no rows or cells
    assert pre02["evidence"] == [
        {
            "table": "kindergartens",
            "rows": None,
            "columns": ["ownership", "inclusive", "children"],
            "file": "kindergartens.csv",
            "headers": ["ownership", "inclusive", "children"],
        }
    ]
    assert "82.99%" in pre02["message"]["zh"] and "82.99%" in pre02["message"]["en"]
    assert findings["PRE-11"]["severity"] == "info"
    assert len(full["findings"]) == sum(full["summary"]["by_outcome"].values())


def test_fail_on_controls_the_exit_code(capsys, examples):
    assert run(capsys, examples / "helan-2024-preschool", "--fail-on", "info")[0] == 1
    assert run(capsys, examples / "helan-2024-preschool", "--fail-on", "never")[0] == 0


def test_table_view_hides_passes_unless_asked(capsys, examples):
    _, out, _ = run(capsys, examples / "helan-2024-preschool", "--ruleset", "national/preschool-2020")
    # the per-rule overview names every rule; the passes' findings are not listed
    assert "PRE-11" in out and "普惠性幼儿园覆盖率 82.99%，达标" not in out
    assert "不通过 2" in out  # PRE-11 and READ-14 (the folder's README.md, not read)
    _, out, _ = run(
        capsys,
        examples / "helan-2024-preschool",
        "--ruleset",
        "national/preschool-2020",
        "--show-passes",
        "--lang",
        "en",
    )
    assert "PRE-02" in out and "Inclusive coverage 82.99%" in out


def test_output_file_is_written_atomically(capsys, examples, tmp_path):
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    code, out, _ = run(capsys, examples / "helan-2024-preschool", "--format", "json", "--output", target)
    assert code == 0 and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["schema_version"] == "2"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]  # no temp file left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "nonesuch"], "unknown format 'nonesuch'"),
        (["--ruleset", "no-such-ruleset"], "unknown ruleset 'no-such-ruleset'"),
        (["--plugin", "no_such_module_xyz"], "no_such_module_xyz"),
        (["--fail-on", "sometimes"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2_without_traceback(capsys, examples, args, message):
    code, _, err = run(capsys, examples / "helan-2024-preschool", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_unreadable_submission_exits_2(capsys, tmp_path):
    missing = tmp_path / "nothing-here"
    code, _, err = run(capsys, missing)
    assert code == 2
    assert "nothing-here" in err and "Traceback" not in err


def test_list_rules_and_explain(capsys):
    code, out, _ = run(capsys, "list-rules", "--format", "json")
    assert code == 0
    rules = {r["id"]: r for r in json.loads(out)}
    assert rules["PRE-02"]["severity"] == "major" and rules["PRE-02"]["validator"] == "aggregate"
    code, out, _ = run(capsys, "explain", "PRE-11", "--lang", "en")
    assert code == 0
    for text in (
        "PRE-11",
        "2025 target",
        "Certainty:   S",
        "0.85",
        "十四五",
        "Why",
        "Example",
        "Threshold:   ≥ 85%",
    ):
        assert text in out
    code, out, _ = run(capsys, "explain", "PRE-11", "--lang", "zh")
    assert code == 0
    for text in (
        "普惠性幼儿园覆盖率",
        "可信度：   S — 多个二手来源一致",
        "标准：     ≥ 85%",
        "为什么",
        "示例",
    ):
        assert text in out
    assert "Certainty" not in out and "Why" not in out
    code, _, err = run(capsys, "explain", "NOPE-99")
    assert code == 2 and "NOPE-99" in err


def test_python_dash_m_runs_the_cli(examples):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "supervise_rules",
            str(examples / "helan-2024-preschool"),
            "--format",
            "json",
            "--ruleset",
            "national/preschool-2020",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ruleset"]["id"] == "national/preschool-2020"


def test_input_files_are_not_modified(capsys, examples):
    folder = examples / "helan-2024-preschool"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    run(capsys, folder, "--format", "json")
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    assert before == after


# -- explain finds a rule in any installed ruleset, plugins exits 1 on a failure (issue 13) ----


def test_explain_finds_a_rule_in_another_installed_ruleset(capsys, tmp_path, monkeypatch):
    import sys
    import types

    import supervise_rules as sr

    ruleset = tmp_path / "px.yaml"
    ruleset.write_text(
        "id: px-2024\nversion: '1'\ntitle: {zh: 省, en: P}\nrules:\n"
        "  - id: PX-01\n    title: {zh: 幼儿园数, en: Kindergartens}\n    severity: minor\n"
        "    source: test\n    certainty: V\n    validator: aggregate\n"
        '    params: {numerator: {table: kindergartens, expr: sum(children)}, op: ">=", threshold: 1}\n'
        '    message: {zh: "{observed}", en: "{observed}"}\n'
        "    docs: {checks: c, why: w, example: e}\n",
        encoding="utf-8",
    )
    module = types.ModuleType("px_rules")
    module.register_rulesets = sr.hookimpl(lambda: [sr.RulesetSource(id="px-2024", path=ruleset)])
    monkeypatch.setitem(sys.modules, "px_rules", module)
    assert main(["explain", "PX-01", "--plugin", "px_rules", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "PX-01" in out and "Ruleset:" in out and "px-2024" in out
    assert main(["explain", "BAL-05", "--lang", "en"]) == 0  # the county set first
    assert "helan-2024" in capsys.readouterr().out
    assert main(["explain", "PX-02", "--plugin", "px_rules", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "no rule 'PX-02' in any installed ruleset" in err and "PX-01" in err


def test_plugins_exits_1_when_a_plugin_failed_to_load(capsys, monkeypatch):
    import sys
    import types

    import supervise_rules as sr

    def broken():
        raise RuntimeError("boom")

    module = types.ModuleType("broken_px")
    module.register_validators = sr.hookimpl(broken)
    monkeypatch.setitem(sys.modules, "broken_px", module)
    assert main(["plugins", "--plugin", "broken_px"]) == 1
    assert "broken_px" in capsys.readouterr().out
    assert main(["plugins", "--format", "json", "--plugin", "broken_px"]) == 1
    capsys.readouterr()
    assert main(["plugins"]) == 0
