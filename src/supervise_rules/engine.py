"""Apply a ruleset to a submission and build the report.

The engine knows nothing about specific rules. For each enabled rule it looks
up the validator by name in the plugin host and runs it; a validator returns
lazy result frames (API 2) or finding objects (API 1). Each result becomes two
polars queries on one plan — its listed (non-pass) findings and its counts —
collected a few rules per ``polars.collect_all`` batch, so that a result is
evaluated once and its passes are never materialized unless they are listed;
the collected frames go into the columnar findings store. A validator that raises, returns something
malformed, or whose frame fails to collect becomes one ``error`` finding
naming the rule and the plugin that provided the validator; the run goes on.
"""

from __future__ import annotations

import contextvars
import functools
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import narwhals as nw
import polars as pl

from .interrupts import check_interrupted, is_users, watch_sigint
from .locations import places_of
from .models import (
    SUBJECT_TYPES,
    Evidence,
    Finding,
    LocalizedText,
    Outcome,
    RulesetInfo,
    SubmissionInfo,
    ToolInfo,
)
from .plugins import plugins_used
from .report import Report
from .rules import named_tables
from .rulesets import ResolvedRule, Ruleset
from .runhooks import call_run_hook
from .selection import chosen_rules, is_selected, read_codes, rule_key, select_rules
from .store import (
    STAT,
    EvidenceColumn,
    FindingStore,
    Part,
    RuleMeta,
    clean_expr,
    collect_all,
    engine_for,
    parts_from_findings,
    stat_columns,
    stats_of,
)
from .submission import Submission
from .tables import TABLES, plugin_tables
from .validators import EvidenceSpec, FrameProvider, Rows, RuleContext, RuleResult

if TYPE_CHECKING:
    from .backends import Backend
    from .plugins import PluginHost

ProgressCallback = Callable[[ResolvedRule, int, int], None]

_OUTCOMES = frozenset(o.value for o in Outcome)
_SUBJECT_TYPES = frozenset(SUBJECT_TYPES)


def check(
    submission: Submission,
    ruleset: Ruleset,
    *,
    host: PluginHost,
    backend: str | Backend = "polars",
    progress: ProgressCallback | None = None,
    select: str | Sequence[str] | None = None,
    ignore: str | Sequence[str] | None = None,
    config: bool | str | Path | None = None,
) -> Report:
    """Check a loaded submission against a loaded ruleset and return the report.

    Loading by path or id, and the default plugin host, belong to the front door
    (:func:`supervise_rules.check`), so that the engine has one way in.

    :param submission: a loaded :class:`Submission`.
    :param ruleset: a loaded :class:`Ruleset`.
    :param host: the plugin host the ruleset was loaded with.
    :param backend: where the column expressions run: a registered backend's
        name (``polars``, the default; ``duckdb``; ``spark``; any a plugin adds
        with ``register_backends``) or a :class:`~supervise_rules.Backend`
        instance, e.g. ``SparkBackend(session=spark)`` with your own
        SparkSession. Findings are identical on every backend.
    :param select: check only the rules these selectors match: rule ids, id
        prefixes (``"BAL"``, ``"INS-0"``), work points (``"wp:7"``),
        severities, ``"ALL"``; a list or one comma-separated string.
    :param ignore: leave out the rules these selectors match.
    :param config: also read ``select``/``ignore`` from a project config
        (``supervise-rules.toml`` or ``[tool.supervise-rules]`` in
        ``pyproject.toml``): ``True`` for the nearest one from the current
        folder, or the folder to start from. The arguments win over the
        submission's manifest, which wins over the config (see
        :mod:`supervise_rules.selection`).
    :raises SuperviseRulesError: a selector that matches no rule.
    """
    if not isinstance(submission, Submission) or not isinstance(ruleset, Ruleset):
        raise TypeError(
            "engine.check takes a loaded Submission and Ruleset: supervise_rules.check loads them"
        )
    backend = _reading_backend(submission, backend)

    selection = chosen_rules(submission, select, ignore, config)
    rules = select_rules(ruleset.rules, selection, read_codes())
    problems = [f for f in submission.problems if is_selected(rule_key(f), selection)]
    frames = FrameProvider(submission, backend, getattr(host, "backends", None))
    frames.engine.open()  # a backend that cannot start says so before any rule runs
    total = len(rules)
    engine = engine_for(sum(_height(t.frame) for t in submission.tables.values()))
    # validators see the plugins' tables (register_tables); a KeyboardInterrupt
    # raised by a validator is its error, the user's Ctrl-C ends the run
    with plugin_tables(getattr(host, "tables", {})), watch_sigint():
        hook_problems = call_run_hook(host, "run_started", submission=submission, ruleset=ruleset)
        collector = _Collector(engine, backend=frames.engine)
        runs = []
        try:
            for i, rule in enumerate(rules):
                if progress is not None:
                    progress(rule, i, total)
                run = _start(rule, submission, frames, host)
                runs.append(run)
                check_interrupted()  # even if the validator swallowed the user's Ctrl-C
                # planned as soon as it is made: the batches collect in the background
                # while the next rules' validators build their plans
                collector.add(run)
            collector.finish()
        finally:
            collector.close()
        parts: list[Part] = parts_from_findings(problems) if problems else []
        for run in runs:
            parts += run.finish()

        used = plugins_used(host, ruleset, submission.tables)
        from .context import report_context

        context = report_context(submission, ruleset)

        def report(extra: list[Finding]) -> Report:
            made = Report.from_store(
                tool=ToolInfo(version=_version(), plugins=used or None),
                ruleset=RulesetInfo(id=ruleset.id, version=ruleset.version, title=ruleset.title.zh),
                submission=submission_info(submission),
                rules_run=total,
                store=FindingStore(
                    parts + (parts_from_findings(extra) if extra else []), engine, places_of(submission)
                ),
            )
            made.context = context
            return made

        finished = report(hook_problems)
        late = call_run_hook(host, "run_finished", submission=submission, ruleset=ruleset, report=finished)
        # a hook that failed on the finished report is in the report it returns
        return report(hook_problems + late) if late else finished


def _reading_backend(submission: Submission, backend: str | Backend) -> str | Backend:
    """The backend that read the submission's tables where they live, when the
    run is on it (by name): its connection holds their relations."""
    reader = getattr(submission, "_backend", None)
    if reader is not None and isinstance(backend, str) and reader.name == backend:
        found: Backend = reader
        return found
    return backend


# --- one rule ----------------------------------------------------------------------------


@dataclass
class _Pending:
    """One result on its way to the store: the lazy frames of its listed findings
    (in the store's columns) and of its counts, and what the batch returns."""

    result: RuleResult
    listed: pl.LazyFrame
    counts: pl.LazyFrame
    part: Part
    collected: tuple[pl.DataFrame, pl.DataFrame] | None = None

    def targets(self) -> list[pl.LazyFrame]:
        # the passes are not collected: they are counted, and listed only on request
        return [self.listed, self.counts]


@dataclass
class _Run:
    """One rule between running its validator and building its findings."""

    ctx: RuleContext
    plugin: str | None
    results: list[RuleResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    error: Finding | None = None
    pending: list[_Pending] = field(default_factory=list)

    def foreign(self) -> list[Any]:
        """The frames of this rule's results that are not polars (another
        backend's result frames and evidence rows), each once: what the backend
        must compute and bring into polars before the results can be planned."""
        if self.error is not None:
            return []
        frames: dict[int, Any] = {}
        for result in self.results:
            wanted = [result.frame]
            wanted += [e.rows.frame for e in result.evidence or () if isinstance(e.rows, Rows)]
            for frame in wanted:
                if not _is_polars(frame):
                    frames.setdefault(id(frame), frame)
        return list(frames.values())

    def prepare(self, fetched: dict[int, pl.DataFrame] | None = None) -> None:
        """Each result as a lazy frame in the store's columns (nothing runs yet);
        ``fetched`` holds what the backend computed of its frames, by ``id``."""
        if self.error is not None:
            return
        try:
            self.pending = [_pending(self.ctx, r, fetched=fetched) for r in self.results]
        except BaseException as exc:  # a result that cannot even be planned
            _reraise_users(exc)
            self._fail(exc)

    def targets(self) -> list[pl.LazyFrame]:
        return [t for p in self.pending for t in p.targets()]

    def take(self, collected: list[pl.DataFrame]) -> None:
        for i, pending in enumerate(self.pending):
            pending.collected = (collected[2 * i], collected[2 * i + 1])

    def _fail(self, exc: BaseException) -> None:
        self.error = _crash(self.ctx, self.plugin, exc, "result frame")
        self.pending = []

    def finish(self) -> list[Part]:
        """This rule's parts, or one error part when a frame failed to collect or
        does not follow the result-frame contract."""
        if self.error is None:
            try:
                parts = [_finished(p) for p in self.pending]
                if self.findings:
                    parts += parts_from_findings(self.findings, _meta(self.ctx.rule))
                parts = [p for p in parts if p.stats is not None and p.stats.height]
                # a rule that ran says so: never silently absent from the report
                return parts or parts_from_findings([_nothing_to_check(self.ctx)], _meta(self.ctx.rule))
            except BaseException as exc:  # the frame of one rule must not abort the others
                _reraise_users(exc)
                self._fail(exc)
        assert self.error is not None
        return parts_from_findings([self.error])


def _nothing_to_check(ctx: RuleContext) -> Finding:
    """The finding of a rule that found no subject to check in the submission
    (no open case, no teaching point …): not applicable, and said so."""
    from .tables import TABLES

    tables = [t for t in TABLES if t in named_tables(ctx.rule.params, TABLES)]
    return ctx.finding(
        outcome=Outcome.not_applicable,
        subject=ctx.submission_subject(),
        message=LocalizedText(
            zh="提交数据中没有本规则适用的对象，本规则没有检查结果",
            en="The submission holds nothing this rule applies to, so it has no result",
        ),
        evidence=[Evidence(table=t, rows=None, columns=[]) for t in tables],
    )


#: Queries per ``collect_all`` batch. A rule's queries always share a batch (its
#: listed rows and its counts read the same plan, which the batch computes once).
#: Measured at 100k school rows on 2 cores: batches of ~8 queries take 1.6 s,
#: one batch of all ~400 takes 3.5 s (optimising and scheduling one huge plan
#: costs more than the scans it shares), one query at a time 2.2 s.
BATCH_QUERIES = 8


def _collect_runs(runs: list[_Run], engine: Any = "auto", backend: Backend | None = None) -> None:
    """Collect every rule's listed findings and counts, a few rules per polars
    ``collect_all`` batch. If a batch fails, each of its rules is collected on
    its own, so that the failure is pinned on its rule and the others count."""
    collector = _Collector(engine, backend=backend, background=False)
    for run in runs:
        collector.add(run)
    collector.finish()


class _Collector:
    """Groups runs into batches: first, for a backend other than polars, the
    rules' result frames go to :meth:`Backend.collect` many rules at once (an
    engine such as Spark pays a fixed cost per query, so the number of queries
    must not grow with the rules); then the results, now polars, are planned into
    the store's columns and collected in ``collect_all`` batches, each in one
    background thread while the caller goes on planning the next rules.

    polars releases the GIL while it collects, so the validators' Python (building
    narwhals expressions, ~half of a county's run) and the collects of the batches
    before them overlap instead of adding up. At most one batch is in flight, and
    every run is finished by the time :meth:`finish` returns, in rule order; what
    a batch raises (the user's Ctrl-C, noticed there) is raised again here."""

    def __init__(self, engine: Any, *, backend: Backend | None = None, background: bool = True):
        self.engine = engine
        self.backend = backend
        self.background = background
        self.batch: list[_Run] = []
        self.size = 0
        #: runs whose frames wait for the backend, with those frames
        self.waiting: list[tuple[_Run, list[Any]]] = []
        self.waiting_frames = 0
        self._thread: threading.Thread | None = None
        self._raised: BaseException | None = None

    def add(self, run: _Run) -> None:
        foreign = run.foreign()
        if foreign:
            self.waiting.append((run, foreign))
            self.waiting_frames += len(foreign)
            limit = self.backend.batch_frames if self.backend is not None else 1
            if self.waiting_frames >= limit:
                self._fetch()
            return
        self._plan(run, None)

    def _plan(self, run: _Run, fetched: dict[int, pl.DataFrame] | None) -> None:
        # planned here, batch by batch: nothing of a result is computed until
        # its batch is collected
        run.prepare(fetched)
        if not run.pending:
            return
        self.batch.append(run)
        self.size += 2 * len(run.pending)
        if self.size >= BATCH_QUERIES:
            self._submit()

    def _fetch(self) -> None:
        """The waiting runs' frames from the backend in one :meth:`Backend.collect`;
        if that fails, rule by rule, so that the failure is the one rule's error."""
        waiting, self.waiting, self.waiting_frames = self.waiting, [], 0
        if not waiting:
            return
        backend = self.backend or _default_backend()
        frames = [f for _, fs in waiting for f in fs]
        try:
            got = _fetched(backend, frames)
        except BaseException as exc:
            _reraise_users(exc)
            if len(waiting) == 1:
                waiting[0][0]._fail(exc)
                return
            got = None
        for run, fs in waiting:
            if got is not None:
                self._plan(run, {id(f): got[id(f)] for f in fs})
                continue
            try:
                mine = _fetched(backend, fs)
            except BaseException as exc:
                _reraise_users(exc)
                run._fail(exc)
                continue
            self._plan(run, mine)

    def finish(self) -> None:
        self._fetch()
        if self.batch:
            self._submit()
        self._wait()

    def close(self) -> None:
        """Wait for a batch still in flight (after an error: its result is dropped)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _submit(self) -> None:
        batch, self.batch, self.size = self.batch, [], 0
        self._wait()
        if not self.background:
            _collect_batch(batch, self.engine)
            return
        # the batch sees the caller's context (the plugins' tables of the run)
        context = contextvars.copy_context()

        def work() -> None:
            try:
                context.run(_collect_batch, batch, self.engine)
            except BaseException as exc:  # raised again in the caller
                self._raised = exc

        self._thread = threading.Thread(target=work, name="supervise-rules-collect", daemon=True)
        self._thread.start()

    def _wait(self) -> None:
        self.close()
        raised, self._raised = self._raised, None
        if raised is not None:
            raise raised


def _fetched(backend: Backend, frames: list[Any]) -> dict[int, pl.DataFrame]:
    """``frames`` computed by ``backend``, by ``id``, checked to be what
    :meth:`Backend.collect` promises (one polars DataFrame per frame)."""
    got = backend.collect(frames)
    if not isinstance(got, list | tuple) or len(got) != len(frames):
        raise TypeError(f"the {backend.name} backend's collect returned {type(got).__name__}, not a list")
    for frame in got:
        if not isinstance(frame, pl.DataFrame):
            raise TypeError(
                f"the {backend.name} backend's collect returned a {type(frame).__name__}, "
                "not a polars DataFrame"
            )
    return {id(f): d for f, d in zip(frames, got, strict=True)}


def _default_backend() -> Backend:
    from .backends import PolarsBackend

    return PolarsBackend()


def _height(frame: Any) -> int:
    """Rows of a table's frame; a lazy frame of another backend counts as large."""
    height = getattr(frame, "height", None)
    return height if isinstance(height, int) else _UNKNOWN_ROWS


#: a table whose size is not known without running it: assume it is large
_UNKNOWN_ROWS = 10**9


def _collect_batch(runs: list[_Run], engine: Any) -> None:
    targets = [r.targets() for r in runs]
    try:
        collected = collect_all([t for ts in targets for t in ts], engine)
    except BaseException as exc:
        _reraise_users(exc)
        for run, ts in zip(runs, targets, strict=True):
            try:
                run.take(collect_all(ts, engine))
            except BaseException as exc:
                _reraise_users(exc)
                run._fail(exc)
        return
    i = 0
    for run, ts in zip(runs, targets, strict=True):
        run.take(collected[i : i + len(ts)])
        i += len(ts)


def _start(rule: ResolvedRule, submission: Submission, frames: FrameProvider, host: PluginHost) -> _Run:
    validator_cls = host.validators[rule.rule.validator]
    plugin = host.plugin_of("validators", rule.rule.validator)
    ctx = RuleContext(rule, submission, frames, plugin=plugin, materialize=findings_of)
    run = _Run(ctx=ctx, plugin=plugin)
    refusal = frames.engine.cannot_run(rule.rule.validator)
    if refusal is not None:  # said as the rule's error, never a crash in the engine
        run.error = _plugin_error(
            ctx,
            plugin,
            zh=f"规则 {rule.id} 无法在 {frames.backend} 后端上运行：{refusal}",
            en=f"Rule {rule.id} cannot run on the {frames.backend} backend: {refusal}",
        )
        return run
    try:
        out = validator_cls().check(ctx)
        items = [out] if isinstance(out, RuleResult) else list(out)
    except BaseException as exc:  # a validator's bug must not abort the whole run:
        _reraise_users(exc)  # nor its sys.exit() or KeyboardInterrupt end it; the user's Ctrl-C does
        run.error = _crash(ctx, plugin, exc, "validator")
        return run
    trusted = plugin in _builtin_plugins()
    declared = validator_cls.placeholders(rule.params)
    for item in items:
        if isinstance(item, RuleResult):
            extra = sorted(set(item.values) - declared) if declared is not None else []
            if extra:  # what the ruleset's messages were checked against must be the truth
                run.error = _plugin_error(
                    ctx,
                    plugin,
                    zh=f"规则 {rule.id} 的校验器 {rule.rule.validator!r}（插件 {plugin}）的结果带有"
                    f"未声明的消息值：{', '.join(extra)}",
                    en=f"Rule {rule.id}: validator {rule.rule.validator!r} from plugin {plugin} "
                    f"returned message values it does not declare in message_values: "
                    f"{', '.join(extra)}",
                )
                run.results, run.findings = [], []
                break
            run.results.append(item)
        elif isinstance(item, Finding):
            try:
                run.findings.append(item if trusted else _checked_finding(item))
            except BaseException as exc:
                _reraise_users(exc)
                run.error = _crash(ctx, plugin, exc, "finding")
                run.results, run.findings = [], []
                break
        else:
            run.error = _plugin_error(
                ctx,
                plugin,
                zh=f"规则 {rule.id} 的校验器（插件 {plugin}）返回了非 RuleResult/Finding 对象",
                en=f"Rule {rule.id}: validator from plugin {plugin} returned "
                f"{type(item).__name__}, not RuleResult or Finding",
            )
            run.results, run.findings = [], []
            break
    return run


@functools.cache
def _builtin_plugins() -> frozenset[str]:
    from .plugins import BUILTIN_PLUGINS

    return frozenset(BUILTIN_PLUGINS)


def _reraise_users(exc: BaseException) -> None:
    """Let the user's Ctrl-C through; anything else raised by plugin code
    (``SystemExit``, a ``KeyboardInterrupt`` it raised itself …) is its error."""
    if is_users(exc):
        raise exc


def _checked_finding(finding: Finding) -> Finding:
    """A plugin's finding validated again (one built with ``model_construct`` or
    changed after it was made skips validation), without what only the run may
    set: a waiver or a baseline mark is never the validator's to give."""
    import warnings

    with warnings.catch_warnings():  # dumping a malformed model warns; validating says why
        warnings.simplefilter("ignore")
        data = finding.model_dump()
    data.pop("waiver", None)
    data.pop("baseline", None)
    return Finding.model_validate(data)


def findings_of(ctx: RuleContext, result: RuleResult) -> list[Finding]:
    """The findings of one result as objects (API 1's ``findings_from``)."""
    run = _Run(ctx=ctx, plugin=ctx.plugin, results=[result])
    _collect_runs([run], backend=ctx._frames.engine)
    if run.error is not None:
        raise ValueError(run.error.message.en)
    return list(FindingStore(run.finish(), places=places_of(ctx.submission)).findings(include_passes=True))


def _crash(ctx: RuleContext, plugin: str | None, exc: BaseException, what: str) -> Finding:
    where = traceback.extract_tb(exc.__traceback__)
    loc = f" ({Path(where[-1].filename).name}:{where[-1].lineno})" if where else ""
    detail = f"{_describe(exc)}{loc}"
    rule = ctx.rule
    if what == "finding":  # returned, not raised: say what is wrong with it
        return _plugin_error(
            ctx,
            plugin,
            zh=f"规则 {rule.id} 的校验器 {rule.rule.validator!r}（插件 {plugin}）返回了无效的"
            f"检查结果：{detail}",
            en=f"Rule {rule.id}: validator {rule.rule.validator!r} from plugin {plugin} "
            f"returned a malformed finding: {detail}",
        )
    if what == "validator":
        return _plugin_error(
            ctx,
            plugin,
            zh=f"规则 {rule.id} 的校验器 {rule.rule.validator!r}（插件 {plugin}）运行出错：{detail}",
            en=f"Rule {rule.id}: validator {rule.rule.validator!r} from plugin {plugin} raised {detail}",
        )
    return _plugin_error(
        ctx,
        plugin,
        zh=f"规则 {rule.id} 的校验器 {rule.rule.validator!r}（插件 {plugin}）返回的结果表无法使用：{detail}",
        en=f"Rule {rule.id}: the result frame of validator {rule.rule.validator!r} from plugin "
        f"{plugin} failed: {detail}",
    )


def _describe(exc: BaseException) -> str:
    """``SystemExit: 0``, ``KeyboardInterrupt``, ``ValidationError: outcome: …``:
    one line, whatever the exception."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        errors = exc.errors()
        shown = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        return f"{type(exc).__name__}: {shown}{more}"
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _plugin_error(ctx: RuleContext, plugin: str | None, *, zh: str, en: str) -> Finding:
    """The ``error`` finding that stands for a rule whose validator misbehaved."""
    finding = ctx.finding(
        outcome=Outcome.error,
        subject=ctx.submission_subject(),
        message=LocalizedText(zh=zh, en=en),
    )
    return finding.model_copy(update={"plugin": plugin})


def _meta(rule: ResolvedRule) -> RuleMeta:
    return RuleMeta(
        rule_id=rule.id,
        title=rule.title,
        severity=rule.severity,
        work_point=rule.rule.work_point,
        certainty=rule.rule.certainty,
        source=rule.rule.source,
    )


# --- collecting -----------------------------------------------------------------------


def _is_polars(frame: Any) -> bool:
    native = nw.to_native(frame) if isinstance(frame, nw.LazyFrame | nw.DataFrame) else frame
    return isinstance(native, pl.LazyFrame | pl.DataFrame)


def _lazy(frame: Any, fetched: dict[int, pl.DataFrame] | None = None) -> pl.LazyFrame:
    """A result frame as a polars LazyFrame: polars frames as they are (nothing
    runs yet); another backend's frame as the backend computed it (``fetched``,
    by ``id``), or collected into polars now."""
    if fetched is not None and id(frame) in fetched:
        return fetched[id(frame)].lazy()
    if isinstance(frame, pl.LazyFrame):
        return frame
    if isinstance(frame, pl.DataFrame):
        return frame.lazy()
    if isinstance(frame, nw.LazyFrame | nw.DataFrame):
        native = nw.to_native(frame)
        if isinstance(native, pl.LazyFrame | pl.DataFrame):
            return native.lazy()
        if isinstance(frame, nw.LazyFrame):
            frame = frame.collect(backend="polars")
        native = nw.to_native(frame)
        return (native if isinstance(native, pl.DataFrame) else frame.to_polars()).lazy()
    raise TypeError(f"a result frame must be a narwhals or polars frame, not {type(frame).__name__}")


# --- result frame -> part ---------------------------------------------------------------


def _pending(
    ctx: RuleContext,
    result: RuleResult,
    *,
    keep_passes: bool = False,
    fetched: dict[int, pl.DataFrame] | None = None,
) -> _Pending:
    """Plan one result frame into the store's columns (see ``store.Part``);
    ``fetched``: its frames as the backend computed them (see ``_lazy``)."""
    lf = _lazy(result.frame, fetched)
    schema = lf.collect_schema()
    missing = [c for c in ("outcome", "subject_id") if c not in schema]
    if missing:
        raise ValueError(f"the result frame has no {', '.join(missing)} column")
    _check_dtypes(schema)
    spec = TABLES.get(result.table)
    stype = result.subject_type or (spec.subject_type if spec else "submission")
    if stype not in _SUBJECT_TYPES:
        raise ValueError(f"unknown subject type {stype!r}")
    text = pl.String

    def column(name: str, default: pl.Expr) -> pl.Expr:
        return pl.col(name) if name in schema else default

    subject_type = (
        pl.col("subject_type").cast(text).fill_null(stype)
        if "subject_type" in schema
        else pl.lit(stype, dtype=text)
    )
    subject_id = pl.col("subject_id").cast(text)
    subject_name = column("subject_name", pl.lit(None, dtype=text)).cast(text)
    if result.aggregate and stype == "county":
        county = ctx.county_subject()
        subject_id = pl.lit(county.id, dtype=text)
        subject_name = pl.lit(county.name, dtype=text)
    required_type: pl.DataType | type[pl.DataType] = schema.get("required", pl.Null)
    required = column("required", pl.lit(None))
    if result.threshold is not None:
        threshold = pl.lit(result.threshold)
        required = (
            threshold
            if required_type == pl.Null
            else pl.coalesce(pl.col("required"), threshold.cast(required_type, strict=False))
        )
        if required_type == pl.Null:
            required_type = (
                pl.Float64
                if isinstance(result.threshold, float)
                else pl.Int64
                if isinstance(result.threshold, int)
                else pl.String
            )
    op = column("op", pl.lit(None, dtype=text)).cast(text)
    if result.op is not None:
        op = op.fill_null(result.op)

    keep = [
        c
        for c in ("error_column", "error_kind", "message_zh", "message_en", "row", "rows", *result.values)
        if c in schema
    ]
    keep += [c for c in schema if c.startswith("_rows")]

    default_rows = "rows" if "rows" in schema else "row" if "row" in schema else None
    specs = (
        list(result.evidence)
        if result.evidence is not None
        else [EvidenceSpec(result.table, list(result.columns), default_rows)]
    )
    evidence = []
    joins: list[tuple[pl.LazyFrame, list[str], str, str]] = []
    for i, e in enumerate(specs):
        rows = e.rows
        if isinstance(rows, Rows):
            # joined on the keys, not on row positions: a result frame made by a
            # group_by has no stable order between two evaluations
            name = f"_evidence{i}"
            joins.append((_lazy(rows.frame, fetched), list(rows.on), rows.row, name))
            keep.append(name)
            rows = name
        if e.lead is not None and e.lead in schema:
            keep.append(e.lead)
        evidence.append(EvidenceColumn(e.table, tuple(e.columns), rows, e.lead if e.lead in schema else None))
    extra = []
    for i, fixed in enumerate(result.extra_evidence):
        fixed_rows = None
        if fixed.rows is not None:  # rows fixed by the validator, the same for every finding
            fixed_rows = f"_extra{i}"
            extra.append(pl.lit(list(fixed.rows), dtype=pl.List(pl.Int64)).alias(fixed_rows))
        evidence.append(EvidenceColumn(fixed.table, tuple(fixed.columns), fixed_rows))

    def store_columns(rows: pl.LazyFrame) -> pl.LazyFrame:
        # after the outcome filter: the evidence joins touch only the rows kept
        for source, on, row, name in joins:
            # the row lists of the groups kept only: grouping every row of a
            # national table to list the few hundred that fail costs more than
            # the rule itself
            wanted = source.join(rows.select(on), on=on, how="semi", nulls_equal=True)
            lists = wanted.group_by(on).agg(pl.col(row).cast(pl.Int64).unique().sort().alias(name))
            rows = rows.join(lists, on=on, how="left", nulls_equal=True, maintain_order="left")
        return rows.select(
            pl.col("outcome").cast(text),
            subject_type.alias("subject_type"),
            subject_id.alias("subject_id"),
            subject_name.alias("subject_name"),
            column("observed", pl.lit(None)).alias("observed"),
            clean_expr(required, required_type).alias("required_value"),
            op.alias("required_op"),
            *[
                pl.col(c).cast(text) if c.startswith(("error_", "message_")) else pl.col(c)
                for c in dict.fromkeys(keep)
            ],
            *extra,
        )

    passing = pl.col("outcome").cast(text) == "pass"
    # The listed findings and the counts are collected together from one
    # evaluation of the result frame: polars does not find the two plans' common
    # part on its own, and a rule's grouping or windows ran twice (measured at
    # 100k school rows: the rules' collects 2.3 -> 1.9 s CPU, BAL-22 0.34 ->
    # 0.21 s). The passes, listed later on request, read the frame itself.
    shared = lf.cache()
    counts = shared.select(
        *stat_columns(schema, subject_id=subject_id),
        (~pl.col("outcome").cast(text).is_in(sorted(_OUTCOMES))).fill_null(True).sum().alias(f"{STAT}bad"),
        (~subject_type.is_in(sorted(_SUBJECT_TYPES))).fill_null(True).sum().alias(f"{STAT}badtype"),
        subject_id.is_null().sum().alias(f"{STAT}noid"),
    )
    templates = result.messages or LocalizedText(zh=ctx.rule.rule.message.zh, en=ctx.rule.rule.message.en)
    part = Part(
        rule=_meta(ctx.rule),
        frame=pl.DataFrame(),
        table=result.table,
        unit=result.unit,
        evidence=tuple(evidence),
        templates=templates,
        values=tuple(result.values),
        column_zh={c: s.zh for c, s in spec.columns.items()} if spec else {},
        table_zh=spec.zh if spec else None,
        # another backend's passes are fetched again when listed, not kept
        passes=store_columns(lf.filter(passing.fill_null(False)))
        if keep_passes or _is_polars(result.frame)
        else (lambda: _pending(ctx, result, keep_passes=True).part.pass_frame()),
        stats=pl.DataFrame(),
    )
    return _Pending(
        result=result,
        listed=store_columns(shared.filter(~passing.fill_null(False))),
        counts=counts,
        part=part,
    )


def _finished(pending: _Pending) -> Part:
    """The part of a collected result, once its outcomes and subject types are
    known to follow the contract."""
    assert pending.collected is not None
    listed, counts = pending.collected
    first = counts.row(0, named=True) if counts.height else {}
    if first.get(f"{STAT}bad"):
        bad = listed.filter(~pl.col("outcome").is_in(sorted(_OUTCOMES)).fill_null(True))
        shown = bad["outcome"][0] if bad.height else None
        raise ValueError(
            f"the result frame has outcome {shown!r}; expected one of {', '.join(sorted(_OUTCOMES))}"
        )
    if first.get(f"{STAT}badtype"):
        bad = listed.filter(~pl.col("subject_type").is_in(sorted(_SUBJECT_TYPES)).fill_null(True))
        shown = bad["subject_type"][0] if bad.height else "?"
        raise ValueError(f"unknown subject type {shown!r}")
    if first.get(f"{STAT}noid"):
        raise ValueError(f"{first[f'{STAT}noid']} row(s) of the result frame have no subject_id")
    part = pending.part
    part.frame = listed
    part.stats = stats_of(counts)
    return part


#: columns of a result frame that become one value of a finding, and so must
#: hold scalars (text, numbers, dates), never lists, structs or Python objects
_SCALAR_COLUMNS = (
    "outcome",
    "subject_type",
    "subject_id",
    "subject_name",
    "observed",
    "required",
    "op",
    "message_zh",
    "message_en",
    "error_column",
    "error_kind",
)


def _check_dtypes(schema: Any) -> None:
    """Refuse a result frame whose finding columns are not scalars: its findings
    could not be written (a list ``observed``, an object column)."""
    for name in _SCALAR_COLUMNS:
        dtype = schema.get(name)
        if dtype is None:
            continue
        text_only = name in ("outcome", "subject_type")
        if (
            dtype.is_nested()
            or dtype in (pl.Object, pl.Binary)
            or (
                text_only
                and not (dtype in (pl.String, pl.Null, pl.Categorical) or isinstance(dtype, pl.Enum))
            )
        ):
            what = "text" if text_only else "a text, a number or a date"
            raise ValueError(
                f"the result frame's column {name!r} is {dtype}; a finding's {name} must be {what}"
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
        files=list(submission.files) or None,
    )


def _version() -> str:
    from ._version import installed_version

    return installed_version()
