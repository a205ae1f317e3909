"""The hand-written polars baseline: the core checks of ``perf-baseline.md`` as one
lazy plan over the four baseline tables, ``collect_all``, and a JSON of counts.

    python benchmarks/polars_hand.py FOLDER [--as-of 2024-09-30]

Every CSV is read with all columns as text and cast by hand (a cell that does
not cast, a bad enum, a bad id or a negative count is a schema failure; rows
with any schema failure are dropped before the rules, as in the baseline).
Then: the 7 BAL indicators (per 100 students or per student) and the 6-of-7
rule, class size, school size (sum over sections), music/art rooms, parts ≤
full-time teachers, class plausibility, the enrollment-weighted CV of each
indicator per county and level, kindergarten gross enrollment / inclusive
coverage / public share / teacher ratio per county, kindergarten staffing,
county figures and the dropout-case dates and deadlines. The output is the
number of failing subjects per check id (``--output`` to keep it).

This is what "as fast as polars allows on this box" means for the ratio in
``run.py``; it does no reporting, messages or evidence.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import polars as pl

INDICATORS = {
    # column: (primary, junior, scale)
    "teachers_above_required_degree": (4.2, 5.3, 100.0),
    "key_teachers": (1.0, 1.0, 100.0),
    "pe_art_teachers": (0.9, 0.9, 100.0),
    "teaching_aux_area_m2": (4.5, 5.8, 1.0),
    "sports_area_m2": (7.5, 10.2, 1.0),
    "equipment_value_yuan": (2000.0, 2500.0, 1.0),
    "multimedia_classrooms": (2.3, 2.4, 100.0),
}
CV_LIMIT = {"primary": 0.50, "junior": 0.45}

SCHOOL_INT = [
    "students", "classes", "largest_class_size", "full_time_teachers",
    "teachers_above_required_degree", "key_teachers", "pe_art_teachers", "certified_teachers",
    "multimedia_classrooms", "music_rooms", "art_rooms",
]  # fmt: skip
SCHOOL_FLOAT = ["teaching_aux_area_m2", "sports_area_m2", "equipment_value_yuan"]
SCHOOL_ENUM = {
    "level": ["primary", "junior"],
    "school_type": ["standalone", "nine_year", "twelve_year", "teaching_point"],
    "ownership": ["public", "private"],
}
KG_INT = [
    "children", "classes", "largest_class_size", "staff", "full_time_teachers", "caregivers",
    "certified_teachers",
]  # fmt: skip
KG_ENUM = {"ownership": ["public", "private"]}
COUNTY_INT = [
    "population_age_3_5", "teachers_eligible_for_exchange", "exchanged_teachers",
    "exchanged_key_teachers", "grade9_enrollment_now", "grade7_enrollment_of_cohort",
    "grade1_enrollment_of_cohort",
]  # fmt: skip
COUNTY_FLOAT = ["avg_teacher_salary", "avg_civil_servant_salary"]
STATUS = ["open", "returned", "home_schooling", "transferred", "exempt"]


def _int(c: str) -> pl.Expr:
    return pl.col(c).str.strip_chars().cast(pl.Int64, strict=False)


def _float(c: str) -> pl.Expr:
    return pl.col(c).str.strip_chars().cast(pl.Float64, strict=False)


def _ratio(c: str) -> pl.Expr:
    s = pl.col(c).str.strip_chars()
    pct = s.str.ends_with("%")
    v = pl.when(pct).then(s.str.strip_suffix("%")).otherwise(s).cast(pl.Float64, strict=False)
    return pl.when(pct).then(v / 100).otherwise(v)


def _date(c: str) -> pl.Expr:
    return pl.col(c).str.strip_chars().str.to_date("%Y-%m-%d", strict=False)


def _typed(
    lf: pl.LazyFrame,
    ints: list[str],
    floats: list[str],
    other: dict[str, pl.Expr],
    enums: dict[str, list[str]],
    ids: dict[str, str],
    prefix: str,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(typed rows without schema failures, one-row frame of schema failure counts)."""
    casts = {c: _int(c) for c in ints} | {c: _float(c) for c in floats} | other
    bad: dict[str, pl.Expr] = {}
    for c, e in casts.items():
        raw = pl.col(c)
        bad[f"{prefix}:type:{c}"] = (raw.is_not_null() & e.is_null()) | (
            (e < 0) if c in ints or c in floats else pl.lit(False)
        )
    for c, values in enums.items():
        bad[f"{prefix}:enum:{c}"] = pl.col(c).is_not_null() & ~pl.col(c).is_in(values)
    for c, pattern in ids.items():
        bad[f"{prefix}:id:{c}"] = pl.col(c).is_null() | ~pl.col(c).str.contains(pattern)
    flagged = lf.with_columns(**{k: v.fill_null(True) for k, v in bad.items()})
    counts = flagged.select([pl.col(k).sum() for k in bad])
    ok = ~pl.any_horizontal([pl.col(k) for k in bad])
    typed = flagged.filter(ok).with_columns(**casts).drop(list(bad))
    return typed, counts


def _fails(name: str, cond: pl.Expr) -> pl.Expr:
    """Count of rows where ``cond`` (a pass condition) is not true."""
    return (~cond.fill_null(False)).sum().alias(name)


def plan(folder: Path, as_of: dt.date) -> list[pl.LazyFrame]:
    def scan(t: str) -> pl.LazyFrame:
        return pl.scan_csv(folder / f"{t}.csv", infer_schema=False)

    out: list[pl.LazyFrame] = []
    # --- schools -----------------------------------------------------------------------
    s, counts = _typed(
        scan("schools"),
        SCHOOL_INT,
        SCHOOL_FLOAT,
        {},
        SCHOOL_ENUM,
        {"school_id": r"^\d{10}$", "county_code": r"^\d{6}$"},
        "schools",
    )
    out.append(counts)
    primary = pl.col("level") == "primary"
    ind, thr = {}, {}
    for i, (c, (tp, tj, scale)) in enumerate(INDICATORS.items(), start=1):
        ind[i] = pl.col(c) * scale / pl.col("students")
        thr[i] = pl.when(primary).then(tp).otherwise(tj)
    s = s.with_columns(**{f"i{i}": ind[i] for i in ind}, **{f"t{i}": thr[i] for i in thr}).with_columns(
        **{f"m{i}": pl.col(f"i{i}") >= pl.col(f"t{i}") for i in ind}
    )
    met = pl.sum_horizontal([pl.col(f"m{i}").cast(pl.Int32) for i in ind])
    floor_ok = pl.all_horizontal([pl.col(f"m{i}") | (pl.col(f"i{i}") >= 0.85 * pl.col(f"t{i}")) for i in ind])
    rooms = (pl.col("classes") / 12).ceil()
    ftt = pl.col("full_time_teachers")
    out.append(
        s.select(
            *[_fails(f"BAL-0{i}", pl.col(f"m{i}")) for i in ind],
            _fails("BAL-08", (met >= 6) & floor_ok),
            _fails("BAL-21", pl.col("largest_class_size") <= pl.when(primary).then(45).otherwise(50)),
            _fails("BAL-23", (pl.col("music_rooms") >= rooms) & (pl.col("art_rooms") >= rooms)),
            *[
                _fails(f"CON-02:{c}", pl.col(c) <= ftt)
                for c in (
                    "teachers_above_required_degree",
                    "key_teachers",
                    "pe_art_teachers",
                    "certified_teachers",
                )
            ],
            _fails("CON-03:capacity", pl.col("students") <= pl.col("classes") * pl.col("largest_class_size")),
            _fails("CON-03:largest", pl.col("largest_class_size") <= pl.col("students")),
            _fails("CON-03:classes", (pl.col("students") == 0) | (pl.col("classes") >= 1)),
            pl.len().alias("schools:checked"),
        )
    )
    whole = s.group_by("school_id").agg(pl.col("students").sum(), pl.col("school_type").first())
    limit = pl.when(pl.col("school_type").is_in(["nine_year", "twelve_year"])).then(2500).otherwise(2000)
    out.append(whole.select(_fails("BAL-22", pl.col("students") <= limit)))
    cv_rows = s.filter(~((pl.col("school_type") == "teaching_point") & (pl.col("students") < 50)))
    weight = pl.col("students") / pl.col("students").sum()
    cv_aggs = []
    for i in ind:
        x = pl.col(f"i{i}")
        mean = (weight * x).sum()
        sd = (weight * (x - mean) ** 2).sum().sqrt()
        cv_aggs.append((sd / mean).alias(f"cv{i}"))
    groups = cv_rows.group_by("county_code", "level").agg(cv_aggs)
    glimit = pl.col("level").replace_strict(CV_LIMIT, return_dtype=pl.Float64)
    out.append(groups.select(*[_fails(f"BAL-1{i}", pl.col(f"cv{i}") <= glimit) for i in ind]))
    # --- county ------------------------------------------------------------------------
    c, counts = _typed(
        scan("county"),
        COUNTY_INT,
        COUNTY_FLOAT,
        {"social_recognition_rate": _ratio("social_recognition_rate")},
        {},
        {"county_code": r"^\d{6}$"},
        "county",
    )
    out.append(counts)
    out.append(
        c.select(
            _fails("BAL-25", pl.col("exchanged_teachers") / pl.col("teachers_eligible_for_exchange") >= 0.10),
            _fails("BAL-26", pl.col("exchanged_key_teachers") / pl.col("exchanged_teachers") >= 0.20),
            _fails("BAL-27", pl.col("avg_teacher_salary") >= pl.col("avg_civil_servant_salary")),
            _fails("BAL-31", pl.col("grade9_enrollment_now") / pl.col("grade7_enrollment_of_cohort") >= 0.95),
            _fails("BAL-41", pl.col("social_recognition_rate") >= 0.85),
            _fails("DRP-01", pl.col("grade9_enrollment_now") / pl.col("grade1_enrollment_of_cohort") >= 0.95),
            _fails(
                "CON-02:county",
                (pl.col("exchanged_key_teachers") <= pl.col("exchanged_teachers"))
                & (pl.col("exchanged_teachers") <= pl.col("teachers_eligible_for_exchange")),
            ),
        )
    )
    # --- kindergartens -----------------------------------------------------------------
    inclusive = (
        pl.col("inclusive")
        .str.to_lowercase()
        .replace_strict(
            {"true": True, "false": False, "是": True, "否": False}, default=None, return_dtype=pl.Boolean
        )
    )
    k, counts = _typed(
        scan("kindergartens"),
        KG_INT,
        [],
        {"inclusive": inclusive},
        KG_ENUM,
        {"county_code": r"^\d{6}$"},
        "kindergartens",
    )
    out.append(counts)
    public = pl.col("ownership") == "public"
    out.append(
        k.select(
            _fails(
                "PRE-08",
                (pl.col("full_time_teachers") >= 2 * pl.col("classes"))
                & (pl.col("caregivers") >= pl.col("classes")),
            ),
            _fails("PRE-09", pl.col("children") / pl.col("staff") <= 7),
            _fails("CON-02:kg-certified", pl.col("certified_teachers") <= pl.col("full_time_teachers")),
            _fails("CON-02:kg-staff", pl.col("full_time_teachers") + pl.col("caregivers") <= pl.col("staff")),
        )
    )
    per_county = (
        k.group_by("county_code")
        .agg(
            children=pl.col("children").sum(),
            inclusive=pl.when(public | pl.col("inclusive")).then(pl.col("children")).otherwise(0).sum(),
            public=pl.when(public).then(pl.col("children")).otherwise(0).sum(),
            teachers=pl.col("full_time_teachers").sum(),
            certified=pl.col("certified_teachers").sum(),
        )
        .join(c.select("county_code", "population_age_3_5"), on="county_code", how="left")
    )
    out.append(
        per_county.select(
            _fails("PRE-01", pl.col("children") / pl.col("population_age_3_5") >= 0.85),
            _fails("PRE-02", pl.col("inclusive") / pl.col("children") >= 0.80),
            _fails("PRE-03", pl.col("public") / pl.col("children") >= 0.50),
            _fails("PRE-04", pl.col("children") / pl.col("teachers") <= 15),
            _fails("PRE-05", pl.col("certified") == pl.col("teachers")),
            _fails("PRE-10", pl.col("children") / pl.col("population_age_3_5") >= 0.90),
            _fails("PRE-11", pl.col("inclusive") / pl.col("children") >= 0.85),
        )
    )
    # --- dropout cases -----------------------------------------------------------------
    d, counts = _typed(
        scan("dropout_cases"),
        [],
        [],
        {"identified_date": _date("identified_date"), "resolved_date": _date("resolved_date")},
        {"status": STATUS},
        {"school_id": r"^\d{10}$"},
        "dropout_cases",
    )
    out.append(counts)
    is_open = pl.col("status") == "open"
    today = pl.lit(as_of)
    out.append(
        d.select(
            _fails(
                "CON-05:future",
                (pl.col("identified_date") <= today)
                & (pl.col("resolved_date").is_null() | (pl.col("resolved_date") <= today)),
            ),
            _fails(
                "CON-05:order",
                pl.col("resolved_date").is_null() | (pl.col("resolved_date") >= pl.col("identified_date")),
            ),
            _fails("CON-05:status", is_open == pl.col("resolved_date").is_null()),
            _fails("DRP-05", ~is_open | pl.col("responsible_person").is_not_null()),
            _fails("DRP-06", ~is_open | (pl.col("identified_date") >= today - pl.duration(days=30))),
        )
    )
    known = s.select("school_id").unique()
    out.append(d.join(known, on="school_id", how="anti").select(pl.len().alias("CON-04:school_id")))
    return out


def run(folder: Path, as_of: dt.date) -> dict[str, int]:
    frames = pl.collect_all(plan(folder, as_of))
    counts: dict[str, int] = {}
    for f in frames:
        counts.update({k: int(v or 0) for k, v in f.row(0, named=True).items()})
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="hand-written polars baseline")
    p.add_argument("folder", type=Path)
    p.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2024, 9, 30))
    p.add_argument("--output", type=Path, help="write the counts as JSON here")
    args = p.parse_args(argv)
    counts = run(args.folder, args.as_of)
    text = json.dumps(counts, indent=1, sort_keys=True)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
