"""How the reports, notices and ``explain`` write a value for people: numbers
without float noise, ratios as percentages, units in Chinese. One module, so that
a figure reads the same in every format; a third-party reporter may use it too.
"""

from __future__ import annotations

import math


def _trim(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


#: how the rule messages write a value of these units; the observed column and the
#: observed range write it the same way (``0.5221``, ``5,087``), so that the two
#: never disagree on a figure
_SPEC_BY_UNIT = {
    "coefficient": ".4f",
    "yuan": ",.0f",
    "yuan per student": ",.0f",
    "students per class": ",.0f",
}  # as the rules' messages write them


def format_value(value: object, unit: str | None) -> str:
    """A value as people read it: ratios as percents, floats without noise."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float) and not math.isfinite(value):
        return str(value)
    if unit == "ratio" and isinstance(value, int | float):
        return _trim(f"{value * 100:.2f}") + "%"
    if isinstance(value, float) and unit in _SPEC_BY_UNIT:
        return format(value, _SPEC_BY_UNIT[unit])
    if isinstance(value, float) and unit and " per " in unit:
        return f"{value:,.2f}"  # as the messages write a per-student figure: 5.05, 6.80
    if isinstance(value, float):
        return _trim(f"{value:,.4f}")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v, unit) for v in value)
    return str(value)


#: Chinese for the units the shipped rulesets use; any other unit is shown as written
UNIT_ZH: dict[str, str] = {
    "coefficient": "",
    "teachers per 100 students": "人/百名学生",
    "rooms per 100 students": "间/百名学生",
    "m2 per student": "平方米/生",
    "yuan per student": "元/生",
    "students per class": "人/班",
    "children per teacher": "人/教师",
    "children per staff member": "人/教职工",
    "students": "人",
    "children": "人",
    "persons": "人",
    "teachers": "人",
    "inspectors": "人",
    "yuan": "元",
    "schools": "所",
    "rooms": "间",
    "letters": "份",
    "issues": "个",
    "indicators": "项",
    "assignments": "人次",
    "hours": "学时",
    "minutes": "分钟",
    "days": "天",
    "visits": "次",
    "rows": "行",
}


def unit_text(unit: str | None, lang: str) -> str:
    """A unit as shown next to a value: Chinese in ``zh`` and ``both`` when known."""
    if not unit or unit == "ratio":
        return ""
    if lang == "en":
        return "" if unit == "coefficient" else unit
    return UNIT_ZH.get(unit, unit)


def with_unit(value: object, unit: str | None, lang: str = "zh") -> str:
    """:func:`format_value` followed by :func:`unit_text`: ``5.05 人/百名学生``."""
    text = format_value(value, unit)
    shown = unit_text(unit, lang)
    if value is None or not shown:
        return text
    return f"{text} {shown}"


def threshold_value(value: object, unit: str | None) -> str:
    """A requirement as the rulesets write it (7.5, 0.45): a standard, not a measurement."""
    if isinstance(value, float) and unit != "ratio" and math.isfinite(value):
        return _trim(f"{value:,.4f}")
    return format_value(value, unit)


def document_value(value: object, unit: str | None) -> str:
    """A figure as the printed documents (自查报告, 督办单, the HTML report's charts) write
    it: 是/否 for a flag, ratios as percentages with two decimals, floats without
    trailing zeros."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if unit == "ratio" and isinstance(value, int | float):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


__all__ = ["UNIT_ZH", "document_value", "format_value", "threshold_value", "unit_text", "with_unit"]
