"""``supervise-check``: the command a clerk runs on a submission.

A thin layer: parse arguments, call the library, print through a reporter,
map the outcome to an exit code. Every library error for a user's mistake is
printed as one clear message (exit 2); an unexpected exception is an internal
error (exit 3).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .commandline import (
    DEFAULT_RULESET,
    ExitCode,
    cli_lang,
    colour_wanted,
    message_lang,
    output_lang,
    set_colour,
    set_languages,
)
from .commandline import Parser as _Parser
from .commandline import ParserExit as _ParserExit
from .commandline import build_host as _host
from .commandline import say as _say
from .commandline import speaks_zh as _zh
from .commandline import to_stderr as _to_stderr
from .errors import SuperviseRulesError
from .models import Severity

if TYPE_CHECKING:
    from .plugins import PluginHost
    from .reporters import View
    from .rulesets import Ruleset

#: help of the options other modules add to ``check`` (they write it in English)
_OPTION_ZH = {
    "waivers": "已批准的豁免清单（YAML：规则、对象、理由、批准人、有效期）",
    "today": "判断豁免是否有效的日期（默认：提交数据的统计截止日期）",
    "baseline": "上次的 JSON 结果：把不通过项标为新增 / 仍存在 / 已整改（回头看）",
    "fail_on_new": "只有相对 --baseline 新增的不通过项才使退出码为 1",
    "follow_symlinks": "也读取文件夹中链接到文件夹之外的表文件或清单",
    "limit": "调高或调低输入文件的上限，例如 --limit max_sheet_rows=2000000（可重复；见 "
    "docs/reliability.md）",
}


def _translate_options(p: argparse.ArgumentParser) -> None:
    if not _zh():
        return
    for action in p._actions:
        if action.dest in _OPTION_ZH:
            action.help = _OPTION_ZH[action.dest]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help=_say("加载本地插件模块（可重复）", "load a local plugin module (repeatable)"),
    )
    p.add_argument(
        "--lang",
        choices=("zh", "en", "both"),
        default=output_lang(),
        help=_say(
            "输出和提示的语言（默认随系统语言环境，中文环境或未设置时为 zh）",
            "language of the output and of this command's own messages "
            "(default: from the locale; zh when it is Chinese or not set)",
        ),
    )


def _selection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--select",
        action="append",
        metavar="SELECTORS",
        help=_say(
            "只检查这些规则：规则编号（BAL-05）、前缀（BAL、INS-0）、工作要点（wp:7）"
            "或严重程度（major）；逗号分隔，可重复",
            "check only these rules: ids (BAL-05), prefixes (BAL, INS-0), work "
            "points (wp:7) or severities (major); comma-separated, repeatable",
        ),
    )
    p.add_argument(
        "--ignore",
        action="append",
        metavar="SELECTORS",
        help=_say("不检查这些规则（写法同 --select）", "leave out these rules (selectors as for --select)"),
    )
    p.add_argument(
        "--no-config",
        action="store_true",
        help=_say(
            "不读取项目配置（supervise-rules.toml 或 pyproject.toml 的 [tool.supervise-rules]）",
            "do not read the project config (supervise-rules.toml, or "
            "[tool.supervise-rules] in pyproject.toml)",
        ),
    )


#: the subcommands, each with one line for ``--help`` (zh, en)
COMMANDS: dict[str, tuple[str, str]] = {
    "list-rules": (
        "列出规则集的规则（编号、名称、严重程度、工作要点、标准、可信度）",
        "list a ruleset's rules (id, title, severity, work point, threshold, certainty)",
    ),
    "explain": ("显示一条规则的说明：检查什么、为什么、依据、示例", "show a rule's documentation"),
    "plugins": ("列出已加载的插件及其提供的内容", "list the loaded plugins and what they add"),
    "schema": ("输出 JSON Schema（ruleset 或 submission）", "print a JSON Schema (ruleset or submission)"),
    "template": ("生成发给学校填报的空白工作簿", "write the blank workbook a county sends out"),
    "report": ("report selfcheck：生成核心指标自查报告", "report selfcheck: the self-check report"),
    "notices": ("为每所有不通过项的学校生成督办单", "write a rectification notice per school"),
    "help": ("显示本帮助，或某个命令的帮助（help COMMAND）", "show this help, or a command's (help COMMAND)"),
}


def _main_description() -> str:
    width = max(len(c) for c in COMMANDS)
    lines = [
        _say(
            "按规则集检查一份督导数据（文件夹、.xlsx 工作簿或 .json 文件）。",
            "Check a submission (folder, .xlsx workbook or .json document) against a ruleset.",
        ),
        "",
        _say("命令：", "commands:"),
    ]
    for name, (zh, en) in COMMANDS.items():
        lines.append(f"  {name:<{width}}  {_say(zh, en)}")
    lines.append(
        _say("  （其他参数：检查 PATH 所指的提交数据）", "  (anything else: check the submission at PATH)")
    )
    return "\n".join(lines)


def _main_epilog() -> str:
    return "\n".join(
        [
            _say("示例：", "examples:"),
            "  supervise-check examples/helan-2024",
            "  supervise-check data/ --select BAL,wp:4 --ignore BAL-27",
            "  supervise-check data.xlsx --format json -o report.json",
            "  supervise-check data/ --format concise | grep INS-",
            "  supervise-check data/ --statistics",
            "  supervise-check list-rules --select wp:9",
            "  supervise-check explain BAL-05",
            "",
            _say("退出码：", "exit codes:"),
            _say("  0  没有 --fail-on 及以上的不通过项", "  0  no failure at or above --fail-on"),
            _say(
                "  1  有 --fail-on（默认 major）及以上的不通过项或错误",
                "  1  a failure or error at or above --fail-on (default major)",
            ),
            _say(
                "  2  用法或输入有误：参数、规则集、无法读取的数据、插件",
                "  2  usage or input error: an option, the ruleset, unreadable data, a plugin",
            ),
            _say(
                "  3  supervise-rules 本身的错误（请报告）",
                "  3  a bug in supervise-rules (please report it)",
            ),
            _say("130  用户按 Ctrl-C 中断", "130  interrupted by the user (Ctrl-C)"),
        ]
    )


def _format_names() -> list[str]:
    from .builtin.report_formats import BUILTIN_FORMATS

    return list(BUILTIN_FORMATS)


def _check_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="supervise-check", description=_main_description(), epilog=_main_epilog())
    p.add_argument(
        "path",
        help=_say(
            "提交数据：文件夹、.xlsx 工作簿或 .json 文件",
            "submission: folder, .xlsx workbook or .json document",
        ),
    )
    p.add_argument("--version", "-V", action="version", version=_version_line())
    p.add_argument(
        "--ruleset",
        default=None,
        help=_say(
            f"规则集编号或 YAML 文件（默认：清单中指定的，否则 {DEFAULT_RULESET}）",
            f"ruleset id or YAML file (default: the manifest's, else {DEFAULT_RULESET})",
        ),
    )
    formats = ", ".join(_format_names())
    p.add_argument(
        "--format",
        default="table",
        metavar="FORMAT",
        help=_say(
            f"输出格式，不区分大小写：{formats}，或插件提供的格式（默认 table）",
            f"output format, any case: {formats}, or a plugin's (default table)",
        ),
    )
    p.add_argument(
        "--report-option",
        "-O",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="report_options",
        help=_say(
            "输出格式自己的选项（可重复；格式在其 Options 中声明）",
            "an option of the output format itself (repeatable; the format declares them in its Options)",
        ),
    )
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help=_say(
            "把报告写入此文件（'-'：标准输出）；普通文件以原子方式替换，所在文件夹必须已存在",
            "write the report to this file ('-': standard output); a regular "
            "file is replaced atomically, a device or FIFO is written in place; "
            "its folder must exist",
        ),
    )
    p.add_argument(
        "--fail-on",
        default="major",
        choices=[s.value for s in Severity] + ["never"],
        help=_say(
            "不通过时使退出码为 1 的最低严重程度（默认 major）",
            "lowest severity whose failure gives exit status 1 (default major)",
        ),
    )
    p.add_argument(
        "--include-passes",
        "--show-passes",
        dest="show_passes",
        action="store_true",
        help=_say(
            "也列出通过项（概况中始终计入）",
            "list passing findings too (they are always counted in the summary)",
        ),
    )
    _selection_options(p)
    p.add_argument(
        "--max-per-rule",
        type=_non_negative,
        default=None,
        metavar="N",
        help=_say(
            "table 视图中每条规则最多列出的不通过项（默认 20；0：全部列出）",
            "failures listed per rule in the table view (default 20; 0: all)",
        ),
    )
    view = p.add_mutually_exclusive_group()
    view.add_argument(
        "--statistics",
        action="store_true",
        help=_say("只输出每条规则的不通过数和总计行", "print only the per-rule counts and the totals line"),
    )
    view.add_argument(
        "--quiet", "-q", action="store_true", help=_say("只输出最后的总计行", "print only the totals line")
    )
    p.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help=_say(
            "彩色输出（默认 auto：在终端上着色；遵循 NO_COLOR 和 FORCE_COLOR）",
            "colour the output (default auto: on a terminal; honours NO_COLOR and FORCE_COLOR)",
        ),
    )
    p.add_argument(
        "--backend",
        default="polars",
        metavar="NAME",
        help=_say(
            "列表达式的执行引擎：polars（默认）、duckdb、spark，或插件提供的",
            "where column expressions run: polars (default), duckdb, spark, or a plugin's",
        ),
    )
    from .followup import add_followup_options, add_symlink_option
    from .limits import add_limit_option

    add_symlink_option(p)
    add_followup_options(p)
    add_limit_option(p)
    _common(p)
    _translate_options(p)
    return p


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            _say(f"应为 0 或正整数，而不是 {text!r}", f"expected 0 or a positive whole number, not {text!r}")
        )
    return value


def _version_line() -> str:
    import platform

    from . import __version__

    return f"supervise-check (supervise-rules) {__version__}, Python {platform.python_version()}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    set_languages(args)
    commands = {
        "list-rules": cmd_list_rules,
        "explain": cmd_explain,
        "plugins": cmd_plugins,
        "schema": cmd_schema,
        "template": cmd_template,
        "report": _lazy("cmd_report"),
        "notices": _lazy("cmd_notices"),
        "help": cmd_help,
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
            _refuse_mistyped_command(args[0] if args else "", list(commands))
            return int(cmd_check(args))
    except BaseException as exc:  # every way out of a run is decided by _failure
        return _failure(exc)


def _refuse_mistyped_command(word: str, commands: list[str]) -> None:
    """``list-rule`` is a command mistyped, not a submission: say so (exit 2)
    instead of "cannot read list-rule". A path that exists is always a path."""
    from .selection import did_you_mean

    if not word or word.startswith("-") or os.path.lexists(word) or any(c in word for c in "/\\."):
        return
    hint = did_you_mean(word, commands, lang="zh" if _zh() else "en")
    if hint:
        raise SuperviseRulesError(
            _say(
                f"未知命令 {word!r}，也没有这个文件或文件夹；{hint}",
                f"unknown command {word!r} (and no such file or folder); {hint}",
            )
        )


def cmd_help(argv: list[str]) -> int:
    """``help`` or ``help COMMAND``."""
    argv = [a for i, a in enumerate(argv) if not a.startswith("-") and not (i and argv[i - 1] == "--lang")]
    if argv and argv[0] in COMMANDS and argv[0] != "help":
        return main([argv[0], "--help", *(["--lang", cli_lang()] if message_lang() != cli_lang() else [])])
    if argv:
        from .selection import did_you_mean

        hint = did_you_mean(argv[0], list(COMMANDS), lang="zh" if _zh() else "en")
        raise SuperviseRulesError(
            _say(f"没有命令 {argv[0]!r}", f"no command {argv[0]!r}")
            + (("；" if _zh() else "; ") + hint if hint else "")
        )
    _check_parser().print_help()
    return ExitCode.OK


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
        # the CLI's own errors carry their Chinese (see _usage_error); the library's are English
        _error(exc.zh if _zh() and exc.zh else str(exc))
        return ExitCode.USAGE
    if culprit is not None:  # raised in (or through) a plugin's code: its error, not ours
        plugin, where = culprit
        _error(
            _say(
                f"插件 {plugin!r} 出错（{where}）：{_describe(exc)}；检查已停止",
                f"plugin {plugin!r} failed ({where}): {_describe(exc)}; the run was stopped",
            )
        )
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
        _error(
            f"internal error: {_describe(exc)} — the traceback is in {log}; please report it with that file"
        )
    else:  # no log could be written anywhere: the traceback must not be lost
        import traceback

        _error(
            f"internal error: {_describe(exc)} (no log file: {why}); please report it with "
            "this traceback:\n" + "".join(traceback.format_exception(exc)).rstrip()
        )
    return ExitCode.INTERNAL


def log_directories() -> list[Path]:
    """Where an internal error's traceback is written, in order of preference:
    ``$XDG_STATE_HOME/supervise-rules`` (default ``~/.local/state/supervise-rules``),
    then the system temporary directory. Never next to the outputs."""
    import os
    import tempfile

    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return [Path(state) / "supervise-rules", Path(tempfile.gettempdir())]


def _write_log(exc: BaseException) -> tuple[Path | None, str]:
    import datetime as dt
    import os
    import platform
    import traceback

    from . import __version__

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (
        f"supervise-rules {__version__}, Python {platform.python_version()} on "
        f"{platform.platform()}\ncommand: {' '.join(map(repr, sys.argv))}\n\n"
        + "".join(traceback.format_exception(exc))
    )
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


def _lazy(name: str) -> Callable[[list[str]], int]:
    """A command implemented in :mod:`supervise_rules.followup`, imported when run."""

    def run(argv: list[str]) -> int:
        from . import followup

        status: int = getattr(followup, name)(argv)
        return status

    return run


def _error(message: str) -> None:
    _to_stderr("error", "bold red", message)


def _usage_error(zh: str, en: str) -> SuperviseRulesError:
    """An error of the command line itself, in both languages (exit 2)."""
    exc = SuperviseRulesError(en)
    exc.zh = zh
    return exc


def cmd_check(argv: list[str]) -> int:
    from .engine import check
    from .limits import set_command_limits
    from .readers import load_submission
    from .reporters import (
        DEFAULT_MAX_PER_RULE,
        RenderOptions,
        check_output_path,
        protect_inputs,
        run_reporter,
        write_report,
    )

    args = _check_parser().parse_args(argv)
    set_command_limits(args.limit)  # --limit NAME=VALUE, for every file this command reads
    to_stdout = args.output is None or str(args.output) == "-"
    protect_inputs(
        ("the submission", args.path),
        ("the waivers file", args.waivers),
        ("the baseline", args.baseline),
        ("the ruleset file", args.ruleset),
    )
    if not to_stdout:
        check_output_path(args.output)
    set_colour(colour_wanted(args.color, sys.stderr) if args.color != "auto" else None)
    host = _host(args.plugin)
    fmt = _format_name(args.format, host.reporters)
    if (args.statistics or args.quiet) and fmt not in _VIEW_FORMATS:
        flag = "--statistics" if args.statistics else "--quiet"
        raise _usage_error(
            f"{flag} 只用于 table 和 concise 格式，不能与 --format {fmt} 同用",
            f"{flag} is for the table and concise formats, not --format {fmt}",
        )
    if args.backend not in host.backends:  # before any file is read
        from .selection import did_you_mean

        known = ", ".join(sorted(host.backends))
        hint = did_you_mean(args.backend, host.backends)
        hint_zh = did_you_mean(args.backend, host.backends, lang="zh")
        raise _usage_error(
            f"没有名为 {args.backend!r} 的后端{'；' + hint_zh if hint_zh else ''}（可用：{known}）",
            f"unknown backend {args.backend!r}{'; ' + hint if hint else ''} (known: {known})",
        )
    reporter = host.reporters[fmt]
    plugin = host.plugin_of("reporters", fmt)
    extra = _report_options(fmt, plugin, reporter, args.report_options)  # before the run
    to_terminal = to_stdout and sys.stdout.isatty()
    binary = run_reporter(fmt, plugin, lambda: reporter.binary)
    if binary and to_stdout and (args.output is None or to_terminal):
        raise _usage_error(
            f"{fmt!r} 是二进制格式：请用 --output FILE 指定文件（或 --output - 输出到管道）",
            f"format {fmt!r} is binary: give --output FILE (or --output - to send it down a pipe)",
        )
    from .progress import phases

    with phases() as progress:
        progress.phase(_say("读取数据", "reading"))
        submission = load_submission(
            args.path, host=host, follow_symlinks=args.follow_symlinks, backend=args.backend
        )
        ruleset_ref = args.ruleset or getattr(submission.manifest, "ruleset", None) or DEFAULT_RULESET
        protect_inputs(("the ruleset file", ruleset_ref))  # the manifest's, when it names a file
        ruleset = _load_ruleset(ruleset_ref, host)
        from .followup import apply_followup

        report = check(
            submission,
            ruleset,
            host=host,
            backend=args.backend,
            progress=progress.rules,
            select=_joined(args.select),
            ignore=_joined(args.ignore),
            config=not args.no_config,
        )
        report = apply_followup(report, args)
        progress.phase(_say("生成报告", "rendering"))
        colour = colour_wanted(args.color, sys.stdout) if to_stdout else args.color == "always"
        view: View = "statistics" if args.statistics else "quiet" if args.quiet else "full"
        options = RenderOptions(
            extra=extra,
            lang=args.lang,
            show_passes=args.show_passes,
            color=colour,
            width=_terminal_width() if to_terminal else _columns(),
            max_per_rule=DEFAULT_MAX_PER_RULE if args.max_per_rule is None else args.max_per_rule,
            view=view,
        )
        if not to_stdout:
            # streamed into the file: a national report is not held twice
            write_report(args.output, reporter, report, options, fmt=fmt, plugin=plugin)
            output = None
        elif to_terminal and fmt in _STREAMED:
            # drawn part by part: the first screen comes before the whole is made, and
            # is the progress from here on; the findings are listed (messages made)
            # under the progress line first
            report.count_failures(Severity.info)
            progress.stop()
            sys.stdout.flush()
            run_reporter(fmt, plugin, lambda: reporter.write(report, options, sys.stdout.buffer))
            output = b""
        else:
            output = run_reporter(fmt, plugin, lambda: reporter.render(report, options))
    if output:
        _to_stdout(output)
    elif output is None:
        failures = report.count_failures(Severity.info)
        _to_stderr(
            "wrote",
            "green",
            _say(
                f"{fmt} 格式报告 → {args.output}"
                f"（{report.summary.rules_run} 条规则，不通过 {failures:,} 项）",
                f"{fmt} report to {args.output} ({report.summary.rules_run} rules, {failures:,} failures)",
            ),
        )
    if args.fail_on == "never":
        return ExitCode.OK
    failures = report.count_failures(Severity(args.fail_on), new_only=args.fail_on_new)
    return ExitCode.FAILURES if failures else ExitCode.OK


#: built-in formats written to a terminal as they are made
_STREAMED = ("table",)

#: the formats that have a ``--statistics`` and a ``--quiet`` view
_VIEW_FORMATS = ("table", "concise")


def _joined(values: list[str] | None) -> list[str] | None:
    """``--select A --select B,C`` -> ``["A", "B,C"]``; not given: ``None`` (the
    manifest or the project config decides)."""
    return None if values is None else list(values)


def _format_name(given: str, known: Collection[str]) -> str:
    """``--format``, matched without regard to case; a typo gets did-you-mean (exit 2)."""
    from .selection import did_you_mean

    if given in known:
        return given
    folded = {name.lower(): name for name in known}
    if given.lower() in folded:
        return folded[given.lower()]
    names = ", ".join(known)
    hint = did_you_mean(given, list(known), lang="zh" if _zh() else "en")
    raise _usage_error(
        f"未知的输出格式 {given!r}{'；' + hint if hint else ''}（可用：{names}）",
        f"unknown format {given!r}{'; ' + hint if hint else ''} (known: {names})",
    )


def _load_ruleset(ref: str, host: PluginHost) -> Ruleset:
    """``load_ruleset``, with did-you-mean for a mistyped ruleset id."""
    from .rulesets import load_ruleset
    from .selection import did_you_mean

    known = getattr(host, "rulesets", {}) or {}
    looks_like_file = ref.endswith((".yaml", ".yml")) or "\\" in ref or os.path.exists(ref)
    if not looks_like_file and ref not in known:
        hint = did_you_mean(ref, list(known), lang="zh" if _zh() else "en")
        names = ", ".join(sorted(known))
        raise _usage_error(
            f"未知规则集 {ref!r}{'；' + hint if hint else ''}（可用：{names}）",
            f"unknown ruleset {ref!r}{'; ' + hint if hint else ''} (known: {names})",
        )
    return load_ruleset(ref, host=host)


def _columns() -> int:
    """The width of a report sent to a file or a pipe: ``COLUMNS`` when set, else 120."""
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return 120


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
    from .explain import threshold_text
    from .rules import doc_text
    from .selection import chosen_rules, read_codes, select_rules

    p = _Parser(
        prog="supervise-check list-rules",
        description=_say(
            "列出规则集的规则：编号、名称、严重程度、工作要点、标准和可信度。",
            "List the rules of a ruleset: id, title, severity, work point, threshold and certainty.",
        ),
    )
    p.add_argument(
        "--ruleset",
        default=DEFAULT_RULESET,
        help=_say(
            f"规则集编号或 YAML 文件（默认 {DEFAULT_RULESET}）",
            f"ruleset id or YAML file (default {DEFAULT_RULESET})",
        ),
    )
    p.add_argument(
        "--format",
        default="table",
        type=str.lower,
        choices=("table", "json"),
        help=_say("table（默认）或 json（供脚本使用）", "table (default) or json, for scripts"),
    )
    _selection_options(p)
    _common(p)
    args = p.parse_args(argv)
    host = _host(args.plugin)
    ruleset = _load_ruleset(args.ruleset, host)
    selection = chosen_rules(
        None,
        _joined(args.select),
        _joined(args.ignore),
        config=not args.no_config,
        origin=("--select", "--ignore"),
    )
    rules = select_rules(sorted(ruleset.rules, key=lambda r: r.id), selection, read_codes())
    lang = args.lang
    if args.format == "json":
        rows = [
            {
                "id": r.id,
                "title": {"zh": r.title.zh, "en": r.title.en},
                "severity": r.severity.value,
                "work_point": r.rule.work_point,
                "threshold": {"zh": threshold_text(r, "zh"), "en": threshold_text(r, "en")},
                "certainty": r.rule.certainty,
                "validator": r.rule.validator,
                "validator_summary": {
                    lang: doc_text(getattr(host.validators.get(r.rule.validator), "summary", None), lang)
                    for lang in ("zh", "en")
                },
                "plugin": host.plugin_of("validators", r.rule.validator),
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return ExitCode.OK
    from rich.console import Console
    from rich.table import Table

    from .builtin.report_formats._common import certainty_text, label
    from .builtin.report_formats._wrap import wrappable
    from .safetext import rich_text

    tty = sys.stdout.isatty()
    colour = colour_wanted("auto", sys.stdout)
    # a pipe gets whole titles: a script or a pager must not see "每百名学生拥 …"
    console = Console(
        highlight=False,
        markup=False,
        emoji=False,
        force_terminal=colour,
        no_color=not colour,
        width=None if tty else _columns(),
    )
    table = Table(
        title=rich_text(f"{ruleset.title.get(lang)} ({ruleset.id} {ruleset.version})"),
        box=None,
        pad_edge=False,
        header_style="bold",
    )
    heads = ("rule_id", "rule_title", "severity", "work_point", "threshold", "certainty")
    names = {"threshold": ("标准", "Threshold")}
    for key in heads:
        zh, en = names.get(key, (label(key, "zh"), label(key, "en")))
        table.add_column(
            _say(zh, en) if lang != "both" else f"{zh}\n{en}",
            no_wrap=key in ("rule_id", "severity", "certainty"),
        )
    for r in rules:
        title = r.title.get(lang) if lang != "both" else f"{r.title.zh}\n{r.title.en}"
        sure = certainty_text(r.rule.certainty, "en" if lang == "en" else "zh")
        table.add_row(
            rich_text(r.id),
            wrappable(rich_text(title)),
            rich_text(label(r.severity.value, lang)),
            rich_text(r.rule.work_point or "—"),
            wrappable(rich_text(threshold_text(r, "en" if lang == "en" else "zh"))),
            rich_text(sure),
        )
    console.print(table)
    if ruleset.disabled:
        console.print(
            rich_text(
                _say("已停用：", "Disabled: ")
                + "; ".join(f"{rid} ({d.reason})" for rid, d in sorted(ruleset.disabled.items()))
            )
        )
    return ExitCode.OK


def _report_options(fmt: str, plugin: str | None, reporter: Any, given: list[str]) -> Any:
    """``--report-option KEY=VALUE`` validated against the format's ``Options``
    (exit 2 naming the option before anything runs); ``None`` without options."""
    from pydantic import ValidationError

    from .reporters import run_reporter

    model = run_reporter(fmt, plugin, reporter.options_model)
    if model is None:
        if given:
            raise _usage_error(
                f"格式 {fmt!r} 没有自己的选项（--report-option）",
                f"format {fmt!r} takes no options (--report-option)",
            )
        return None
    values: dict[str, str] = {}
    for item in given:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise _usage_error(
                f"--report-option 应为 KEY=VALUE，而不是 {item!r}",
                f"--report-option takes KEY=VALUE, not {item!r}",
            )
        values[key.strip()] = value
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        known = ", ".join(model.model_fields)
        shown = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'option'}: {e['msg']}" for e in exc.errors()[:3])
        raise _usage_error(
            f"格式 {fmt!r} 的选项有误：{shown}（可用：{known}）",
            f"format {fmt!r}: bad --report-option: {shown} (options: {known})",
        ) from None


def cmd_explain(argv: list[str]) -> int:
    from .explain import explain_rule

    p = _Parser(
        prog="supervise-check explain",
        description=_say(
            "显示一条规则的说明：标准、依据、可信度、检查方式和提示信息。", "Show a rule's documentation."
        ),
    )
    p.add_argument("rule_id", help=_say("规则编号，例如 BAL-05", "a rule id, e.g. BAL-05"))
    p.add_argument(
        "--ruleset",
        default=None,
        help=_say(
            f"规则集编号或 YAML 文件（默认：先找 {DEFAULT_RULESET}，再找其他已安装的规则集）",
            f"ruleset id or YAML file (default: {DEFAULT_RULESET}, then every other installed ruleset)",
        ),
    )
    _selection_options(p)
    _common(p)
    args = p.parse_args(argv)
    host = _host(args.plugin)
    from .safetext import plain
    from .selection import chosen_rules, is_selected, rule_key

    if args.ruleset is not None:
        _load_ruleset(args.ruleset, host)  # did-you-mean for a mistyped ruleset
    from .explain import locate_rule

    _, rule = locate_rule(args.rule_id, args.ruleset, host, DEFAULT_RULESET)
    selection = chosen_rules(
        None,
        _joined(args.select),
        _joined(args.ignore),
        config=not args.no_config,
        origin=("--select", "--ignore"),
    )
    if not is_selected(rule_key(rule), selection):
        where = f" ({selection.origin})" if selection.origin else ""
        raise _usage_error(
            f"规则 {rule.id} 未被选中{where}，本次不会检查它；去掉 --select/--ignore 或加 --no-config 可查看",
            f"rule {rule.id} is not selected{where}: it is not checked; drop "
            "--select/--ignore or add --no-config to see it",
        )
    sys.stdout.write(plain(explain_rule(args.rule_id, args.ruleset, host=host, lang=args.lang)))
    return ExitCode.OK


_KINDS = ("validators", "readers", "reporters", "rulesets", "backends", "tables", "aliases")


def cmd_plugins(argv: list[str]) -> int:
    from .plugins import API_VERSION

    p = _Parser(
        prog="supervise-check plugins",
        description="List the loaded plugins (distribution, version, what each contributes) "
        "and the plugins that failed to load, with the reason.",
    )
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--all", action="store_true", help="include the built-in plugins")
    p.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="also load a local plugin module (repeatable)",
    )
    args = p.parse_args(argv)
    host = _host(args.plugin, warn=False)  # failures are part of the listing
    plugins = [pl for pl in host.plugins if args.all or not pl.builtin]
    data: dict[str, Any] = {
        "api_version": API_VERSION,
        "plugins": [
            {
                "name": pl.name,
                "distribution": pl.distribution,
                "version": pl.version,
                "builtin": pl.builtin,
                "contributes": {k: pl.contributes[k] for k in _KINDS if k in pl.contributes},
            }
            for pl in plugins
        ],
        "failed": [
            {"name": e.name, "distribution": e.distribution, "reason": e.reason} for e in host.load_errors
        ],
    }
    # a plugin that failed to load is a problem to act on, also for a script
    status = ExitCode.FAILURES if host.load_errors else ExitCode.OK
    if args.format == "json":
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return status
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    if not plugins:
        console.print("No third-party plugins loaded (use --all to list the built-ins).")
    for pl in data["plugins"]:
        where = (
            f"{pl['distribution']} {pl['version'] or ''}".rstrip() if pl["distribution"] else "local module"
        )
        console.print(f"[bold]{escape(pl['name'])}[/]  {escape(where)}")
        for kind, names in pl["contributes"].items():
            console.print(f"  {kind}: {escape(', '.join(names))}")
        if not pl["contributes"]:
            console.print("  (contributes nothing)")
    for err in data["failed"]:
        dist = f" ({err['distribution']})" if err["distribution"] else ""
        console.print(f"[red]failed[/] {escape(err['name'] + dist)}: {escape(err['reason'])}")
    return status


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
    p.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="also load a local plugin module (repeatable)",
    )
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
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        required=True,
        metavar="FILE",
        help="the .xlsx file to write (an existing regular file is replaced "
        "atomically; anything else that exists is refused)",
    )
    p.add_argument(
        "--ruleset",
        default=None,
        help="ruleset id or YAML file whose tables to include (default: every core table)",
    )
    p.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="also load a local plugin module (repeatable)",
    )
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
