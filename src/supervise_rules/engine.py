"""Apply a ruleset to a submission and build the report.

The engine knows nothing about specific rules: for each enabled rule it looks
up the validator by name in the plugin host, runs it, and collects findings. A
validator that raises becomes an ``error`` finding naming the rule and the
plugin that provided the validator; the run goes on.
"""

from __future__ import annotations

import contextlib
import gc
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .models import (
    Finding,
    LocalizedText,
    Outcome,
    Report,
    RulesetInfo,
    SubmissionInfo,
    ToolInfo,
)
from .rulesets import ResolvedRule, Ruleset, load_ruleset
from .submission import Submission
from .tables import plugin_tables
from .validators import FrameProvider, RuleContext

if TYPE_CHECKING:
    from .plugins import PluginHost

ProgressCallback = Callable[[ResolvedRule, int, int], None]


def check(
    submission: Submission | str | Path | dict[str, Any],
    ruleset: Ruleset | str | Path,
    *,
    host: PluginHost | None = None,
    backend: str = "polars",
    progress: ProgressCallback | None = None,
) -> Report:
    """Check a submission against a ruleset and return the report.

    :param submission: a loaded :class:`Submission`, a path (folder, workbook,
        JSON file) or a JSON-shaped dict.
    :param ruleset: a loaded :class:`Ruleset`, a ruleset id or a YAML path.
    :param host: the plugin host (default: built-ins plus installed plugins).
    :param backend: ``polars`` (default) or ``duckdb``: where the column
        expressions run. Findings are identical on both.
    """
    if host is None:
        from .plugins import get_plugin_host

        host = get_plugin_host()
    if not isinstance(ruleset, Ruleset):
        ruleset = load_ruleset(ruleset, host=host)
    if not isinstance(submission, Submission):
        from .readers import load_submission

        submission = load_submission(submission, host=host)

    frames = FrameProvider(submission, backend)
    findings: list[Finding] = list(submission.problems)
    total = len(ruleset.rules)
    # validators see the plugins' tables (register_tables)
    with plugin_tables(getattr(host, "tables", {})), _collector_paused():
        for i, rule in enumerate(ruleset.rules):
            if progress is not None:
                progress(rule, i, total)
            findings.extend(run_rule(rule, submission, frames, host))
        return Report.build(
            tool=ToolInfo(version=_version()),
            ruleset=RulesetInfo(id=ruleset.id, version=ruleset.version, title=ruleset.title.zh),
            submission=submission_info(submission),
            rules_run=total,
            findings=findings,
        )


def run_rule(
    rule: ResolvedRule, submission: Submission, frames: FrameProvider, host: PluginHost
) -> list[Finding]:
    """Run one rule; a crash in its validator becomes an ``error`` finding."""
    validator_cls = host.validators[rule.rule.validator]
    plugin = host.plugin_of("validators", rule.rule.validator)
    ctx = RuleContext(rule, submission, frames, plugin=plugin)
    try:
        findings = list(validator_cls().check(ctx))
    except Exception as exc:  # a validator's bug must not abort the whole run
        where = traceback.extract_tb(exc.__traceback__)[-1]
        detail = f"{type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})"
        return [_plugin_error(
            ctx, plugin,
            zh=f"规则 {rule.id} 的校验器 {rule.rule.validator!r}（插件 {plugin}）运行出错：{detail}",
            en=f"Rule {rule.id}: validator {rule.rule.validator!r} from plugin {plugin} raised {detail}",
        )]
    wrong = next((f for f in findings if not isinstance(f, Finding)), None)
    if wrong is not None:
        return [_plugin_error(
            ctx, plugin,
            zh=f"规则 {rule.id} 的校验器（插件 {plugin}）返回了非 Finding 对象",
            en=f"Rule {rule.id}: validator from plugin {plugin} returned "
            f"{type(wrong).__name__}, not Finding",
        )]
    return findings


def _plugin_error(ctx: RuleContext, plugin: str | None, *, zh: str, en: str) -> Finding:
    """The ``error`` finding that stands for a rule whose validator misbehaved."""
    finding = ctx.finding(
        outcome=Outcome.error,
        subject=ctx.submission_subject(),
        message=LocalizedText(zh=zh, en=en),
    )
    return finding.model_copy(update={"plugin": plugin})


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while findings are built.

    A large report holds millions of small acyclic objects; with the collector
    on, its full passes over them cost more than building them. It is switched
    back on (if it was on) when the rules have run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def submission_info(submission: Submission) -> SubmissionInfo:
    m = submission.manifest
    return SubmissionInfo(
        county_code=m.county_code,
        county_name=m.county_name,
        year=m.year,
        as_of=m.as_of,
        source=submission.source,
        encoding=dict(sorted(submission.encodings.items())) or None,
    )


def _version() -> str:
    from . import __version__

    return __version__
