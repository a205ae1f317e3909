"""supervise-rules: check education-supervision submissions against rulesets.

Public API (everything a library user or plugin author may import)::

    import supervise_rules as sr
    report = sr.check("examples/helan-2024", "helan-2024")
    print(report.summary.by_outcome)
"""

from __future__ import annotations

from typing import Any

from .api import Checker, check, follow_up, load_ruleset, load_submission
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
    Required,
    RuleEntry,
    Severity,
    Subject,
)
from .plugins import API_VERSION, PluginHost, PluginInfo, PluginLoadError, get_plugin_host
from .readers.base import RawTable, Reader
from .report import Report
from .reporters import RenderOptions, Reporter
from .rulesets import ResolvedRule, Ruleset, RulesetSource, discover_rulesets
from .submission import ROW, Submission, Table
from .tables import ColumnSpec, TableAliases, TableSpec, col, table_spec
from .validators import RESULT_COLUMNS, EvidenceSpec, Params, Rows, RuleContext, RuleResult, Validator


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from ._version import installed_version

        return installed_version()
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
    "RuleEntry",
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
