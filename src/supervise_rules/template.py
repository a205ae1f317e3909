"""``supervise-check template``: the blank workbook a county sends to its schools.

The workbook is the data contract made fillable:

* a ``说明`` sheet first: the manifest, one row per key (Chinese key in column
  A, the value to fill in column B, what it means in column C), then a few
  lines on how to fill the workbook;
* one sheet per table the ruleset needs (every core table when no ruleset is
  given; every known table, plugins' included, when a rule does not say which
  tables it reads), named by the
  table's Chinese name, a single header row of Chinese headers with the unit
  in brackets (``在校生数（人）``), required headers in red;
* a note (comment) on every header cell: English name, type, unit, codes,
  whether it is required, description;
* drop-down lists of the Chinese labels for coded columns (是/否 for yes/no
  columns), warnings for negative counts, ratios outside 0..1 and impossible
  dates; text columns formatted as text (so ``0951…`` keeps its zero), dates as
  dates, ratios as percentages;
* a frozen header row, an autofilter and column widths that fit the headers.

Nothing is pre-filled: the county fills the manifest, the schools the rows.
Read back, filled, the workbook is a clean submission (no ``READ-xx`` finding):
``tests/test_template.py`` makes sure of it.

Which tables a ruleset needs is read from its rules' validated parameters:
every parameter named ``table``, ``…_table`` or ``tables`` (at any depth, so
``count.table`` and ``tables[].table`` count too) that names a known table.
Validators do not otherwise declare what they read, so a rule none of whose
parameters names a table (a plugin validator with a fixed table) makes the
template fall back to every known table: the core tables and those of the
loaded plugins.

The bytes are deterministic (a fixed creation date), and the file is written
atomically; an existing path that is not a regular file is refused.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .contract import KINDS, MANIFEST_ZH, header_with_unit, own_description, unit_text
from .errors import SuperviseRulesError
from .rules import named_tables
from .tables import CORE_TABLES, MANIFEST, TABLES, ColumnSpec, TableSpec

#: the workbook's creation date (xlsxwriter would stamp the current time)
CREATED = dt.datetime(2000, 1, 1)
#: last sheet row (0-based) that data validations and formats cover
LAST_ROW = 1_048_575
#: Excel's limit on a drop-down list given inline (comma-separated)
MAX_LIST_CHARS = 255
_BAD_SHEET_CHARS = set("[]:*?/\\")


@dataclass(frozen=True)
class TemplatePlan:
    """What the workbook holds: the tables and why those."""

    tables: list[TableSpec]
    #: the ruleset the tables were chosen for, or ``None`` (every core table)
    ruleset: str | None = None
    #: some rules name no table: every known table (core and plugins') was included
    fallback: bool = False

    def describe(self) -> tuple[str, str]:
        """Why these tables, in Chinese and English."""
        names_zh = "、".join(t.zh for t in self.tables)
        names_en = ", ".join(t.name for t in self.tables)
        if self.ruleset is None:
            return (
                f"未指定规则集，包含数据规范的全部核心表：{names_zh}",
                f"no ruleset given: every core table of the data contract ({names_en})",
            )
        if self.fallback:
            return (
                f"规则集 {self.ruleset} 中有规则未注明所用的表，因此包含全部表：{names_zh}",
                f"ruleset {self.ruleset}: some rules do not name their tables, so every "
                f"known table is included ({names_en})",
            )
        return (
            f"按规则集 {self.ruleset} 生成，包含其规则用到的表：{names_zh}",
            f"the tables the rules of ruleset {self.ruleset} use ({names_en})",
        )


def ruleset_tables(ruleset: Any, tables: Mapping[str, TableSpec] | None = None) -> tuple[list[str], bool]:
    """The tables the rules of ``ruleset`` name in their parameters, in contract
    order, and whether every rule names at least one (``False``: the list may
    be incomplete)."""
    known = TABLES if tables is None else tables
    used: set[str] = set()
    complete = True
    for rule in ruleset.rules:
        found = named_tables(rule.params, known)
        complete = complete and bool(found)
        used |= found
    return [name for name in known if name in used], complete


def plan(ruleset: Any = None, tables: Mapping[str, TableSpec] | None = None) -> TemplatePlan:
    """The tables of the template for ``ruleset`` (a loaded
    :class:`~supervise_rules.rulesets.Ruleset`, or ``None`` for every core table)."""
    known = dict(CORE_TABLES) if tables is None else dict(tables)
    if ruleset is None:
        return TemplatePlan(tables=list(CORE_TABLES.values()))
    names, complete = ruleset_tables(ruleset, known)
    if not complete:  # a table some rule reads without naming it may be any of them
        names = list(known)
    return TemplatePlan(tables=[known[n] for n in names], ruleset=ruleset.id, fallback=not complete)


# --- the workbook ---------------------------------------------------------------------------


def _width(text: str) -> int:
    """Display width: a CJK character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_name(spec: TableSpec) -> str:
    """The table's Chinese name, if Excel allows it as a sheet name (it always
    does for the core tables), else its English name."""
    name = spec.zh
    if len(name) > 31 or set(name) & _BAD_SHEET_CHARS or name.startswith("'"):
        return spec.name[:31]
    return name


def _required_text(column: ColumnSpec) -> str:
    if column.key:
        return "是（关键列，用于识别记录）"
    return "是" if column.required else "否"


def column_note(column: ColumnSpec) -> str:
    """The comment on a header cell."""
    kind_zh, kind_en, _ = KINDS.get(column.kind, (column.kind, column.kind, ""))
    lines = [f"{column.zh}（{column.name}）", f"类型：{kind_zh}（{kind_en}）"]
    if column.unit:
        lines.append(f"单位：{unit_text(column.unit)}")
    if column.kind == "enum":
        lines.append("可选：" + "、".join(f"{lb}（{c}）" for c, lb in column.labels.items()))
    elif column.kind == "bool":
        lines.append("可选：是、否")
    elif column.kind == "ratio":
        lines.append("填写 0.9372 或 93.72%")
    elif column.kind == "date":
        lines.append("填写日期，如 2024-09-30")
    lines.append(f"必填：{_required_text(column)}")
    if own_description(column):
        lines.append(f"说明：{own_description(column)}")
    return "\n".join(lines)


def _validation(column: ColumnSpec) -> dict[str, Any] | None:
    """The data validation of a column's cells, or ``None``."""
    if column.kind in ("enum", "bool"):
        choices = list(column.labels.values()) if column.kind == "enum" else ["是", "否"]
        if not choices or sum(len(c) + 1 for c in choices) > MAX_LIST_CHARS or any("," in c for c in choices):
            return None  # Excel cannot show it inline; the note lists the choices
        return {
            "validate": "list",
            "source": choices,
            "error_title": column.zh,
            "error_message": "请从下拉列表中选择：" + "、".join(choices),
        }
    common = {"error_type": "warning", "error_title": column.zh}
    match column.kind:
        case "int":
            return {
                "validate": "integer",
                "criteria": ">=",
                "value": 0,
                "error_message": "应为不小于 0 的整数",
                **common,
            }
        case "float":
            return {
                "validate": "decimal",
                "criteria": ">=",
                "value": 0,
                "error_message": "应为不小于 0 的数值",
                **common,
            }
        case "ratio":
            return {
                "validate": "decimal",
                "criteria": "between",
                "minimum": 0,
                "maximum": 1,
                "error_message": "应为 0 到 1 之间的比例（如 93.72%）",
                **common,
            }
        case "date":
            return {
                "validate": "date",
                "criteria": "between",
                "minimum": dt.date(1900, 1, 1),
                "maximum": dt.date(2100, 12, 31),
                "error_message": "应为日期，如 2024-09-30",
                **common,
            }
    return None


class _Formats:
    def __init__(self, book: Any):
        border = {"border": 1, "valign": "vcenter", "text_wrap": True}
        self.head = book.add_format({"bold": True, "bg_color": "#DDEBF7", **border})
        self.head_required = book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "font_color": "#C00000", **border}
        )
        self.note = book.add_format({"text_wrap": True, "valign": "top"})
        self.notes_title = book.add_format({"bold": True})
        self.cell = {
            "str": book.add_format({"num_format": "@"}),
            "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "ratio": book.add_format({"num_format": "0.00%"}),
        }

    def of(self, column: ColumnSpec) -> Any:
        return self.cell.get(column.kind)


def _manifest_sheet(book: Any, fmt: _Formats, the_plan: TemplatePlan) -> None:
    sheet = book.add_worksheet(MANIFEST.zh)
    sheet.write_row(0, 0, ["项目", "填写内容", "说明"], fmt.head)
    row = 0
    for row, column in enumerate(MANIFEST.columns.values(), start=1):
        sheet.write_string(row, 0, column.zh)
        if (cell := fmt.of(column)) is not None:
            sheet.write_blank(row, 1, None, cell)
        explanation = MANIFEST_ZH.get(column.name) or own_description(column) or column.zh
        kind_zh = KINDS.get(column.kind, (column.kind,))[0]
        sheet.write_string(row, 2, f"{explanation}（{column.name}，{kind_zh}）", fmt.note)
        if (check := _validation(column)) is not None:
            sheet.data_validation(row, 1, row, 1, check)
    why_zh, _ = the_plan.describe()
    notes = [
        "填表说明",
        f"1. 本模板由 supervise-check template 生成：{why_zh}。",
        "2. 请在本表 B 列填写清单各项（单个区县填区县代码，多个区县合并报送填区划代码）。",
        "3. 其余每张工作表一行一条记录，从第 2 行起填写；请勿修改表头、工作表名称，"
        "勿插入标题行、合计行或签名行。",
        "4. 红色表头为必填列；带下拉箭头的列请从列表中选择；鼠标移到表头上可查看字段说明"
        "（英文字段名、类型、单位、可选值）。",
        "5. 数值按表头括号中的单位填写（如 教学仪器设备值（元）填元，不填万元）。",
    ]
    for i, text in enumerate(notes, start=row + 2):
        sheet.merge_range(i, 0, i, 2, text, fmt.notes_title if i == row + 2 else fmt.note)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 24)
    sheet.set_column(2, 2, 70)
    sheet.freeze_panes(1, 0)


def _table_sheet(book: Any, fmt: _Formats, spec: TableSpec) -> None:
    sheet = book.add_worksheet(_sheet_name(spec))
    columns = list(spec.columns.values())
    for j, column in enumerate(columns):
        header = header_with_unit(column)
        sheet.write_string(0, j, header, fmt.head_required if column.required else fmt.head)
        note = column_note(column)
        sheet.write_comment(
            0,
            j,
            note,
            {
                "author": "supervise-check",
                "width": 300,
                "height": 22 + 17 * (note.count("\n") + 1 + sum(_width(x) // 40 for x in note.split("\n"))),
            },
        )
        sheet.set_column(j, j, min(max(10, _width(header) + 4), 40), fmt.of(column))
        if (check := _validation(column)) is not None:
            sheet.data_validation(1, j, LAST_ROW, j, check)
    sheet.set_row(0, 32)
    sheet.freeze_panes(1, 0)
    if columns:
        sheet.autofilter(0, 0, 0, len(columns) - 1)


def workbook_bytes(the_plan: TemplatePlan) -> bytes:
    """The template workbook (``.xlsx``) as bytes."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_properties(
        {
            "title": "教育督导数据填报模板",
            "subject": the_plan.describe()[1],
            "author": "supervise-check",
            "created": CREATED,
        }
    )
    fmt = _Formats(book)
    _manifest_sheet(book, fmt, the_plan)
    for spec in the_plan.tables:
        _table_sheet(book, fmt, spec)
    book.close()
    return out.getvalue()


def check_template_path(path: str | os.PathLike[str]) -> None:
    """Refuse a path that exists and is not a regular file (a directory, a
    FIFO, a device): the template replaces a file, never anything else."""
    shown = Path(path)
    try:
        st = os.stat(shown)  # follows a symlink: a link to a regular file is fine
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SuperviseRulesError(f"cannot write {shown}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise SuperviseRulesError(
            f"cannot write {shown}: it exists and is {what}; give the path of a new or an "
            "existing regular .xlsx file"
        )


def write_template(path: str | os.PathLike[str], the_plan: TemplatePlan) -> None:
    """Write the template to ``path`` atomically (see :func:`check_template_path`)."""
    from .reporters import write_atomically

    check_template_path(path)
    write_atomically(path, workbook_bytes(the_plan))


def sheet_names(the_plan: TemplatePlan) -> Iterable[str]:
    yield MANIFEST.zh
    for spec in the_plan.tables:
        yield _sheet_name(spec)


__all__ = ["TemplatePlan", "plan", "ruleset_tables", "workbook_bytes", "write_template"]
