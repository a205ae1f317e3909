"""Ruleset loading: extends / overrides / disable, and every class of error as
``file:line: message`` (the CLI exits 2 on each)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from supervise_rules import RulesetError, get_plugin_host, load_ruleset
from supervise_rules.cli import main

RULE = """\
  - id: {id}
    title: {{zh: 测试, en: Test}}
    severity: major
    source: test
    certainty: V
    validator: aggregate
    params:
      numerator: {{table: kindergartens, expr: sum(children)}}
      op: ">="
      threshold: {threshold}
    message: {{zh: "{{observed}}", en: "{{observed}}"}}
    docs: {{checks: c, why: w, example: e}}
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def base(tmp_path: Path, *rules: tuple[str, float]) -> Path:
    body = "".join(RULE.format(id=i, threshold=t) for i, t in rules)
    return write(
        tmp_path / "base.yaml", f"id: base\nversion: '1'\ntitle: {{zh: 基, en: Base}}\nrules:\n{body}"
    )


@pytest.fixture(scope="module")
def host():
    return get_plugin_host(entry_points=False)


def problems(path: Path, host) -> list[str]:
    with pytest.raises(RulesetError) as info:
        load_ruleset(path, host=host)
    return info.value.lines()


def test_loads_a_valid_ruleset(tmp_path, host):
    rs = load_ruleset(base(tmp_path, ("T-01", 1), ("T-02", 2)), host=host)
    assert [r.id for r in rs.rules] == ["T-01", "T-02"]
    assert rs.rules[1].params.threshold == 2


def test_extends_overrides_disables_and_adds(tmp_path, host):
    base(tmp_path, ("T-01", 1), ("T-02", 2), ("T-03", 3))
    child = write(
        tmp_path / "child.yaml",
        textwrap.dedent("""\
        id: child
        version: '2'
        title: {zh: 子, en: Child}
        extends: [base.yaml]
        overrides:
          T-01:
            severity: minor
            params: {threshold: 10}
        disable:
          T-02: {reason: not applicable in this county}
        work_points:
          7: [T-03]
        rules:
        """)
        + RULE.format(id="T-09", threshold=9),
    )
    rs = load_ruleset(child, host=host)
    assert [r.id for r in rs.rules] == ["T-01", "T-03", "T-09"]
    t1 = rs.rule("T-01")
    assert t1.severity.value == "minor"
    assert t1.params.threshold == 10
    # the override merges into params: the parent's other params are kept
    assert t1.params.numerator.expr == "sum(children)"
    assert rs.disabled["T-02"].reason == "not applicable in this county"
    assert rs.rule("T-03").rule.work_point == "7"
    # the parent file itself is untouched by the child's changes
    assert load_ruleset(tmp_path / "base.yaml", host=host).rule("T-01").params.threshold == 1


def test_extends_by_registered_id(host):
    rs = load_ruleset("helan-2024", host=host)
    assert rs.rule("PRE-02") is not None


def test_yaml_syntax_error_has_line(tmp_path, host):
    path = write(tmp_path / "bad.yaml", "id: x\nversion: '1'\ntitle: {zh: a, en: b\nrules: []\n")
    (line,) = problems(path, host)
    assert line.startswith(f"{path}:4: YAML syntax error")


def test_unknown_key_has_line(tmp_path, host):
    path = base(tmp_path, ("T-01", 1))
    text = path.read_text().replace("    severity: major\n", "    severity: major\n    severty: x\n")
    path.write_text(text)
    (line,) = problems(path, host)
    assert line == f"{path}:8: rules.0.severty: unknown key 'severty'"


def test_wrong_type_has_line(tmp_path, host):
    path = base(tmp_path, ("T-01", 1))
    path.write_text(path.read_text().replace("severity: major", "severity: huge"))
    (line,) = problems(path, host)
    assert line.startswith(f"{path}:7: rules.0.severity: Input should be 'critical'")


def test_unknown_validator_has_line(tmp_path, host):
    path = base(tmp_path, ("T-01", 1))
    path.write_text(path.read_text().replace("validator: aggregate", "validator: nonesuch"))
    (line,) = problems(path, host)
    assert line.startswith(f"{path}:10: rule T-01: unknown validator 'nonesuch' (known: ")


def test_bad_parameter_for_validator_has_line(tmp_path, host):
    path = base(tmp_path, ("T-01", 1))
    path.write_text(path.read_text().replace('op: ">="', 'op: "=>"'))
    (line,) = problems(path, host)
    assert line.startswith(f"{path}:13: rule T-01: validator 'aggregate': params.op:")


def test_bad_expression_in_parameter_has_line(tmp_path, host):
    path = base(tmp_path, ("T-01", 1))
    path.write_text(path.read_text().replace("expr: sum(children)", "expr: sum(children.__class__)"))
    (line,) = problems(path, host)
    assert f"{path}:12: rule T-01: validator 'aggregate': params.numerator.expr" in line
    assert "unexpected character '.'" in line


def test_bad_override_parameter_points_at_the_override(tmp_path, host):
    base(tmp_path, ("T-01", 1))
    child = write(
        tmp_path / "child.yaml",
        """\
        id: child
        version: '1'
        title: {zh: 子, en: Child}
        extends: [base.yaml]
        overrides:
          T-01:
            params: {threshold: lots}
        """,
    )
    (line,) = problems(child, host)
    assert line.startswith(f"{child}:7: rule T-01: validator 'aggregate': params.threshold:")


def test_duplicate_rule_id_has_line(tmp_path, host):
    path = base(tmp_path, ("T-01", 1), ("T-01", 2))
    (line,) = problems(path, host)
    assert line.startswith(f"{path}:17: duplicate rule id T-01 (first defined at {path}:5)")


def test_child_redefining_a_parent_rule_is_an_error(tmp_path, host):
    base(tmp_path, ("T-01", 1))
    child = write(
        tmp_path / "child.yaml",
        "id: c\nversion: '1'\ntitle: {zh: 子, en: C}\nextends: [base.yaml]\nrules:\n"
        + RULE.format(id="T-01", threshold=5),
    )
    (line,) = problems(child, host)
    assert "duplicate rule id T-01" in line and "use 'overrides'" in line


def test_extends_cycle_has_line(tmp_path, host):
    write(tmp_path / "a.yaml", "id: a\nversion: '1'\ntitle: {zh: a, en: a}\nextends: [b.yaml]\n")
    write(tmp_path / "b.yaml", "id: b\nversion: '1'\ntitle: {zh: b, en: b}\n\nextends: [a.yaml]\n")
    (line,) = problems(tmp_path / "a.yaml", host)
    assert line.startswith(f"{tmp_path / 'b.yaml'}:5: extends cycle:")


def test_unknown_parent_override_and_disable(tmp_path, host):
    base(tmp_path, ("T-01", 1))
    child = write(
        tmp_path / "child.yaml",
        """\
        id: child
        version: '1'
        title: {zh: 子, en: Child}
        extends: [base.yaml]
        overrides:
          T-77: {severity: minor}
        disable:
          T-88: {reason: x}
        """,
    )
    lines = problems(child, host)
    assert lines == [
        f"{child}:6: override of unknown rule T-77",
        f"{child}:8: cannot disable unknown rule T-88",
    ]


def test_disable_needs_a_reason(tmp_path, host):
    base(tmp_path, ("T-01", 1))
    child = write(
        tmp_path / "child.yaml",
        """\
        id: child
        version: '1'
        title: {zh: 子, en: Child}
        extends: [base.yaml]
        disable:
          T-01: {}
        """,
    )
    (line,) = problems(child, host)
    assert line == f"{child}:6: disable.T-01.reason: missing required key 'reason'"


def test_unknown_ruleset_id(host):
    with pytest.raises(RulesetError, match="unknown ruleset 'no-such-set'"):
        load_ruleset("no-such-set", host=host)


def test_python_tags_are_refused(tmp_path, host):
    path = write(
        tmp_path / "evil.yaml",
        "id: !!python/object/apply:os.system ['echo pwned']\nversion: '1'\ntitle: {zh: a, en: b}\n",
    )
    (line,) = problems(path, host)
    assert "tag" in line and "not allowed" in line


def test_several_problems_are_reported_together(tmp_path, host):
    path = base(tmp_path, ("T-01", 1), ("T-02", 2))
    text = path.read_text().replace("validator: aggregate", "validator: nonesuch", 1)
    path.write_text(text.replace("severity: major", "severity: huge", 2))
    assert len(problems(path, host)) == 2


def test_cli_exits_2_with_file_and_line(tmp_path, capsys, examples):
    path = base(tmp_path, ("T-01", 1))
    path.write_text(path.read_text().replace("severity: major", "severity: huge"))
    code = main([str(examples / "helan-2024-preschool"), "--ruleset", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}:7:" in err.replace("\n", "")
    assert "Traceback" not in err


# -- message placeholders are checked when the ruleset loads (issue 13) -------------------


def test_a_misspelt_placeholder_is_refused_at_its_line(tmp_path, host):
    path = base(tmp_path, ("T-01", 1))
    path.write_text(path.read_text().replace('zh: "{observed}"', 'zh: "{observd} 与 {numerator}"'))
    (line,) = problems(path, host)
    assert line.startswith(
        f"{path}:15: rule T-01: message.zh: placeholder {{observd}} is not a "
        "value of validator 'aggregate' (its values: {denominator}, "
    )
    assert line.endswith("; did you mean {observed}?")


def test_a_placeholder_typo_in_an_override_names_the_override(tmp_path, host):
    base(tmp_path, ("T-01", 1))
    child = write(
        tmp_path / "child.yaml",
        """\
        id: child
        version: '1'
        title: {zh: 子, en: Child}
        extends: [base.yaml]
        overrides:
          T-01:
            message:
              zh: "{observed}"
              en: "{participatng} took part"
        """,
    )
    (line,) = problems(child, host)
    assert line.startswith(f"{child}:9: rule T-01: message.en: placeholder {{participatng}}")


def test_placeholders_follow_the_params(tmp_path, host):
    """matched_count's message may name the columns of its `value` expression;
    other names are refused. Through the CLI: exit 2 with file:line."""
    rule = textwrap.dedent("""\
        id: t
        version: '1'
        title: {zh: 测, en: T}
        rules:
          - id: T-01
            title: {zh: 测试, en: Test}
            severity: major
            source: test
            certainty: V
            validator: matched_count
            params:
              table: enrollment_checks
              value: enrolled - present
              date_column: check_date
              on: [school_id]
              other: dropout_cases
              other_date: identified_date
            message: {zh: "{enrolled} {present} {date} {within_days} {verdict}", en: "{%s}"}
            docs: {checks: c, why: w, example: e}
        """)
    ok = write(tmp_path / "ok.yaml", rule % "enrolled")
    assert load_ruleset(ok, host=host).rule("T-01") is not None
    bad = write(tmp_path / "bad.yaml", rule % "students")
    (line,) = problems(bad, host)
    assert line.startswith(f"{bad}:18: rule T-01: message.en: placeholder {{students}}")
    assert main(["examples/helan-2024", "--ruleset", str(bad)]) == 2


def test_every_builtin_validator_declares_its_message_values(host):
    """A built-in declares its placeholders, so its rules' messages are checked."""
    undeclared = [
        name
        for name, cls in host.validators.items()
        if host.plugin_of("validators", name).startswith("supervise_rules.") and cls.message_values is None
    ]
    assert undeclared == []
