"""The front door: :func:`check` does what ``supervise-check`` does — the rules,
then waivers and the 回头看 against a baseline — and :class:`Checker` keeps a
loaded ruleset and plugin host for many submissions.

The CLI is a thin layer over these; an integrator never re-implements the
matching of waivers or the baseline diff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backends import Backend
    from .baseline import Baseline
    from .limits import Limits
    from .plugins import PluginHost
    from .report import Report
    from .rulesets import Ruleset
    from .submission import Submission
    from .waivers import LoadedWaiver, WaiverEntry

    #: waivers: a waivers file (YAML), or the entries themselves
    Waivers = str | Path | Sequence[WaiverEntry | Mapping[str, Any]]
    #: a baseline: a previous JSON report's path, the report itself, or its parsed JSON
    BaselineSource = str | Path | Report | Mapping[str, Any] | Baseline


def check(
    submission: Submission | str | Path | Mapping[str, Any],
    ruleset: Ruleset | str | Path = "helan-2024",
    *,
    waivers: Waivers | None = None,
    baseline: BaselineSource | None = None,
    today: dt.date | None = None,
    allow_ruleset_change: bool = False,
    include_passes: bool = False,
    select: str | Sequence[str] | None = None,
    ignore: str | Sequence[str] | None = None,
    config: bool = True,
    backend: str | Backend = "polars",
    host: PluginHost | None = None,
    progress: Any = None,
    follow_symlinks: bool = False,
    limits: Limits | None = None,
) -> Report:
    """Check a submission and return the report, as ``supervise-check`` makes it.

    :param submission: a folder, workbook or JSON file, a mapping of tables (see
        :func:`supervise_rules.load_submission`), or a loaded :class:`Submission`.
    :param ruleset: a ruleset id, a YAML path, or a loaded :class:`Ruleset`.
    :param waivers: a waivers file, or a list of entries (``WaiverEntry`` or
        mappings with ``rule``, ``subject``, ``reason``, ``approved_by``, ``expires``):
        the failures they name are marked waived until they expire.
    :param baseline: the previous round (a JSON report's path, the
        :class:`Report`, or its parsed JSON): every failure is marked
        ``new``/``persisting``, and the fixed ones are listed (回头看).
    :param today: the day waivers are judged on (default: today).
    :param allow_ruleset_change: compare with a baseline of another ruleset or
        county (``--baseline-allow-ruleset-change``).
    :param include_passes: the report's JSON forms and ``iter_findings`` list every
        pass too (``--include-passes``); they are counted either way.
    :param select: rule ids, prefixes, ``wp:N`` or severities to run (``--select``).
    :param ignore: the same, to leave out (``--ignore``).
    :param config: read ``supervise-rules.toml`` / ``[tool.supervise-rules]``.
    :param backend: ``polars`` (default), ``duckdb``, ``spark``, a plugin's name or
        a :class:`~supervise_rules.Backend` instance.
    :param host: the plugin host (default: built-ins and installed plugins).
    :raises SuperviseRulesError: a bad ruleset, submission, waivers file or baseline.
    """
    from .engine import check as run_rules
    from .limits import use_limits
    from .rulesets import Ruleset
    from .submission import Submission

    host = host if host is not None else default_host()
    if not isinstance(ruleset, Ruleset):
        with use_limits(limits):
            ruleset = load_ruleset(ruleset, host=host)
    if not isinstance(submission, Submission):
        submission = load_submission(
            submission, host=host, follow_symlinks=follow_symlinks, limits=limits, backend=backend
        )
    report = run_rules(
        submission,
        ruleset,
        host=host,
        backend=backend,
        progress=progress,
        select=select,
        ignore=ignore,
        config=config,
    )
    report = follow_up(
        report, waivers=waivers, baseline=baseline, today=today, allow_ruleset_change=allow_ruleset_change
    )
    if include_passes:
        report.include_passes = True
    return report


def default_host() -> PluginHost:
    """The plugin host of a call that names none: the built-ins and the installed
    plugins (:func:`~supervise_rules.get_plugin_host`). The front door is the only
    place that makes it; every layer below is handed a host."""
    from .plugins import get_plugin_host

    return get_plugin_host()


def load_ruleset(ref: str | Path, *, host: PluginHost | None = None) -> Ruleset:
    """Load a ruleset by id (``helan-2024``) or by path to a YAML file.

    :param host: the plugin host whose validators and rulesets to use (default:
        built-ins and installed plugins).
    :raises RulesetError: every problem found, each as ``file:line: message``.
    """
    from .rulesets import load_ruleset as load

    return load(ref, host=host if host is not None else default_host())


def load_submission(
    source: Any,
    *,
    host: PluginHost | None = None,
    follow_symlinks: bool = False,
    limits: Limits | None = None,
    backend: str | Backend | None = None,
) -> Submission:
    """Load a submission from a folder, workbook, JSON file or JSON-shaped dict
    (a folder's file linking outside the folder only with ``follow_symlinks``;
    every file within ``limits``, see :class:`Limits`). With ``backend``, a
    backend that reads files where they live (``duckdb``) reads what it can
    itself, and :func:`check` then runs on it."""
    from .readers import load_submission as load

    host = host if host is not None else default_host()
    return load(source, host=host, follow_symlinks=follow_symlinks, limits=limits, backend=backend)


def follow_up(
    report: Report,
    *,
    waivers: Waivers | None = None,
    baseline: BaselineSource | None = None,
    today: dt.date | None = None,
    allow_ruleset_change: bool = False,
) -> Report:
    """``report`` with waivers applied and the baseline diff made (either may be
    ``None``): the second half of :func:`check`, for a report made earlier."""
    if waivers is not None:
        from .waivers import apply_waivers

        report = apply_waivers(report, as_waivers(waivers), today=today)
    if baseline is not None:
        from .baseline import apply_baseline

        report = apply_baseline(report, as_baseline(baseline), allow_ruleset_change=allow_ruleset_change)
    return report


def as_waivers(waivers: Waivers) -> list[LoadedWaiver]:
    """Waivers from a file, or from entries given in Python (validated the same
    way: a bad entry is a ``WaiversError`` naming it)."""
    from pydantic import ValidationError

    from .waivers import LoadedWaiver, WaiverEntry, WaiversError, load_waivers

    if isinstance(waivers, str | Path):
        return load_waivers(waivers)
    loaded: list[LoadedWaiver] = []
    problems: list[tuple[str, int | None, str]] = []
    for i, item in enumerate(waivers):
        try:
            entry = item if isinstance(item, WaiverEntry) else WaiverEntry.model_validate(item)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(x) for x in err["loc"]) or "entry"
                problems.append((f"waivers[{i}]", None, f"{where}: {err['msg']}"))
            continue
        loaded.append(LoadedWaiver(entry=entry, file="<waivers>", line=None))
    if problems:
        raise WaiversError(problems)
    return loaded


def as_baseline(baseline: BaselineSource) -> Baseline:
    """A baseline from a report file, a :class:`Report`, its parsed JSON, or as it is."""
    from .baseline import Baseline, baseline_from_dict, load_baseline
    from .report import Report

    if isinstance(baseline, Baseline):
        return baseline
    if isinstance(baseline, str | Path):
        return load_baseline(baseline)
    if isinstance(baseline, Report):
        import json

        return baseline_from_dict(json.loads(baseline.to_json_bytes()), source="<report>")
    return baseline_from_dict(dict(baseline), source="<baseline>")


class Checker:
    """A loaded ruleset and plugin host, for checking many submissions: loading
    them costs more than checking a county (≈ 0.3 s against ≈ 0.01 s), so a
    platform that checks every county of a province builds one ``Checker``.

    >>> checker = Checker("helan-2024")                        # doctest: +SKIP
    >>> report = checker.check("examples/helan-2024", baseline="last-round.json")  # doctest: +SKIP
    """

    def __init__(
        self,
        ruleset: Ruleset | str | Path = "helan-2024",
        *,
        host: PluginHost | None = None,
        plugins: Sequence[str] = (),
        backend: str | Backend = "polars",
    ):
        from .plugins import get_plugin_host
        from .rulesets import Ruleset

        self.host = host if host is not None else get_plugin_host(plugins)
        self.ruleset = ruleset if isinstance(ruleset, Ruleset) else load_ruleset(ruleset, host=self.host)
        self.backend = backend

    def check(self, submission: Submission | str | Path | Mapping[str, Any], **options: Any) -> Report:
        """:func:`check` with this checker's ruleset, host and backend."""
        options.setdefault("backend", self.backend)
        return check(submission, self.ruleset, host=self.host, **options)


__all__ = [
    "Checker",
    "as_baseline",
    "as_waivers",
    "check",
    "default_host",
    "follow_up",
    "load_ruleset",
    "load_submission",
]
