"""pytest plugin (entry point ``pytest11``): fixtures for rule and plugin authors.

- ``supervise_host``: a fresh plugin host (built-ins + installed plugins).
- ``rule_case``: a callable that checks one :class:`~supervise_rules.testing.RuleCase`.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def supervise_host():
    from supervise_rules.plugins import get_plugin_host

    return get_plugin_host()


@pytest.fixture
def rule_case(supervise_host):
    from supervise_rules.testing import check_case

    def run(case, backend: str = "polars") -> None:
        check_case(case, supervise_host, backend)

    return run
