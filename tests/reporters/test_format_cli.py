"""The formats through ``supervise-check``: files written, binary needs --output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supervise_rules.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "helan-2024-preschool"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    if not EXAMPLE.exists():
        pytest.skip(f"{EXAMPLE} is missing")
    out = tmp_path_factory.mktemp("formats")
    paths = {}
    for name, suffix in (
        ("sarif", ".sarif"),
        ("junit", ".xml"),
        ("markdown", ".md"),
        ("html", ".html"),
        ("xlsx", ".xlsx"),
        ("jsonl", ".jsonl"),
    ):
        path = out / f"report{suffix}"
        code = main([str(EXAMPLE), "--format", name, "--output", str(path), "--fail-on", "never"])
        assert code == 0, name
        paths[name] = path
    return paths


def test_every_format_writes_its_file(outputs):
    import xml.etree.ElementTree as ET

    import jsonschema
    import openpyxl

    jsonschema.Draft4Validator(SCHEMA).validate(json.loads(outputs["sarif"].read_text(encoding="utf-8")))
    assert ET.parse(outputs["junit"]).getroot().tag == "testsuites"
    assert outputs["markdown"].read_text(encoding="utf-8").startswith("# ")
    assert 'id="summary-fail"' in outputs["html"].read_text(encoding="utf-8")
    assert "规则一览" in openpyxl.load_workbook(outputs["xlsx"]).sheetnames
    lines = outputs["jsonl"].read_text(encoding="utf-8").splitlines()
    assert lines and all(json.loads(line)["rule_id"] for line in lines)


def test_binary_format_needs_output(capsys):
    if not EXAMPLE.exists():
        pytest.skip(f"{EXAMPLE} is missing")
    assert main([str(EXAMPLE), "--format", "xlsx"]) == 2
    assert "--output" in capsys.readouterr().err


def test_written_files_follow_the_umask(outputs):
    import os

    mask = os.umask(0)
    os.umask(mask)
    for path in outputs.values():
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path.name


FULL = ROOT / "examples" / "helan-2024"


@pytest.fixture(scope="module")
def helan_report():
    if not FULL.exists():
        pytest.skip(f"{FULL} is missing")
    from supervise_rules import check

    return check(str(FULL), "helan-2024")


@pytest.mark.parametrize("show_passes", [False, True], ids=["passes-counted", "passes-listed"])
def test_every_format_renders_the_full_example(helan_report, reporters, show_passes):
    """Not golden (the rulesets still grow): every format renders the real run and
    agrees with its summary (report contract v2: the passes are counted always,
    listed only with ``show_passes``)."""
    import io
    import re
    import xml.etree.ElementTree as ET

    import jsonschema
    import openpyxl

    from supervise_rules.reporters import RenderOptions

    report = helan_report
    by_outcome = report.summary.by_outcome
    total = sum(by_outcome.values())
    listed = total if show_passes else total - by_outcome["pass"]
    assert by_outcome["pass"] > 0  # the example has passes, so the two modes differ
    out = {name: r.render(report, RenderOptions(show_passes=show_passes)) for name, r in reporters.items()}

    sarif = json.loads(out["sarif"])
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    assert len(sarif["runs"][0]["results"]) == listed
    assert [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]] == [r.rule_id for r in report.rules]
    root = ET.fromstring(out["junit"].encode("utf-8"))
    with_passes = sum(1 for r in report.rules if r.by_outcome["pass"])
    assert int(root.get("tests")) == (total if show_passes else listed + with_passes)
    assert len(out["jsonl"].splitlines()) == listed
    assert len(json.loads(out["json"])["findings"]) == listed
    assert json.loads(out["json"])["summary"] == report.summary.model_dump(mode="json", exclude_none=True)

    counts = dict(re.findall(r'id="(summary-[a-z-]+)" data-count="(\d+)"', out["html"]))
    waived = [f for f in report.iter_findings() if f.is_waived]
    waived_fails = sum(1 for f in waived if f.outcome.value == "fail")
    assert int(counts["summary-fail"]) == by_outcome["fail"] - waived_fails
    assert int(counts["summary-pass"]) == by_outcome["pass"]
    assert int(counts["summary-waived"]) == len(waived)
    overview = re.findall(r'data-outcome="([a-z_]+)" data-sort="(\d+)"', out["html"])
    assert {k: sum(int(n) for o, n in overview if o == k) for k in by_outcome} == by_outcome
    assert len(re.findall(r"<tr data-status=", out["html"].split('id="all"')[1])) == listed

    wb = openpyxl.load_workbook(io.BytesIO(out["xlsx"]))
    assert wb.worksheets[2].max_row == 1 + listed
    assert wb["规则一览"].max_row == 1 + len(report.rules)
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    table = out["table"]
    assert ("未逐项列出" in table) is not show_passes


def _docs_example() -> tuple[str, dict]:
    text = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    block = text.split("### A complete v2 document", 1)[1].split("```json\n", 1)[1]
    block = block.split("\n```", 1)[0]
    return block, json.loads(block)


def test_the_contract_example_in_the_docs_is_a_consistent_v2_document():
    from supervise_rules import Report

    block, doc = _docs_example()
    assert doc["schema_version"] == "2"
    Report.model_validate(doc)
    by_outcome = doc["summary"]["by_outcome"]
    # READ-xx entries are the reader's notices, not rules that ran
    assert (
        len([r for r in doc["rules"] if not r["rule_id"].startswith("READ-")]) == doc["summary"]["rules_run"]
    )
    assert [r["rule_id"] for r in doc["rules"]] == sorted(r["rule_id"] for r in doc["rules"])
    # the summary and the rules entries count the passes the findings do not list
    assert {k: sum(r["by_outcome"][k] for r in doc["rules"]) for k in by_outcome} == by_outcome
    assert len(doc["findings"]) == sum(n for k, n in by_outcome.items() if k != "pass")
    assert all("certainty" in f for f in doc["findings"])
    # one finding per line
    lines = block.split('"findings": [\n', 1)[1].split("\n  ]", 1)[0].splitlines()
    assert [json.loads(line.strip().removesuffix(",")) for line in lines] == doc["findings"]


def test_the_docs_example_has_the_shape_the_command_writes(tmp_path):
    """Values move with the rulesets; the keys may not without the docs."""
    if not EXAMPLE.exists():
        pytest.skip(f"{EXAMPLE} is missing")
    _, doc = _docs_example()
    out = tmp_path / "report.json"
    assert (
        main(
            [
                str(EXAMPLE),
                "--ruleset",
                "national/preschool-2020",
                "--format",
                "json",
                "--output",
                str(out),
                "--fail-on",
                "never",
            ]
        )
        == 0
    )
    fresh = json.loads(out.read_text(encoding="utf-8"))
    assert list(fresh) == list(doc)
    assert list(fresh["summary"]) == list(doc["summary"])
    assert [(r["rule_id"], list(r)) for r in fresh["rules"]] == [
        (r["rule_id"], list(r)) for r in doc["rules"]
    ]
    assert {tuple(f) for f in fresh["findings"]} == {tuple(f) for f in doc["findings"]}
