"""What the built-in formats share: labels in both languages, how a value, a
requirement and a location are written, and how findings are grouped.

Everything here is a pure function of the report, so every format stays
deterministic: same report, same output, byte for byte.

Report contract v2: a report holds every finding in its columnar store, and a
national run has tens of millions of passes. Formats list
``report.iter_findings(options.show_passes)`` (passes only when asked) and take
every count from ``report.summary`` and ``report.rules``, which count the passes
whether they are listed or not; nothing here touches ``report.findings``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

import polars as pl

from supervise_rules import Finding, Outcome, Report, RuleEntry
from supervise_rules.tables import TABLES
from supervise_rules.values import format_value, threshold_value, with_unit

#: key -> (zh, en); ``label(key, "both")`` gives ``"zh / en"``
LABELS: dict[str, tuple[str, str]] = {
    # outcomes and statuses
    "pass": ("通过", "pass"),
    "fail": ("不通过", "fail"),
    "error": ("错误", "error"),
    "not_applicable": ("不适用", "not applicable"),
    "waived": ("已豁免", "waived"),
    "waiver_expired": ("豁免已过期", "waiver expired"),
    # baseline diff
    "new": ("新增", "new"),
    "persisting": ("仍存在", "persisting"),
    "fixed": ("已整改", "fixed"),
    # severities
    "critical": ("严重", "critical"),
    "major": ("重要", "major"),
    "minor": ("一般", "minor"),
    "info": ("提示", "info"),
    # subject types
    "county": ("县", "county"),
    "school": ("学校", "school"),
    "kindergarten": ("幼儿园", "kindergarten"),
    "inspector": ("督学", "inspector"),
    "case": ("个案", "case"),
    "submission": ("提交数据", "submission"),
    # headings and column names
    "report": ("督导数据核查结果", "Supervision data check"),
    "summary": ("概况", "Summary"),
    "rules_run": ("规则数", "Rules run"),
    "findings": ("结果数", "Findings"),
    "failures_by_severity": ("不通过项（按严重程度）", "Failures by severity"),
    "failures_by_work_point": ("不通过项（按工作要点）", "Failures by work point"),
    "failures_by_school": ("不通过项（按学校）", "Failures by school"),
    "all_findings": ("全部结果", "All findings"),
    "listed_findings": ("结果清单（不含通过项）", "Findings (passes not listed)"),
    "all_rules": ("规则一览", "Rules"),
    "other_findings": ("其他结果", "Other findings"),
    "baseline_diff": ("回头看（与上次结果比较）", "Baseline comparison"),
    "fixed_since": ("已整改的问题", "Fixed since the baseline"),
    "waivers_unused": ("未使用的豁免", "Unused waivers"),
    "no_failures": ("没有不通过的项目。", "No failures."),
    "work_point": ("工作要点", "Work point"),
    "other": ("其他", "Other"),
    "rule_id": ("规则编号", "Rule"),
    "rule_title": ("规则名称", "Title"),
    "severity": ("严重程度", "Severity"),
    "certainty": ("可信度", "Certainty"),
    "subjects": ("对象数", "Subjects"),
    "observed_range": ("实际值范围", "Observed min–max"),
    "observed_min": ("实际值最小", "Observed min"),
    "observed_max": ("实际值最大", "Observed max"),
    "outcome": ("结果", "Outcome"),
    "subject_type": ("对象类型", "Subject type"),
    "subject_id": ("对象编号", "Subject id"),
    "subject_name": ("对象名称", "Subject name"),
    "subject": ("对象", "Subject"),
    "observed": ("实际值", "Observed"),
    "required": ("要求", "Required"),
    "unit": ("单位", "Unit"),
    "message": ("说明", "Message"),
    "table": ("数据表", "Table"),
    "row": ("数据行", "Data rows"),
    "column": ("列（表头）", "Columns (headers)"),
    "file": ("文件及工作表", "File and sheet"),
    "line": ("表中行号", "Sheet rows / lines"),
    "cell": ("单元格", "Cells"),
    "location": ("位置", "Location"),
    "source": ("依据", "Source"),
    "waiver": ("豁免", "Waiver"),
    "baseline": ("回头看", "Baseline"),
    "ruleset": ("规则集", "Ruleset"),
    "submission_of": ("提交", "Submission"),
    "as_of": ("统计截止", "As of"),
    "tool": ("工具", "Tool"),
    "school_col": ("学校", "School"),
    "failures": ("不通过", "Failures"),
    "rules": ("规则", "Rules"),
    "filter": ("筛选", "Filter"),
    "approved_by": ("批准", "approved by"),
    "expires": ("有效期至", "expires"),
    "why_no_finding": ("没有对应的结果", "no finding for it"),
    "why_not_failing": ("对应结果已不是不通过，可删除此豁免", "not failing any more: drop it"),
    "now": ("本次", "now"),
    "note": ("说明", "Notes"),
    # the files a submission was read from (submission.files)
    "input_files": ("数据文件及其 SHA-256", "Data files and their SHA-256"),
    "file_path": ("文件", "File"),
    "sha256": ("SHA-256", "SHA-256"),
    "bytes": ("字节数", "Bytes"),
}

#: certainty -> (zh, en): how sure the figure a rule checks against is
CERTAINTY: dict[str, tuple[str, str]] = {
    "V": ("官方原文", "official text"),
    "S": ("多方印证", "secondary sources"),
    "M": ("未证实", "unconfirmed"),
    "seed": ("县工作要点", "county work points"),
}
#: figures no national or provincial text was read for: a failure against one
#: may be the figure's fault, so people must be able to tell it apart
UNCONFIRMED = frozenset({"M", "seed"})
MARK = "※"
UNCONFIRMED_LEGEND = (
    f"{MARK} 标记的不通过项，所依据的标准未经国家或省级官方文件核实（可信度 M：广泛引用但未证实；"
    "seed：取自县工作要点），整改前请先核实标准。",
    f"{MARK} marks a failure judged against a figure not confirmed in a national or provincial "
    "text (certainty M: widely cited, unconfirmed; seed: from the county's work points): "
    "confirm the figure before acting on it.",
)
#: the same, for a list that shows the certainty in a column instead of a mark
UNCONFIRMED_NOTE = (
    "可信度为 M 或 seed 的不通过项，所依据的标准未经国家或省级官方文件核实（M：广泛引用但未证实；"
    "seed：取自县工作要点），整改前请先核实标准。",
    "A failure of certainty M or seed is judged against a figure not confirmed in a national "
    "or provincial text (M: widely cited, unconfirmed; seed: from the county's work points): "
    "confirm the figure before acting on it.",
)
CERTAINTY_LEGEND = (
    "可信度：V 官方原文；S 多方印证，未见原文；M 未证实；seed 县工作要点。",
    "Certainty: V official text read; S secondary sources agree; M unconfirmed; seed county work points.",
)

OUTCOME_ORDER = ("pass", "fail", "waived", "error", "not_applicable")
SEVERITY_ORDER = ("critical", "major", "minor", "info")


def label(key: str, lang: str) -> str:
    """The label of ``key`` in ``lang`` (``zh``, ``en`` or ``both``)."""
    zh, en = LABELS.get(key, (key, key))
    if lang == "en":
        return en
    if lang == "both":
        return zh if zh == en else f"{zh} / {en}"
    return zh


def status(f: Finding) -> str:
    """What a person is shown: the outcome, or ``waived`` for a failure under an
    active waiver (the JSON keeps ``outcome`` and adds the ``waiver`` object)."""
    return "waived" if f.is_waived else f.outcome.value


def waiver_expired(f: Finding) -> bool:
    return f.waiver is not None and f.waiver.status == "expired"


def status_text(f: Finding, lang: str) -> str:
    text = label(status(f), lang)
    if waiver_expired(f):
        text += f" ({label('waiver_expired', lang)})"
    return text


def pick(texts: tuple[str, str], lang: str) -> str:
    """One of a ``(zh, en)`` pair, or both joined for ``both``."""
    zh, en = texts
    if lang == "en":
        return en
    if lang == "both":
        return zh if zh == en else f"{zh} / {en}"
    return zh


def certainty_text(certainty: str | None, lang: str) -> str:
    """``M 未证实`` / ``M unconfirmed``; ``—`` when the rule gives none."""
    if certainty is None:
        return "—"
    zh, en = CERTAINTY.get(certainty, (certainty, certainty))
    return f"{certainty} {pick((zh, en), lang)}"


def unconfirmed(f: Finding) -> bool:
    """A failure judged against a figure that is not confirmed (certainty M or seed)."""
    return f.outcome is Outcome.fail and f.certainty in UNCONFIRMED


def mark(f: Finding) -> str:
    """`` ※`` after the outcome of an :func:`unconfirmed` failure, else nothing."""
    return f" {MARK}" if unconfirmed(f) else ""


def passes_note(n: int, lang: str) -> str:
    """Why the passes are not in the list, and how to get them."""
    return pick(
        (
            f"通过 {n:,} 项已计入概况和规则一览，未逐项列出（检查时加 --include-passes 可列出）。",
            f"{n:,} passes are counted in the summary and the rules overview but not listed "
            "(check with --include-passes to list them).",
        ),
        lang,
    )


def colon(lang: str) -> str:
    """``"："`` in Chinese text, ``": "`` otherwise."""
    return "：" if lang == "zh" else ": "


def comma(lang: str) -> str:
    return "，" if lang == "zh" else ", "


def waiver_fields_text(status: str, reason: str, approved_by: str, expires: object, lang: str) -> str:
    state = "waived" if status == "active" else "waiver_expired"
    zh = f"{label(state, 'zh')}：{reason}（批准：{approved_by}；有效期至 {expires}）"
    en = f"{label(state, 'en')}: {reason} (approved by {approved_by}, expires {expires})"
    return {"zh": zh, "en": en}.get(lang, f"{zh} / {en}")


def waiver_text(f: Finding, lang: str) -> str:
    w = f.waiver
    if w is None:
        return ""
    return waiver_fields_text(w.status, w.reason, w.approved_by, w.expires.isoformat(), lang)


@dataclass(frozen=True)
class Counts:
    """The numbers of a summary as people are shown them.

    ``fail`` and ``error`` leave out the failures under an active waiver, which
    are counted in ``waived`` instead; the JSON's ``by_outcome`` still counts them.
    """

    rules_run: int
    findings: int
    by_status: dict[str, int]
    by_severity: dict[str, int]
    baseline: dict[str, int] | None


def listed_frame(report: Report) -> pl.DataFrame:
    """The listed findings (never the passes) as the store's frame: waivers and
    baseline marks sit only on failures, which are always listed, so counting
    them here is exact without making a ``Finding`` per row."""
    frame: pl.DataFrame = report.frame(include_passes=False)
    return frame


def _annotated(report: Report) -> bool:
    """Whether the report's findings may carry waiver or baseline marks: they are
    rendered and held once waivers or a baseline were applied; a plain run's store
    holds none, so nothing need be rendered to count them (the first screen of a
    national report does not wait for every message)."""
    store = getattr(report, "store", None)
    if store is None or store.is_listed():
        return True
    return any(
        "waiver_status" in p.frame.columns or "baseline" in p.frame.columns
        for p in getattr(store, "parts", ())
    )


_NO_MARKS = pl.DataFrame(
    schema={
        "rule_id": pl.String,
        "outcome": pl.String,
        "severity": pl.String,
        "waiver_status": pl.String,
        "baseline": pl.String,
    }
)


def _marks_frame(report: Report) -> pl.DataFrame:
    return listed_frame(report) if _annotated(report) else _NO_MARKS


def _waived_rows(listed: pl.DataFrame) -> pl.DataFrame:
    return listed.filter((pl.col("waiver_status") == "active") & pl.col("outcome").is_in(["fail", "error"]))


def counts(report: Report) -> Counts:
    listed = _marks_frame(report)
    waived = _waived_rows(listed)
    waived_by_outcome = dict(waived.group_by("outcome").len("n").iter_rows())
    waived_fails = dict(waived.filter(pl.col("outcome") == "fail").group_by("severity").len("n").iter_rows())
    by_outcome = report.summary.by_outcome
    by_status = {
        "pass": by_outcome.get("pass", 0),
        "fail": by_outcome.get("fail", 0) - waived_by_outcome.get("fail", 0),
        "waived": waived.height,
        "error": by_outcome.get("error", 0) - waived_by_outcome.get("error", 0),
        "not_applicable": by_outcome.get("not_applicable", 0),
    }
    by_severity = {k: report.summary.by_severity.get(k, 0) - waived_fails.get(k, 0) for k in SEVERITY_ORDER}
    baseline = None
    if report.baseline is not None:
        b = report.baseline
        baseline = {"new": b.new, "persisting": b.persisting, "fixed": b.fixed}
    elif listed["baseline"].is_not_null().any():
        marks = dict(listed.group_by("baseline").len("n").iter_rows())
        baseline = {k: marks.get(k, 0) for k in ("new", "persisting", "fixed")}
    return Counts(
        rules_run=report.summary.rules_run,
        findings=sum(by_outcome.values()),
        by_status={k: by_status[k] for k in OUTCOME_ORDER},
        by_severity=by_severity,
        baseline=baseline,
    )


# ---------------------------------------------------------------- values


_OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}


def required_text(f: Finding, lang: str) -> str:
    req = f.required
    if req is None:
        return ""
    if req.op == "exists":
        return {"zh": "应存在", "en": "must exist"}.get(lang, "应存在 / must exist")
    if req.op == "within_days":
        days = format_value(req.value, None)
        return {"zh": f"≤ {days} 天", "en": f"within {days} days"}.get(
            lang, f"≤ {days} 天 / within {days} days"
        )
    if req.op == "in":
        values = req.value if isinstance(req.value, list | tuple) else [req.value]
        return "∈ {" + ", ".join(threshold_value(v, f.unit) for v in values) + "}"
    return f"{_OP_TEXT.get(req.op, req.op)} {threshold_value(req.value, f.unit)}"


# ---------------------------------------------------------------- locations


def compact_rows(rows: Iterable[int]) -> str:
    """``[1, 2, 3, 5, 7, 8]`` -> ``"1-3, 5, 7-8"``."""
    ordered = sorted(set(rows))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ", ".join(parts)


def table_label(table: str, lang: str) -> str:
    spec = TABLES.get(table)
    if spec is None:
        return table
    if lang == "en":
        return table
    if lang == "both":
        return f"{spec.zh} / {table}"
    return f"{spec.zh}（{table}）"


def column_label(table: str, column: str, lang: str) -> str:
    spec = TABLES.get(table)
    col = spec.columns.get(column) if spec else None
    if col is None or lang == "en":
        return column
    return f"{col.zh}（{column}）" if lang == "zh" else f"{col.zh} / {column}"


def location_text(f: Finding, lang: str, *, max_rows: int = 12) -> str:
    """Where to look, per evidence entry: table, rows (compacted) and columns."""
    parts = []
    for ev in f.evidence:
        text = table_label(ev.table, lang)
        if ev.rows:
            shown = ev.rows if len(ev.rows) <= max_rows else ev.rows[:max_rows]
            rows = compact_rows(shown)
            if len(ev.rows) > max_rows:
                rows += {"en": f" … ({len(ev.rows)} rows)"}.get(lang, f" …（共 {len(ev.rows)} 行）")
            noun = "row" if len(ev.rows) == 1 else "rows"
            text += {"en": f", {noun} {rows}"}.get(lang, f" 第 {rows} 行")
        if ev.columns:
            cols = ("、" if lang == "zh" else ", ").join(column_label(ev.table, c, lang) for c in ev.columns)
            text += f" · {cols}"
        parts.append(text)
    return ("；" if lang == "zh" else "; ").join(parts)


def subject_text(f: Finding) -> str:
    s = f.subject
    return f"{s.name} ({s.id})" if s.name and s.name != s.id else s.id


def table_uri(report: Report, table: str | None) -> str | None:
    """The file a table came from, as the report knows it.

    A submission that is one file (a workbook, a JSON document) is that file;
    for a folder the file whose name is the table's (known from the report's
    ``encoding`` map, which lists the text files read); otherwise the source.
    """
    source = report.submission.source
    if source is None:
        return None
    src = PurePosixPath(source.replace("\\", "/"))
    if src.suffix:
        return src.as_posix()
    if table:
        for name in report.submission.encoding or {}:
            if PurePosixPath(name).stem == table:
                return (src / str(name)).as_posix()
    return src.as_posix()


# ---------------------------------------------------------------- grouping


def work_point_key(f: Finding) -> tuple[int, int | str]:
    """Sort work points numerically ("2" before "11"); findings without one last."""
    wp = f.work_point
    if wp is None:
        return (2, "")
    return (0, int(wp)) if wp.isdigit() else (1, wp)


def work_point_title(wp: str | None, lang: str) -> str:
    if wp is None:
        return label("other", lang)
    if lang == "en":
        return f"Work point {wp}"
    if lang == "both":
        return f"工作要点 {wp} / Work point {wp}"
    return f"工作要点 {wp}"


def group_by_work_point(findings: Iterable[Finding]) -> list[tuple[str | None, list[Finding]]]:
    groups: dict[str | None, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (work_point_key(f), f.sort_key())):
        groups.setdefault(f.work_point, []).append(f)
    return list(groups.items())


def group_by_rule(findings: Iterable[Finding]) -> list[tuple[str, list[Finding]]]:
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.rule_id, []).append(f)
    return list(groups.items())


@dataclass(frozen=True)
class SchoolKey:
    type: str
    id: str
    name: str | None


def school_of(f: Finding) -> SchoolKey | None:
    """The school or kindergarten a finding is about (both sections of a nine-year
    school, ``<school_id>/primary`` and ``<school_id>/junior``, are one school)."""
    s = f.subject
    if s.type == "school":
        return SchoolKey("school", s.id.split("/", 1)[0], s.name)
    if s.type == "kindergarten":
        return SchoolKey("kindergarten", s.id.split("/", 1)[0], s.name)
    return None


def group_by_school(findings: Iterable[Finding]) -> list[tuple[SchoolKey, list[Finding]]]:
    groups: dict[tuple[str, str], list[Finding]] = {}
    keys: dict[tuple[str, str], SchoolKey] = {}
    for f in findings:
        key = school_of(f)
        if key is None:
            continue
        k = (key.type, key.id)
        groups.setdefault(k, []).append(f)
        if k not in keys or (keys[k].name is None and key.name):
            keys[k] = key
    return [(keys[k], groups[k]) for k in sorted(groups, key=lambda k: (k[0] != "school", k[1]))]


def failing(findings: Iterable[Finding]) -> list[Finding]:
    """Findings people must act on or look at: fail, error, and waived ones."""
    return [f for f in findings if f.is_failure]


def rules_of(report: Report, listed: Iterable[Finding] = ()) -> list[RuleEntry]:
    """Every rule that ran, in rule id order: the report's ``rules`` entries, and
    an entry made from its findings for a listed rule the report has none for
    (a report put together by hand)."""
    entries = {r.rule_id: r for r in report.rules}
    made: dict[str, list[Finding]] = {}
    for f in listed:
        if f.rule_id not in entries:
            made.setdefault(f.rule_id, []).append(f)
    for rule_id, findings in made.items():
        first = findings[0]
        by_outcome = dict.fromkeys((o.value for o in Outcome), 0)
        for f in findings:
            by_outcome[f.outcome.value] += 1
        entries[rule_id] = RuleEntry(
            rule_id=rule_id,
            title=first.title,
            work_point=first.work_point,
            severity=first.severity,
            certainty=first.certainty,
            source=first.source,
            subjects=len({f.subject.id for f in findings}),
            by_outcome=by_outcome,
        )
    return [entries[k] for k in sorted(entries)]


def rule_units(report: Report) -> dict[str, str | None]:
    """The unit of each rule's values, to write its observed range as people read
    it (a ratio as a percent). ``RuleEntry`` has no unit, so it is read from the
    store's parts, one per rule result, never from the findings."""
    units: dict[str, str | None] = {}
    for part in getattr(report.store, "parts", ()):
        if units.get(part.rule.rule_id) is None:
            units[part.rule.rule_id] = part.unit
    return units


def waived_by_rule(report: Report) -> dict[str, int]:
    """``fail`` findings under an active waiver, per rule (``by_outcome.fail`` counts them)."""
    waived = _waived_rows(_marks_frame(report)).filter(pl.col("outcome") == "fail")
    return dict(waived.group_by("rule_id").len("n").iter_rows())


def observed_range_text(entry: RuleEntry, unit: str | None, lang: str) -> str:
    """``6.8 – 18.7857 平方米/生``; one value when min and max agree; ``—`` without."""
    rng = entry.observed
    if rng is None or (rng.min is None and rng.max is None):
        return "—"
    if rng.min == rng.max:
        return with_unit(rng.max, unit, lang)
    return f"{format_value(rng.min, unit)} – {with_unit(rng.max, unit, lang)}"


OVERVIEW_OUTCOMES = ("pass", "fail", "error", "not_applicable")


def fail_count_text(entry: RuleEntry, waived: int, lang: str) -> str:
    """A rule's failures, with the waived ones among them said in brackets."""
    n = entry.by_outcome.get("fail", 0)
    if not waived:
        return f"{n:,}"
    return f"{n:,} ({label('waived', lang)} {waived:,})"


def submission_line(report: Report, lang: str) -> str:
    sub = report.submission
    parts = []
    who = " ".join(str(x) for x in (sub.county_name, sub.county_code) if x)
    if who:
        parts.append(who)
    if sub.year:
        parts.append(f"{sub.year} 年" if lang == "zh" else str(sub.year))
    if sub.as_of:
        parts.append(f"{label('as_of', lang)} {sub.as_of.isoformat()}")
    if sub.source:
        parts.append(sub.source)
    return " · ".join(parts)


# ---------------------------------------------------------------- views that scale


@dataclass(frozen=True)
class Shown:
    """The findings a human view lists, at most ``cap`` per rule, and how many
    of each rule's were left out."""

    findings: list[Finding]
    hidden: dict[str, int]


def shown_findings(report: Report, show_passes: bool, cap: int = 0) -> Shown:
    """The failures and errors (every listed finding with ``show_passes``) in
    report order, the first ``cap`` of each rule (``0``: all). Counted and cut
    in the store's frame: only the findings shown become objects, so the first
    screen of a national report comes as fast as a county's."""
    from supervise_rules.store import with_optional_keys

    store = getattr(report, "store", None)
    if store is None:  # a report put together without a store
        listed = [
            f
            for f in report.iter_findings(show_passes)
            if show_passes or f.outcome in (Outcome.fail, Outcome.error)
        ]
        return _cap_objects(listed, cap)
    frame = store.listed(show_passes)
    if not show_passes:
        frame = frame.filter(pl.col("outcome").is_in(["fail", "error"]))
    hidden: dict[str, int] = {}
    if cap > 0 and frame.height:
        ranked = frame.with_columns(_rank=pl.int_range(pl.len()).over("rule_id"))
        over = ranked.filter(pl.col("_rank") >= cap)
        hidden = dict(over.group_by("rule_id").len("n").iter_rows())
        frame = ranked.filter(pl.col("_rank") < cap).drop("_rank")
    lines: Iterable[str] = with_optional_keys(frame)["json"] if frame.height else []
    return Shown([Finding.model_validate_json(line) for line in lines], hidden)


def _cap_objects(listed: list[Finding], cap: int) -> Shown:
    if cap <= 0:
        return Shown(listed, {})
    seen: dict[str, int] = {}
    kept = []
    for f in listed:
        seen[f.rule_id] = seen.get(f.rule_id, 0) + 1
        if seen[f.rule_id] <= cap:
            kept.append(f)
    return Shown(kept, {r: n - cap for r, n in seen.items() if n > cap})


def more_text(n: int, lang: str) -> str:
    """The line that ends a rule's capped list."""
    return pick(
        (
            f"… 另有 {n:,} 项未列出（全部结果见 --format json，或加 --max-per-rule 0）",
            f"… and {n:,} more (see --format json, or --max-per-rule 0)",
        ),
        lang,
    )


def failed_rules(report: Report) -> list[RuleEntry]:
    """The rules with a failure or an error, in rule id order: the per-rule summary."""
    return [r for r in rules_of(report) if r.by_outcome.get("fail", 0) + r.by_outcome.get("error", 0)]


def checked(entry: RuleEntry) -> int:
    """Findings a rule judged (everything but ``not_applicable``)."""
    return sum(n for k, n in entry.by_outcome.items() if k != "not_applicable")


def failed(entry: RuleEntry) -> int:
    return entry.by_outcome.get("fail", 0) + entry.by_outcome.get("error", 0)


def totals_line(report: Report, lang: str) -> str:
    """The last line of a human view, like pytest's: what ran and how it came out."""
    c = counts(report)
    s = c.by_status
    sev = [(k, n) for k, n in c.by_severity.items() if n]
    if lang == "en":
        parts = [f"{s['fail']:,} failed", f"{s['pass']:,} passed"]
        if s["error"]:
            parts.append(f"{s['error']:,} error{'' if s['error'] == 1 else 's'}")
        if s["waived"]:
            parts.append(f"{s['waived']:,} waived")
        if s["not_applicable"]:
            parts.append(f"{s['not_applicable']:,} not applicable")
        tail = f" ({', '.join(f'{k} {n:,}' for k, n in sev)})" if sev else ""
        rules = "rule" if c.rules_run == 1 else "rules"
        return f"{c.rules_run:,} {rules}: {', '.join(parts)}{tail}"
    parts = [f"不通过 {s['fail']:,} 项", f"通过 {s['pass']:,} 项"]
    if s["error"]:
        parts.append(f"错误 {s['error']:,} 项")
    if s["waived"]:
        parts.append(f"已豁免 {s['waived']:,} 项")
    if s["not_applicable"]:
        parts.append(f"不适用 {s['not_applicable']:,} 项")
    by_sev = "，".join(f"{label(k, 'zh')} {n:,}" for k, n in sev)
    tail = f"（{by_sev}）" if sev else ""
    zh = f"共 {c.rules_run:,} 条规则：{'，'.join(parts)}{tail}"
    return zh if lang == "zh" else f"{zh}\n{totals_line(report, 'en')}"


def statistics_text(report: Report, lang: str) -> str:
    """``--statistics`` as plain text: one line per failing rule, then the totals line."""
    rules = failed_rules(report)
    lines = []
    if rules:
        counts_ = [f"{failed(r):,}/{checked(r):,}" for r in rules]
        wid = max(len(r.rule_id) for r in rules)
        cw = max(len(c) for c in counts_)
        for r, c in zip(rules, counts_, strict=True):
            title = r.title.zh if lang == "both" else r.title.get(lang)
            lines.append(f"{r.rule_id:<{wid}}  {c:>{cw}}  [{r.severity.value}]  {title}")
    lines.append(totals_line(report, lang))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- one line per finding


#: characters a one-line format must not carry: line breaks and tabs become a
#: space, other controls and bidi overrides U+FFFD (see safetext)
_BREAKS = r"[\r\n\t]+"
_CONTROLS = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"


def one_line(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(_BREAKS, " ").str.replace_all(_CONTROLS, "\ufffd").str.strip_chars()


def message_expr(lang: str) -> pl.Expr:
    if lang == "en":
        return pl.col("message_en")
    if lang == "both":
        return pl.concat_str([pl.col("message_zh"), pl.lit(" / "), pl.col("message_en")])
    return pl.col("message_zh")


def place_columns(report: Report, frame: pl.DataFrame) -> pl.DataFrame:
    """``_file``, ``_sheet``, ``_line`` and ``_cell`` of each finding's first
    evidence, read from its JSON column by column: the file the clerk opens
    (inside a folder submission, or the workbook itself), the sheet, the
    file line or sheet row, the cell."""
    ev = "$.evidence[0]"
    source = report.submission.source
    src = PurePosixPath(source.replace("\\", "/")) if source else None
    js = pl.col("json")
    frame = frame.with_columns(
        _evfile=js.str.json_path_match(f"{ev}.file"),
        _sheet=js.str.json_path_match(f"{ev}.sheet"),
        _line=pl.coalesce(
            js.str.json_path_match(f"{ev}.lines[0]").cast(pl.Int64, strict=False),
            js.str.json_path_match(f"{ev}.rows[0]").cast(pl.Int64, strict=False) + 1,
        ),
        _cell=js.str.json_path_match(f"{ev}.cells[0]"),
        _table=js.str.json_path_match(f"{ev}.table"),
    )
    tables = frame["_table"].drop_nulls().unique().to_list()
    by_table = {t: table_uri(report, t) for t in tables}
    fallback = table_uri(report, None) or "-"
    if src is not None and src.suffix:  # one workbook or document: every finding is in it
        file_expr = pl.lit(src.as_posix())
    else:
        joined = (pl.lit(src.as_posix() + "/") + pl.col("_evfile")) if src is not None else pl.col("_evfile")
        file_expr = pl.coalesce(
            joined,
            pl.col("_table").replace_strict(by_table, default=None, return_dtype=pl.String),
            pl.lit(fallback),
        )
    return frame.with_columns(_file=file_expr).drop("_evfile", "_table")
