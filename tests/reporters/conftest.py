"""Fixtures for the reporter tests: one fixed report and a renderer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from supervise_rules import Report
from supervise_rules.plugins import get_plugin_host
from supervise_rules.reporters import RenderOptions

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "report.json"


def load_fixture_report() -> Report:
    return Report.model_validate_json(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def report() -> Report:
    return load_fixture_report()


@pytest.fixture(scope="session")
def reporters() -> dict:
    return get_plugin_host(entry_points=False).reporters


@pytest.fixture(scope="session")
def render(reporters) -> Callable[..., str | bytes]:
    def _render(name: str, report: Report, **options) -> str | bytes:
        return reporters[name].render(report, RenderOptions(**options))

    return _render
