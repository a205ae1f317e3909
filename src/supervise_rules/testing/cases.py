"""Load and run YAML rule cases (see the package docstring for the format)."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML

from ..engine import check
from ..errors import SuperviseRulesError
from ..models import Finding
from ..report import Report
from ..rulesets import ResolvedRule, Ruleset, deep_merge, load_ruleset

if TYPE_CHECKING:
    from ..backends import Backend
    from ..plugins import PluginHost
    from ..report import Report

DEFAULT_RULESET = "helan-2024"
DEFAULT_MANIFEST = {"county_code": "640122", "county_name": "贺兰县", "year": 2024, "as_of": "2024-09-30"}
_EXPECT_KEYS = {
    "outcome",
    "subject",
    "subject_type",
    "observed",
    "tolerance",
    "required",
    "rows",
    "columns",
    "severity",
    "message_contains",
}


class CaseFailure(AssertionError):
    """A case whose findings differ from the expectation; the message shows both."""


@dataclass
class RuleCase:
    file: Path
    rule: str
    name: str
    ruleset: str | Path = DEFAULT_RULESET
    description: str = ""
    manifest: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] | None = None
    tables: dict[str, Any] = field(default_factory=dict)
    expect: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.rule}::{self.name}"


def load_case_file(path: str | Path) -> list[RuleCase]:
    """The cases of one case file (see :mod:`supervise_rules.testing`), each
    with the file's ``rule`` and ``ruleset``.

    :raises SuperviseRulesError: the file is not a mapping with ``rule`` and ``cases``.
    """
    path = Path(path)
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "rule" not in data or "cases" not in data:
        raise SuperviseRulesError(f"{path}: a case file needs 'rule' and 'cases'")
    ruleset = data.get("ruleset", DEFAULT_RULESET)
    if isinstance(ruleset, str) and ruleset.endswith((".yaml", ".yml")):
        ruleset = path.parent / ruleset
    cases = []
    for i, raw in enumerate(data["cases"]):
        name = raw.get("name") or f"case-{i + 1}"
        unknown = set(raw) - {"name", "description", "manifest", "params", "tables", "expect"}
        if unknown:
            raise SuperviseRulesError(f"{path}: case {name!r}: unknown keys {sorted(unknown)}")
        for exp in raw.get("expect") or []:
            bad = set(exp) - _EXPECT_KEYS
            if bad:
                raise SuperviseRulesError(f"{path}: case {name!r}: unknown expect keys {sorted(bad)}")
        cases.append(
            RuleCase(
                file=path,
                rule=str(data["rule"]),
                name=str(name),
                ruleset=ruleset,
                description=str(raw.get("description") or ""),
                manifest=dict(raw.get("manifest") or {}),
                params=raw.get("params"),
                tables=dict(raw.get("tables") or {}),
                expect=list(raw.get("expect") or []),
            )
        )
    return cases


#: Rulesets already loaded, per host (kept alive alongside, so ids are not reused).
#: Loading the full county ruleset for each of hundreds of cases would dominate
#: the suite's run time.
_LOADED: dict[int, tuple[PluginHost, dict[str, Ruleset]]] = {}


def _load_cached(ref: str | Path, host: PluginHost) -> Ruleset:
    entry = _LOADED.get(id(host))
    if entry is None or entry[0] is not host:
        if len(_LOADED) >= 8:
            _LOADED.clear()
        entry = _LOADED[id(host)] = (host, {})
    cache = entry[1]
    key = str(ref)
    if key not in cache:
        cache[key] = load_ruleset(ref, host=host)
    return cache[key]


def _ruleset_for(case: RuleCase, host: PluginHost) -> Ruleset:
    ruleset = _load_cached(case.ruleset, host)
    rule = ruleset.rule(case.rule)
    if rule is None:
        raise SuperviseRulesError(f"{case.file}: rule {case.rule} is not in ruleset {ruleset.id}")
    if case.params:
        validator = host.validators[rule.rule.validator]
        merged = deep_merge(rule.rule.params, case.params)
        rule = ResolvedRule(
            rule=rule.rule.model_copy(update={"params": merged}),
            params=validator.Params.model_validate(merged),
            defined_in=str(case.file),
        )
    return Ruleset(id=ruleset.id, version=ruleset.version, title=ruleset.title, rules=[rule])


def run_case(
    case: RuleCase, host: PluginHost | None = None, backend: str | Backend = "polars"
) -> list[Finding]:
    """The findings of the case's rule on the case's tables (a fresh host by default)."""
    report = case_report(case, host, backend)
    return [f for f in report.findings if f.rule_id == case.rule]


def case_report(case: RuleCase, host: PluginHost | None = None, backend: str | Backend = "polars") -> Report:
    """The whole report of the case's rule on the case's tables, on ``backend``
    (a name or a :class:`~supervise_rules.Backend` instance): what the backend
    equality tests compare byte for byte."""
    from ..api import default_host
    from ..readers import load_submission

    host = host or default_host()
    document = {"manifest": {**DEFAULT_MANIFEST, **case.manifest}, **case.tables}
    submission = load_submission(document, host=host)
    return check(submission, _ruleset_for(case, host), host=host, backend=backend)


def _summarize(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {"outcome": f.outcome.value, "subject": f.subject.id}
    if isinstance(f.observed, float):
        out["observed"] = round(f.observed, 6)
    elif f.observed is not None:
        out["observed"] = f.observed
    if f.evidence and f.evidence[0].rows is not None:
        out["rows"] = list(f.evidence[0].rows)
    out["message_contains"] = f.message.zh
    return out


def findings_as_yaml(findings: list[Finding]) -> str:
    """``findings`` written with the keys a case's ``expect`` compares, as YAML
    ready to paste into a case file (what a failing case prints)."""
    yaml = YAML(typ="safe")
    yaml.default_flow_style = None
    yaml.allow_unicode = True
    yaml.width = 4096
    buf = io.StringIO()
    yaml.dump([_summarize(f) for f in findings], buf)
    return buf.getvalue()


def _mismatch(exp: dict[str, Any], f: Finding) -> str | None:
    checks: list[tuple[str, Any, Any]] = []
    if "outcome" in exp:
        checks.append(("outcome", exp["outcome"], f.outcome.value))
    if "subject" in exp:
        checks.append(("subject", str(exp["subject"]), f.subject.id))
    if "subject_type" in exp:
        checks.append(("subject_type", exp["subject_type"], f.subject.type))
    if "severity" in exp:
        checks.append(("severity", exp["severity"], f.severity.value))
    if "rows" in exp:
        actual_rows = f.evidence[0].rows if f.evidence else None
        checks.append(("rows", exp["rows"], actual_rows))
    if "columns" in exp:
        checks.append(("columns", exp["columns"], f.evidence[0].columns if f.evidence else None))
    if "required" in exp:
        checks.append(("required", exp["required"], f.required.value if f.required else None))
    for key, want, got in checks:
        if want != got:
            return f"{key}: expected {want!r}, got {got!r}"
    if "observed" in exp:
        want, got = exp["observed"], f.observed
        if isinstance(want, int | float) and isinstance(got, int | float):
            tol = float(exp.get("tolerance", 5e-5))
            if not math.isclose(float(want), float(got), abs_tol=tol, rel_tol=0):
                return f"observed: expected {want!r}, got {got!r}"
        elif want != got:
            return f"observed: expected {want!r}, got {got!r}"
    if "message_contains" in exp:
        text = str(exp["message_contains"])
        if text not in f.message.zh and text not in f.message.en:
            return f"message: {text!r} not in {f.message.zh!r} / {f.message.en!r}"
    return None


def check_case(case: RuleCase, host: PluginHost | None = None, backend: str | Backend = "polars") -> None:
    """Run a case and raise :class:`CaseFailure` (with the actual findings as
    YAML) unless its findings match the expectation."""
    findings = run_case(case, host, backend)
    problems = []
    if len(findings) != len(case.expect):
        problems.append(f"expected {len(case.expect)} finding(s), got {len(findings)}")
    for i, (exp, f) in enumerate(zip(case.expect, findings, strict=False)):
        why = _mismatch(exp, f)
        if why:
            problems.append(f"finding {i + 1}: {why}")
    if problems:
        raise CaseFailure(
            f"{case.file} :: {case.name}\n  "
            + "\n  ".join(problems)
            + "\nActual findings:\n"
            + findings_as_yaml(findings)
        )


def case_params(*directories: str | Path) -> list[Any]:
    """``pytest.param`` objects for every case in the ``*.yaml`` files of the
    directories, with ids ``RULE::case name`` — for ``@pytest.mark.parametrize``."""
    import pytest

    params = []
    for directory in directories:
        for path in sorted(Path(directory).glob("*.yaml")):
            for case in load_case_file(path):
                params.append(pytest.param(case, id=case.id))
    return params
