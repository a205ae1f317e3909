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
    for name, suffix in (("sarif", ".sarif"), ("junit", ".xml"), ("markdown", ".md"),
                         ("html", ".html"), ("xlsx", ".xlsx"), ("jsonl", ".jsonl")):
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
    assert "全部结果" in openpyxl.load_workbook(outputs["xlsx"]).sheetnames
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


def test_every_format_renders_the_full_example(helan_report, reporters):
    """Not golden (the rulesets still grow): every format renders the real run and
    agrees with its summary."""
    import io
    import re
    import xml.etree.ElementTree as ET

    import jsonschema
    import openpyxl

    from supervise_rules.reporters import RenderOptions

    report = helan_report
    out = {name: r.render(report, RenderOptions()) for name, r in reporters.items()}
    jsonschema.Draft4Validator(SCHEMA).validate(json.loads(out["sarif"]))
    assert len(json.loads(out["sarif"])["runs"][0]["results"]) == len(report.findings)
    root = ET.fromstring(out["junit"].encode("utf-8"))
    assert int(root.get("tests")) == len(report.findings)
    assert len(out["jsonl"].splitlines()) == len(report.findings)
    counts = dict(re.findall(r'id="(summary-[a-z-]+)" data-count="(\d+)"', out["html"]))
    waived = sum(1 for f in report.findings if f.is_waived)
    waived_fails = sum(1 for f in report.findings if f.is_waived and f.outcome.value == "fail")
    assert int(counts["summary-fail"]) == report.summary.by_outcome["fail"] - waived_fails
    assert int(counts["summary-pass"]) == report.summary.by_outcome["pass"]
    assert int(counts["summary-waived"]) == waived
    wb = openpyxl.load_workbook(io.BytesIO(out["xlsx"]))
    assert wb["全部结果"].max_row == 1 + len(report.findings)
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
