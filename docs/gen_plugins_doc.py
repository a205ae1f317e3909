"""Regenerate the reference sections of ``docs/plugins.md`` from the source.

The hook reference comes from the docstrings of ``supervise_rules/hookspecs.py``,
the public API tables from the ``__all__`` of ``supervise_rules``,
``supervise_rules.helpers``, ``.values`` and ``.safetext``, and the fixtures from
``supervise_rules/testing/pytest_plugin.py``: the docstrings are the single
source of truth. Hand-written text outside the markers is kept.

Usage::

    python docs/gen_plugins_doc.py           # rewrite docs/plugins.md
    python docs/gen_plugins_doc.py --check   # exit 1 if it is stale (tests do this)
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

DOC = Path(__file__).with_name("plugins.md")


def _rest_to_markdown(text: str) -> str:
    """The few reST constructs our docstrings use, as Markdown."""
    text = re.sub(r":(?:class|func|meth|data|mod|attr):`~?([^`]+)`", r"`\1`", text)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    out: list[str] = []
    for line in inspect.cleandoc(text).splitlines():
        field = re.match(r":(returns|result|raises\s+\w+|param\s+\w+):\s*(.*)", line)
        if field:
            label = field.group(1).replace("returns", "Returns").replace("result", "Result")
            if out and out[-1] != "" and not out[-1].startswith("- **"):
                out.append("")
            out.append(f"- **{label}:** {field.group(2)}")
        elif out and out[-1].startswith("- **") and line.startswith("    "):
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out).strip()


def hooks_section() -> str:
    from supervise_rules import hookspecs

    parts = [
        "All hooks take no arguments and return a list. Implement them in your plugin "
        "module with `@supervise_rules.hookimpl`.",
        "",
        "| hook | returns | first result wins? |",
        "| --- | --- | --- |",
    ]
    specs = [
        (name, fn)
        for name, fn in vars(hookspecs).items()
        if callable(fn) and hasattr(fn, f"{hookspecs.PROJECT_NAME}_spec")
    ]
    specs.sort(key=lambda item: item[1].__code__.co_firstlineno)
    for name, fn in specs:
        opts = getattr(fn, f"{hookspecs.PROJECT_NAME}_spec")
        ret = inspect.signature(fn).return_annotation
        parts.append(
            f"| [`{name}`](#{name}) | `{ret}` | "
            f"{'yes' if opts.get('firstresult') else 'no: all lists are collected'} |"
        )
    for name, fn in specs:
        ret = inspect.signature(fn).return_annotation
        parts += [
            "",
            f"### {name}",
            "",
            "```python",
            "@supervise_rules.hookimpl",
            f"def {name}() -> {ret}: ...",
            "```",
            "",
            _rest_to_markdown(fn.__doc__ or ""),
        ]
    return "\n".join(parts)


#: For exported objects without a docstring of their own (inherited ones say nothing).
FALLBACK = {
    "Expression": "A rule expression as a parameter type: text in the restricted grammar, "
    "checked when the ruleset loads (a typo is a `file:line` error).",
    "Threshold": "`float | ByColumn`: one number, or one per value of a column.",
    "ColumnSpec": "One column of a table: name, Chinese header, kind, unit, enum labels, key, "
    "plausible range (`min`, `max`, `percent`, `bounds`).",
    "Finding": "One result of one rule for one subject: outcome, observed/required, message, evidence.",
    "Outcome": "`pass`, `fail`, `error` or `not_applicable`.",
    "Report": "The findings of a run with the summary, ruleset, submission and tool versions.",
    "Reporter": "Base class of output formats: `name`, `summary`, `suffix`, `binary`, `human`, "
    "`render(report, options)`.",
    "Required": "The requirement a finding was held to: an operator and a value.",
    "Ruleset": "A loaded ruleset: id, version, title and its resolved rules.",
    "Severity": "`critical`, `major`, `minor` or `info`.",
    "Submission": "A loaded submission: the manifest and its typed tables.",
}


def _own_doc(name: str, obj: object) -> str:
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    if not doc or doc.startswith(f"{name}("):  # a dataclass's generated signature
        return FALLBACK.get(name, "")
    return inspect.cleandoc(doc)


def _kind(obj: object) -> str:
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj) and not hasattr(obj, "__origin__"):
        return "function"
    if hasattr(obj, "__origin__") or type(obj).__module__ in ("typing", "types"):
        return "type"
    return "constant"


def _module_table(module: ModuleType) -> str:
    """One row per name of ``module.__all__``: its kind and the first paragraph
    of its docstring (a constant or type: its value)."""
    rows = ["| name | kind | what it is |", "| --- | --- | --- |"]
    for name in module.__all__:
        obj = getattr(module, name)
        kind = _kind(obj)
        if kind == "type" and name in FALLBACK:
            summary = FALLBACK[name].replace("|", "\\|")
        elif kind in ("constant", "type"):
            shown = repr(obj).replace("typing.", "")
            summary = f"`{shown}`".replace("|", "\\|")
        else:
            summary = (_own_doc(name, obj) or "").strip().split("\n\n")[0].replace("\n", " ")
            summary = _rest_to_markdown(summary).replace("|", "\\|")
        rows.append(f"| `{name}` | {kind} | {summary} |")
    return "\n".join(rows)


def api_section() -> str:
    import supervise_rules

    return _module_table(supervise_rules)


def helpers_section() -> str:
    from supervise_rules import helpers

    return _module_table(helpers)


def values_section() -> str:
    from supervise_rules import safetext, values

    return _module_table(values) + "\n" + _module_table(safetext).split("\n", 2)[2]


def fixtures_section() -> str:
    from supervise_rules.testing import pytest_plugin

    tree = ast.parse(Path(pytest_plugin.__file__).read_text(encoding="utf-8"))
    rows = ["| fixture | what it gives |", "| --- | --- |"]
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
            "fixture" in ast.unparse(d) for d in node.decorator_list
        ):
            doc = _rest_to_markdown(ast.get_docstring(node) or "").replace("\n", " ")
            rows.append(f"| `{node.name}` | {doc} |")
    return "\n".join(rows)


def context_section() -> str:
    """Every public method and property of ``RuleContext``, with its signature and
    the first paragraph of its docstring: what a validator may use."""
    from supervise_rules import RuleContext

    rows = ["| member | what it gives |", "| --- | --- |"]
    for name, member in sorted(vars(RuleContext).items()):
        if name.startswith("_"):
            continue
        fn = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
        if not callable(fn):
            continue
        if isinstance(member, property):
            shown = f"`ctx.{name}`"
        else:
            sig = str(inspect.signature(fn)).replace("(self, ", "(").replace("(self)", "()")
            shown = f"`ctx.{name}{sig}`"
        doc = inspect.cleandoc(fn.__doc__ or "").split("\n\n")[0].replace("\n", " ")
        rows.append(
            f"| {shown.replace('|', chr(92) + '|')} | {_rest_to_markdown(doc).replace('|', chr(92) + '|')} |"
        )
    return "\n".join(rows)


SECTIONS: dict[str, Callable[[], str]] = {
    "hooks": hooks_section,
    "api": api_section,
    "helpers": helpers_section,
    "values": values_section,
    "context": context_section,
    "fixtures": fixtures_section,
}


def render(text: str) -> str:
    """``text`` with every generated section replaced by its current content."""
    for name, make in SECTIONS.items():
        begin = f"<!-- BEGIN GENERATED: {name} (docs/gen_plugins_doc.py) -->"
        end = f"<!-- END GENERATED: {name} -->"
        if begin not in text or end not in text:
            raise SystemExit(f"{DOC}: markers for section {name!r} are missing")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{begin}\n{make()}\n{end}{tail}"
    return text


def main(argv: list[str]) -> int:
    from _generated import write_or_check  # docs/, beside this script

    return write_or_check(
        DOC, render(DOC.read_text(encoding="utf-8")), argv, "python docs/gen_plugins_doc.py"
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
