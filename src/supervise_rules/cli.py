"""``supervise-check``: the command a clerk runs on a submission.

A thin layer: parse arguments, call the library, print through a reporter,
map the outcome to an exit code. Every library error for a user's mistake is
printed as one clear message (exit 2); an unexpected exception is an internal
error (exit 3).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path

from .errors import SuperviseRulesError
from .models import Severity

DEFAULT_RULESET = "helan-2024"


class ExitCode(IntEnum):
    #: no failing finding at or above ``--fail-on``
    OK = 0
    #: at least one failing (or error) finding at or above ``--fail-on``
    FAILURES = 1
    #: usage or configuration error: bad ruleset, unreadable submission, unknown plugin
    USAGE = 2
    #: a bug in supervise-rules itself
    INTERNAL = 3


class _ParserExit(SystemExit):
    """argparse's own exit (``--help``, a usage error): the one ``SystemExit``
    that ends a run. Any other (a plugin's ``sys.exit()``) is that code's error."""


class _Parser(argparse.ArgumentParser):
    def exit(self, status: int = 0, message: str | None = None):
        if message:
            self._print_message(message, sys.stderr)
        raise _ParserExit(status)

    def error(self, message: str):  # argparse exits 2 too, but with our wording
        self.print_usage(sys.stderr)
        print(f"supervise-check: error: {message}", file=sys.stderr)
        raise _ParserExit(ExitCode.USAGE)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="load a local plugin module (repeatable)")
    p.add_argument("--lang", choices=("zh", "en", "both"), default="zh",
                   help="message language in human formats (default zh)")


def _check_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="supervise-check",
        description="Check a submission against a ruleset. Other commands: "
        "list-rules, explain RULE_ID, plugins, schema ruleset|submission, template, "
        "report selfcheck, notices.",
    )
    p.add_argument("path", help="submission: folder, .xlsx workbook or .json document")
    p.add_argument("--ruleset", default=None,
                   help=f"ruleset id or YAML file (default: the manifest's, else {DEFAULT_RULESET})")
    p.add_argument("--format", default="table", help="output format (default table)")
    p.add_argument("--output", "-o", type=Path, metavar="FILE",
                   help="write the report to this file ('-': standard output); a regular file "
                   "is replaced atomically, a device or FIFO is written in place")
    p.add_argument("--fail-on", default="major",
                   choices=[s.value for s in Severity] + ["never"],
                   help="lowest severity whose failure gives exit status 1 (default major)")
    p.add_argument("--include-passes", "--show-passes", dest="show_passes", action="store_true",
                   help="list passing findings too (they are always counted in the summary)")
    p.add_argument("--backend", choices=("polars", "duckdb", "spark"), default="polars",
                   help="where column expressions run (default polars)")
    from .followup import add_followup_options, add_symlink_option
    from .limits import add_limit_option

    add_symlink_option(p)
    add_followup_options(p)
    add_limit_option(p)
    _common(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "list-rules": cmd_list_rules,
        "explain": cmd_explain,
        "plugins": cmd_plugins,
        "schema": cmd_schema,
        "template": cmd_template,
        "report": _lazy("cmd_report"),
        "notices": _lazy("cmd_notices"),
    }
    from .interrupts import watch_sigint
    from .limits import command_scope
    from .reporters import output_scope

    try:
        # output_scope: the inputs a command declares are never written to;
        # watch_sigint: the user's Ctrl-C is told from a plugin's KeyboardInterrupt
        with watch_sigint(), output_scope(), command_scope():
            if args and args[0] in commands:
                return int(commands[args[0]](args[1:]))
            return int(cmd_check(args))
    except BaseException as exc:  # every way out of a run is decided by _failure
        return _failure(exc)


#: exit status after Ctrl-C (128 + SIGINT), as shells report it
INTERRUPTED = 130


def _failure(exc: BaseException) -> int:
    """The exit status for an exception that ended a command, after saying why
    in one line: a usage error (2), a plugin's failure (2, naming it), the
    user's Ctrl-C (130), or a bug of ours (3, the traceback in a log file)."""
    from .interrupts import user_interrupted
    from .plugins import plugin_in_traceback

    if isinstance(exc, _ParserExit):
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else ExitCode.USAGE)
    culprit = plugin_in_traceback(exc)
    if isinstance(exc, KeyboardInterrupt) and (user_interrupted() or culprit is None):
        _to_stderr("interrupted", "yellow", "已中断 (Ctrl-C)")
        return INTERRUPTED
    if isinstance(exc, SuperviseRulesError):
        _error(str(exc))
        return ExitCode.USAGE
    if culprit is not None:  # raised in (or through) a plugin's code: its error, not ours
        plugin, where = culprit
        _error(f"plugin {plugin!r} failed ({where}): {_describe(exc)}; the run was stopped")
        return ExitCode.USAGE
    return _internal_error(exc)


def _describe(exc: BaseException) -> str:
    """``ValueError: the first line of its message``."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _internal_error(exc: BaseException) -> int:
    """A bug of ours: two lines on stderr, the traceback in a log file."""
    log, why = _write_log(exc)
    if log is not None:
        _error(f"internal error: {_describe(exc)} — the traceback is in {log}; please report it "
               "with that file")
    else:  # no log could be written anywhere: the traceback must not be lost
        import traceback

        _error(f"internal error: {_describe(exc)} (no log file: {why}); please report it with "
               "this traceback:\n" + "".join(traceback.format_exception(exc)).rstrip())
    return ExitCode.INTERNAL


def log_directories() -> list[Path]:
    """Where an internal error's traceback is written, in order of preference:
    ``$XDG_STATE_HOME/supervise-rules`` (default ``~/.local/state/supervise-rules``),
    then the system temporary directory. Never next to the outputs."""
    import os
    import tempfile

    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                             "state")
    return [Path(state) / "supervise-rules", Path(tempfile.gettempdir())]


def _write_log(exc: BaseException) -> tuple[Path | None, str]:
    import datetime as dt
    import os
    import platform
    import traceback

    from . import __version__

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (f"supervise-rules {__version__}, Python {platform.python_version()} on "
            f"{platform.platform()}\ncommand: {' '.join(map(repr, sys.argv))}\n\n"
            + "".join(traceback.format_exception(exc)))
    why = "no directory to write to"
    for folder in log_directories():
        path = folder / f"supervise-rules-{stamp}-{os.getpid()}.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # the traceback may quote the data: readable by the user only
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            return path, ""
        except OSError as exc2:
            why = f"{folder}: {exc2.strerror or exc2}"
    return None, why


def _lazy(name: str):
    """A command implemented in :mod:`supervise_rules.followup`, imported when run."""

    def run(argv: list[str]) -> int:
        from . import followup

        return getattr(followup, name)(argv)

    return run


def _error(message: str) -> None:
    _to_stderr("error", "bold red", message)


def _host(plugins: list[str], *, warn: bool = True):
    from .plugins import get_plugin_host

    host = get_plugin_host(plugins)
    for err in host.load_errors if warn else ():
        _warn(f"plugin {err.name!r}" + (f" ({err.distribution})" if err.distribution else "")
              + f" was not loaded: {err.reason}")
    return host


def _warn(message: str) -> None:
    _to_stderr("warning", "yellow", message)


def _to_stderr(label: str, style: str, message: str) -> None:
    """``label: message`` on stderr, coloured on a terminal. rich is imported only
    then: a nightly run writing to files or pipes never pays for it. The message
    may quote the data (a file, sheet or cell): its control characters are shown as U+FFFD."""
    from .safetext import plain

    message = plain(message)
    if not sys.stderr.isatty():
        sys.stderr.write(f"{label}: {message}\n")
        sys.stderr.flush()
        return
    from rich.console import Console
    from rich.text import Text

    # a Text, never markup: a message quoting "[/]" or "[link=…]" is shown as written
    Console(stderr=True, highlight=False, markup=False, emoji=False).print(
        Text.assemble((f"{label}:", style), " ", message), soft_wrap=True)


def cmd_check(argv: list[str]) -> int:
    from .engine import check
    from .limits import set_command_limits
    from .readers import load_submission
    from .reporters import (
        RenderOptions,
        check_output_path,
        protect_inputs,
        run_reporter,
        write_report,
    )
    from .rulesets import load_ruleset

    args = _check_parser().parse_args(argv)
    set_command_limits(args.limit)  # --limit NAME=VALUE, for every file this command reads
    to_stdout = args.output is None or str(args.output) == "-"
    protect_inputs(("the submission", args.path), ("the waivers file", args.waivers),
                   ("the baseline", args.baseline), ("the ruleset file", args.ruleset))
    if not to_stdout:
        check_output_path(args.output)
    host = _host(args.plugin)
    reporter = host.reporters.get(args.format)
    if reporter is None:
        raise SuperviseRulesError(
            f"unknown format {args.format!r} (known: {', '.join(sorted(host.reporters))})")
    plugin = host.plugin_of("reporters", args.format)
    to_terminal = to_stdout and sys.stdout.isatty()
    binary = run_reporter(args.format, plugin, lambda: reporter.binary)
    if binary and to_stdout and (args.output is None or to_terminal):
        raise SuperviseRulesError(f"format {args.format!r} is binary: give --output FILE "
                                  "(or --output - to send it down a pipe)")
    submission = load_submission(args.path, host=host, follow_symlinks=args.follow_symlinks)
    ruleset_ref = args.ruleset or getattr(submission.manifest, "ruleset", None) or DEFAULT_RULESET
    protect_inputs(("the ruleset file", ruleset_ref))  # the manifest's, when it names a file
    ruleset = load_ruleset(ruleset_ref, host=host)
    from .followup import apply_followup, rule_progress

    with rule_progress() as progress:
        report = check(submission, ruleset, host=host, backend=args.backend, progress=progress)
    report = apply_followup(report, args)

    options = RenderOptions(lang=args.lang, show_passes=args.show_passes, color=to_terminal,
                            width=_terminal_width() if to_terminal else 120)
    if not to_stdout:
        # streamed into the file: a national report is not held twice
        write_report(args.output, reporter, report, options, fmt=args.format, plugin=plugin)
    else:
        _to_stdout(run_reporter(args.format, plugin, lambda: reporter.render(report, options)))
    if args.fail_on == "never":
        return ExitCode.OK
    failures = report.count_failures(Severity(args.fail_on), new_only=args.fail_on_new)
    return ExitCode.FAILURES if failures else ExitCode.OK


def _to_stdout(output: str | bytes) -> None:
    if isinstance(output, bytes):  # UTF-8 text handed over as bytes, or a binary format to a pipe
        sys.stdout.flush()
        sys.stdout.buffer.write(output)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(output)
        sys.stdout.flush()


def _terminal_width() -> int:
    from rich.console import Console

    return Console().width


def cmd_list_rules(argv: list[str]) -> int:
    from .rulesets import load_ruleset

    p = _Parser(prog="supervise-check list-rules", description="List the rules of a ruleset.")
    p.add_argument("--ruleset", default=DEFAULT_RULESET)
    p.add_argument("--format", choices=("table", "json"), default="table")
    _common(p)
    args = p.parse_args(argv)
    host = _host(args.plugin)
    ruleset = load_ruleset(args.ruleset, host=host)
    rows = [
        {
            "id": r.id,
            "title": r.title.get(args.lang) if args.lang != "both" else r.title.get("both"),
            "work_point": r.rule.work_point,
            "severity": r.severity.value,
            "certainty": r.rule.certainty,
            "validator": r.rule.validator,
            "plugin": host.plugin_of("validators", r.rule.validator),
        }
        for r in sorted(ruleset.rules, key=lambda r: r.id)
    ]
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return ExitCode.OK
    from rich.console import Console
    from rich.table import Table

    from .safetext import rich_text

    console = Console(highlight=False, markup=False, emoji=False)  # a ruleset's text is not markup
    table = Table(title=rich_text(f"{ruleset.title.get(args.lang)} ({ruleset.id} {ruleset.version})"))
    for col in ("id", "title", "work point", "severity", "certainty", "validator"):
        table.add_column(col)
    for row in rows:
        table.add_row(*(rich_text(row[k] or "") for k in ("id", "title", "work_point", "severity",
                                                           "certainty", "validator")))
    console.print(table)
    if ruleset.disabled:
        console.print(rich_text("Disabled: " + "; ".join(
            f"{rid} ({d.reason})" for rid, d in sorted(ruleset.disabled.items()))))
    return ExitCode.OK


def cmd_explain(argv: list[str]) -> int:
    from .explain import explain_rule

    p = _Parser(prog="supervise-check explain", description="Show a rule's documentation.")
    p.add_argument("rule_id")
    p.add_argument("--ruleset", default=DEFAULT_RULESET)
    _common(p)
    args = p.parse_args(argv)
    host = _host(args.plugin)
    from .safetext import plain

    sys.stdout.write(plain(explain_rule(args.rule_id, args.ruleset, host=host, lang=args.lang)))
    return ExitCode.OK


_KINDS = ("validators", "readers", "reporters", "rulesets", "tables", "aliases")


def cmd_plugins(argv: list[str]) -> int:
    from .plugins import API_VERSION

    p = _Parser(
        prog="supervise-check plugins",
        description="List the loaded plugins (distribution, version, what each contributes) "
        "and the plugins that failed to load, with the reason.",
    )
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--all", action="store_true", help="include the built-in plugins")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="also load a local plugin module (repeatable)")
    args = p.parse_args(argv)
    host = _host(args.plugin, warn=False)  # failures are part of the listing
    plugins = [pl for pl in host.plugins if args.all or not pl.builtin]
    data = {
        "api_version": API_VERSION,
        "plugins": [
            {"name": pl.name, "distribution": pl.distribution, "version": pl.version,
             "builtin": pl.builtin,
             "contributes": {k: pl.contributes[k] for k in _KINDS if k in pl.contributes}}
            for pl in plugins
        ],
        "failed": [
            {"name": e.name, "distribution": e.distribution, "reason": e.reason}
            for e in host.load_errors
        ],
    }
    if args.format == "json":
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return ExitCode.OK
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    if not plugins:
        console.print("No third-party plugins loaded (use --all to list the built-ins).")
    for pl in data["plugins"]:
        where = (f"{pl['distribution']} {pl['version'] or ''}".rstrip() if pl["distribution"]
                 else "local module")
        console.print(f"[bold]{escape(pl['name'])}[/]  {escape(where)}")
        for kind, names in pl["contributes"].items():
            console.print(f"  {kind}: {escape(', '.join(names))}")
        if not pl["contributes"]:
            console.print("  (contributes nothing)")
    for err in data["failed"]:
        dist = f" ({err['distribution']})" if err["distribution"] else ""
        console.print(f"[red]failed[/] {escape(err['name'] + dist)}: {escape(err['reason'])}")
    return ExitCode.OK


def cmd_schema(argv: list[str]) -> int:
    from .schemas import SCHEMAS, render, ruleset_schema, submission_schema

    p = _Parser(
        prog="supervise-check schema",
        description="Print a JSON Schema. 'ruleset': the ruleset YAML files, with the params "
        "of every loaded validator (for editors with a YAML language server). 'submission': "
        "a submission as one JSON document (manifest and tables, English keys), with the "
        "tables of every loaded plugin.",
    )
    p.add_argument("name", choices=SCHEMAS)
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="also load a local plugin module (repeatable)")
    args = p.parse_args(argv)
    make = submission_schema if args.name == "submission" else ruleset_schema
    sys.stdout.write(render(make(_host(args.plugin))))
    return ExitCode.OK


def cmd_template(argv: list[str]) -> int:
    p = _Parser(
        prog="supervise-check template",
        description="Write the blank workbook a county sends to its schools: a 说明 sheet for "
        "the manifest, then one sheet per table the ruleset needs (every core table without "
        "--ruleset; every known table, plugins' included, when a rule does not name its "
        "tables), Chinese headers with units, "
        "drop-down lists for codes and a note on every header.",
    )
    p.add_argument("--output", "-o", type=Path, required=True, metavar="FILE",
                   help="the .xlsx file to write (an existing regular file is replaced "
                   "atomically; anything else that exists is refused)")
    p.add_argument("--ruleset", default=None,
                   help="ruleset id or YAML file whose tables to include (default: every "
                   "core table)")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="also load a local plugin module (repeatable)")
    args = p.parse_args(argv)
    if str(args.output) == "-":
        raise SuperviseRulesError("template: give a file name with -o (the workbook is binary)")
    from . import template
    from .reporters import check_output_path, protect_inputs

    protect_inputs(("the ruleset file", args.ruleset))
    template.check_template_path(args.output)  # before loading any ruleset
    check_output_path(args.output)
    ruleset, tables = None, None
    if args.ruleset is not None or args.plugin:
        from .rulesets import load_ruleset

        host = _host(args.plugin)
        tables = host.tables
        if args.ruleset is not None:
            ruleset = load_ruleset(args.ruleset, host=host)
    the_plan = template.plan(ruleset, tables)
    template.write_template(args.output, the_plan)
    why = the_plan.describe()[1]
    sys.stdout.write(f"wrote {args.output}: {', '.join(template.sheet_names(the_plan))} ({why})\n")
    return ExitCode.OK
