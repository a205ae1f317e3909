"""督办单: one rectification notice per school with failing findings, plus an index.

A school's findings are those whose subject is the school (``<school_id>``) or
one of its sections (``<school_id>/<level>``). A failure covered by an active
waiver is not sent; an ``error`` finding is (the school must correct its data).
With a baseline diff (``--baseline``), each item says whether it was already
raised last time and is still not fixed (回头看: 整改不到位).

Files are named after the school id (only ``[0-9A-Za-z_-]`` kept) and written
atomically; the index is ``index.html`` / ``index.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from .documents import (
    Document,
    Heading,
    Paragraph,
    Signature,
    TableBlock,
    Title,
    cell,
    format_value,
    render_html,
    render_markdown,
)
from .models import Finding, Outcome, Report
from .reporters import ensure_directory, write_atomically
from .tables import LEVEL

LEVEL_ZH = LEVEL  # the data contract's labels
_OP = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠", "in": "属于"}
_BASELINE_ZH = {"new": "新发现", "persisting": "上次已指出，仍未整改"}
_SUFFIX = {"html": ".html", "markdown": ".md"}


@dataclass
class SchoolNotice:
    school_id: str
    name: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def persisting(self) -> int:
        return sum(1 for f in self.findings if f.baseline == "persisting")


def collect_notices(report: Report) -> list[SchoolNotice]:
    """The schools that get a notice, in school-id order, each with its failing findings."""
    by_school: dict[str, SchoolNotice] = {}
    # a notice is about failures, and failures are always listed: the passes are
    # never made into objects, however many schools passed
    for f in report.iter_findings():
        if f.subject.type != "school" or not f.is_failure or f.is_waived:
            continue
        school_id = f.subject.id.split("/")[0]
        notice = by_school.setdefault(school_id, SchoolNotice(school_id, f.subject.name or school_id))
        if notice.name == school_id and f.subject.name:
            notice.name = f.subject.name
        notice.findings.append(f)
    return [by_school[k] for k in sorted(by_school)]


def safe_filename(school_id: str) -> str:
    """A file name stem from a school id: no path separators, dots or shell characters."""
    stem = re.sub(r"[^0-9A-Za-z_-]", "_", school_id).strip("_")[:64]
    return stem or "school"


def _date_zh(d: dt.date | None) -> str:
    return f"{d.year} 年 {d.month} 月 {d.day} 日" if d else "    年    月    日"


def _level(f: Finding) -> str:
    parts = f.subject.id.split("/")
    return LEVEL_ZH.get(parts[-1], parts[-1]) if len(parts) > 1 else "全校"


def _required(f: Finding) -> str:
    req = f.required
    if req is None:
        return "—"
    if req.op == "exists":
        return "须填报"
    if req.op == "within_days":
        return f"{format_value(req.value, None)} 天内"
    return f"{_OP.get(req.op, req.op)} {format_value(req.value, f.unit)}"


def _sender(report: Report) -> str:
    county = report.submission.county_name
    return f"{county}人民政府教育督导室" if county else "县（区）人民政府教育督导室"


def notice_document(report: Report, notice: SchoolNotice, number: str,
                    deadline: dt.date | None) -> Document:
    sub = report.submission
    has_baseline = report.baseline is not None
    doc = Document(f"督办单 {notice.name}")
    doc.add(Title("督 办 单", subtitle=f"{_sender(report)}　编号：{number}"))
    doc.add(TableBlock(columns=["项目", "内容"], rows=[
        [cell("受文单位"), cell(notice.name)],
        [cell("学校代码"), cell(notice.school_id)],
        [cell("督办事项"), cell(f"{report.ruleset.title}核查发现的问题整改")],
        [cell("数据截止日期"), cell(_date_zh(sub.as_of) if sub.as_of else "—")],
        [cell("整改期限"), cell(_date_zh(deadline))],
    ], id="head"))
    intro = (f"经对你校填报数据的核查，发现以下 {len(notice.findings)} 个问题未达到要求。"
             "请逐项整改，于整改期限前将整改情况书面报送" + _sender(report) + "。")
    if has_baseline and notice.persisting:
        intro += f"其中 {notice.persisting} 个问题上次督导已指出、至今仍未整改到位，请重点整改。"
    doc.add(Paragraph(intro))
    doc.add(Heading("问题清单"))
    columns = ["序号", "问题", "学段", "实际数值", "要求", "说明", "依据"]
    if has_baseline:
        columns.append("回头看")
    rows = []
    for i, f in enumerate(notice.findings, start=1):
        observed = "数据有误" if f.outcome is Outcome.error else format_value(f.observed, f.unit)
        row = [cell(i, align="center"), cell(f"{f.title.zh}（{f.rule_id}）"), cell(_level(f)),
               cell(observed, f.outcome.value, align="right"), cell(_required(f), align="center"),
               cell(f.message.zh), cell(f.source or "—")]
        if has_baseline:
            row.append(cell(_BASELINE_ZH.get(f.baseline or "", "—"),
                            "fail" if f.baseline == "persisting" else None))
        rows.append(row)
    doc.add(TableBlock(columns=columns, rows=rows, id="findings"))
    doc.add(Paragraph(f"整改期限：{_date_zh(deadline)}", emphasis=True))
    doc.add(Signature([
        ("督办单位（盖章）：", _sender(report)),
        ("签发日期：", "        年    月    日"),
        ("学校签收人：", ""),
        ("签收日期：", "        年    月    日"),
    ]))
    return doc


def index_document(report: Report, notices: list[SchoolNotice], files: list[str],
                   numbers: list[str], deadline: dt.date | None) -> Document:
    sub = report.submission
    year = f" {sub.year} 年" if sub.year else ""
    title = f"{sub.county_name or ''}{year}督办单目录".strip()
    doc = Document(title)
    doc.add(Title(title, subtitle=f"{report.ruleset.title}　数据截至 {_date_zh(sub.as_of)}"))
    total = sum(len(n.findings) for n in notices)
    text = f"共向 {len(notices)} 所学校发出督办单，涉及问题 {total} 个。整改期限：{_date_zh(deadline)}。"
    if report.baseline is not None:
        persisting = sum(n.persisting for n in notices)
        text += f"其中上次督导已指出、仍未整改的问题 {persisting} 个。"
    doc.add(Paragraph(text))
    columns = ["序号", "编号", "学校代码", "学校", "问题数"]
    if report.baseline is not None:
        columns.append("仍未整改")
    rows = []
    for i, (notice, file, number) in enumerate(zip(notices, files, numbers, strict=True), start=1):
        row = [cell(i, align="center"), cell(number), cell(notice.school_id),
               cell(notice.name, href=file), cell(len(notice.findings), align="right")]
        if report.baseline is not None:
            row.append(cell(notice.persisting, "fail" if notice.persisting else None, align="right"))
        rows.append(row)
    doc.add(TableBlock(columns=columns, rows=rows, id="index"))
    return doc


def write_notices(report: Report, out_dir: str | Path, *, fmt: str = "html",
                  deadline: dt.date | None = None) -> list[Path]:
    """Write one notice per school and an index into ``out_dir``.

    :param fmt: ``html`` or ``markdown``.
    :returns: the files written, the index last.
    """
    if fmt not in _SUFFIX:
        raise ValueError(f"unknown notice format {fmt!r} (known: html, markdown)")
    render = render_html if fmt == "html" else render_markdown
    suffix = _SUFFIX[fmt]
    out = ensure_directory(out_dir)  # the one output that is a folder: made on purpose
    notices = collect_notices(report)
    year = report.submission.year or (report.submission.as_of.year if report.submission.as_of else "")
    names: list[str] = []
    used = {"index"}
    for notice in notices:
        stem = safe_filename(notice.school_id)
        candidate, n = stem, 2
        while candidate in used:
            candidate, n = f"{stem}-{n}", n + 1
        used.add(candidate)
        names.append(candidate + suffix)
    numbers = [f"{year}-{i:03d}" if year else f"{i:03d}" for i in range(1, len(notices) + 1)]
    written = []
    for notice, name, number in zip(notices, names, numbers, strict=True):
        path = out / name
        write_atomically(path, render(notice_document(report, notice, number, deadline)))
        written.append(path)
    index = out / f"index{suffix}"
    write_atomically(index, render(index_document(report, notices, names, numbers, deadline)))
    written.append(index)
    return written


__all__ = ["SchoolNotice", "collect_notices", "notice_document", "safe_filename", "write_notices"]
