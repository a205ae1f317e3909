"""PDF output of the human documents, read back as a clerk's printer would see it:
text per page with pdftotext, fonts with pdffonts, a page rendered to PNG with
pdftoppm (poppler-utils; the page checks are skipped only where it is absent)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from supervise_rules.cli import main

HELAN = str(Path(__file__).resolve().parents[1] / "examples" / "helan-2024")
POPPLER = all(shutil.which(t) for t in ("pdftotext", "pdfinfo", "pdffonts", "pdftoppm"))
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils (pdftotext, pdftoppm) not installed: apt-get install poppler-utils"
)


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout


def pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    return _run("pdftotext", "-layout", str(pdf), "-").split("\f")[:-1]


def info(pdf: Path) -> dict[str, str]:
    return {
        k.strip(): v.strip()
        for k, _, v in (line.partition(":") for line in _run("pdfinfo", str(pdf)).splitlines())
    }


def fonts(pdf: Path) -> list[list[str]]:
    return [line.split() for line in _run("pdffonts", str(pdf)).splitlines()[2:]]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def selfcheck_pdf(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "自查报告.pdf"
    assert main(["report", "selfcheck", HELAN, "-o", str(out)]) == 0  # the suffix picks the format
    return out


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "report.pdf"
    assert main([HELAN, "--format", "pdf", "-o", str(out)]) == 1  # the example has failures
    return out


def test_pdf_files_are_pdfs(selfcheck_pdf, report_pdf):
    for pdf in (selfcheck_pdf, report_pdf):
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


@needs_poppler
def test_selfcheck_pdf_pages(selfcheck_pdf):
    meta = info(selfcheck_pdf)
    assert meta["Page size"].startswith("595.") and "841.8" in meta["Page size"]  # A4 in points
    n = int(meta["Pages"])
    assert n >= 3
    text = pages(selfcheck_pdf)
    assert len(text) == n
    assert "贺兰县2024年义务教育优质均衡发展核心指标自查报告" in _squash(text[0])
    for i, page in enumerate(text, start=1):  # every page numbered, of the total
        assert f"第{i}页/共{n}页" in _squash(page)
    whole = _squash("".join(text))
    assert "六、自查结论" in whole
    assert "不纳入评估" in whole and "洪广镇金山教学点" in whole
    assert _squash("生均体育运动场馆面积 6.80 平方米（标准 ≥ 7.5）") in whole
    assert "填报单位（盖章）" in whole
    assert "examples/helan-2024" not in whole


@needs_poppler
def test_fonts_are_embedded(selfcheck_pdf, report_pdf):
    for pdf in (selfcheck_pdf, report_pdf):
        table = fonts(pdf)
        assert table, "no font in the PDF"
        assert any("CJK" in row[0] for row in table)  # the Chinese text has a CJK font
        # columns: name type [type…] encoding emb sub uni object ID: emb is the 5th from the end
        assert all(row[-5] == "yes" for row in table), table


@needs_poppler
def test_report_pdf_opens_on_the_overview(report_pdf):
    text = pages(report_pdf)
    n = len(text)
    first = _squash(text[0])
    assert "督导数据核查结果" in first
    assert "规则一览" in first or "概况" in first
    assert all(f"第{i}页/共{n}页" in _squash(p) for i, p in enumerate(text, start=1))
    whole = _squash("".join(text))
    assert "BAL-05" in whole and "CON-02" in whole  # the failures are printed
    assert info(report_pdf)["CreationDate"].startswith("Mon Sep 30 00:00:00 2024")


@needs_poppler
def test_a_page_renders_to_a_legible_png(selfcheck_pdf, tmp_path):
    from PIL import Image

    _run("pdftoppm", "-r", "72", "-png", "-f", "1", "-l", "1", str(selfcheck_pdf), str(tmp_path / "p"))
    [png] = tmp_path.glob("p*.png")
    image = Image.open(png).convert("L")
    width, height = image.size
    assert (width, height) in ((595, 842), (596, 842))  # A4 portrait at 72 dpi
    # the title is drawn: dark pixels in the top band, and the page is mostly white paper
    top = image.crop((0, 0, width, height // 8))
    assert top.getextrema()[0] < 80
    histogram = image.histogram()
    assert sum(histogram[200:]) / (width * height) > 0.7


def test_the_same_input_gives_the_same_bytes(selfcheck_pdf, report_pdf, tmp_path):
    again = tmp_path / "again.pdf"
    assert main(["report", "selfcheck", HELAN, "--format", "pdf", "-o", str(again)]) == 0
    assert again.read_bytes() == selfcheck_pdf.read_bytes()
    report_again = tmp_path / "report-again.pdf"
    assert main([HELAN, "--format", "pdf", "-o", str(report_again)]) == 1
    assert report_again.read_bytes() == report_pdf.read_bytes()


@needs_poppler
def test_notices_pdf_next_to_each_html_notice(tmp_path, capsys):
    out = tmp_path / "notices"
    assert main(["notices", HELAN, "--output-dir", str(out), "--pdf"]) == 0
    html = sorted(p.stem for p in out.glob("*.html"))
    assert html and sorted(p.stem for p in out.glob("*.pdf")) == html
    school = next(p for p in out.glob("*.pdf") if p.stem != "index")
    text = "".join(pages(school))
    assert "第1页/共" in _squash(text)
    source = (out / f"{school.stem}.html").read_text(encoding="utf-8")
    title = re.search(r"<h1>(.*?)</h1>", source).group(1)
    assert _squash(title) in _squash(text)  # the notice's own layout, laid out on A4


def test_notices_pdf_needs_the_html_format(tmp_path, capsys):
    assert main(["notices", HELAN, "--output-dir", str(tmp_path / "n"), "--format", "markdown", "--pdf"]) == 2
    assert "--pdf is made from the HTML notices" in capsys.readouterr().err


def test_without_weasyprint_the_message_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as if not installed
    out = tmp_path / "x.pdf"
    assert main(["report", "selfcheck", HELAN, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'supervise-rules[pdf]'" in err and "Traceback" not in err
    assert not out.exists()


def test_a_document_cannot_make_the_converter_read_a_file(tmp_path):
    """Text of a submission is escaped; even a page that links a local file or
    URL is laid out without fetching it."""
    from supervise_rules.pdf import html_to_pdf

    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")
    page = (
        f'<html><body><img src="{secret.as_uri()}"><img src="http://192.0.2.1/x.png">'
        f'<link rel="stylesheet" href="{secret.as_uri()}"><p>正文</p></body></html>'
    )
    data = html_to_pdf(page)
    assert data.startswith(b"%PDF-")
