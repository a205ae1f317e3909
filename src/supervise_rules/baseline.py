"""Baseline diff (回头看): compare this run with a previous JSON report.

Findings are matched on ``rule_id`` + ``subject.id`` only: row numbers change
between two submissions of the same county (a school added, rows sorted
differently), subject ids do not. Every failing finding of this run becomes
``new`` (no failure with that key before) or ``persisting``; every failure of
the baseline that no longer fails is ``fixed``: the current finding with that
key (usually a ``pass``) is marked ``fixed``, and all of them are listed in the
report's ``baseline`` block, also those with no finding at all this time (the
school closed, the rule was disabled).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SuperviseRulesError
from .models import (
    BaselineDiff,
    FixedFinding,
    LocalizedText,
    Report,
    Subject,
)

_FAILING = ("fail", "error")
_SUPPORTED_SCHEMA = "1"


class BaselineError(SuperviseRulesError):
    """The baseline file is not a findings report this version can read."""


@dataclass(frozen=True)
class BaselineFinding:
    rule_id: str
    subject: Subject
    outcome: str
    title: LocalizedText | None


@dataclass(frozen=True)
class Baseline:
    """The failing findings of a previous report, by (rule_id, subject.id)."""

    source: str
    failures: dict[tuple[str, str], BaselineFinding]


def load_baseline(path: str | Path) -> Baseline:
    """Read a previous ``--format json`` report.

    Only the keys of the v1 contract that the diff needs are read (so a report
    from a newer version with more keys is fine).

    :raises BaselineError: the file is missing, not JSON, or not a findings report.
    """
    path = Path(path)
    name = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{name}: no such baseline file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{name}: cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{name}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    return baseline_from_dict(data, source=name)


def baseline_from_dict(data: Any, *, source: str = "<baseline>") -> Baseline:
    """Build a :class:`Baseline` from a parsed JSON report (see :func:`load_baseline`)."""

    def bad(message: str) -> BaselineError:
        return BaselineError(
            f"{source}: not a supervise-check JSON report ({message}); "
            "give a file written with --format json")

    if not isinstance(data, dict):
        raise bad("the document is not an object")
    version = data.get("schema_version")
    if version is None or "findings" not in data:
        raise bad("no 'schema_version' or 'findings' key")
    if str(version).split(".")[0] != _SUPPORTED_SCHEMA:
        raise BaselineError(
            f"{source}: report schema_version {version!r} is not supported "
            f"(this version reads schema {_SUPPORTED_SCHEMA})")
    findings = data["findings"]
    if not isinstance(findings, list):
        raise bad("'findings' is not a list")
    failures: dict[tuple[str, str], BaselineFinding] = {}
    for i, f in enumerate(findings):
        try:
            rule_id = f["rule_id"]
            subject = Subject.model_validate(f["subject"])
            outcome = f["outcome"]
            if not isinstance(rule_id, str) or not isinstance(outcome, str):
                raise TypeError
        except (KeyError, TypeError, ValueError):
            raise bad(f"findings[{i}] lacks a valid rule_id, subject or outcome") from None
        if outcome not in _FAILING:
            continue
        title = None
        if isinstance(f.get("title"), dict):
            try:
                title = LocalizedText.model_validate(f["title"])
            except ValueError:
                title = None
        failures.setdefault((rule_id, subject.id), BaselineFinding(rule_id, subject, outcome, title))
    return Baseline(source=source, failures=failures)


def apply_baseline(report: Report, baseline: Baseline) -> Report:
    """Mark each finding ``new`` / ``persisting`` / ``fixed`` against ``baseline``.

    :returns: a new report with ``finding.baseline`` set and a ``baseline`` block.
    """
    failing_now = {(f.rule_id, f.subject.id) for f in report.findings if f.is_failure}
    fixed_keys = set(baseline.failures) - failing_now
    findings = []
    new = persisting = 0
    now_outcome: dict[tuple[str, str], str] = {}
    for f in report.findings:
        key = (f.rule_id, f.subject.id)
        mark = None
        if f.is_failure:
            if key in baseline.failures:
                mark, persisting = "persisting", persisting + 1
            else:
                mark, new = "new", new + 1
        elif key in fixed_keys:
            mark = "fixed"
            now_outcome.setdefault(key, f.outcome.value)
        findings.append(f.model_copy(update={"baseline": mark}) if mark else f)
    fixed = [
        FixedFinding(rule_id=b.rule_id, subject=b.subject, title=b.title,
                     now=now_outcome.get(key))
        for key, b in sorted(baseline.failures.items()) if key in fixed_keys
    ]
    diff = BaselineDiff(source=baseline.source, new=new, persisting=persisting,
                        fixed=len(fixed), fixed_findings=fixed)
    return report.model_copy(update={"findings": findings, "baseline": diff})


__all__ = ["Baseline", "BaselineError", "apply_baseline", "baseline_from_dict", "load_baseline"]
