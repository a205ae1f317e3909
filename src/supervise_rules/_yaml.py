"""Helpers for the YAML files users write (rulesets, waivers).

Both are read with ruamel.yaml's round-trip loader so that every problem can be
located to a line; these helpers turn the loaded nodes into plain data and
refuse YAML tags, which mean nothing in our files.
"""

from __future__ import annotations

import functools
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
    class Constructor(base):  # type: ignore[valid-type, misc]
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
