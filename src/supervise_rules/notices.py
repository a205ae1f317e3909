"""督办单: the rectification notices an office signs and sends, plus its own list and an index.

Every failing finding goes to the unit responsible for fixing it (:func:`route`):

* a school's findings (``<school_id>``, ``<school_id>/<level>``) to the school;
* a kindergarten's (``<kindergarten_id>``, ``<kindergarten_id>/<class>``) to the kindergarten;
* a dropout case (``case``: a student) to the case's school, or to its
  township when the student has no school; the case's school comes from the
  submission's ``dropout_cases`` table (:class:`Routes`);
* a township (a ``county`` subject that is not the county: DRP-04's letters) to
  the township;
* a subject of a plugin's table that declares a ``unit_column`` (a class of a
  homework survey, a 课后服务 record) to the school (kindergarten, for a
  kindergarten table) that column names on the subject's row, the subject named
  by the table's ``name_column`` (:class:`Routes` reads them from the submission);
* everything the supervision office answers for itself — inspectors (督学),
  the county's own indicators, the submission's data problems, and a case whose
  school is not known — to one internal list (督导室内部督办清单), never sent.

A failure covered by an active waiver is not sent; an ``error`` finding is (the
unit must correct its data).

A notice is an official document: the issuing office's red masthead and rule,
a document number in the office's pattern (default ``贺教督办〔{year}〕{n}号``),
figures with their units next to the standard and its source, the deadline, a
table the unit fills in (整改措施 / 完成时间 / 责任人), a review section (复查) and
signature and seal lines. Numbers are stable across rounds: the numbering state
(:mod:`supervise_rules.numbering`) gives a unit the number it had, and records which
problems each notice raised in each round, so a problem still there the next
round is marked 二次督办, and one there for ``interview_after`` rounds in a row is
listed for 约谈.

The set is written all-or-nothing: every file, the numbering state too when it
lives in the output folder, goes into a fresh temporary folder next to the
output folder, and only when all are written are they moved in (see
:func:`write_notices`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from . import reporters as _reporters
from .documents import (
    Document,
    Heading,
    Masthead,
    Paragraph,
    Signature,
    TableBlock,
    Title,
    cell,
    format_value,
    render_html,
    render_markdown,
)
from .models import Finding, Outcome
from .numbering import Numbering, item_key
from .report import Report
from .tables import LEVEL

if TYPE_CHECKING:
    import polars as pl

UnitKind = Literal["school", "kindergarten", "township", "office"]

LEVEL_ZH = LEVEL  # the data contract's labels
_OP = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠", "in": "属于"}
_SUFFIX = {"html": ".html", "markdown": ".md"}
_KIND_ORDER = {"school": 0, "kindergarten": 1, "township": 2, "office": 3}
_KIND_ZH = {"school": "学校", "kindergarten": "幼儿园", "township": "乡镇", "office": "督导室"}
_NUMERAL = "一二三四五六七八九十"
#: the sections of the internal list, in order
_OFFICE_SECTIONS = {
    "inspector": "督学履职",
    "county": "县级指标",
    "case": "未能确定责任学校的控辍保学个案",
    "submission": "填报数据问题",
    "other": "其他",
}
OFFICE_FILE = "office"

#: the notice's own print styles, added to the documents' (A4, red kept in print)
NOTICE_CSS = """
.masthead { text-align: center; margin: 4mm 0 6mm; -webkit-print-color-adjust: exact;
            print-color-adjust: exact; }
.masthead .issuer { color: #c8102e; font-size: 30px; font-weight: bold; letter-spacing: 4px;
                    line-height: 1.3; }
.masthead .docno { margin-top: 10px; font-size: 15px; }
.masthead .rule { border-top: 3px solid #c8102e; margin-top: 6px; }
.masthead .marks { margin-top: 8px; }
.masthead .mark { display: inline-block; color: #c8102e; border: 2px solid #c8102e;
                  padding: 0 10px; margin: 0 4px; font-weight: bold; letter-spacing: 2px; }
table#rectification td, table#review td { height: 34px; }
table#findings td.c, table#findings td:last-child, table[id^="office-"] td.c,
table[id^="office-"] td:last-child { white-space: nowrap; }
"""


@dataclass(frozen=True)
class CaseRoute:
    """Where a dropout case goes: its school, else its township."""

    school_id: str | None = None
    school_name: str | None = None
    township: str | None = None


@dataclass(frozen=True)
class UnitRoute:
    """Where a subject of a plugin table goes: the unit its ``unit_column`` names."""

    kind: UnitKind
    unit_id: str
    #: the subject's own name (the table's ``name_column``), e.g. a class
    name: str | None = None


@dataclass(frozen=True)
class Routes:
    """What routing needs beyond the findings: each case's school or township,
    and the names of schools and kindergartens (a notice for a unit whose only
    problem is a case still carries the unit's name)."""

    cases: Mapping[str, CaseRoute] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    #: (plugin table, subject id) -> the unit its row names and the subject's name
    units: Mapping[tuple[str, str], UnitRoute] = field(default_factory=dict)
    #: the plugin tables read for ``units``: a subject of theirs without a unit
    #: goes to the office, never to a "unit" made of its own id
    unit_tables: frozenset[str] = frozenset()
    #: False when the report came without its data: cases cannot be routed
    known: bool = True

    @classmethod
    def from_submission(cls, submission: Any, host: Any = None) -> Routes:
        """Read ``dropout_cases`` (student → school, township; the school's name
        joined from ``schools``), the names of ``kindergartens``, and the unit of
        each subject of a plugin table with a ``unit_column``, column-wise: only
        the cases, the kindergartens and the plugin tables' subjects become Python
        values, never every school. ``host``: the plugin host whose tables to
        read (default: the tables active now, see ``PluginHost.activate``)."""
        if host is not None:
            with host.activate():
                return cls.from_submission(submission)
        import polars as pl

        cases: dict[str, CaseRoute] = {}
        names: dict[str, str] = {}
        frame = _frame(submission, "dropout_cases", ["student_id", "school_id", "township"])
        if frame is not None:
            schools = _frame(submission, "schools", ["school_id", "school_name"])
            if schools is None:
                schools = pl.DataFrame(schema={"school_id": pl.String, "school_name": pl.String})
            frame = frame.join(
                schools.unique(subset=["school_id"], keep="first", maintain_order=True),
                on="school_id",
                how="left",
                maintain_order="left",
            )
            for student, school, township, name in frame.select(
                "student_id", "school_id", "township", "school_name"
            ).iter_rows():
                if student is None:
                    continue
                cases.setdefault(
                    student, CaseRoute(school_id=school or None, school_name=name, township=township or None)
                )
                if school and name:
                    names.setdefault(school, name)
        kinder = _frame(submission, "kindergartens", ["kindergarten_id", "kindergarten_name"])
        if kinder is not None:
            for k, v in (
                kinder.drop_nulls()
                .unique(subset=["kindergarten_id"], keep="first", maintain_order=True)
                .iter_rows()
            ):
                names.setdefault(k, v)
        units, unit_tables = _plugin_units(submission)
        wanted = sorted({u.unit_id for u in units.values() if u.kind == "school"} - set(names))
        if wanted:
            import polars as pl

            schools = _frame(submission, "schools", ["school_id", "school_name"])
            if schools is not None:
                for k, v in (
                    schools.filter(pl.col("school_id").is_in(wanted))
                    .drop_nulls()
                    .unique(subset=["school_id"], keep="first", maintain_order=True)
                    .iter_rows()
                ):
                    names.setdefault(k, v)
        return cls(cases=cases, names=names, units=units, unit_tables=unit_tables)


def _plugin_units(submission: Any) -> tuple[dict[tuple[str, str], UnitRoute], frozenset[str]]:
    """Each subject of a plugin table with a ``unit_column``: its unit and name.

    The subject id is built as the engine builds it (the table's subject columns
    joined by ``/``), so a finding is found by its ``subject.id``. Read while the
    plugin host is active (its tables visible through ``TABLES``)."""
    import narwhals as nw

    from .tables import CORE_TABLES, TABLES
    from .validators import RuleContext

    out: dict[tuple[str, str], UnitRoute] = {}
    read: set[str] = set()
    for name in sorted(TABLES):
        spec = TABLES[name]
        if name in CORE_TABLES or spec.unit_column is None or submission is None:
            continue
        read.add(name)
        t = submission.table(name)
        if t is None:
            continue
        frame = nw.from_native(t.frame)
        if isinstance(frame, nw.LazyFrame):
            frame = frame.collect()
        if spec.unit_column not in frame.columns:
            continue
        kind: UnitKind = "kindergarten" if spec.subject_type == "kindergarten" else "school"
        rows = frame.select(
            RuleContext.subject_id_expr(name).alias("subject_id"),
            nw.col(spec.unit_column).cast(nw.String).alias("unit"),
            RuleContext.subject_name_expr(name, frame.columns).alias("name"),
        ).to_polars()
        for subject_id, unit, subject_name in rows.drop_nulls("unit").iter_rows():
            if unit.strip():
                out.setdefault((name, subject_id), UnitRoute(kind, unit.strip(), subject_name))
    return out, frozenset(read)


def _unit_table(table: str, routes: Routes) -> bool:
    """A plugin table whose subjects are routed by its ``unit_column``."""
    from .tables import CORE_TABLES, TABLES

    if table in routes.unit_tables:
        return True
    return table not in CORE_TABLES and table in TABLES and TABLES[table].unit_column is not None


def _frame(submission: Any, table: str, columns: list[str]) -> pl.DataFrame | None:
    """The table's ``columns`` (those it has; ``None`` without the key) as polars."""
    import narwhals as nw
    import polars as pl

    t = submission.table(table) if submission is not None else None
    if t is None:
        return None
    frame = nw.from_native(t.frame)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    if columns[0] not in frame.columns:
        return None
    have = [c for c in columns if c in frame.columns]
    native: pl.DataFrame = frame.select(have).to_polars()
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in columns if c not in have]
    return native.with_columns(missing).select(columns).cast(pl.String)


@dataclass
class Notice:
    """The failing findings one unit gets, in report order."""

    kind: UnitKind
    unit_id: str
    name: str
    findings: list[Finding] = field(default_factory=list)
    #: the document number (``None`` for the internal list)
    number: str | None = None
    #: rounds in a row each problem has been raised, this one included, by item key
    rounds: dict[str, int] = field(default_factory=dict)
    interview_after: int = 3
    #: (table, subject id) -> what in the unit a problem is about, for subjects of
    #: plugin tables routed by their unit column (a class of the school)
    targets: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.unit_id}"

    @property
    def school_id(self) -> str:
        """The unit id (the school id for a school's notice)."""
        return self.unit_id

    def times(self, f: Finding) -> int:
        return self.rounds.get(item_key(f), 2 if f.baseline == "persisting" else 1)

    @property
    def persisting(self) -> int:
        """Problems raised before and still not fixed (二次督办 and beyond)."""
        return sum(1 for f in self.findings if self.times(f) >= 2)

    @property
    def interviews(self) -> int:
        """Problems raised ``interview_after`` rounds in a row: the unit is listed for 约谈."""
        return sum(1 for f in self.findings if self.times(f) >= self.interview_after)

    @property
    def round_no(self) -> int:
        return max((self.times(f) for f in self.findings), default=1)


def route(report: Report, routes: Routes | None = None) -> tuple[list[Notice], Notice]:
    """The notices to send, in (kind, unit id) order, and the office's internal list."""
    routes = routes or Routes(known=False)
    county = report.submission.county_code
    by_unit: dict[tuple[str, str], Notice] = {}
    office = Notice("office", OFFICE_FILE, "督导室内部督办清单")
    # a notice is about failures, and failures are always listed: the passes are
    # never made into objects, however many schools passed
    for f in report.iter_findings():
        if not f.is_failure or f.is_waived:
            continue
        unit = _unit_route(f, routes)
        target = _unit_of(f, county, routes, unit)
        if target is None:
            office.findings.append(f)
            continue
        kind, unit_id, name = target
        notice = by_unit.setdefault((kind, unit_id), Notice(kind, unit_id, name or unit_id))
        if notice.name == unit_id and name:
            notice.name = name
        notice.findings.append(f)
        if unit is not None:
            notice.targets[(f.evidence[0].table, f.subject.id)] = unit.name or f.subject.name or f.subject.id
    notices = [by_unit[k] for k in sorted(by_unit, key=lambda k: (_KIND_ORDER[k[0]], k[1]))]
    return notices, office


def collect_notices(report: Report, routes: Routes | None = None) -> list[Notice]:
    """The units that get a notice, each with its failing findings (see :func:`route`)."""
    return route(report, routes)[0]


def _unit_route(f: Finding, routes: Routes) -> UnitRoute | None:
    """The unit route of a finding on a plugin table's subject, if it has one:
    read from the submission's rows, else (a JSON report without its data) from
    the subject id when the unit column is one of the table's subject columns."""
    from .tables import CORE_TABLES, TABLES

    if not f.evidence:
        return None
    table = f.evidence[0].table
    found = routes.units.get((table, f.subject.id))
    if found is not None or table in CORE_TABLES or table not in TABLES:
        return found
    spec = TABLES[table]
    columns = spec.subject_id_columns
    parts = f.subject.id.split("/")
    if (
        spec.unit_column not in columns
        or len(parts) != len(columns)
        or f.subject.type in ("county", "submission")
    ):
        return None
    unit_id = parts[columns.index(spec.unit_column)]
    if unit_id in ("", "?"):  # a blank unit in the data: the office sees to it
        return None
    kind: UnitKind = "kindergarten" if spec.subject_type == "kindergarten" else "school"
    return UnitRoute(kind, unit_id, f.subject.name)


def _unit_of(
    f: Finding, county: str | None, routes: Routes, unit: UnitRoute | None = None
) -> tuple[UnitKind, str, str | None] | None:
    s = f.subject
    if unit is not None:  # the subject's own name is not the unit's
        return unit.kind, unit.unit_id, routes.names.get(unit.unit_id)
    if f.evidence and s.type not in ("county", "submission") and _unit_table(f.evidence[0].table, routes):
        return None  # its unit is not known: the office sees to it
    head = s.id.split("/")[0]
    if s.type == "school":
        return "school", head, s.name or routes.names.get(head)
    if s.type == "kindergarten":
        name = routes.names.get(head) or (s.name if s.id == head else None)
        return "kindergarten", head, name
    if s.type == "case":
        r = routes.cases.get(s.id)
        if r is not None and r.school_id:
            return "school", r.school_id, r.school_name or routes.names.get(r.school_id)
        if r is not None and r.township:
            return "township", r.township, r.township
        return None
    if s.type == "county" and county and head != county:
        return "township", s.id, s.name or s.id  # a township of the county (DRP-04)
    return None


def safe_filename(school_id: str) -> str:
    """A file name stem from a unit id: no path separators, dots or shell characters."""
    stem = re.sub(r"[^0-9A-Za-z_-]", "_", school_id).strip("_")[:64]
    return stem or "school"


def _file_stem(notice: Notice) -> str:
    if notice.kind == "school":
        return safe_filename(notice.unit_id)
    stem = re.sub(r"[^0-9A-Za-z_-]", "_", notice.unit_id).strip("_")[:48]
    if stem != notice.unit_id:  # a township's name in Chinese: a stable short digest
        stem = (stem + "-" if stem else "") + hashlib.sha256(notice.unit_id.encode()).hexdigest()[:8]
    return f"{notice.kind}-{stem}"


def _date_zh(d: dt.date | None) -> str:
    return f"{d.year} 年 {d.month} 月 {d.day} 日" if d else "    年    月    日"


def _times_zh(n: int) -> str:
    return "二次督办" if n == 2 else f"第{_NUMERAL[n - 1] if n <= 10 else n}次督办"


def _target(f: Finding, notice: Notice | None = None) -> str:
    """What in the unit the problem is about: a school section, a student, a class."""
    s = f.subject
    if notice is not None and f.evidence and (f.evidence[0].table, s.id) in notice.targets:
        return notice.targets[(f.evidence[0].table, s.id)]
    parts = s.id.split("/")
    if s.type == "case":
        return f"学生（学籍号 {s.id}）"
    if s.type == "school":
        return LEVEL_ZH.get(parts[-1], parts[-1]) if len(parts) > 1 else "全校"
    if s.type == "kindergarten":
        return parts[-1] if len(parts) > 1 else "全园"
    if s.type == "inspector":
        return s.name or s.id
    return s.name or s.id


def _observed(f: Finding) -> str:
    from .values import with_unit

    if f.outcome is Outcome.error:
        return "数据有误"
    if f.observed is None:
        op = f.required.op if f.required is not None else None
        return {"exists": "未填报", "within_days": "无记录"}.get(op or "", "—")
    return with_unit(f.observed, f.unit)


def _required(f: Finding) -> str:
    from .values import with_unit

    req = f.required
    if req is None:
        return "—"
    if req.op == "exists":
        return f"须填报{_column_zh(f, req.value)}"
    if req.op == "within_days":
        return f"{format_value(req.value, None)} 天内"
    if req.op == "in":
        values = req.value if isinstance(req.value, list | tuple) else [req.value]
        return "属于 " + "、".join(format_value(v, f.unit) for v in values)
    return f"{_OP.get(req.op, req.op)} {with_unit(req.value, f.unit)}"


def _column_zh(f: Finding, column: Any) -> str:
    """「责任人」 for ``responsible_person``: the contract's header of the column."""
    if not isinstance(column, str):
        return ""
    from .tables import TABLES

    for ev in f.evidence:
        spec = TABLES.get(ev.table) if ev.table in TABLES else None
        col = spec.columns.get(column) if spec is not None and isinstance(spec.columns, dict) else None
        if col is not None:
            return f"「{col.zh}」"
    return f"「{column}」"


def _sender(report: Report, issuer: str | None) -> str:
    if issuer:
        return issuer
    county = report.submission.county_name
    return f"{county}人民政府教育督导室" if county else "县（区）人民政府教育督导室"


def _mark(notice: Notice, f: Finding) -> str:
    n = notice.times(f)
    if n < 2:
        return "首次督办"
    text = f"{_times_zh(n)}（连续 {n} 轮）"
    return text + "，约谈" if n >= notice.interview_after else text


def _problem_rows(notice: Notice, *, with_target: bool = True) -> tuple[list[str], list[list[Any]]]:
    columns = ["序号", "问题", "对象", "实际数值", "标准", "说明", "依据", "督办"]
    if not with_target:
        columns.remove("对象")
    rows = []
    for i, f in enumerate(notice.findings, start=1):
        row = [cell(i, align="center"), cell(f"{f.title.zh}（{f.rule_id}）")]
        if with_target:
            row.append(cell(_target(f, notice)))
        times = notice.times(f)
        row += [
            cell(_observed(f), f.outcome.value, align="right"),
            cell(_required(f), align="center"),
            cell(f.message.zh),
            cell(f.source or "—"),
            cell(_mark(notice, f), "fail" if times >= 2 else None),
        ]
        rows.append(row)
    return columns, rows


def notice_document(
    report: Report,
    notice: Notice,
    number: str | None = None,
    deadline: dt.date | None = None,
    *,
    issuer: str | None = None,
) -> Document:
    """One unit's 督办单 as a document (masthead, problems, the unit's table, 复查, seals)."""
    sub = report.submission
    sender = _sender(report, issuer)
    number = number or notice.number
    marks: list[str] = []
    if notice.round_no >= 2:
        marks.append(_times_zh(notice.round_no))
    if notice.interviews:
        marks.append("约谈")
    doc = Document(f"督办单 {notice.name}" + (f" {number}" if number else ""), extra_css=NOTICE_CSS)
    doc.add(Masthead(sender, number=number, marks=tuple(marks)))
    doc.add(Title("督 办 单", subtitle=f"关于{notice.name}督导发现问题整改的督办通知"))
    doc.add(Paragraph(f"{notice.name}：", emphasis=True))
    intro = (
        f"根据{report.ruleset.title}，经对{sub.county_name or '本县'}"
        f"{'截至 ' + _date_zh(sub.as_of) + '的' if sub.as_of else ''}填报数据的核查，"
        f"你单位有以下 {len(notice.findings)} 个问题未达到要求。请逐项制定整改措施、"
        f"明确责任人和完成时间，于 {_date_zh(deadline)} 前整改到位，并将本督办单"
        f"第二部分填写完整、加盖公章后报送{sender}。"
    )
    if notice.persisting:
        intro += (
            f"其中 {notice.persisting} 个问题上一轮督导已经指出、至今仍未整改到位，"
            "此次为再次督办，请重点整改。"
        )
    if notice.interviews:
        intro += (
            f"{notice.interviews} 个问题已连续 {notice.interview_after} 轮以上未整改到位，"
            "你单位已列入约谈名单，请主要负责人按通知时间接受约谈。"
        )
    doc.add(Paragraph(intro))
    doc.add(
        TableBlock(
            columns=["项目", "内容"],
            rows=[
                [
                    cell("受文单位"),
                    cell(
                        f"{notice.name}（{_KIND_ZH[notice.kind]}代码 {notice.unit_id}）"
                        if notice.kind in ("school", "kindergarten")
                        else notice.name
                    ),
                ],
                [cell("督办事项"), cell(f"{report.ruleset.title}督导核查发现问题的整改")],
                [cell("数据截止日期"), cell(_date_zh(sub.as_of) if sub.as_of else "—")],
                [cell("整改期限"), cell(_date_zh(deadline))],
            ],
            id="head",
        )
    )
    doc.add(Heading("一、督导发现的问题"))
    columns, rows = _problem_rows(notice)
    doc.add(TableBlock(columns=columns, rows=rows, id="findings"))
    doc.add(Heading("二、整改情况（由受文单位填写）"))
    doc.add(
        TableBlock(
            columns=["序号", "问题", "整改措施", "完成时间", "责任人"],
            rows=[
                [cell(i, align="center"), cell(f"{f.title.zh}（{f.rule_id}）"), cell(""), cell(""), cell("")]
                for i, f in enumerate(notice.findings, start=1)
            ],
            id="rectification",
        )
    )
    doc.add(
        Signature(
            [
                ("受文单位（盖章）：", ""),
                ("主要负责人（签字）：", ""),
                ("填报日期：", "        年    月    日"),
                ("联系电话：", ""),
            ]
        )
    )
    doc.add(Heading("三、复查意见（由督导室填写）"))
    doc.add(
        TableBlock(
            columns=["序号", "问题", "复查结论（已整改 / 基本整改 / 未整改到位）", "复查说明"],
            rows=[
                [cell(i, align="center"), cell(f"{f.title.zh}（{f.rule_id}）"), cell(""), cell("")]
                for i, f in enumerate(notice.findings, start=1)
            ],
            id="review",
        )
    )
    doc.add(
        Paragraph("未整改到位的问题转入下一轮督办（二次督办）；连续多轮未整改到位的，约谈单位主要负责人。")
    )
    doc.add(
        Signature(
            [
                ("复查人（签字）：", ""),
                ("复查日期：", "        年    月    日"),
            ]
        )
    )
    doc.add(
        Signature(
            [
                ("督办单位（盖章）：", sender),
                ("签发人：", ""),
                ("签发日期：", "        年    月    日"),
                ("受文单位签收人：", ""),
                ("签收日期：", "        年    月    日"),
            ]
        )
    )
    return doc


def office_document(
    report: Report,
    office: Notice,
    deadline: dt.date | None,
    *,
    issuer: str | None = None,
    unrouted: bool = False,
) -> Document:
    """The supervision office's internal list: what it answers for itself."""
    sub = report.submission
    sender = _sender(report, issuer)
    title = f"{sender}内部督办清单"
    doc = Document(title, extra_css=NOTICE_CSS)
    doc.add(Masthead(sender, number=None, marks=("内部",)))
    doc.add(Title("内部督办清单", subtitle=f"{report.ruleset.title}　数据截至 {_date_zh(sub.as_of)}"))
    text = (
        f"以下 {len(office.findings)} 个问题不向学校发督办单，由督导室自行整改或报县人民政府："
        "督学履职、县级指标、填报数据问题，以及无法确定责任学校的控辍保学个案。"
        f"整改期限：{_date_zh(deadline)}。"
    )
    if unrouted:
        text += (
            "本次核查所用的是报告文件而非填报数据，控辍保学个案无法对应到学校，"
            "均列入本清单；请用 --submission 提供填报数据后重新生成。"
        )
    doc.add(Paragraph(text))
    groups: dict[str, list[Finding]] = {}
    for f in office.findings:
        groups.setdefault(f.subject.type if f.subject.type in _OFFICE_SECTIONS else "other", []).append(f)
    n = 0
    for section, label in _OFFICE_SECTIONS.items():
        found = groups.get(section)
        if not found:
            continue
        n += 1
        doc.add(Heading(f"{_NUMERAL[n - 1]}、{label}"))
        part = Notice(
            "office",
            office.unit_id,
            office.name,
            found,
            rounds=office.rounds,
            interview_after=office.interview_after,
        )
        columns, rows = _problem_rows(part)
        doc.add(TableBlock(columns=columns, rows=rows, id=f"office-{section}"))
    if not office.findings:
        doc.add(Paragraph("本轮没有需要督导室自行整改的问题。"))
    doc.add(Signature([("督导室负责人（签字）：", ""), ("日期：", "        年    月    日")]))
    return doc


def index_document(
    report: Report,
    notices: list[Notice],
    files: list[str],
    numbers: list[str | None] | None = None,
    deadline: dt.date | None = None,
    *,
    office: Notice | None = None,
    office_file: str | None = None,
) -> Document:
    sub = report.submission
    year = f" {sub.year} 年" if sub.year else ""
    title = f"{sub.county_name or ''}{year}督办单目录".strip()
    numbers = numbers or [n.number for n in notices]
    doc = Document(title)
    doc.add(Title(title, subtitle=f"{report.ruleset.title}　数据截至 {_date_zh(sub.as_of)}"))
    total = sum(len(n.findings) for n in notices)
    schools = sum(1 for n in notices if n.kind == "school")
    text = (
        f"共发出督办单 {len(notices)} 份（其中学校 {schools} 所），涉及问题 {total} 个。"
        f"整改期限：{_date_zh(deadline)}。"
    )
    persisting = sum(n.persisting for n in notices)
    if persisting or report.baseline is not None:
        text += f"其中上一轮已指出、仍未整改的问题 {persisting} 个（再次督办）。"
    if office is not None:
        text += f"督导室内部督办清单列问题 {len(office.findings)} 个。"
    doc.add(Paragraph(text))
    if report.baseline is not None and report.baseline.not_checked:
        doc.add(
            Paragraph(
                f"回头看：上一轮的 {report.baseline.not_checked} 个问题本轮所用规则未检查"
                "（未检查），不计为已整改。",
                emphasis=True,
            )
        )
    columns = ["序号", "编号", "受文单位类型", "代码", "受文单位", "问题数", "再次督办", "约谈"]
    rows = []
    for i, (notice, file, number) in enumerate(zip(notices, files, numbers, strict=True), start=1):
        rows.append(
            [
                cell(i, align="center"),
                cell(number or "—"),
                cell(_KIND_ZH[notice.kind]),
                cell(notice.unit_id),
                cell(notice.name, href=file),
                cell(len(notice.findings), align="right"),
                cell(notice.persisting, "fail" if notice.persisting else None, align="right"),
                cell(
                    "是" if notice.interviews else "", "fail" if notice.interviews else None, align="center"
                ),
            ]
        )
    if office is not None and office_file is not None:
        rows.append(
            [
                cell(len(rows) + 1, align="center"),
                cell("（内部）"),
                cell("督导室"),
                cell("—"),
                cell(office.name, href=office_file),
                cell(len(office.findings), align="right"),
                cell(office.persisting, "fail" if office.persisting else None, align="right"),
                cell(""),
            ]
        )
    doc.add(TableBlock(columns=columns, rows=rows, id="index"))
    interview = [n for n in notices if n.interviews]
    doc.add(Heading("约谈名单"))
    if interview:
        doc.add(
            TableBlock(
                columns=["序号", "编号", "受文单位", "连续未整改的问题", "连续轮次"],
                rows=[
                    [
                        cell(i, align="center"),
                        cell(n.number or "—"),
                        cell(n.name),
                        cell(
                            "；".join(
                                f"{f.title.zh}（{f.rule_id}）"
                                for f in n.findings
                                if n.times(f) >= n.interview_after
                            )
                        ),
                        cell(n.round_no, align="right"),
                    ]
                    for i, n in enumerate(interview, start=1)
                ],
                id="interviews",
            )
        )
    else:
        doc.add(
            Paragraph(
                f"无（连续 {notices[0].interview_after if notices else 3} 轮未整改到位的问题列入约谈名单）。"
            )
        )
    return doc


def notice_html(
    report: Report, notice: Notice, deadline: dt.date | None = None, *, issuer: str | None = None
) -> str:
    """One notice as a complete, self-contained HTML document with print CSS for
    A4 (what a PDF of the notice is made from)."""
    return render_html(notice_document(report, notice, deadline=deadline, issuer=issuer))


def write_notices(
    report: Report,
    out_dir: str | Path,
    *,
    fmt: str = "html",
    deadline: dt.date | None = None,
    routes: Routes | None = None,
    numbering: Numbering | None = None,
    issuer: str | None = None,
) -> list[Path]:
    """Write one notice per unit, the office's internal list and an index into
    ``out_dir``, all or nothing; then the numbering state.

    Every file is first written into a fresh temporary folder made next to
    ``out_dir`` (same file system); only when all are written are they moved
    into ``out_dir`` (created if absent) with one rename each. On any failure —
    a full disk, Ctrl-C — the temporary folder is removed and ``out_dir`` is
    left as it was. Files of ``out_dir`` that are not ours are never touched; a
    file of ours already there is replaced only if it is a regular file (a
    directory, FIFO, device or symlink in its place is refused before anything
    is written). The numbering state is one of the set when it lives in
    ``out_dir``; elsewhere it is written next to itself first and renamed over
    the old state only after the set is in place.

    :param fmt: ``html`` or ``markdown``.
    :param numbering: the office's numbering state; default a fresh one kept
        nowhere (numbers 1…N in unit order, no history).
    :returns: the documents written (notices, the internal list, the index last).
    :raises SuperviseRulesError: an output problem, in one sentence naming the path.
    """
    if fmt not in _SUFFIX:
        raise ValueError(f"unknown notice format {fmt!r} (known: html, markdown)")
    render = render_html if fmt == "html" else render_markdown
    suffix = _SUFFIX[fmt]
    out = Path(out_dir)
    _reporters.check_output_dir(out)
    notices, office = route(report, routes)
    if numbering is None:
        numbering = Numbering.fresh()
    numbering.assign(report, notices, office)
    issuer = issuer or numbering.settings.issuer
    names: list[str] = []
    used = {"index", OFFICE_FILE}
    for notice in notices:
        stem = _file_stem(notice)
        candidate, n = stem, 2
        while candidate in used:
            candidate, n = f"{stem}-{n}", n + 1
        used.add(candidate)
        names.append(candidate + suffix)
    office_name = OFFICE_FILE + suffix
    index = f"index{suffix}"
    docs = [*names, office_name, index]
    state_path = numbering.path
    in_out = state_path is not None and (
        Path(os.path.realpath(state_path.parent)) == Path(os.path.realpath(out))
    )
    if in_out and state_path is not None and state_path.name in docs:
        raise _reporters._cannot_write(
            state_path,
            "the numbering state would be written over a notice of this set; give --numbering another name",
        )
    state_inside = in_out
    ours = [*docs, state_path.name] if state_inside and state_path else docs
    modes = _check_destinations(out, ours)  # before anything is written
    if state_path is not None and not state_inside:
        _reporters.check_output_path(state_path)
    real = Path(os.path.realpath(out))
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=real.parent, prefix=".supervise-notices-"))
    except OSError as exc:
        raise _reporters._cannot_write(out, exc.strerror or str(exc)) from None
    state_tmp: Path | None = None
    try:
        for notice, name in zip(notices, names, strict=True):
            _write_new(
                staging / name,
                out / name,
                render(notice_document(report, notice, deadline=deadline, issuer=issuer)),
            )
        _write_new(
            staging / office_name,
            out / office_name,
            render(
                office_document(
                    report, office, deadline, issuer=issuer, unrouted=routes is None or not routes.known
                )
            ),
        )
        _write_new(
            staging / index,
            out / index,
            render(
                index_document(
                    report, notices, names, deadline=deadline, office=office, office_file=office_name
                )
            ),
        )
        if state_path is not None:
            text = numbering.dumps()
            if state_inside:
                _write_new(staging / state_path.name, state_path, text)
            else:
                state_tmp = _stage_beside(state_path, text)
        try:
            real.mkdir(exist_ok=True)
        except FileExistsError:
            raise _reporters._cannot_write(out, "it exists and is not a directory") from None
        except OSError as exc:
            raise _reporters._cannot_write(out, exc.strerror or str(exc)) from None
        written = []
        for name in ours:
            # a rename within one file system: the set appears file by file, but
            # only once every file of it is on disk
            os.chmod(staging / name, modes.get(name, 0o666 & ~_reporters._umask()))
            try:
                os.replace(staging / name, real / name)
            except OSError as exc:
                raise _reporters._cannot_write(out / name, exc.strerror or str(exc)) from None
            if name in docs:
                written.append(out / name)
        if state_tmp is not None and state_path is not None:
            try:
                os.replace(state_tmp, os.path.realpath(state_path))
            except OSError as exc:
                raise _reporters._cannot_write(state_path, exc.strerror or str(exc)) from None
            state_tmp = None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if state_tmp is not None:
            state_tmp.unlink(missing_ok=True)
    return written


def _stage_beside(path: Path, text: str) -> Path:
    """``text`` in a new temporary file next to ``path`` (same file system), to be
    renamed over it; keeps the mode of the file it will replace."""
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_reporters._umask()
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise _reporters._cannot_write(path, exc.strerror or str(exc)) from None
    tmp = Path(name)
    try:
        with _reporters._open_output(fd) as fh:
            fh.write(text.encode("utf-8"))
        os.chmod(tmp, mode)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _reporters._cannot_write(path, exc.strerror or str(exc)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


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
            what = (
                "a symlink"
                if stat.S_ISLNK(st.st_mode)
                else ("a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file")
            )
            raise _reporters._cannot_write(
                path,
                f"it is {what}, which a notice is never written "
                "over; move it away or give another --output-dir",
            )
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


#: the name kept for callers of the school-only version
SchoolNotice = Notice

__all__ = [
    "CaseRoute",
    "Notice",
    "Routes",
    "SchoolNotice",
    "collect_notices",
    "index_document",
    "notice_document",
    "notice_html",
    "office_document",
    "route",
    "safe_filename",
    "write_notices",
]
