"""The shipped ruleset JSON Schema: generated from the models, current, and
accepting every shipped ruleset while rejecting typical mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supervise_rules.cli import main
from supervise_rules.schemas import RULESET_SCHEMA, render, ruleset_schema

jsonschema = pytest.importorskip("jsonschema")
yaml_safe = pytest.importorskip("ruamel.yaml").YAML(typ="safe")

ROOT = Path(__file__).resolve().parents[1]
RULESET_FILES = sorted(ROOT.glob("rulesets/**/*.yaml")) + sorted(ROOT.glob("plugins/*/src/*/rulesets/*.yaml"))


def test_shipped_schema_is_current():
    expected = render(ruleset_schema())
    actual = RULESET_SCHEMA.read_text(encoding="utf-8") if RULESET_SCHEMA.is_file() else ""
    assert actual == expected, (
        f"{RULESET_SCHEMA} is stale: run `python -m supervise_rules.schemas` and commit it"
    )


def test_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(RULESET_SCHEMA.read_text("utf-8")))


def _validator():
    return jsonschema.Draft202012Validator(ruleset_schema())


def _load(path: Path):
    return json.loads(json.dumps(yaml_safe.load(path.read_text(encoding="utf-8")), default=str))


@pytest.mark.parametrize("path", RULESET_FILES, ids=lambda p: p.name)
def test_shipped_rulesets_validate_and_carry_the_modeline(path):
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema="), f"{path}: no modeline"
    target = (path.parent / first.split("$schema=", 1)[1]).resolve()
    assert target == RULESET_SCHEMA.resolve(), f"{path}: modeline points at {target}"
    errors = list(_validator().iter_errors(_load(path)))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_schema_rejects_typos_and_bad_params():
    good = {
        "id": "x",
        "version": "1",
        "title": {"zh": "x", "en": "x"},
        "rules": [
            {
                "id": "X-01",
                "title": {"zh": "x", "en": "x"},
                "severity": "major",
                "source": "s",
                "certainty": "V",
                "validator": "metric",
                "params": {"table": "schools", "value": "students", "op": "<=", "threshold": 1},
                "message": {"zh": "x", "en": "x"},
                "docs": {"checks": "c", "why": "w", "example": "e"},
            }
        ],
    }
    v = _validator()
    assert not list(v.iter_errors(good))
    typo = json.loads(json.dumps(good))
    typo["rules"][0]["severty"] = "major"
    assert list(v.iter_errors(typo))
    bad_param = json.loads(json.dumps(good))
    bad_param["rules"][0]["params"]["treshold"] = 1
    assert any("treshold" in e.message for e in v.iter_errors(bad_param))
    bad_severity = json.loads(json.dumps(good))
    bad_severity["rules"][0]["severity"] = "huge"
    assert list(v.iter_errors(bad_severity))


def test_cli_schema_ruleset(capsys):
    assert main(["schema", "ruleset"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["$id"].endswith("ruleset.schema.json")
    assert "metric" in printed["$defs"]["Rule"]["properties"]["validator"]["examples"]


def test_cli_schema_includes_plugin_validators(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "plugins/supervise-rules-double-reduction/src"))
    assert main(["schema", "ruleset", "--plugin", "supervise_rules_double_reduction"]) == 0
    printed = json.loads(capsys.readouterr().out)
    params = printed["$defs"]["params_homework_minutes"]
    assert set(params["properties"]) == {"grades", "max_minutes"}


def test_cli_schema_unknown_name_is_usage_error(capsys):
    assert main(["schema", "report"]) == 2
