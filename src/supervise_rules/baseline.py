"""Baseline diff (回头看): compare this run with a previous JSON report.

Findings are matched on ``rule_id`` + ``subject.id`` only: row numbers change
between two submissions of the same county (a school added, rows sorted
differently), subject ids do not. Every failing finding of this run becomes
``new`` (no failure with that key before) or ``persisting``; every failure of
the baseline that no longer fails is ``fixed``: the current finding with that
key (usually a ``pass``) is marked ``fixed``, and all of them are listed in the
report's ``baseline`` block, also those with no finding at all this time (the
school closed).

A diff is only meaningful between two rounds of the same county checked with the
same rules. A baseline from another county is refused, and so is one from another ruleset
id or version is refused unless the caller allows it
(``--baseline-allow-ruleset-change``). Whatever the rulesets, a failure of the
baseline whose rule did not run this time is *not checked* (未检查), never
fixed: nothing was looked at. The block lists the rules added and removed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SuperviseRulesError
from .models import BaselineDiff, FixedFinding, LocalizedText, RulesetInfo, Subject
from .report import Report

_FAILING = ("fail", "error")
_SUPPORTED_SCHEMAS = ("1", "2")


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
    """The failing findings of a previous report, by (rule_id, subject.id), and
    what it was a check of."""

    source: str
    failures: dict[tuple[str, str], BaselineFinding]
    #: the ruleset the baseline was checked against (``None``: not said)
    ruleset: RulesetInfo | None = None
    county_code: str | None = None
    region_code: str | None = None
    #: the rules that ran, from its ``rules`` entries (schema 2); ``None`` for schema 1
    rules_ran: frozenset[str] | None = None
    #: the rules its findings name (all a schema-1 report tells of what ran)
    rules_seen: frozenset[str] = frozenset()

    @property
    def ran(self) -> frozenset[str]:
        return self.rules_ran if self.rules_ran is not None else self.rules_seen


def load_baseline(path: str | Path) -> Baseline:
    """Read a previous ``--format json`` report.

    Only the keys of the v1 contract that the diff needs are read (so a report
    from a newer version with more keys is fine).

    :raises BaselineError: the file is missing, not JSON, or not a findings report.
    """
    path = Path(path)
    name = str(path)
    from .limits import current_limits, exceeded

    try:
        size = path.stat().st_size
        if size > current_limits().max_json_bytes:
            raise BaselineError(
                f"{name}: the file is {size:,} bytes, too large for a report "
                f"({exceeded('max_json_bytes', size, unit='bytes')})"
            )
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except FileNotFoundError:
        raise BaselineError(f"{name}: no such baseline file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{name}: cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{name}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise BaselineError(
            f"{name}: not valid JSON: nested too deeply ({exceeded('max_json_depth')})"
        ) from None
    return baseline_from_dict(data, source=name, text=text)


def baseline_from_dict(data: Any, *, source: str = "<baseline>", text: str | None = None) -> Baseline:
    """Build a :class:`Baseline` from a parsed JSON report (see :func:`load_baseline`).

    :param text: the JSON text ``data`` was parsed from, to give problems a line.
    """

    def bad(message: str) -> BaselineError:
        return BaselineError(
            f"{source}: not a supervise-check JSON report ({message}); give a file written with --format json"
        )

    if not isinstance(data, dict):
        raise bad("the document is not an object")
    version = data.get("schema_version")
    if version is None or "findings" not in data:
        raise bad("no 'schema_version' or 'findings' key")
    if str(version).split(".")[0] not in _SUPPORTED_SCHEMAS:
        raise BaselineError(
            f"{source}: report schema_version {version!r} is not supported "
            f"(this version reads schemas {' and '.join(_SUPPORTED_SCHEMAS)})"
        )
    findings = data["findings"]
    if not isinstance(findings, list):
        raise bad("'findings' is not a list")
    _check_dates(data, source, text)
    failures: dict[tuple[str, str], BaselineFinding] = {}
    seen: set[str] = set()
    for i, f in enumerate(findings):
        try:
            rule_id = f["rule_id"]
            subject = Subject.model_validate(f["subject"])
            outcome = f["outcome"]
            if not isinstance(rule_id, str) or not isinstance(outcome, str):
                raise TypeError
        except (KeyError, TypeError, ValueError):
            raise bad(f"findings[{i}] lacks a valid rule_id, subject or outcome") from None
        seen.add(rule_id)
        if outcome not in _FAILING:
            continue
        title = None
        if isinstance(f.get("title"), dict):
            try:
                title = LocalizedText.model_validate(f["title"])
            except ValueError:
                title = None
        failures.setdefault((rule_id, subject.id), BaselineFinding(rule_id, subject, outcome, title))
    try:
        ruleset = RulesetInfo.model_validate(data.get("ruleset"))
    except ValueError:
        raise bad("no 'ruleset' with its id, version and title: which rules it checked is unknown") from None
    submission = data.get("submission")
    submission = submission if isinstance(submission, dict) else {}
    rules = data.get("rules")
    rules_ran = None
    if isinstance(rules, list):
        ids = [r.get("rule_id") if isinstance(r, dict) else None for r in rules]
        named = [x for x in ids if isinstance(x, str)]
        if len(named) != len(ids):
            raise bad("a 'rules' entry lacks its rule_id")
        rules_ran = frozenset(named)
    return Baseline(
        source=source,
        failures=failures,
        ruleset=ruleset,
        county_code=_text(submission.get("county_code")),
        region_code=_text(submission.get("region_code")),
        rules_ran=rules_ran,
        rules_seen=frozenset(seen),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _is_reader_code(rule_id: str) -> bool:
    # READ-xx are the reader's notices: the reader runs on every submission, so
    # they are never "not run", whatever the ruleset
    return rule_id.startswith("READ-")


def check_comparable(report: Report, baseline: Baseline, *, allow_ruleset_change: bool = False) -> None:
    """Refuse a baseline that is not an earlier round of this check.

    :raises BaselineError: another county (or region), another ruleset id or
        version, unless ``allow_ruleset_change`` (then the diff says what changed).
    """
    sub = report.submission
    for what, before, now in (
        ("county", baseline.county_code, sub.county_code),
        ("region", baseline.region_code, sub.region_code),
    ):
        if before != now and not allow_ruleset_change:
            raise BaselineError(
                f"{baseline.source}: the baseline is a report on {what} {before or '(none)'}, this "
                f"run is on {what} {now or '(none)'}; a 回头看 compares two rounds of the same "
                f"{what}: give that {what}'s previous report, or --baseline-allow-ruleset-change "
                "to compare anyway"
            )
    rs = baseline.ruleset
    if rs is None or (rs.id, rs.version) == (report.ruleset.id, report.ruleset.version):
        return
    if not allow_ruleset_change:
        raise BaselineError(
            f"{baseline.source}: the baseline was checked with ruleset {rs.id} version "
            f"{rs.version}, this run with {report.ruleset.id} version {report.ruleset.version}; "
            "their findings are not comparable (a rule that did not run would look fixed). Give "
            "the previous report of the same ruleset, or --baseline-allow-ruleset-change to "
            "compare anyway (problems whose rule did not run are then 未检查, never 已整改)"
        )


def _check_dates(data: dict[str, Any], source: str, text: str | None) -> None:
    """The report's dates (``submission.as_of``, each waiver's ``expires``) are
    real dates: one that is not (2024-02-30) means the file was edited by hand
    or damaged, and is reported at its line rather than trusted."""
    submission = data.get("submission")
    dated: list[tuple[str, str, Any]] = []
    if isinstance(submission, dict) and "as_of" in submission:
        dated.append(("submission.as_of", "as_of", submission["as_of"]))
    for i, f in enumerate(data["findings"]):
        waiver = f.get("waiver") if isinstance(f, dict) else None
        if isinstance(waiver, dict) and "expires" in waiver:
            dated.append((f"findings[{i}].waiver.expires", "expires", waiver["expires"]))
    for where, key, value in dated:
        if value is None:
            continue
        try:
            if not isinstance(value, str):
                raise ValueError("not a text")
            dt.date.fromisoformat(value)
        except ValueError as exc:
            line = json_line(text, key, value) if text is not None else None
            at = f"{source}:{line}" if line else source
            raise BaselineError(
                f"{at}: {where} is {value!r}, not a date (YYYY-MM-DD): {exc}; "
                "give a report written with --format json, unedited"
            ) from None


def json_line(text: str, key: str, value: Any = None) -> int | None:
    """The 1-based line of the first ``"key": value`` in a JSON text (``value``
    as JSON encodes it; any value when ``None``), for a located message."""
    import re

    shown = (
        r'(?:"(?:[^"\\]|\\.)*"|[^,\s}\]]+)'
        if value is None
        else re.escape(json.dumps(value, ensure_ascii=False))
    )
    match = re.search(rf'"{re.escape(key)}"\s*:\s*{shown}', text)
    if match is None and value is not None:  # written with \u escapes
        match = re.search(rf'"{re.escape(key)}"\s*:\s*{re.escape(json.dumps(value))}', text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def apply_baseline(report: Report, baseline: Baseline, *, allow_ruleset_change: bool = False) -> Report:
    """Mark each finding ``new`` / ``persisting`` / ``fixed`` against ``baseline``.

    Keys are matched by joins on rule and subject, column-wise. A failure of the
    baseline whose rule did not run this time (no ``rules`` entry) is listed as
    not checked, not fixed.

    :param allow_ruleset_change: compare with a baseline of another ruleset id or version.
    :returns: a new report with ``finding.baseline`` set and a ``baseline`` block.
    :raises BaselineError: see :func:`check_comparable`.
    """
    import polars as pl

    check_comparable(report, baseline, allow_ruleset_change=allow_ruleset_change)
    ran_now = {r.rule_id for r in report.rules}
    checked = {k: b for k, b in baseline.failures.items() if k[0] in ran_now or _is_reader_code(k[0])}
    unchecked = [
        FixedFinding(rule_id=b.rule_id, subject=b.subject, title=b.title, now=None)
        for key, b in sorted(baseline.failures.items())
        if key not in checked
    ]
    keys = ["rule_id", "subject_id"]
    before = pl.DataFrame(
        {"rule_id": [k[0] for k in checked], "subject_id": [k[1] for k in checked]},
        schema={"rule_id": pl.String, "subject_id": pl.String},
    )
    listed = report.store.listed(False)
    failing = pl.col("outcome").is_in(list(_FAILING))
    failing_now = listed.filter(failing).select(keys).unique()
    fixed_keys = before.join(failing_now, on=keys, how="anti")
    was_failing = before.with_columns(_before=pl.lit(True))
    fixed_flag = fixed_keys.with_columns(_fixed=pl.lit(True))
    marked = listed.join(was_failing, on=keys, how="left", maintain_order="left").join(
        fixed_flag, on=keys, how="left", maintain_order="left"
    )
    annotated = marked.with_columns(
        baseline=pl.when(failing & pl.col("_before").is_not_null())
        .then(pl.lit("persisting"))
        .when(failing)
        .then(pl.lit("new"))
        .when(pl.col("_fixed").is_not_null())
        .then(pl.lit("fixed"))
        .otherwise("baseline")
    ).drop("_before", "_fixed")
    counts = annotated.filter(failing).group_by("baseline").len("n")
    count = dict(counts.iter_rows())
    # this run's outcome of each fixed key: the first non-failing finding in report order
    now_rows = report.store.lookup(fixed_keys).filter(~failing)
    now_outcome = {
        (r, s_): o for r, s_, o in now_rows.group_by(keys).agg(pl.col("outcome").min()).iter_rows()
    }
    fixed_set = set(fixed_keys.iter_rows())
    fixed = [
        FixedFinding(rule_id=b.rule_id, subject=b.subject, title=b.title, now=now_outcome.get(key))
        for key, b in sorted(checked.items())
        if key in fixed_set
    ]
    ran_now_rules = {r for r in ran_now if not _is_reader_code(r)}
    ran_before = {r for r in baseline.ran if not _is_reader_code(r)}
    other_county = baseline.county_code if baseline.county_code != report.submission.county_code else None
    diff = BaselineDiff(
        source=baseline.source,
        county_code=other_county,
        new=count.get("new", 0),
        persisting=count.get("persisting", 0),
        fixed=len(fixed),
        fixed_findings=fixed,
        ruleset=baseline.ruleset,
        not_checked=len(unchecked),
        not_checked_findings=unchecked,
        rules_added=sorted(ran_now_rules - ran_before) if baseline.rules_ran is not None else None,
        rules_removed=sorted(ran_before - ran_now_rules),
    )
    pass_marks = fixed_keys.with_columns(baseline=pl.lit("fixed", dtype=pl.String))
    return report.replace(store=report.store.annotate(annotated, pass_marks), baseline=diff)


__all__ = [
    "Baseline",
    "BaselineError",
    "apply_baseline",
    "baseline_from_dict",
    "check_comparable",
    "load_baseline",
]
