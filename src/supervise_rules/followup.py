"""Command-line glue for closing the supervision loop.

``supervise-check`` options ``--waivers``, ``--today``, ``--baseline`` and
``--fail-on-new``; the commands ``report selfcheck`` (核心指标自查报告) and
``notices`` (督办单); and the progress display shown on a terminal. Kept out
of :mod:`supervise_rules.cli` so that module stays a thin dispatcher.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SuperviseRulesError
from .report import Report

if TYPE_CHECKING:
    from .engine import ProgressCallback

#: seconds a run must take before a progress bar appears (short runs stay quiet)
PROGRESS_DELAY = 0.5


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_followup_options(p: argparse.ArgumentParser, *, fail_on_new: bool = True) -> None:
    """Add ``--waivers``, ``--today``, ``--baseline`` (and ``--fail-on-new``) to a parser."""
    p.add_argument(
        "--waivers",
        type=Path,
        metavar="FILE",
        help="YAML file of approved waivers (rule, subject, reason, approved_by, expires)",
    )
    p.add_argument(
        "--today",
        type=_date,
        metavar="YYYY-MM-DD",
        help="the day waivers are judged on (default: the submission's as_of)",
    )
    p.add_argument(
        "--baseline",
        type=Path,
        metavar="PREVIOUS.json",
        help="previous JSON report: mark failures new / persisting / fixed (回头看)",
    )
    p.add_argument(
        "--baseline-allow-ruleset-change",
        action="store_true",
        help="compare with a baseline checked with another ruleset id or version "
        "(refused by default); problems whose rule did not run are 未检查, not 已整改",
    )
    if fail_on_new:
        p.add_argument(
            "--fail-on-new",
            action="store_true",
            help="exit status 1 only for failures that are new since --baseline",
        )


def add_symlink_option(p: argparse.ArgumentParser) -> None:
    """``--follow-symlinks``: read a folder's files that link to outside it."""
    p.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="read a table file or manifest of the folder that is a symbolic link "
        "to outside the folder (refused by default)",
    )


def apply_followup(report: Report, args: argparse.Namespace) -> Report:
    """Apply ``--waivers`` and ``--baseline`` from parsed arguments to a report."""
    if getattr(args, "fail_on_new", False) and args.baseline is None:
        raise SuperviseRulesError("--fail-on-new needs --baseline PREVIOUS.json")
    if args.baseline is None and getattr(args, "baseline_allow_ruleset_change", False):
        raise SuperviseRulesError("--baseline-allow-ruleset-change needs --baseline PREVIOUS.json")
    from .api import follow_up  # what the library's check() does, so the two agree

    report = follow_up(
        report,
        waivers=args.waivers,
        baseline=args.baseline,
        today=args.today,
        allow_ruleset_change=getattr(args, "baseline_allow_ruleset_change", False),
    )
    if args.baseline is not None:
        _warn_baseline_changes(report)
    return report


def _warn_baseline_changes(report: Report) -> None:
    """One line on stderr when the 回头看 did not compare like with like: the
    ruleset changed, rules were added or removed, problems went unchecked. The
    report says it too (its ``baseline`` block); this is for the person at the
    terminal, whatever the output format."""
    diff = report.baseline
    if diff is None:
        return

    def ids(rules: list[str]) -> str:
        return ", ".join(rules[:8]) + (f" and {len(rules) - 8} more" if len(rules) > 8 else "")

    parts = []
    if diff.county_code is not None:
        parts.append(
            f"it is a report on county {diff.county_code}, this run is on county "
            f"{report.submission.county_code}"
        )
    rs = diff.ruleset
    if rs is not None and (rs.id, rs.version) != (report.ruleset.id, report.ruleset.version):
        parts.append(
            f"it was checked with ruleset {rs.id} {rs.version}, this run with "
            f"{report.ruleset.id} {report.ruleset.version}"
        )
    if diff.rules_added:
        parts.append(f"rules added: {ids(diff.rules_added)}")
    if diff.rules_removed:
        parts.append(f"rules not run this time: {ids(diff.rules_removed)}")
    if diff.not_checked:
        parts.append(
            f"{diff.not_checked} of its problems were not checked (未检查), none of them is counted as fixed"
        )
    if parts:
        print(f"warning: baseline {diff.source}: " + "; ".join(parts), file=sys.stderr)


@contextmanager
def rule_progress(enabled: bool | None = None) -> Iterator[ProgressCallback | None]:
    """A progress callback for :func:`supervise_rules.check` drawing a rich bar on
    stderr, or ``None`` when stderr is not a terminal. The bar appears only once
    a run has taken :data:`PROGRESS_DELAY` seconds and vanishes when it ends."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("", total=None)
    started = time.monotonic()
    shown = False

    def callback(rule: Any, index: int, total: int) -> None:
        nonlocal shown
        if not shown and time.monotonic() - started >= PROGRESS_DELAY:
            progress.start()
            shown = True
        progress.update(task, total=total, completed=index, description=f"{rule.id} {rule.title.zh}")

    try:
        yield callback
    finally:
        if shown:
            progress.stop()


# --- loading a report for the follow-up commands ------------------------------------------


def _is_report_file(path: Path) -> dict[str, Any] | None:
    """The parsed document when ``path`` is a JSON findings report, else ``None``."""
    from .limits import current_limits

    if path.suffix.lower() != ".json" or not path.is_file():
        return None
    try:
        if path.stat().st_size > current_limits().max_json_bytes:
            return None  # read as a submission, whose reader refuses it in its words
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    from .safetext import may_hold_surrogates, without_surrogates

    if may_hold_surrogates(text):  # a lone "\udc00": the outputs cannot encode it
        data = without_surrogates(data)
    if isinstance(data, dict) and "schema_version" in data and "findings" in data:
        return data
    return None


def _invalid_report(path: Path, exc: Any) -> str:
    """``report.json:16: not a valid findings report: as_of: …``: the first
    problem of a pydantic ``ValidationError``, at the line of its key."""
    from .baseline import json_line

    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = tuple(first.get("loc", ()))
    key = next((str(p) for p in reversed(loc) if isinstance(p, str)), None)
    value = first.get("input")
    line = None
    if key is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        plain = value if isinstance(value, str | int | float | bool) else None
        line = json_line(text, key, plain) or json_line(text, key)
    where = f"{path}:{line}" if line else str(path)
    what = ".".join(str(p) for p in loc)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    shown = f"{what}: {first.get('msg', exc)}" if what else str(first.get("msg", exc))
    return f"{where}: not a valid findings report: {shown}{more}"


def report_for(args: argparse.Namespace) -> Report:
    """The report the follow-up commands work on: PATH is a submission (checked
    now against ``--ruleset``) or a JSON report written earlier with ``--format json``."""
    return report_and_submission(args)[0]


def report_and_submission(args: argparse.Namespace, host: Any = None) -> tuple[Report, Any]:
    """:func:`report_for`, and the submission it was checked from (``None`` when
    PATH is a JSON report); ``host``: the plugin host to check with (default: one
    built from ``--plugin``)."""
    from .commandline import DEFAULT_RULESET, build_host
    from .limits import set_command_limits

    set_command_limits(getattr(args, "limit", None))  # --limit NAME=VALUE
    path = Path(args.path)
    data = _is_report_file(path)
    submission = None
    if data is not None:
        from pydantic import ValidationError

        try:
            report = Report.model_validate(data)
        except ValidationError as exc:
            raise SuperviseRulesError(_invalid_report(path, exc)) from None
    else:
        from .engine import check
        from .readers import load_submission
        from .rulesets import load_ruleset

        host = host or build_host(args.plugin)
        submission = load_submission(args.path, host=host, follow_symlinks=args.follow_symlinks)
        ref = args.ruleset or getattr(submission.manifest, "ruleset", None) or DEFAULT_RULESET
        ruleset = load_ruleset(ref, host=host)
        with rule_progress() as progress:
            report = check(submission, ruleset, host=host, backend=args.backend, progress=progress)
    return apply_followup(report, args), submission


def _source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", help="submission (folder, .xlsx, .json) or a JSON report of an earlier run")
    p.add_argument("--ruleset", default=None, help="ruleset id or YAML file (default: the manifest's)")
    p.add_argument("--backend", choices=("polars", "duckdb"), default="polars")
    p.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="load a local plugin module (repeatable)",
    )
    add_symlink_option(p)
    from .limits import add_limit_option

    add_limit_option(p)


def _protect_inputs(args: argparse.Namespace) -> None:
    """No output of the follow-up commands is written onto a file they read."""
    from .reporters import protect_inputs

    protect_inputs(
        ("the submission", args.path),
        ("the waivers file", args.waivers),
        ("the baseline", args.baseline),
        ("the ruleset file", args.ruleset),
    )


def _emit(data: str | bytes, output: Path | None, what: str) -> None:
    from .reporters import write_atomically

    if output is not None:
        write_atomically(output, data)
    elif isinstance(data, bytes):
        raise SuperviseRulesError(f"{what} is binary: give --output FILE")
    else:
        sys.stdout.write(data)
        sys.stdout.flush()


# --- commands ---------------------------------------------------------------------------------


def cmd_report(argv: list[str]) -> int:
    """``supervise-check report selfcheck PATH``: the 核心指标自查报告."""
    from .commandline import ExitCode, Parser

    p = Parser(
        prog="supervise-check report",
        description="Documents built from a check. Kinds: selfcheck (核心指标自查报告).",
    )
    p.add_argument("kind", choices=("selfcheck",))
    _source_options(p)
    p.add_argument(
        "--format",
        choices=("html", "xlsx", "pdf"),
        default=None,
        help="html (default; or from the --output suffix), xlsx or pdf",
    )
    p.add_argument("--output", "-o", type=Path, help="write to this file (required for xlsx and pdf)")
    add_followup_options(p, fail_on_new=False)
    args = p.parse_args(argv)
    fmt = args.format
    if fmt is None:
        suffix = args.output.suffix.lower() if args.output is not None else ""
        fmt = {".xlsx": "xlsx", ".pdf": "pdf"}.get(suffix, "html")
    _protect_inputs(args)
    if args.output is not None:
        from .reporters import check_output_path

        check_output_path(args.output)  # before the run, not after it
    report = report_for(args)

    from .commandline import build_host
    from .selfcheck import build_selfcheck, render_html, render_xlsx, ruleset_for

    host = build_host(args.plugin, warn=False)  # only the standards are looked up here
    sc = build_selfcheck(report, ruleset_for(report, args.ruleset, host=host))
    if fmt == "pdf":
        from .pdf import html_to_pdf

        data: str | bytes = html_to_pdf(render_html(sc), created=report.submission.as_of, title=sc.title)
    else:
        data = render_html(sc) if fmt == "html" else render_xlsx(sc)
    _emit(data, args.output, f"format {fmt!r}")
    return ExitCode.OK


def cmd_notices(argv: list[str]) -> int:
    """``supervise-check notices PATH --output-dir DIR``: one 督办单 per school."""
    from .commandline import ExitCode, Parser

    p = Parser(
        prog="supervise-check notices",
        description="Write one rectification notice (督办单) per school with failing "
        "findings, plus an index.",
    )
    _source_options(p)
    p.add_argument("--output-dir", type=Path, required=True, metavar="DIR")
    p.add_argument("--format", choices=("html", "markdown"), default="html")
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also write a PDF (A4) of every HTML notice and of the index, next to it",
    )
    p.add_argument(
        "--deadline",
        type=_date,
        metavar="YYYY-MM-DD",
        help="整改期限 printed on every notice (default: a blank to fill in)",
    )
    p.add_argument(
        "--numbering",
        type=Path,
        metavar="FILE",
        help="the office's numbering state: notice numbers and the rounds each problem "
        "was raised in (default: numbering.json in --output-dir); read, then updated",
    )
    p.add_argument(
        "--number-pattern",
        metavar="PATTERN",
        help="document number, with {year} and {n} (default 贺教督办〔{year}〕{n}号); "
        "kept in the numbering state",
    )
    p.add_argument(
        "--issuer",
        metavar="OFFICE",
        help="issuing office in the masthead (default: the manifest's 填报单位, else "
        "<county>人民政府教育督导室); kept in the numbering state",
    )
    p.add_argument(
        "--interview-after",
        type=int,
        metavar="N",
        help="list a unit for 约谈 when a problem has been raised N rounds in a row "
        "(default 3); kept in the numbering state",
    )
    p.add_argument(
        "--round",
        metavar="LABEL",
        help="name of this round in the numbering state (default: the data's as_of)",
    )
    p.add_argument(
        "--submission",
        type=Path,
        metavar="PATH",
        help="when PATH is a JSON report: the submission it was made from, read only to "
        "route dropout cases to their school",
    )
    add_followup_options(p, fail_on_new=False)
    args = p.parse_args(argv)
    _protect_inputs(args)
    if args.pdf and args.format != "html":
        raise SuperviseRulesError("--pdf is made from the HTML notices: leave --format at html")
    from .reporters import check_output_dir, protect_inputs

    protect_inputs(("the submission", args.submission))
    check_output_dir(args.output_dir)  # before the run, not after it
    from .numbering import STATE_FILE, Numbering

    state = Path(args.numbering) if args.numbering is not None else Path(args.output_dir) / STATE_FILE
    # read before the run: a damaged state or a bad pattern is found before the work
    numbering = Numbering.load(
        state,
        round_label=args.round,
        pattern=args.number_pattern,
        issuer=args.issuer,
        interview_after=args.interview_after,
    )
    from .commandline import build_host

    # one host for the run, the routes and the documents: a plugin table's subjects
    # go to the unit its unit column names, and its columns keep their headers
    host = build_host(args.plugin)
    report, submission = report_and_submission(args, host)

    from .notices import Routes, write_notices

    if submission is None and args.submission is not None:
        from .readers import load_submission

        submission = load_submission(args.submission, host=host, follow_symlinks=args.follow_symlinks)
    issuer = numbering.settings.issuer or (
        getattr(submission.manifest, "submitted_by", None) if submission is not None else None
    )
    with host.activate():
        routes = Routes.from_submission(submission) if submission is not None else None
        written = write_notices(
            report,
            args.output_dir,
            fmt=args.format,
            deadline=args.deadline,
            routes=routes,
            numbering=numbering,
            issuer=issuer,
        )
    if args.pdf:
        from .pdf import notices_to_pdf

        notices_to_pdf(written, created=report.submission.as_of)
    notices = len(written) - 2
    print(
        f"{notices} notice(s), the office's internal list and an index written to "
        f"{args.output_dir}{' (with PDFs)' if args.pdf else ''}; numbering state: {state}"
    )
    return ExitCode.OK


__all__ = [
    "add_followup_options",
    "add_symlink_option",
    "apply_followup",
    "cmd_notices",
    "cmd_report",
    "rule_progress",
]
