"""The same submission in every container gives the same report, byte for byte,
apart from where it came from (``submission.source`` and the file encodings).

The example folders hold a README.md documenting the example, which a folder
submission lists as a file not read (READ-14, info); the comparison is made on
the submissions without it, and one test checks that it adds exactly that notice."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

import supervise_rules as sr

VARIANTS = ["helan-2024-xlsx/helan-2024.xlsx", "helan-2024-gb18030", "helan-2024-json/helan-2024.json"]


@pytest.fixture(scope="module")
def host():
    return sr.get_plugin_host(entry_points=False)


#: where the clerk finds a finding: the file, sheet, line and cell differ by container
_WHERE = ("file", "sheet", "lines", "headers", "cells")
_WHERE_ZH = re.compile(r"（[^（）]*第 [0-9、]+ (?:行|条记录)[^（）]*）$")
_WHERE_EN = re.compile(r" \([^()]*, (?:lines?|rows?|records?) [0-9, ]+(?:, cells? [^()]*)?\)$")


def normalized(report: sr.Report) -> str:
    data = report.to_json_dict()
    data["submission"].pop("source")
    data["submission"].pop("encoding", None)
    data["submission"].pop("files", None)  # the container's own files and digests
    for finding in data["findings"]:
        for entry in finding["evidence"]:
            for key in _WHERE:
                entry.pop(key, None)
        message = finding["message"]
        message["zh"] = _WHERE_ZH.sub("", message["zh"])
        message["en"] = _WHERE_EN.sub("", message["en"])
    return json.dumps(data, ensure_ascii=False, indent=2)


def test_findings_say_where_the_clerk_finds_them(host, bare):
    """…and where differs: the workbook's sheet row, the CSV's line, the JSON's record."""

    def where(variant):
        report = sr.check(bare(variant), "helan-2024", host=host)
        f = next(f for f in report.findings if f.rule_id == "BAL-05")
        return f.evidence[0], f.message.zh

    csv_e, csv_zh = where("helan-2024")
    assert csv_zh.endswith(f"（schools.csv 第 {csv_e.lines[0]} 行，单元格 {csv_e.cells[0]}）")
    xlsx_e, xlsx_zh = where("helan-2024-xlsx/helan-2024.xlsx")
    json_e, json_zh = where("helan-2024-json/helan-2024.json")
    assert csv_e.rows == xlsx_e.rows == json_e.rows
    assert (csv_e.file, csv_e.sheet, csv_e.lines) == ("schools.csv", None, [csv_e.rows[0] + 1])
    assert (xlsx_e.file, xlsx_e.sheet) == ("helan-2024.xlsx", "学校")
    assert xlsx_e.lines == [xlsx_e.rows[0] + 2]  # a merged title row above the header
    assert xlsx_zh.endswith(
        f"（helan-2024.xlsx 工作表「学校」第 {xlsx_e.lines[0]} 行，单元格 {xlsx_e.cells[0]}）"
    )
    assert json_e.lines is None and json_zh.endswith(f"第 {json_e.rows[0]} 条记录）")


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """``bare(variant)``: the example's submission, a folder without its README.md."""

    def _bare(variant: str) -> Path:
        source = EXAMPLES / variant
        if source.is_file():
            return source
        target = tmp_path_factory.mktemp("bare") / source.name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("README.md"))
        return target

    return _bare


@pytest.fixture(scope="module")
def reference(host, bare):
    return normalized(sr.check(bare("helan-2024"), "helan-2024", host=host))


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_gives_the_same_report(host, bare, reference, variant):
    report = sr.check(bare(variant), "helan-2024", host=host)
    assert normalized(report) == reference


def test_the_readme_of_a_folder_is_one_info_notice(host, bare):
    with_readme = sr.check(EXAMPLES / "helan-2024", "helan-2024", host=host)
    without = sr.check(bare("helan-2024"), "helan-2024", host=host)
    extra = [f for f in with_readme.findings if f not in without.findings]
    assert [(f.rule_id, f.severity.value, f.evidence[0].table) for f in extra] == [
        ("READ-14", "info", "README.md")
    ]
    assert len(with_readme.findings) == len(without.findings) + 1


def test_in_memory_objects_give_the_same_report(host, examples, reference):
    document = json.loads((examples / VARIANTS[2]).read_text(encoding="utf-8"))
    assert normalized(sr.check(document, "helan-2024", host=host)) == reference


def test_gb18030_encoding_is_reported(host, examples):
    report = sr.check(examples / "helan-2024-gb18030", "helan-2024", host=host)
    assert set(report.submission.encoding.values()) == {"gb18030"}
