"""Where the clerk finds a finding: file, sheet, the sheet's own row and the cell.

Rules cite data rows (``evidence.rows``: the n-th data row under the header);
a clerk looks at ``学校.xlsx``, sheet 学校, row 32, cell H32. A
:class:`TablePlace` per table turns one into the other column-wise, for the
evidence (``file``, ``sheet``, ``lines``, ``headers``, ``cells``) and for a
location written into the message — the same numbering the READ-xx findings
use (:mod:`supervise_rules.readers.problems`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .readers.problems import Place

ROW = "__row__"
LINE = "__line__"
#: in ``Table.unreadable`` frames: what an implausible cell should have held
WHY_ZH, WHY_EN = "why_zh", "why_en"
_ROWS = pl.List(pl.Int64)
_TEXTS = pl.List(pl.String)
#: separates cell references while they are one text (never in a cell reference)
_SEP = "\x1f"


@dataclass(frozen=True)
class TablePlace:
    """How one table's rows and columns are shown to the clerk."""

    file: str | None
    sheet: str | None
    locator: str  # "line" | "row" | "record"
    #: file line / sheet row of the header: data row r is on line offset + r
    offset: int
    #: ``__row__, __line__`` where lines are not offset + row (CSV cells spanning lines)
    lines: pl.DataFrame | None = None
    letters: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    #: ``column, __row__, raw, why_zh, why_en``: cells whose value could not be read
    #: or was implausible (``why_*``: what it should have been), null in the frame
    unreadable: pl.DataFrame | None = None

    @property
    def place(self) -> Place:
        return Place(self.file, self.sheet, self.locator)

    # -- evidence ---------------------------------------------------------------

    def line_list(self, rows: pl.Expr) -> pl.Expr:
        """The clerk's line of each row of a list of rows."""
        if self.lines is None:
            return rows.list.eval(pl.element() + self.offset)
        old = self.lines.get_column(ROW)
        new = self.lines.get_column(LINE)
        return rows.list.eval(
            pl.element().replace_strict(old, new, default=pl.element() + self.offset, return_dtype=pl.Int64)
        )

    def sheet_row(self, row: pl.Expr) -> pl.Expr:
        """The row a spreadsheet program shows a data row on (one record a
        row): the line, unless a quoted CSV cell spanning lines moved it."""
        return row + self.offset

    def line_of(self, row: pl.Expr) -> pl.Expr:
        """The clerk's line of one row (a scalar column)."""
        if self.lines is None:
            return row + self.offset
        return row.replace_strict(
            self.lines.get_column(ROW),
            self.lines.get_column(LINE),
            default=row + self.offset,
            return_dtype=pl.Int64,
        )

    def header_list(self, columns: list[str], lead: pl.Expr | None) -> pl.Expr:
        static = pl.lit([self.headers.get(c, c) for c in columns], dtype=_TEXTS)
        if lead is None:
            return static
        shown = (
            lead.replace_strict(dict(self.headers), default=lead, return_dtype=pl.String)
            if self.headers
            else lead
        )
        return (
            pl.when(lead.is_null())
            .then(static)
            .otherwise(pl.concat_list([shown, static]).list.unique(maintain_order=True))
        )

    def cell_list(self, columns: list[str], lead: pl.Expr | None, line: pl.Expr) -> pl.Expr:
        """The cells (``H32``) of one row's columns; null unless ``line`` is set.

        Built as one text split apart: polars concatenates a list of string
        columns several times slower than it splits one string."""
        text = line.cast(pl.String)
        letters = list(dict.fromkeys(self.letters[c] for c in columns if c in self.letters))
        pieces: list[pl.Expr] = []
        for letter in letters:
            pieces += [pl.lit(_SEP + letter), text]
        static = pl.concat_str(pieces).str.slice(1) if pieces else None
        if lead is not None and self.letters:
            lead_letter = lead.replace_strict(dict(self.letters), default=None, return_dtype=pl.String)
            both = [pl.concat_str([lead_letter, text])]
            if static is not None:
                both.append(static)
            # the lead column may be one of the others, or have no letter
            listed = pl.concat_str(both, separator=_SEP, ignore_nulls=True).str.split(_SEP)
            listed = listed.list.unique(maintain_order=True)
        elif static is not None:
            listed = static.str.split(_SEP)
        else:
            return pl.lit(None, dtype=_TEXTS)
        return pl.when(line.is_not_null()).then(listed)

    # -- messages -------------------------------------------------------------

    def where(
        self,
        line: pl.Expr,
        cells: pl.Expr,
        lang: str,
        plural: pl.Expr | None = None,
        inline: bool = False,
        sheet_row: pl.Expr | None = None,
    ) -> pl.Expr:
        """``学校.xlsx 工作表「学校」第 32 行（单元格 H32）``, column-wise;
        ``line`` is text or a number, ``plural`` says it lists several;
        ``inline`` words it for parentheses: ``…第 32 行，单元格 H32``;
        ``sheet_row``: the spreadsheet's row of a text line, said where it differs
        (``第 7 行（在 Excel 中为第 6 行，单元格 H6）``), as the READ findings do."""
        zh_t, en_t = self.place.table()
        text = line.cast(pl.String)
        joined = cells.list.join("、" if lang == "zh" else ", ")
        has_cells = cells.list.len().fill_null(0) > 0
        if self.locator == "record":
            if lang == "zh":
                return pl.concat_str([pl.lit(_sp(zh_t) + "第 "), text, pl.lit(" 条记录")])
            noun = (
                pl.lit("record ")
                if plural is None
                else pl.when(plural).then(pl.lit("records ")).otherwise(pl.lit("record "))
            )
            return pl.concat_str([pl.lit(f"{en_t}, "), noun, text])
        moved = None
        if sheet_row is not None and self.lines is not None and self.locator == "line":
            moved = pl.when(sheet_row.cast(pl.String) != text).then(sheet_row.cast(pl.String))
        if lang == "zh":
            sep, before, after = ("，", "，", "") if inline else ("，", "（", "）")
            ref = pl.when(has_cells).then(pl.concat_str([pl.lit("单元格 "), joined]))
            parts: list[pl.Expr] = [ref]
            if moved is not None:
                parts.insert(0, pl.concat_str([pl.lit("在 Excel 中为第 "), moved, pl.lit(" 行")]))
            inner = pl.concat_str(parts, separator=sep, ignore_nulls=True)
            tail = (
                pl.when(inner.str.len_chars() > 0)
                .then(pl.concat_str([pl.lit(before), inner, pl.lit(after)]))
                .otherwise(pl.lit(""))
            )
            return pl.concat_str([pl.lit(_sp(zh_t) + "第 "), text, pl.lit(" 行"), tail.fill_null("")])
        word = "row" if self.locator == "row" else "line"
        noun = (
            pl.lit(f"{word} ")
            if plural is None
            else pl.when(plural).then(pl.lit(f"{word}s ")).otherwise(pl.lit(f"{word} "))
        )
        many = cells.list.len() > 1
        cell_noun = pl.when(many).then(pl.lit("cells ")).otherwise(pl.lit("cell "))
        ref = pl.when(has_cells).then(pl.concat_str([cell_noun, joined]))
        parts = [ref]
        if moved is not None:
            parts.insert(0, pl.concat_str([pl.lit("row "), moved, pl.lit(" in Excel")]))
        inner = pl.concat_str(parts, separator=", ", ignore_nulls=True)
        before, after = (", ", "") if inline else (" (", ")")
        tail = (
            pl.when(inner.str.len_chars() > 0)
            .then(pl.concat_str([pl.lit(before), inner, pl.lit(after)]))
            .otherwise(pl.lit(""))
        )
        return pl.concat_str([pl.lit(f"{en_t}, "), noun, text, tail.fill_null("")])

    def where_text(self, row: int | None, column: str | None, lang: str) -> str:
        """:meth:`where` of one data row and column, as text."""
        if row is None:
            return self.place.table()[0 if lang == "zh" else 1]
        line = self.offset + row
        if self.lines is not None:
            found = self.lines.filter(pl.col(ROW) == row)
            line = int(found.item(0, LINE)) if found.height else line
        sheet_row = self.offset + row
        letter = self.letters.get(column or "")
        cells = [f"{letter}{sheet_row}"] if letter else []
        text: str = pl.select(
            self.where(pl.lit(line), pl.lit(cells, dtype=_TEXTS), lang, sheet_row=pl.lit(sheet_row))
        ).item()
        return text

    def raw_value(self, row: int | None, column: str | None) -> str | None:
        """The unreadable (or implausible) text a cell held, if it held one."""
        return self.cell_problem(row, column)[0]

    def cell_problem(self, row: int | None, column: str | None) -> tuple[str | None, str | None, str | None]:
        """``(raw, why_zh, why_en)`` of a cell that held something unreadable
        (``why_*`` None) or implausible (``why_*``: what it should have been)."""
        if self.unreadable is None or row is None or column is None:
            return None, None, None
        found = self.unreadable.filter((pl.col("column") == column) & (pl.col(ROW) == row))
        if not found.height:
            return None, None, None
        return found.item(0, "raw"), found.item(0, WHY_ZH), found.item(0, WHY_EN)


def unreadable_frame(table: Any) -> pl.DataFrame | None:
    """``column, __row__, raw, why_zh, why_en`` of every unreadable or
    implausible cell of a table (``why_*`` null for an unreadable one), or ``None``."""
    cells: dict[str, pl.DataFrame] = getattr(table, "unreadable", None) or {}
    if not cells:
        return None
    return pl.concat(
        [
            f.select(
                pl.lit(column, dtype=pl.String).alias("column"),
                pl.col(ROW).cast(pl.Int64),
                pl.col("raw").cast(pl.String),
                *(
                    pl.col(w).cast(pl.String) if w in f.columns else pl.lit(None, dtype=pl.String).alias(w)
                    for w in (WHY_ZH, WHY_EN)
                ),
            )
            for column, f in sorted(cells.items())
        ]
    )


def value_wording(kind: pl.Expr, raw: pl.Expr, lang: str, why: pl.Expr | None = None) -> pl.Expr:
    """What happened to a value a rule needed, in the one wording every rule
    uses: an unreadable cell shows what it held, an implausible one (``why``:
    what it should have been, in ``lang``) what it held and why it was left out,
    a blank is missing, a zero denominator is 0."""
    why = pl.lit(None, dtype=pl.String) if why is None else why
    implausible = raw.is_not_null() & why.is_not_null()
    if lang == "zh":
        return (
            pl.when(implausible)
            .then(
                pl.concat_str(
                    [pl.lit("超出合理范围（原值「"), raw, pl.lit("」，"), why, pl.lit("），无法计算本指标")]
                )
            )
            .when(raw.is_not_null())
            .then(pl.concat_str([pl.lit("无法识别（原值「"), raw, pl.lit("」），无法计算本指标")]))
            .when(kind == "zero")
            .then(pl.lit("为 0，作为分母无法计算本指标"))
            .otherwise(pl.lit("缺失，无法计算本指标"))
        )
    quoted = pl.concat_str([pl.lit("'"), raw.str.replace_all("'", "\\'", literal=True), pl.lit("'")])
    return (
        pl.when(implausible)
        .then(
            pl.concat_str(
                [
                    pl.lit(": the value "),
                    quoted,
                    pl.lit(" is outside the plausible range ("),
                    why,
                    pl.lit("); the indicator cannot be computed"),
                ]
            )
        )
        .when(raw.is_not_null())
        .then(
            pl.concat_str(
                [pl.lit(": the value "), quoted, pl.lit(" cannot be read; the indicator cannot be computed")]
            )
        )
        .when(kind == "zero")
        .then(pl.lit(": the value is 0 and is a denominator; the indicator cannot be computed"))
        .otherwise(pl.lit(": the value is missing; the indicator cannot be computed"))
    )


def _sp(zh: str) -> str:
    return f"{zh} " if zh[-1:].isascii() else zh


def places_of(submission: Any) -> dict[str, TablePlace]:
    """A :class:`TablePlace` for every table read from a file or a named entry of
    an in-memory document (its n-th record); a :class:`Table` built by hand has
    no place to show."""
    out = {}
    for name, table in submission.tables.items():
        if getattr(table, "file", None) is None and getattr(table, "sheet", None) is None:
            continue
        out[name] = TablePlace(
            file=table.file,
            sheet=table.sheet,
            locator=table.locator,
            offset=table.header_line,
            lines=table.lines,
            letters=dict(table.letters),
            headers=dict(table.headers),
            unreadable=unreadable_frame(table),
        )
    return out
