"""Charts of the director's report, generated as inline SVG.

Why generated SVG (and not Vega-Lite or matplotlib): the report must stay one
file that opens offline, prints on A4 and is the same bytes for the same input.
SVG written here is a few kilobytes per chart, needs no script (Vega-Lite's
runtime is ~800 kB of JavaScript, and the PDF converter runs none), no new
dependency (matplotlib is ~40 MB and stamps its version and fonts into every
SVG), scales without blur on paper, and every text in it goes through the same
escaping as the rest of the page. The charts are few and fixed — strip plots,
bars — so a plotting library's generality is not needed.

The data come from the findings store as polars frames (one ``frame()`` call
per chart, filtered to the rules it draws); the only per-point Python is
writing the SVG elements of the points drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import cast

import polars as pl

from supervise_rules import Report
from supervise_rules.safetext import plain

from ._common import pick

PASS, FAIL, ERROR, NA, INK, MUTED, GRID = (
    "#1a7f37",
    "#cf222e",
    "#8250df",
    "#d0d7de",
    "#1f2328",
    "#59636e",
    "#d8dee4",
)
LEVEL_ZH = {"primary": ("小学", "primary"), "junior": ("初中", "junior")}
#: a near miss: within this share of the threshold, passing or failing
NEAR = 0.05
#: at most this many near misses are drawn (the closest first)
NEAR_SHOWN = 30
#: dots drawn per level at most (a province has thousands of schools): the misses
#: all, the others evenly spaced by value; the mean is over every school
MAX_DOTS = 400
#: exactly at the standard
AT = "#9a6700"
OP_SIGN = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠"}


def e(text: object) -> str:
    return escape(plain(text), quote=True)


def _n(x: float) -> str:
    """A coordinate: 1 decimal, no ``-0.0``, the same text on every machine."""
    v = round(x, 1)
    return f"{v + 0.0:g}" if v != 0 else "0"


def _fmt(v: float) -> str:
    """A value on an axis or in a label, without trailing zeros."""
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return f"{v:.2f}".rstrip("0").rstrip(".") or "0"


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    out, v = [], first
    while v <= hi + step * 1e-9:
        out.append(round(v, 10))
        v += step
    return out


def bar(counts: dict[str, int], lang: str, width: int = 110) -> str:
    """A stacked bar of checked findings: passed, failed (with errors), not applicable."""
    parts = [("pass", PASS), ("fail", FAIL), ("error", ERROR), ("not_applicable", NA)]
    total = sum(counts.get(k, 0) for k, _ in parts)
    label = pick(
        (
            "通过 {p}，不通过 {f}，错误 {x}，不适用 {n}",
            "passed {p}, failed {f}, errors {x}, not applicable {n}",
        ),
        lang,
    ).format(
        p=counts.get("pass", 0),
        f=counts.get("fail", 0),
        x=counts.get("error", 0),
        n=counts.get("not_applicable", 0),
    )
    out = [
        f'<svg class="bar" width="{width}" height="10" viewBox="0 0 {width} 10" role="img" '
        f'aria-label="{e(label)}"><title>{e(label)}</title>'
    ]
    if total == 0:
        out.append(f'<rect width="{width}" height="10" fill="{NA}"/>')
    x = 0.0
    for key, colour in parts:
        n = counts.get(key, 0)
        if not n:
            continue
        w = width * n / total
        out.append(f'<rect x="{_n(x)}" width="{_n(max(w, 1.0))}" height="10" fill="{colour}"/>')
        x += w
    out.append("</svg>")
    return "".join(out)


# --- coefficient of variation: strip plots ---------------------------------------------------


@dataclass
class Strip:
    level: str
    points: pl.DataFrame  # subject_id, subject_name, x, w, outcome
    mean: float | None
    limit: float | None
    op: str | None
    cv: float | None
    cv_limit: float | None
    cv_outcome: str | None
    #: school sections of the level (``points`` may hold fewer: :data:`MAX_DOTS`)
    total: int = 0


def cv_strips(report: Report) -> list[tuple[str, str, str, list[Strip], bool]]:
    """Per coefficient rule: (rule id, its title, the indicator's rule id, one strip
    per level, whether the dots are sized by enrollment)."""
    ctx = report.context
    if ctx is None:
        return []
    titles = {r.rule_id: r.title for r in report.rules}
    shapes = ctx.rules
    pairs = []
    for rule_id, shape in shapes.items():
        if shape.validator != "weighted_cv" or rule_id not in titles:
            continue
        base = next(
            (
                rid
                for rid, s in shapes.items()
                if s.validator == "metric"
                and s.value == shape.value
                and s.table == shape.table
                and rid in titles
            ),
            None,
        )
        if base is not None:
            pairs.append((rule_id, base, shape.weight))
    if not pairs:
        return []
    wanted = sorted({r for p in pairs for r in p[:2]})
    frame = report.frame(include_passes=True, rules=wanted).select(
        "rule_id",
        "subject_id",
        "subject_name",
        "outcome",
        "observed",
        "required_op",
        pl.col("required_value").cast(pl.Float64, strict=False).alias("required"),
    )
    frame = frame.with_columns(level=pl.col("subject_id").str.split("/").list.last())
    weights = ctx.subjects.select("subject_id", pl.col("students").alias("w"))
    out = []
    for cv_rule, base, weight in sorted(pairs):
        points = frame.filter(
            (pl.col("rule_id") == base)
            & pl.col("observed").is_not_null()
            & pl.col("outcome").is_in(["pass", "fail"])
        ).join(weights, on="subject_id", how="left")
        sized = weight == "students" and points["w"].null_count() < points.height
        cvs = frame.filter(pl.col("rule_id") == cv_rule)
        strips = []
        order = list(LEVEL_ZH)
        for level in sorted(
            set(points["level"].to_list()),
            key=lambda lv: (order.index(lv) if lv in order else len(order), lv),
        ):
            pts = points.filter(pl.col("level") == level).sort("observed", "subject_id")
            mean = None
            if sized:
                w = pts["w"].fill_null(0.0)
                total = float(w.sum())
                mean = float((pts["observed"] * w).sum()) / total if total > 0 else None
            # a Float64 and a String column: polars types what first() returns loosely
            limit = cast(
                float | None,
                pts["required"].drop_nulls().mode().sort().first()
                if pts["required"].null_count() < pts.height
                else None,
            )
            op = cast(str | None, pts["required_op"].drop_nulls().first() if pts.height else None)
            cv_row = cvs.filter(pl.col("level") == level)
            cv = cv_limit = cv_outcome = None
            if cv_row.height:
                cv = cv_row["observed"][0]
                cv_limit = cv_row["required"][0]
                cv_outcome = cv_row["outcome"][0]
            total_n = pts.height
            if total_n > MAX_DOTS:
                step = -(-total_n // MAX_DOTS)
                pts = (
                    pts.with_row_index("_i")
                    .filter((pl.col("outcome") == "fail") | (pl.col("_i") % step == 0))
                    .drop("_i")
                )
            strips.append(
                Strip(
                    level,
                    pts.select("subject_id", "subject_name", pl.col("observed").alias("x"), "w", "outcome"),
                    mean,
                    limit,
                    op,
                    cv,
                    cv_limit,
                    cv_outcome,
                    total_n,
                )
            )
        if strips:
            out.append((cv_rule, titles[base].get("zh"), base, strips, sized))
    return out


def strip_svg(strips: list[Strip], sized: bool, unit: str | None, lang: str, width: int = 560) -> str:
    """One indicator: a row per level, a dot per school section (area ∝ enrollment),
    the enrollment-weighted mean (solid) and the standard (dashed)."""
    left, right, row_h, top = 52, 16, 54, 8
    values: list[float] = [v for s in strips for v in s.points["x"].to_list()]
    values += [v for s in strips for v in (s.limit, s.mean) if v is not None]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.06 or abs(hi) * 0.1 or 1.0
    lo, hi = max(lo - pad, 0.0) if lo >= 0 else lo - pad, hi + pad
    height = top + row_h * len(strips) + 22

    def sx(v: float) -> float:
        return left + (width - left - right) * (v - lo) / (hi - lo)

    wmax = max((s.points["w"].max() or 0.0) for s in strips) if sized else 0.0
    out = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" font-size="11" font-family="inherit">'
    ]
    for t in _ticks(lo, hi):
        x = sx(t)
        out.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{top}" y2="{height - 18}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{_n(x)}" y="{height - 5}" text-anchor="middle" fill="{MUTED}">{e(_fmt(t))}</text>'
        )
    for i, s in enumerate(strips):
        y0 = top + i * row_h
        mid = y0 + row_h / 2
        name = pick(LEVEL_ZH.get(s.level, (s.level, s.level)), lang)
        out.append(f'<text x="4" y="{_n(mid + 4)}" fill="{INK}">{e(name)}</text>')
        rows = s.points.iter_rows(named=True)
        for j, p in enumerate(rows):
            r = 2.5 + 6.5 * math.sqrt(p["w"] / wmax) if sized and p["w"] and wmax else 3.5
            # a fixed vertical offset per rank keeps close values apart, the same every run
            dy = ((j * 7) % 5 - 2) * 4
            colour = FAIL if p["outcome"] == "fail" else PASS
            tip = f"{p['subject_name'] or p['subject_id']}: {_fmt(p['x'])}"
            if sized and p["w"]:
                tip += pick(("（在校生 {n:,.0f} 人）", " ({n:,.0f} students)"), lang).format(n=p["w"])
            out.append(
                f'<circle cx="{_n(sx(p["x"]))}" cy="{_n(mid + dy)}" r="{_n(r)}" fill="{colour}" '
                f'fill-opacity="0.45" stroke="{colour}" stroke-width="0.8"><title>{e(tip)}</title>'
                "</circle>"
            )
        if s.mean is not None:
            x = sx(s.mean)
            out.append(
                f'<line class="mean" x1="{_n(x)}" x2="{_n(x)}" y1="{_n(y0 + 6)}" '
                f'y2="{_n(y0 + row_h - 6)}" stroke="{INK}" stroke-width="2">'
                f"<title>{e(pick(('加权平均', 'weighted mean'), lang))} {e(_fmt(s.mean))}"
                "</title></line>"
            )
        if s.limit is not None:
            x = sx(s.limit)
            out.append(
                f'<line class="limit" x1="{_n(x)}" x2="{_n(x)}" y1="{_n(y0 + 4)}" '
                f'y2="{_n(y0 + row_h - 4)}" stroke="{FAIL}" stroke-width="1.5" '
                f'stroke-dasharray="4 3"><title>{e(pick(("标准", "standard"), lang))} '
                f"{e(OP_SIGN.get(s.op or '', s.op or ''))} {e(_fmt(s.limit))}</title></line>"
            )
            out.append(
                f'<text x="{_n(x + 3)}" y="{_n(y0 + 12)}" fill="{FAIL}">'
                f"{e(pick(('标准', 'std'), lang))} {e(_fmt(s.limit))}</text>"
            )
    out.append("</svg>")
    return "".join(out)


# --- near misses -----------------------------------------------------------------------------


def near_misses(report: Report, frame: pl.DataFrame | None = None) -> pl.DataFrame:
    """Numeric findings within :data:`NEAR` of their threshold, passing or failing:
    ``margin`` is the distance to the threshold as a share of it, negative when
    the standard is missed; the closest first. Whole-number thresholds under 20
    (counts: 1 责任督学, 6 of 7 indicators) have no value within 5 % but the
    threshold itself, so their exact hits are left out."""
    if frame is None:
        frame = report.frame(include_passes=True)
    req = pl.col("required_value").cast(pl.Float64, strict=False)
    sign = (
        pl.when(pl.col("required_op").is_in([">=", ">"]))
        .then(1.0)
        .when(pl.col("required_op").is_in(["<=", "<"]))
        .then(-1.0)
        .otherwise(None)
    )
    return (
        frame.filter(pl.col("outcome").is_in(["pass", "fail"]) & pl.col("observed").is_not_null())
        .with_columns(required=req, sign=sign)
        .filter(pl.col("required").is_not_null() & (pl.col("required") != 0) & pl.col("sign").is_not_null())
        .with_columns(
            margin=pl.col("sign") * (pl.col("observed") - pl.col("required")) / pl.col("required").abs()
        )
        .filter(pl.col("margin").abs() <= NEAR)
        # a count (1 督学 for ≥ 1) met exactly is no near miss: the 5 % band must
        # hold another whole value, else only a measured value can be near
        .filter(
            (pl.col("required").abs() * NEAR >= 1)
            | (pl.col("observed") != pl.col("observed").round(0))
            | (pl.col("required") != pl.col("required").round(0))
        )
        # the misses first, then the passes that are closest to missing
        .with_columns(
            margin=pl.when(pl.col("margin") == 0)
            .then(0.0)  # no -0.0
            .otherwise(pl.col("margin"))
        )
        .sort([pl.col("outcome") != "fail", pl.col("margin").abs(), "rule_id", "subject_id"])
        .select(
            "rule_id",
            "subject_id",
            "subject_name",
            "observed",
            "required_op",
            "required",
            "unit",
            "outcome",
            "margin",
        )
    )


def margin_svg(rows: pl.DataFrame, lang: str, width: int = 560) -> str:
    """A diverging bar per near miss: left of the axis missed, right of it met."""
    row_h, left, top = 18, 230, 18
    height = top + row_h * rows.height + 8
    mid = left + (width - left - 10) / 2
    half = (width - left - 10) / 2
    out = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" font-size="11" font-family="inherit">',
        f'<text x="{_n(mid - half)}" y="11" fill="{FAIL}">−5%</text>',
        f'<text x="{_n(mid + half)}" y="11" text-anchor="end" fill="{PASS}">+5%</text>',
        f'<text x="{_n(mid)}" y="11" text-anchor="middle" fill="{MUTED}">'
        f"{e(pick(('标准', 'standard'), lang))}</text>",
        f'<line x1="{_n(mid)}" x2="{_n(mid)}" y1="{top - 4}" y2="{height - 4}" stroke="{INK}"/>',
    ]
    for i, r in enumerate(rows.iter_rows(named=True)):
        y = top + i * row_h
        w = half * abs(r["margin"]) / NEAR
        x = mid - w if r["margin"] < 0 else mid
        colour = FAIL if r["outcome"] == "fail" else (AT if r["margin"] == 0 else PASS)
        w = max(w, 2.0)
        name = f"{r['rule_id']} {r['subject_name'] or r['subject_id']}"
        if len(name) > 22:
            name = name[:21] + "…"
        out.append(f'<text x="{left - 6}" y="{_n(y + 12)}" text-anchor="end" fill="{INK}">{e(name)}</text>')
        out.append(
            f'<rect x="{_n(x)}" y="{_n(y + 3)}" width="{_n(max(w, 1.0))}" height="12" '
            f'fill="{colour}"><title>{e(r["rule_id"])} {e(r["subject_id"])}: '
            f"{e(_fmt(r['observed']))} {e(OP_SIGN.get(r['required_op'], r['required_op']))} "
            f"{e(_fmt(r['required']))} "
            f"({r['margin']:+.1%})</title></rect>"
        )
    out.append("</svg>")
    return "".join(out)


# --- trend against the previous round --------------------------------------------------------


def trend(report: Report) -> list[tuple[str, int, int, int]]:
    """Per rule: (rule id, 新增, 仍存在, 已整改) against the baseline, rules with none left out."""
    if report.baseline is None:
        return []
    marks = (
        report.frame(include_passes=False)
        .filter(pl.col("baseline").is_in(["new", "persisting"]))
        .group_by("rule_id", "baseline")
        .len("n")
    )
    counts: dict[str, list[int]] = {}
    for rule_id, mark, n in marks.iter_rows():
        counts.setdefault(rule_id, [0, 0, 0])[0 if mark == "new" else 1] += n
    for fx in report.baseline.fixed_findings:
        counts.setdefault(fx.rule_id, [0, 0, 0])[2] += 1
    return [(rule_id, n[0], n[1], n[2]) for rule_id, n in sorted(counts.items())]


def trend_svg(rows: list[tuple[str, int, int, int]], lang: str, width: int = 560) -> str:
    row_h, left, top = 18, 70, 20
    most = max(a + b + c for _, a, b, c in rows) or 1
    height = top + row_h * len(rows) + 6
    scale = (width - left - 40) / most
    colours = (FAIL, "#bc4c00", PASS)
    names = (("新增", "new"), ("仍存在", "persisting"), ("已整改", "fixed"))
    out = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" font-size="11" font-family="inherit">'
    ]
    x = left
    for zh_en, colour in zip(names, colours, strict=True):
        out.append(
            f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="13" fill="{INK}">{e(pick(zh_en, lang))}</text>'
        )
        x += 80
    for i, (rule_id, *ns) in enumerate(rows):
        y = top + i * row_h
        out.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" fill="{INK}">{e(rule_id)}</text>')
        x0 = float(left)
        for n, colour, zh_en in zip(ns, colours, names, strict=True):
            if not n:
                continue
            w = n * scale
            out.append(
                f'<rect x="{_n(x0)}" y="{y + 3}" width="{_n(w)}" height="12" fill="{colour}">'
                f"<title>{e(rule_id)} {e(pick(zh_en, lang))} {n}</title></rect>"
            )
            x0 += w
        out.append(f'<text x="{_n(x0 + 4)}" y="{y + 12}" fill="{MUTED}">{sum(ns)}</text>')
    out.append("</svg>")
    return "".join(out)


__all__ = [
    "MAX_DOTS",
    "NEAR",
    "OP_SIGN",
    "bar",
    "cv_strips",
    "margin_svg",
    "near_misses",
    "strip_svg",
    "trend",
    "trend_svg",
]
