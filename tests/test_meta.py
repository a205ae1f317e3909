"""Meta-tests (as datasette does): the plugin API and the validators document
and test themselves.

* every hookspec has a ``test_hook_<name>`` test and a section in docs/plugins.md,
  and its docstring says what it returns and whether the first result wins;
* docs/plugins.md is current with the docstrings it is generated from;
* every registered validator (built-in, or from the plugins in ``plugins/``)
  has YAML cases for some rule that uses it, a ``Params`` model whose every
  field has a description, and a docstring with the sections
  "What it checks", "Parameters" and "Example".
"""

from __future__ import annotations

import importlib.util
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

import supervise_rules
from supervise_rules import hookspecs, testing
from supervise_rules.models import LocalizedText
from supervise_rules.plugins import get_plugin_host, new_plugin_manager
from supervise_rules.rules import RulesetFile

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "plugins.md"
PLUGIN_DIRS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())
CASE_DIRS = [ROOT / "tests" / "rules" / "cases"] + [p / "tests" / "cases" for p in PLUGIN_DIRS]
RULESET_FILES = sorted(ROOT.glob("rulesets/**/*.yaml")) + sorted(
    f for p in PLUGIN_DIRS for f in p.glob("src/*/rulesets/**/*.yaml")
)
DOC_SECTIONS = ("What it checks", "Parameters", "Example")

HOOKS = sorted(name for name in dir(new_plugin_manager().hook) if not name.startswith("_"))


def _plugin_modules() -> list[str]:
    """The importable package of every plugin in plugins/ (src layout)."""
    modules = []
    for plugin in PLUGIN_DIRS:
        for pkg in sorted((plugin / "src").glob("*/__init__.py")):
            if str(pkg.parent.parent) not in sys.path:
                sys.path.insert(0, str(pkg.parent.parent))
            modules.append(pkg.parent.name)
    return modules


@cache
def _host():
    return get_plugin_host(_plugin_modules(), entry_points=False)


def _validators() -> list[str]:
    return sorted(_host().validators)


# --- hooks ------------------------------------------------------------------------------


def test_there_are_hooks():
    assert {
        "register_validators",
        "register_readers",
        "register_reporters",
        "register_rulesets",
        "register_tables",
    } <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_plugin_hooks_have_tests(hook):
    pattern = re.compile(rf"^def test_hook_{hook}\(", re.M)
    assert any(pattern.search(p.read_text(encoding="utf-8")) for p in (ROOT / "tests").rglob("test_*.py")), (
        f"hook {hook} has no test named test_hook_{hook}"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_plugin_hooks_are_documented(hook):
    assert re.search(rf"^### {hook}$", DOCS.read_text(encoding="utf-8"), re.M), (
        f"hook {hook} has no '### {hook}' section in {DOCS}"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hookspec_docstrings_state_return_and_first_result(hook):
    doc = getattr(hookspecs, hook).__doc__ or ""
    assert ":returns:" in doc, f"{hook}: docstring must say what it returns (:returns:)"
    assert ":result:" in doc and "first-result" in doc.replace("first result", "first-result"), (
        f"{hook}: docstring must say whether the first result wins (:result:)"
    )
    assert "Arguments:" in doc, f"{hook}: docstring must state its arguments"


def test_plugins_doc_is_current():
    spec = importlib.util.spec_from_file_location("gen_plugins_doc", ROOT / "docs" / "gen_plugins_doc.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    current = DOCS.read_text(encoding="utf-8")
    assert gen.render(current) == current, "docs/plugins.md is stale: run `python docs/gen_plugins_doc.py`"


# --- public API ---------------------------------------------------------------------------


@pytest.mark.parametrize("module", [supervise_rules, testing], ids=lambda m: m.__name__)
def test_public_api_is_explicit(module):
    # ruff's isort-style order (RUF022): constants, classes, functions
    kind = lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)  # noqa: E731
    assert module.__all__ == sorted(module.__all__, key=kind) or module.__all__ == sorted(module.__all__)
    for name in module.__all__:
        assert not name.startswith("_")
        assert hasattr(module, name), f"{module.__name__}.__all__ lists missing {name}"


def test_plugin_contract_objects_are_exported():
    needed = {
        "hookimpl",
        "Validator",
        "Params",
        "RuleContext",
        "RuleResult",
        "EvidenceSpec",
        "Rows",
        "ROW",
        "RESULT_COLUMNS",
        "Finding",
        "Reader",
        "RawTable",
        "Reporter",
        "RenderOptions",
        "RulesetSource",
        "TableSpec",
        "col",
        "table_spec",
        "API_VERSION",
        "PluginError",
    }
    assert needed <= set(supervise_rules.__all__)


# --- validators ----------------------------------------------------------------------------


@cache
def _rule_validators() -> dict[str, str]:
    """rule id -> validator name, read straight from every ruleset file (so one
    ruleset being edited elsewhere cannot hide the others)."""
    out: dict[str, str] = {}
    for path in RULESET_FILES:
        try:
            data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
        except YAMLError:
            continue  # reported by the ruleset tests
        for rule in data.get("rules") or []:
            if isinstance(rule, dict) and "id" in rule and "validator" in rule:
                out[str(rule["id"])] = str(rule["validator"])
    return out


@cache
def _validators_with_cases() -> set[str]:
    covered = set()
    for directory in CASE_DIRS:
        for path in sorted(directory.glob("*.yaml")):
            try:
                data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
            except YAMLError:
                continue
            if data.get("cases") and str(data.get("rule")) in _rule_validators():
                covered.add(_rule_validators()[str(data["rule"])])
    return covered


def test_there_are_validators():
    assert {"metric", "aggregate", "homework_minutes"} <= set(_validators())


@pytest.mark.parametrize("name", _validators())
def test_validator_has_yaml_cases(name):
    assert name in _validators_with_cases(), (
        f"validator {name!r}: no YAML case file in {', '.join(str(d.relative_to(ROOT)) for d in CASE_DIRS)} "
        "tests a rule that uses it"
    )


@pytest.mark.parametrize("name", _validators())
def test_validator_params_are_documented(name):
    params = _host().validators[name].Params
    undocumented = [f for f, info in params.model_fields.items() if not (info.description or "").strip()]
    assert not undocumented, (
        f"validator {name!r}: Params fields without a description: {undocumented} "
        "(use Field(description=...))"
    )


@pytest.mark.parametrize("name", _validators())
def test_validator_docstring_has_sections(name):
    cls = _host().validators[name]
    doc = cls.__dict__.get("__doc__") or ""
    missing = [s for s in DOC_SECTIONS if not re.search(rf"^\s*{s}\s*:?\s*$", doc, re.M)]
    assert not missing, f"validator {name!r} ({cls.__module__}): docstring lacks sections {missing}"
    summary = getattr(cls, "summary", "")
    assert isinstance(summary, LocalizedText), f"validator {name!r}: summary is not a LocalizedText(zh, en)"
    assert summary.en.strip(), f"validator {name!r}: no one-line English summary"
    assert _CJK.search(summary.zh), f"validator {name!r}: the summary's zh is not Chinese: {summary.zh!r}"


# --- zh + en: every shipped rule's docs and every validator's summary -------------------------

_CJK = re.compile(r"[\u4e00-\u9fff]")
_DOC_SECTIONS = ("checks", "why", "example", "notes")


def load_ruleset_file(path: Path) -> RulesetFile:
    return RulesetFile.model_validate(YAML(typ="safe").load(path.read_text(encoding="utf-8")))


def _shipped_rules() -> list[tuple[str, str, Any]]:
    """(file, rule id, docs) of every rule (and override with docs) in the shipped rulesets."""
    out = []
    for path in RULESET_FILES:
        data = load_ruleset_file(path)
        for rule in data.rules:
            out.append((path.name, rule.id, rule.docs))
        for rid, override in data.overrides.items():
            if override.docs is not None:
                out.append((path.name, rid, override.docs))
    return out


def test_there_are_shipped_rules():
    assert len(_shipped_rules()) >= 50


@pytest.mark.parametrize(
    ("file", "rule_id", "docs"), _shipped_rules(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_shipped_rule_documents_itself_in_zh_and_en(file, rule_id, docs):
    for section in _DOC_SECTIONS:
        text = getattr(docs, section)
        if text is None:
            continue
        where = f"{file} {rule_id} docs.{section}"
        assert isinstance(text, LocalizedText), f"{where}: a plain string, not {{zh: ..., en: ...}}"
        assert re.search(r"[A-Za-z]{2,}", text.en), f"{where}: en is not English"
        assert _CJK.search(text.zh), f"{where}: zh is not Chinese"
        assert text.zh.strip() != text.en.strip(), f"{where}: zh is a copy of en"
        # figures of the English (percentages, counts, dates) are kept in the Chinese
        figures = set(re.findall(r"\d+(?:[.,]\d+)*", text.en)) - set(re.findall(r"\d+(?:[.,]\d+)*", text.zh))
        assert not figures, f"{where}: figures of the English missing from the Chinese: {sorted(figures)}"
