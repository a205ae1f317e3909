"""docs/rules.md, the rule reference, is generated from the shipped rulesets and
current; it gives every rule's docs and its validator's summary in both languages."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import supervise_rules as sr

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "rules.md"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_rules_doc", ROOT / "docs" / "gen_rules_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_doc_is_current():
    assert DOC.read_text(encoding="utf-8") == _generator().render(), (
        "docs/rules.md is stale: run `python docs/gen_rules_doc.py` and commit it"
    )


def test_generator_check_mode_agrees():
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "gen_rules_doc.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_every_shipped_rule_is_there_in_both_languages():
    text = DOC.read_text(encoding="utf-8")
    ruleset = sr.load_ruleset("helan-2024")
    for r in ruleset.rules:
        assert f"### {r.id} {r.title.zh} · {r.title.en}\n" in text, r.id
        for section in ("checks", "why", "example"):
            for lang in ("zh", "en"):
                assert " ".join(r.rule.docs.text(section, lang).split()) in text, (r.id, section, lang)
    assert "`weighted_cv`: 按在校生数加权的指标差异系数（分组计算）。" in text
    assert "/work/" not in text and str(ROOT) not in text  # no machine paths
