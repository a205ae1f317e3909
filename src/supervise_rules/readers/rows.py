"""Rows of an export that are not data: totals, notes and signatures, blanks, repeated headers.

Provincial platforms and hand-made workbooks put more than records under the
header: a 合计 row, a 填表人/联系电话 footer, blank separator rows, the header
again on every printed page. Checked as schools, they become findings, 督办单
and waiver targets about schools named 合计 or 0951-8012345. They are
recognised here, column-wise on the raw text, before anything is typed, and
kept out of every rule; a totals row is still useful as the clerk's own
arithmetic check (:func:`totals_mismatches`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..tables import ColumnSpec, normalize_header
from .normalize import ROW

KIND = "__kind__"

#: row kinds, with their wording in READ-07
KINDS: dict[str, tuple[str, str]] = {
    "total": ("合计行", "totals"),
    "subtotal": ("小计行", "subtotals"),
    "footer": ("注释或签名行", "notes or signatures"),
    "header": ("重复的表头行", "repeated header"),
    "blank": ("空行", "blank"),
}

# Whitespace of any width is removed before matching: clerks write 合  计.
_SPACE = r"[\s\u3000]+"
_TOTAL = r"^(?i:[\p{Han}]{0,8}?(?:总合计|合计|总计)(?:[:：].*)?|total|grandtotal|sum)$"
_SUBTOTAL = r"^(?i:[\p{Han}]{0,8}?小计(?:[:：].*)?|subtotal)$"
#: the first filled cell of a footer row; a colon or nothing after the label
_FOOTER = (
    r"^(?:填表人|填报人|制表人|统计人|审核人|审核|审批人|负责人|单位负责人|统计负责人|联系人|"
    r"联系电话|电话|手机|填报日期|填表日期|报送日期|制表日期|日期|填报单位|单位盖章|盖章|备注|"
    r"注|说明|数据来源|资料来源)(?:[:：].*|\d.*)?$"
)


@dataclass(frozen=True)
class NonDataRows:
    """The rows of a table that are not data: ``frame`` has ``__row__`` and
    ``__kind__`` (a key of :data:`KINDS`), in row order."""

    frame: pl.DataFrame

    @property
    def rows(self) -> pl.Series:
        return self.frame.get_column(ROW)

    def of(self, *kinds: str) -> pl.Series:
        return self.frame.filter(pl.col(KIND).is_in(list(kinds))).get_column(ROW)


def non_data_rows(
    data: pl.DataFrame, specs: dict[str, ColumnSpec | None], headers: dict[str, str]
) -> NonDataRows:
    """Classify the rows of ``data`` (raw text cells under their final column
    names, plus ``__row__``): which are totals, footers, blanks or headers.

    Blank rows count only between data rows (trailing blank lines are nothing
    a clerk would call a row of the table).
    """
    names = [n for n in specs if n in data.columns]
    empty = NonDataRows(pl.DataFrame(schema={ROW: pl.Int64, KIND: pl.String}))
    if not names or data.height == 0:
        return empty
    # A cheap pass over the raw text picks the few rows that may not be data;
    # only those are classified (a province's 1M rows must not pay for it).
    textual = [n for n in names if (known := specs[n]) is None or known.kind == "str"]
    scanned = list(dict.fromkeys([names[0], *textual]))
    raw = {n: pl.col(n).cast(pl.String) for n in scanned}
    forms = header_forms(specs, headers)
    # raw cells only: no per-cell folding here (a repeated header is a copy of
    # the header; a row of blanks is null in every reader)
    candidate = pl.any_horizontal(
        [t.str.contains(PREFILTER) | t.is_in(forms[n]) for n, t in raw.items()]
    ).fill_null(False) | pl.all_horizontal([t.is_null() for t in raw.values()])
    subset = data.lazy().filter(candidate).collect()
    if subset.height == 0:
        return empty
    texts = {n: _squeezed(pl.col(n)) for n in names}
    first = pl.coalesce(list(texts.values()))
    # the label of a totals row sits in a text column (a name, an id) or first
    labels = [first, *(texts[n] for n in textual)]
    total = pl.any_horizontal([t.str.contains(_TOTAL) for t in labels]).fill_null(False)
    subtotal = pl.any_horizontal([t.str.contains(_SUBTOTAL) for t in labels]).fill_null(False)
    footer = first.str.contains(_FOOTER).fill_null(False)
    blank = first.is_null()
    repeated = _repeated_header(texts, specs, forms)
    kind = (
        pl.when(blank)
        .then(pl.lit("blank"))
        .when(repeated)
        .then(pl.lit("header"))
        .when(subtotal)
        .then(pl.lit("subtotal"))
        .when(total)
        .then(pl.lit("total"))
        .when(footer)
        .then(pl.lit("footer"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    found = subset.select(ROW, kind.alias(KIND)).filter(pl.col(KIND).is_not_null())
    if found.height:
        # blank lines after the last data row separate nothing
        last = data.lazy().join(found.lazy(), on=ROW, how="anti").select(pl.col(ROW).max())
        last_row = last.collect().item()
        keep = pl.col(KIND) != "blank"
        if last_row is not None:
            keep = keep | (pl.col(ROW) < last_row)
        found = found.filter(keep)
    return NonDataRows(found)


#: what a non-data row's text must contain somewhere (a superset of the patterns)
PREFILTER = r"合|总|小计|填|审|注|备|说明|联系|电话|手机|日期|负责|制表|盖章|来源|统计|单位|(?i:total|sum)"


def header_forms(specs: dict[str, ColumnSpec | None], headers: dict[str, str]) -> dict[str, list[str]]:
    """Per column, the texts a repeated header row holds in it (folded)."""
    out = {}
    for name, spec in specs.items():
        written = headers.get(name, name)
        # folded (for the classification) and as written (for the raw prefilter)
        forms = {normalize_header(written), written, written.strip(), written.strip().lower()}
        if spec is not None:
            forms |= {normalize_header(spec.zh), normalize_header(spec.name), spec.zh}
        out[name] = sorted(forms)
    return out


def _squeezed(column: pl.Expr) -> pl.Expr:
    """The cell's text without any whitespace, NFKC-folded; blank is null."""
    text = column.cast(pl.String).str.normalize("NFKC").str.replace_all(_SPACE, "")
    text = text.str.replace_all("[\u200b\u200c\u200d\ufeff]", "")
    return pl.when(text.str.len_chars() > 0).then(text)


def _repeated_header(
    texts: dict[str, pl.Expr], specs: dict[str, ColumnSpec | None], forms: dict[str, list[str]]
) -> pl.Expr:
    """A row repeating the header: at least half its named columns (two at
    least) hold their own header text or the contract's name for it."""
    named = sum(1 for s in specs.values() if s is not None)
    if named < 2:
        return pl.lit(False)
    checks = [t.str.to_lowercase().is_in(forms[n]).fill_null(False).cast(pl.Int32) for n, t in texts.items()]
    return pl.sum_horizontal(checks) >= max(2, (named + 1) // 2)


@dataclass(frozen=True)
class Mismatch:
    """One cell of a totals row that disagrees with the sum of the data rows."""

    row: int
    column: str
    written: float
    computed: float


#: a totals cell may be rounded to cents by the platform
FLOAT_TOLERANCE = 0.005


def totals_mismatches(
    typed: pl.DataFrame, rows: NonDataRows, specs: dict[str, ColumnSpec | None]
) -> list[Mismatch]:
    """Cells of each totals row (not subtotals) that differ from the column sum
    of the data rows; only counted columns (integers and amounts, not ratios,
    keys or dates) are compared, and only where the totals row has a value."""
    totals = rows.of("total")
    summed = [
        n
        for n, s in specs.items()
        if s is not None and s.kind in ("int", "float") and not s.key and n in typed.columns
    ]
    if totals.is_empty() or not summed:
        return []
    is_total = pl.col(ROW).is_in(totals.implode())
    excluded = pl.col(ROW).is_in(rows.rows.implode())
    sums = typed.lazy().filter(~excluded).select(pl.col(summed).sum())
    written = typed.lazy().filter(is_total).select(ROW, *summed)
    sums_row, total_rows = pl.collect_all([sums, written])
    expected = sums_row.row(0, named=True)
    out = []
    for record in total_rows.iter_rows(named=True):  # a handful of totals rows
        for name in summed:
            value = record[name]
            if value is None:
                continue
            computed = expected[name] or 0
            tolerance = 0 if (spec := specs[name]) is not None and spec.kind == "int" else FLOAT_TOLERANCE
            if abs(value - computed) > tolerance:
                out.append(Mismatch(record[ROW], name, value, computed))
    return out
