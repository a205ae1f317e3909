"""JUnit XML: parsed back with ElementTree; counts and escaping checked."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

from supervise_rules.models import (
    Finding,
    LocalizedText,
    Outcome,
    Report,
    RulesetInfo,
    Severity,
    Subject,
    SubmissionInfo,
    ToolInfo,
)


def test_one_testcase_per_rule_and_subject(report, render):
    root = ET.fromstring(render("junit", report).encode("utf-8"))
    cases = root.findall("./testsuite/testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        (f.rule_id, f.subject.id) for f in report.findings]


def test_counts_match_the_elements(report, render):
    root = ET.fromstring(render("junit", report).encode("utf-8"))
    totals: Counter[str] = Counter()
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        kinds = Counter(child.tag for c in cases for child in c)
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == kinds["failure"]
        assert int(suite.get("errors")) == kinds["error"]
        assert int(suite.get("skipped")) == kinds["skipped"]
        totals.update({"tests": len(cases), **kinds})
    for attr, key in (("tests", "tests"), ("failures", "failure"), ("errors", "error"),
                      ("skipped", "skipped")):
        assert int(root.get(attr)) == totals[key], attr
    # the fixture: 14 unwaived fails, 1 error, 1 not_applicable + 1 waived skipped
    assert (int(root.get("tests")), int(root.get("failures")), int(root.get("errors")),
            int(root.get("skipped"))) == (len(report.findings), 14, 1, 2)


def test_waived_failure_is_skipped_and_expired_one_fails(report, render):
    root = ET.fromstring(render("junit", report).encode("utf-8"))
    waived = root.find("./testsuite/testcase[@classname='BAL-21']")
    assert waived.find("skipped").get("message").startswith("已豁免：新教学楼")
    expired = root.find("./testsuite/testcase[@classname='BAL-23']")
    failure = expired.find("failure")
    assert failure.get("type") == "minor"
    assert failure.get("message").startswith("[新增]")
    assert "豁免已过期" in failure.text


def test_special_characters_round_trip():
    nasty = 'a < b & "c" \'d\' ]]> \x01 end'
    f = Finding(rule_id="X-<1>", title=LocalizedText(zh=nasty, en=nasty), severity=Severity.major,
                outcome=Outcome.fail, subject=Subject(type="school", id="a&b/<c>", name=nasty),
                message=LocalizedText(zh=nasty, en=nasty))
    report = Report.build(tool=ToolInfo(version="0"), ruleset=RulesetInfo(id="r", version="1", title="t"),
                          submission=SubmissionInfo(), rules_run=1, findings=[f])
    from supervise_rules.builtin.report_formats.junit import JunitReporter
    from supervise_rules.reporters import RenderOptions

    root = ET.fromstring(JunitReporter().render(report, RenderOptions()).encode("utf-8"))
    case = root.find("./testsuite/testcase")
    assert case.get("classname") == "X-<1>"
    assert case.get("name") == "a&b/<c>"
    # the control character XML 1.0 cannot hold is replaced, everything else survives
    assert case.find("failure").get("message") == nasty.replace("\x01", "\ufffd")
