"""The built-in output formats, one module each.

``supervise_rules.builtin.reporters`` contributes them through the
``register_reporters`` hook, the same door a third-party reporter uses.
Shared wording and grouping live in ``_common``.

A run uses one format, so nothing here imports the format modules: the table
(rich), xlsx (xlsxwriter) … are imported when they are used. ``from
supervise_rules.builtin.report_formats import HtmlReporter`` still works.
"""

from __future__ import annotations

from typing import Any

#: ``--format`` name -> ``module:class``, in the order ``supervise-check plugins`` lists them
BUILTIN_FORMATS: dict[str, str] = {
    "table": "table:TableReporter",
    "json": "json:JsonReporter",
    "jsonl": "jsonl:JsonlReporter",
    "sarif": "sarif:SarifReporter",
    "junit": "junit:JunitReporter",
    "markdown": "markdown:MarkdownReporter",
    "html": "html:HtmlReporter",
    "xlsx": "xlsx:XlsxReporter",
    "pdf": "pdf:PdfReporter",
    "concise": "concise:ConciseReporter",
    "github": "github:GithubReporter",
}

_CLASSES = {target.partition(":")[2]: target.partition(":")[0] for target in BUILTIN_FORMATS.values()}


def target(name: str) -> str:
    """The importable ``package.module:Class`` of the built-in format ``name``."""
    module, _, cls = BUILTIN_FORMATS[name].partition(":")
    return f"{__name__}.{module}:{cls}"


def __getattr__(name: str) -> Any:
    import importlib

    if name in _CLASSES:
        return getattr(importlib.import_module(f".{_CLASSES[name]}", __name__), name)
    if name == "BUILTIN_REPORTERS":  # the classes themselves (imports every format)
        return tuple(__getattr__(cls) for cls in _CLASSES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUILTIN_FORMATS",
    "BUILTIN_REPORTERS",
    "ConciseReporter",
    "GithubReporter",
    "HtmlReporter",  # provided by __getattr__, imported on first use
    "JsonReporter",
    "JsonlReporter",
    "JunitReporter",
    "MarkdownReporter",
    "PdfReporter",
    "SarifReporter",
    "TableReporter",
    "XlsxReporter",
    "target",
]
