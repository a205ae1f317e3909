"""Contract identifiers as a clerk reads them in Chinese: a table by its Chinese
name, a column by its Chinese header, a formula with headers instead of
identifiers, a pattern described in words. The identifiers themselves belong in
the English text and in the evidence, never in a Chinese message."""

from __future__ import annotations

import re

from .tables import TABLES

_FUNCS_ZH = {
    "ceil": "向上取整",
    "floor": "向下取整",
    "sum": "合计",
    "round": "四舍五入",
    "min": "最小值",
    "max": "最大值",
    "mean": "平均值",
    "count": "计数",
    "if": "如果",
    "is_null": "为空",
    "abs": "绝对值",
}
_WORDS_ZH = {"and": "且", "or": "或", "not": "非", "as_of": "统计截止日期"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def table_zh(table: str) -> str:
    """The Chinese name of a table (the name itself when the contract does not know it)."""
    spec = TABLES.get(table)
    return spec.zh if spec else table


def column_zh(table: str | None, column: str) -> str:
    """The Chinese header of ``column`` (of ``table``, else of any contract
    table); the identifier itself when the contract does not know it."""
    from .tables import MANIFEST

    spec = MANIFEST if table == "manifest" else TABLES.get(table or "")
    col = spec.columns.get(column) if spec else None
    if col is None:
        for other in TABLES.values():
            col = other.columns.get(column)
            if col is not None:
                break
    return col.zh if col is not None else column


def expression_zh(expr: str, table: str | None = None) -> str:
    """A formula with Chinese headers: ``ceil(classes / 12)`` -> ``向上取整(班级数 ÷ 12)``."""

    def name(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in _FUNCS_ZH:
            return _FUNCS_ZH[word]
        if word in _WORDS_ZH:
            return _WORDS_ZH[word]
        return column_zh(table, word)

    text = _IDENT.sub(name, expr)
    return text.replace(" * ", " × ").replace(" / ", " ÷ ").replace("==", "=").replace("!=", "≠")


#: the patterns the shipped rulesets use, in words
_PATTERNS_ZH = (
    (re.compile(r"^\\d\{(\d+)\}$"), "{0} 位数字"),
    (re.compile(r"^\[0-9\]\{(\d+)\}$"), "{0} 位数字"),
    (re.compile(r"^\\d\{(\d+),(\d+)\}$"), "{0} 至 {1} 位数字"),
    (re.compile(r"^\\d\+$"), "数字"),
    (re.compile(r"^\[A-Z0-9\]\{(\d+)\}$"), "{0} 位大写字母或数字"),
    (re.compile(r"^G\\d\{(\d+)\}$"), "G 加 {0} 位数字"),
)


def pattern_zh(pattern: str) -> str:
    """``\\d{6}`` -> ``6 位数字``; a pattern not known here is described as a
    required format, without the regular expression."""
    for regex, words in _PATTERNS_ZH:
        m = regex.match(pattern)
        if m:
            return words.format(*m.groups())
    return "规定的格式"
