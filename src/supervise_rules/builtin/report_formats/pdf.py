"""``pdf``: the director's report as an A4 PDF (page numbers, fonts embedded).

The ``html`` page laid out for print by :mod:`supervise_rules.pdf`: the
overview, the charts and the failures; the list of passes stays on screen (it
is printed only with ``--include-passes``). The same report gives the same
bytes (the PDF's dates are the data's as_of).
"""

from __future__ import annotations

from supervise_rules import RenderOptions, Report, Reporter


class PdfReporter(Reporter):
    name = "pdf"
    summary = "A4 PDF of the html report (page numbers, CJK fonts embedded); needs the pdf extra."
    suffix = ".pdf"
    binary = True

    def render(self, report: Report, options: RenderOptions) -> bytes:
        from supervise_rules.pdf import html_to_pdf

        from .html import HtmlReporter

        page = HtmlReporter().render(report, options)
        return html_to_pdf(page, created=report.submission.as_of, title=f"{report.ruleset.title}")
