"""The dashboard plugin through the library and the CLI: its reporter, and its
run hooks writing the spool file (or, misconfigured, one RUN-01 finding)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from supervise_rules_dashboard import SPOOL

import supervise_rules as sr
from supervise_rules.cli import main

EXAMPLE = __import__("pathlib").Path(__file__).resolve().parents[3] / "examples" / "helan-2024"


@pytest.fixture
def report(supervise_host):
    return sr.check(EXAMPLE, "helan-2024", host=supervise_host)


def test_contributions(supervise_host):
    info = next(p for p in supervise_host.plugins if p.name == "supervise_rules_dashboard")
    assert info.contributes == {"reporters": ["dashboard-csv"]}
    assert supervise_host.load_errors == []


def test_the_csv_has_one_line_per_rule_with_its_counts(tmp_path, report, capsys):
    out = tmp_path / "rules.csv"
    code = main(
        [
            str(EXAMPLE),
            "--plugin",
            "supervise_rules_dashboard",
            "--format",
            "dashboard-csv",
            "-o",
            str(out),
            "--fail-on",
            "never",
        ]
    )
    capsys.readouterr()
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["rule_id"] for r in rows] == [r.rule_id for r in report.rules]
    bal = next(r for r in rows if r["rule_id"] == "BAL-01")
    entry = next(r for r in report.rules if r.rule_id == "BAL-01")
    assert (int(bal["pass"]), int(bal["fail"])) == (
        entry.by_outcome.get("pass", 0),
        entry.by_outcome.get("fail", 0),
    )
    assert bal["title"] == entry.title.zh and bal["work_point"] == entry.work_point == "9"


def test_a_finished_run_is_dropped_into_the_spool(tmp_path, monkeypatch, supervise_host):
    monkeypatch.setenv(SPOOL, str(tmp_path))
    report = sr.check(EXAMPLE, "helan-2024", host=supervise_host)
    (dropped,) = tmp_path.iterdir()  # nothing else: no temporary file left behind
    assert dropped.name == "640122-2024-09-30-helan-2024.json"
    feed = json.loads(dropped.read_text(encoding="utf-8"))
    assert feed["summary"] == report.summary.by_outcome
    assert [r["rule_id"] for r in feed["rules"]] == [r.rule_id for r in report.rules]
    first = dropped.read_bytes()
    sr.check(EXAMPLE, "helan-2024", host=supervise_host)
    assert dropped.read_bytes() == first  # the same check, the same bytes


def test_a_spool_that_is_not_a_folder_is_one_error_finding(tmp_path, monkeypatch, supervise_host, report):
    monkeypatch.setenv(SPOOL, str(tmp_path / "missing"))
    broken = sr.check(EXAMPLE, "helan-2024", host=supervise_host)
    runs = [f for f in broken.findings if f.rule_id == "RUN-01"]
    assert len(runs) == 2  # said when the run starts, and again when it finishes
    assert all(f.outcome is sr.Outcome.error and f.subject.id == "supervise_rules_dashboard" for f in runs)
    assert "run_started" in runs[0].message.en or "run_started" in runs[1].message.en
    # the rules' findings are those of a run without the hook's problem
    assert [(f.rule_id, f.subject.id, f.outcome) for f in broken.findings if f.rule_id != "RUN-01"] == [
        (f.rule_id, f.subject.id, f.outcome) for f in report.findings
    ]


def test_the_delimiter_is_a_report_option(tmp_path, capsys):
    out = tmp_path / "rules.csv"
    code = main(
        [
            str(EXAMPLE),
            "--plugin",
            "supervise_rules_dashboard",
            "--format",
            "dashboard-csv",
            "--report-option",
            "delimiter=;",
            "-o",
            str(out),
            "--fail-on",
            "never",
        ]
    )
    capsys.readouterr()
    assert code == 0
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("rule_id;title;work_point")
    # a value the format does not take, or an option it does not have: exit 2, before the run
    for bad, said in (("delimiter=#", "delimiter"), ("colour=red", "colour")):
        code = main(
            [
                str(EXAMPLE),
                "--plugin",
                "supervise_rules_dashboard",
                "--format",
                "dashboard-csv",
                "-O",
                bad,
                "-o",
                str(tmp_path / "x.csv"),
            ]
        )
        err = capsys.readouterr().err
        assert code == 2 and said in err and "options: delimiter" in err
    assert not (tmp_path / "x.csv").exists()
    code = main([str(EXAMPLE), "--format", "json", "-O", "indent=4"])
    assert code == 2 and "takes no options" in capsys.readouterr().err
