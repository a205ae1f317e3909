"""核心指标自查报告: the 优质均衡 self-check a county director signs (work point 11).

Built only from a :class:`~supervise_rules.report.Report`'s findings, by rule id.
Every school's values are needed, the passing ones too, so they are read from
the findings store (``report.frame(include_passes=True)``, filtered to the rules
below) rather than made into one ``Finding`` per school; a report read back from
a JSON document written without ``--include-passes`` lacks the passes, and the
self-check then says it is incomplete instead of concluding:

which rules fill which part, and their standards, come from the ruleset the
report was checked against (its rules tagged ``self-check``, placed by tag and
validator, see :func:`layout_from_ruleset`; the shipped catalogue's are BAL-01..41):

* the resource indicators per school section (``<school_id>/<level>``) and the
  school pass rule per section;
* the coefficients of variation of those indicators by level;
* 政府保障程度 per school and county-wide;
* 教育质量 and 社会认可度;

followed by a plain-language conclusion in Chinese and signature lines. A
ruleset with no such rules, or a report whose ruleset is not at hand, is an
error (:class:`SelfCheckError`), never a report with invented rule ids.
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
from typing import Any, NamedTuple, overload

import polars as pl
from typing_extensions import TypeIs

from .documents import (
    STATUS_MARK,
    STATUS_ZH,
    Cell,
    Document,
    Heading,
    Paragraph,
    Signature,
    Status,
    TableBlock,
    Title,
    cell,
)
from .documents import render_html as _render_html
from .documents import render_xlsx as _render_xlsx
from .errors import SuperviseRulesError
from .models import Outcome
from .report import Report
from .tables import LEVEL

LEVELS = ("primary", "junior")
LEVEL_ZH = LEVEL  # the data contract's labels


@dataclass(frozen=True)
class Indicator:
    rule_id: str
    name: str
    unit: str
    decimals: int
    #: the ruleset's thresholds by level (``primary``/``junior``) or ``county``;
    #: empty when the ruleset is not known (the findings' own are shown)
    thresholds: dict[str, float] = field(default_factory=dict)
    op: str = ">="
    #: ``False``: never show as a percentage, whatever the finding's unit (a CV is a plain number)
    percent: bool = True
    #: the standard in words when it is not one number per level (by school type, an expression)
    standard: str | None = None
    #: the rule's scope (its ``where``) in words: why a section is not assessed
    scope: str | None = None
    #: the finding unit is a ratio (shown as a percentage)
    ratio: bool = False


#: display unit and decimals of the ruleset's ``unit`` parameter (a vocabulary, not thresholds)
UNITS: dict[str, tuple[str, int]] = {
    "teachers per 100 students": ("人", 2),
    "m2 per student": ("平方米", 2),
    "yuan per student": ("元", 0),
    "rooms per 100 students": ("间", 2),
    "coefficient": ("", 4),
    "students per class": ("人", 0),
    "students": ("人", 0),
    "rooms": ("间", 0),
    "ratio": ("", 2),
    "yuan": ("元", 0),
    "indicators": ("项", 0),
}


@dataclass(frozen=True)
class Layout:
    """Which rules fill which part of the self-check, and their standards.

    Made from the ruleset in use (:func:`layout_from_ruleset`): its rules tagged
    ``self-check``, placed by tag and validator, with their thresholds, units and
    scope."""

    resource: list[Indicator]
    bal08: str | None
    #: (coefficient rule, the indicator it is computed over)
    cv: list[tuple[Indicator, Indicator]]
    school: list[Indicator]
    county: list[Indicator]
    quality: list[Indicator]
    recognition: list[Indicator]
    #: the school pass rule's terms: (indicators to meet, floor of the others as a share)
    bal08_terms: tuple[int, float] | None = None
    #: the ruleset's rules tagged ``data-quality`` (数据真实性): their failures are counted
    data_quality: tuple[str, ...] = ()

    @property
    def all_rules(self) -> list[str]:
        ids = [
            i.rule_id
            for i in (
                *self.resource,
                *(c for c, _ in self.cv),
                *self.school,
                *self.county,
                *self.quality,
                *self.recognition,
            )
        ]
        return ids + ([self.bal08] if self.bal08 else [])


def _zh_expression(expr: str, table: str | None) -> str:
    """A rule's expression for people: columns by their Chinese headers, the
    contract's enum values by their labels, and/or/not in words."""
    from .tables import SCHOOL_TYPE, TABLES

    spec = TABLES.get(table) if table else None
    names = {c: s.zh for c, s in spec.columns.items()} if spec is not None else {}
    labels = {**SCHOOL_TYPE, **LEVEL}
    words = {"and": "且", "or": "或", "not": "非", "==": "为", "!=": "不为"}

    def one(m: re.Match[str]) -> str:
        token = m.group(0)
        if token[0] in "\"'":
            return labels.get(token[1:-1], token[1:-1])
        return words.get(token, names.get(token, token))

    return re.sub(r"\"[^\"]*\"|'[^']*'|[A-Za-z_][A-Za-z0-9_]*|==|!=", one, expr)


def _indicator(resolved: Any, *, name: str | None = None) -> Indicator:
    """One rule of the ruleset as the self-check shows it."""
    from .tables import SCHOOL_TYPE

    rule, params = resolved.rule, resolved.params
    unit_en = getattr(params, "unit", None) or ""
    unit, decimals = UNITS.get(unit_en, ("", 2))
    op = getattr(params, "op", None) or ">="
    threshold: Any = getattr(params, "threshold", None)
    table = getattr(params, "table", None)
    thresholds: dict[str, float] = {}
    standard = None
    by = getattr(threshold, "by", None)
    if isinstance(threshold, int | float) and not isinstance(threshold, bool):
        thresholds = {"county": float(threshold), "primary": float(threshold), "junior": float(threshold)}
    elif by == "level":
        thresholds = {k: float(v) for k, v in threshold.values.items()}
    elif by is not None:  # by school type …: the most common value, then the others
        values = threshold.values
        common = max(sorted(set(values.values())), key=list(values.values()).count)
        sign = _OP.get(op, op)
        others = defaultdict(list)
        for key, v in values.items():
            if v != common:
                others[v].append(SCHOOL_TYPE.get(key, key))
        standard = f"{sign} {_plain_number(common)} {unit}".rstrip()
        if others:
            standard += (
                "（"
                + "；".join(
                    f"{'、'.join(k)} {sign} {_plain_number(v)} {unit}".rstrip()
                    for v, k in sorted(others.items())
                )
                + "）"
            )
    elif isinstance(threshold, str):
        standard = f"{_OP.get(op, op)} {_zh_expression(threshold, table)}"
    where = getattr(params, "where", None)
    return Indicator(
        rule_id=rule.id,
        name=name or rule.title.zh,
        unit=unit,
        decimals=decimals,
        thresholds=thresholds,
        op=op,
        percent=unit_en != "coefficient",
        standard=standard,
        scope=_zh_expression(where, table) if where else None,
        ratio=unit_en == "ratio",
    )


def _plain_number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4f}".rstrip("0").rstrip(".")


def layout_from_ruleset(ruleset: Any) -> Layout:
    """Place the ruleset's ``self-check`` rules: ``resources`` metrics are the
    school indicators, its ``k_of_n`` the school pass rule, its ``weighted_cv``
    rules the coefficients (each over the indicator with the same ``value``),
    ``government`` rules on the schools table per school, the others county-wide,
    ``quality`` and ``recognition`` the last part."""
    rules = [r for r in ruleset.rules if "self-check" in r.rule.tags]
    resource = [_indicator(r) for r in rules if "resources" in r.rule.tags and r.rule.validator == "metric"]
    by_value = {
        getattr(r.params, "value", None): ind
        for r, ind in zip(
            [r for r in rules if "resources" in r.rule.tags and r.rule.validator == "metric"],
            resource,
            strict=True,
        )
    }
    bal08 = next(
        (r.rule.id for r in rules if "resources" in r.rule.tags and r.rule.validator == "k_of_n"), None
    )
    cv = []
    for r in rules:
        if r.rule.validator != "weighted_cv":
            continue
        base = by_value.get(getattr(r.params, "value", None))
        if base is None:  # a coefficient over no listed indicator: named by its title
            base = Indicator(r.rule.id, r.rule.title.zh, "", 2)
        cv.append((_indicator(r, name=f"{base.name}差异系数"), base))
    school: list[Indicator] = []
    county: list[Indicator] = []
    quality: list[Indicator] = []
    recognition: list[Indicator] = []
    for r in rules:
        tags = r.rule.tags
        if "government" in tags:
            (school if getattr(r.params, "table", None) == "schools" else county).append(_indicator(r))
        elif "quality" in tags:
            quality.append(_indicator(r))
        elif "recognition" in tags:
            recognition.append(_indicator(r))
    terms = None
    k_of_n = next((r for r in rules if r.rule.id == bal08), None)
    if k_of_n is not None and getattr(k_of_n.params, "min_met", None) is not None:
        terms = (int(k_of_n.params.min_met), float(getattr(k_of_n.params, "floor", None) or 0.0))
    return Layout(
        resource=resource,
        bal08=bal08,
        cv=cv,
        school=school,
        county=county,
        quality=quality,
        recognition=recognition,
        bal08_terms=terms,
        data_quality=tuple(r.rule.id for r in ruleset.rules if "data-quality" in r.rule.tags),
    )


def _bal08_rule_text(lay: Layout) -> str:
    """至少 6 项达标，其余不低于 85%: the school pass rule as the ruleset sets it."""
    if lay.bal08_terms is None:
        return f"见规则 {lay.bal08}" if lay.bal08 else "—"
    k, floor = lay.bal08_terms
    text = f"至少 {k} 项达标"
    if floor:
        text += f"，其余不低于标准的 {floor * 100:g}%"
    return text


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


_COLUMNS = (
    "rule_id",
    "outcome",
    "subject_type",
    "subject_id",
    "subject_name",
    "observed",
    "observed_text",
    "required_op",
    "required_value",
    "unit",
    "message_zh",
    "message_en",
    "waiver_status",
)


def read_values(frame: pl.DataFrame, titles: dict[str, _Text], rule_ids: list[str]) -> list[Value]:
    """Every finding of ``rule_ids`` in ``frame`` (``report.frame()``), in its order."""
    values = []
    rows = frame.filter(pl.col("rule_id").is_in(rule_ids)).select(_COLUMNS).iter_rows()
    for (
        rule_id,
        outcome,
        s_type,
        s_id,
        s_name,
        observed,
        observed_text,
        op,
        required,
        unit,
        zh,
        en,
        waiver,
    ) in rows:
        values.append(
            Value(
                rule_id=rule_id,
                title=titles.get(rule_id, _Text(rule_id, rule_id)),
                outcome=Outcome(outcome),
                subject=_Subject(s_type, s_id, s_name),
                observed=_typed(observed, observed_text),
                observed_text=observed_text,
                required=_Required(op, _parsed(required)) if op is not None else None,
                unit=unit,
                message=_Text(zh or "", en or ""),
                waiver_status=waiver,
            )
        )
    return values


def missing_passes(report: Report, frame: pl.DataFrame, rules: Iterable[str] | None = None) -> int:
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
    """One school section (``<school_id>/<level>``) and its resource findings."""

    school_id: str
    level: str
    name: str
    findings: dict[str, Value] = field(default_factory=dict)
    #: why the section is not assessed (out of the indicators' scope), when it is not
    reason: str | None = None

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
    #: failing findings of the ruleset's ``data-quality`` rules (数据真实性): only their number is reported
    other_failures: list[Any]
    #: which rules fill which part, from the ruleset
    layout: Layout
    #: self-check findings that are ``error`` (the data must be corrected)
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


class SelfCheckError(SuperviseRulesError):
    """The self-check cannot be made: the ruleset lacks what it needs, or the
    report's ruleset is not at hand."""


def build_selfcheck(report: Report, ruleset: Any) -> SelfCheck:
    """Collect the self-check findings of ``report`` into the sections of the report.

    ``ruleset`` (the :class:`~supervise_rules.Ruleset` the report was checked
    against) places the rules and gives the standards.

    :raises SelfCheckError: the ruleset has no ``resources`` metric tagged
        ``self-check`` (the indicators every school section is assessed on).
    """
    layout = layout_from_ruleset(ruleset)
    if not layout.resource:
        raise SelfCheckError(
            f"ruleset {ruleset.id} has no rule the 核心指标自查报告 can be built from: it needs "
            "the resource indicators as metric rules tagged [self-check, resources] (and may tag "
            "self-check a k_of_n school pass rule, weighted_cv coefficients, and government, "
            "quality and recognition rules), as rulesets/national/balanced-2017.yaml does"
        )
    all_rules = layout.all_rules
    resource_ids = {i.rule_id for i in layout.resource} | ({layout.bal08} if layout.bal08 else set())
    cv_ids = {c.rule_id for c, _ in layout.cv}
    school_ids = {i.rule_id for i in layout.school}
    county_ids = {i.rule_id for i in (*layout.county, *layout.quality, *layout.recognition)}

    rows: dict[str, SectionRow] = {}
    cv: dict[str, dict[str, Value]] = defaultdict(dict)
    school_rules: dict[str, list[Value]] = defaultdict(list)
    county: dict[str, Value] = {}
    seen: set[str] = set()
    # only the self-check's rules: a national report need not render every pass
    frame = report.frame(include_passes=True, rules=sorted(all_rules))
    titles = {r.rule_id: _Text(r.title.zh, r.title.en) for r in report.rules}
    values = read_values(frame, titles, all_rules)
    #: a section seen by a school rule (班额 …): in scope of the self-check, assessed or not
    sections_seen: dict[str, Value] = {}
    enrollment: dict[str, Value] = {}
    for f in values:
        seen.add(f.rule_id)
        if f.rule_id in resource_ids and f.subject.type == "school":
            level = level_of(f) or "?"
            school_id = f.subject.id.split("/")[0]
            row = rows.setdefault(f.subject.id, SectionRow(school_id, level, f.subject.name or school_id))
            row.findings[f.rule_id] = f
        elif f.rule_id in cv_ids:
            cv_level = level_of(f)
            if cv_level is not None:
                cv[f.rule_id][cv_level] = f
        elif f.rule_id in school_ids:
            school_rules[f.rule_id].append(f)
            if f.subject.type == "school":
                if "/" in f.subject.id:
                    sections_seen.setdefault(f.subject.id, f)
                elif f.unit == "students" and isinstance(f.observed, int | float):
                    enrollment[f.subject.id] = f  # 学校规模: the school's students
        elif f.rule_id in county_ids:
            current = county.get(f.rule_id)
            if current is None or (f.is_failure and not current.is_failure):
                county[f.rule_id] = f
    # A section outside the indicators' scope (a teaching point under 50 students)
    # gets no resource finding: it is listed, not assessed, with the reason.
    scope = next((i.scope for i in layout.resource if i.scope), None)
    for subject_id, f in sections_seen.items():
        school_id, _, level = subject_id.partition("/")
        section = rows.get(subject_id)
        if section is None and level in LEVELS:
            section = rows[subject_id] = SectionRow(school_id, level, f.subject.name or school_id)
        if section is not None and not section.assessed:
            section.reason = _excluded_reason(enrollment.get(school_id), scope)
    for row in rows.values():
        if not row.assessed and row.reason is None:
            row.reason = _excluded_reason(enrollment.get(row.school_id), scope)
    names = {
        f.subject.id.split("/")[0]: f.subject.name
        for f in values
        if f.subject.type == "school" and f.subject.name
    }
    for row in rows.values():
        if row.name == row.school_id and row.school_id in names:
            row.name = names[row.school_id]
    sections: dict[str, list[SectionRow]] = {}
    for row in sorted(
        rows.values(), key=lambda r: (LEVELS.index(r.level) if r.level in LEVELS else 9, r.school_id)
    ):
        sections.setdefault(row.level, []).append(row)
    # failures are always listed: no pass needs to be made for these
    quality_rules = set(layout.data_quality)
    other = [f for f in report.iter_findings() if f.is_failure and f.rule_id in quality_rules]
    return SelfCheck(
        report=report,
        sections=sections,
        cv=dict(cv),
        school_rules=dict(school_rules),
        county=county,
        missing=[r for r in all_rules if r not in seen],
        other_failures=other,
        errors=[f for f in values if f.outcome is Outcome.error],
        passes_missing=missing_passes(report, frame, all_rules),
        values=values,
        layout=layout,
    )


def _excluded_reason(students: Value | None, scope: str | None) -> str:
    text = "不在资源配置指标的评估范围"
    if scope:
        text += f"（评估范围：{scope}）"
    if students is not None:
        text = f"全校在校生 {students.observed:,.0f} 人，" + text
    return text


# --- formatting ----------------------------------------------------------------------------


@overload
def _status(f: Value) -> Status: ...
@overload
def _status(f: Value | None) -> Status | None: ...
def _status(f: Value | None) -> Status | None:
    if f is None:
        return None
    if f.is_waived:
        return "waived"
    return f.outcome.value


def _as_percent(ind: Indicator, unit: str | None) -> bool:
    return ind.percent and (unit == "ratio" or (unit is None and ind.ratio))


def _num(value: object, ind: Indicator, unit: str | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        if _as_percent(ind, unit):
            return f"{value:.2%}"
        if ind.decimals == 0:
            return f"{value:,.0f}"
        return f"{value:,.{ind.decimals}f}"
    return str(value)


def _num_format(ind: Indicator, unit: str | None, mark: str = "") -> str:
    """The xlsx number format that shows a value as :func:`_num` writes it."""
    if _as_percent(ind, unit):
        base = "0.00%"
    elif ind.decimals == 0:
        base = "#,##0"
    else:
        base = "#,##0." + "0" * ind.decimals
    return f'{base}" {mark}"' if mark else base


def _with_unit(value: object, ind: Indicator, unit: str | None) -> str:
    text = _num(value, ind, unit)
    return f"{text} {ind.unit}" if ind.unit and not _as_percent(ind, unit) and text != "—" else text


def _threshold(value: object, ind: Indicator, unit: str | None) -> str:
    """A threshold without trailing zeros: ≥ 4.2, ≤ 0.45, ≥ 85%."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        if _as_percent(ind, unit):
            text = f"{value * 100:.2f}".rstrip("0").rstrip(".")
            return f"{text}%"
        return _plain_number(value)
    return _num(value, ind, unit)


def _required(f: Value | None, ind: Indicator, level: str) -> str:
    if f is not None and f.required is not None and f.required.value is not None:
        op = _OP.get(f.required.op, f.required.op)
        return f"{op} {_threshold(f.required.value, ind, f.unit)}"
    if level in ind.thresholds:
        return f"{_OP.get(ind.op, ind.op)} {_threshold(ind.thresholds[level], ind, None)}"
    if ind.standard:
        return ind.standard
    return "见规则"


def _value_cell(f: Value | None, ind: Indicator) -> Cell:
    if f is None:
        return cell("", align="right")
    status = _status(f)
    if f.outcome is Outcome.error:
        return cell("数据有误", "error", align="center")
    if f.outcome is Outcome.not_applicable:
        return cell("—", "not_applicable", align="center")
    mark = STATUS_MARK[status]
    text = f"{_num(f.observed, ind, f.unit)} {mark}"
    if isinstance(f.observed, int | float) and not isinstance(f.observed, bool):
        # a number in xlsx, shown rounded with its mark by the number format
        return Cell(
            text, status, number=float(f.observed), num_format=_num_format(ind, f.unit, mark), align="right"
        )
    return cell(text, status, align="right")


def _county_rows(sc: SelfCheck, indicators: Iterable[Indicator]) -> list[list[Cell]]:
    """A table row per county-level indicator: name, rule, the county's value,
    the standard and the verdict."""
    rows = []
    for ind in indicators:
        f = sc.county.get(ind.rule_id)
        rows.append(
            [
                cell(ind.name),
                cell(ind.rule_id, align="center"),
                _value_cell(f, ind),
                cell(_required(f, ind, "county"), align="center"),
                _verdict(f),
            ]
        )
    return rows


def _verdict(f: Value | None) -> Cell:
    status = _status(f)
    if status is None:
        return cell("未检查", align="center")
    return cell(f"{STATUS_MARK[status]} {STATUS_ZH[status]}", status, align="center")


def _date_zh(d: dt.date | None) -> str:
    return f"{d.year} 年 {d.month} 月 {d.day} 日" if d else "—"


def _level_standard(ind: Indicator, found: list[Value]) -> str:
    """The standard of a per-school rule over both levels: 小学 ≤ 45 人，初中 ≤ 50 人."""
    if ind.standard:
        return ind.standard
    parts = []
    for level in LEVELS:
        sample = next((f for f in found if level_of(f) == level and f.required is not None), None)
        if sample is None and level not in ind.thresholds:
            continue
        parts.append(f"{LEVEL_ZH[level]} {_required(sample, ind, level)} {ind.unit}".rstrip())
    return "，".join(parts) or "见规则"


def _data_source(sc: SelfCheck) -> str:
    """The submission as it describes itself (county, year, as_of, its files),
    never a folder of the machine it was checked on."""
    sub = sc.report.submission
    year = f" {sub.year} 年" if sub.year else ""
    text = f"{sc.county_name}{year}义务教育学校填报数据"
    if sub.as_of:
        text += f"（截至 {_date_zh(sub.as_of)}）"
    if sub.files:
        text += f"，{len(sub.files)} 个数据文件（见下表，按 SHA-256 核对）"
    return text


# --- the document --------------------------------------------------------------------------


def build_document(sc: SelfCheck) -> Document:
    r = sc.report
    sub = r.submission
    lay = sc.layout
    doc = Document(sc.title)
    doc.add(Title(sc.title, subtitle=f"数据截至 {_date_zh(sub.as_of)}"))
    if sc.passes_missing:
        doc.add(Paragraph(INCOMPLETE.format(n=sc.passes_missing), emphasis=True))

    doc.add(Heading("一、基本情况"))
    assessed = {lvl: [row for row in rows if row.assessed] for lvl, rows in sc.sections.items()}
    excluded = [row for rows in sc.sections.values() for row in rows if not row.assessed]
    n_primary, n_junior = len(assessed.get("primary", [])), len(assessed.get("junior", []))
    in_scope = f"{n_primary + n_junior} 个，其中小学 {n_primary} 个、初中 {n_junior} 个"
    if excluded:
        in_scope += f"；另有 {len(excluded)} 个不纳入评估（见表 2、表 3 备注）"
    doc.add(
        TableBlock(
            columns=["项目", "内容"],
            rows=[
                [cell("县（区）"), cell(" ".join(x for x in (sub.county_name, sub.county_code) if x) or "—")],
                [cell("年度"), cell(sub.year or "—")],
                [cell("数据截止日期"), cell(_date_zh(sub.as_of))],
                [cell("纳入评估的学校（学段）数"), cell(in_scope)],
                [cell("评估依据"), cell("《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号）")],
                [cell("检查规则集"), cell(f"{r.ruleset.title}（{r.ruleset.id} {r.ruleset.version}）")],
                [cell("数据来源"), cell(_data_source(sc))],
            ],
            id="basic",
        )
    )
    if sub.files:  # ties the sealed report to the exact files it was computed from
        doc.add(
            TableBlock(
                columns=["文件", "SHA-256", "字节数"],
                rows=[
                    [
                        cell(f.path),
                        cell(f.sha256),
                        Cell(f"{f.bytes:,}", number=f.bytes, num_format="#,##0", align="right"),
                    ]
                    for f in sub.files
                ],
                caption="数据文件及其 SHA-256",
                id="files",
            )
        )

    doc.add(Heading(f"二、资源配置（{len(lay.resource)} 项指标）"))
    doc.add(
        Paragraph(
            f"每所学校（学段）{len(lay.resource)} 项指标均须达到标准；{_bal08_rule_text(lay)}，"
            f"视为该校资源配置达标（{lay.bal08 or '—'}）。数值后 ✓ 为达标，✗ 为未达标。"
        )
    )
    summary_rows = []
    for ind in lay.resource:
        row_cells = [
            cell(f"{ind.name}（{ind.unit}）" if ind.unit else ind.name),
            cell(ind.rule_id, align="center"),
        ]
        for level in LEVELS:
            rows = assessed.get(level, [])
            sample = next(
                (row.findings.get(ind.rule_id) for row in rows if row.findings.get(ind.rule_id) is not None),
                None,
            )
            met = sum(
                1
                for row in rows
                if (f := row.findings.get(ind.rule_id)) is not None and f.outcome is Outcome.passed
            )
            row_cells += [
                cell(_required(sample, ind, level), align="center"),
                cell(f"{met} / {len(rows)}" if rows else "—", align="center"),
            ]
        summary_rows.append(row_cells)
    if lay.bal08:
        bal08 = {lvl: [row.findings.get(lay.bal08) for row in rows] for lvl, rows in assessed.items()}
        bal08_cells = [cell(f"学校资源配置达标（{_bal08_rule_text(lay)}）"), cell(lay.bal08, align="center")]
        for level in LEVELS:
            found = [f for f in bal08.get(level, []) if f is not None]
            met = sum(1 for f in found if f.outcome is Outcome.passed)
            bal08_cells += [
                cell("—", align="center"),
                cell(f"{met} / {len(found)}" if found else "—", align="center"),
            ]
        summary_rows.append(bal08_cells)
    doc.add(
        TableBlock(
            columns=["指标", "编号", "小学标准", "小学达标校数", "初中标准", "初中达标校数"],
            rows=summary_rows,
            caption="表 1 资源配置指标标准及达标情况",
            id="resource-summary",
        )
    )

    table_no = 2
    for level in LEVELS:
        rows = sc.sections.get(level, [])
        if not rows:
            continue
        columns = ["学校", "学校代码"]
        for ind in lay.resource:
            sample = next(
                (row.findings.get(ind.rule_id) for row in rows if row.findings.get(ind.rule_id) is not None),
                None,
            )
            columns.append(f"{ind.name}（{_required(sample, ind, level)}）")
        columns += [f"资源配置达标（{lay.bal08 or '—'}）", "备注"]
        body = []
        for row in rows:
            cells = [cell(row.name), cell(row.school_id)]
            cells += [
                _value_cell(row.findings.get(ind.rule_id), ind)
                if row.assessed
                else cell("—", "not_applicable", align="center")
                for ind in lay.resource
            ]
            if row.assessed:
                cells += [_verdict(row.findings.get(lay.bal08)) if lay.bal08 else cell("—"), cell("")]
            else:
                cells += [cell("不纳入评估", "not_applicable", align="center"), cell(row.reason or "")]
            body.append(cells)
        doc.add(
            TableBlock(
                columns=columns,
                rows=body,
                id=f"resource-{level}",
                caption=f"表 {table_no} {LEVEL_ZH[level]}资源配置指标（按学校）",
            )
        )
        table_no += 1
    if "?" in sc.sections:
        doc.add(Paragraph("另有学段不明的学校记录，未列入上表，请核对学段填报。"))

    doc.add(Heading("三、校际差异系数"))
    limits = []
    for level in LEVELS:
        for ind, _ in lay.cv[:1]:
            text = _required(sc.cv.get(ind.rule_id, {}).get(level), ind, level)
            if text != "见规则":
                limits.append(f"{LEVEL_ZH[level]} {text}")
    doc.add(Paragraph("差异系数按在校生数加权计算" + (f"：{'，'.join(limits)}。" if limits else "。")))
    cv_rows = []
    for ind, base in lay.cv:
        cells = [cell(base.name), cell(ind.rule_id, align="center")]
        for level in LEVELS:
            f = sc.cv.get(ind.rule_id, {}).get(level)
            cells += [_value_cell(f, ind), cell(_required(f, ind, level), align="center"), _verdict(f)]
        cv_rows.append(cells)
    doc.add(
        TableBlock(
            columns=[
                "指标",
                "编号",
                "小学差异系数",
                "小学标准",
                "小学结论",
                "初中差异系数",
                "初中标准",
                "初中结论",
            ],
            rows=cv_rows,
            caption=f"表 {table_no} 校际差异系数",
            id="cv",
        )
    )
    table_no += 1

    doc.add(Heading("四、政府保障程度"))
    gov_rows = []
    for ind in lay.school:
        found = sc.school_rules.get(ind.rule_id, [])
        checked = [f for f in found if f.outcome is not Outcome.not_applicable]
        failing = [f for f in checked if f.is_failure]
        status: Status | None = None if not checked else ("fail" if failing else "pass")
        if any(f.outcome is Outcome.error for f in failing) and not any(
            f.outcome is Outcome.fail for f in failing
        ):
            status = "error"
        value = f"{len(checked) - len(failing)} / {len(checked)} 所（学段）达标" if checked else "—"
        gov_rows.append(
            [
                cell(ind.name),
                cell(ind.rule_id, align="center"),
                cell(value, align="right"),
                cell(_level_standard(ind, found)),
                _verdict_status(status),
            ]
        )
    gov_rows += _county_rows(sc, lay.county)
    doc.add(
        TableBlock(
            columns=["指标", "编号", "全县情况", "标准", "结论"],
            rows=gov_rows,
            caption=f"表 {table_no} 政府保障程度指标",
            id="guarantee",
        )
    )
    table_no += 1
    school_failures = [f for ind in lay.school for f in sc.school_rules.get(ind.rule_id, []) if f.is_failure]
    if school_failures:
        names = {i.rule_id: i for i in lay.school}
        doc.add(
            TableBlock(
                columns=["学校", "学段", "指标", "数值", "标准", "说明"],
                rows=[
                    [
                        cell(f.subject.name or f.subject.id),
                        cell(LEVEL_ZH.get(level_of(f) or "", "—")),
                        cell(names[f.rule_id].name),
                        _value_cell(f, names[f.rule_id]),
                        cell(_required(f, names[f.rule_id], level_of(f) or ""), align="center"),
                        cell(f.message.zh),
                    ]
                    for f in school_failures
                ],
                caption=f"表 {table_no} 政府保障程度未达标学校",
                id="guarantee-schools",
            )
        )
        table_no += 1

    doc.add(Heading("五、教育质量与社会认可度"))
    qr_rows = _county_rows(sc, (*lay.quality, *lay.recognition))
    doc.add(
        TableBlock(
            columns=["指标", "编号", "全县情况", "标准", "结论"],
            rows=qr_rows,
            caption=f"表 {table_no} 教育质量与社会认可度",
            id="quality",
        )
    )

    doc.add(Heading("六、自查结论"))
    for i, text in enumerate(conclusion(sc)):
        doc.add(Paragraph(text, emphasis=i == 0))

    doc.add(
        Paragraph(
            f"本报告由 supervise-rules {r.tool.version} 根据填报数据自动计算生成；"
            "数据的真实性、有效性以实地核查为准。"
        )
    )
    doc.add(
        Signature(
            [
                ("填报单位（盖章）：", ""),
                ("单位负责人（签字）：", ""),
                ("填 报 人：", ""),
                ("联系电话：", ""),
                ("报送日期：", "        年    月    日"),
            ]
        )
    )
    return doc


#: said at the top and as the conclusion when the passes are missing: the tables
#: then hold only the failing schools, and a count of "达标" would be wrong
INCOMPLETE = (
    "注意：本报告依据的检查结果未列出通过项（共 {n:,} 项；JSON 结果生成时未加 "
    "--include-passes），达标学校的数值缺失，以下各表不完整。请直接对填报数据生成自查报告，"
    "或用 --include-passes 重新输出 JSON 结果后再生成。"
)


def _verdict_status(status: Status | None) -> Cell:
    if status is None:
        return cell("未检查", align="center")
    return cell(f"{STATUS_MARK[status]} {STATUS_ZH[status]}", status, align="center")


_COUNT = Indicator("", "", "项", 0)


def _failure_text(f: Value, ind: Indicator, level: str, who: str = "") -> str:
    """One failure as the conclusion names it: who, the indicator, figure and unit, the standard."""
    if f.outcome is Outcome.error:
        return f"{who}{ind.name}数据有误"
    return f"{who}{ind.name} {_with_unit(f.observed, ind, f.unit)}（标准 {_required(f, ind, level)}）"


def conclusion(sc: SelfCheck) -> list[str]:
    """The plain-language conclusion, one paragraph per part, the verdict first."""
    lay = sc.layout
    problems: list[str] = []
    paragraphs: list[str] = []

    assessed = [row for rows in sc.sections.values() for row in rows if row.assessed]
    excluded = [row for rows in sc.sections.values() for row in rows if not row.assessed]
    bal08_id = lay.bal08 or ""  # no such rule: no row has a finding of it
    bal08 = [row for row in assessed if row.findings.get(bal08_id) is not None]
    bal08_fail = [row for row in bal08 if row.findings[bal08_id].is_failure]
    misses = []
    for row in assessed:
        for ind in lay.resource:
            f = row.findings.get(ind.rule_id)
            if f is not None and f.outcome is Outcome.fail:
                misses.append(
                    _failure_text(f, ind, row.level, f"{row.name}（{LEVEL_ZH.get(row.level, row.level)}）")
                )
    if assessed:
        text = (
            f"资源配置：纳入评估的学校（学段）{len(assessed)} 个，"
            f"资源配置达标 {len(bal08) - len(bal08_fail)} 个、未达标 {len(bal08_fail)} 个"
        )
        if bal08_fail:
            text += (
                "（"
                + "、".join(
                    f"{row.name}（{LEVEL_ZH.get(row.level, row.level)}）"
                    f"{_num(row.findings[bal08_id].observed, _COUNT)} 项达标"
                    for row in bal08_fail
                )
                + "）"
            )
            problems.append(f"{len(bal08_fail)} 个学校（学段）资源配置未达标")
        text += "。"
        if misses:
            text += f"单项指标未达标 {len(misses)} 项次：" + "；".join(misses) + "。"
        else:
            text += f"各校 {len(lay.resource)} 项指标均达到标准。"
        if excluded:
            text += (
                f"不纳入评估的学校（学段）{len(excluded)} 个："
                + "；".join(
                    f"{row.name}（{LEVEL_ZH.get(row.level, row.level)}，{row.reason}）" for row in excluded
                )
                + "。"
            )
        paragraphs.append(text)
    else:
        paragraphs.append("资源配置：本次检查未产生学校资源配置指标结果，无法评价。")

    cv_all = [f for by_level in sc.cv.values() for f in by_level.values()]
    cv_fail = [
        (ind, base, level, f)
        for ind, base in lay.cv
        for level, f in sc.cv.get(ind.rule_id, {}).items()
        if f.is_failure
    ]
    if cv_all:
        text = f"校际差异系数：共 {len(cv_all)} 项，达标 {len(cv_all) - len(cv_fail)} 项"
        if cv_fail:
            parts = [
                f"{LEVEL_ZH.get(level, level)}{base.name}差异系数 {_num(f.observed, ind)}"
                f"（标准 {_required(f, ind, level)}）"
                for ind, base, level, f in cv_fail
            ]
            text += f"，未达标 {len(cv_fail)} 项：" + "；".join(parts)
            problems.append(f"{len(cv_fail)} 项校际差异系数超标")
        paragraphs.append(text + "。")

    gov_fail = []
    for ind in lay.school:
        fails = [f for f in sc.school_rules.get(ind.rule_id, []) if f.is_failure]
        if fails:
            gov_fail.append(
                f"{ind.name}（"
                + "、".join(
                    f"{f.subject.name or f.subject.id}"
                    + (f"（{LEVEL_ZH[lv]}）" if (lv := level_of(f)) in LEVEL_ZH else "")
                    + (
                        f"{_with_unit(f.observed, ind, f.unit)}，标准 {_required(f, ind, lv or '')}"
                        if f.outcome is Outcome.fail
                        else " 数据有误"
                    )
                    for f in fails
                )
                + "）"
            )
    for ind in lay.county:
        f = sc.county.get(ind.rule_id)
        if f is not None and f.is_failure:
            gov_fail.append(_failure_text(f, ind, "county"))
    gov_checked = sum(1 for ind in lay.school if sc.school_rules.get(ind.rule_id)) + sum(
        1 for ind in lay.county if ind.rule_id in sc.county
    )
    if gov_checked:
        text = f"政府保障程度：已检查 {gov_checked} 项"
        if gov_fail:
            text += f"，未达标 {len(gov_fail)} 项：" + "；".join(gov_fail)
            problems.append(f"{len(gov_fail)} 项政府保障程度指标未达标")
        else:
            text += "，均达到标准"
        paragraphs.append(text + "。")

    qr = []
    for ind in (*lay.quality, *lay.recognition):
        f = sc.county.get(ind.rule_id)
        if f is None:
            continue
        verdict = STATUS_ZH[_status(f) or "fail"]
        standard = "" if f.outcome is Outcome.error else f"（标准 {_required(f, ind, 'county')}）"
        qr.append(f"{ind.name} {_with_unit(f.observed, ind, f.unit)}{standard}，{verdict}")
        if f.outcome is Outcome.fail:  # an error is counted with those not computed
            problems.append(f"{ind.name}未达标")
    if qr:
        paragraphs.append("教育质量与社会认可度：" + "；".join(qr) + "。")

    errors = sc.errors
    if errors:
        paragraphs.append(f"另有 {len(errors)} 项指标因填报数据缺失或有误无法计算，须核实数据后重新自查。")
        problems.append(f"{len(errors)} 项指标无法计算")
    if sc.other_failures:
        paragraphs.append(
            f"数据真实性、有效性核查（{'、'.join(sorted({f.rule_id for f in sc.other_failures}))}）"
            f"发现 {len(sc.other_failures)} 处问题，"
            "涉及的数据须在上报前核实更正。"
        )
    if sc.missing:
        paragraphs.append(
            "本次检查未包含以下指标（规则集未配置或缺少数据表），本报告不作评价："
            + "、".join(sc.missing)
            + "。"
        )

    county = sc.county_name
    if sc.passes_missing:
        return [
            "自查结论：所依据的检查结果不完整（未列出通过项），无法形成自查结论。"
            + INCOMPLETE.format(n=sc.passes_missing),
            *paragraphs,
        ]
    if not lay.all_rules or len(sc.missing) == len(lay.all_rules):
        return [
            "自查结论：本次检查的规则集不含义务教育优质均衡发展核心指标（BAL 规则），无法形成自查结论。"
            "请使用含 BAL 规则的规则集重新检查。",
            *paragraphs,
        ]
    if problems:
        verdict = (
            f"自查结论：按本次填报数据，{county}义务教育优质均衡发展核心指标尚未全部达到标准，"
            "主要问题是：" + "；".join(problems) + "。须逐项整改，整改后重新自查。"
        )
    elif sc.missing:
        verdict = (
            f"自查结论：按本次填报数据，{county}已检查的义务教育优质均衡发展核心指标均达到标准；"
            "未检查的指标须另行核实。"
        )
    else:
        verdict = f"自查结论：按本次填报数据，{county}义务教育优质均衡发展核心指标均达到标准。"
    return [verdict, *paragraphs]


def _indicators(sc: SelfCheck) -> dict[str, Indicator]:
    lay = sc.layout
    return {
        i.rule_id: i
        for i in (
            *lay.resource,
            *(c for c, _ in lay.cv),
            *lay.school,
            *lay.county,
            *lay.quality,
            *lay.recognition,
        )
    }


def _is_number(value: object) -> TypeIs[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _detail_table(sc: SelfCheck) -> TableBlock:
    indicators = _indicators(sc)
    rows = []
    for f in sc.values:
        ind = indicators.get(
            f.rule_id, Indicator(f.rule_id, f.title.zh, "", 0 if f.rule_id == sc.layout.bal08 else 4)
        )
        req = f.required
        rows.append(
            [
                cell(f.rule_id),
                cell(f.title.zh),
                cell(f.subject.id),
                cell(f.subject.name or ""),
                Cell(
                    _num(f.observed, ind, f.unit),
                    number=float(f.observed),
                    num_format=_num_format(ind, f.unit),
                    align="right",
                )
                if _is_number(f.observed)
                else cell("" if f.observed is None else f.observed),
                cell(_OP.get(req.op, req.op) if req is not None else "", align="center"),
                Cell(
                    _threshold(req.value, ind, f.unit),
                    number=float(req.value),
                    num_format=_num_format(ind, f.unit),
                    align="right",
                )
                if req is not None and _is_number(req.value)
                else cell("" if req is None or req.value is None else req.value),
                cell(ind.unit if not _as_percent(ind, f.unit) else "%"),
                cell(STATUS_ZH.get(_status(f) or "", f.outcome.value), _status(f)),
                cell(f.message.zh),
            ]
        )
    return TableBlock(
        columns=["规则", "指标", "对象代码", "对象名称", "数值", "要求", "标准值", "单位", "结论", "说明"],
        rows=rows,
    )


def render_html(sc: SelfCheck) -> str:
    """The self-check as one self-contained HTML page."""
    return _render_html(build_document(sc))


def render_xlsx(sc: SelfCheck) -> bytes:
    """The self-check as an xlsx workbook: the printable report, then every finding
    of its rules; the same bytes for the same report (created = the data's as_of)."""
    doc = build_document(sc)
    # the per-school tables again as plain sheets (frozen header, filter): for sorting
    tables = [
        (f"{LEVEL_ZH[b.id.split('-')[1]]}资源配置", b)
        for b in doc.blocks
        if isinstance(b, TableBlock) and b.id in ("resource-primary", "resource-junior")
    ]
    return _render_xlsx(
        doc,
        sheet_name="核心指标自查报告",
        extra_sheets=[*tables, ("指标明细", _detail_table(sc))],
        created=sc.report.submission.as_of,
    )


def ruleset_for(report: Report, ref: str | None = None, *, host: Any) -> Any:
    """The ruleset ``report`` was checked against, for its placement and
    standards: ``ref`` (``--ruleset``), else the report's own ruleset id.

    :raises SelfCheckError: the report's ruleset is not installed, or is
        installed in another version than the report was checked with (pass the
        ruleset file it was checked against as ``ref``).
    """
    from .rulesets import load_ruleset

    if ref is not None:
        return load_ruleset(ref, host=host)
    wanted = f"{report.ruleset.id} {report.ruleset.version}"
    hint = "; give the ruleset file it was checked against with --ruleset"
    try:
        ruleset = load_ruleset(report.ruleset.id, host=host)
    except SuperviseRulesError as exc:
        raise SelfCheckError(
            f"the report was checked against ruleset {wanted}, which cannot be loaded here ({exc}){hint}"
        ) from None
    if (ruleset.id, ruleset.version) != (report.ruleset.id, report.ruleset.version):
        raise SelfCheckError(
            f"the report was checked against ruleset {wanted}, but {ruleset.id} {ruleset.version} "
            f"is installed{hint}"
        )
    return ruleset


__all__ = [
    "Layout",
    "SelfCheck",
    "SelfCheckError",
    "build_document",
    "build_selfcheck",
    "conclusion",
    "layout_from_ruleset",
    "render_html",
    "render_xlsx",
    "ruleset_for",
]
