"""The front door (issue 13, item 1): ``supervise_rules.check`` does what the
CLI does — waivers and the baseline diff included, from files or from Python
objects — and a ``Checker`` keeps the loaded ruleset and host for many runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import supervise_rules as sr
from supervise_rules.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "helan-2024"
TODAY = dt.date(2024, 10, 1)
WAIVER = {
    "rule": "BAL-21",
    "subject": "2164000303/primary",
    "reason": "新校舍 2025 年投用",
    "approved_by": "贺兰县教育督导室",
    "expires": "2025-08-31",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("front")
    waivers = tmp / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - "
        + "\n    ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in WAIVER.items())
        + "\n",
        encoding="utf-8",
    )
    baseline = tmp / "before.json"
    assert main([str(EXAMPLE), "--format", "json", "-o", str(baseline), "--fail-on", "never"]) == 0
    return tmp, waivers, baseline


def test_check_with_waivers_and_baseline_equals_the_cli(files, capsys):
    tmp, waivers, baseline = files
    out = tmp / "cli.json"
    assert (
        main(
            [
                str(EXAMPLE),
                "--waivers",
                str(waivers),
                "--baseline",
                str(baseline),
                "--today",
                TODAY.isoformat(),
                "--format",
                "json",
                "-o",
                str(out),
                "--fail-on",
                "never",
            ]
        )
        == 0
    )
    capsys.readouterr()
    report = sr.check(EXAMPLE, "helan-2024", waivers=waivers, baseline=baseline, today=TODAY)
    assert report.to_json_bytes() == out.read_bytes()
    assert report.baseline.persisting == 18
    (waived,) = [f for f in report.findings if f.waiver is not None]
    assert (waived.rule_id, waived.waiver.status) == ("BAL-21", "active")


def test_waivers_and_baseline_as_python_objects(files):
    _, waivers, baseline = files
    from_files = sr.check(EXAMPLE, "helan-2024", waivers=waivers, baseline=baseline, today=TODAY)
    previous = sr.Report.model_validate_json(baseline.read_bytes())
    from_objects = sr.check(EXAMPLE, "helan-2024", waivers=[WAIVER], baseline=previous, today=TODAY)
    assert [
        (f.rule_id, f.subject.id, f.baseline, f.waiver and f.waiver.status) for f in from_objects.findings
    ] == [(f.rule_id, f.subject.id, f.baseline, f.waiver and f.waiver.status) for f in from_files.findings]
    parsed = json.loads(baseline.read_text(encoding="utf-8"))
    assert sr.check(EXAMPLE, "helan-2024", baseline=parsed).baseline.persisting == 18


def test_a_bad_waiver_entry_names_it():
    bad = {**WAIVER, "expires": "2025-02-30"}
    with pytest.raises(sr.SuperviseRulesError, match=r"waivers\[0\]: expires"):
        sr.check(EXAMPLE, "helan-2024", waivers=[bad])


def test_a_checker_reuses_its_ruleset_and_host(files):
    _, _, baseline = files
    checker = sr.Checker("helan-2024")
    first = checker.check(EXAMPLE)
    again = checker.check(EXAMPLE, baseline=baseline, select="BAL")
    assert checker.ruleset.id == "helan-2024"
    assert first.to_json_bytes() == sr.check(EXAMPLE, "helan-2024").to_json_bytes()
    assert {r.rule_id[:3] for r in again.rules} <= {"BAL", "REA"}


def test_include_passes_lists_every_pass_like_the_cli(files, capsys):
    tmp, _, _ = files
    out = tmp / "passes.json"
    assert (
        main([str(EXAMPLE), "--include-passes", "--format", "json", "-o", str(out), "--fail-on", "never"])
        == 0
    )
    capsys.readouterr()
    report = sr.check(EXAMPLE, "helan-2024", include_passes=True)
    assert report.to_json_bytes() == out.read_bytes()
    assert sum(1 for f in report.iter_findings() if f.outcome is sr.Outcome.passed) == 1307
    plain = sr.check(EXAMPLE, "helan-2024")
    assert plain.to_json_bytes(include_passes=True) == out.read_bytes()
    assert not any(f.outcome is sr.Outcome.passed for f in plain.iter_findings())
