"""``sarif``: SARIF 2.1.0, so code-scanning viewers show data findings.

One run; the driver's ``rules`` are the rules that ran (the report's ``rules``
entries, with their counts and certainty in ``properties``). Each listed
finding — every finding that is not a pass, and the passes too with
``--include-passes`` — is a result whose physical location is the submission file of its table (the
data row's line, header on line 1) and whose logical location names the table,
row and columns (``schools[3].largest_class_size``); the other rows of a
multi-row finding are ``relatedLocations``. How the contract maps:

* outcome ``fail`` -> ``kind: fail`` with ``level`` from the severity
  (critical/major ``error``, minor ``warning``, info ``note``);
* ``error`` (the rule could not be checked) -> ``kind: fail``, ``level: error``;
* ``pass`` -> ``kind: pass``, ``not_applicable`` -> ``kind: notApplicable``
  (``level: none``, as SARIF requires), so viewers can filter them out;
* an active waiver -> a ``suppressions`` entry (``accepted``), an expired one
  -> ``rejected``; the baseline mark -> ``baselineState``
  (new -> new, persisting -> unchanged, fixed -> absent);
* ``partialFingerprints`` are keyed on rule id + subject id, which survive row
  reordering between submissions;
* the rule's certainty is in the rule's and the result's ``properties``; a rule
  whose figure is unconfirmed (M) or from the county's work points (seed) is
  tagged ``unconfirmed``, and so is each of its failures.

The output holds no time stamp and no path the report does not hold.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from typing import Any

from supervise_rules import Evidence, Finding, Outcome, RenderOptions, Report, Reporter, RuleEntry
from supervise_rules.safetext import plain
from supervise_rules.values import with_unit

from ._common import UNCONFIRMED, certainty_text, required_text, rules_of, table_uri, unconfirmed

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SEVERITY_LEVEL = {"critical": "error", "major": "error", "minor": "warning", "info": "note"}
BASELINE_STATE = {"new": "new", "persisting": "unchanged", "fixed": "absent"}
FINGERPRINT = "ruleSubject/v1"
#: rows beyond the first given as related locations, at most
MAX_RELATED = 100


class SarifReporter(Reporter):
    name = "sarif"
    summary = "SARIF 2.1.0 for code-scanning viewers: file, row and column of each finding."
    suffix = ".sarif"
    human = False

    def render(self, report: Report, options: RenderOptions) -> str:
        doc = sarif_document(report, options.lang, include_passes=options.show_passes)
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def sarif_document(report: Report, lang: str = "zh", *, include_passes: bool = False) -> dict[str, Any]:
    listed = list(report.iter_findings(include_passes))
    rules = rules_of(report, listed)
    index = {r.rule_id: i for i, r in enumerate(rules)}
    # a crashed plugin's error names it; the rule entries do not
    plugins: dict[str, str] = {}
    for f in listed:
        if f.plugin and f.rule_id not in plugins:
            plugins[f.rule_id] = f.plugin
    driver: dict[str, Any] = {
        "name": report.tool.name,
        "version": report.tool.version,
        "semanticVersion": report.tool.version,
        "rules": [_rule(r, plugins.get(r.rule_id), lang) for r in rules],
    }
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {
            "id": f"{report.ruleset.id}/{report.submission.county_code or ''}/{report.submission.year or ''}"
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule_id], report, lang) for f in listed],
        "properties": _clean(
            {
                "schema_version": report.schema_version,
                "ruleset": report.ruleset.model_dump(mode="json"),
                "submission": report.submission.model_dump(mode="json"),
                "summary": report.summary.model_dump(mode="json"),
            }
        ),
    }
    read = _read_files(report)
    uris = sorted({u for f in listed for u in _uris(f, report)} | set(read))
    if uris:
        run["artifacts"] = [{"location": {"uri": u}, **read.get(u, {})} for u in uris]
    return {"version": "2.1.0", "$schema": SARIF_SCHEMA, "runs": [run]}


_BRACKET = re.compile(r"(\\*)([\[\]])")


def _text(text: str) -> str:
    """A plain-text SARIF message showing ``text`` literally: viewers read
    ``[text](target)`` in a message as a link (SARIF 2.1.0 §3.11.6), so brackets
    (and backslashes before them) are escaped, and control characters removed.
    The ``properties`` keep the texts as they are."""
    return _BRACKET.sub(lambda m: m.group(1) * 2 + "\\" + m.group(2), plain(text))


def _pick(zh: str, en: str, lang: str) -> str:
    if lang == "en":
        return en
    if lang == "both" and zh != en:
        return f"{zh} / {en}"
    return zh


def _full_description(r: RuleEntry, lang: str) -> str:
    text = _text(_pick(r.title.zh, r.title.en, lang))
    if r.source:
        text = f"{text} ({_text(r.source)})"
    if r.certainty:
        text += f" [{certainty_text(r.certainty, lang)}]"
    return text


def _rule(r: RuleEntry, plugin: str | None, lang: str) -> dict[str, Any]:
    observed = r.observed.model_dump(mode="json") if r.observed is not None else None
    return {
        "id": r.rule_id,
        "name": r.title.en,
        "shortDescription": {"text": _text(_pick(r.title.zh, r.title.en, lang))},
        "fullDescription": {"text": _full_description(r, lang)},
        "defaultConfiguration": {"level": SEVERITY_LEVEL[r.severity.value]},
        "properties": _clean(
            {
                "severity": r.severity.value,
                "certainty": r.certainty,
                "work_point": r.work_point,
                "source": r.source,
                "title": r.title.model_dump(mode="json"),
                "plugin": plugin,
                # every finding of the rule, passes included, listed or not
                "subjects": r.subjects,
                "by_outcome": r.by_outcome,
                "observed": observed,
                "tags": ["unconfirmed"] if r.certainty in UNCONFIRMED else None,
            }
        ),
    }


def _read_files(report: Report) -> dict[str, dict[str, Any]]:
    """uri -> ``length`` and ``hashes`` of each file the submission was read from."""
    source = report.submission.source
    if not report.submission.files or not source:
        return {}
    src = PurePosixPath(source.replace("\\", "/"))
    files = report.submission.files
    single = len(files) == 1 and src.name == files[0].path  # the submission is that file
    out = {}
    for f in files:
        uri = src.as_posix() if single else (src / f.path).as_posix()
        out[uri] = {"length": f.bytes, "hashes": {"sha-256": f.sha256}}
    return out


def _uris(f: Finding, report: Report) -> list[str]:
    if not f.evidence:
        uri = table_uri(report, None)
        return [uri] if uri else []
    return [u for u in (_uri(report, ev) for ev in f.evidence) if u]


def _uri(report: Report, ev: Evidence) -> str | None:
    """The file the clerk opens: the evidence's own file (inside a folder
    submission), else the file the report knows for the table."""
    source = report.submission.source
    if ev.file and source:
        src = PurePosixPath(source.replace("\\", "/"))
        return src.as_posix() if src.suffix else (src / ev.file).as_posix()
    return table_uri(report, ev.table)


def _line(ev: Evidence, i: int) -> int | None:
    """The file line / sheet row of the evidence's i-th row, as the clerk sees it."""
    if ev.lines and i < len(ev.lines):
        return ev.lines[i]
    if ev.rows and i < len(ev.rows):
        # without a known place: data row n is line n + 1 under a one-line header
        return ev.rows[i] + 1
    return None


def _result(f: Finding, rule_index: int, report: Report, lang: str) -> dict[str, Any]:
    if f.outcome is Outcome.passed:
        kind, level = "pass", "none"
    elif f.outcome is Outcome.not_applicable:
        kind, level = "notApplicable", "none"
    elif f.outcome is Outcome.error:
        kind, level = "fail", "error"
    else:
        kind, level = "fail", SEVERITY_LEVEL[f.severity.value]
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "kind": kind,
        "level": level,
        "message": {"text": _text(f.message.get(lang))},
    }
    locations = _locations(f, report)
    if locations:
        result["locations"] = locations
    related = _related(f, report)
    if related:
        result["relatedLocations"] = related
    result["partialFingerprints"] = {FINGERPRINT: f"{f.rule_id}|{f.subject.id}"}
    if f.waiver is not None:
        w = f.waiver
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted" if w.status == "active" else "rejected",
                "justification": w.reason,
                "properties": {"approved_by": w.approved_by, "expires": w.expires.isoformat()},
            }
        ]
    if f.baseline:
        result["baselineState"] = BASELINE_STATE[f.baseline]
    result["properties"] = _clean(
        {
            "outcome": f.outcome.value,
            "severity": f.severity.value,
            "certainty": f.certainty,
            "work_point": f.work_point,
            "subject": f.subject.model_dump(mode="json", exclude_none=True),
            "observed": f.observed,
            "observed_text": with_unit(f.observed, f.unit, lang) if f.observed is not None else None,
            "required": f.required.model_dump(mode="json") if f.required else None,
            "required_text": required_text(f, lang) or None,
            "unit": f.unit,
            "message": f.message.model_dump(mode="json"),
            "source": f.source,
            "plugin": f.plugin,
            "tags": ["unconfirmed"] if unconfirmed(f) else None,
        }
    )
    return result


def _locations(f: Finding, report: Report) -> list[dict[str, Any]]:
    """One location per evidence table, at its first row; the logical names list
    every row and column."""
    locations = []
    for ev in f.evidence:
        loc: dict[str, Any] = {}
        uri = _uri(report, ev)
        if uri:
            loc["physicalLocation"] = _physical(uri, _line(ev, 0), ev)
        loc["logicalLocations"] = _logical(ev.table, ev.rows, ev.columns)
        locations.append(loc)
    if not locations and (uri := table_uri(report, None)):
        locations.append({"physicalLocation": _physical(uri, None)})
    return locations


def _related(f: Finding, report: Report) -> list[dict[str, Any]]:
    """The other rows of a multi-row finding, so a viewer can jump to each."""
    related: list[dict[str, Any]] = []
    for ev in f.evidence:
        uri = _uri(report, ev)
        if not uri or not ev.rows or len(ev.rows) < 2:
            continue
        for i, row in enumerate(ev.rows[1 : MAX_RELATED + 1], start=1):
            related.append(
                {
                    "id": len(related) + 1,
                    "physicalLocation": _physical(uri, _line(ev, i), ev, cells=False),
                    "message": {"text": f"{ev.table}[{row}]"},
                }
            )
    return related


def _physical(
    uri: str, line: int | None, ev: Evidence | None = None, *, cells: bool = True
) -> dict[str, Any]:
    """The file and the line (a text file's line, a sheet's own row number —
    the numbers the messages and READ findings use); the sheet and cells of a
    workbook in the region's properties."""
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line is not None:
        region: dict[str, Any] = {"startLine": line}
        extra = _clean({"sheet": ev.sheet if ev else None, "cells": ev.cells if ev and cells else None})
        if extra:
            region["properties"] = extra
        physical["region"] = region
    return physical


def _logical(table: str, rows: list[int] | None, columns: list[str]) -> list[dict[str, Any]]:
    logical: list[dict[str, Any]] = [{"name": table, "fullyQualifiedName": table, "kind": "array"}]
    for row in rows or []:
        logical.append({"name": str(row), "fullyQualifiedName": f"{table}[{row}]", "kind": "element"})
    for column in columns:
        fqn = f"{table}[{rows[0]}].{column}" if rows and len(rows) == 1 else f"{table}.{column}"
        logical.append({"name": column, "fullyQualifiedName": fqn, "kind": "property"})
    return logical


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
