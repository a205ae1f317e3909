"""Validator contract v2: batched collection, isolation, and parity with API 1.

The API-1 path here is an independent, scalar re-implementation of how findings
were made before result frames became the contract: each result row becomes a
``Finding`` through ``RuleContext.finding`` (Python ``format`` per message). The
v2 path renders messages column-wise in the store. Both must give the same
findings for every rule's YAML cases.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import narwhals as nw
import polars as pl
import pytest

import supervise_rules as sr
from supervise_rules.engine import _lazy
from supervise_rules.messages import OP_TEXT, VERDICT, render_message
from supervise_rules.models import Evidence, LocalizedText, Outcome, Required, Subject
from supervise_rules.tables import TABLES
from supervise_rules.testing.cases import case_params, run_case
from supervise_rules.validators import _clean_number

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "rules" / "cases"
MANIFEST = {"county_code": "640122", "county_name": "贺兰县", "year": 2024, "as_of": "2024-09-30"}


def plugin(name: str, validators: list[type[sr.Validator]]):
    import types

    module = types.ModuleType(name)

    def register_validators():
        return validators

    module.register_validators = sr.hookimpl(register_validators)
    return module


def validator(name: str, check) -> type[sr.Validator]:
    class _V(sr.Validator):
        """A test validator."""

        summary = "test"

        def check(self, ctx):
            return check(ctx)

    _V.name = name
    return _V


def write_ruleset(path: Path, rules: list[tuple[str, str, dict]]) -> Path:
    import json

    lines = ["id: t", "version: '1'", "title: {zh: 测试, en: test}", "rules:"]
    for rule_id, validator_name, params in rules:
        lines += [
            f"  - id: {rule_id}",
            "    title: {zh: 规则, en: rule}",
            "    severity: major",
            "    source: test",
            "    certainty: V",
            f"    validator: {validator_name}",
            f"    params: {json.dumps(params)}",
            "    message: {zh: '{subject_name} {observed} {verdict}',",
            "              en: '{subject_name} {observed} {verdict}'}",
            "    docs: {checks: x, why: y, example: z}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SCHOOLS = [
    {"school_id": str(2164000000 + i), "level": "primary", "school_name": f"学校{i}", "students": 100 + i}
    for i in range(5)
]


def _frame_of(ctx, expr: nw.Expr) -> sr.RuleResult:
    lf = ctx.frame("schools")
    return sr.RuleResult(
        frame=lf.select(subject_id=ctx.subject_id_expr("schools"), observed=expr, outcome=nw.lit("pass")),
        table="schools",
    )


def test_a_frame_that_fails_at_collect_time_is_one_error_and_the_batch_goes_on(tmp_path):
    # the cast is strict: it raises only when polars runs the batched plan
    bad = validator("bad_cast", lambda ctx: _frame_of(ctx, nw.col("school_name").cast(nw.Int64)))
    good = validator("good", lambda ctx: _frame_of(ctx, nw.col("students")))
    host = sr.get_plugin_host([plugin("flaky_plugin", [bad, good])], entry_points=False)
    ruleset = write_ruleset(
        tmp_path / "r.yaml",
        [
            ("T-01", "good", {}),
            ("T-02", "bad_cast", {}),
            ("T-03", "good", {}),
            ("T-04", "metric", {"table": "schools", "value": "students", "op": ">=", "threshold": 103}),
        ],
    )
    report = sr.check({"manifest": MANIFEST, "schools": SCHOOLS}, ruleset, host=host)
    by_rule: dict[str, list] = {}
    for f in report.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    (error,) = by_rule["T-02"]
    assert error.outcome is Outcome.error and error.plugin == "flaky_plugin"
    assert "T-02" in error.message.en and "flaky_plugin" in error.message.en
    assert "bad_cast" in error.message.en
    for rule_id in ("T-01", "T-03"):
        assert [f.observed for f in by_rule[rule_id]] == [100, 101, 102, 103, 104]
    assert [f.outcome.value for f in by_rule["T-04"]] == ["fail"] * 3 + ["pass"] * 2
    assert report.summary.by_outcome["error"] == 1


@pytest.mark.parametrize(
    ("name", "make"),
    [
        (
            "no_outcome",
            lambda ctx: sr.RuleResult(
                frame=ctx.frame("schools").select(subject_id=nw.col("school_id")), table="schools"
            ),
        ),
        (
            "bad_outcome",
            lambda ctx: sr.RuleResult(
                frame=ctx.frame("schools").select(subject_id=nw.col("school_id"), outcome=nw.lit("maybe")),
                table="schools",
            ),
        ),
        (
            "bad_subject_type",
            lambda ctx: sr.RuleResult(
                frame=ctx.frame("schools").select(subject_id=nw.col("school_id"), outcome=nw.lit("pass")),
                table="schools",
                subject_type="planet",
            ),
        ),
        ("not_a_result", lambda ctx: ["a string is not a finding"]),
        ("raises", lambda ctx: 1 / 0),
    ],
)
def test_a_result_that_breaks_the_contract_is_an_error_naming_the_plugin(tmp_path, name, make):
    host = sr.get_plugin_host([plugin("odd_plugin", [validator(name, make)])], entry_points=False)
    ruleset = write_ruleset(
        tmp_path / "r.yaml",
        [
            ("T-01", name, {}),
            ("T-02", "metric", {"table": "schools", "value": "students", "op": ">=", "threshold": 1}),
        ],
    )
    report = sr.check({"manifest": MANIFEST, "schools": SCHOOLS}, ruleset, host=host)
    (error,) = [f for f in report.findings if f.rule_id == "T-01"]
    assert error.outcome is Outcome.error and error.plugin == "odd_plugin"
    assert "odd_plugin" in error.message.zh and "T-01" in error.message.zh
    assert [f.outcome.value for f in report.findings if f.rule_id == "T-02"] == ["pass"] * 5


def test_collect_all_runs_the_polars_frames_as_one_batch(monkeypatch):
    calls = []
    real = pl.collect_all

    def spy(frames, **kwargs):
        calls.append(len(frames))
        return real(frames, **kwargs)

    monkeypatch.setattr(pl, "collect_all", spy)
    sr.check(ROOT / "examples" / "helan-2024", "helan-2024")
    # the queries of several rules go to polars together, not one collect per rule
    from supervise_rules.engine import BATCH_QUERIES

    assert calls and max(calls) >= BATCH_QUERIES and len(calls) * 2 < sum(calls)


# --- API 1 vs API 2 ---------------------------------------------------------------------------


def _api1_findings(ctx: sr.RuleContext, results) -> list[sr.Finding]:
    """Findings the way an API-1 validator makes them: collect, then one
    ``ctx.finding`` per row with the rule's templates rendered in Python."""
    out = []
    frames = [r.frame for r in results]
    for r in results:
        for spec in r.evidence or ():
            if isinstance(spec.rows, sr.Rows):
                frames.append(spec.rows.frame)
    collected = {id(f): _lazy(f).collect() for f in frames}
    for r in results:
        df = collected[id(r.frame)]
        if isinstance(df, BaseException):
            raise df
        specs = (
            list(r.evidence)
            if r.evidence is not None
            else [
                sr.EvidenceSpec(
                    r.table,
                    list(r.columns),
                    "rows" if "rows" in df.columns else "row" if "row" in df.columns else None,
                )
            ]
        )
        long_rows = []
        for spec in specs:
            if isinstance(spec.rows, sr.Rows):
                long = collected[id(spec.rows.frame)]
                grouped: dict[tuple, list[int]] = {}
                for rec in long.iter_rows(named=True):
                    key = tuple(rec[k] for k in spec.rows.on)
                    grouped.setdefault(key, []).append(int(rec[spec.rows.row]))
                long_rows.append({k: sorted(set(v)) for k, v in grouped.items()})
            else:
                long_rows.append(None)
        spec_t = TABLES.get(r.table)
        stype_default = r.subject_type or (spec_t.subject_type if spec_t else "submission")
        for rec in df.iter_rows(named=True):
            stype = rec.get("subject_type") or stype_default
            if r.aggregate and stype == "county":
                subject = ctx.county_subject()
            else:
                subject = Subject(type=stype, id=str(rec["subject_id"]), name=rec.get("subject_name"))
            evidence = []
            for spec, grouped in zip(specs, long_rows, strict=True):
                if grouped is not None:
                    rows = grouped.get(tuple(rec[k] for k in spec.rows.on))
                elif isinstance(spec.rows, str) and rec.get(spec.rows) is not None:
                    value = rec[spec.rows]
                    rows = [int(v) for v in value] if isinstance(value, list) else [int(value)]
                else:
                    rows = None
                columns = list(spec.columns)
                if spec.lead is not None and rec.get(spec.lead) is not None:
                    columns = list(dict.fromkeys([rec[spec.lead], *columns]))
                evidence.append(Evidence(table=spec.table, rows=rows, columns=columns))
            evidence += [
                Evidence(table=e.table, rows=e.rows, columns=list(e.columns)) for e in r.extra_evidence
            ]
            op = rec.get("op") or r.op
            value = rec.get("required")
            if value is None:
                value = r.threshold
            required = Required(op=op, value=_clean_number(value)) if op else None
            message = None
            if rec.get("message_zh") is not None:
                message = LocalizedText(zh=rec["message_zh"], en=rec["message_en"])
            elif rec["outcome"] == "error" and rec.get("error_kind"):
                rows = evidence[0].rows if evidence else None
                message = ctx.data_error_message(
                    r.table,
                    ctx.table(r.table),
                    rows[0] if rows else None,
                    rec.get("error_column"),
                    rec["error_kind"],
                )
                if rows and len(rows) > 1:
                    shown = ", ".join(str(x) for x in rows[:10]) + ("…" if len(rows) > 10 else "")
                    message = LocalizedText(
                        zh=message.zh + f"（共 {len(rows)} 行：{shown}）",
                        en=message.en + f" ({len(rows)} rows: {shown})",
                    )
            elif r.messages is not None:
                base = {
                    "observed": rec.get("observed"),
                    "required": required.value if required else None,
                    "unit": r.unit or "",
                    "subject_id": subject.id,
                    "subject_name": subject.name or subject.id,
                    **{k: rec.get(k) for k in r.values},
                }
                zh_op, en_op = OP_TEXT.get(op or "", ("", ""))
                zh_v, en_v = VERDICT.get(rec["outcome"], ("", ""))
                message = LocalizedText(
                    zh=render_message(r.messages.zh, {**base, "verdict": zh_v, "op_text": zh_op}),
                    en=render_message(r.messages.en, {**base, "verdict": en_v, "op_text": en_op}),
                )
            out.append(
                ctx.finding(
                    outcome=Outcome(rec["outcome"]),
                    subject=subject,
                    message=message,
                    observed=rec.get("observed"),
                    required=required,
                    unit=r.unit,
                    evidence=evidence,
                    values={k: rec.get(k) for k in r.values},
                )
            )
    return out


def _as_api1(cls: type[sr.Validator]) -> type[sr.Validator]:
    class Api1(cls):  # type: ignore[misc, valid-type]
        def check(self, ctx):
            out = super().check(ctx)
            items = [out] if isinstance(out, sr.RuleResult) else list(out)
            findings = [i for i in items if isinstance(i, sr.Finding)]
            results = [i for i in items if isinstance(i, sr.RuleResult)]
            return findings + _api1_findings(ctx, results)

    Api1.name = cls.name
    Api1.__doc__ = cls.__doc__
    return Api1


#: where the clerk finds the row, which the engine adds to API-2 findings only
_WHERE_ZH = re.compile(r"（「[^（）]*」(?:表)?第 [0-9、]+ 条记录）$")
_WHERE_EN = re.compile(r" \('[^()]*', records? [0-9, ]+\)$")


def _key(f: sr.Finding) -> tuple:
    observed = round(f.observed, 9) if isinstance(f.observed, float) else f.observed
    zh, en = _WHERE_ZH.sub("", f.message.zh), _WHERE_EN.sub("", f.message.en)
    return (
        f.rule_id,
        f.subject.type,
        f.subject.id,
        f.subject.name,
        f.outcome.value,
        observed,
        f.required.op if f.required else None,
        f.unit,
        zh,
        en,
        tuple((e.table, tuple(e.rows) if e.rows is not None else None, tuple(e.columns)) for e in f.evidence),
    )


@pytest.fixture(scope="module")
def hosts():
    v2 = sr.get_plugin_host(entry_points=False)
    v1 = sr.get_plugin_host(entry_points=False)
    v1.validators = {name: _as_api1(cls) for name, cls in v2.validators.items()}
    return v1, v2


@pytest.mark.parametrize("case", case_params(CASES))
def test_api1_and_api2_give_the_same_findings(case, hosts):
    v1, v2 = hosts
    old = sorted((_key(f) for f in run_case(case, v1)), key=repr)
    new = sorted((_key(f) for f in run_case(case, v2)), key=repr)
    assert new == old
    for f in run_case(case, v2):
        if isinstance(f.observed, float):
            assert math.isfinite(f.observed)


# --- the report as a table -----------------------------------------------------------------


def test_report_frame_is_one_row_per_finding_and_passes_only_on_request():
    from supervise_rules.store import FRAME_COLUMNS

    report = sr.check(ROOT / "examples" / "helan-2024", "helan-2024")
    by_outcome = report.summary.by_outcome
    full = report.frame(include_passes=True)
    assert isinstance(full, pl.DataFrame) and full.columns == list(FRAME_COLUMNS)
    assert full.height == sum(by_outcome.values())
    counts = dict(full.group_by("outcome").len().iter_rows())
    assert counts == {k: v for k, v in by_outcome.items() if v}
    listed = report.frame(include_passes=False)
    assert listed.height == by_outcome["fail"] + by_outcome["error"] + by_outcome["not_applicable"]
    assert "pass" not in set(listed["outcome"])
    # the rows a county system joins on, and the same findings as the objects
    bal05 = full.filter((pl.col("rule_id") == "BAL-05") & (pl.col("outcome") == "fail"))
    (finding,) = [f for f in report.iter_findings() if f.rule_id == "BAL-05"]
    assert bal05["subject_id"].to_list() == [finding.subject.id]
    assert bal05["message_zh"].to_list() == [finding.message.zh]
    assert bal05["observed"].to_list() == [finding.observed]
    assert bal05["rows"].to_list() == [finding.evidence[0].rows]
    # one rule's findings alone
    only = report.frame(include_passes=True, rules=["BAL-05"])
    assert set(only["rule_id"]) == {"BAL-05"}
    assert only.height == sum(
        e.by_outcome[o] for e in report.rules if e.rule_id == "BAL-05" for o in e.by_outcome
    )


def test_passes_are_not_collected_until_they_are_listed():
    report = sr.check(ROOT / "examples" / "helan-2024", "helan-2024")
    listed_before = report.store.listed(False).height
    assert True not in report.store._listed  # only the listed findings were rendered
    everything = report.store.listed(True)
    assert everything.height == sum(report.summary.by_outcome.values()) > listed_before
