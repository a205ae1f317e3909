"""Untrusted text made inert, per kind of output.

School names, ids, raw cell values quoted in messages, headers, sheet and file
names come from the submission; titles, reasons and sources from rulesets and
waiver files. None of it may act on the output it is written into. Each
function here makes text inert for one kind of output; the formats call them on
every text they did not write themselves:

* :func:`plain`: no terminal control sequence (ESC, BEL, CR … and the C1
  controls), no bidirectional override, no lone surrogate — each is shown as
  U+FFFD (�), so a reader sees that the data holds a character to correct —
  for everything people read (terminal, HTML, Markdown, xlsx, XML);
* :func:`rich_text`: a :class:`rich.text.Text` of :func:`plain` text, which rich
  never reads as console markup (``[bold]``, ``[link=…]``, ``[/]``);
* :func:`markdown_text`: Markdown that shows the text literally: no emphasis,
  link, image, code span, HTML, table cell or autolink of its own;
* :func:`xml_text`: only characters XML 1.0 can hold (the XML writer escapes
  ``<``, ``&`` and quotes).

HTML escaping is :func:`html.escape` on :func:`plain` text; xlsx cells are
written with ``write_string``, never as formulas. The JSON formats keep the
text as it was (JSON escapes every control character): they are data.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

#: C0 controls but TAB and LF, DEL, the C1 controls (CSI, OSC … in 8 bits), the
#: bidirectional embeddings, overrides and isolates, and lone surrogates
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NEWLINES = re.compile("\r\n?")


def plain(text: object) -> str:
    """``text`` with nothing a terminal or a viewer acts on: CR and CRLF become LF;
    every other control character (ESC, BEL, BS, NUL, the C1 controls), each
    bidirectional embedding, override or isolate and each lone surrogate
    becomes U+FFFD; TAB and LF stay."""
    s = "" if text is None else str(text)
    if not _UNSAFE.search(s):
        return s
    return _UNSAFE.sub("\ufffd", _NEWLINES.sub("\n", s))


def rich_text(text: object, style: str = "") -> Text:
    """Text rich prints as written: never parsed as markup or emoji codes."""
    from rich.text import Text

    return Text(plain(text), style=style)


# Characters XML 1.0 cannot hold at all, even escaped (plain() has removed the rest).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: object) -> str:
    """:func:`plain` text with only characters XML 1.0 allows."""
    return _INVALID_XML.sub("\ufffd", plain(text))


#: Markdown punctuation that can start or end inline markup, escaped with a backslash
_MD_SPECIAL = re.compile(r"([\\`*{}\[\]<>|#~])")
#: a run of underscores: inert only between two letters or digits (``school_id``)
_MD_UNDERSCORES = re.compile(r"_+")
_MD_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
#: what GitHub and other renderers turn into a link without any markup
_MD_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(:)(?=//)|(?<=\bwww)(\.)")


def markdown_text(text: object, *, newline: str = " ") -> str:
    """Markdown showing ``text`` literally, safe inside a table cell: no
    emphasis, link, image, code span, raw HTML, entity, strikethrough, table
    pipe or bare-URL autolink (``http\\://``, ``www\\.``); line breaks become
    ``newline`` (a space, or ``<br>`` in a table cell)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", plain(text))
    s = _MD_UNDERSCORES.sub(lambda m: _underscores(m, escaped), escaped)
    s = _MD_ENTITY.sub(r"\\&", s)
    s = _MD_AUTOLINK.sub(lambda m: "\\" + (m.group(1) or m.group(2)), s)
    return s.replace("\n", newline)


def _underscores(m: re.Match[str], s: str) -> str:
    """Underscores between two word characters cannot open or close emphasis
    (CommonMark, "intraword"): kept as they are; any other run is escaped."""
    before = s[m.start() - 1] if m.start() else " "
    after = s[m.end()] if m.end() < len(s) else " "
    if before.isalnum() and after.isalnum():
        return m.group()
    return "".join("\\_" for _ in m.group())


__all__ = ["markdown_text", "plain", "rich_text", "xml_text"]


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}|\\U0000[dD][89a-fA-F]")


def may_hold_surrogates(text: str) -> bool:
    """Whether a JSON or YAML text escapes a UTF-16 surrogate (``\\ud83d``): the
    only way its loaded strings can hold one."""
    return _ESCAPED_SURROGATE.search(text) is not None


def without_surrogates(value: Any) -> Any:
    """``value`` (loaded JSON or YAML) with every string made encodable: an
    escaped surrogate pair (``\\ud83d\\ude00``, how many exporters write 😀)
    becomes its character, a lone surrogate U+FFFD — polars and the UTF-8
    outputs cannot hold them. Mappings and lists are fixed in place, so a YAML
    loader's own types (and their line numbers) are kept."""
    if isinstance(value, str):
        if any("\ud800" <= c <= "\udfff" for c in value):
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, dict):
        for key in list(value):
            fixed = without_surrogates(key)
            item = without_surrogates(value[key])
            if fixed != key:
                del value[key]
            value[fixed] = item
    elif isinstance(value, list):
        for i, item in enumerate(value):
            value[i] = without_surrogates(item)
    return value
