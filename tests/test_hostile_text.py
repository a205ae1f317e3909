"""Untrusted text is inert in every output (issue 11, item 5).

One submission carries hostile text where a clerk's data goes: a failing
school's name, a number cell, a header and a file name, each mixing a formula,
rich console markup (a bare ``[/]`` crashed the table view), HTML, Markdown,
XML specials, terminal control sequences and a bidirectional override. Every
registered format, the default table view on standard output, the notices and
the self-check report are produced from it, and each output is checked in its
own terms: it parses, nothing in it is interpreted, no control character
reaches a text output.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from supervise_rules.cli import main
from supervise_rules.plugins import get_plugin_host
from supervise_rules.safetext import markdown_text, plain, xml_text

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "helan-2024"

HOSTILE = (
    "=cmd|' /C calc'!A0 [bold red]红[/] [/] [link=file:///etc/passwd]x[/link] "
    "<script>alert(1)</script> **b** | # \x1b[31mESC\x07 ]]> &amp; \u202e"
)
#: a number cell holding text: quoted raw in the READ finding and the rules' errors
HOSTILE_CELL = "=1+2 [red]x[/] <img src=x onerror=alert(1)> \x1b[2J|_y_"
#: a header the contract does not know: quoted in a READ finding
HOSTILE_HEADER = "[/]<i>h</i>|\x1b]0;title\x07"
#: a file the folder holds but no reader reads: named in READ-14
HOSTILE_FILE = "\x1b[31m[/]<b>|*x*.txt"
SCHOOL = "2164000232"  # fails BAL-05 (sports area): in the failures, notices and self-check
OTHER = "2164000266"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    if not EXAMPLE.exists():
        pytest.skip(f"{EXAMPLE} is missing")
    sub = tmp_path_factory.mktemp("hostile") / "sub"
    shutil.copytree(EXAMPLE, sub)
    path = sub / "schools.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    head = rows[0]
    name, students = head.index("school_name"), head.index("students")
    rows[0] = [*head, HOSTILE_HEADER]
    for row in rows[1:]:
        row.append("")
        if row[0] == SCHOOL:
            row[name] = HOSTILE
        if row[0] == OTHER:
            row[students] = HOSTILE_CELL
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with contextlib.suppress(OSError):  # a file system that refuses the name: the rest holds
        (sub / HOSTILE_FILE).write_text("not data\n", encoding="utf-8")
    return sub


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _no_controls(text: str, what: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in CONTROLS.findall(text.replace("\n", "").replace("\t", ""))})
    assert not found, f"{what}: control characters {found}"
    assert "\u202e" not in text, f"{what}: a bidirectional override"


def _markdown_html(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text)


def _check_markdown(text: str, what: str, *, links: int = 0) -> None:
    """The Markdown, rendered, has no link, image, raw HTML or heading of the data's
    making, and every table row has as many cells as its header."""
    _no_controls(text, what)
    page = _markdown_html(text)
    assert "<script" not in page and "<img" not in page and "<i>" not in page, what
    assert page.count("<a ") == links, what
    assert "<strong>b</strong>" not in page and "<em>y</em>" not in page, what
    assert "[link=file:///etc/passwd]x[/link]" in page, what  # shown, as written
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, what
    for table in re.findall(r"<table>.*?</table>", page, flags=re.S):
        rows = re.findall(r"<tr>.*?</tr>", table, flags=re.S)
        widths = {len(re.findall(r"<t[hd][ >]", row)) for row in rows}
        assert len(widths) == 1, f"{what}: a table row with a cell of its own: {widths}"
    headings = re.findall(r"<h\d>(.*?)</h\d>", page)
    assert not any("calc" in h or "ESC" in h for h in headings), what


def _check_html(text: str, what: str, *, scripts: int) -> None:
    from html.parser import HTMLParser

    _no_controls(text, what)

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

    parser = Tags()
    parser.feed(text)
    assert parser.tags.count("script") == scripts, what
    assert "img" not in parser.tags and "i" not in parser.tags, what
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, what
    assert "[link=file:///etc/passwd]x[/link]" in text, what


def test_every_registered_format_keeps_the_hostile_text_inert(hostile, tmp_path, capsys):
    import openpyxl

    reporters = get_plugin_host().reporters
    assert {"table", "json", "jsonl", "sarif", "junit", "markdown", "html", "xlsx"} <= set(reporters)
    for name, reporter in sorted(reporters.items()):
        out = tmp_path / f"report-{name}{reporter.suffix}"
        code, _, err = _run([str(hostile), "--format", name, "-o", str(out)], capsys)
        assert code in (0, 1), f"{name}: exit {code}: {err}"
        if name == "xlsx":
            wb = openpyxl.load_workbook(out)
            cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
            assert all(c.data_type != "f" for c in cells)
            names = [c for c in cells if isinstance(c.value, str) and "calc" in c.value]
            assert names and all(c.data_type == "s" for c in names)
            assert any(c.value == plain(HOSTILE) for c in names)  # a string cell, as written
            assert not any(CONTROLS.search(c.value) for c in cells if isinstance(c.value, str))
            continue
        if name == "pdf":  # the html page laid out: its text is shown, never run or fetched
            assert out.read_bytes().startswith(b"%PDF-")
            if shutil.which("pdftotext"):
                shown = subprocess.run(
                    ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
                ).stdout
                assert "<script>alert(1)</script>" in shown.replace("\n", "")
            continue
        text = out.read_text(encoding="utf-8")
        assert "\x1b" not in text and "\x07" not in text, name  # JSON escapes them, the rest drop them
        if name == "json":
            doc = json.loads(text)
            # the JSON is data: the name as the clerk wrote it
            assert HOSTILE in {f["subject"].get("name") for f in doc["findings"]}
        elif name == "jsonl":
            lines = [json.loads(line) for line in text.splitlines()]
            assert HOSTILE in {f["subject"].get("name") for f in lines}
        elif name == "sarif":
            doc = json.loads(text)
            results = doc["runs"][0]["results"]
            assert HOSTILE in {r["properties"]["subject"].get("name") for r in results}
            # a message's [text](target) is a link in SARIF viewers: brackets escaped
            for r in results:
                assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", r["message"]["text"])
        elif name == "junit":
            root = ET.fromstring(text.encode("utf-8"))
            details = [e.text or "" for tag in ("failure", "error") for e in root.iter(tag)]
            assert any(xml_text(HOSTILE) in d for d in details)
        elif name == "markdown":
            _check_markdown(text, name)
        elif name == "html":
            _check_html(text, name, scripts=1)  # the page's own (sorting, filter)
        elif name == "table":
            _no_controls(text, name)
            for piece in (
                "[bold",
                "red]红[/]",
                "[/]",
                "[link=file:///etc/passwd]x[/link]",
                "<script>alert(1)</script>",
                "**b**",
            ):
                assert piece in text, f"table: {piece!r} not printed as written"
        else:  # a plugin's format: at least no control character
            _no_controls(text, name)


def test_the_default_table_view_prints_markup_literally(hostile, capsys):
    code, out, err = _run([str(hostile)], capsys)
    assert code in (0, 1), err
    assert "Traceback" not in err and "MarkupError" not in err
    _no_controls(out, "stdout")
    _no_controls(err, "stderr")
    for piece in ("red]红[/]", "[/]", "[link=file:///etc/passwd]x[/link]", "<script>alert(1)</script>"):
        assert piece in out


def test_the_table_reporter_on_a_colour_terminal(hostile):
    """With colours on, rich writes its own escape sequences; the data's are gone
    and its markup is text (a wide console keeps the name on one line)."""
    from supervise_rules import check
    from supervise_rules.reporters import RenderOptions

    report = check(hostile, "helan-2024")
    reporter = get_plugin_host().reporters["table"]
    out = reporter.render(report, RenderOptions(color=True, width=400))
    assert plain(HOSTILE) in re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "\x07" not in out and "\x1b[31mESC" not in out and "\x1b[2J" not in out


def test_notices_keep_the_hostile_text_inert(hostile, tmp_path, capsys):
    for fmt, suffix in (("html", ".html"), ("markdown", ".md")):
        out = tmp_path / fmt
        code, _, err = _run(["notices", str(hostile), "--output-dir", str(out), "--format", fmt], capsys)
        assert code == 0, err
        files = sorted(out.iterdir())
        assert out / f"index{suffix}" in files and out / f"{SCHOOL}{suffix}" in files
        notice = (out / f"{SCHOOL}{suffix}").read_text(encoding="utf-8")
        index = (out / f"index{suffix}").read_text(encoding="utf-8")
        if fmt == "html":
            _check_html(notice, "notice", scripts=0)
            _check_html(index, "notice index", scripts=0)
        else:
            _check_markdown(notice, "notice")
            # the index links each notice (the hostile one too) and the office's internal
            # list: its own links only (not itself, not the numbering state)
            documents = [f for f in files if f.suffix == suffix and f.name != f"index{suffix}"]
            _check_markdown(index, "notice index", links=len(documents))
            hrefs = re.findall(r'<a href="([^"]*)"', _markdown_html(index))
            assert all(h.endswith(".md") and "/" not in h for h in hrefs)


def test_the_selfcheck_report_keeps_the_hostile_text_inert(hostile, tmp_path, capsys):
    import openpyxl

    page = tmp_path / "selfcheck.html"
    code, _, err = _run(["report", "selfcheck", str(hostile), "-o", str(page)], capsys)
    assert code == 0, err
    _check_html(page.read_text(encoding="utf-8"), "selfcheck", scripts=0)
    book = tmp_path / "selfcheck.xlsx"
    code, _, err = _run(["report", "selfcheck", str(hostile), "-o", str(book)], capsys)
    assert code == 0, err
    wb = openpyxl.load_workbook(book)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert any(c.value == plain(HOSTILE) and c.data_type == "s" for c in cells)
    assert not any(CONTROLS.search(c.value) for c in cells if isinstance(c.value, str))


def test_an_error_message_quoting_the_data_has_no_control_character(tmp_path, capsys):
    code, _, err = _run([str(tmp_path / "a\x1b[2Jb[/]\x07")], capsys)
    assert code == 2
    assert "\x1b" not in err and "\x07" not in err and "[/]" in err


# --- the functions themselves ---------------------------------------------------------------


@pytest.mark.parametrize("text", [HOSTILE, HOSTILE_CELL, HOSTILE_HEADER, "a\r\nb\rc", "\ud800x", "\x85\x9b"])
def test_plain_leaves_no_control_character(text):
    out = plain(text)
    assert not CONTROLS.search(out.replace("\n", "").replace("\t", ""))
    assert "\r" not in out and "\u202e" not in out
    out.encode("utf-8")  # no lone surrogate


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "![i](http://x/i.png)",
        "<b>bold</b>",
        "**b** __c__ _d_ *e*",
        "a | b",
        "`code`",
        "~~gone~~",
        "&lt;script&gt;",
        "http://evil.example www.evil.example",
        "# not a heading",
        "\\[x](y)",
        HOSTILE,
    ],
)
def test_markdown_text_is_shown_literally(text):
    page = _markdown_html(f"| h |\n| --- |\n| {markdown_text(text)} |\n")
    cell = re.search(r"<td>(.*?)</td>", page, flags=re.S)
    assert cell is not None and page.count("<td>") == 1
    import html

    assert html.unescape(cell.group(1)) == plain(text).replace("\n", " ")


def test_markdown_text_keeps_intraword_underscores():
    assert markdown_text("school_id largest_class_size") == "school_id largest_class_size"
    assert markdown_text("_x_") == "\\_x\\_"


def test_xml_text_parses_back():
    element = ET.Element("a", {"b": xml_text(HOSTILE + "\x00\ufffe")})
    element.text = xml_text(HOSTILE)
    back = ET.fromstring(ET.tostring(element, encoding="unicode").encode("utf-8"))
    assert back.text == plain(HOSTILE)
    assert back.get("b") == plain(HOSTILE) + "\ufffd\ufffd"
