"""Apply a ruleset to a submission and build the report.

The engine knows nothing about specific rules. For each enabled rule it looks
up the validator by name in the plugin host and runs it; a validator returns
lazy result frames (API 2) or finding objects (API 1). The frames of all rules
are then collected together — one ``polars.collect_all`` for the polars
backend, so scans and shared sub-expressions are computed once — and turned
into the columnar findings store. A validator that raises, returns something
malformed, or whose frame fails to collect becomes one ``error`` finding
naming the rule and the plugin that provided the validator; the run goes on.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import narwhals as nw
import polars as pl

from .models import Finding, LocalizedText, Outcome, RulesetInfo, SubjectType, SubmissionInfo, ToolInfo
from .report import Report
from .rulesets import ResolvedRule, Ruleset, load_ruleset
from .store import EvidenceColumn, FindingStore, Part, RuleMeta, clean_series, parts_from_findings
from .submission import Submission
from .tables import TABLES, plugin_tables
from .validators import EvidenceSpec, FrameProvider, Rows, RuleContext, RuleResult

if TYPE_CHECKING:
    from .plugins import PluginHost

ProgressCallback = Callable[[ResolvedRule, int, int], None]

_OUTCOMES = frozenset(o.value for o in Outcome)
_SUBJECT_TYPES = frozenset(get_args(SubjectType))


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
        Load the host and the ruleset once and pass them in when checking many
        submissions: building them costs more than checking a county.
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
    total = len(ruleset.rules)
    # validators see the plugins' tables (register_tables)
    with plugin_tables(getattr(host, "tables", {})):
        runs = []
        for i, rule in enumerate(ruleset.rules):
            if progress is not None:
                progress(rule, i, total)
            runs.append(_start(rule, submission, frames, host))
        collected = _collect_all([lf for run in runs for lf in run.lazy_frames()])
        parts: list[Part] = parts_from_findings(submission.problems) if submission.problems else []
        for run in runs:
            parts += run.finish(collected)
    return Report.from_store(
        tool=ToolInfo(version=_version()),
        ruleset=RulesetInfo(id=ruleset.id, version=ruleset.version, title=ruleset.title.zh),
        submission=submission_info(submission),
        rules_run=total,
        store=FindingStore(parts),
    )


# --- one rule ----------------------------------------------------------------------------


@dataclass
class _Run:
    """One rule between running its validator and building its findings."""

    ctx: RuleContext
    plugin: str | None
    results: list[RuleResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: Finding | None = None

    def lazy_frames(self) -> Iterable[Any]:
        for result in self.results:
            yield result.frame
            for spec in result.evidence or ():
                if isinstance(spec.rows, Rows):
                    yield spec.rows.frame

    def finish(self, collected: dict[int, pl.DataFrame | BaseException]) -> list[Part]:
        """This rule's parts, or one error part when a frame failed to collect or
        does not follow the result-frame contract."""
        if self.error is not None:
            return parts_from_findings([self.error])
        try:
            parts = [build_part(self.ctx, r, collected) for r in self.results]
            parts += parts_from_findings(self.findings, _meta(self.ctx.rule)) if self.findings else []
        except Exception as exc:  # the frame of one rule must not abort the others
            return parts_from_findings([_crash(self.ctx, self.plugin, exc, "result frame")])
        return [p for p in parts if p.frame.height]


def _start(rule: ResolvedRule, submission: Submission, frames: FrameProvider,
           host: PluginHost) -> _Run:
    validator_cls = host.validators[rule.rule.validator]
    plugin = host.plugin_of("validators", rule.rule.validator)
    ctx = RuleContext(rule, submission, frames, plugin=plugin)
    run = _Run(ctx=ctx, plugin=plugin)
    try:
        out = validator_cls().check(ctx)
        items = [out] if isinstance(out, RuleResult) else list(out)
    except Exception as exc:  # a validator's bug must not abort the whole run
        run.error = _crash(ctx, plugin, exc, "validator")
        return run
    for item in items:
        if isinstance(item, RuleResult):
            run.results.append(item)
        elif isinstance(item, Finding):
            run.findings.append(item)
        else:
            run.error = _plugin_error(
                ctx, plugin,
                zh=f"规则 {rule.id} 的校验器（插件 {plugin}）返回了非 RuleResult/Finding 对象",
                en=f"Rule {rule.id}: validator from plugin {plugin} returned "
                f"{type(item).__name__}, not RuleResult or Finding",
            )
            run.results, run.findings = [], []
            break
    return run


def run_rule(
    rule: ResolvedRule, submission: Submission, frames: FrameProvider, host: PluginHost
) -> list[Finding]:
    """Run one rule on its own and return its findings as objects."""
    run = _start(rule, submission, frames, host)
    collected = _collect_all(list(run.lazy_frames()))
    store = FindingStore(run.finish(collected))
    return list(store.findings(include_passes=True))


def findings_of(ctx: RuleContext, result: RuleResult) -> list[Finding]:
    """The findings of one result as objects (API 1's ``findings_from``)."""
    collected = _collect_all([result.frame])
    store = FindingStore([build_part(ctx, result, collected)])
    return list(store.findings(include_passes=True))


def _crash(ctx: RuleContext, plugin: str | None, exc: BaseException, what: str) -> Finding:
    where = traceback.extract_tb(exc.__traceback__)
    loc = f" ({Path(where[-1].filename).name}:{where[-1].lineno})" if where else ""
    detail = f"{type(exc).__name__}: {exc}{loc}"
    rule = ctx.rule
    zh_what = "校验器" if what == "validator" else "结果表"
    return _plugin_error(
        ctx, plugin,
        zh=f"规则 {rule.id} 的{zh_what} {rule.rule.validator!r}（插件 {plugin}）运行出错：{detail}",
        en=f"Rule {rule.id}: {what} of validator {rule.rule.validator!r} from plugin {plugin} "
        f"raised {detail}",
    )


def _plugin_error(ctx: RuleContext, plugin: str | None, *, zh: str, en: str) -> Finding:
    """The ``error`` finding that stands for a rule whose validator misbehaved."""
    finding = ctx.finding(
        outcome=Outcome.error,
        subject=ctx.submission_subject(),
        message=LocalizedText(zh=zh, en=en),
    )
    return finding.model_copy(update={"plugin": plugin})


def _meta(rule: ResolvedRule) -> RuleMeta:
    return RuleMeta(rule_id=rule.id, title=rule.title, severity=rule.severity,
                    work_point=rule.rule.work_point, certainty=rule.rule.certainty,
                    source=rule.rule.source)


# --- collecting -----------------------------------------------------------------------


def _collect_all(frames: list[Any]) -> dict[int, pl.DataFrame | BaseException]:
    """Every frame as an eager polars DataFrame, keyed by ``id(frame)``.

    Polars lazy frames are collected together (``collect_all``: common scans and
    sub-plans run once); if that fails, each is collected on its own so that the
    failure is pinned on its rule and the others still count. Other backends'
    frames are collected one by one.
    """
    out: dict[int, pl.DataFrame | BaseException] = {}
    lazy: list[tuple[int, pl.LazyFrame]] = []
    for frame in frames:
        key = id(frame)
        if key in out:
            continue
        try:
            native = _polars_lazy(frame)
            if native is None:
                out[key] = _to_polars(frame)
            else:
                lazy.append((key, native))
        except Exception as exc:  # recorded against the rule that made it
            out[key] = exc
    if lazy:
        try:
            results = pl.collect_all([lf for _, lf in lazy])
            out.update({key: df for (key, _), df in zip(lazy, results, strict=True)})
        except Exception:
            for key, lf in lazy:
                try:
                    out[key] = lf.collect()
                except Exception as exc:
                    out[key] = exc
    return out


def _polars_lazy(frame: Any) -> pl.LazyFrame | None:
    if isinstance(frame, pl.LazyFrame):
        return frame
    if isinstance(frame, nw.LazyFrame):
        native = nw.to_native(frame)
        if isinstance(native, pl.LazyFrame):
            return native
    return None


def _to_polars(frame: Any) -> pl.DataFrame:
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect(backend="polars")
    if isinstance(frame, nw.DataFrame):
        native = nw.to_native(frame)
        return native if isinstance(native, pl.DataFrame) else frame.to_polars()
    raise TypeError(f"a result frame must be a narwhals or polars frame, not {type(frame).__name__}")


def _collected(collected: dict[int, pl.DataFrame | BaseException], frame: Any) -> pl.DataFrame:
    value = collected.get(id(frame))
    if value is None:
        value = _collect_all([frame])[id(frame)]
    if isinstance(value, BaseException):
        raise value
    return value


# --- result frame -> part ---------------------------------------------------------------


def build_part(ctx: RuleContext, result: RuleResult,
               collected: dict[int, pl.DataFrame | BaseException]) -> Part:
    """The findings of one result frame, as a store part (see ``store.Part``)."""
    df = _collected(collected, result.frame)
    spec = TABLES.get(result.table)
    if "outcome" not in df.columns or "subject_id" not in df.columns:
        missing = [c for c in ("outcome", "subject_id") if c not in df.columns]
        raise ValueError(f"the result frame has no {', '.join(missing)} column")
    n = df.height
    outcome = df["outcome"].cast(pl.String)
    bad = set(outcome.drop_nulls().unique().to_list()) - _OUTCOMES
    if bad or outcome.null_count():
        shown = sorted(bad)[0] if bad else None
        raise ValueError(f"the result frame has outcome {shown!r}; expected one of "
                         f"{', '.join(sorted(_OUTCOMES))}")
    stype = result.subject_type or (spec.subject_type if spec else "submission")
    if "subject_type" in df.columns:
        types = df["subject_type"].cast(pl.String).fill_null(stype)
    else:
        types = pl.Series([stype] * n, dtype=pl.String)
    unknown = set(types.unique().to_list()) - _SUBJECT_TYPES
    if unknown:
        raise ValueError(f"unknown subject type {sorted(unknown)[0]!r}")
    subject_id = df["subject_id"].cast(pl.String)
    subject_name = df["subject_name"].cast(pl.String) if "subject_name" in df.columns else \
        pl.Series([None] * n, dtype=pl.String)
    if result.aggregate and stype == "county":
        county = ctx.county_subject()
        subject_id = pl.Series([county.id] * n, dtype=pl.String)
        subject_name = pl.Series([county.name] * n, dtype=pl.String)

    observed = df["observed"] if "observed" in df.columns else pl.Series([None] * n)
    required = df["required"] if "required" in df.columns else pl.Series([None] * n)
    if result.threshold is not None:
        threshold = pl.Series([result.threshold] * n)
        if required.dtype == pl.Null:
            required = threshold
        elif required.null_count():
            required = pl.DataFrame({"r": required, "t": threshold}).select(
                pl.coalesce("r", pl.col("t").cast(required.dtype, strict=False))).to_series()
    required = clean_series(required)
    op = df["op"].cast(pl.String) if "op" in df.columns else pl.Series([None] * n, dtype=pl.String)
    if result.op is not None:
        op = op.fill_null(result.op)

    frame = pl.DataFrame({
        "outcome": outcome, "subject_type": types, "subject_id": subject_id,
        "subject_name": subject_name, "observed": observed, "required_value": required,
        "required_op": op,
    })
    keep = [c for c in ("error_column", "error_kind", "message_zh", "message_en", "row", "rows",
                        *result.values) if c in df.columns]
    keep += [c for c in df.columns if c.startswith("_rows")]
    frame = frame.hstack([df[c].cast(pl.String) if c.startswith(("error_", "message_"))
                          else df[c] for c in dict.fromkeys(keep)])

    default_rows = "rows" if "rows" in df.columns else "row" if "row" in df.columns else None
    specs = list(result.evidence) if result.evidence is not None else [
        EvidenceSpec(result.table, list(result.columns), default_rows)]
    evidence = []
    for i, e in enumerate(specs):
        rows = e.rows
        if isinstance(rows, Rows):
            long = _collected(collected, rows.frame)
            column = f"_evidence{i}"
            lists = long.group_by([*rows.on]).agg(
                pl.col(rows.row).cast(pl.Int64).unique().sort().alias(column))
            joined = df.select(*rows.on).with_row_index("_i").join(
                lists, on=list(rows.on), how="left", nulls_equal=True).sort("_i")
            frame = frame.with_columns(joined[column])
            rows = column
        evidence.append(EvidenceColumn(e.table, tuple(e.columns), rows))
    for i, e in enumerate(result.extra_evidence):
        column = None
        if e.rows is not None:  # rows fixed by the validator, the same for every finding
            column = f"_extra{i}"
            frame = frame.with_columns(pl.Series(column, [list(e.rows)] * n,
                                                 dtype=pl.List(pl.Int64)))
        evidence.append(EvidenceColumn(e.table, tuple(e.columns), column))

    templates = result.messages or LocalizedText(zh=ctx.rule.rule.message.zh,
                                                 en=ctx.rule.rule.message.en)
    return Part(
        rule=_meta(ctx.rule), frame=frame, table=result.table, unit=result.unit,
        evidence=tuple(evidence), templates=templates, values=tuple(result.values),
        column_zh={c: s.zh for c, s in spec.columns.items()} if spec else {},
        table_zh=spec.zh if spec else None,
    )


def submission_info(submission: Submission) -> SubmissionInfo:
    m = submission.manifest
    return SubmissionInfo(
        county_code=m.county_code,
        county_name=m.county_name,
        region_code=m.region_code,
        region_name=m.region_name,
        year=m.year,
        as_of=m.as_of,
        source=submission.source,
        encoding=dict(sorted(submission.encodings.items())) or None,
    )


def _version() -> str:
    from . import __version__

    return __version__
