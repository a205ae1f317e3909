"""PDF of the human documents (report, 自查报告, 督办单): what is printed, stamped and filed.

Made from the same self-contained HTML as the screen versions, by WeasyPrint
(an HTML/CSS-to-PDF library on PyPI, the ``pdf`` extra; it lays out text with
pango and the system's fonts). Chosen over headless Chromium's print-to-PDF
because it runs in-process, needs no browser on the office's machine, honours
CSS paged media (``@page`` margins, running page numbers) and writes the same
bytes for the same input once the creation date is fixed — Chromium stamps
the wall clock into every PDF.

* A4 with margins and ``第 N 页 / 共 M 页`` in the footer of every page;
* CJK fonts (Noto CJK, Debian's ``fonts-noto-cjk``) embedded as subsets, so the
  file prints the same on a machine without them;
* creation and modification date = the data's as_of (never the wall clock);
* no resource is fetched: not from the network, not from the disk (a document's
  text can never make the converter read a local file).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from .errors import SuperviseRulesError

#: added to every document: paged media, fonts that are on the machine
PRINT_CSS = """
@page {
  size: A4;
  margin: 16mm 14mm 18mm;
  @bottom-center {
    content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
    font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif;
    font-size: 9pt; color: #444;
  }
}
html { font-size: 10.5pt; }
body { max-width: none !important; padding: 0 !important; margin: 0 !important; }
body, table, th, td, h1, h2, h3, h4, p, div, span {
  font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "SimSun", "Songti SC", serif; }
.report, .report table, .report th, .report td, .report h1, .report h2, .report h3, .report h4,
.report p, .report div, .report span {
  font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", "Microsoft YaHei", sans-serif; }
table { page-break-inside: auto; }
tr, .chart { break-inside: avoid; }
thead { display: table-header-group; }
h1, h2, h3, h4 { break-after: avoid; }
nav, .filter, .screen-only { display: none !important; }
"""


class PdfUnavailable(SuperviseRulesError):
    """WeasyPrint (or the pango library it needs) is not installed."""


def _refuse(url: str, *args: object, **kwargs: object) -> dict[str, Any]:
    raise ValueError(f"PDF output fetches no resource ({url[:60]!r})")


def _fetcher(weasyprint: object) -> object:
    """A URL fetcher that fetches nothing: a refused resource is left out of the
    page (WeasyPrint 68+ takes a ``URLFetcher`` object, older ones a function)."""
    base = getattr(getattr(weasyprint, "urls", None), "URLFetcher", None)
    if base is None:
        return _refuse

    class Refuse(base):  # type: ignore[misc, valid-type]  # WeasyPrint's class, found at run time
        def fetch(self, url: str, headers: object = None) -> object:
            return _refuse(url)

        def __call__(self, url: str) -> object:
            return _refuse(url)

    return Refuse()


def html_to_pdf(html: str, *, created: dt.date | None = None, title: str | None = None) -> bytes:
    """``html`` (a self-contained page) as an A4 PDF with page numbers.

    :param created: the PDF's creation and modification date (the data's
        as_of); the same input then gives the same bytes.
    :raises PdfUnavailable: WeasyPrint or pango is missing (one sentence saying
        what to install).
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint without the pango library
        raise PdfUnavailable(
            "PDF output needs WeasyPrint and the pango library: pip install 'supervise-rules[pdf]' "
            f"(and on Debian: apt-get install libpango-1.0-0 fonts-noto-cjk) ({exc.__class__.__name__}: "
            f"{str(exc)[:120]})"
        ) from None
    # WeasyPrint warns about CSS it does not know (screen-only properties) through
    # logging; with no handler, Python would print them to stderr as if something failed
    log = logging.getLogger("weasyprint")
    saved = (log.propagate, log.level)
    log.propagate, log.level = False, logging.ERROR
    try:
        page = weasyprint.HTML(string=html, url_fetcher=_fetcher(weasyprint), base_url=None)
        document = page.render(stylesheets=[weasyprint.CSS(string=PRINT_CSS)])
        stamp = (created or dt.date(2000, 1, 1)).isoformat() + "T00:00:00Z"
        document.metadata.created = stamp
        document.metadata.modified = stamp
        document.metadata.generator = "supervise-rules"
        if title:
            document.metadata.title = title
        pdf: bytes = document.write_pdf()
        return pdf
    finally:
        log.propagate, log.level = saved


def notices_to_pdf(written: list[Path], *, created: dt.date | None = None) -> list[Path]:
    """A PDF next to each HTML notice (and the index) ``write_notices`` wrote,
    with the same stem: the notice's own layout, laid out on A4.

    Every PDF is made before any is written, then each replaces only a regular
    file (or nothing); a directory, FIFO or symlink in its place is refused."""
    import os
    import stat

    from .reporters import write_atomically

    pages = []
    for path in written:
        if path.suffix.lower() != ".html":
            continue
        target = path.with_suffix(".pdf")
        try:
            st = os.lstat(target)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise SuperviseRulesError(
                f"{target}: cannot write the PDF notice: it exists and is not "
                "a regular file; move it away or give another --output-dir"
            )
        pages.append((target, html_to_pdf(path.read_text(encoding="utf-8"), created=created)))
    for target, data in pages:
        write_atomically(target, data)
    return [t for t, _ in pages]


__all__ = ["PRINT_CSS", "PdfUnavailable", "html_to_pdf", "notices_to_pdf"]
