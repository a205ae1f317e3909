"""pytest plugin (entry point ``pytest11``): fixtures for rule and plugin authors.

- ``supervise_plugins``: extra plugin modules for ``supervise_host`` (default
  none); override it in a ``conftest.py`` to test your own plugin.
- ``supervise_host_factory``: a callable building a fresh plugin host,
  ``supervise_host_factory(plugins=["my_plugin"], entry_points=True, builtins=True)``.
- ``supervise_host``: a fresh plugin host for each test (built-ins, installed
  plugins and ``supervise_plugins``).
- ``rule_case``: a callable that checks one :class:`~supervise_rules.testing.RuleCase`
  against ``supervise_host`` and fails with the actual findings as YAML.

A plugin's ``tests/conftest.py`` needs only::

    import pytest

    @pytest.fixture
    def supervise_plugins():
        return ["my_plugin"]          # the module with your hookimpls
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from supervise_rules.plugins import PluginHost
    from supervise_rules.testing import RuleCase


@pytest.fixture
def supervise_plugins() -> list[str | ModuleType | object]:
    """Extra plugin modules (dotted names, modules or objects) for ``supervise_host``."""
    return []


@pytest.fixture
def supervise_host_factory() -> Callable[..., PluginHost]:
    """Build fresh plugin hosts; each call is independent of every other."""
    from supervise_rules.plugins import get_plugin_host

    def make(
        plugins: Iterable[str | ModuleType | object] = (),
        *,
        entry_points: bool = True,
        builtins: bool = True,
    ) -> PluginHost:
        return get_plugin_host(list(plugins), entry_points=entry_points, builtins=builtins)

    return make


@pytest.fixture
def supervise_host(
    supervise_host_factory: Callable[..., PluginHost], supervise_plugins: list[str | ModuleType | object]
) -> PluginHost:
    """A fresh plugin host per test: built-ins, installed plugins, ``supervise_plugins``."""
    return supervise_host_factory(supervise_plugins)


@pytest.fixture
def rule_case(supervise_host: PluginHost) -> Callable[..., None]:
    """``rule_case(case, backend="polars")`` checks one YAML case on ``supervise_host``."""
    from supervise_rules.testing import check_case

    def run(case: RuleCase, backend: str = "polars") -> None:
        __tracebackhide__ = True
        check_case(case, supervise_host, backend)

    return run
