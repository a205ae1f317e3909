"""Line breaking for the terminal view: Chinese text may break between any two
characters, but a number, a code or an identifier (``2164000232``,
``HLDX01/2164000409``, ``schools.csv``) is never cut in two, and punctuation
stays with the text it belongs to (no line starts with ``，`` or ``）``).

rich breaks only at whitespace and folds a longer "word" anywhere; a Chinese
sentence has no whitespace, so rich would fold it mid-number. :class:`WrapText`
is a rich ``Text`` that breaks at the places above instead.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, JustifyMethod, OverflowMethod
from rich.containers import Lines
from rich.measure import Measurement
from rich.text import Text

#: one unbreakable piece: opening marks, then a run of printable ASCII (a number,
#: an id, an identifier), a unit, or one other character, then closing marks and spaces
_PIECE = re.compile(
    r"[（《「『“‘(\[]*"
    # a unit or a pair of ids around a slash (人/百名学生, HLDX01/2164000409), an
    # ASCII run, or one other character
    r"(?:[^\s/，。、；：（）]+/[^\s，。、；：（）]+|[\x21-\x7e]+|\S)"
    r"[，。、；：！？）》」』”’…]*"
    r"\s*"
    r"|\s+"
)


def pieces(text: str) -> Iterator[tuple[int, str]]:
    """``(start, piece)`` for each unbreakable piece of ``text``."""
    for m in _PIECE.finditer(text):
        yield m.start(), m.group(0)


def break_offsets(text: str, width: int) -> list[int]:
    """Where to break ``text`` (one line, no newline) to fit ``width`` cells."""
    breaks: list[int] = []
    used = 0
    for start, piece in pieces(text):
        length = cell_len(piece.rstrip())
        if used + length <= width:
            used += cell_len(piece)
            continue
        if length > width:  # longer than a whole line: folded, the only choice left
            if start and used:
                breaks.append(start)
            chunks = chop_cells(piece, width=width)
            for chunk in chunks[:-1]:
                start += len(chunk)
                breaks.append(start)
            used = cell_len(chunks[-1])
            continue
        if start and used:
            breaks.append(start)
        used = cell_len(piece)
    return breaks


class WrapText(Text):
    """A :class:`~rich.text.Text` wrapped by :func:`break_offsets`."""

    def wrap(
        self,
        console: Console,
        width: int,
        *,
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        tab_size: int = 8,
        no_wrap: bool | None = None,
    ) -> Lines:
        if no_wrap or self.no_wrap:
            return super().wrap(
                console, width, justify=justify, overflow=overflow, tab_size=tab_size, no_wrap=no_wrap
            )
        lines = Lines()
        for line in self.split(allow_blank=True):
            if "\t" in line:
                line.expand_tabs(tab_size)
            new_lines = line.divide(break_offsets(line.plain, width))
            for part in new_lines:
                part.rstrip_end(width)
                part.truncate(width, overflow="fold")
            lines.extend(new_lines)
        return lines

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        plain = self.plain
        lines = plain.splitlines() or [""]
        widest = max(cell_len(line) for line in lines)
        longest = max((cell_len(p.rstrip()) for line in lines for _, p in pieces(line)), default=0)
        return Measurement(min(longest, widest), widest)


def wrappable(text: Text) -> WrapText:
    """``text`` (its styles kept) as a :class:`WrapText`."""
    wrapped = WrapText.assemble(text)  # rich builds an instance of the class it is called on
    assert isinstance(wrapped, WrapText)
    return wrapped


# --- a plain grid for long lists ----------------------------------------------------------

#: the styles the grid uses, as SGR codes (rich's names)
_SGR = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "magenta": "35",
    "bold red": "1;31",
    "bold green": "1;32",
    "bold yellow": "1;33",
}

#: a cell: its lines, each ``(text, style)``; the texts are already safe (see safetext.plain)
Cell = list[tuple[str, str]]


def wrap_lines(text: str, width: int) -> list[str]:
    """``text`` (one line) broken by :func:`break_offsets` into lines of ``width`` cells."""
    if cell_len(text) <= width:
        return [text]
    offsets = [0, *break_offsets(text, width), len(text)]
    return [text[a:b].rstrip() for a, b in itertools.pairwise(offsets) if a < b]


def grid(heads: list[str], rows: list[list[Cell]], widths: list[int], right: set[int], colour: bool) -> str:
    """A table as rich draws one with ``box=None, pad_edge=False`` (two spaces
    between columns, a bold header), made without rich's per-cell measuring and
    rendering: a national report's failure lists come out in a fraction of the time."""

    def paint(text: str, style: str) -> str:
        code = _SGR.get(style) if colour and style else None
        return f"\x1b[{code}m{text}\x1b[0m" if code and text else text

    def fit(text: str, width: int, i: int) -> str:
        pad = " " * max(0, width - cell_len(text))
        return (pad + text) if i in right else (text + pad)

    out = []
    head_cells = [[(line, "bold") for line in h.split("\n")] for h in heads]
    for row in ([head_cells] if heads else []) + rows:
        columns = []
        for i, cell in enumerate(row):
            lines: list[tuple[str, str]] = []
            for text, style in cell:
                lines += [(part, style) for part in wrap_lines(text, widths[i])]
            columns.append(lines or [("", "")])
        height = max(len(c) for c in columns)
        for n in range(height):
            parts = []
            for i, lines in enumerate(columns):
                text, style = lines[n] if n < len(lines) else ("", "")
                fitted = fit(text, widths[i], i)
                parts.append(fitted.replace(text, paint(text, style), 1) if text else fitted)
            out.append("  ".join(parts).rstrip() + "\n")
    return "".join(out)
