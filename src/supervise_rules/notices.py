"""督办单: one rectification notice per school with failing findings, plus an index.

A school's findings are those whose subject is the school (``<school_id>``) or
one of its sections (``<school_id>/<level>``). A failure covered by an active
waiver is not sent; an ``error`` finding is (the school must correct its data).
With a baseline diff (``--baseline``), each item says whether it was already
raised last time and is still not fixed (回头看: 整改不到位).

Files are named after the school id (only ``[0-9A-Za-z_-]`` kept); the index is
``index.html`` / ``index.md``. The set is written all-or-nothing: every file goes
into a fresh temporary folder next to the output folder, and only when all are
written are they moved in (see :func:`write_notices`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import reporters as _reporters
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
    """Write one notice per school and an index into ``out_dir``, all or nothing.

    Every file is first written into a fresh temporary folder made next to
    ``out_dir`` (same file system); only when all are written are they moved
    into ``out_dir`` (created if absent) with one rename each. On any failure —
    a full disk, Ctrl-C — the temporary folder is removed and ``out_dir`` is
    left as it was. Files of ``out_dir`` that are not ours are never touched; a
    file of ours already there is replaced only if it is a regular file (a
    directory, FIFO, device or symlink in its place is refused before anything
    is written).

    :param fmt: ``html`` or ``markdown``.
    :returns: the files written, the index last.
    :raises SuperviseRulesError: an output problem, in one sentence naming the path.
    """
    if fmt not in _SUFFIX:
        raise ValueError(f"unknown notice format {fmt!r} (known: html, markdown)")
    render = render_html if fmt == "html" else render_markdown
    suffix = _SUFFIX[fmt]
    out = Path(out_dir)
    _reporters.check_output_dir(out)
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
    index = f"index{suffix}"
    modes = _check_destinations(out, [*names, index])  # before anything is written
    real = Path(os.path.realpath(out))
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=real.parent, prefix=".supervise-notices-"))
    except OSError as exc:
        raise _reporters._cannot_write(out, exc.strerror or str(exc)) from None
    try:
        for notice, name, number in zip(notices, names, numbers, strict=True):
            _write_new(staging / name, out / name,
                       render(notice_document(report, notice, number, deadline)))
        _write_new(staging / index, out / index,
                   render(index_document(report, notices, names, numbers, deadline)))
        try:
            real.mkdir(exist_ok=True)
        except FileExistsError:
            raise _reporters._cannot_write(out, "it exists and is not a directory") from None
        except OSError as exc:
            raise _reporters._cannot_write(out, exc.strerror or str(exc)) from None
        written = []
        for name in [*names, index]:
            # a rename within one file system: the set appears file by file, but
            # only once every file of it is on disk
            os.chmod(staging / name, modes.get(name, 0o666 & ~_reporters._umask()))
            try:
                os.replace(staging / name, real / name)
            except OSError as exc:
                raise _reporters._cannot_write(out / name, exc.strerror or str(exc)) from None
            written.append(out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _check_destinations(out: Path, names: list[str]) -> dict[str, int]:
    """Refuse now, before anything is written, a file of ours that could not be
    replaced: not a regular file (a directory, FIFO, device, symlink), an input
    of the run, read-only. Returns the modes of the files that will be replaced,
    so that each keeps its own."""
    modes: dict[str, int] = {}
    if not os.path.isdir(out):
        return modes
    for name in names:
        path = out / name
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise _reporters._cannot_write(path, exc.strerror or str(exc)) from None
        if not stat.S_ISREG(st.st_mode):
            what = "a symlink" if stat.S_ISLNK(st.st_mode) else (
                "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file")
            raise _reporters._cannot_write(path, f"it is {what}, which a notice is never written "
                                           "over; move it away or give another --output-dir")
        _reporters._destination(path)  # an input of the run, a read-only file
        modes[name] = stat.S_IMODE(st.st_mode)
    return modes


def _write_new(path: Path, shown: Path, text: str) -> None:
    """Write ``text`` to the new file ``path`` of the temporary folder; an error names
    ``shown``, where the file was to go."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with _reporters._open_output(fd) as fh:  # tests put a full disk here
            fh.write(text.encode("utf-8"))
    except OSError as exc:
        raise _reporters._cannot_write(shown, exc.strerror or str(exc)) from None


__all__ = ["SchoolNotice", "collect_notices", "notice_document", "safe_filename", "write_notices"]
