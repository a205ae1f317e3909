"""What every ``supervise-check`` command shares: exit codes, the default
ruleset, the argument parser that speaks the run's language, stderr lines and
the run's plugin host. :mod:`supervise_rules.cli` and the follow-up commands
(:mod:`supervise_rules.followup`) both build on it, so neither imports the other's
private names."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from .plugins import PluginHost

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


class ParserExit(SystemExit):
    """argparse's own exit (``--help``, a usage error): the one ``SystemExit``
    that ends a run. Any other (a plugin's ``sys.exit()``) is that code's error."""


#: the language of the CLI's own words (errors, help) for this run (see :func:`message_lang`)
#: and the default ``--lang`` of its output (see :func:`default_lang`)
_LANG = "en"
_OUTPUT_LANG = "zh"


def set_languages(argv: Sequence[str]) -> None:
    """Fix this run's languages from ``--lang`` in ``argv``, else the locale."""
    global _LANG, _OUTPUT_LANG
    _LANG = _lang_in(argv) or message_lang()
    _OUTPUT_LANG = _lang_in(argv) or default_lang()


def cli_lang() -> str:
    """The language of the CLI's own words for this run."""
    return _LANG


def output_lang() -> str:
    """The default ``--lang`` of this run's output."""
    return _OUTPUT_LANG


def speaks_zh() -> bool:
    return _LANG in ("zh", "both")


def say(zh_text: str, en: str) -> str:
    """The CLI's own text in the run's language."""
    return zh_text if speaks_zh() else en


def locale_lang(environ: dict[str, str] | None = None) -> str | None:
    """``zh`` under a Chinese locale, ``en`` under another language's, ``None``
    when the locale names no language (unset, ``C``, ``POSIX``). ``LC_ALL`` wins
    over ``LC_MESSAGES`` over ``LANG``, as in every POSIX program."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(var) or "").strip()
        if not value:
            continue
        lang = value.split(".")[0].split("@")[0].lower()
        if lang in ("c", "posix", ""):
            return None
        return "zh" if lang.startswith("zh") else "en"
    return None


def default_lang(environ: dict[str, str] | None = None) -> str:
    """The default ``--lang`` of the report: the locale's, and ``zh`` when the
    locale names no language (the clerks this tool is for read Chinese)."""
    return locale_lang(environ) or "zh"


def message_lang(environ: dict[str, str] | None = None) -> str:
    """The default language of the CLI's own errors and help: the locale's, and
    English when it names none. A server or CI job (``C`` locale) keeps the
    stable ``error: …`` lines scripts grep for; a clerk's Chinese desktop and
    ``--lang zh`` get Chinese."""
    return locale_lang(environ) or "en"


def _lang_in(argv: Sequence[str]) -> str | None:
    """``--lang`` as given on the command line, read before any parser runs (the
    parser's own errors and help speak it)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1] if argv[i + 1] in ("zh", "en", "both") else None
        if arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
            return value if value in ("zh", "en", "both") else None
    return None


#: argparse's own messages (Python 3.11), in Chinese
_ARGPARSE_ZH = (
    (re.compile(r"^the following arguments are required: (.*)$"), "缺少必需的参数：{0}"),
    (re.compile(r"^unrecognized arguments: (.*)$"), "无法识别的参数：{0}"),
    (
        re.compile(r"^argument (\S+): invalid choice: (.*) \(choose from (.*)\)$"),
        "参数 {0}：无效的取值 {1}（可选：{2}）",
    ),
    (re.compile(r"^argument (\S+): expected one argument$"), "参数 {0}：需要一个值"),
    (re.compile(r"^argument (\S+): invalid (\S+) value: (.*)$"), "参数 {0}：无效的值 {2}"),
    (re.compile(r"^argument (\S+): (.*)$"), "参数 {0}：{1}"),
)
_HELP_ZH = (
    ("usage: ", "用法："),
    ("positional arguments:", "位置参数："),
    ("options:", "选项："),
    ("show this help message and exit", "显示本帮助并退出"),
)


class Parser(argparse.ArgumentParser):
    """argparse speaking the run's language, exiting with :class:`ExitCode` and
    saying *did you mean* for a mistyped option or choice."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self._print_message(message, sys.stderr)
        raise ParserExit(status)

    def format_usage(self) -> str:
        return _help_zh(super().format_usage())

    def format_help(self) -> str:
        return _help_zh(super().format_help())

    def error(self, message: str) -> NoReturn:  # argparse exits 2 too, but with our wording
        hint = self._hint(message)
        if speaks_zh():
            for pattern, zh in _ARGPARSE_ZH:
                m = pattern.match(message)
                if m:
                    message = zh.format(*m.groups())
                    break
        self.print_usage(sys.stderr)
        label = "错误：" if speaks_zh() else "error: "
        sep = "；" if speaks_zh() else "; "
        print(f"{self.prog}: {label}{message}{sep + hint if hint else ''}", file=sys.stderr)
        raise ParserExit(ExitCode.USAGE)

    def _hint(self, message: str) -> str:
        """did you mean …, for a mistyped option or choice."""
        from .selection import did_you_mean

        lang = "zh" if speaks_zh() else "en"
        m = re.match(r"^unrecognized arguments: (\S+)", message)
        if m and m.group(1).startswith("-"):
            options = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
            return did_you_mean(m.group(1).split("=")[0], options, lang=lang)
        m = re.match(r"^argument \S+: invalid choice: '([^']*)' \(choose from (.*)\)$", message)
        if m:
            return did_you_mean(m.group(1), re.findall(r"'([^']*)'", m.group(2)), lang=lang)
        return ""


def _help_zh(text: str) -> str:
    if not speaks_zh():
        return text
    for en, zh in _HELP_ZH:
        text = text.replace(en, zh)
    return text


#: the labels of stderr lines, in Chinese
_LABEL_ZH = {"error": "错误", "warning": "警告", "interrupted": "中断", "wrote": "已写入"}


def build_host(plugins: Sequence[str], *, warn: bool = True) -> PluginHost:
    """The run's plugin host (built-ins, installed plugins, ``--plugin`` modules),
    warning on stderr about each plugin that failed to load."""
    from .plugins import get_plugin_host

    host = get_plugin_host(plugins)
    for err in host.load_errors if warn else ():
        to_stderr(
            "warning",
            "yellow",
            f"plugin {err.name!r}"
            + (f" ({err.distribution})" if err.distribution else "")
            + f" was not loaded: {err.reason}",
        )
    return host


def warn(message: str) -> None:
    to_stderr("warning", "yellow", message)


def to_stderr(label: str, style: str, message: str) -> None:
    """``label: message`` on stderr, coloured on a terminal. rich is imported only
    then: a nightly run writing to files or pipes never pays for it. The message
    may quote the data (a file, sheet or cell): its control characters are shown as U+FFFD."""
    from .safetext import plain

    message = plain(message)
    shown = f"{_LABEL_ZH.get(label, label)}：" if speaks_zh() else f"{label}:"
    if not _colour(sys.stderr):
        sys.stderr.write(f"{shown}{'' if speaks_zh() else ' '}{message}\n")
        sys.stderr.flush()
        return
    from rich.console import Console
    from rich.text import Text

    # a Text, never markup: a message quoting "[/]" or "[link=…]" is shown as written
    Console(stderr=True, highlight=False, markup=False, emoji=False, force_terminal=True).print(
        Text.assemble((shown, style), "" if speaks_zh() else " ", message), soft_wrap=True
    )


#: ``--color``: ``None`` for auto
_COLOR: bool | None = None


def set_colour(choice: bool | None) -> None:
    """``--color`` of this run for stderr: ``None`` for auto."""
    global _COLOR
    _COLOR = choice


def colour_wanted(choice: str, stream: Any, environ: dict[str, str] | None = None) -> bool:
    """``--color``: ``always`` and ``never`` as said; ``auto`` colours a terminal,
    unless ``NO_COLOR`` is set (https://no-color.org), or ``FORCE_COLOR`` forces it."""
    env = os.environ if environ is None else environ
    if choice == "always":
        return True
    if choice == "never":
        return False
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _colour(stream: Any) -> bool:
    return colour_wanted("auto", stream) if _COLOR is None else _COLOR
