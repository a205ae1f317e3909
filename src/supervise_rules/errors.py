"""The library's exceptions. Findings are data, not exceptions: these are raised
only when a check cannot be set up at all (bad ruleset, unreadable submission,
unknown plugin). The CLI turns each into one clear message and exit code 2."""

from __future__ import annotations


class SuperviseRulesError(Exception):
    """Base of every error the library raises for a user's mistake."""

    #: the message in Chinese, where the code that raised it wrote one (the CLI
    #: shows it when the language is Chinese); ``None``: English only
    zh: str | None = None


class RulesetError(SuperviseRulesError):
    """One or more problems in ruleset files, each located as ``file:line: message``."""

    def __init__(self, problems: list[tuple[str, int | None, str]]):
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{file}:{line}: {msg}" if line else f"{file}: {msg}" for file, line, msg in self.problems]


class SubmissionError(SuperviseRulesError):
    """The submission (or one of its files) cannot be read at all."""


class PluginError(SuperviseRulesError):
    """A plugin could not be loaded or registered (duplicate name, bad hook, API version)."""

    def __init__(self, plugin: str, message: str):
        self.plugin = plugin
        super().__init__(f"plugin {plugin!r}: {message}")


class ExpressionError(SuperviseRulesError):
    """A rule expression is not in the restricted grammar."""

    def __init__(self, expression: str, position: int, message: str):
        self.expression = expression
        self.position = position
        super().__init__(f"{message} at position {position + 1} in expression {expression!r}")
