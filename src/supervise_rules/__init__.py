"""supervise-rules: check education-supervision submissions against rulesets.

Public API (everything a library user or plugin author may import)::

    import supervise_rules as sr
    report = sr.check("examples/helan-2024", "helan-2024")
    print(report.summary.by_outcome)
"""

from __future__ import annotations

from typing import Any

from .api import Checker, check, follow_up
from .backends import Backend, BackendUnavailable, DuckDBBackend, SparkBackend
from .errors import (
    ExpressionError,
    PluginError,
    RulesetError,
    SubmissionError,
    SuperviseRulesError,
)
from .expressions import compile_expression
from .hookspecs import hookimpl
from .limits import Limits
from .models import (
    Evidence,
    Finding,
    LocalizedText,
    Outcome,
    Report,
    Required,
    Severity,
    Subject,
)
from .plugins import API_VERSION, PluginHost, PluginInfo, PluginLoadError, get_plugin_host
from .readers.base import RawTable, Reader
from .reporters import RenderOptions, Reporter
from .rulesets import ResolvedRule, Ruleset, RulesetSource, discover_rulesets, load_ruleset
from .submission import ROW, Submission, Table
from .tables import ColumnSpec, TableAliases, TableSpec, col, table_spec
from .validators import RESULT_COLUMNS, EvidenceSpec, Params, Rows, RuleContext, RuleResult, Validator


def load_submission(
    source: Any,
    *,
    host: PluginHost | None = None,
    follow_symlinks: bool = False,
    limits: Limits | None = None,
) -> Submission:
    """Load a submission from a folder, workbook, JSON file or JSON-shaped dict
    (a folder's file linking outside the folder only with ``follow_symlinks``;
    every file within ``limits``, see :class:`Limits`)."""
    from .readers import load_submission as _load

    return _load(source, host=host, follow_symlinks=follow_symlinks, limits=limits)


def __getattr__(name: str) -> Any:
    # The version comes from the installed metadata, so there is no file to keep in sync.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("supervise-rules")
        except PackageNotFoundError:  # running from a source tree without install
            return "0.0.0+unknown"
    raise AttributeError(name)


__all__ = [
    "API_VERSION",
    "RESULT_COLUMNS",
    "ROW",
    "Backend",
    "BackendUnavailable",
    "Checker",
    "ColumnSpec",
    "DuckDBBackend",
    "Evidence",
    "EvidenceSpec",
    "ExpressionError",
    "Finding",
    "Limits",
    "LocalizedText",
    "Outcome",
    "Params",
    "PluginError",
    "PluginHost",
    "PluginInfo",
    "PluginLoadError",
    "RawTable",
    "Reader",
    "RenderOptions",
    "Report",
    "Reporter",
    "Required",
    "ResolvedRule",
    "Rows",
    "RuleContext",
    "RuleResult",
    "Ruleset",
    "RulesetError",
    "RulesetSource",
    "Severity",
    "SparkBackend",
    "Subject",
    "Submission",
    "SubmissionError",
    "SuperviseRulesError",
    "Table",
    "TableAliases",
    "TableSpec",
    "Validator",
    "check",
    "col",
    "compile_expression",
    "discover_rulesets",
    "follow_up",
    "get_plugin_host",
    "hookimpl",
    "load_ruleset",
    "load_submission",
    "table_spec",
]
