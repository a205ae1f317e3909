"""YAML rule cases (tests/cases/*.yaml) run through supervise_rules.testing,
plus the plugin's contributions and its example submission."""

from __future__ import annotations

from pathlib import Path

import pytest

import supervise_rules as sr
from supervise_rules.testing import case_params

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "examples" / "xingqing-2024"


@pytest.mark.parametrize("case", case_params(HERE / "cases"))
def test_rule_case(case, rule_case):
    rule_case(case)


def test_contributions(supervise_host):
    info = next(p for p in supervise_host.plugins if "double" in p.name)
    assert info.contributes == {
        "validators": ["homework_minutes"],
        "rulesets": ["double-reduction-2021"],
        "tables": ["homework_surveys"],
    }
    assert supervise_host.load_errors == []
    ruleset = sr.load_ruleset("double-reduction-2021", host=supervise_host)
    assert [r.id for r in ruleset.rules] == ["DR-01", "DR-02", "DR-03"]
    assert {r.rule.work_point for r in ruleset.rules} == {"9"}


def test_example_submission_with_chinese_headers(supervise_host):
    report = sr.check(EXAMPLE, "double-reduction-2021", host=supervise_host)
    bad = sorted(
        (f.rule_id, f.subject.name, f.outcome.value) for f in report.findings if f.outcome.value != "pass"
    )
    assert bad == [
        ("DR-01", "二年级1班", "fail"),
        ("DR-02", "六年级1班", "fail"),
        ("DR-02", "六年级2班", "error"),
        ("DR-03", "初三1班", "fail"),
        ("READ-14", None, "fail"),  # info: the example folder's README.md is not read
    ]
    assert report.summary.by_outcome["pass"] == 7


def test_table_is_known_only_to_hosts_with_the_plugin(supervise_host_factory):
    rows = [{"学校标识码": "1", "班级名称": "一年级1班", "年级": 1, "日均书面作业时长(分钟)": 0}]
    document = {"manifest": {"county_code": "640104"}, "作业时长调查": rows}
    plain = sr.load_submission(document, host=supervise_host_factory(entry_points=False))
    assert plain.table("homework_surveys") is None
    assert any(f.rule_id == "READ-05" for f in plain.problems)
    host = supervise_host_factory(["supervise_rules_double_reduction"], entry_points=False)
    loaded = sr.load_submission(document, host=host)
    assert loaded.table("homework_surveys").frame["grade"].to_list() == [1]


def test_params_are_validated(tmp_path, supervise_host):
    ruleset = tmp_path / "bad.yaml"
    ruleset.write_text(
        "id: bad\nversion: '1'\ntitle: {zh: 坏, en: bad}\nextends: [double-reduction-2021]\n"
        "overrides:\n  DR-02:\n    params: {max_minutes: -5}\n",
        encoding="utf-8",
    )
    with pytest.raises(sr.RulesetError, match="max_minutes"):
        sr.load_ruleset(ruleset, host=supervise_host)


def test_the_report_names_the_plugin_it_used(supervise_host):
    """tool.plugins: which third-party plugin, and which of its contributions,
    a report's findings came from (a sealed report says what produced it)."""
    report = sr.check(EXAMPLE, "double-reduction-2021", host=supervise_host)
    (ref,) = report.tool.plugins
    assert ref.name == "supervise_rules_double_reduction"
    assert ref.used == {
        "rulesets": ["double-reduction-2021"],
        "tables": ["homework_surveys"],
        "validators": ["homework_minutes"],
    }
    assert report.to_json_dict()["tool"]["plugins"][0]["used"]["validators"] == ["homework_minutes"]
    plain = sr.check(
        Path(__file__).resolve().parents[3] / "examples" / "helan-2024", "helan-2024", host=supervise_host
    )
    assert plain.tool.plugins is None and "plugins" not in plain.to_json_dict()["tool"]


def test_notices_go_to_the_school_of_each_class(tmp_path, capsys):
    """A class's finding goes to its school's 督办单 (the table's unit column),
    the class named in the 对象 column (its name column) — from the submission
    and from a JSON report of it alike."""
    from supervise_rules.cli import main

    plugin = ["--plugin", "supervise_rules_double_reduction"]
    report = tmp_path / "report.json"
    assert main([str(EXAMPLE), *plugin, "--format", "json", "--output", str(report)]) == 1
    for source in (EXAMPLE, report):
        out = tmp_path / f"notices-{source.suffix or 'folder'}"
        assert main(["notices", str(source), *plugin, "--output-dir", str(out), "--format", "markdown"]) == 0
        assert sorted(p.name for p in out.glob("2*.md")) == [
            "2164010001.md",
            "2164010002.md",
            "2164010003.md",
        ]
        first = (out / "2164010001.md").read_text(encoding="utf-8")
        assert "| 受文单位 | 2164010001（学校代码 2164010001） |" in first  # not a class
        assert "（DR-01） | 二年级1班 | 15 分钟 | ≤ 0 分钟 |" in first and "（DR-02） | 六年级1班 |" in first
        assert "初三1班" in (out / "2164010002.md").read_text(encoding="utf-8")
