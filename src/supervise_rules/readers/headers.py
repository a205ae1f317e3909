"""Which contract column a header names, which table a sheet or file names,
and the unit a header carries.

Real exports rarely use the contract's own words. A header is resolved in
four steps, each only for what the previous ones left:

1. **exact**: the English name or the Chinese header, ignoring spaces, case,
   full-width forms, a required-marker ``*`` and a trailing unit
   (``在校生数（人）``);
2. **alias**: a header the table spec lists as another name of the column
   (``专任教师人数``, ``学校（机构）标识码``; plugins add more with
   ``register_aliases``);
3. **variant**: the same words written differently: traditional characters
   (``專任教師數``), ``人数``/``个数``/``数量``/``总数`` for ``数``, punctuation and
   brackets inside the header (``体育、艺术专任教师数``), a unit without brackets
   (``在校生数人``), ``_``/``-``/spaces in English names;
4. **close**: an edit distance of 1 (headers of 3 to 5 characters) or 2
   (6 characters and more) to a column not already named by another header.

Steps 1 and 2 are silent; a header taken by step 3 or 4 is reported (READ-09),
and a header two columns fit equally well is refused (READ-10, "did you
mean …"). Sheet, file and JSON key names are resolved to tables the same way
(``学校基本情况`` → 学校, ``school.csv`` → schools).

Everything here runs on header rows and table names only; values are converted
column-wise elsewhere (:mod:`.normalize`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..models import Finding
from ..tables import TABLES, ColumnSpec, TableSpec, normalize_header
from .problems import Place
from .problems import read_finding as _read_finding

# --- folding ----------------------------------------------------------------------------------

#: traditional -> simplified, for the characters of the contract's headers, table
#: names, aliases and units (a county office abroad, or a Hong Kong / Taiwan
#: template, writes 專任教師數)
_TRADITIONAL_PAIRS = (
    "專专樂乐書书鄉乡於于儀仪會会體体況况劃划務务動动勸劝辦办區区單单歷历縣县發发臺台檯台號号員员園园場场備备導导層层屆届歲岁崗岗幹干應应開开當当錄录態态報报掛挂時时"
    "術术條条標标點点狀状獨独現现積积稱称簽签類类級级結结絡络統统緩缓編编網网職职藝艺規规計计訂订認认訓训記记設设證证識识該该說说責责賬账質质貫贯資资轉转輪轮輔辅輟辍"
    "運运適适鎮镇長长門门問问際际題题額额館馆齡龄數数學学師师實实兒儿碼码萬万畝亩頃顷間间個个總总經经費费億亿齊齐綜综畫画課课強强參参與与據据聯联繫系電电話话語语國国"
    "礎础雙双農农讀读離离擴扩護护戶户線线產产養养勞劳組组織织負负齒齿遷迁"
)
TRADITIONAL = {ord(t): s for t, s in zip(_TRADITIONAL_PAIRS[::2], _TRADITIONAL_PAIRS[1::2], strict=True)}

#: inside a header, these say nothing: 体育、艺术专任教师数, 学校(机构)标识码
_PUNCTUATION = re.compile(r"[\s_\-·・、,，/\\()\[\]【】<>《》\"'“”‘’:：;；.。]+")
#: words for "number of" that mean the same in a count header
_COUNT_WORDS = (("人数", "数"), ("个数", "数"), ("数量", "数"), ("总数", "数"))


def fold(text: str) -> str:
    """NFKC, trimmed, without a leading/trailing ``*``, casefolded, no spaces."""
    text = unicodedata.normalize("NFKC", str(text)).strip().strip("*").strip()
    return normalize_header(text)


@functools.lru_cache(maxsize=8192)
def variant_key(text: str) -> str:
    """The form two spellings of one header share: folded, simplified
    characters, no punctuation or brackets, 人数/个数/数量/总数 as 数."""
    key = _PUNCTUATION.sub("", fold(text).translate(TRADITIONAL))
    for long, short in _COUNT_WORDS:
        if len(key) > len(long):
            key = key.replace(long, short)
    return key


def distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if len(a) > len(b):
        a, b = b, a
    previous = list(range(len(a) + 1))
    for i, cb in enumerate(b, 1):
        current = [i]
        for j, ca in enumerate(a, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def close_limit(key: str) -> int:
    """How far a header may be from a name and still be taken for it."""
    if len(key) < 3:
        return 0
    return 1 if len(key) < 6 else 2


# --- units ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A unit as written in a header: its dimension and its size in the
    dimension's base (元, 平方米, 人, 个, minutes of time, ratio)."""

    text: str
    dimension: str
    factor: Fraction


def _units(dimension: str, entries: dict[str, Fraction | int]) -> dict[str, tuple[str, Fraction]]:
    return {fold(k): (dimension, Fraction(v)) for k, v in entries.items()}


#: units a header may carry (folded: NFKC turns ㎡ and m² into m2, ％ into %)
HEADER_UNITS: dict[str, tuple[str, Fraction]] = {
    **_units("money", {"元": 1, "人民币元": 1, "yuan": 1, "千元": 1000, "万元": 10000, "亿元": 100_000_000}),
    **_units(
        "area",
        {
            "平方米": 1,
            "平米": 1,
            "m2": 1,
            "sqm": 1,
            "万平方米": 10000,
            "公顷": 10000,
            "ha": 10000,
            "平方公里": 1_000_000,
            "亩": Fraction(2000, 3),
        },
    ),
    **_units("persons", {"人": 1, "名": 1, "人数": 1, "万人": 10000}),
    **_units(
        "count", {"个": 1, "间": 1, "室": 1, "项": 1, "次": 1, "条": 1, "所": 1, "班": 1, "件": 1, "处": 1}
    ),
    **_units("items", {"台": 1, "套": 1}),
    **_units("time", {"分钟": 1, "min": 1, "学时": 60, "课时": 60, "小时": 60, "h": 60}),
    **_units("ratio", {"%": Fraction(1, 100), "百分比": Fraction(1, 100), "‰": Fraction(1, 1000)}),
}

#: the contract's units (``ColumnSpec.unit``) in the same terms
CONTRACT_UNITS: dict[str, tuple[str, Fraction]] = {
    "yuan": ("money", Fraction(1)),
    "m2": ("area", Fraction(1)),
    "persons": ("persons", Fraction(1)),
    "rooms": ("count", Fraction(1)),
    "hours": ("time", Fraction(60)),
    "minutes": ("time", Fraction(1)),
    "ratio": ("ratio", Fraction(1)),
}

#: how each contract unit is named in messages (zh, en)
UNIT_NAMES: dict[str | None, tuple[str, str]] = {
    "yuan": ("元", "yuan"),
    "m2": ("平方米", "m²"),
    "persons": ("人", "persons"),
    "rooms": ("间（个）", "rooms"),
    "hours": ("学时", "hours"),
    "minutes": ("分钟", "minutes"),
    "ratio": ("比例（小数，如 0.98）", "a ratio (a fraction such as 0.98)"),
    None: ("个", "a count"),
}

#: bare units recognised at the end of a header without brackets, longest first
_BARE_UNITS = tuple(
    sorted((k for k in HEADER_UNITS if not k.isascii() or k in ("%", "m2")), key=len, reverse=True)
)
_BRACKETED = re.compile(r"^(.*?)\s*[(\[【]\s*(?:单位\s*[:：]\s*)?([^()\[\]【】]*?)\s*[)\]】]\s*$")
_SLASHED = re.compile(r"^(.*?)\s*/\s*([^/]+?)\s*$")


def header_unit(text: str) -> Unit | None:
    """The unit ``text`` (the part of a header in brackets) names, if any."""
    key = fold(text).translate(TRADITIONAL)
    found = HEADER_UNITS.get(key)
    return Unit(text.strip(), *found) if found else None


@dataclass(frozen=True)
class Conversion:
    """What a header's unit means for its column: ``factor`` (values times it)
    when it converts exactly; ``refused`` (zh, en) when it cannot be used."""

    unit: Unit
    factor: Fraction = Fraction(1)
    refused: tuple[str, str] | None = None

    @property
    def converts(self) -> bool:
        return self.refused is None and self.factor != 1


def conversion(column: ColumnSpec, unit: Unit | None) -> Conversion | None:
    """How values under ``unit`` become the contract's unit of ``column``:
    ``None`` when there is nothing to do (no unit, the contract's own unit, a
    column whose values have no unit)."""
    if unit is None or column.kind not in ("int", "float", "ratio"):
        return None
    if column.unit is None:  # a count (班级数) takes 个, 项 …; other kinds no unit
        want = ("count", Fraction(1)) if column.kind == "int" else None
    else:
        want = CONTRACT_UNITS.get(column.unit)
    if want is None:  # a plugin's unit this module does not know: left as written
        return None
    unit_zh, unit_en = UNIT_NAMES.get(column.unit, (str(column.unit), str(column.unit)))
    if unit.dimension != want[0]:
        return Conversion(
            unit,
            refused=(
                f"单位「{unit.text}」与该字段的单位（{unit_zh}）不符",
                f"its unit '{unit.text}' does not fit the field's unit ({unit_en})",
            ),
        )
    factor = unit.factor / want[1]
    if factor == 1:
        return None
    if not _decimal(factor) or (column.kind == "int" and factor.denominator != 1):
        return Conversion(
            unit,
            factor,
            refused=(
                f"单位「{unit.text}」无法精确换算为{unit_zh}（1 {unit.text} = {_fraction(factor)} "
                f"{unit_zh}），请按{unit_zh}填报",
                f"'{unit.text}' cannot be converted exactly to {unit_en} (1 {unit.text} = "
                f"{_fraction(factor)} {unit_en}); give the values in {unit_en}",
            ),
        )
    return Conversion(unit, factor)


def _decimal(f: Fraction) -> bool:
    """A factor whose product with a decimal number is a decimal number again."""
    d = f.denominator
    while d % 10 == 0:
        d //= 10
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    return d == 1


def _fraction(f: Fraction) -> str:
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def factor_text(f: Fraction) -> str:
    """``×10,000``, ``÷100``."""
    if f.denominator == 1:
        return f"×{f.numerator:,}"
    if f.numerator == 1:
        return f"÷{f.denominator:,}"
    return f"×{f.numerator}/{f.denominator}"


# --- headers ---------------------------------------------------------------------------------

HOW = ("exact", "alias", "variant", "close")


@dataclass(frozen=True)
class HeaderMatch:
    """What one header names.

    ``column`` is the contract column (``None``: none, or ambiguous); ``how``
    one of :data:`HOW`; ``unit`` the unit the header carries; ``candidates``
    the columns an ambiguous header could be, ``rivals`` the other headers
    that fit the same column equally well.
    """

    header: str
    column: str | None = None
    how: str | None = None
    unit: Unit | None = None
    candidates: tuple[str, ...] = ()
    rivals: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.column is None and bool(self.candidates)


@dataclass(frozen=True)
class _Index:
    """The names of one table's columns, folded for each step."""

    exact: dict[str, str]
    alias: dict[str, tuple[str, ...]]
    variant: dict[str, tuple[str, ...]]
    #: (variant key, column) of every name, for close matches
    names: tuple[tuple[str, str], ...]


#: id(spec) -> (spec, its index): header detection matches hundreds of cells
_INDEX: dict[int, tuple[TableSpec, _Index]] = {}


def _index(spec: TableSpec) -> _Index:
    cached = _INDEX.get(id(spec))
    if cached is None or cached[0] is not spec:
        if len(_INDEX) > 256:  # specs made on the fly (plugin tables, tests)
            _INDEX.clear()
        cached = _INDEX[id(spec)] = (spec, _build_index(spec.columns.values()))
    return cached[1]


def _build_index(columns: Iterable[ColumnSpec]) -> _Index:
    exact: dict[str, str] = {}
    alias: dict[str, list[str]] = {}
    variant: dict[str, list[str]] = {}
    names: list[tuple[str, str]] = []
    columns = list(columns)
    for c in columns:
        for text in (c.name, c.zh, _without_unit(c.zh)):
            exact.setdefault(fold(text), c.name)
    for c in columns:
        for text in c.aliases:
            for key in {fold(text), fold(_without_unit(text))}:
                if key not in exact and c.name not in alias.setdefault(key, []):
                    alias[key].append(c.name)
    for c in columns:
        for text in (c.name, c.zh, _without_unit(c.zh), *c.aliases):
            key = variant_key(text)
            if key and c.name not in variant.setdefault(key, []):
                variant[key].append(c.name)
            if key and (key, c.name) not in names:
                names.append((key, c.name))
    return _Index(
        exact=exact,
        alias={k: tuple(v) for k, v in alias.items()},
        variant={k: tuple(v) for k, v in variant.items()},
        names=tuple(names),
    )


def _without_unit(text: str) -> str:
    m = _BRACKETED.match(unicodedata.normalize("NFKC", text))
    return m.group(1) if m and m.group(1) else text


def _forms(text: str) -> list[tuple[str, Unit | None]]:
    """``text`` and the base it names with the unit split off: in brackets
    (``在校生数（人）``, ``（单位：万元）``), after a slash (``面积/㎡``). Bracketed text
    that names no unit (``学校标识码（10位）``) is dropped as before."""
    text = unicodedata.normalize("NFKC", text).strip().strip("*").strip()
    forms: list[tuple[str, Unit | None]] = [(text, None)]
    m = _BRACKETED.match(text)
    if m and m.group(1).strip():
        forms.append((m.group(1).strip().strip("*").strip(), header_unit(m.group(2))))
    else:
        m = _SLASHED.match(text)
        if m and m.group(1).strip() and (unit := header_unit(m.group(2))) is not None:
            forms.append((m.group(1).strip(), unit))
    return forms


def _bare(text: str) -> list[tuple[str, Unit]]:
    """``text`` with a unit written straight after it split off (``在校生数人``)."""
    folded = fold(text).translate(TRADITIONAL)
    out = []
    for unit in _BARE_UNITS:
        if folded.endswith(unit) and len(folded) - len(unit) >= 2:
            out.append((folded[: -len(unit)], Unit(unit, *HEADER_UNITS[unit])))
    return out


def _lookup(
    index: _Index, text: str, taken: Collection[str] = (), *, variants: bool = True
) -> HeaderMatch | None:
    """Steps 1 to 3 for one header (step 3 only against columns not ``taken``)."""
    forms = _forms(text)
    for form, unit in forms:
        column = index.exact.get(fold(form))
        if column is not None:
            return HeaderMatch(text, column, "exact", unit)
    for form, unit in forms:
        found = index.alias.get(fold(form))
        if found and len(found) == 1:
            return HeaderMatch(text, found[0], "alias", unit)
        if found:
            return HeaderMatch(text, None, "alias", unit, candidates=found)
    if not variants:
        return None
    for form, unit in [*forms, *_bare(forms[-1][0])]:
        found = tuple(c for c in index.variant.get(variant_key(form), ()) if c not in taken)
        if len(found) == 1:
            return HeaderMatch(text, found[0], "variant", unit)
        if found:
            return HeaderMatch(text, None, "variant", unit, candidates=found)
    return None


def match_header(spec: TableSpec, header: str | None) -> str | None:
    """The contract column a header names by steps 1 to 3 (header detection
    uses this: no edit distances over every cell of the first rows)."""
    if header is None or not str(header).strip():
        return None
    found = _lookup(_index(spec), str(header))
    return found.column if found is not None else None


def resolve_headers(spec: TableSpec, headers: Sequence[str]) -> list[HeaderMatch]:
    """What each header of one header row names, steps 1 to 4.

    Exact and alias matches are taken first, whatever their order (a header
    naming an already named column is left for the caller to report as a
    repeat); variants and close matches only take columns no other header
    names. Two headers fitting one column equally well are both refused.
    """
    index = _index(spec)
    out: list[HeaderMatch] = [HeaderMatch(h) for h in headers]
    taken: set[str] = set()
    later: list[int] = []
    for i, text in enumerate(headers):
        if not text.strip():
            continue
        found = _lookup(index, text, variants=False)
        if found is not None:
            out[i] = found
            if found.column:
                taken.add(found.column)
        else:
            later.append(i)
    # step 3, then step 4, on what is left, each against the columns still free
    for step in ("variant", "close"):
        claims: dict[int, HeaderMatch] = {}
        for i in later:
            found = (
                _lookup(index, headers[i], taken) if step == "variant" else _close(index, headers[i], taken)
            )
            if found is not None and found.how == step:
                claims[i] = found
        by_column: dict[str, list[int]] = {}
        for i, found in claims.items():
            if found.column:
                by_column.setdefault(found.column, []).append(i)
        for i, found in claims.items():
            rivals = by_column.get(found.column or "", [i])
            if len(rivals) > 1:
                out[i] = HeaderMatch(
                    headers[i],
                    None,
                    step,
                    found.unit,
                    candidates=(found.column or "",),
                    rivals=tuple(headers[j] for j in rivals if j != i),
                )
            else:
                out[i] = found
        taken.update(by_column)  # refused rivals leave the column to nobody else either
        later = [i for i in later if i not in claims]
    return out


def _close(index: _Index, text: str, taken: set[str]) -> HeaderMatch | None:
    forms = _forms(text)
    form, unit = forms[-1]
    key = variant_key(form)
    limit = close_limit(key)
    if not limit:
        return None
    best, found = limit + 1, []
    for name_key, column in index.names:
        if column in taken:
            continue
        d = distance(key, name_key, limit)
        if d < best:
            best, found = d, [column]
        elif d == best and column not in found:
            found.append(column)
    if best > limit or not found:
        return None
    if len(found) == 1:
        return HeaderMatch(text, found[0], "close", unit)
    return HeaderMatch(text, None, "close", unit, candidates=tuple(found))


# --- what a header row tells the clerk ------------------------------------------------------


def header_use(spec: TableSpec, match: HeaderMatch) -> tuple[str | None, Conversion | None]:
    """The column a header is read as (``None``: not used, its unit refused or
    nothing matched) and the conversion of its values, if any."""
    if match.column is None:
        return None, None
    conv = conversion(spec.columns[match.column], match.unit)
    if conv is not None and conv.refused:
        return None, conv
    return match.column, conv


def header_findings(
    spec: TableSpec,
    match: HeaderMatch,
    conv: Conversion | None,
    column: str,
    where: tuple[str, str],
    *,
    place: Place | None = None,
    cell: str | None = None,
) -> list[Finding]:
    """READ-09..12 for one header: ``column`` is the frame column it became
    (the contract column, or the header kept as text), ``where`` the header
    row (or cell) as the clerk finds it, ``place`` and ``cell`` (``K4``) the
    same for the evidence. No finding for a header matched exactly or by an
    alias in the contract's own unit."""
    zh_w, en_w = where
    written = match.header
    out: list[Finding] = []

    read_finding = functools.partial(
        _read_finding, place=place, headers=[written], cells=[cell] if cell else None
    )
    if match.ambiguous:
        if match.rivals:
            c = spec.columns[match.candidates[0]]
            rivals_zh = "、".join(f"「{r}」" for r in match.rivals)
            rivals_en = ", ".join(f"'{r}'" for r in match.rivals)
            zh = (
                f"{zh_w}：「{written}」与{rivals_zh}都像「{c.zh}」（{c.name}），无法确定采用哪一列，"
                f"均未使用（按文本保留）；请把其中一列改为「{c.zh}」"
            )
            en = (
                f"{en_w}: column '{written}' and {rivals_en} all look like '{c.zh}' ({c.name}), "
                f"so none is used (kept as text); rename one of them to '{c.zh}'"
            )
        else:
            options = [spec.columns[n] for n in match.candidates]
            zh = (
                f"{zh_w}：无法确定「{written}」是哪个字段：是"
                + "还是".join(f"「{c.zh}」（{c.name}）" for c in options)
                + "？该列未使用（按文本保留），请改用规范表头"
            )
            en = (
                f"{en_w}: column '{written}' is ambiguous: did you mean "
                + " or ".join(f"'{c.zh}' ({c.name})" for c in options)
                + "? It is not used (kept as text); rename it to the contract's header"
            )
        return [read_finding("READ-10", zh=zh, en=en, table=spec.name, columns=[column])]
    if match.column is None:
        return out
    c = spec.columns[match.column]
    if conv is not None and conv.refused:
        why_zh, why_en = conv.refused
        out.append(
            read_finding(
                "READ-12",
                zh=f"{zh_w}：「{written}」是「{c.zh}」（{c.name}），但{why_zh}；该列未使用（按文本保留）",
                en=f"{en_w}: column '{written}' names '{c.zh}' ({c.name}), but {why_en}; the column "
                "is not used (kept as text)",
                table=spec.name,
                columns=[column],
            )
        )
        return out
    if match.how in ("variant", "close"):
        how_zh, how_en = (
            ("写法与规范不同", "written differently")
            if match.how == "variant"
            else ("名称与规范相近", "a close match")
        )
        out.append(
            read_finding(
                "READ-09",
                zh=f"{zh_w}：「{written}」按「{c.zh}」（{c.name}）读取（{how_zh}），请核对；"
                f"规范表头为「{c.zh}」",
                en=f"{en_w}: column '{written}' was read as '{c.zh}' ({c.name}) ({how_en}); "
                f"please check it: the contract's header is '{c.zh}'",
                table=spec.name,
                columns=[column],
            )
        )
    if conv is not None and conv.converts:
        unit_zh, unit_en = UNIT_NAMES.get(c.unit, (str(c.unit), str(c.unit)))
        factor = factor_text(conv.factor)
        out.append(
            read_finding(
                "READ-11",
                zh=f"{zh_w}：「{written}」的单位为{conv.unit.text}，数值已换算为{unit_zh}（{factor}）",
                en=f"{en_w}: column '{written}' is in {conv.unit.text}; its values were converted "
                f"to {unit_en} ({factor})",
                table=spec.name,
                columns=[column],
            )
        )
    return out


def nearest_header(spec: TableSpec, column: str, headers: Iterable[str]) -> str | None:
    """Among ``headers`` (what a file has that names no column), the one
    nearest to ``column``'s names, if any is reasonably near: for a "did you
    mean" in a rule's message when the column is missing."""
    c = spec.columns.get(column)
    if c is None:
        return None
    names = {variant_key(t) for t in (c.name, c.zh, _without_unit(c.zh), *c.aliases)} - {""}
    best, chosen = None, None
    for header in headers:
        key = variant_key(_forms(header)[-1][0])
        if not key:
            continue
        limit = max(2, len(key) // 2)
        d = min(distance(key, n, limit) for n in names)
        if d <= limit and (best is None or d < best):
            best, chosen = d, header
    return chosen


# --- table names -----------------------------------------------------------------------------

#: words a sheet or file name adds to a table's name: 学校基本情况, 督学名单表
_NAME_SUFFIXES = (
    "基本情况统计表",
    "基本情况表",
    "基本信息表",
    "基本情况",
    "基本信息",
    "情况统计表",
    "信息统计表",
    "情况表",
    "信息表",
    "统计表",
    "汇总表",
    "明细表",
    "一览表",
    "登记表",
    "情况",
    "信息",
    "数据",
    "名单",
    "名册",
    "明细",
    "汇总",
    "统计",
    "一览",
    "列表",
    "清单",
    "表",
)
#: a year or a place before the name: 2024年学校, 贺兰县学校基本情况
_YEAR = r"(?:\d{4}(?:年度?|学年)?)?"
_NAME_PREFIX = re.compile(rf"^{_YEAR}(?:[\u4e00-\u9fff]{{1,6}}?[省市县区旗])?{_YEAR}")


@dataclass(frozen=True)
class TableMatch:
    """What a sheet, file or key name names: ``table`` (or ``None``), ``how``
    (:data:`HOW`), ``candidates`` when ambiguous."""

    label: str
    table: str | None = None
    how: str | None = None
    candidates: tuple[str, ...] = ()


def _table_names(spec: TableSpec) -> list[str]:
    return [spec.name, spec.zh, *spec.aliases]


def _english_variants(key: str) -> set[str]:
    """``school`` and ``schools``, ``dropout_case`` and ``dropout_cases``."""
    out = {key}
    if key.isascii():
        out |= {key + "s", key[:-1] if key.endswith("s") else key}
        if key.endswith("ies"):
            out.add(key[:-3] + "y")
        if key.endswith("y"):
            out.add(key[:-1] + "ies")
    return out


def _name_variants(label: str) -> list[str]:
    """Variant keys of a sheet or file name: as written, without year/place
    prefix, without each suffix in turn."""
    key = variant_key(label)
    keys = [key]
    stripped = _NAME_PREFIX.sub("", key)
    if stripped and stripped != key:
        keys.append(stripped)
    for base in list(keys):
        current = base
        for _ in range(3):
            for suffix in _NAME_SUFFIXES:
                if current.endswith(suffix) and len(current) > len(suffix) + 1:
                    current = current[: -len(suffix)]
                    keys.append(current)
                    break
            else:
                break
    return list(dict.fromkeys(keys))


def resolve_table(label: str, tables: Iterable[TableSpec] | None = None) -> TableMatch:
    """The table a sheet, file stem or JSON key names, steps 1 to 4."""
    specs = list(TABLES.values()) if tables is None else list(tables)
    folded = fold(label)
    if not folded:
        return TableMatch(label)
    for spec in specs:
        if folded in (fold(spec.name), fold(spec.zh)):
            return TableMatch(label, spec.name, "exact")
    found = [s.name for s in specs if folded in {fold(a) for a in s.aliases}]
    if found:
        return (
            TableMatch(label, found[0], "alias")
            if len(found) == 1
            else TableMatch(label, None, "alias", tuple(found))
        )
    names = [(variant_key(n), s.name) for s in specs for n in _table_names(s)]
    for key in _name_variants(label):
        found = list(dict.fromkeys(t for n, t in names if n and n in _english_variants(key)))
        if len(found) == 1:
            return TableMatch(label, found[0], "variant")
        if found:
            return TableMatch(label, None, "variant", tuple(found))
    key = _name_variants(label)[-1]
    limit = close_limit(key) if not key.isascii() or len(key) >= 4 else 0
    if limit:
        best, found = limit + 1, []
        for n, t in names:
            d = distance(key, n, limit)
            if d < best:
                best, found = d, [t]
            elif d == best and t not in found:
                found.append(t)
        if best <= limit and len(found) == 1:
            return TableMatch(label, found[0], "close")
        if best <= limit and found:
            return TableMatch(label, None, "close", tuple(found))
    return TableMatch(label)


def table_name_findings(match: TableMatch, place: Place) -> list[Finding]:
    """READ-09 for a sheet, file or key name read as a table by a variant or a
    close match, READ-10 for one two tables fit equally well; none otherwise."""
    zh_t, en_t = place.table()
    label = match.label
    read_finding = functools.partial(_read_finding, place=place)
    if match.table is not None and match.how in ("variant", "close"):
        spec = TABLES[match.table]
        how_zh, how_en = (
            ("写法与规范不同", "written differently")
            if match.how == "variant"
            else ("名称与规范相近", "a close match")
        )
        return [
            read_finding(
                "READ-09",
                zh=f"{zh_t}：「{label}」按「{spec.zh}」表（{spec.name}）读取（{how_zh}），请核对；"
                f"规范名称为「{spec.zh}」或 {spec.name}",
                en=f"{en_t}: '{label}' was read as table {spec.name} ({spec.zh}) ({how_en}); please "
                f"check it: the contract's name is {spec.name} or {spec.zh}",
                table=spec.name,
            )
        ]
    if match.table is None and match.candidates:
        options = [TABLES[n] for n in match.candidates]
        return [
            read_finding(
                "READ-10",
                zh=f"{zh_t}：无法确定「{label}」是哪张表：是"
                + "还是".join(f"「{s.zh}」（{s.name}）" for s in options)
                + "？未读取，请改用规范表名",
                en=f"{en_t}: '{label}' is ambiguous: did you mean "
                + " or ".join(f"table {s.name} ({s.zh})" for s in options)
                + "? It was not read; rename it to the contract's name",
                table=label,
            )
        ]
    return []


__all__ = [
    "HEADER_UNITS",
    "TRADITIONAL",
    "Conversion",
    "HeaderMatch",
    "TableMatch",
    "Unit",
    "conversion",
    "match_header",
    "nearest_header",
    "resolve_headers",
    "resolve_table",
    "table_name_findings",
]
