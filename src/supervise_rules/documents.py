"""A tiny document model for the printable follow-up documents, and its renderers.

The self-check report (:mod:`supervise_rules.selfcheck`) and the rectification
notices (:mod:`supervise_rules.notices`) are built as a list of blocks (title,
heading, paragraph, table, signature lines) and then rendered as a
self-contained HTML page (inline CSS, no external URL, printable on A4), as
Markdown, or as an xlsx sheet. Every text is made inert first
(:mod:`supervise_rules.safetext`: no control character or bidirectional
override), then goes through :func:`html.escape` in HTML and
:func:`~supervise_rules.safetext.markdown_text` in Markdown; in xlsx, text cells
are written with ``write_string`` and numbers with ``write_number``, so no cell
ever becomes a formula.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Literal

from .safetext import markdown_text, plain
from .values import document_value as format_value

Status = Literal["pass", "fail", "error", "not_applicable", "waived"]

STATUS_ZH: dict[str, str] = {
    "pass": "达标",
    "fail": "未达标",
    "error": "数据有误",
    "not_applicable": "不适用",
    "waived": "未达标（已豁免）",
}
#: printed next to values so that pass/fail survives black-and-white printing
STATUS_MARK: dict[str, str] = {"pass": "✓", "fail": "✗", "error": "?", "not_applicable": "—", "waived": "✗"}


@dataclass(frozen=True)
class Cell:
    text: str
    status: Status | None = None
    #: the number behind ``text``, written as a number in xlsx
    number: float | None = None
    #: xlsx number format for ``number``
    num_format: str | None = None
    align: Literal["left", "right", "center"] = "left"
    #: a relative link (HTML and Markdown only)
    href: str | None = None


@dataclass(frozen=True)
class Title:
    text: str
    subtitle: str | None = None


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str
    emphasis: bool = False


@dataclass(frozen=True)
class TableBlock:
    columns: list[str]
    rows: list[list[Cell]]
    caption: str | None = None
    #: an HTML id, for links and tests
    id: str | None = None


@dataclass(frozen=True)
class Masthead:
    """The head of an official document (红头): the issuing office in red, the
    document number, a red rule; ``marks`` are stamped next to the number
    (二次督办, 约谈). Markdown has no red: the office in bold above a rule."""

    issuer: str
    number: str | None = None
    marks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signature:
    """Signature and date lines: ``(label, value)``; an empty value prints a blank."""

    lines: list[tuple[str, str]]


Block = Masthead | Title | Heading | Paragraph | TableBlock | Signature


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)
    #: styles of this kind of document, after the common ones (HTML only)
    extra_css: str = ""

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)


def cell(text: object, status: Status | None = None, **kw: Any) -> Cell:
    return Cell("" if text is None else str(text), status, **kw)


# --- HTML ----------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 18mm 16mm; }
* { box-sizing: border-box; }
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", "Source Han Serif SC", serif;
       color: #111; margin: 0 auto; max-width: 1100px; padding: 24px; line-height: 1.6;
       font-size: 14px; }
h1 { font-size: 22px; text-align: center; margin: 8px 0 4px; letter-spacing: 1px; }
.subtitle { text-align: center; color: #333; margin-bottom: 18px; }
h2 { font-size: 17px; margin: 22px 0 8px; border-bottom: 1px solid #999; padding-bottom: 2px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
p { margin: 6px 0; text-indent: 2em; }
p.em { font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
th, td { border: 1px solid #444; padding: 3px 6px; vertical-align: top; }
th { background: #eee; font-weight: bold; text-align: center; }
td.r { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.c { text-align: center; }
td:first-child { white-space: nowrap; }
td.fail, td.waived { color: #b00020; font-weight: bold; }
td.error { color: #8a4b00; }
td.pass { color: #1b5e20; }
td.not_applicable { color: #666; }
.signature { margin-top: 36px; display: grid; grid-template-columns: 1fr 1fr; gap: 14px 40px; }
.signature div { border-bottom: 1px solid #444; padding: 4px 0; min-height: 30px;
                 white-space: pre-wrap; }
.signature span { color: #333; margin-right: 8px; }
@media print { body { padding: 0; max-width: none; } h2 { break-after: avoid; }
               tr { break-inside: avoid; } }
"""


def render_html(doc: Document) -> str:
    """A single self-contained HTML page (no script, no external resource)."""
    e = _e
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(doc.title)}</title>",
        f"<style>{_CSS}{doc.extra_css}</style>",
        "</head>",
        "<body>",
    ]
    for block in doc.blocks:
        if isinstance(block, Masthead):
            out.append('<header class="masthead">')
            out.append(f'<div class="issuer">{e(block.issuer)}</div>')
            if block.number:
                out.append(f'<div class="docno">{e(block.number)}</div>')
            out.append('<div class="rule"></div>')
            if block.marks:
                out.append(
                    '<div class="marks">'
                    + "".join(f'<span class="mark">{e(m)}</span>' for m in block.marks)
                    + "</div>"
                )
            out.append("</header>")
        elif isinstance(block, Title):
            out.append(f"<h1>{e(block.text)}</h1>")
            if block.subtitle:
                out.append(f'<div class="subtitle">{e(block.subtitle)}</div>')
        elif isinstance(block, Heading):
            level = min(max(block.level, 2), 3)
            out.append(f"<h{level}>{e(block.text)}</h{level}>")
        elif isinstance(block, Paragraph):
            cls = ' class="em"' if block.emphasis else ""
            out.append(f"<p{cls}>{e(block.text)}</p>")
        elif isinstance(block, TableBlock):
            ident = f' id="{e(block.id)}"' if block.id else ""
            out.append(f"<table{ident}>")
            if block.caption:
                out.append(f"<caption>{e(block.caption)}</caption>")
            out.append("<thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in block.columns) + "</tr></thead>")
            out.append("<tbody>")
            for row in block.rows:
                out.append("<tr>" + "".join(_td(c) for c in row) + "</tr>")
            out.append("</tbody></table>")
        elif isinstance(block, Signature):
            out.append('<div class="signature">')
            for label, value in block.lines:
                out.append(f"<div><span>{e(label)}</span>{e(value)}</div>")
            out.append("</div>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _e(text: object) -> str:
    return html.escape(plain(text), quote=True)


def _href(href: str) -> str:
    """A relative link as written, with anything that could end it percent-encoded."""
    return urllib.parse.quote(plain(href), safe="/._-~#")


def _td(c: Cell) -> str:
    classes = []
    if c.align == "right":
        classes.append("r")
    elif c.align == "center":
        classes.append("c")
    if c.status:
        classes.append(c.status)
    attrs = f' class="{" ".join(classes)}"' if classes else ""
    if c.status:
        attrs += f' data-status="{c.status}"'
    text = _e(c.text)
    if c.href:
        text = f'<a href="{_e(_href(c.href))}">{text}</a>'
    return f"<td{attrs}>{text}</td>"


# --- Markdown ------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Text shown literally in Markdown, also inside a table cell (one line)."""
    return markdown_text(text)


def render_markdown(doc: Document) -> str:
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Masthead):
            out += [f"**{_md(block.issuer)}**", ""]
            if block.number:
                out += [_md(block.number), ""]
            if block.marks:
                out += ["　".join(f"【{_md(m)}】" for m in block.marks), ""]
            out += ["---", ""]
        elif isinstance(block, Title):
            out += [f"# {_md(block.text)}", ""]
            if block.subtitle:
                out += [_md(block.subtitle), ""]
        elif isinstance(block, Heading):
            out += ["#" * min(max(block.level, 2), 3) + " " + _md(block.text), ""]
        elif isinstance(block, Paragraph):
            text = _md(block.text)
            out += [f"**{text}**" if block.emphasis else text, ""]
        elif isinstance(block, TableBlock):
            if block.caption:
                out += [f"**{_md(block.caption)}**", ""]
            out.append("| " + " | ".join(_md(c) for c in block.columns) + " |")
            out.append(
                "|"
                + "|".join("---:" if _is_right(block, i) else "---" for i in range(len(block.columns)))
                + "|"
            )
            for row in block.rows:
                out.append(
                    "| "
                    + " | ".join(
                        f"[{_md(c.text)}](<{_href(c.href)}>)" if c.href else _md(c.text) for c in row
                    )
                    + " |"
                )
            out.append("")
        elif isinstance(block, Signature):
            for label, value in block.lines:
                out.append(f"{_md(label)}{_md(value) if value else '____________________'}  ")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _is_right(block: TableBlock, i: int) -> bool:
    return bool(block.rows) and all(len(r) > i and r[i].align == "right" for r in block.rows)


# --- xlsx ----------------------------------------------------------------------------------


def render_xlsx(
    doc: Document,
    *,
    sheet_name: str = "报告",
    extra_sheets: list[tuple[str, TableBlock]] | None = None,
    created: dt.date | None = None,
) -> bytes:
    """The document on one printable sheet (plus optional plain table sheets).

    ``created`` is the workbook's creation date (the data's as_of): without one,
    xlsxwriter writes the wall clock, and two runs would differ."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    stamp = dt.datetime(*(created or dt.date(2000, 1, 1)).timetuple()[:3], tzinfo=dt.UTC)
    wb.set_properties({"title": plain(doc.title), "author": "supervise-rules", "created": stamp})
    f = _Formats(wb)
    ws = wb.add_worksheet(_sheet_name(sheet_name))
    width = max([len(b.columns) for b in doc.blocks if isinstance(b, TableBlock)] + [4])
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_column(0, 0, 24)
    ws.set_column(1, width - 1, 14)
    row = 0
    for block in doc.blocks:
        if isinstance(block, Masthead):
            _merged(ws, row, 0, width - 1, block.issuer, f.title)
            row += 1
            head = "　".join([block.number or "", *block.marks]).strip()
            if head:
                _merged(ws, row, 0, width - 1, head, f.subtitle)
                row += 1
        elif isinstance(block, Title):
            _merged(ws, row, 0, width - 1, block.text, f.title)
            ws.set_row(row, 30)
            row += 1
            if block.subtitle:
                _merged(ws, row, 0, width - 1, block.subtitle, f.subtitle)
                row += 1
            row += 1
        elif isinstance(block, Heading):
            ws.write_string(row, 0, _xl(block.text), f.heading)
            row += 1
        elif isinstance(block, Paragraph):
            _merged(ws, row, 0, width - 1, block.text, f.para_em if block.emphasis else f.para)
            ws.set_row(row, 18 * max(1, -(-_text_width(block.text) // (width * 13))))
            row += 1
        elif isinstance(block, TableBlock):
            if block.caption:
                ws.write_string(row, 0, _xl(block.caption), f.caption)
                row += 1
            row = _write_table(ws, f, block, row)
            row += 1
        elif isinstance(block, Signature):
            row += 1
            for label, value in block.lines:
                ws.write_string(row, 0, _xl(label), f.sign_label)
                _merged(ws, row, 1, 3, value, f.sign_line)
                ws.set_row(row, 24)
                row += 1
    for name, table in extra_sheets or []:
        sheet = wb.add_worksheet(_sheet_name(name))
        sheet.set_column(0, len(table.columns) - 1, 16)
        last = _write_table(sheet, f, table, 0)
        sheet.freeze_panes(1, 0)
        if table.rows:
            sheet.autofilter(0, 0, last - 1, len(table.columns) - 1)
    wb.close()
    return buf.getvalue()


class _Formats:
    def __init__(self, wb: Any) -> None:
        base = {"font_name": "宋体", "font_size": 11, "valign": "top"}
        border = {**base, "border": 1, "text_wrap": True}
        self.title = wb.add_format(
            {**base, "bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}
        )
        self.subtitle = wb.add_format({**base, "align": "center"})
        self.heading = wb.add_format({**base, "bold": True, "font_size": 13})
        self.caption = wb.add_format({**base, "bold": True})
        self.para = wb.add_format({**base, "text_wrap": True})
        self.para_em = wb.add_format({**base, "text_wrap": True, "bold": True})
        self.header = wb.add_format({**border, "bold": True, "bg_color": "#EEEEEE", "align": "center"})
        self.sign_label = wb.add_format({**base, "align": "right", "valign": "bottom"})
        self.sign_line = wb.add_format({**base, "bottom": 1, "valign": "bottom"})
        self._cells: dict[tuple[Any, ...], object] = {}
        self._wb = wb
        self._border = border

    def cell(self, c: Cell) -> object:
        key = (c.status, c.align, c.num_format if c.number is not None else None)
        if key not in self._cells:
            spec = {**self._border, "align": c.align}
            if c.status in ("fail", "waived"):
                spec.update({"font_color": "#B00020", "bold": True})
            elif c.status == "error":
                spec["font_color"] = "#8A4B00"
            elif c.status == "pass":
                spec["font_color"] = "#1B5E20"
            if key[2]:
                spec["num_format"] = key[2]
            self._cells[key] = self._wb.add_format(spec)
        return self._cells[key]


def _write_table(ws: Any, f: _Formats, block: TableBlock, row: int) -> int:
    for col, name in enumerate(block.columns):
        ws.write_string(row, col, _xl(name), f.header)
    row += 1
    for values in block.rows:
        for col, c in enumerate(values):
            if c.number is not None:
                ws.write_number(row, col, c.number, f.cell(c))
            else:
                ws.write_string(row, col, _xl(c.text), f.cell(c))
        row += 1
    return row


def _merged(ws: Any, row: int, first: int, last: int, text: str, fmt: object) -> None:
    """A merged cell whose text is written with ``write_string`` (never a formula)."""
    ws.merge_range(row, first, row, last, "", fmt)
    ws.write_string(row, first, _xl(text), fmt)


def _xl(text: str) -> str:
    """A cell's text: no control characters, within Excel's 32,767 characters."""
    return plain(text)[:32767]


def _text_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet_name(name: str) -> str:
    bad = set("[]:*?/\\")
    return "".join("_" if ch in bad else ch for ch in plain(name))[:31] or "Sheet"


__all__ = [
    "Cell",
    "Document",
    "Heading",
    "Masthead",
    "Paragraph",
    "Signature",
    "TableBlock",
    "Title",
    "cell",
    "format_value",
    "render_html",
    "render_markdown",
    "render_xlsx",
]
