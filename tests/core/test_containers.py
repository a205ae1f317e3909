"""The same submission in every container gives the same report, byte for byte,
apart from where it came from (``submission.source`` and the file encodings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import supervise_rules as sr

VARIANTS = ["helan-2024-xlsx/helan-2024.xlsx", "helan-2024-gb18030", "helan-2024-json/helan-2024.json"]


@pytest.fixture(scope="module")
def host():
    return sr.get_plugin_host(entry_points=False)


def normalized(report: sr.Report) -> str:
    data = report.to_json_dict()
    data["submission"].pop("source")
    data["submission"].pop("encoding", None)
    return json.dumps(data, ensure_ascii=False, indent=2)


@pytest.fixture(scope="module")
def reference(host):
    examples = Path(__file__).resolve().parents[2] / "examples"
    return normalized(sr.check(examples / "helan-2024", "helan-2024", host=host))


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_gives_the_same_report(host, examples, reference, variant):
    report = sr.check(examples / variant, "helan-2024", host=host)
    assert normalized(report) == reference


def test_in_memory_objects_give_the_same_report(host, examples, reference):
    document = json.loads((examples / VARIANTS[2]).read_text(encoding="utf-8"))
    assert normalized(sr.check(document, "helan-2024", host=host)) == reference


def test_gb18030_encoding_is_reported(host, examples):
    report = sr.check(examples / "helan-2024-gb18030", "helan-2024", host=host)
    assert set(report.submission.encoding.values()) == {"gb18030"}
