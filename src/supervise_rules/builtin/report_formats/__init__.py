"""The built-in output formats, one module each.

``supervise_rules.builtin.reporters`` contributes them through the
``register_reporters`` hook, the same door a third-party reporter uses.
Shared wording and grouping live in ``_common``.
"""

from __future__ import annotations

from .html import HtmlReporter
from .json import JsonReporter
from .jsonl import JsonlReporter
from .junit import JunitReporter
from .markdown import MarkdownReporter
from .sarif import SarifReporter
from .table import TableReporter
from .xlsx import XlsxReporter

BUILTIN_REPORTERS = (
    TableReporter,
    JsonReporter,
    JsonlReporter,
    SarifReporter,
    JunitReporter,
    MarkdownReporter,
    HtmlReporter,
    XlsxReporter,
)

__all__ = [
    "BUILTIN_REPORTERS",
    "HtmlReporter",
    "JsonReporter",
    "JsonlReporter",
    "JunitReporter",
    "MarkdownReporter",
    "SarifReporter",
    "TableReporter",
    "XlsxReporter",
]
