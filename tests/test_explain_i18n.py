"""Rule docs and validator summaries in the run's language (issue 13, item 3):
``explain`` and ``list-rules`` show the shipped rules' docs and the validators'
summaries in Chinese or English; a third-party ruleset's plain-string docs and
an older validator's plain-string summary are shown as written in both."""

from __future__ import annotations

import json
import sys
import textwrap
import types
from pathlib import Path

import pytest

import supervise_rules as sr
from supervise_rules.cli import main
from supervise_rules.rulesets import RulesetError


def _run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_explain_shows_the_docs_in_the_language_asked_for(capsys):
    zh = _run(capsys, "explain", "DRP-06", "--lang", "zh")
    assert "检查什么\n  状态为 `open` 的个案，其登记日期距 as_of 不得超过 N 天" in zh
    assert "为什么\n  工作要点第10条：及时组织学校和乡镇开展联合劝返工作" in zh
    assert "检查方式： overdue (截至统计日期，未办结事项不超过 N 天。)" in zh
    assert "（英文）" not in zh and "must not have been identified" not in zh
    assert "Open items no older than" not in zh

    en = _run(capsys, "explain", "DRP-06", "--lang", "en")
    assert "What it checks\n  A case with status `open` must not have been identified" in en
    assert "Validator:   overdue (Open items no older than N days at as_of.)" in en
    assert "不得超过 N 天" not in en and "截至统计日期" not in en

    both = _run(capsys, "explain", "DRP-06", "--lang", "both")
    assert "不得超过 N 天" in both and "must not have been identified" in both
    assert (
        "overdue (截至统计日期，未办结事项不超过 N 天。 / Open items no older than N days at as_of.)" in both
    )


def test_a_plugin_rule_is_explained_in_chinese_too(capsys, monkeypatch):
    src = Path(__file__).resolve().parents[1] / "plugins" / "supervise-rules-double-reduction" / "src"
    monkeypatch.syspath_prepend(str(src))
    zh = _run(capsys, "explain", "DR-02", "--lang", "zh", "--plugin", "supervise_rules_double_reduction")
    assert "三至六年级（3 到 6 年级）的每个班级" in zh
    assert "每个班级的日均书面作业时长不超过其年级的上限。" in zh  # the plugin validator's summary


def test_list_rules_json_gives_the_validator_summary_in_both_languages(capsys):
    rules = {r["id"]: r for r in json.loads(_run(capsys, "list-rules", "--format", "json"))}
    assert rules["BAL-11"]["validator_summary"] == {
        "zh": "按在校生数加权的指标差异系数（分组计算）。",
        "en": "Enrollment-weighted coefficient of variation of an indicator per group.",
    }


class _OldValidator(sr.Validator):
    """An older third-party validator: its summary is one English string.

    What it checks
        Nothing: every rule passes.

    Parameters
        None.

    Example
        Any table passes.
    """

    name = "old_style"
    summary = "An older validator's one English line."

    def check(self, ctx):  # pragma: no cover - never run here
        return []


THIRD_PARTY = """\
id: third-party
version: '1'
title: {zh: 第三方, en: Third party}
rules:
  - id: TP-01
    title: {zh: 旧式规则, en: Old-style rule}
    severity: minor
    source: test
    certainty: V
    validator: old_style
    message: {zh: "{observed}", en: "{observed}"}
    docs:
      checks: Only English, as third-party rulesets may be written.
      why: {zh: 中文说明, en: An English reason}
      example: e.g. nothing
"""


@pytest.fixture
def third_party(tmp_path, monkeypatch):
    module = types.ModuleType("old_style_plugin")
    module.register_validators = sr.hookimpl(lambda: [_OldValidator])
    monkeypatch.setitem(sys.modules, "old_style_plugin", module)
    path = tmp_path / "third-party.yaml"
    path.write_text(THIRD_PARTY, encoding="utf-8")
    return ["--ruleset", path, "--plugin", "old_style_plugin"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_plain_string_docs_and_summary_are_shown_in_every_language(capsys, third_party, lang):
    out = _run(capsys, "explain", "TP-01", "--lang", lang, *third_party)
    assert "Only English, as third-party rulesets may be written." in out
    assert "old_style (An older validator's one English line.)" in out
    assert ("中文说明" in out) == (lang == "zh") and ("An English reason" in out) == (lang == "en")


def test_a_docs_pair_without_its_english_is_refused_at_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        THIRD_PARTY.replace("why: {zh: 中文说明, en: An English reason}", "why: {zh: 只有中文}"),
        encoding="utf-8",
    )
    with pytest.raises(RulesetError) as info:
        sr.load_ruleset(path)
    text = str(info.value)
    assert f"{path}:14" in text and "docs.why" in text


def test_docs_text_api():
    docs = sr.load_ruleset("helan-2024").rule("PRE-03").rule.docs
    assert docs.text("why", "zh") == "公办园须承担至少一半的学前教育学位。\n"
    assert docs.text("why", "en") == "The public sector must carry at least half of preschool provision."
    assert docs.text("notes") is None and docs.bilingual()
    assert textwrap.dedent(docs.text("why", "both")).startswith(
        "公办园须承担至少一半的学前教育学位。\n\nThe public"
    )
