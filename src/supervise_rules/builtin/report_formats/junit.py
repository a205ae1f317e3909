"""``junit``: JUnit XML, one test case per listed finding (rule × subject).

For CI systems that show test results: one ``<testsuite>`` per rule that ran,
``classname`` = rule id, ``name`` = subject id. The cases of a suite are the
rule's listed findings — every finding that is not a pass — and, unless the
passes are listed too (``--include-passes``), one passing case named
``(passes)`` that stands for all of the rule's passes (their number is in its
``<system-out>`` and in the suite's ``passes`` property). So ``tests`` = listed
findings + one per rule with passes; with ``--include-passes`` every pass is
its own case and there is no ``(passes)`` case.

* ``fail`` -> ``<failure>`` (``type`` = severity), ``error`` -> ``<error>``;
* ``not_applicable`` -> ``<skipped>``, and so is a failure under an active
  waiver (with the waiver in the message), since it does not fail the run;
* an expired waiver and the baseline mark (``[新增]``/``[new]`` …) are written
  into the failure's message and text, and so is ``[※ M 未证实]`` for a
  failure whose figure is unconfirmed (certainty M or seed).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

from supervise_rules import Finding, Outcome, RenderOptions, Report, Reporter
from supervise_rules.safetext import xml_text
from supervise_rules.values import with_unit

from ._common import (
    MARK,
    certainty_text,
    colon,
    group_by_rule,
    label,
    location_text,
    passes_note,
    required_text,
    rules_of,
    subject_text,
    unconfirmed,
    waiver_text,
)

#: ``name`` of the case that stands for a rule's passes when they are not listed
PASSES_CASE = "(passes)"


def _x(text: object) -> str:
    """Text XML 1.0 can hold, without control characters (the writer escapes ``<&"``)."""
    return xml_text(text)


class JunitReporter(Reporter):
    name = "junit"
    summary = "JUnit XML for CI: a suite per rule, a test case per listed finding."
    suffix = ".xml"
    human = False

    def render(self, report: Report, options: RenderOptions) -> str:
        root = junit_tree(report, options.lang, include_passes=options.show_passes)
        ET.indent(root, space="  ")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _kind(f: Finding) -> str:
    if f.is_waived or f.outcome is Outcome.not_applicable:
        return "skipped"
    if f.outcome is Outcome.fail:
        return "failure"
    if f.outcome is Outcome.error:
        return "error"
    return "pass"


def junit_tree(report: Report, lang: str = "zh", *, include_passes: bool = False) -> ET.Element:
    listed = list(report.iter_findings(include_passes))
    by_rule = dict(group_by_rule(listed))
    total: Counter[str] = Counter()
    root = ET.Element("testsuites", {"name": _x(f"{report.tool.name} {report.ruleset.id}")})
    for entry in rules_of(report, listed):
        findings = by_rule.get(entry.rule_id, [])
        passes = entry.by_outcome.get("pass", 0)
        stand_in = passes > 0 and not include_passes
        kinds = Counter(_kind(f) for f in findings)
        tests = len(findings) + stand_in
        total.update(kinds)
        total["tests"] += tests
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": _x(f"{entry.rule_id} {entry.title.get(lang)}"),
                "tests": str(tests),
                "failures": str(kinds["failure"]),
                "errors": str(kinds["error"]),
                "skipped": str(kinds["skipped"]),
                "time": "0",
            },
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("severity", entry.severity.value),
            ("certainty", entry.certainty),
            ("work_point", entry.work_point),
            ("source", entry.source),
            ("ruleset", report.ruleset.id),
            ("ruleset_version", report.ruleset.version),
            ("subjects", entry.subjects),
            ("passes", passes),
        ):
            if value is not None:
                ET.SubElement(props, "property", {"name": name, "value": _x(value)})
        for f in findings:
            _testcase(suite, f, lang)
        if stand_in:
            case = ET.SubElement(
                suite, "testcase", {"classname": _x(entry.rule_id), "name": PASSES_CASE, "time": "0"}
            )
            ET.SubElement(case, "system-out").text = _x(passes_note(passes, lang))
    for key in ("tests", "failure", "error", "skipped"):
        attr = {"failure": "failures", "error": "errors"}.get(key, key)
        root.set(attr, str(total[key]))
    root.set("time", "0")
    return root


def _testcase(suite: ET.Element, f: Finding, lang: str) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": _x(f.rule_id),
            "name": _x(f.subject.id),
            "time": "0",
        },
    )
    kind = _kind(f)
    if kind == "pass":
        return
    message = f.message.get(lang)
    if unconfirmed(f):
        message = f"[{MARK} {certainty_text(f.certainty, lang)}] {message}"
    if f.baseline:
        message = f"[{label(f.baseline, lang)}] {message}"
    if kind == "skipped":
        if f.is_waived:
            message = f"{waiver_text(f, lang)} — {message}"
        ET.SubElement(case, "skipped", {"message": _x(message)})
        return
    element = ET.SubElement(case, kind, {"message": _x(message), "type": f.severity.value})
    element.text = _x(_details(f, lang))


def _details(f: Finding, lang: str) -> str:
    lines = [
        f"{label('rule_id', lang)}{colon(lang)}{f.rule_id} {f.title.get(lang)}",
        f"{label('subject', lang)}{colon(lang)}{label(f.subject.type, lang)} {subject_text(f)}",
    ]
    if f.observed is not None:
        lines.append(f"{label('observed', lang)}{colon(lang)}{with_unit(f.observed, f.unit, lang)}")
    if f.required is not None:
        lines.append(f"{label('required', lang)}{colon(lang)}{required_text(f, lang)}")
    if f.evidence:
        lines.append(f"{label('location', lang)}{colon(lang)}{location_text(f, lang, max_rows=50)}")
    if f.source:
        lines.append(f"{label('source', lang)}{colon(lang)}{f.source}")
    if f.certainty:
        lines.append(f"{label('certainty', lang)}{colon(lang)}{certainty_text(f.certainty, lang)}")
    if f.waiver is not None:
        lines.append(f"{label('waiver', lang)}{colon(lang)}{waiver_text(f, lang)}")
    if f.baseline:
        lines.append(f"{label('baseline', lang)}{colon(lang)}{label(f.baseline, lang)}")
    lines.append(f.message.get(lang))
    return "\n".join(lines)
