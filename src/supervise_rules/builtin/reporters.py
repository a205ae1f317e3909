"""Built-in reporters, contributed through the ``register_reporters`` hook.

Each format is its own module under ``supervise_rules.builtin.report_formats``;
this plugin module only hands them to the host (a third-party format with the
same name is a load error, whatever the order). Each is a
:class:`~supervise_rules.reporters.LazyReporter`: its module is imported when
the format is used, not on every run.
"""

from __future__ import annotations

from typing import Any

from supervise_rules import Reporter, hookimpl

from ..reporters import LazyReporter
from .report_formats import BUILTIN_FORMATS, target

__all__ = ["TableReporter", "format_value", "register_reporters"]  # noqa: F822  (lazy, below)


@hookimpl
def register_reporters() -> list[Reporter]:
    return [LazyReporter(name, target(name)) for name in BUILTIN_FORMATS]


def __getattr__(name: str) -> Any:
    # kept importable from here for existing callers, without importing rich at startup
    if name == "TableReporter":
        from .report_formats.table import TableReporter

        return TableReporter
    if name == "format_value":
        from supervise_rules.values import format_value

        return format_value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
