"""Built-in reporters, contributed through the ``register_reporters`` hook.

Each format is its own module under ``supervise_rules.builtin.report_formats``;
this plugin module only hands them to the host, with ``trylast`` so that a
third-party plugin is asked first (a name clash is still a load error).
"""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..reporters import Reporter
from .report_formats import BUILTIN_REPORTERS
from .report_formats._common import format_value
from .report_formats.table import TableReporter

__all__ = ["TableReporter", "format_value", "register_reporters"]


@hookimpl(trylast=True)
def register_reporters() -> list[Reporter]:
    return [cls() for cls in BUILTIN_REPORTERS]
