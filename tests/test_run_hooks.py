"""The run hooks (run_started, run_finished): called once per check with what
the run is about; a plugin's hook that raises — SystemExit included — is one
RUN-01 error finding naming it, and the run and its other findings go on."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

import supervise_rules as sr
from supervise_rules.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "helan-2024"


def _plugin(name: str, **hooks) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(module, hook, sr.hookimpl(fn))
    return module


@pytest.fixture(scope="module")
def plain():
    return sr.check(EXAMPLE, "helan-2024", host=sr.get_plugin_host(entry_points=False))


def _rules(report: sr.Report) -> list[tuple]:
    return [
        (f.rule_id, f.subject.id, f.outcome, f.message.zh) for f in report.findings if f.rule_id != "RUN-01"
    ]


def test_hook_run_started(plain):
    seen = []

    def run_started(submission, ruleset):
        seen.append((submission.manifest.county_code, ruleset.id, len(submission.tables)))

    host = sr.get_plugin_host([_plugin("starts", run_started=run_started)], entry_points=False)
    report = sr.check(EXAMPLE, "helan-2024", host=host)
    assert seen == [("640122", "helan-2024", len(sr.load_submission(EXAMPLE).tables))]
    assert _rules(report) == _rules(plain)


def test_hook_run_finished(plain):
    seen = []

    def run_finished(report):  # an implementation takes the arguments it needs, by name
        seen.append((report.summary.by_outcome, len(report.rules)))

    host = sr.get_plugin_host([_plugin("finishes", run_finished=run_finished)], entry_points=False)
    report = sr.check(EXAMPLE, "helan-2024", host=host)
    assert seen == [(report.summary.by_outcome, len(report.rules))]
    assert report.summary.by_outcome == plain.summary.by_outcome


@pytest.mark.parametrize("raised", [RuntimeError("the platform is down"), SystemExit(0), KeyboardInterrupt()])
def test_a_hook_that_raises_is_one_error_finding_naming_its_plugin(raised, plain):
    def run_finished():
        raise raised

    host = sr.get_plugin_host([_plugin("poster", run_finished=run_finished)], entry_points=False)
    report = sr.check(EXAMPLE, "helan-2024", host=host)
    (run,) = [f for f in report.findings if f.rule_id == "RUN-01"]
    assert (run.outcome, run.severity, run.subject.id) == (sr.Outcome.error, sr.Severity.major, "poster")
    assert run.message.en.startswith(f"Plugin poster: run_finished raised {type(raised).__name__}")
    assert _rules(report) == _rules(plain)
    assert report.summary.by_outcome["error"] == plain.summary.by_outcome.get("error", 0) + 1


def test_through_the_cli_the_report_says_which_plugin_failed(tmp_path, monkeypatch, capsys):
    def run_started():
        raise OSError("spool unreachable")

    monkeypatch.setitem(sys.modules, "broken_poster", _plugin("broken_poster", run_started=run_started))
    out = tmp_path / "report.json"
    code = main([str(EXAMPLE), "--plugin", "broken_poster", "--format", "json", "-o", str(out)])
    capsys.readouterr()
    assert code == 1  # an error finding of severity major fails the run, like any other
    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    (run,) = [f for f in findings if f["rule_id"] == "RUN-01"]
    assert run["message"]["zh"].startswith(
        "插件 broken_poster 的 run_started 出错：OSError: spool unreachable"
    )
