"""HTML: self-contained, escaped, and checked in a real browser (headless Chromium)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

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

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


class _Collect(HTMLParser):
    """Ids with their data-count, every tag and attribute, and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.counts: dict[str, int] = {}
        self.attrs: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k, v in attrs:
            self.attrs.append((tag, k, v or ""))
        if "id" in a and "data-count" in a:
            self.counts[a["id"]] = int(a["data-count"])
        self._in = tag

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts.append(data)
        else:
            self.text.append(data)


def parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


EXPECTED = {
    "summary-rules": 19,
    "summary-pass": 6,
    "summary-fail": 15,
    "summary-waived": 1,
    "summary-error": 1,
    "summary-not-applicable": 1,
    "summary-severity-critical": 1,
    "summary-severity-major": 7,
    "summary-severity-minor": 5,
    "summary-severity-info": 2,
    "summary-new": 9,
    "summary-persisting": 6,
    "summary-fixed": 2,
}


def test_summary_numbers_in_the_markup(report, render):
    assert {k: v for k, v in parse(render("html", report)).counts.items() if k in EXPECTED} == EXPECTED
    # the same with the passes listed: the summary is exact in both modes
    shown = parse(render("html", report, show_passes=True)).counts
    assert {k: v for k, v in shown.items() if k in EXPECTED} == EXPECTED


class _Rows(HTMLParser):
    """The ``<tr>`` attributes and cell texts of one table, by its id."""

    def __init__(self, table_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.table_id = table_id
        self.rows: list[tuple[dict[str, str], list[str], list[dict[str, str]]]] = []
        self._depth = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "table" and a.get("id") == self.table_id:
            self._depth = 1
        elif self._depth and tag == "tr":
            self.rows.append((a, [], []))
        elif self._depth and tag in ("td", "th") and self.rows:
            self._cell = []
            self.rows[-1][2].append(a)

    def handle_endtag(self, tag):
        if self._depth and tag in ("td", "th") and self._cell is not None:
            self.rows[-1][1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._depth = 0

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def rows_of(html: str, table_id: str):
    p = _Rows(table_id)
    p.feed(html)
    return [(tr, cells, attrs) for tr, cells, attrs in p.rows if tr]  # body rows carry data-*


def test_passes_are_listed_only_when_asked(report, render):
    default = rows_of(render("html", report), "all-findings")
    statuses = [tr["data-status"] for tr, _, _ in default]
    assert "pass" not in statuses
    assert len(default) == sum(n for k, n in report.summary.by_outcome.items() if k != "pass")
    assert "未逐项列出" in render("html", report)
    everything = rows_of(render("html", report, show_passes=True), "all-findings")
    assert [tr["data-status"] for tr, _, _ in everything].count("pass") == 6
    assert len(everything) == sum(report.summary.by_outcome.values())
    assert "未逐项列出" not in render("html", report, show_passes=True)


def test_rule_overview_counts_every_finding(report, render):
    for show_passes in (False, True):
        rows = rows_of(render("html", report, show_passes=show_passes), "rule-overview")
        assert [tr["data-rule"] for tr, _, _ in rows] == [r.rule_id for r in report.rules]
        totals = dict.fromkeys(("pass", "fail", "error", "not_applicable"), 0)
        for _, _, cells in rows:
            for c in cells:
                if "data-outcome" in c:
                    totals[c["data-outcome"]] += int(c["data-sort"])
        assert totals == report.summary.by_outcome
    bal01 = next(cells for tr, cells, _ in rows if tr["data-rule"] == "BAL-01")
    assert bal01[4:10] == ["V", "3", "2", "0", "0", "1"]  # certainty, subjects, pass … n.a.
    bal21 = next(cells for tr, cells, _ in rows if tr["data-rule"] == "BAL-21")
    assert bal21[7] == "1 (已豁免 1)"


def test_unconfirmed_failure_is_marked(report, render):
    html = render("html", report)
    rows = {tr["data-rule"]: cells for tr, cells, _ in rows_of(html, "all-findings")}
    assert rows["INS-05"][0] == "不通过 ※ 新增"
    assert rows["INS-05"][5] == "M"  # the certainty column, its words in the tooltip
    assert "※" not in rows["INS-02"][0]  # V
    assert 'id="unconfirmed-legend"' in html and "可信度 M" in html


def test_self_contained(report, render):
    html = render("html", report)
    p = parse(html)
    for tag, attr, value in p.attrs:
        if attr in ("src", "href", "action", "srcset", "poster", "data"):
            assert value.startswith("#"), f"<{tag} {attr}={value!r}> loads something"
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert not re.search(r"https?://", html)


def test_every_string_is_escaped():
    nasty = "<script>alert(\"x\")</script> & <b onmouseover='y'>"
    f = Finding(
        rule_id="X<1>",
        title=LocalizedText(zh=nasty, en=nasty),
        severity=Severity.major,
        outcome=Outcome.fail,
        subject=Subject(type="school", id='a"b/primary', name=nasty),
        observed=nasty,
        message=LocalizedText(zh=nasty, en=nasty),
        source=nasty,
    )
    report = Report.build(
        tool=ToolInfo(version="0"),
        ruleset=RulesetInfo(id=nasty, version=nasty, title=nasty),
        submission=SubmissionInfo(county_name=nasty, source=nasty),
        rules_run=1,
        findings=[f],
    )
    from supervise_rules.builtin.report_formats.html import HtmlReporter
    from supervise_rules.reporters import RenderOptions

    html = HtmlReporter().render(report, RenderOptions())
    assert "<script>alert" not in html and "<b onmouseover" not in html
    p = parse(html)
    assert all(k != "onmouseover" for _, k, _ in p.attrs)
    assert nasty in "".join(p.text)
    assert len(p.scripts) == 1  # ours only


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip(
            "no Chromium found (looked for chromium, chromium-browser, google-chrome and "
            "$CHROMIUM): install Debian's `chromium` package to run the browser test"
        )
    return path


def _run_chromium(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_opens_in_headless_chromium(chromium, report, render, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render("html", report), encoding="utf-8")
    shot = tmp_path / "report.png"

    done = _run_chromium(
        chromium, tmp_path / "profile-1", f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()
    )
    assert shot.exists(), f"no screenshot: {done.stderr[-2000:]}"
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000  # a rendered page, not blank
    keep = os.environ.get("SUPERVISE_RULES_SCREENSHOT")
    if keep:
        Path(keep).write_bytes(png)

    dom = _run_chromium(chromium, tmp_path / "profile-2", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    p = parse(dom.stdout)
    assert {k: v for k, v in p.counts.items() if k in EXPECTED} == EXPECTED
    # the inline script ran to the end: it made every sortable header focusable
    headers = [v for tag, k, v in p.attrs if tag == "th" and k == "tabindex"]
    assert headers and set(headers) == {"0"}
    assert "贺兰县第三小学" in "".join(p.text)
