"""A rule's documentation for ``supervise-check explain``, and its threshold as
``list-rules`` shows it, in the language asked for."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from .errors import SuperviseRulesError
from .rules import doc_text
from .rulesets import ResolvedRule, load_ruleset

if TYPE_CHECKING:
    from .plugins import PluginHost

_CERTAINTY = {
    "V": ("V — 已查阅官方原文", "V — read in the official document"),
    "S": (
        "S — 多个二手来源一致，未查阅官方原文",
        "S — several secondary sources agree; the official text was not read",
    ),
    "M": (
        "M — 广泛引用但未证实，该数值是可调参数",
        "M — widely cited but UNCONFIRMED; the figure is a parameter",
    ),
    "seed": ("seed — 取自县 2024 年工作要点", "seed — from the county's 2024 work points"),
}
_SEVERITY = {"critical": "严重", "major": "重要", "minor": "一般", "info": "提示"}

#: the headings of ``explain``, (zh, en)
_HEAD = {
    "work_point": ("工作要点", "Work point"),
    "severity": ("严重程度", "Severity"),
    "threshold": ("标准", "Threshold"),
    "source": ("依据", "Source"),
    "certainty": ("可信度", "Certainty"),
    "validator": ("检查方式", "Validator"),
    "params": ("参数", "Parameters"),
    "ruleset": ("规则集", "Ruleset"),
    "defined_in": ("定义于", "Defined in"),
    "checks": ("检查什么", "What it checks"),
    "why": ("为什么", "Why"),
    "example": ("示例", "Example"),
    "notes": ("说明", "Notes"),
    "message": ("提示信息", "Message"),
}


def locate_rule(
    rule_id: str, ruleset: str | None, host: PluginHost, default: str = "helan-2024"
) -> tuple[str, ResolvedRule]:
    """``(ruleset id, rule)``: in ``ruleset`` when one is given, else in the first
    installed ruleset that has the rule — ``default`` first, then the others by id
    (national rules are found in the county set that extends them)."""
    if ruleset is not None:
        rule = find_rule(rule_id, ruleset, host)
        return load_ruleset(ruleset, host=host).id, rule
    ids = [default] if default in host.rulesets else []
    ids += sorted(r for r in host.rulesets if r != default)
    known: list[str] = []
    for rid in ids:
        rs = load_ruleset(rid, host=host)
        found = rs.rule(rule_id.upper())
        if found is not None:
            return rs.id, found
        known += [r.id for r in rs.rules]
    raise _no_rule(
        rule_id, known, f"any installed ruleset ({', '.join(ids)})", f"所有已安装的规则集（{'、'.join(ids)}）"
    )


def find_rule(rule_id: str, ruleset: str, host: PluginHost) -> ResolvedRule:
    rs = load_ruleset(ruleset, host=host)
    rule = rs.rule(rule_id.upper())
    if rule is not None:
        return rule
    if rule_id.upper() in rs.disabled:
        raise SuperviseRulesError(
            f"rule {rule_id} is disabled in {rs.id}: {rs.disabled[rule_id.upper()].reason}"
        )
    raise _no_rule(rule_id, [r.id for r in rs.rules], f"ruleset {rs.id}", f"规则集 {rs.id} ")


def _no_rule(rule_id: str, ids: list[str], where_en: str, where_zh: str) -> SuperviseRulesError:
    """The error of a rule id found nowhere it was looked for, with did-you-mean."""
    from .selection import did_you_mean

    hint = did_you_mean(rule_id.upper(), ids)
    exc = SuperviseRulesError(
        f"no rule {rule_id!r} in {where_en}{'; ' + hint if hint else ''} (see list-rules)"
    )
    exc.zh = (
        f"{where_zh}中{'都' if '所有' in where_zh else ''}没有规则 {rule_id!r}"
        f"{'；' + did_you_mean(rule_id.upper(), ids, lang='zh') if hint else ''}"
        "（见 list-rules）"
    )
    return exc


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def explain_rule(rule_id: str, ruleset: str | None, *, host: PluginHost, lang: str = "zh") -> str:
    """The documentation of ``rule_id`` (``ruleset`` ``None``: from the first
    installed ruleset that has it, see :func:`locate_rule`), saying which ruleset."""
    found_in, r = locate_rule(rule_id, ruleset, host)
    rule = r.rule
    validator = host.validators[rule.validator]
    params = json.dumps(r.params.model_dump(mode="json", exclude_none=True), ensure_ascii=False)
    en = lang == "en"
    title = rule.title.en if en else (rule.title.zh if lang == "zh" else f"{rule.title.zh} / {rule.title.en}")
    certainty = _CERTAINTY.get(rule.certainty or "", (rule.certainty or "—",) * 2)
    fields = [
        ("work_point", rule.work_point or "—"),
        (
            "severity",
            rule.severity.value
            if en
            else f"{_SEVERITY.get(rule.severity.value, rule.severity.value)}（{rule.severity.value}）",
        ),
        ("threshold", threshold_text(r, lang)),
        ("source", rule.source),
        ("certainty", _pick(certainty, lang)),
        ("validator", f"{rule.validator} ({_summary(validator, lang)})"),
        ("params", params),
        ("ruleset", found_in),
        ("defined_in", r.defined_in),
    ]
    heads = {k: _pick(v, lang) for k, v in _HEAD.items()}
    width = max(_cells(heads[k]) for k, _ in fields) + 2
    lines = [f"{rule.id}  {title}", ""]
    for key, value in fields:
        head = heads[key] + (":" if en else "：")
        lines.append(head + " " * (width - _cells(head) + 1) + str(value))
    for key in ("checks", "why", "example", "notes"):
        text = rule.docs.text(key, lang)
        if text:
            lines += ["", heads[key], _indent(text)]
    message = rule.message.en if en else rule.message.zh
    lines += ["", heads["message"], _indent(message)]
    return "\n".join(lines) + "\n"


def _summary(validator: Any, lang: str) -> str:
    """The validator's one-line summary in ``lang``; ``both`` on one line."""
    summary = getattr(validator, "summary", None)
    if lang == "both":
        zh, en = doc_text(summary, "zh") or "—", doc_text(summary, "en") or "—"
        return zh if zh == en else f"{zh} / {en}"
    return doc_text(summary, lang) or "—"


def _cells(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else "" for line in text.strip().splitlines())


# --- the threshold in words ----------------------------------------------------------------

_OPS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}
_FUNCS_ZH = {
    "ceil": "向上取整",
    "floor": "向下取整",
    "sum": "合计",
    "round": "四舍五入",
    "min": "最小值",
    "max": "最大值",
    "mean": "平均值",
    "count": "计数",
}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def threshold_text(r: ResolvedRule, lang: str = "zh") -> str:
    """``≥ 7.5（小学）/ 10.2（初中）平方米/生``, ``≥ 85%``, ``≤ 30 天`` …; ``—``
    for a rule whose requirement is not one comparison (formats, references …)."""
    from .values import threshold_value as format_value
    from .values import unit_text

    p = r.params
    op = getattr(p, "op", None)
    unit = getattr(p, "unit", None)
    table = getattr(p, "table", None)
    zh = lang != "en"
    threshold = getattr(p, "threshold", None)
    days = getattr(p, "within_days", None) or getattr(p, "max_days", None)
    if threshold is None and days is not None:
        return f"≤ {days} 天" if zh else f"within {days} days"
    min_rows = getattr(p, "min_rows", None)
    min_met = getattr(p, "min_met", None)
    if threshold is None and min_rows is not None:
        return f"≥ {min_rows}"
    if threshold is None and min_met is not None:
        return f"至少 {min_met} 项达标" if zh else f"at least {min_met} met"
    if threshold is None or op is None:
        return "—"
    sign = _OPS.get(op, op)
    shown_unit = unit_text(unit, "zh" if zh else "en")
    suffix = f" {shown_unit}" if shown_unit else ""
    if isinstance(threshold, int | float):
        return f"{sign} {format_value(threshold, unit)}{suffix}"
    if isinstance(threshold, str):
        return f"{sign} {_expression(threshold, table, zh)}"
    by = getattr(threshold, "by", None)
    values = getattr(threshold, "values", None)
    if by is not None and isinstance(values, dict):
        labels = _labels(table, by) if zh else {}
        grouped: dict[Any, list[str]] = {}
        for key, value in values.items():
            grouped.setdefault(value, []).append(str(labels.get(key, key)))
        parts = [
            f"{format_value(v, unit)}（{'、'.join(k)}）"
            if zh
            else f"{format_value(v, unit)} ({', '.join(k)})"
            for v, k in grouped.items()
        ]
        return f"{sign} {' / '.join(parts)}{suffix}"
    return "—"


def _labels(table: str | None, column: str) -> dict[str, str]:
    from .tables import TABLES

    spec = TABLES.get(table or "")
    col = spec.columns.get(column) if spec else None
    return dict(col.labels or {}) if col else {}


def _expression(expr: str, table: str | None, zh: bool) -> str:
    """A threshold formula; in Chinese with the columns' headers, never their
    identifiers (``向上取整(班级数 ÷ 12)``)."""
    if not zh:
        return expr
    from .tables import TABLES

    spec = TABLES.get(table or "")

    def name(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in _FUNCS_ZH:
            return _FUNCS_ZH[word]
        col = spec.columns.get(word) if spec else None
        if col is None:  # a column of another table
            for other in TABLES.values():
                col = other.columns.get(word)
                if col is not None:
                    break
        return col.zh if col is not None else word

    return _IDENT.sub(name, expr).replace(" * ", " × ").replace(" / ", " ÷ ")
