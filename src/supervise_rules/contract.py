"""The data contract as a document: ``docs/data-contract.md`` is generated here.

Everything comes from the table specs of :mod:`supervise_rules.tables` (tables,
columns, Chinese headers, aliases, units, kinds, enum labels, required flags,
the manifest keys), so the document cannot drift from what the readers accept:
``tests/test_data_contract_doc.py`` fails when a spec changes and the document
is not regenerated. Regenerate it with::

    python docs/gen_data_contract.py           # rewrite docs/data-contract.md
    python docs/gen_data_contract.py --check   # exit 1 if it is stale

``python -m supervise_rules.contract`` prints the same Markdown.

The unit and kind wordings below are shared with the blank workbook
(:mod:`supervise_rules.template`) and the submission JSON Schema
(:func:`supervise_rules.schemas.submission_schema`).
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import Iterable, Mapping

from .tables import CORE_TABLES, MANIFEST, ColumnSpec, TableSpec

#: contract unit -> (Chinese, English); the Chinese form is what a header
#: carries in brackets (``在校生数（人）``)
UNITS: dict[str, tuple[str, str]] = {
    "persons": ("人", "persons"),
    "yuan": ("元", "yuan"),
    "m2": ("平方米", "m2"),
    "rooms": ("间", "rooms"),
    "hours": ("学时", "hours"),
    "ratio": ("比例", "ratio"),
}

#: units a header does not carry in brackets: a ratio is written 0.9372 or 93.72%
#: in the cell itself
UNITS_NOT_IN_HEADER = frozenset({"ratio"})

#: value kind -> (Chinese, English, what a cell may hold)
KINDS: dict[str, tuple[str, str, str]] = {
    "str": ("文本", "text", "any text"),
    "int": ("整数", "integer", "`1234`, `1,234`, `+12`, `12.0`"),
    "float": ("数值", "number", "`1234.5`, `1,234.5`, `1e3`"),
    "ratio": (
        "比例",
        "ratio",
        "`0.9801` or `98.01%` (both read as 0.9801); a bare number above 1 "
        "(`98.01`) is implausible unless the header says `（%）`",
    ),
    "bool": ("是/否", "yes/no", "是/否, Y/N, yes/no, true/false, 1/0, T/F (any case)"),
    "date": (
        "日期",
        "date",
        "`2024-03-01`, `2024/3/1`, `2024.3.1`, `2024年3月1日`, `20240301`, an Excel date "
        "(or serial day number); a time of day is dropped",
    ),
    "enum": ("代码", "code", "the English code (`public`) or the Chinese label (`公办`)"),
}

#: Chinese meaning of each manifest key (the specs' descriptions are English)
MANIFEST_ZH: dict[str, str] = {
    "county_code": "6 位区县行政区划代码，如 640122；单个区县报送时填写",
    "county_name": "区县名称，如 贺兰县",
    "region_code": "一批区县合并报送时填写（省 xx0000、地市 xxxx00、全国 000000），此时不填区县代码",
    "region_name": "合并报送时的区划名称，如 银川市",
    "year": "报告年度，如 2024",
    "as_of": "统计截止日期：所有期限类规则以此日为“今天”，如 2024-09-30",
    "submitted_by": "填报单位，如 贺兰县教育督导室",
}


#: English meaning of the manifest keys whose spec gives only the Chinese key
MANIFEST_EN: dict[str, str] = {
    "county_name": "the county's name",
    "region_name": "the name of the region of a batch",
    "submitted_by": "the office that submits",
}


def unit_zh(unit: str | None) -> str | None:
    """The Chinese unit (``人``); an unknown unit of a plugin table as written."""
    if unit is None:
        return None
    return UNITS.get(unit, (unit, unit))[0]


def unit_text(unit: str | None) -> str:
    """``人 (persons)`` for a document, ``""`` for no unit."""
    if unit is None:
        return ""
    zh, en = UNITS.get(unit, (unit, unit))
    return zh if zh == en else f"{zh} ({en})"


_HAS_UNIT = re.compile(r"[(（][^()（）]*[)）]\s*$")


def header_with_unit(column: ColumnSpec) -> str:
    """The Chinese header a blank workbook shows: ``在校生数（人）`` (a header
    that already ends with a unit in brackets is kept as it is)."""
    zh = unit_zh(column.unit)
    if zh is None or column.unit in UNITS_NOT_IN_HEADER or _HAS_UNIT.search(column.zh):
        return column.zh
    return f"{column.zh}（{zh}）"


def kind_text(column: ColumnSpec) -> str:
    zh, en, _ = KINDS.get(column.kind, (column.kind, column.kind, ""))
    return f"{en} ({zh})"


def own_description(column: ColumnSpec) -> str:
    """The column's description, or ``""`` where it only repeats the header."""
    text = column.description.strip()
    return "" if text in ("", column.zh) else text


def model_doc(spec: TableSpec) -> str:
    """The row model's docstring, reST literals as Markdown, on one line."""
    doc = inspect.cleandoc(spec.model.__doc__ or "")
    doc = re.sub(r"``([^`]+)``", r"`\1`", doc)
    return " ".join(doc.split())


def _md(text: str) -> str:
    """A table cell: pipes escaped, newlines folded."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _codes(values: Iterable[str]) -> str:
    return ", ".join(f"`{v}`" for v in values)


def _enum_text(column: ColumnSpec) -> str:
    if column.kind == "bool":
        return "是 / 否"
    return "; ".join(f"`{code}` {label}" for code, label in column.labels.items())


def range_text(column: ColumnSpec) -> str:
    """The values a column can plausibly hold (``≥ 0``, ``0 – 1 (0% – 100%)``,
    ``1949-10-01 – 2100-12-31``); a value outside is READ-16. Codes, yes/no and
    text: their kind is their domain."""
    lo, hi = column.bounds
    if lo is None and hi is None:
        return {"enum": "one of the codes", "bool": "yes / no"}.get(column.kind, "any text")

    def shown(value: object, percent: bool = False) -> str:
        if percent and isinstance(value, int | float):
            return f"{round(float(value) * 100, 10):g}%"
        if isinstance(value, dt.date):
            return value.isoformat()
        return f"{value:g}" if isinstance(value, float) else str(value)

    def span(percent: bool = False) -> str:
        if lo is not None and hi is not None:
            return f"{shown(lo, percent)} – {shown(hi, percent)}"
        if lo is not None:
            return f"≥ {shown(lo, percent)}"
        return f"≤ {shown(hi, percent)}"

    if column.kind == "ratio":
        if column.percent:
            return f"{span(True)} (a bare number is a percentage)"
        return f"{span()} ({span(True)} with %)"
    if column.kind == "int":
        return f"{span()}, whole"
    if column.not_after_as_of:
        return f"{span()}, not after `as_of`"
    return span()


def _anchor(spec: TableSpec) -> str:
    """GitHub's anchor of the section heading of ``spec`` (name, em dash, zh)."""
    return f"{spec.name}--{spec.zh}".lower()


def table_section(spec: TableSpec) -> str:
    key = _codes(spec.key) if spec.key else "none (rows are not identified by a key)"
    parts = [
        f"### `{spec.name}` — {spec.zh}",
        "",
        model_doc(spec),
        "",
        f"- Chinese name (sheet, file stem or JSON key): {spec.zh}",
        f"- Other accepted names: {_codes(spec.aliases) if spec.aliases else 'none'}",
        f"- Subject of its findings: `{spec.subject_type}`",
        f"- Key: {key}",
        "",
        "| column | Chinese header | accepted aliases | unit | type | range | values | required | "
        "description |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in spec.columns.values():
        required = "yes (key)" if c.key else "yes" if c.required else "no"
        parts.append(
            f"| `{c.name}` | {_md(c.zh)} | {_md('、'.join(c.aliases))} | {unit_text(c.unit)} "
            f"| {kind_text(c)} | {_md(range_text(c))} | {_md(_enum_text(c))} | {required} "
            f"| {_md(own_description(c))} |"
        )
    return "\n".join(parts)


def manifest_section(manifest: TableSpec = MANIFEST) -> str:
    parts = [
        "| key | Chinese key | accepted aliases | type | meaning | 说明 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in manifest.columns.values():
        meaning = own_description(c) or MANIFEST_EN.get(c.name, c.zh)
        parts.append(
            f"| `{c.name}` | {c.zh} | {_md('、'.join(c.aliases))} | {kind_text(c)} | "
            f"{_md(meaning)} | {_md(MANIFEST_ZH.get(c.name, ''))} |"
        )
    return "\n".join(parts)


INTRO = """\
# The data contract (数据规范)

<!-- Generated by docs/gen_data_contract.py from src/supervise_rules/tables.py.
     Do not edit by hand: change the table specs and regenerate. -->

A submission is a **manifest** (说明) and a set of **tables** (学校, 幼儿园 …), in any
container the readers accept: a folder of CSV / xlsx / JSON / parquet files with a
`submission.yaml`, one workbook with a `说明` sheet and one sheet per table, or one
JSON document `{"manifest": {...}, "schools": [...], ...}`
([readers.md](readers.md) says how each is read). Tables and columns are named in
English (`schools`, `students`), in Chinese (`学校`, `在校生数`) or by one of the
accepted aliases listed below; a header may carry its unit in brackets
(`在校生数（人）`). Every table is optional: a rule whose table
is absent is `not_applicable` (or `error` where the rule says the data is required).

- `supervise-check template -o 模板.xlsx [--ruleset ID]` writes the blank workbook of
  this contract (Chinese headers with units, drop-down lists for codes, a note on
  every header) for a county to send to its schools.
- `supervise-check schema submission` prints the JSON Schema of the JSON form.
- Plugins add tables (`register_tables`) and aliases; `supervise-check schema
  submission --plugin MODULE` includes them, `template --plugin MODULE --ruleset ID`
  the plugin tables the ruleset uses. This document lists the core contract only."""


def units_section() -> str:
    rows = ["| unit | 中文 | in a header |", "| --- | --- | --- |"]
    for unit, (zh, _en) in UNITS.items():
        shown = "— (written in the cell: 0.9372 or 93.72%)" if unit in UNITS_NOT_IN_HEADER else f"`…（{zh}）`"
        rows.append(f"| `{unit}` | {zh} | {shown} |")
    return "\n".join(rows)


def kinds_section() -> str:
    rows = ["| type | 中文 | a cell may hold |", "| --- | --- | --- |"]
    for kind, (zh, en, accepted) in KINDS.items():
        rows.append(f"| {en} (`{kind}`) | {zh} | {accepted} |")
    return "\n".join(rows)


def overview_section(tables: Mapping[str, TableSpec]) -> str:
    rows = [
        "| table | Chinese name | other names | subject | key | columns |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for spec in tables.values():
        rows.append(
            f"| [`{spec.name}`](#{_anchor(spec)}) | {spec.zh} | {_md('、'.join(spec.aliases))} "
            f"| `{spec.subject_type}` | {_codes(spec.key)} | {len(spec.columns)} |"
        )
    return "\n".join(rows)


def markdown(tables: Mapping[str, TableSpec] | None = None) -> str:
    """The whole document (``docs/data-contract.md``) for ``tables`` (default:
    the core tables)."""
    tables = CORE_TABLES if tables is None else tables
    parts = [
        INTRO,
        "## Units",
        "Values are in the contract's unit. A header's unit in brackets is read; "
        "the Chinese unit is what the blank workbook writes.",
        units_section(),
        "## Types",
        "What a cell of each type may hold (after full-width characters are folded: "
        "`１２３` reads as `123`). A cell that holds something else is a `READ-01` "
        "finding naming its row and column; a blank cell is missing. A value outside its "
        "column's **range** (below) is a `READ-16` finding and is left out of every "
        "indicator: counts and amounts are never negative, a ratio lies within 0 – 1 "
        "(after `98%` is read as 0.98), a date within 1949-10-01 – 2100-12-31, and the "
        "date of something that has happened (a visit, a check, a case found or closed, a "
        "letter signed) not after the manifest's `as_of`.",
        kinds_section(),
        "## The manifest (说明)",
        "`submission.yaml` (keys in English or Chinese), the `说明` / `manifest` sheet of "
        "a workbook (column A the key, column B the value; other rows are ignored) or the "
        "`manifest` object of a JSON document. A YAML or JSON manifest may carry other "
        "keys too; `ruleset` names the ruleset `supervise-check` uses by default.",
        manifest_section(),
        "## Tables",
        overview_section(tables),
        *(table_section(spec) for spec in tables.values()),
    ]
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":  # pragma: no cover - a convenience
    import sys

    sys.stdout.write(markdown())
