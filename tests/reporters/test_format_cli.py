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
