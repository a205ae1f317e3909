"""JUnit XML: parsed back with ElementTree; counts and escaping checked.

The cases are the listed findings plus, while the passes are not listed, one
``(passes)`` case per rule with passes; with ``show_passes`` one case per finding.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

from supervise_rules import Report
from supervise_rules.models import (
    Finding,
    LocalizedText,
    Outcome,
    RulesetInfo,
    Severity,
    Subject,
    SubmissionInfo,
    ToolInfo,
)


def _cases(root: ET.Element) -> list[tuple[str, str]]:
    return [(c.get("classname"), c.get("name")) for c in root.findall("./testsuite/testcase")]


def test_one_testcase_per_listed_finding_and_one_for_each_rules_passes(report, render):
    root = ET.fromstring(render("junit", report).encode("utf-8"))
    expected = []
    for rule in report.rules:
        expected += [(f.rule_id, f.subject.id) for f in report.iter_findings() if f.rule_id == rule.rule_id]
        if rule.by_outcome["pass"]:
            expected.append((rule.rule_id, "(passes)"))
    assert _cases(root) == expected
    # every rule that ran has its suite, also one that only passed
    assert [s.get("name").split()[0] for s in root.findall("testsuite")] == [r.rule_id for r in report.rules]
    pre01 = root.find("./testsuite/testcase[@classname='PRE-01']")
    assert pre01.get("name") == "(passes)" and len(pre01) == 1
    assert "通过 1 项" in pre01.find("system-out").text
    bal01 = next(s for s in root.findall("testsuite") if s.get("name").startswith("BAL-01"))
    assert {p.get("name"): p.get("value") for p in bal01.find("properties")}["passes"] == "2"


def test_with_passes_every_finding_is_a_case(report, render):
    root = ET.fromstring(render("junit", report, show_passes=True).encode("utf-8"))
    assert _cases(root) == [(f.rule_id, f.subject.id) for f in report.iter_findings(True)]
    assert int(root.get("tests")) == sum(report.summary.by_outcome.values())
    assert (int(root.get("failures")), int(root.get("errors")), int(root.get("skipped"))) == (15, 1, 2)


def test_unconfirmed_failure_says_so(report, render):
    root = ET.fromstring(render("junit", report).encode("utf-8"))
    failure = root.find("./testsuite/testcase[@classname='INS-05']/failure")
    assert failure.get("message").startswith("[新增] [※ M 未证实] ")
    assert "可信度：M 未证实" in failure.text
    plain = root.find("./testsuite/testcase[@classname='INS-02']/failure")
    assert "※" not in plain.get("message")


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
    for attr, key in (
        ("tests", "tests"),
        ("failures", "failure"),
        ("errors", "error"),
        ("skipped", "skipped"),
    ):
        assert int(root.get(attr)) == totals[key], attr
    # the fixture: 15 unwaived fails, 1 error, 1 not_applicable + 1 waived skipped; 18
    # listed findings and 5 rules with passes (6 passes: BAL-01 has two)
    assert (
        int(root.get("tests")),
        int(root.get("failures")),
        int(root.get("errors")),
        int(root.get("skipped")),
    ) == (18 + 5, 15, 1, 2)


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
    nasty = "a < b & \"c\" 'd' ]]> \x01 end"
    f = Finding(
        rule_id="X-<1>",
        title=LocalizedText(zh=nasty, en=nasty),
        severity=Severity.major,
        outcome=Outcome.fail,
        subject=Subject(type="school", id="a&b/<c>", name=nasty),
        message=LocalizedText(zh=nasty, en=nasty),
    )
    report = Report.build(
        tool=ToolInfo(version="0"),
        ruleset=RulesetInfo(id="r", version="1", title="t"),
        submission=SubmissionInfo(),
        rules_run=1,
        findings=[f],
    )
    from supervise_rules.builtin.report_formats.junit import JunitReporter
    from supervise_rules.reporters import RenderOptions

    root = ET.fromstring(JunitReporter().render(report, RenderOptions()).encode("utf-8"))
    case = root.find("./testsuite/testcase")
    assert case.get("classname") == "X-<1>"
    assert case.get("name") == "a&b/<c>"
    # the control character XML 1.0 cannot hold is replaced, everything else survives
    assert case.find("failure").get("message") == nasty.replace("\x01", "\ufffd")
