"""``supervise-check schema submission``: the JSON Schema of a submission's JSON
form accepts the example submission and rejects typical mistakes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from supervise_rules.cli import main
from supervise_rules.schemas import SCHEMAS, submission_schema
from supervise_rules.tables import CORE_TABLES

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "helan-2024-json" / "helan-2024.json"
DR_SRC = ROOT / "plugins" / "supervise-rules-double-reduction" / "src"


@pytest.fixture(scope="module")
def printed():
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema", "submission"]) == 0
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def validator(printed):
    cls = jsonschema.Draft202012Validator
    return cls(printed, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture
def example():
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def _errors(validator, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_listed_among_the_schemas():
    assert "submission" in SCHEMAS


def test_is_a_draft_2020_12_schema(printed):
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(printed)
    assert set(CORE_TABLES) | {"manifest"} <= set(printed["properties"])


def test_fields_carry_the_chinese_header_unit_codes_and_date_format(printed):
    schools = printed["$defs"]["schools"]["properties"]
    assert schools["students"]["title"] == "在校生数"
    assert "在校生数（人）" in schools["students"]["description"]
    assert "persons" in schools["students"]["description"]
    assert schools["ownership"]["anyOf"][0]["enum"] == ["public", "private"]
    assert "public = 公办" in schools["ownership"]["description"]
    assert printed["$defs"]["manifest"]["properties"]["as_of"]["anyOf"][0]["format"] == "date"
    assert set(printed["$defs"]["schools"]["required"]) == {"school_id", "level"}


def test_the_example_submission_validates(validator, example):
    assert _errors(validator, example) == []


def test_numbers_as_text_and_blanks_validate(validator, example):
    school = example["schools"][0]
    school.update(students="1,862", teaching_aux_area_m2="10635.7", music_rooms=None)
    example["county"][0]["social_recognition_rate"] = "93.72%"
    example["kindergartens"][0]["inclusive"] = "是"
    assert _errors(validator, example) == []


@pytest.mark.parametrize(
    ("where", "change", "expected"),
    [
        ("schools", {"ownership": "state"}, "ownership"),
        ("schools", {"students": "三十"}, "students"),
        ("schools", {"studnets": 12}, "studnets"),
        ("schools", {"level": None}, "level"),
        ("dropout_cases", {"identified_date": "2024-02-30"}, "identified_date"),
        ("manifest", {"as_of": "30/09/2024"}, "as_of"),
        ("manifest", {"region_code": "640100"}, "manifest"),
    ],
)
def test_invalid_documents_fail(validator, example, where, change, expected):
    document = copy.deepcopy(example)
    target = document[where] if where == "manifest" else document[where][0]
    target.update(change)
    errors = _errors(validator, document)
    assert errors and any(expected in e for e in errors), errors


def test_unknown_table_and_missing_key_fail(validator, example):
    assert _errors(validator, {**example, "schoolz": []})
    del example["schools"][0]["school_id"]
    assert any("school_id" in e for e in _errors(validator, example))


def test_plugin_tables_are_included(monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(DR_SRC))
    assert main(["schema", "submission", "--plugin", "supervise_rules_double_reduction"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert "homework_surveys" in printed["properties"]
    minutes = printed["$defs"]["homework_surveys"]["properties"]["avg_written_homework_minutes"]
    assert minutes["description"].startswith("日均书面作业时长(分钟); ")
    assert submission_schema()["properties"].keys() == {"manifest", *CORE_TABLES}
