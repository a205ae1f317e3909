"""Helpers for the YAML files users write (rulesets, waivers).

Both are read with ruamel.yaml's round-trip loader so that every problem can be
located to a line; these helpers turn the loaded nodes into plain data and
refuse YAML tags, which mean nothing in our files.
"""

from __future__ import annotations

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
