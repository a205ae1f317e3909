"""The Chinese a clerk reads (issue 14, item 4): every rule's zh message, as its
YAML cases render it, is free of programmer vocabulary — no contract column or
table identifier, no regular expression, no placeholder where the data has a
value. The English message may name identifiers; the evidence always does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from supervise_rules import get_plugin_host
from supervise_rules.tables import TABLES
from supervise_rules.testing import case_params, run_case

CASES = Path(__file__).parent / "cases"

#: identifiers of the data contract: table and column names
IDENTIFIERS = frozenset(TABLES) | {c for spec in TABLES.values() for c in spec.columns}
#: a file or sheet the clerk opens is named as it is written (schools.csv, 学校!Q3)
_FILE = re.compile(r"[\w.\-/]+\.(?:csv|tsv|txt|xlsx|xlsm|xls|ods|json|yaml|yml|parquet|pq)\b")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: regular-expression syntax a clerk cannot read
REGEX = re.compile(r"\\[dDwWsSbB]|\[[^\]]*-[^\]]*\]|\{\d+(?:,\d*)?\}|\.\*|\.\+|\(\?|\^\\|\$$")
#: placeholders standing where a value should be
PLACEHOLDERS = re.compile(
    r"\{[A-Za-z_][A-Za-z0-9_:.%]*\}"  # a template field left unrendered
    r"|\?\s*\?|\(\?/\?\)|(?<![\w）)])\?(?![\w（(])"  # ? ? (?/?) and a lone ?
    r"|(?<![\w.])(?:None|nan|NaN|null|unknown|submission|inf)(?![\w.])"
    r"|(?:[≥≤<>=]\s*—)|(?:—\s*[≥≤<>])"  # a comparison with a dash for a side
    r"|(?:\s|[：:])—(?:[，。；、）)\s]|$)"  # a dash standing for a value
    r"|(?:^|\s)→\s*[（(]|(?:^|\s)→\s*$|^\s*→"  # a pair of subjects with one unnamed
    r"|(?P<same>[^\s（）]{2,})（(?P=same)）"  # a subject named by its id twice
    r"|\[message template error"
)


def lint(text: str) -> list[str]:
    """What is wrong with one Chinese message (nothing: ``[]``)."""
    problems = []
    bare = _FILE.sub(" ", text)
    words = {w for w in _WORD.findall(bare) if w in IDENTIFIERS and (len(w) > 3 or "_" in w)}
    if words:
        problems.append(f"contract identifiers {sorted(words)}")
    if REGEX.search(text):
        problems.append(f"regular expression {REGEX.search(text).group(0)!r}")
    m = PLACEHOLDERS.search(bare)
    if m:
        problems.append(f"placeholder {m.group(0)!r}")
    return problems


@pytest.fixture(scope="module")
def host():
    return get_plugin_host(entry_points=False)


@pytest.mark.parametrize("case", case_params(CASES))
def test_zh_messages_read_as_chinese(case, host):
    findings = run_case(case, host)
    bad = {f.message.zh: lint(f.message.zh) for f in findings if lint(f.message.zh)}
    assert not bad, "\n".join(f"{msg!r}: {'; '.join(why)}" for msg, why in bad.items())


@pytest.mark.parametrize(
    ("text", "caught"),
    [
        ("区县代码 应符合 \\d{6}", "regular expression"),
        ("县级以上骨干教师数（key_teachers）6 人", "contract identifiers"),
        ("学校 submission 未达标", "placeholder"),
        ("? ? (?/?)", "placeholder"),
        ("要求 ≥ —", "placeholder"),
        ("开学摸排日期 —，未达标", "placeholder"),
        ("低于标准 85% 的：—）", "placeholder"),
        ("2164000001（2164000001）督导发现问题", "placeholder"),
        (" → （D01/2164000001）：督导 0 次", "placeholder"),
        ("督学 {subject_name} 未达标", "placeholder"),
    ],
)
def test_the_lint_catches_what_it_is_for(text, caught):
    assert any(p.startswith(caught) for p in lint(text)), lint(text)


@pytest.mark.parametrize(
    "text",
    [
        "生均体育运动场馆面积 6.80 平方米，未达标（schools.csv 第 2 行，单元格 Q2）",
        "区县代码应为 6 位数字代码（county.csv 第 3 行）",
        "「README.md」未读取：没有读取 .md 文件的读取器",
        "马志刚 → 贺兰县第六小学（HLDX01/2164000409）：督导 3 次",
    ],
)
def test_the_lint_lets_plain_chinese_through(text):
    assert lint(text) == []
