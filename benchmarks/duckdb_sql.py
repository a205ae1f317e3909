"""The hand-written DuckDB baseline: what ``polars_hand.py`` computes, in DuckDB SQL.

    python benchmarks/duckdb_sql.py FOLDER [--as-of 2024-09-30] [--output counts.json]

The same checks on the same four tables, the same casts (a cell that does not
cast, a bad enum, a bad id or a negative count is a schema failure; rows with
any schema failure are left out of the rules) and the same JSON of counts per
check id, so that ``run.py`` can hold the ``duckdb`` backend against what DuckDB
does when a person writes the SQL: each table is read once (``read_csv`` with
every column as text, or ``read_parquet`` of a folder of ``.parquet`` copies)
and typed into a temporary table; every check is then one aggregate over it,
and all the checks of a table are one query.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# the checks' constants are polars_hand's own
from polars_hand import (
    COUNTY_FLOAT,
    COUNTY_INT,
    CV_LIMIT,
    INDICATORS,
    KG_ENUM,
    KG_INT,
    SCHOOL_ENUM,
    SCHOOL_FLOAT,
    SCHOOL_INT,
    STATUS,
)

#: what polars' strip_chars() strips (Unicode whitespace), for RE2
_WS = r"[\t\n\x{0b}\f\r \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"


def _strip(c: str) -> str:
    return f"regexp_replace(\"{c}\", '^{_WS}+|{_WS}+$', '', 'g')"


def _int(c: str) -> str:
    # polars casts "12" and "+12", never "12.0" or "1e3" (DuckDB's cast would)
    s = _strip(c)
    return f"CASE WHEN regexp_full_match({s}, '[+-]?[0-9]+') THEN TRY_CAST({s} AS BIGINT) END"


def _float(c: str) -> str:
    return f"TRY_CAST({_strip(c)} AS DOUBLE)"


def _ratio(c: str) -> str:
    s = _strip(c)
    body = f"TRY_CAST(CASE WHEN suffix({s}, '%') THEN left({s}, length({s}) - 1) ELSE {s} END AS DOUBLE)"
    return f"CASE WHEN suffix({s}, '%') THEN {body} / 100 ELSE {body} END"


def _date(c: str) -> str:
    return f"CAST(try_strptime({_strip(c)}, '%Y-%m-%d') AS DATE)"


def _inclusive(c: str) -> str:
    cases = "WHEN 'true' THEN true WHEN 'false' THEN false WHEN '是' THEN true WHEN '否' THEN false"
    return f'CASE lower("{c}") {cases} END'


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Baseline:
    def __init__(self, folder: Path, as_of: dt.date):
        import duckdb

        self.con = duckdb.connect()
        self.folder = folder
        self.as_of = as_of
        self.counts: dict[str, int] = {}

    def source(self, table: str) -> str:
        parquet = self.folder / f"{table}.parquet"
        if parquet.is_file():
            return f"read_parquet('{parquet}')"
        return f"read_csv('{self.folder / f'{table}.csv'}', all_varchar = true, header = true)"

    def typed(
        self,
        table: str,
        ints: list[str],
        floats: list[str],
        other: dict[str, str],
        enums: dict[str, list[str]],
        ids: dict[str, str],
    ) -> str:
        """A temporary table of the rows without schema failures, typed; the
        failures are counted (``table:type:c``, ``table:enum:c``, ``table:id:c``)."""
        casts = {c: _int(c) for c in ints} | {c: _float(c) for c in floats} | other
        bad: dict[str, str] = {}
        for c, e in casts.items():
            negative = f"({e}) < 0" if c in ints or c in floats else "false"
            bad[f"{table}:type:{c}"] = f'coalesce(("{c}" IS NOT NULL AND ({e}) IS NULL) OR {negative}, true)'
        for c, values in enums.items():
            listed = ", ".join(f"'{v}'" for v in values)
            bad[f"{table}:enum:{c}"] = f'coalesce("{c}" IS NOT NULL AND "{c}" NOT IN ({listed}), true)'
        for c, pattern in ids.items():
            bad[f"{table}:id:{c}"] = (
                f'coalesce("{c}" IS NULL OR NOT regexp_matches("{c}", \'{pattern}\'), true)'
            )
        flags = ", ".join(f"{e} AS {_q(k)}" for k, e in bad.items())
        raw = f"{table}_flagged"
        self.con.execute(f"CREATE TEMP TABLE {raw} AS SELECT *, {flags} FROM {self.source(table)}")
        row = self.con.execute(
            f"SELECT {', '.join(f'count_if({_q(k)})' for k in bad)} FROM {raw}"
        ).fetchall()[0]
        self.counts.update({k: int(v) for k, v in zip(bad, row, strict=True)})
        columns = self.con.execute(f"DESCRIBE {raw}").fetchall()
        keep = [c[0] for c in columns if c[0] not in bad]
        select = ", ".join(f"{casts[c]} AS {_q(c)}" if c in casts else _q(c) for c in keep)
        ok = " AND ".join(f"NOT {_q(k)}" for k in bad)
        self.con.execute(f"CREATE TEMP TABLE {table}_typed AS SELECT {select} FROM {raw} WHERE {ok}")
        self.con.execute(f"DROP TABLE {raw}")
        return f"{table}_typed"

    def fails(self, relation: str, checks: dict[str, str]) -> None:
        """Rows of ``relation`` where each check (a pass condition) is not true."""
        select = ", ".join(f"count_if(NOT coalesce({cond}, false)) AS {_q(k)}" for k, cond in checks.items())
        row = self.con.execute(f"SELECT {select} FROM {relation}").fetchall()[0]
        self.counts.update({k: int(v or 0) for k, v in zip(checks, row, strict=True)})

    def run(self) -> dict[str, int]:
        self.schools()
        self.county_and_kindergartens()
        self.dropout_cases()
        return self.counts

    def schools(self) -> None:
        s = self.typed(
            "schools",
            SCHOOL_INT,
            SCHOOL_FLOAT,
            {},
            SCHOOL_ENUM,
            {"school_id": r"^\d{10}$", "county_code": r"^\d{6}$"},
        )
        parts = []
        for i, (c, (tp, tj, scale)) in enumerate(INDICATORS.items(), start=1):
            parts.append(f'"{c}" * {scale} / students AS i{i}')
            parts.append(f"CASE WHEN level = 'primary' THEN {tp} ELSE {tj} END AS t{i}")
        self.con.execute(f"CREATE TEMP VIEW s_ind AS SELECT *, {', '.join(parts)} FROM {s}")
        ind = range(1, len(INDICATORS) + 1)
        met = " + ".join(f"coalesce(CAST(i{i} >= t{i} AS INTEGER), 0)" for i in ind)
        floor_ok = " AND ".join(f"(i{i} >= t{i} OR i{i} >= 0.85 * t{i})" for i in ind)
        rooms = "ceil(classes / 12)"
        checks = {f"BAL-0{i}": f"i{i} >= t{i}" for i in ind}
        checks["BAL-08"] = f"({met}) >= 6 AND {floor_ok}"
        checks["BAL-21"] = "largest_class_size <= CASE WHEN level = 'primary' THEN 45 ELSE 50 END"
        checks["BAL-23"] = f"music_rooms >= {rooms} AND art_rooms >= {rooms}"
        for c in ("teachers_above_required_degree", "key_teachers", "pe_art_teachers", "certified_teachers"):
            checks[f"CON-02:{c}"] = f"{c} <= full_time_teachers"
        checks["CON-03:capacity"] = "students <= classes * largest_class_size"
        checks["CON-03:largest"] = "largest_class_size <= students"
        checks["CON-03:classes"] = "students = 0 OR classes >= 1"
        self.fails("s_ind", checks)
        self.counts["schools:checked"] = self.con.execute(f"SELECT count(*) FROM {s}").fetchall()[0][0]
        self.fails(
            f"(SELECT school_id, sum(students) AS students, first(school_type) AS school_type FROM {s} "
            "GROUP BY school_id)",
            {
                "BAL-22": "students <= "
                "CASE WHEN school_type IN ('nine_year', 'twelve_year') THEN 2500 ELSE 2000 END"
            },
        )
        # the enrollment-weighted CV of each indicator per county and level
        rows = "(SELECT * FROM s_ind WHERE NOT (school_type = 'teaching_point' AND students < 50))"
        means = ", ".join(f"sum(students * i{i}) / sum(students) AS mean{i}" for i in ind)
        self.con.execute(
            f"CREATE TEMP VIEW g_mean AS SELECT county_code, level, {means} "
            f"FROM {rows} GROUP BY county_code, level"
        )
        cvs = ", ".join(
            f"sqrt(sum(students * (i{i} - mean{i}) ^ 2) / sum(students)) / any_value(mean{i}) AS cv{i}"
            for i in ind
        )
        limit = " ".join(f"WHEN '{k}' THEN {v}" for k, v in CV_LIMIT.items())
        limit = f"CASE level {limit} END"
        self.fails(
            f"(SELECT level, {cvs} FROM {rows} r JOIN g_mean USING (county_code, level) "
            "GROUP BY county_code, level)",
            {f"BAL-1{i}": f"cv{i} <= {limit}" for i in ind},
        )

    def county_and_kindergartens(self) -> None:
        c = self.typed(
            "county",
            COUNTY_INT,
            COUNTY_FLOAT,
            {"social_recognition_rate": _ratio("social_recognition_rate")},
            {},
            {"county_code": r"^\d{6}$"},
        )
        self.fails(
            c,
            {
                "BAL-25": "exchanged_teachers / teachers_eligible_for_exchange >= 0.10",
                "BAL-26": "exchanged_key_teachers / exchanged_teachers >= 0.20",
                "BAL-27": "avg_teacher_salary >= avg_civil_servant_salary",
                "BAL-31": "grade9_enrollment_now / grade7_enrollment_of_cohort >= 0.95",
                "BAL-41": "social_recognition_rate >= 0.85",
                "DRP-01": "grade9_enrollment_now / grade1_enrollment_of_cohort >= 0.95",
                "CON-02:county": "exchanged_key_teachers <= exchanged_teachers "
                "AND exchanged_teachers <= teachers_eligible_for_exchange",
            },
        )
        k = self.typed(
            "kindergartens",
            KG_INT,
            [],
            {"inclusive": _inclusive("inclusive")},
            KG_ENUM,
            {"county_code": r"^\d{6}$"},
        )
        self.fails(
            k,
            {
                "PRE-08": "full_time_teachers >= 2 * classes AND caregivers >= classes",
                "PRE-09": "children / staff <= 7",
                "CON-02:kg-certified": "certified_teachers <= full_time_teachers",
                "CON-02:kg-staff": "full_time_teachers + caregivers <= staff",
            },
        )
        per_county = (
            "(SELECT k.*, c.population_age_3_5 FROM (SELECT county_code, sum(children) AS children, "
            "sum(CASE WHEN ownership = 'public' OR inclusive THEN children ELSE 0 END) AS inclusive, "
            "sum(CASE WHEN ownership = 'public' THEN children ELSE 0 END) AS public, "
            "sum(full_time_teachers) AS teachers, sum(certified_teachers) AS certified "
            f"FROM {k} GROUP BY county_code) k LEFT JOIN {c} c USING (county_code))"
        )
        self.fails(
            per_county,
            {
                "PRE-01": "children / population_age_3_5 >= 0.85",
                "PRE-02": "inclusive / children >= 0.80",
                "PRE-03": "public / children >= 0.50",
                "PRE-04": "children / teachers <= 15",
                "PRE-05": "certified = teachers",
                "PRE-10": "children / population_age_3_5 >= 0.90",
                "PRE-11": "inclusive / children >= 0.85",
            },
        )

    def dropout_cases(self) -> None:
        d = self.typed(
            "dropout_cases",
            [],
            [],
            {"identified_date": _date("identified_date"), "resolved_date": _date("resolved_date")},
            {"status": STATUS},
            {"school_id": r"^\d{10}$"},
        )
        today = f"DATE '{self.as_of.isoformat()}'"
        self.fails(
            d,
            {
                "CON-05:future": f"identified_date <= {today} "
                f"AND (resolved_date IS NULL OR resolved_date <= {today})",
                "CON-05:order": "resolved_date IS NULL OR resolved_date >= identified_date",
                "CON-05:status": "(status = 'open') = (resolved_date IS NULL)",
                "DRP-05": "status <> 'open' OR responsible_person IS NOT NULL",
                "DRP-06": f"status <> 'open' OR identified_date >= {today} - INTERVAL 30 DAY",
            },
        )
        self.counts["CON-04:school_id"] = self.con.execute(
            f"SELECT count(*) FROM {d} "
            "ANTI JOIN (SELECT DISTINCT school_id FROM schools_typed) USING (school_id)"
        ).fetchall()[0][0]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="hand-written DuckDB SQL baseline")
    p.add_argument("folder", type=Path, help="a folder of the benchmark's CSV files (or .parquet copies)")
    p.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2024, 9, 30))
    p.add_argument("--output", type=Path, help="write the counts as JSON here")
    args = p.parse_args(argv)
    counts = Baseline(args.folder, args.as_of).run()
    text = json.dumps(counts, indent=1, sort_keys=True)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
