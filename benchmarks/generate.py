"""Seeded generator of large synthetic submissions for the benchmarks.

Writes a submission folder that follows ``data-contract.md`` (English headers,
UTF-8 CSV, ``submission.yaml``) at a size ``N`` = rows of ``schools``::

    python benchmarks/generate.py 100000 benchmarks/.data/n100000

Row counts (proportions fixed here, documented in ``benchmarks/README.md``):

=====================  =======================================================
table                  rows
=====================  =======================================================
schools                N (≈15 % of schools are nine-/twelve-year schools with a
                       primary and a junior row sharing ``school_id``)
kindergartens          N/2
dropout_cases          2N
county                 N/100, one row per county (≈100 school rows each)
inspectors             one per 5 distinct schools
assignments            one per distinct school (minus ≈1 % left unassigned)
visits                 2 per assignment (one spring, one autumn)
enrollment_checks      2 per distinct school (spring and autumn)
responsibility_letters one per distinct school and one per township
kindergarten_classes   the classes of every 8th kindergarten (≈ N/2)
=====================  =======================================================

The first four are the tables of the shared performance baseline
(``perf-baseline.md``: 3.51 rows per school row); the rest are "full" extras.

**Counties.** The data is a batch submission: ``county_code`` varies (N/100
counties, the first one is 640122 贺兰县, the others are synthetic codes
``110001``, ``110002`` ...). The manifest is a batch manifest
(``region_code: '000000'``, ``region_name: 全国``), so CON-01 checks that each
row's county lies within the region; per-county rules (CV by county and level,
coverage per county) get N/100 groups. ``--one-county`` writes a single-county submission
instead (every row 640122, a one-row ``county`` table).

**Problems.** About 1.5 % of the rows of each table carry one problem:
negative numbers, blanks, junk text (``n/a``, ``十二``, ``12,3a``), bad enums,
bad ids (9 digits, unknown references), parts > wholes, impossible dates. On
top of that the values are drawn so that ≈10 % of school rows fail the
6-of-7 indicator rule (BAL-08), as in the baseline.

Everything is column-wise polars; random numbers come from
``random.Random(42)`` as bulk bytes, so a given seed and polars version always
give the same files. 1M school rows take a few seconds.
"""

from __future__ import annotations

import argparse
import array
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import polars as pl

SEED = 42
COUNTY_CODE = "640122"
COUNTY_NAME = "贺兰县"
REGION_CODE = "000000"
REGION_NAME = "全国"
YEAR = 2024
AS_OF = "2024-09-30"
#: share of the rows of each table that carry one problem
PROBLEM_RATE = 0.015
#: chance that one BAL indicator of a school is drawn below its threshold
LOW_INDICATOR = 0.04

#: (primary, junior) thresholds of BAL-01..07 (rules-catalogue.md)
INDICATORS: dict[str, tuple[float, float, float]] = {
    # column: (primary, junior, scale): value = column * scale / students
    "teachers_above_required_degree": (4.2, 5.3, 100.0),
    "key_teachers": (1.0, 1.0, 100.0),
    "pe_art_teachers": (0.9, 0.9, 100.0),
    "teaching_aux_area_m2": (4.5, 5.8, 1.0),
    "sports_area_m2": (7.5, 10.2, 1.0),
    "equipment_value_yuan": (2000.0, 2500.0, 1.0),
    "multimedia_classrooms": (2.3, 2.4, 100.0),
}

TOWNS = ["习岗镇", "金贵镇", "立岗镇", "洪广镇", "常信乡", "暖泉农场", "南梁台子", "京星农场"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "马", "丁", "周", "吴", "赵", "孙"]
GIVEN = ["建军", "淑芳", "志刚", "海龙", "秀兰", "文博", "丽娟", "晓东", "国庆", "玉梅"]
REASONS = [
    "厌学，长期旷课",
    "家庭经济困难",
    "随父母外出务工",
    "沉迷网络，拒绝返校",
    "身体原因",
    "早婚早育风险",
]

COLUMNS: dict[str, list[str]] = {
    "county": [
        "county_code", "population_age_3_5", "teachers_eligible_for_exchange",
        "exchanged_teachers", "exchanged_key_teachers", "avg_teacher_salary",
        "avg_civil_servant_salary", "grade9_enrollment_now", "grade7_enrollment_of_cohort",
        "grade1_enrollment_of_cohort", "social_recognition_rate",
    ],
    "schools": [
        "school_id", "school_name", "county_code", "township", "level", "school_type",
        "ownership", "students", "classes", "largest_class_size", "full_time_teachers",
        "teachers_above_required_degree", "key_teachers", "pe_art_teachers",
        "certified_teachers", "teaching_aux_area_m2", "sports_area_m2",
        "equipment_value_yuan", "multimedia_classrooms", "music_rooms", "art_rooms",
    ],
    "kindergartens": [
        "kindergarten_id", "kindergarten_name", "county_code", "ownership", "inclusive",
        "children", "classes", "largest_class_size", "staff", "full_time_teachers",
        "caregivers", "certified_teachers",
    ],
    "kindergarten_classes": ["kindergarten_id", "class_name", "grade", "children"],
    "inspectors": ["inspector_id", "inspector_name", "role", "training_hours"],
    "assignments": ["inspector_id", "school_id"],
    "visits": ["inspector_id", "school_id", "visit_date", "issues_found", "issues_rectified"],
    "enrollment_checks": ["school_id", "term", "check_date", "enrolled", "present"],
    "dropout_cases": [
        "student_id", "school_id", "township", "identified_date", "reason", "status",
        "resolved_date", "responsible_person",
    ],
    "responsibility_letters": ["party_type", "party_id", "signed_date"],
}  # fmt: skip

#: the tables of the shared baseline (perf-baseline.md)
CORE_TABLES = ("schools", "kindergartens", "dropout_cases", "county")


class Rand:
    """Bulk uniform numbers from one ``random.Random(seed)`` stream."""

    def __init__(self, seed: int = SEED):
        self._random = random.Random(seed)

    def u(self, n: int) -> pl.Series:
        """``n`` floats uniform in [0, 1)."""
        words = array.array("Q")
        words.frombytes(self._random.randbytes(8 * n))
        bits = pl.Series(words, dtype=pl.UInt64)
        return ((bits // 2048).cast(pl.Float64) * 2.0**-53).alias("u")

    def ints(self, n: int, lo: int, hi: int) -> pl.Series:
        """``n`` integers uniform in [lo, hi)."""
        return (self.u(n) * (hi - lo)).floor().cast(pl.Int64) + lo


def _lit(series: pl.Series) -> pl.Expr:
    return pl.lit(series)


def _pick(u: pl.Series, values: Sequence[str], weights: Sequence[float]) -> pl.Expr:
    """One of ``values`` per row, by cumulative ``weights`` against uniform ``u``."""
    total, acc = sum(weights), 0.0
    expr = None
    for value, w in zip(values[:-1], weights[:-1], strict=True):
        acc += w / total
        cond = _lit(u) < acc
        expr = pl.when(cond).then(pl.lit(value)) if expr is None else expr.when(cond).then(pl.lit(value))
    last = pl.lit(values[-1])
    return last if expr is None else expr.otherwise(last)


def _name(r: Rand, n: int) -> pl.Expr:
    s = r.ints(n, 0, len(SURNAMES))
    g = r.ints(n, 0, len(GIVEN))
    return pl.concat_str(
        _lit(s).replace_strict(dict(enumerate(SURNAMES)), return_dtype=pl.String),
        _lit(g).replace_strict(dict(enumerate(GIVEN)), return_dtype=pl.String),
    )


def _county_code(index: pl.Expr, one_county: bool) -> pl.Expr:
    if one_county:
        return pl.lit(COUNTY_CODE)
    return pl.when(index == 0).then(pl.lit(COUNTY_CODE)).otherwise((index + 110000).cast(pl.String))


def _township(unit: pl.Expr, county: pl.Expr) -> pl.Expr:
    town = (unit % len(TOWNS)).replace_strict(dict(enumerate(TOWNS)), return_dtype=pl.String)
    return pl.when(county == 0).then(town).otherwise(pl.concat_str(town, county.cast(pl.String)))


def _date(base: str, days: pl.Expr) -> pl.Expr:
    return (pl.lit(base).str.to_date() + pl.duration(days=days)).cast(pl.String)


def _id(prefix: str, index: pl.Expr, width: int) -> pl.Expr:
    return pl.concat_str(pl.lit(prefix), index.cast(pl.String).str.zfill(width))


def _corrupt(frame: pl.DataFrame, r: Rand, options: list[tuple[str, pl.Expr]]) -> pl.DataFrame:
    """Give ≈ PROBLEM_RATE of the rows one problem: option ``k`` sets column
    ``options[k][0]`` to ``options[k][1]`` (an expression over the all-text row)."""
    n = frame.height
    hit = r.u(n) < PROBLEM_RATE
    kind = r.ints(n, 0, len(options))
    updates: dict[str, pl.Expr] = {}
    for k, (column, value) in enumerate(options):
        mask = _lit(hit & (kind == k))
        updates[column] = pl.when(mask).then(value).otherwise(updates.get(column, pl.col(column)))
    return frame.with_columns(**updates)


def _texts(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    return frame.select([pl.col(c).cast(pl.String) for c in COLUMNS[table]])


# --- tables -------------------------------------------------------------------------------


def schools(n: int, r: Rand, one_county: bool) -> tuple[pl.DataFrame, int, int]:
    """The schools table (all text), the number of distinct schools and counties."""
    pair = r.u(n) < 0.15
    size = pair.cast(pl.Int64) + 1
    units = (
        pl.DataFrame({"size": size})
        .with_row_index("unit")
        .with_columns(start=pl.col("size").cum_sum() - pl.col("size"))
    )
    units = units.filter(pl.col("start") < n)
    n_units = units.height
    n_counties = 1 if one_county else max(1, n // 100)
    rows = (
        units.select("unit", "size", part=pl.int_ranges(0, pl.col("size")))
        .explode("part")
        .head(n)
        .with_columns(pl.col("unit").cast(pl.Int64), pl.col("part").cast(pl.Int64))
    )
    unit, part, size_c = pl.col("unit"), pl.col("part"), pl.col("size")
    county = (unit * n_counties // n_units).alias("county")
    u_level, u_tp = r.u(n), r.u(n)
    frame = rows.with_columns(county).with_columns(
        school_id=_id("21", unit, 8),
        county_code=_county_code(pl.col("county"), one_county),
        township=_township(unit, pl.col("county")),
        level=pl.when(size_c == 2)
        .then(pl.when(part == 0).then(pl.lit("primary")).otherwise(pl.lit("junior")))
        .when(_lit(u_level) < 0.65)
        .then(pl.lit("primary"))
        .otherwise(pl.lit("junior")),
    )
    frame = frame.with_columns(
        school_type=pl.when(size_c == 2)
        .then(pl.when(unit % 10 == 0).then(pl.lit("twelve_year")).otherwise(pl.lit("nine_year")))
        .when((pl.col("level") == "primary") & (_lit(u_tp) < 0.05))
        .then(pl.lit("teaching_point"))
        .otherwise(pl.lit("standalone")),
        ownership=pl.when(_lit(r.u(n)) < 0.93).then(pl.lit("public")).otherwise(pl.lit("private")),
    )
    kind_zh = {"primary": "小学", "junior": "中学"}
    frame = frame.with_columns(
        school_name=pl.concat_str(
            pl.col("township"),
            pl.lit("第"),
            unit.cast(pl.String),
            pl.when(size_c == 2)
            .then(pl.lit("学校"))
            .otherwise(pl.col("level").replace_strict(kind_zh, return_dtype=pl.String)),
        ),
        students=pl.when(pl.col("school_type") == "teaching_point")
        .then(15 + (_lit(r.u(n)) * 70).floor())
        .when(size_c == 2)
        .then(300 + (_lit(r.u(n)) * 950).floor())
        .otherwise(100 + (_lit(r.u(n)) ** 1.5 * 1940).floor())
        .cast(pl.Int64),
    )
    students = pl.col("students")
    frame = frame.with_columns(
        classes=(students / (36 + _lit(r.u(n)) * 8)).ceil().clip(lower_bound=1).cast(pl.Int64)
    )
    extra = pl.when(_lit(r.u(n)) < 0.03).then(8).otherwise(0)
    frame = frame.with_columns(
        largest_class_size=pl.min_horizontal(
            (students / pl.col("classes")).ceil() + (_lit(r.u(n)) * 4).floor() + extra,
            students,
        ).cast(pl.Int64)
    )
    primary = pl.col("level") == "primary"
    for column, (t_primary, t_junior, scale) in INDICATORS.items():
        threshold = pl.when(primary).then(t_primary).otherwise(t_junior)
        low, f = r.u(n), r.u(n)
        factor = pl.when(_lit(low) < LOW_INDICATOR).then(0.7 + 0.3 * _lit(f)).otherwise(1.03 + 0.5 * _lit(f))
        value = students * threshold * factor / scale
        if column == "equipment_value_yuan":
            value = ((value / 100).ceil() * 100).cast(pl.Int64)
        elif scale == 1.0:
            value = ((value * 10).ceil() / 10).round(1)
        else:
            value = value.ceil().cast(pl.Int64)
        frame = frame.with_columns(value.alias(column))
    frame = frame.with_columns(
        full_time_teachers=pl.max_horizontal(
            (students / (12 + _lit(r.u(n)) * 5)).ceil().cast(pl.Int64),
            "teachers_above_required_degree",
            "key_teachers",
            "pe_art_teachers",
        )
    )
    rooms = (pl.col("classes") / 12).ceil().cast(pl.Int64)
    frame = frame.with_columns(
        certified_teachers=pl.col("full_time_teachers") - pl.when(_lit(r.u(n)) < 0.02).then(1).otherwise(0),
        music_rooms=pl.when(_lit(r.u(n)) < 0.02)
        .then(0)
        .otherwise(rooms + (_lit(r.u(n)) * 2).floor().cast(pl.Int64)),
        art_rooms=rooms + (_lit(r.u(n)) * 2).floor().cast(pl.Int64),
    )
    text = _texts(frame, "schools")
    text = _corrupt(
        text,
        r,
        [
            ("students", pl.concat_str(pl.lit("-"), pl.col("students"))),
            ("students", pl.lit(None, pl.String)),
            ("key_teachers", pl.lit("n/a")),
            ("level", pl.lit("高中")),
            ("school_id", pl.col("school_id").str.slice(0, 9)),
            ("sports_area_m2", pl.lit("12,3a")),
            ("key_teachers", (pl.col("full_time_teachers").cast(pl.Int64) + 3).cast(pl.String)),
            ("pe_art_teachers", pl.lit(None, pl.String)),
            ("full_time_teachers", pl.concat_str(pl.lit("-"), pl.col("full_time_teachers"))),
            ("ownership", pl.lit("公私合营")),
            ("classes", pl.lit("0")),
            ("equipment_value_yuan", pl.lit("十二万")),
        ],
    )
    return text, n_units, n_counties


def kindergartens(n: int, r: Rand, n_counties: int, one_county: bool) -> pl.DataFrame:
    idx = pl.int_range(0, n, dtype=pl.Int64)
    county = idx * n_counties // max(n, 1)
    frame = pl.select(
        kindergarten_id=_id("31", idx, 8),
        county_code=_county_code(county, one_county),
        county=county,
        ownership=pl.when(_lit(r.u(n)) < 0.6).then(pl.lit("public")).otherwise(pl.lit("private")),
        inclusive_u=_lit(r.u(n)),
        children=(30 + _lit(r.u(n)) * 370).floor().cast(pl.Int64),
        size_u=_lit(r.u(n)),
        extra_u=_lit(r.u(n)),
    )
    frame = frame.with_columns(
        kindergarten_name=pl.concat_str(pl.lit("幼儿园"), idx.cast(pl.String)),
        inclusive=pl.when(pl.col("ownership") == "public")
        .then(pl.lit("true"))
        .when(pl.col("inclusive_u") < 0.6)
        .then(pl.lit("true"))
        .otherwise(pl.lit("false")),
        classes=(pl.col("children") / (22 + pl.col("size_u") * 8)).ceil().cast(pl.Int64),
    )
    frame = frame.with_columns(
        largest_class_size=(
            (pl.col("children") / pl.col("classes")).ceil() + (pl.col("extra_u") * 4).floor()
        ).cast(pl.Int64),
        full_time_teachers=2 * pl.col("classes") - pl.when(_lit(r.u(n)) < 0.05).then(1).otherwise(0),
        caregivers=pl.col("classes"),
    )
    frame = frame.with_columns(
        staff=pl.col("full_time_teachers")
        + pl.col("caregivers")
        + pl.col("classes")
        + (_lit(r.u(n)) * 4).floor().cast(pl.Int64),
        certified_teachers=pl.col("full_time_teachers") - pl.when(_lit(r.u(n)) < 0.05).then(1).otherwise(0),
    )
    return frame


def kindergarten_text(frame: pl.DataFrame, r: Rand) -> pl.DataFrame:
    text = _texts(frame, "kindergartens")
    return _corrupt(
        text,
        r,
        [
            ("children", pl.concat_str(pl.lit("-"), pl.col("children"))),
            ("children", pl.lit(None, pl.String)),
            ("ownership", pl.lit("公私合营")),
            ("inclusive", pl.lit("maybe")),
            ("certified_teachers", (pl.col("full_time_teachers").cast(pl.Int64) + 2).cast(pl.String)),
            ("classes", pl.lit("十二")),
            ("staff", pl.lit(None, pl.String)),
        ],
    )


def county_table(kg: pl.DataFrame, n_counties: int, r: Rand, one_county: bool) -> pl.DataFrame:
    c = n_counties
    children = (
        pl.DataFrame({"county": pl.int_range(0, c, dtype=pl.Int64, eager=True)})
        .join(kg.group_by("county").agg(pl.col("children").sum()), on="county", how="left")
        .sort("county")
        .get_column("children")
        .fill_null(0)
    )
    idx = pl.int_range(0, c, dtype=pl.Int64)
    eligible = (200 + _lit(r.u(c)) * 800).floor().cast(pl.Int64)
    exchanged = (eligible * (0.07 + 0.08 * _lit(r.u(c)))).floor().cast(pl.Int64)
    cohort7 = (800 + _lit(r.u(c)) * 3000).floor().cast(pl.Int64)
    frame = pl.select(
        county_code=_county_code(idx, one_county),
        population_age_3_5=(_lit(children) / (0.82 + 0.2 * _lit(r.u(c)))).ceil().cast(pl.Int64),
        teachers_eligible_for_exchange=eligible,
        exchanged_teachers=exchanged,
        exchanged_key_teachers=(exchanged * (0.15 + 0.15 * _lit(r.u(c)))).floor().cast(pl.Int64),
        avg_teacher_salary=(100000 + _lit(r.u(c)) * 30000).cast(pl.Int64),
        avg_civil_servant_salary=(100000 + _lit(r.u(c)) * 28000).cast(pl.Int64),
        grade7_enrollment_of_cohort=cohort7,
        grade1_enrollment_of_cohort=(cohort7 * (1.0 + 0.05 * _lit(r.u(c)))).ceil().cast(pl.Int64),
        grade9_enrollment_now=(cohort7 * (0.93 + 0.07 * _lit(r.u(c)))).floor().cast(pl.Int64),
        social_recognition_rate=(0.8 + 0.19 * _lit(r.u(c))).round(4),
    )
    text = _texts(frame, "county").with_columns(
        # percentages are valid input for ratio fields
        social_recognition_rate=pl.when(_lit(r.u(c)) < 0.3)
        .then(
            pl.concat_str(
                (pl.col("social_recognition_rate").cast(pl.Float64) * 100).round(2).cast(pl.String),
                pl.lit("%"),
            )
        )
        .otherwise(pl.col("social_recognition_rate")),
    )
    return _corrupt(
        text,
        r,
        [
            ("population_age_3_5", pl.lit(None, pl.String)),
            ("exchanged_teachers", pl.lit("n/a")),
            (
                "exchanged_key_teachers",
                (pl.col("exchanged_teachers").cast(pl.Int64, strict=False) + 5).cast(pl.String),
            ),
        ],
    )


def dropout_cases(n: int, r: Rand, n_units: int, n_counties: int) -> pl.DataFrame:
    idx = pl.int_range(0, n, dtype=pl.Int64)
    unit = _lit(r.ints(n, 0, max(n_units, 1)))
    county = unit * n_counties // max(n_units, 1)
    status_u = r.u(n)
    frame = pl.select(
        student_id=_id("G64", idx, 16),
        school_id=_id("21", unit, 8),
        township=_township(unit, county),
        status=_pick(
            status_u,
            ["open", "returned", "home_schooling", "transferred", "exempt"],
            [0.1, 0.6, 0.1, 0.15, 0.05],
        ),
        days=_lit(r.ints(n, 0, 200)),
        recent=_lit(r.ints(n, 0, 45)),
        took=_lit(r.ints(n, 1, 60)),
        reason=_lit(r.ints(n, 0, len(REASONS))).replace_strict(
            dict(enumerate(REASONS)), return_dtype=pl.String
        ),
        responsible_person=_name(r, n),
        blank_person=_lit(r.u(n)) < 0.03,
    )
    is_open = pl.col("status") == "open"
    frame = frame.with_columns(
        identified=pl.when(is_open).then(269 - pl.col("recent")).otherwise(pl.col("days"))
    )
    frame = frame.with_columns(
        identified_date=_date("2024-01-04", pl.col("identified")),
        resolved_date=pl.when(is_open)
        .then(pl.lit(None, pl.String))
        .otherwise(_date("2024-01-04", pl.col("identified") + pl.col("took"))),
        responsible_person=pl.when(is_open & pl.col("blank_person"))
        .then(pl.lit(None, pl.String))
        .otherwise(pl.col("responsible_person")),
    )
    text = _texts(frame, "dropout_cases")
    return _corrupt(
        text,
        r,
        [
            ("identified_date", pl.lit("2024-13-45")),
            ("status", pl.lit("unknown")),
            ("resolved_date", pl.lit("2023-12-31")),
            ("school_id", pl.lit("2199999999")),
            ("identified_date", pl.lit(None, pl.String)),
            ("resolved_date", pl.lit("2024年2月30日")),
        ],
    )


def inspection_tables(r: Rand, n_units: int, towns: pl.Series) -> dict[str, pl.DataFrame]:
    n_insp = max(1, -(-n_units // 5))
    i = pl.int_range(0, n_insp, dtype=pl.Int64)
    inspectors = pl.select(
        inspector_id=_id("DX", i, 7),
        inspector_name=_name(r, n_insp),
        role=pl.when(_lit(r.u(n_insp)) < 0.3).then(pl.lit("full_time")).otherwise(pl.lit("part_time")),
        training_hours=pl.when(_lit(r.u(n_insp)) < 0.02)
        .then(0.0)
        .otherwise((1 + _lit(r.u(n_insp)) * 80).round(1)),
    )
    unit = pl.int_range(0, n_units, dtype=pl.Int64)
    assignments = (
        pl.select(
            inspector_id=_id("DX", unit * n_insp // max(n_units, 1), 7),
            school_id=_id("21", unit, 8),
            keep=_lit(r.u(n_units)) >= 0.01,
        )
        .filter("keep")
        .drop("keep")
    )
    m = assignments.height
    visits = (
        pl.concat([assignments, assignments])
        .with_columns(
            autumn=pl.int_range(0, 2 * m, dtype=pl.Int64) >= m,
            day=_lit(r.ints(2 * m, 0, 29)),
            found=_lit(r.ints(2 * m, 0, 6)),
            short=_lit(r.u(2 * m)),
        )
        .with_columns(
            visit_date=pl.when(pl.col("autumn"))
            .then(_date("2024-09-01", pl.col("day")))
            .otherwise(_date("2024-03-01", pl.col("day") * 4)),
            issues_found=pl.col("found"),
            issues_rectified=pl.when(pl.col("short") < 0.03)
            .then((pl.col("found") - 1).clip(0))
            .when(pl.col("short") < 0.035)
            .then(pl.col("found") + 1)
            .otherwise(pl.col("found")),
        )
    )
    checks = (
        pl.select(unit=pl.concat([unit, unit]))
        .with_columns(
            autumn=pl.int_range(0, 2 * n_units, dtype=pl.Int64) >= n_units,
            enrolled=_lit(r.ints(2 * n_units, 100, 2000)),
            missing=pl.when(_lit(r.u(2 * n_units)) < 0.02).then(_lit(r.ints(2 * n_units, 1, 4))).otherwise(0),
            day=_lit(r.ints(2 * n_units, 0, 10)),
        )
        .with_columns(
            school_id=_id("21", pl.col("unit"), 8),
            term=pl.when(pl.col("autumn")).then(pl.lit("autumn")).otherwise(pl.lit("spring")),
            check_date=pl.when(pl.col("autumn"))
            .then(_date("2024-09-01", pl.col("day")))
            .otherwise(_date("2024-03-01", pl.col("day"))),
            present=pl.col("enrolled") - pl.col("missing"),
        )
    )
    letters = (
        pl.concat(
            [
                pl.select(
                    party_type=pl.lit("school"),
                    party_id=_id("21", unit, 8),
                    day=_lit(r.ints(n_units, 0, 40)),
                    keep=_lit(r.u(n_units)) >= 0.01,
                ),
                pl.select(
                    party_type=pl.lit("township"),
                    party_id=_lit(towns),
                    day=pl.lit(10, dtype=pl.Int64),
                    keep=pl.lit(True),
                ),
            ]
        )
        .filter("keep")
        .with_columns(signed_date=_date("2024-01-20", pl.col("day")))
    )
    return {
        "inspectors": inspectors,
        "assignments": assignments,
        "visits": visits,
        "enrollment_checks": checks,
        "responsibility_letters": letters,
    }


def kindergarten_classes(kg: pl.DataFrame, r: Rand) -> pl.DataFrame:
    some = kg.filter(pl.int_range(0, pl.len()) % 8 == 0).select("kindergarten_id", "classes", "children")
    rows = some.with_columns(k=pl.int_ranges(0, pl.col("classes"))).explode("k").drop_nulls("k")
    n = rows.height
    grade_u = r.u(n)
    rows = rows.with_columns(
        grade=_pick(grade_u, ["small", "middle", "large", "mixed"], [0.32, 0.32, 0.32, 0.04]),
        class_name=pl.concat_str(pl.lit("班"), (pl.col("k") + 1).cast(pl.String)),
        children=((pl.col("children") / pl.col("classes")).floor() + (_lit(r.u(n)) * 5).floor()).cast(
            pl.Int64
        ),
    )
    return _corrupt(
        _texts(rows, "kindergarten_classes"),
        r,
        [
            ("grade", pl.lit("托班")),
            ("children", pl.lit("-3")),
        ],
    )


# --- driver -------------------------------------------------------------------------------


def manifest_text(one_county: bool) -> str:
    if one_county:
        head = f'county_code: "{COUNTY_CODE}"\ncounty_name: {COUNTY_NAME}\n'
    else:
        # The synthetic codes 110001, 110002, ... belong to no one province, so the batch
        # is the whole country; quoted, or YAML would read 000000 as the integer 0.
        head = (
            "# batch submission: county_code varies by row, the first county is 640122\n"
            f"region_code: '{REGION_CODE}'\nregion_name: {REGION_NAME}\n"
        )
    return (
        f"{head}year: {YEAR}\n"
        f"as_of: {AS_OF}\nsubmitted_by: supervise-rules benchmark generator (seed {SEED})\n"
    )


def generate(n: int, out: Path, *, seed: int = SEED, one_county: bool = False) -> dict[str, int]:
    """Write the submission for ``n`` school rows into ``out``; returns rows per table."""
    r = Rand(seed)
    out.mkdir(parents=True, exist_ok=True)
    tables: dict[str, pl.DataFrame] = {}
    tables["schools"], n_units, n_counties = schools(n, r, one_county)
    kg = kindergartens(n // 2, r, n_counties, one_county)
    tables["kindergartens"] = kindergarten_text(kg, r)
    tables["county"] = county_table(kg, n_counties, r, one_county)
    tables["dropout_cases"] = dropout_cases(2 * n, r, n_units, n_counties)
    towns = tables["schools"].get_column("township").drop_nulls().unique(maintain_order=True)
    for name, frame in inspection_tables(r, n_units, towns).items():
        tables[name] = _texts(frame, name)
    tables["kindergarten_classes"] = kindergarten_classes(kg, r)
    for name, frame in tables.items():
        frame.write_csv(out / f"{name}.csv")
    (out / "submission.yaml").write_text(manifest_text(one_county), encoding="utf-8")
    counts = {name: tables[name].height for name in COLUMNS}
    meta = {"n": n, "seed": seed, "one_county": one_county, "rows": counts, "polars": pl.__version__}
    (out / ".generated.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int, help="rows of schools (N)")
    p.add_argument("out", type=Path, help="output folder")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument(
        "--one-county", action="store_true", help="every row in county 640122 (one-row county table)"
    )
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    counts = generate(args.n, args.out, seed=args.seed, one_county=args.one_county)
    total = sum(counts.values())
    print(
        f"{args.out}: {total:,} rows in {time.perf_counter() - t0:.1f} s "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items()),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
