"""核心指标自查报告: the 优质均衡 self-check a county director signs (work point 11).

Built only from a :class:`~supervise_rules.models.Report`'s findings, by rule id.
Every school's values are needed, the passing ones too, so they are read from
the findings store (``report.frame(include_passes=True)``, filtered to the rules
below) rather than made into one ``Finding`` per school; a report read back from
a JSON document written without ``--include-passes`` lacks the passes, and the
self-check then says it is incomplete instead of concluding:

* BAL-01..07 per school section (``<school_id>/<level>``) and BAL-08 per section;
* BAL-11..17, the coefficient of variation of BAL-01..07 by level;
* BAL-21..23 (per school) and BAL-24..27 (county): 政府保障程度;
* BAL-31 (巩固率, 教育质量) and BAL-41 (社会认可度);

followed by a plain-language conclusion in Chinese and signature lines.
Rendered as a self-contained HTML page or an xlsx workbook (see
:mod:`supervise_rules.documents`). A rule that gave no finding (not in the
ruleset, or the data lacked its table) is named in the report, never silently
treated as met.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import polars as pl

from .documents import (
    STATUS_MARK,
    STATUS_ZH,
    Cell,
    Document,
    Heading,
    Paragraph,
    Signature,
    TableBlock,
    Title,
    cell,
)
from .documents import render_html as _render_html
from .documents import render_xlsx as _render_xlsx
from .models import Outcome, Report
from .tables import LEVEL

LEVELS = ("primary", "junior")
LEVEL_ZH = LEVEL  # the data contract's labels


@dataclass(frozen=True)
class Indicator:
    rule_id: str
    name: str
    unit: str
    decimals: int
    #: the catalogue thresholds, shown when no finding carries one
    default: dict[str, float] = field(default_factory=dict)
    op: str = ">="
    #: ``False``: never show as a percentage, whatever the finding's unit (a CV is a plain number)
    percent: bool = True


RESOURCE = [
    Indicator("BAL-01", "每百名学生拥有高于规定学历教师数", "人", 2, {"primary": 4.2, "junior": 5.3}),
    Indicator("BAL-02", "每百名学生拥有县级以上骨干教师数", "人", 2, {"primary": 1.0, "junior": 1.0}),
    Indicator("BAL-03", "每百名学生拥有体育、艺术专任教师数", "人", 2, {"primary": 0.9, "junior": 0.9}),
    Indicator("BAL-04", "生均教学及辅助用房面积", "平方米", 2, {"primary": 4.5, "junior": 5.8}),
    Indicator("BAL-05", "生均体育运动场馆面积", "平方米", 2, {"primary": 7.5, "junior": 10.2}),
    Indicator("BAL-06", "生均教学仪器设备值", "元", 0, {"primary": 2000, "junior": 2500}),
    Indicator("BAL-07", "每百名学生拥有网络多媒体教室数", "间", 2, {"primary": 2.3, "junior": 2.4}),
]
BAL08 = "BAL-08"
#: BAL-1x is the coefficient of variation of BAL-0x
CV = [Indicator(f"BAL-1{i}", f"{ind.name}差异系数", "", 4, {"primary": 0.50, "junior": 0.45}, "<=",
                percent=False)
      for i, ind in enumerate(RESOURCE, start=1)]
GUARANTEE_SCHOOL = [
    Indicator("BAL-21", "班额", "人", 0, {"primary": 45, "junior": 50}, "<="),
    Indicator("BAL-22", "学校规模", "人", 0, {"primary": 2000, "junior": 2000}, "<="),
    Indicator("BAL-23", "音乐、美术专用教室", "间", 0),
]
GUARANTEE_COUNTY = [
    Indicator("BAL-24", "专任教师持证上岗率", "", 2, {"county": 1.0}, "=="),
    Indicator("BAL-25", "县域内义务教育学校教师交流轮岗比例", "", 2, {"county": 0.10}),
    Indicator("BAL-26", "交流轮岗教师中骨干教师比例", "", 2, {"county": 0.20}),
    Indicator("BAL-27", "教师平均工资收入水平不低于当地公务员平均工资收入水平", "元", 0),
]
QUALITY = [Indicator("BAL-31", "初中三年巩固率", "", 2, {"county": 0.95})]
RECOGNITION = [Indicator("BAL-41", "社会认可度", "", 2, {"county": 0.85})]

ALL_RULES = [i.rule_id for i in (*RESOURCE, *CV, *GUARANTEE_SCHOOL, *GUARANTEE_COUNTY, *QUALITY,
                                 *RECOGNITION)] + [BAL08]

_OP = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠"}


# --- the data of the report --------------------------------------------------------------


class _Subject(NamedTuple):
    type: str
    id: str
    name: str | None


class _Required(NamedTuple):
    op: str
    value: Any


class _Text(NamedTuple):
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Value:
    """One finding of a self-check rule as read from a row of ``report.frame()``:
    what the self-check shows, with the attribute names of a ``Finding``."""

    rule_id: str
    title: _Text
    outcome: Outcome
    subject: _Subject
    observed: float | int | str | bool | None
    #: ``observed`` as the JSON report writes it (``52``, not ``52.0``)
    observed_text: str | None
    required: _Required | None
    unit: str | None
    message: _Text
    waiver_status: str | None = None

    @property
    def is_failure(self) -> bool:
        return self.outcome in (Outcome.fail, Outcome.error)

    @property
    def is_waived(self) -> bool:
        return self.waiver_status == "active" and self.is_failure


_INT = re.compile(r"-?\d+")


def _typed(number: float | None, text: str | None) -> float | int | str | bool | None:
    """A value back from the frame's number and text columns: whole numbers as
    ints (so that ``52`` stays ``52``), other numbers as floats, the rest as text."""
    if number is None:
        if text in ("true", "false"):
            return text == "true"
        return text
    if text is not None and _INT.fullmatch(text):
        return int(text)
    return number


def _parsed(text: str | None) -> float | int | str | None:
    """A threshold from the frame's text column."""
    if text is None:
        return None
    if _INT.fullmatch(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


_COLUMNS = ("rule_id", "outcome", "subject_type", "subject_id", "subject_name", "observed",
            "observed_text", "required_op", "required_value", "unit", "message_zh", "message_en",
            "waiver_status")


def read_values(frame: pl.DataFrame, titles: dict[str, _Text], rule_ids: list[str]) -> list[Value]:
    """Every finding of ``rule_ids`` in ``frame`` (``report.frame()``), in its order."""
    values = []
    rows = frame.filter(pl.col("rule_id").is_in(rule_ids)).select(_COLUMNS).iter_rows()
    for (rule_id, outcome, s_type, s_id, s_name, observed, observed_text, op, required, unit,
         zh, en, waiver) in rows:
        values.append(Value(
            rule_id=rule_id, title=titles.get(rule_id, _Text(rule_id, rule_id)),
            outcome=Outcome(outcome), subject=_Subject(s_type, s_id, s_name),
            observed=_typed(observed, observed_text), observed_text=observed_text,
            required=_Required(op, _parsed(required)) if op is not None else None,
            unit=unit, message=_Text(zh or "", en or ""), waiver_status=waiver,
        ))
    return values


def missing_passes(report: Report, frame: pl.DataFrame,
                   rules: Iterable[str] | None = None) -> int:
    """Passes the summary counts but ``frame`` (``report.frame(include_passes=True)``,
    filtered to ``rules`` when given) does not hold: a report read back from a
    JSON document written without ``--include-passes``. With ``rules``, only
    those rules' passes are expected (a full ruleset's CON, INS, DRP passes are
    not missing from a frame of the self-check's rules)."""
    held = int((frame["outcome"] == "pass").sum())
    if rules is None:
        expected = report.summary.by_outcome.get("pass", 0)
    else:
        wanted = set(rules)
        expected = sum(r.by_outcome.get("pass", 0) for r in report.rules if r.rule_id in wanted)
    return max(0, expected - held)


@dataclass
class SectionRow:
    """One school section (``<school_id>/<level>``) and its BAL-01..08 findings."""

    school_id: str
    level: str
    name: str
    findings: dict[str, Value] = field(default_factory=dict)

    @property
    def assessed(self) -> bool:
        return any(f.outcome is not Outcome.not_applicable for f in self.findings.values())


@dataclass
class SelfCheck:
    report: Report
    sections: dict[str, list[SectionRow]]
    cv: dict[str, dict[str, Value]]
    school_rules: dict[str, list[Value]]
    county: dict[str, Value]
    missing: list[str]
    #: failing CON- findings (数据真实性): only their number is reported
    other_failures: list[Any]
    #: BAL-rule findings that are ``error`` (the data must be corrected)
    errors: list[Value] = field(default_factory=list)
    #: passes counted in the summary but absent from the report (see :func:`missing_passes`)
    passes_missing: int = 0
    #: every finding of the self-check's rules, in report order (the xlsx detail sheet)
    values: list[Value] = field(default_factory=list)

    @property
    def county_name(self) -> str:
        sub = self.report.submission
        return sub.county_name or sub.county_code or "本县"

    @property
    def title(self) -> str:
        year = self.report.submission.year
        year_text = f" {year} 年" if year else ""
        return f"{self.county_name}{year_text}义务教育优质均衡发展核心指标自查报告"


def level_of(f: Value) -> str | None:
    """``primary`` / ``junior`` of a finding: from ``<id>/<level>``, else from its name or message."""
    parts = f.subject.id.split("/")
    if len(parts) > 1 and parts[-1] in LEVELS:
        return parts[-1]
    for text in (f.subject.name or "", f.message.zh, f.message.en):
        for level, zh in LEVEL_ZH.items():
            if zh in text or level in text:
                return level
    return None


def build_selfcheck(report: Report) -> SelfCheck:
    """Collect the BAL findings of ``report`` into the sections of the self-check."""
    resource_ids = {i.rule_id for i in RESOURCE} | {BAL08}
    cv_ids = {i.rule_id for i in CV}
    school_ids = {i.rule_id for i in GUARANTEE_SCHOOL}
    county_ids = {i.rule_id for i in (*GUARANTEE_COUNTY, *QUALITY, *RECOGNITION)}

    rows: dict[str, SectionRow] = {}
    cv: dict[str, dict[str, Value]] = defaultdict(dict)
    school_rules: dict[str, list[Value]] = defaultdict(list)
    county: dict[str, Value] = {}
    seen: set[str] = set()
    # only the self-check's rules: a national report need not render every pass
    frame = report.frame(include_passes=True, rules=sorted(ALL_RULES))
    titles = {r.rule_id: _Text(r.title.zh, r.title.en) for r in report.rules}
    values = read_values(frame, titles, ALL_RULES)
    for f in values:
        seen.add(f.rule_id)
        if f.rule_id in resource_ids and f.subject.type == "school":
            level = level_of(f) or "?"
            school_id = f.subject.id.split("/")[0]
            row = rows.setdefault(f.subject.id, SectionRow(school_id, level, f.subject.name or school_id))
            row.findings[f.rule_id] = f
        elif f.rule_id in cv_ids:
            level = level_of(f)
            if level is not None:
                cv[f.rule_id][level] = f
        elif f.rule_id in school_ids:
            school_rules[f.rule_id].append(f)
        elif f.rule_id in county_ids:
            current = county.get(f.rule_id)
            if current is None or (f.is_failure and not current.is_failure):
                county[f.rule_id] = f
    sections: dict[str, list[SectionRow]] = {}
    for row in sorted(rows.values(), key=lambda r: (LEVELS.index(r.level) if r.level in LEVELS else 9,
                                                     r.school_id)):
        sections.setdefault(row.level, []).append(row)
    # failures are always listed: no pass needs to be made for these
    other = [f for f in report.iter_findings()
             if f.is_failure and f.rule_id.startswith("CON-")]
    return SelfCheck(
        report=report,
        sections=sections,
        cv=dict(cv),
        school_rules=dict(school_rules),
        county=county,
        missing=[r for r in ALL_RULES if r not in seen],
        other_failures=other,
        errors=[f for f in values if f.outcome is Outcome.error],
        passes_missing=missing_passes(report, frame, ALL_RULES),
        values=values,
    )


# --- formatting ----------------------------------------------------------------------------


def _status(f: Value | None) -> str | None:
    if f is None:
        return None
    if f.is_waived:
        return "waived"
    return f.outcome.value


def _num(value: object, ind: Indicator, unit: str | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        if unit == "ratio" and ind.percent:
            return f"{value:.2%}"
        if ind.decimals == 0:
            return f"{value:,.0f}"
        return f"{value:,.{ind.decimals}f}"
    return str(value)


def _threshold(value: object, ind: Indicator, unit: str | None) -> str:
    """A threshold without trailing zeros: ≥ 4.2, ≤ 0.45, ≥ 85%."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        if unit == "ratio" and ind.percent:
            text = f"{value * 100:.2f}".rstrip("0").rstrip(".")
            return f"{text}%"
        if float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return _num(value, ind, unit)


def _required(f: Value | None, ind: Indicator, level: str) -> str:
    if f is not None and f.required is not None and f.required.value is not None:
        op = _OP.get(f.required.op, f.required.op)
        return f"{op} {_threshold(f.required.value, ind, f.unit)}"
    if level in ind.default:
        value = ind.default[level]
        unit = "ratio" if level == "county" and value <= 1 and ind.unit == "" else None
        return f"{_OP.get(ind.op, ind.op)} {_threshold(value, ind, unit)}"
    return "见规则"


def _value_cell(f: Value | None, ind: Indicator) -> Cell:
    if f is None:
        return cell("", align="right")
    status = _status(f)
    if f.outcome is Outcome.error:
        return cell("数据有误", "error", align="center")
    if f.outcome is Outcome.not_applicable:
        return cell("—", "not_applicable", align="center")
    text = f"{_num(f.observed, ind, f.unit)} {STATUS_MARK[status]}"
    return cell(text, status, align="right")


def _verdict(f: Value | None) -> Cell:
    status = _status(f)
    if status is None:
        return cell("未检查", align="center")
    return cell(f"{STATUS_MARK[status]} {STATUS_ZH[status]}", status, align="center")


def _date_zh(d: dt.date | None) -> str:
    return f"{d.year} 年 {d.month} 月 {d.day} 日" if d else "—"


# --- the document --------------------------------------------------------------------------


def build_document(sc: SelfCheck) -> Document:
    r = sc.report
    sub = r.submission
    doc = Document(sc.title)
    doc.add(Title(sc.title, subtitle=f"数据截至 {_date_zh(sub.as_of)}"))
    if sc.passes_missing:
        doc.add(Paragraph(INCOMPLETE.format(n=sc.passes_missing), emphasis=True))

    doc.add(Heading("一、基本情况"))
    assessed = {lvl: [row for row in rows if row.assessed] for lvl, rows in sc.sections.items()}
    n_primary, n_junior = len(assessed.get("primary", [])), len(assessed.get("junior", []))
    doc.add(TableBlock(
        columns=["项目", "内容"],
        rows=[
            [cell("县（区）"), cell(" ".join(x for x in (sub.county_name, sub.county_code) if x) or "—")],
            [cell("年度"), cell(sub.year or "—")],
            [cell("数据截止日期"), cell(_date_zh(sub.as_of))],
            [cell("纳入评估的学校（学段）数"),
             cell(f"{n_primary + n_junior} 个，其中小学 {n_primary} 个、初中 {n_junior} 个")],
            [cell("评估依据"), cell("《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号）")],
            [cell("检查规则集"), cell(f"{r.ruleset.title}（{r.ruleset.id} {r.ruleset.version}）")],
            [cell("数据来源"), cell(sub.source or "—")],
        ],
        id="basic",
    ))
    if sub.files:  # ties the sealed report to the exact files it was computed from
        doc.add(TableBlock(
            columns=["文件", "SHA-256", "字节数"],
            rows=[[cell(f.path), cell(f.sha256), Cell(f"{f.bytes:,}", number=f.bytes,
                                                      num_format="#,##0", align="right")]
                  for f in sub.files],
            caption="数据文件及其 SHA-256", id="files"))

    doc.add(Heading("二、资源配置（7 项指标）"))
    doc.add(Paragraph("每所学校（学段）7 项指标均须达到标准；至少 6 项达标、其余项不低于标准的 85%，"
                      "视为该校资源配置达标（BAL-08）。数值后 ✓ 为达标，✗ 为未达标。"))
    summary_rows = []
    for ind in RESOURCE:
        row_cells = [cell(f"{ind.name}（{ind.unit}）"), cell(ind.rule_id, align="center")]
        for level in LEVELS:
            rows = assessed.get(level, [])
            sample = next((row.findings.get(ind.rule_id) for row in rows
                           if row.findings.get(ind.rule_id) is not None), None)
            met = sum(1 for row in rows if (f := row.findings.get(ind.rule_id)) is not None
                      and f.outcome is Outcome.passed)
            row_cells += [cell(_required(sample, ind, level), align="center"),
                          cell(f"{met} / {len(rows)}" if rows else "—", align="center")]
        summary_rows.append(row_cells)
    bal08 = {lvl: [row.findings.get(BAL08) for row in rows] for lvl, rows in assessed.items()}
    bal08_cells = [cell("学校资源配置达标（至少 6 项达标，其余不低于 85%）"), cell(BAL08, align="center")]
    for level in LEVELS:
        found = [f for f in bal08.get(level, []) if f is not None]
        met = sum(1 for f in found if f.outcome is Outcome.passed)
        bal08_cells += [cell("—", align="center"),
                        cell(f"{met} / {len(found)}" if found else "—", align="center")]
    summary_rows.append(bal08_cells)
    doc.add(TableBlock(columns=["指标", "编号", "小学标准", "小学达标校数", "初中标准", "初中达标校数"],
                       rows=summary_rows, caption="表 1 资源配置指标标准及达标情况", id="resource-summary"))

    table_no = 2
    for level in LEVELS:
        rows = sc.sections.get(level, [])
        if not rows:
            continue
        columns = ["学校", "学校代码"]
        for ind in RESOURCE:
            sample = next((row.findings.get(ind.rule_id) for row in rows
                           if row.findings.get(ind.rule_id) is not None), None)
            columns.append(f"{ind.name}（{_required(sample, ind, level)}）")
        columns.append("资源配置达标（BAL-08）")
        body = []
        for row in rows:
            cells = [cell(row.name), cell(row.school_id)]
            cells += [_value_cell(row.findings.get(ind.rule_id), ind) for ind in RESOURCE]
            cells.append(_verdict(row.findings.get(BAL08)) if row.assessed
                         else cell("不纳入评估", "not_applicable", align="center"))
            body.append(cells)
        doc.add(TableBlock(columns=columns, rows=body, id=f"resource-{level}",
                           caption=f"表 {table_no} {LEVEL_ZH[level]}资源配置指标（按学校）"))
        table_no += 1
    if "?" in sc.sections:
        doc.add(Paragraph("另有学段不明的学校记录，未列入上表，请核对学段填报。"))

    doc.add(Heading("三、校际差异系数"))
    doc.add(Paragraph("差异系数按在校生数加权计算：小学不高于 0.50，初中不高于 0.45。"))
    cv_rows = []
    for ind, base in zip(CV, RESOURCE, strict=True):
        cells = [cell(base.name), cell(ind.rule_id, align="center")]
        for level in LEVELS:
            f = sc.cv.get(ind.rule_id, {}).get(level)
            cells += [_value_cell(f, ind), cell(_required(f, ind, level), align="center"), _verdict(f)]
        cv_rows.append(cells)
    doc.add(TableBlock(
        columns=["指标", "编号", "小学差异系数", "小学标准", "小学结论",
                 "初中差异系数", "初中标准", "初中结论"],
        rows=cv_rows, caption=f"表 {table_no} 校际差异系数", id="cv"))
    table_no += 1

    doc.add(Heading("四、政府保障程度"))
    gov_rows = []
    for ind in GUARANTEE_SCHOOL:
        found = sc.school_rules.get(ind.rule_id, [])
        checked = [f for f in found if f.outcome is not Outcome.not_applicable]
        failing = [f for f in checked if f.is_failure]
        status = None if not checked else ("fail" if failing else "pass")
        if any(f.outcome is Outcome.error for f in failing) and not any(
                f.outcome is Outcome.fail for f in failing):
            status = "error"
        standard = {"BAL-21": "小学 ≤ 45 人，初中 ≤ 50 人",
                    "BAL-22": "≤ 2000 人（九年一贯制、十二年一贯制 ≤ 2500 人）",
                    "BAL-23": "每 12 个班各 1 间（不足 12 个班按 12 个班计）"}[ind.rule_id]
        value = f"{len(checked) - len(failing)} / {len(checked)} 所（学段）达标" if checked else "—"
        gov_rows.append([cell(ind.name), cell(ind.rule_id, align="center"), cell(value, align="right"),
                         cell(standard), _verdict_status(status)])
    for ind in GUARANTEE_COUNTY:
        f = sc.county.get(ind.rule_id)
        gov_rows.append([cell(ind.name), cell(ind.rule_id, align="center"), _value_cell(f, ind),
                         cell(_required(f, ind, "county"), align="center"), _verdict(f)])
    doc.add(TableBlock(columns=["指标", "编号", "全县情况", "标准", "结论"], rows=gov_rows,
                       caption=f"表 {table_no} 政府保障程度指标", id="guarantee"))
    table_no += 1
    school_failures = [f for ind in GUARANTEE_SCHOOL for f in sc.school_rules.get(ind.rule_id, [])
                       if f.is_failure]
    if school_failures:
        names = {i.rule_id: i for i in GUARANTEE_SCHOOL}
        doc.add(TableBlock(
            columns=["学校", "学段", "指标", "数值", "标准", "说明"],
            rows=[[cell(f.subject.name or f.subject.id), cell(LEVEL_ZH.get(level_of(f) or "", "—")),
                   cell(names[f.rule_id].name), _value_cell(f, names[f.rule_id]),
                   cell(_required(f, names[f.rule_id], level_of(f) or ""), align="center"),
                   cell(f.message.zh)] for f in school_failures],
            caption=f"表 {table_no} 政府保障程度未达标学校", id="guarantee-schools"))
        table_no += 1

    doc.add(Heading("五、教育质量与社会认可度"))
    qr_rows = []
    for ind in (*QUALITY, *RECOGNITION):
        f = sc.county.get(ind.rule_id)
        qr_rows.append([cell(ind.name), cell(ind.rule_id, align="center"), _value_cell(f, ind),
                        cell(_required(f, ind, "county"), align="center"), _verdict(f)])
    doc.add(TableBlock(columns=["指标", "编号", "全县情况", "标准", "结论"], rows=qr_rows,
                       caption=f"表 {table_no} 教育质量与社会认可度", id="quality"))

    doc.add(Heading("六、自查结论"))
    for i, text in enumerate(conclusion(sc)):
        doc.add(Paragraph(text, emphasis=i == 0))

    doc.add(Paragraph(
        f"本报告由 supervise-rules {r.tool.version} 根据填报数据自动计算生成；"
        "数据的真实性、有效性以实地核查为准。"))
    doc.add(Signature([
        ("填报单位（盖章）：", ""),
        ("单位负责人（签字）：", ""),
        ("填 报 人：", ""),
        ("联系电话：", ""),
        ("报送日期：", "        年    月    日"),
    ]))
    return doc


#: said at the top and as the conclusion when the passes are missing: the tables
#: then hold only the failing schools, and a count of "达标" would be wrong
INCOMPLETE = ("注意：本报告依据的检查结果未列出通过项（共 {n:,} 项；JSON 结果生成时未加 "
              "--include-passes），达标学校的数值缺失，以下各表不完整。请直接对填报数据生成自查报告，"
              "或用 --include-passes 重新输出 JSON 结果后再生成。")


def _verdict_status(status: str | None) -> Cell:
    if status is None:
        return cell("未检查", align="center")
    return cell(f"{STATUS_MARK[status]} {STATUS_ZH[status]}", status, align="center")


def conclusion(sc: SelfCheck) -> list[str]:
    """The plain-language conclusion, one paragraph per part, the verdict first."""
    problems: list[str] = []
    paragraphs: list[str] = []

    assessed = [row for rows in sc.sections.values() for row in rows if row.assessed]
    bal08 = [row for row in assessed if row.findings.get(BAL08) is not None]
    bal08_fail = [row for row in bal08 if row.findings[BAL08].is_failure]
    misses = []
    for row in assessed:
        for ind in RESOURCE:
            f = row.findings.get(ind.rule_id)
            if f is not None and f.outcome is Outcome.fail:
                misses.append(f"{row.name}（{LEVEL_ZH.get(row.level, row.level)}）{ind.name} "
                              f"{_num(f.observed, ind, f.unit)} {ind.unit}"
                              f"（标准 {_required(f, ind, row.level)}）")
    if assessed:
        text = (f"资源配置：纳入评估的学校（学段）{len(assessed)} 个，"
                f"资源配置达标 {len(bal08) - len(bal08_fail)} 个、未达标 {len(bal08_fail)} 个")
        if bal08_fail:
            text += "（" + "、".join(f"{row.name}（{LEVEL_ZH.get(row.level, row.level)}）"
                                    for row in bal08_fail) + "）"
            problems.append(f"{len(bal08_fail)} 个学校（学段）资源配置未达标")
        text += "。"
        if misses:
            text += f"单项指标未达标 {len(misses)} 项次：" + "；".join(misses) + "。"
        else:
            text += "各校 7 项指标均达到标准。"
        paragraphs.append(text)
    else:
        paragraphs.append("资源配置：本次检查未产生学校资源配置指标结果（BAL-01～08），无法评价。")

    cv_all = [f for by_level in sc.cv.values() for f in by_level.values()]
    cv_fail = [(ind, level, f) for ind, base in zip(CV, RESOURCE, strict=True)
               for level, f in sc.cv.get(ind.rule_id, {}).items() if f.is_failure]
    if cv_all:
        text = f"校际差异系数：共 {len(cv_all)} 项，达标 {len(cv_all) - len(cv_fail)} 项"
        if cv_fail:
            parts = []
            for ind, level, f in cv_fail:
                base = RESOURCE[CV.index(ind)]
                parts.append(f"{LEVEL_ZH.get(level, level)}{base.name}差异系数 {_num(f.observed, ind)}"
                             f"（标准 {_required(f, ind, level)}）")
            text += f"，未达标 {len(cv_fail)} 项：" + "；".join(parts)
            problems.append(f"{len(cv_fail)} 项校际差异系数超标")
        paragraphs.append(text + "。")

    gov_fail = []
    for ind in GUARANTEE_SCHOOL:
        fails = [f for f in sc.school_rules.get(ind.rule_id, []) if f.is_failure]
        if fails:
            gov_fail.append(f"{ind.name}（" + "、".join(
                f"{f.subject.name or f.subject.id}" for f in fails) + "）")
    for ind in GUARANTEE_COUNTY:
        f = sc.county.get(ind.rule_id)
        if f is not None and f.is_failure:
            gov_fail.append(f"{ind.name} {_num(f.observed, ind, f.unit)}"
                            f"（标准 {_required(f, ind, 'county')}）")
    gov_checked = sum(1 for ind in GUARANTEE_SCHOOL if sc.school_rules.get(ind.rule_id)) + sum(
        1 for ind in GUARANTEE_COUNTY if ind.rule_id in sc.county)
    if gov_checked:
        text = f"政府保障程度：已检查 {gov_checked} 项"
        if gov_fail:
            text += f"，未达标 {len(gov_fail)} 项：" + "；".join(gov_fail)
            problems.append(f"{len(gov_fail)} 项政府保障程度指标未达标")
        else:
            text += "，均达到标准"
        paragraphs.append(text + "。")

    qr = []
    for ind in (*QUALITY, *RECOGNITION):
        f = sc.county.get(ind.rule_id)
        if f is None:
            continue
        verdict = STATUS_ZH[_status(f) or "fail"]
        qr.append(f"{ind.name} {_num(f.observed, ind, f.unit)}，{verdict}")
        if f.outcome is Outcome.fail:  # an error is counted with those not computed
            problems.append(f"{ind.name}未达标")
    if qr:
        paragraphs.append("教育质量与社会认可度：" + "；".join(qr) + "。")

    errors = sc.errors
    if errors:
        paragraphs.append(f"另有 {len(errors)} 项指标因填报数据缺失或有误无法计算，须核实数据后重新自查。")
        problems.append(f"{len(errors)} 项指标无法计算")
    if sc.other_failures:
        paragraphs.append(f"数据真实性、有效性核查（CON）发现 {len(sc.other_failures)} 处问题，"
                          "涉及的数据须在上报前核实更正。")
    if sc.missing:
        paragraphs.append("本次检查未包含以下指标（规则集未配置或缺少数据表），本报告不作评价："
                          + "、".join(sc.missing) + "。")

    county = sc.county_name
    if sc.passes_missing:
        return ["自查结论：所依据的检查结果不完整（未列出通过项），无法形成自查结论。"
                + INCOMPLETE.format(n=sc.passes_missing), *paragraphs]
    if len(sc.missing) == len(ALL_RULES):
        return ["自查结论：本次检查的规则集不含义务教育优质均衡发展核心指标（BAL 规则），无法形成自查结论。"
                "请使用含 BAL 规则的规则集重新检查。", *paragraphs]
    if problems:
        verdict = (f"自查结论：按本次填报数据，{county}义务教育优质均衡发展核心指标尚未全部达到标准，"
                   "主要问题是：" + "；".join(problems) + "。须逐项整改，整改后重新自查。")
    elif sc.missing:
        verdict = (f"自查结论：按本次填报数据，{county}已检查的义务教育优质均衡发展核心指标均达到标准；"
                   "未检查的指标须另行核实。")
    else:
        verdict = f"自查结论：按本次填报数据，{county}义务教育优质均衡发展核心指标均达到标准。"
    return [verdict, *paragraphs]


def _detail_table(sc: SelfCheck) -> TableBlock:
    rows = []
    for f in sc.values:
        req = f.required
        rows.append([
            cell(f.rule_id), cell(f.title.zh), cell(f.subject.id), cell(f.subject.name or ""),
            Cell(f.observed_text or str(f.observed), number=float(f.observed))
            if isinstance(f.observed, int | float) and not isinstance(f.observed, bool)
            else cell("" if f.observed is None else f.observed),
            cell(f"{req.op} {req.value}" if req is not None else ""),
            cell(STATUS_ZH.get(_status(f) or "", f.outcome.value), _status(f)),
            cell(f.message.zh),
        ])
    return TableBlock(columns=["规则", "指标", "对象代码", "对象名称", "数值", "要求", "结论", "说明"],
                      rows=rows)


def render_html(sc: SelfCheck) -> str:
    """The self-check as one self-contained HTML page."""
    return _render_html(build_document(sc))


def render_xlsx(sc: SelfCheck) -> bytes:
    """The self-check as an xlsx workbook: the printable report, then every BAL finding."""
    return _render_xlsx(build_document(sc), sheet_name="核心指标自查报告",
                        extra_sheets=[("指标明细", _detail_table(sc))])


__all__ = ["SelfCheck", "build_document", "build_selfcheck", "conclusion", "render_html", "render_xlsx"]
