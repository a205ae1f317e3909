"""A plugin table's contract is checked when the plugin loads (issue 13): its
subject type, and the subject, name and unit columns it declares; the error
names the plugin and the others still load. A declared name column names the
subjects of every rule on the table, built-in validators included."""

from __future__ import annotations

import textwrap
import types

import pytest
from pydantic import BaseModel, ConfigDict

import supervise_rules as sr
from supervise_rules.cli import main


class SurveyRow(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    school_id: str = sr.col("学校标识码", "str", key=True)
    class_name: str = sr.col("班级名称", "str", key=True)
    minutes: float = sr.col("作业时长", "float", min=0)


def _plugin(name: str, **spec_args) -> types.ModuleType:
    module = types.ModuleType(name)

    def register_tables():
        return [sr.table_spec("surveys", "调查", SurveyRow, **spec_args)]

    module.register_tables = sr.hookimpl(register_tables)
    return module


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            {"subject_type": "class"},
            "subject_type 'class' is not one of county, school, kindergarten, inspector, case, submission",
        ),
        (
            {"subject_type": "school", "name_column": "class_title"},
            "name_column 'class_title' is not a column of the table (columns: school_id, class_name, "
            "minutes)",
        ),
        ({"subject_type": "school", "unit_column": "school"}, "unit_column 'school' is not a column"),
        (
            {"subject_type": "school", "subject_columns": ["school_id", "grade"]},
            "subject column 'grade' is not a column",
        ),
    ],
)
def test_a_bad_table_spec_is_a_load_error_naming_the_plugin(args, said):
    host = sr.get_plugin_host([_plugin("bad_survey", **args)], entry_points=False)
    (error,) = host.load_errors
    assert error.name == "bad_survey"
    assert "register_tables() raised ValueError: table 'surveys': " in error.reason
    assert said in error.reason
    assert "surveys" not in host.tables and "schools" in host.tables  # the rest loaded


def test_plugins_lists_the_error_and_exits_1(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "bad_survey", _plugin("bad_survey", subject_type="class"))
    code = main(["plugins", "--plugin", "bad_survey"])
    out = capsys.readouterr()
    assert "bad_survey" in out.out + out.err and "subject_type 'class'" in out.out + out.err
    assert code == 1  # a plugin that failed to load is a failure, also for a script


def test_the_name_column_names_subjects_of_builtin_rules(tmp_path):
    host = sr.get_plugin_host(
        [_plugin("survey", subject_type="school", name_column="class_name", unit_column="school_id")],
        entry_points=False,
    )
    ruleset = tmp_path / "surveys.yaml"
    ruleset.write_text(
        textwrap.dedent("""\
        id: surveys
        version: '1'
        title: {zh: 调查, en: Surveys}
        rules:
          - id: SV-01
            title: {zh: 作业时长, en: Homework time}
            severity: major
            source: test
            certainty: V
            validator: metric
            params: {table: surveys, value: minutes, op: "<=", threshold: 60}
            message: {zh: "{subject_name} {observed} 分钟，{verdict}", en: "{subject_name}: {observed}"}
            docs: {checks: c, why: w, example: e}
        """),
        encoding="utf-8",
    )
    data = {
        "manifest": {"county_code": "640122", "year": 2024, "as_of": "2024-09-30"},
        "调查": [{"学校标识码": "2164000001", "班级名称": "三年级2班", "作业时长": "75"}],
    }
    report = sr.check(data, sr.load_ruleset(ruleset, host=host), host=host)
    (finding,) = [f for f in report.findings if f.rule_id == "SV-01"]
    assert (finding.subject.type, finding.subject.id, finding.subject.name) == (
        "school",
        "2164000001/三年级2班",
        "三年级2班",
    )
    assert finding.message.zh.startswith("三年级2班 75")
