"""Helpers for the YAML files users write (rulesets, waivers).

Both are read with ruamel.yaml's round-trip loader so that every problem can be
located to a line; these helpers turn the loaded nodes into plain data and
refuse YAML tags, which mean nothing in our files.

Every YAML file a run reads (manifest, rulesets, waivers) goes through
:func:`read_yaml_text` and :func:`load_bounded`: its size, its nesting and the
expansion of its aliases are bounded (:mod:`supervise_rules.limits`) while it is
composed, before anything walks the tree, so a "billion laughs" file of 1 KB is
refused in milliseconds instead of exhausting memory or running for hours.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq


def plain(node: Any) -> Any:
    """Loaded round-trip nodes as plain dicts, lists and scalars."""
    if isinstance(node, CommentedMap):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def find_tag(node: Any, line: int | None = None) -> tuple[int | None, str] | None:
    """The first custom tag (``!!python/object`` …) in the document, as
    ``(1-based line, message)``, or ``None``."""
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        line = lc.line + 1
    tag = getattr(node, "tag", None)
    if tag is not None and getattr(tag, "value", None):
        return line, f"YAML tag {tag.value!r} is not allowed"
    if isinstance(node, CommentedMap):
        children = [(v, node.lc.key(k)) for k, v in node.items()]
    elif isinstance(node, CommentedSeq):
        children = [(v, node.lc.item(i)) for i, v in enumerate(node)]
    else:
        return None
    for value, pos in children:
        found = find_tag(value, pos[0] + 1 if pos else line)
        if found:
            return found
    return None


def dates_as_written(yaml: Any) -> Any:
    """Make ``yaml`` (a ``ruamel.yaml.YAML``) keep an impossible date as the text
    written: ``as_of: 2024-02-30`` or ``expires: 2024-13-01`` look like YAML
    timestamps, and ruamel.yaml would raise a bare ``ValueError`` (no file, no
    line) while building them. Kept as text, the value reaches the schema that
    reads it, which reports it at its line like any other bad value (and a text
    field such as a reason simply keeps it). Returns ``yaml``."""
    yaml.Constructor = _keeping_impossible_dates(yaml.Constructor)
    return yaml


@functools.cache
def _keeping_impossible_dates(base: type) -> type:
    class Constructor(base):  # type: ignore[misc]  # a base class chosen at run time
        def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
            try:
                return super().construct_yaml_timestamp(node, values)
            except ValueError:  # month 13, February 30 ...: not a date, but it is what was written
                return str(node.value)

    Constructor.__name__ = Constructor.__qualname__ = f"DatesAsWritten{base.__name__}"
    Constructor.add_constructor("tag:yaml.org,2002:timestamp", Constructor.construct_yaml_timestamp)
    return Constructor


def key_lines(text: str) -> dict[str, int]:
    """The 1-based line of each top-level key of a block mapping (``as_of: …``),
    found in the text, for messages about a value read by a loader that keeps
    no positions. A key written twice keeps its first line."""
    import re

    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"""(?:"([^"]*)"|'([^']*)'|([^\s#'"\-?:{\[][^:#]*?))\s*:(?:\s|$)""", line)
        if match:
            key = next(g for g in match.groups() if g is not None).strip()
            lines.setdefault(key, number)
    return lines


# --- bounded loading ---------------------------------------------------------------------


class YamlLimitError(Exception):
    """A YAML file beyond a limit (size, nesting, aliases, expanded size):
    ``line`` (1-based, or ``None`` for the whole file) and ``message``. Each
    loader turns it into its own error (RulesetError, WaiversError,
    SubmissionError) as ``file:line: message``."""

    def __init__(self, line: int | None, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line else message)


def read_yaml_text(path: Path, encoding: str = "utf-8") -> str:
    """The text of a YAML file, refused before reading when it is larger than
    ``max_yaml_bytes``."""
    from .limits import current_limits, exceeded

    size = path.stat().st_size
    if size > current_limits().max_yaml_bytes:
        raise YamlLimitError(
            None,
            f"the file is {size:,} bytes, too large for a YAML file "
            f"({exceeded('max_yaml_bytes', size, unit='bytes')})",
        )
    return path.read_text(encoding=encoding)


def load_bounded(yaml: Any, text: str) -> Any:
    """``yaml.load(text)`` (``yaml`` a ``ruamel.yaml.YAML``) within the limits in
    force: size, nesting depth, number of aliases and number of values once the
    aliases are expanded. The C parser composes without a hook, so a ``safe``
    loader is switched to the pure-Python one (our YAML files are small).

    :raises YamlLimitError: a limit is exceeded (at the line where it happens)."""
    from ruamel.yaml.parser import Parser

    from .limits import current_limits, exceeded

    limits = current_limits()
    if len(text) > limits.max_yaml_bytes:  # characters: at most as many as bytes
        raise YamlLimitError(
            None,
            f"the text is {len(text):,} characters, too large for a "
            f"YAML file ({exceeded('max_yaml_bytes', len(text), unit='bytes')})",
        )
    if getattr(yaml.Parser, "__module__", "").startswith("_ruamel_yaml"):
        yaml.Parser = Parser
    yaml.Composer = _bounded_composer(yaml.Composer)
    yaml.supervise_rules_limits = limits
    data = yaml.load(text)
    from .safetext import may_hold_surrogates, without_surrogates

    if may_hold_surrogates(text):  # "\ud83d\ude00": 😀 as some exporters escape it
        data = without_surrogates(data)
    return data


@functools.cache
def _bounded_composer(base: type) -> type:
    from ruamel.yaml.events import AliasEvent

    from .limits import DEFAULT_LIMITS, exceeded

    class Composer(base):  # type: ignore[misc]  # a base class chosen at run time
        def __init__(self, loader: Any = None) -> None:
            super().__init__(loader)
            self._limits = getattr(loader, "supervise_rules_limits", DEFAULT_LIMITS)
            self._values = 0  # values composed, each alias counting the values it stands for
            self._aliases = 0
            self._levels = 0
            self._sizes: dict[int, int] = {}  # id(anchored node) -> its values, expanded

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.parser.peek_event()
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            if isinstance(event, AliasEvent):
                self._aliases += 1
                if self._aliases > self._limits.max_yaml_aliases:
                    raise YamlLimitError(
                        line,
                        f"more than {self._limits.max_yaml_aliases:,} "
                        f"aliases (*{event.anchor}) in one document "
                        f"({exceeded('max_yaml_aliases')})",
                    )
                node = super().compose_node(parent, index)
                self._count(self._sizes.get(id(node), 1), line)
                return node
            self._levels += 1
            if self._levels > self._limits.max_yaml_depth:
                raise YamlLimitError(
                    line,
                    f"mappings and lists nested more than "
                    f"{self._limits.max_yaml_depth:,} levels deep "
                    f"({exceeded('max_yaml_depth')})",
                )
            before = self._values
            try:
                node = super().compose_node(parent, index)
            finally:
                self._levels -= 1
            self._count(1, line)
            if getattr(node, "anchor", None) is not None:
                self._sizes[id(node)] = self._values - before
            return node

        def _count(self, n: int, line: int | None) -> None:
            self._values += n
            if self._values > self._limits.max_yaml_nodes:
                raise YamlLimitError(
                    line,
                    f"the document holds more than {self._limits.max_yaml_nodes:,} "
                    "values once its aliases (*name) are expanded; aliases that repeat "
                    "aliases grow exponentially (a 'billion laughs' file) "
                    f"({exceeded('max_yaml_nodes')})",
                )

    Composer.__name__ = Composer.__qualname__ = f"Bounded{base.__name__}"
    return Composer
