"""Generate the 贺兰县 2024 example submissions (deterministic).

Run from the repository root::

    python examples/make_helan_2024.py

It (re)writes

* ``examples/helan-2024/``            a complete county submission (every table of the
  data contract), with a few deliberate rule failures documented in its README;
* ``examples/helan-2024-preschool/``  only the manifest, ``county.csv`` and
  ``kindergartens.csv``: the same 60 kindergartens, reproducing the seed figures of
  work point 7 (13,619 children, 9,169 public, 2,133 inclusive private).

Everything comes from ``random.Random(2024)`` and the standard library, so the output
is byte-for-byte identical on every run.  All names of people and all student
numbers are fictitious.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
FULL_DIR = HERE / "helan-2024"
PRESCHOOL_DIR = HERE / "helan-2024-preschool"

COUNTY_CODE = "640122"
COUNTY_NAME = "贺兰县"
YEAR = 2024
AS_OF = dt.date(2024, 9, 30)
SUBMITTED_BY = "贺兰县教育督导室"

# Seed figures (work point 7, spring 2024).
KG_TOTAL = 13619
KG_PUBLIC_CHILDREN = 9169
KG_INCLUSIVE_PRIVATE_CHILDREN = 2133
KG_OTHER_PRIVATE_CHILDREN = KG_TOTAL - KG_PUBLIC_CHILDREN - KG_INCLUSIVE_PRIVATE_CHILDREN
POPULATION_AGE_3_5 = 13896  # 13619 / 13896 = 0.98006... -> 98.01 %

# Column order = field names of the data contract (docs: data-contract.md).
COLUMNS: dict[str, list[str]] = {
    "county": [
        "county_code",
        "population_age_3_5",
        "teachers_eligible_for_exchange",
        "exchanged_teachers",
        "exchanged_key_teachers",
        "avg_teacher_salary",
        "avg_civil_servant_salary",
        "grade9_enrollment_now",
        "grade7_enrollment_of_cohort",
        "grade1_enrollment_of_cohort",
        "social_recognition_rate",
    ],
    "schools": [
        "school_id",
        "school_name",
        "county_code",
        "township",
        "level",
        "school_type",
        "ownership",
        "students",
        "classes",
        "largest_class_size",
        "full_time_teachers",
        "teachers_above_required_degree",
        "key_teachers",
        "pe_art_teachers",
        "certified_teachers",
        "teaching_aux_area_m2",
        "sports_area_m2",
        "equipment_value_yuan",
        "multimedia_classrooms",
        "music_rooms",
        "art_rooms",
    ],
    "kindergartens": [
        "kindergarten_id",
        "kindergarten_name",
        "county_code",
        "ownership",
        "inclusive",
        "children",
        "classes",
        "largest_class_size",
        "staff",
        "full_time_teachers",
        "caregivers",
        "certified_teachers",
    ],
    "kindergarten_classes": ["kindergarten_id", "class_name", "grade", "children"],
    "inspectors": ["inspector_id", "inspector_name", "role", "training_hours"],
    "assignments": ["inspector_id", "school_id"],
    "visits": ["inspector_id", "school_id", "visit_date", "issues_found", "issues_rectified"],
    "enrollment_checks": ["school_id", "term", "check_date", "enrolled", "present"],
    "dropout_cases": [
        "student_id",
        "school_id",
        "township",
        "identified_date",
        "reason",
        "status",
        "resolved_date",
        "responsible_person",
    ],
    "responsibility_letters": ["party_type", "party_id", "signed_date"],
}

CN_NUM = "一二三四五六七八九十"


# --------------------------------------------------------------------------- helpers


def cn_number(n: int) -> str:
    """1..99 as Chinese numerals (一, 十, 十一, 二十三 ...)."""
    if n <= 10:
        return CN_NUM[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CN_NUM[tens - 1]
    return head + "十" + (CN_NUM[ones - 1] if ones else "")


def allocate(rng: random.Random, total: int, weights: list[float], minimum: int = 1) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    wsum = sum(weights)
    raw = [total * w / wsum for w in weights]
    parts = [max(minimum, math.floor(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (raw[i] - math.floor(raw[i]), -i), reverse=True)
    k = 0
    while sum(parts) < total:
        parts[order[k % len(order)]] += 1
        k += 1
    while sum(parts) > total:  # only if `minimum` pushed us over
        i = max(range(len(parts)), key=lambda j: parts[j])
        parts[i] -= 1
    return parts


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".")
        return text
    return str(value)


def write_csv(folder: Path, table: str, rows: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    columns = COLUMNS[table]
    with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(row.get(c)) for c in columns])


def write_manifest(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = (
        f'county_code: "{COUNTY_CODE}"\n'
        f"county_name: {COUNTY_NAME}\n"
        f"year: {YEAR}\n"
        f"as_of: {AS_OF.isoformat()}\n"
        f"submitted_by: {SUBMITTED_BY}\n"
    )
    (folder / "submission.yaml").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- county


def make_county() -> dict[str, object]:
    """The one county row; fixed figures, every county-level rule passes."""
    return {
        "county_code": COUNTY_CODE,
        "population_age_3_5": POPULATION_AGE_3_5,
        "teachers_eligible_for_exchange": 634,
        "exchanged_teachers": 71,  # 11.2 % >= 10 %
        "exchanged_key_teachers": 17,  # 23.9 % >= 20 %
        "avg_teacher_salary": 121480.0,
        "avg_civil_servant_salary": 119360.0,
        "grade9_enrollment_now": 2716,
        "grade7_enrollment_of_cohort": 2787,  # 3-year retention 0.9745
        "grade1_enrollment_of_cohort": 2829,  # 9-year retention 0.9601
        "social_recognition_rate": 0.9372,
    }


# --------------------------------------------------------------------------- kindergartens

KG_PUBLIC_URBAN = [f"贺兰县第{cn_number(i)}幼儿园" for i in range(1, 13)]
KG_PUBLIC_TOWNSHIP = [
    "习岗镇中心幼儿园",
    "金贵镇中心幼儿园",
    "立岗镇中心幼儿园",
    "洪广镇中心幼儿园",
    "常信乡中心幼儿园",
    "暖泉农场幼儿园",
    "南梁台子幼儿园",
]
KG_PUBLIC_VILLAGE = [
    "习岗镇新平村幼儿园",
    "习岗镇桂文村幼儿园",
    "习岗镇星火村幼儿园",
    "金贵镇银河村幼儿园",
    "金贵镇关渠村幼儿园",
    "金贵镇汉佐村幼儿园",
    "金贵镇联星村幼儿园",
    "金贵镇通义村幼儿园",
    "立岗镇通昌村幼儿园",
    "立岗镇兰光村幼儿园",
    "立岗镇民乐村幼儿园",
    "立岗镇永兴村幼儿园",
    "洪广镇金山村幼儿园",
    "洪广镇欣荣村幼儿园",
    "洪广镇洪西村幼儿园",
    "常信乡丁北村幼儿园",
    "常信乡四十里店村幼儿园",
    "常信乡丰登村幼儿园",
    "常信乡李岗村幼儿园",
    "暖泉农场二站幼儿园",
]
KG_PRIVATE_INCLUSIVE = [
    "贺兰县阳光幼儿园",
    "贺兰县金色童年幼儿园",
    "贺兰县小太阳幼儿园",
    "贺兰县育才幼儿园",
    "贺兰县启明星幼儿园",
    "贺兰县七彩虹幼儿园",
    "贺兰县春蕾幼儿园",
    "贺兰县童心幼儿园",
    "金贵镇快乐宝贝幼儿园",
    "立岗镇小天使幼儿园",
    "洪广镇新星幼儿园",
    "常信乡智慧树幼儿园",
]
KG_PRIVATE_OTHER = [
    "贺兰县爱弥儿幼儿园",
    "贺兰县博雅双语幼儿园",
    "贺兰县格林幼儿园",
    "贺兰县金苹果幼儿园",
    "贺兰县蒙特梭利幼儿园",
    "贺兰县贝贝佳幼儿园",
    "贺兰县童之梦幼儿园",
    "贺兰县培英艺术幼儿园",
    "贺兰县翰林幼儿园",
]

KG_GRADE_CAP = {"small": 25, "middle": 30, "large": 35, "mixed": 30}
KG_GRADE_CN = {"small": "小", "middle": "中", "large": "大", "mixed": "混龄"}


def split_classes(rng: random.Random, children: int) -> list[tuple[str, int]]:
    """Classes (grade, children) of one kindergarten, every class within its limit."""
    if children < 75:
        n = math.ceil(children / 26)
        grades = ["mixed"] * n
    else:
        n = max(3, round(children / rng.uniform(27.0, 29.5)))
        cycle = ["large", "middle", "small"]
        grades = [cycle[i % 3] for i in range(n)]
        while sum(KG_GRADE_CAP[g] for g in grades) * 0.97 < children:
            grades.append(cycle[len(grades) % 3])
    caps = [KG_GRADE_CAP[g] for g in grades]
    sizes = allocate(rng, children, [c * rng.uniform(0.93, 1.0) for c in caps])
    # never above the cap: move the overflow to the roomiest class
    for i, cap in enumerate(caps):
        while sizes[i] > cap:
            j = max(range(len(sizes)), key=lambda k: caps[k] - sizes[k])
            sizes[i] -= 1
            sizes[j] += 1
    order = {"small": 0, "middle": 1, "large": 2, "mixed": 3}
    pairs = sorted(zip(grades, sizes, strict=True), key=lambda p: order[p[0]])
    return pairs


def make_kindergartens(rng: random.Random) -> tuple[list[dict], list[dict]]:
    groups = [
        # (names, ownership, inclusive flag, weight range)
        (KG_PUBLIC_URBAN, "public", True, (3.0, 4.3)),
        (KG_PUBLIC_TOWNSHIP, "public", True, (1.6, 2.6)),
        (KG_PUBLIC_VILLAGE, "public", True, (0.45, 1.2)),
        (KG_PRIVATE_INCLUSIVE, "private", True, (0.8, 2.2)),
        (KG_PRIVATE_OTHER, "private", False, (0.9, 2.4)),
    ]
    weights = [[rng.uniform(*g[3]) for _ in g[0]] for g in groups]
    n_public = sum(len(g[0]) for g in groups[:3])
    public_sizes = allocate(rng, KG_PUBLIC_CHILDREN, [w for ws in weights[:3] for w in ws])
    sizes = [
        public_sizes[: len(groups[0][0])],
        public_sizes[len(groups[0][0]) : len(groups[0][0]) + len(groups[1][0])],
        public_sizes[len(groups[0][0]) + len(groups[1][0]) : n_public],
        allocate(rng, KG_INCLUSIVE_PRIVATE_CHILDREN, weights[3]),
        allocate(rng, KG_OTHER_PRIVATE_CHILDREN, weights[4]),
    ]

    kgs: list[dict] = []
    classes_rows: list[dict] = []
    next_id = 3164000100
    for (names, ownership, inclusive, _), group_sizes in zip(groups, sizes, strict=True):
        for name, children in zip(names, group_sizes, strict=True):
            next_id += rng.randint(3, 40)
            kg_id = str(next_id)
            pairs = split_classes(rng, children)
            n_classes = len(pairs)
            teachers = 2 * n_classes + (rng.randint(0, 2) if n_classes >= 6 else 0)
            caregivers = n_classes + (1 if n_classes >= 9 and rng.random() < 0.5 else 0)
            others = max(2, math.ceil(children / 6.5) - teachers - caregivers) + rng.randint(1, 3)
            kgs.append(
                {
                    "kindergarten_id": kg_id,
                    "kindergarten_name": name,
                    "county_code": COUNTY_CODE,
                    "ownership": ownership,
                    # the county platform leaves the flag on for public kindergartens
                    "inclusive": inclusive,
                    "children": children,
                    "classes": n_classes,
                    "largest_class_size": max(s for _, s in pairs),
                    "staff": teachers + caregivers + others,
                    "full_time_teachers": teachers,
                    "caregivers": caregivers,
                    "certified_teachers": teachers,
                }
            )
            seen: dict[str, int] = {}
            for grade, size in pairs:
                seen[grade] = seen.get(grade, 0) + 1
                classes_rows.append(
                    {
                        "kindergarten_id": kg_id,
                        "class_name": f"{KG_GRADE_CN[grade]}{cn_number(seen[grade])}班",
                        "grade": grade,
                        "children": size,
                    }
                )
    return kgs, classes_rows


# --------------------------------------------------------------------------- schools

# (name, township, school_type, ownership, {level: students}, profile)
SCHOOL_SPECS: list[tuple[str, str, str, str, dict[str, int], str]] = [
    ("贺兰县第一小学", "习岗镇", "standalone", "public", {"primary": 1862}, "urban"),
    ("贺兰县第二小学", "习岗镇", "standalone", "public", {"primary": 1647}, "urban"),
    ("贺兰县第三小学", "习岗镇", "standalone", "public", {"primary": 1523}, "urban"),
    ("贺兰县第四小学", "习岗镇", "standalone", "public", {"primary": 1318}, "urban"),
    ("贺兰县第五小学", "习岗镇", "standalone", "public", {"primary": 1196}, "urban"),
    ("贺兰县第六小学", "习岗镇", "standalone", "public", {"primary": 1034}, "urban"),
    ("贺兰县第二中学", "习岗镇", "standalone", "public", {"junior": 1742}, "urban"),
    ("贺兰县第三中学", "习岗镇", "standalone", "public", {"junior": 1486}, "urban"),
    ("贺兰县第四中学", "习岗镇", "standalone", "public", {"junior": 1251}, "urban"),
    ("贺兰县第五中学", "习岗镇", "standalone", "public", {"junior": 968}, "new"),
    ("贺兰县景博学校", "习岗镇", "nine_year", "public", {"primary": 1124, "junior": 612}, "new"),
    ("贺兰县博文学校", "习岗镇", "nine_year", "private", {"primary": 706, "junior": 388}, "new"),
    ("习岗镇新平小学", "习岗镇", "standalone", "public", {"primary": 312}, "rural"),
    ("习岗镇桂文小学", "习岗镇", "standalone", "public", {"primary": 247}, "rural"),
    ("金贵镇中心学校", "金贵镇", "nine_year", "public", {"primary": 618, "junior": 402}, "rural"),
    ("金贵镇银河小学", "金贵镇", "standalone", "public", {"primary": 213}, "rural"),
    ("金贵镇关渠小学", "金贵镇", "standalone", "public", {"primary": 158}, "rural"),
    ("立岗镇中心学校", "立岗镇", "nine_year", "public", {"primary": 524, "junior": 296}, "rural"),
    ("立岗镇通昌小学", "立岗镇", "standalone", "public", {"primary": 204}, "rural"),
    ("立岗镇兰光小学", "立岗镇", "standalone", "public", {"primary": 167}, "rural"),
    ("洪广镇中心学校", "洪广镇", "nine_year", "public", {"primary": 463, "junior": 281}, "rural"),
    ("洪广镇欣荣小学", "洪广镇", "standalone", "public", {"primary": 196}, "rural"),
    ("洪广镇金山教学点", "洪广镇", "teaching_point", "public", {"primary": 38}, "point"),
    ("常信乡中心学校", "常信乡", "nine_year", "public", {"primary": 508, "junior": 314}, "rural"),
    ("常信乡丁北小学", "常信乡", "standalone", "public", {"primary": 182}, "rural"),
    ("常信乡四十里店教学点", "常信乡", "teaching_point", "public", {"primary": 62}, "point"),
    ("暖泉农场学校", "暖泉农场", "nine_year", "public", {"primary": 352, "junior": 197}, "rural"),
    ("南梁台子学校", "南梁台子", "nine_year", "public", {"primary": 418, "junior": 246}, "rural"),
]

# Thresholds of BAL-01..07 (rules catalogue), by level.
BAL_THRESHOLDS = {
    "BAL-01": {"primary": 4.2, "junior": 5.3},
    "BAL-02": {"primary": 1.0, "junior": 1.0},
    "BAL-03": {"primary": 0.9, "junior": 0.9},
    "BAL-04": {"primary": 4.5, "junior": 5.8},
    "BAL-05": {"primary": 7.5, "junior": 10.2},
    "BAL-06": {"primary": 2000.0, "junior": 2500.0},
    "BAL-07": {"primary": 2.3, "junior": 2.4},
}
BAL_FIELDS = {
    "BAL-01": ("teachers_above_required_degree", 100.0),
    "BAL-02": ("key_teachers", 100.0),
    "BAL-03": ("pe_art_teachers", 100.0),
    "BAL-04": ("teaching_aux_area_m2", 1.0),
    "BAL-05": ("sports_area_m2", 1.0),
    "BAL-06": ("equipment_value_yuan", 1.0),
    "BAL-07": ("multimedia_classrooms", 100.0),
}
CV_LIMITS = {"primary": 0.50, "junior": 0.45}

# Deliberate failures (documented in helan-2024/README.md).
BIG_CLASS_SCHOOL = "贺兰县第三小学"  # BAL-21: largest primary class 52 > 45
NO_MUSIC_ROOM_SCHOOL = "立岗镇兰光小学"  # BAL-23: music_rooms = 0
SMALL_SPORTS_SCHOOL = "贺兰县第一小学"  # BAL-05 only: 6.8 m² < 7.5 (BAL-08 still met)
KEY_TEACHERS_ERROR_SCHOOL = "洪广镇金山教学点"  # CON-02: key_teachers > full_time
# BAL-16 (junior equipment CV): the old town junior schools stay near the minimum
# while the new and rebuilt schools are equipped far above it.
JUNIOR_EQUIPMENT = {
    "贺兰县第二中学": 2720.0,
    "贺兰县第三中学": 2810.0,
    "贺兰县第四中学": 2655.0,
    "贺兰县第五中学": 8640.0,
    "贺兰县景博学校": 9310.0,
    "贺兰县博文学校": 7980.0,
    "金贵镇中心学校": 7150.0,
    "立岗镇中心学校": 6820.0,
    "洪广镇中心学校": 7460.0,
    "常信乡中心学校": 6930.0,
    "暖泉农场学校": 7240.0,
    "南梁台子学校": 6710.0,
}


def at_least(value: int, students: int, per100: float) -> int:
    """``value`` raised so that 100 * value / students >= per100."""
    return max(value, math.ceil(per100 * students / 100.0 - 1e-9))


def make_section(rng: random.Random, name: str, level: str, students: int, profile: str) -> dict[str, object]:
    town = profile in ("urban", "new")
    if profile == "point":
        classes = 3 if students < 50 else 4
        largest = math.ceil(students / classes) + rng.randint(1, 3)
        teachers = 4 if students < 50 else 6
    elif level == "primary":
        if town:
            classes = math.ceil(students / rng.uniform(42.5, 44.0))
            largest = 45
            teachers = round(students / rng.uniform(17.0, 18.5))
        else:
            classes = max(6, math.ceil(students / rng.uniform(34.0, 40.0)))
            largest = min(45, math.ceil(students / classes) + rng.randint(2, 6))
            teachers = round(students / rng.uniform(11.5, 14.0))
    else:
        if town:
            classes = math.ceil(students / rng.uniform(46.0, 48.0))
            largest = rng.choice([49, 50, 50])
            teachers = round(students / rng.uniform(11.8, 13.0))
        else:
            classes = max(3, math.ceil(students / rng.uniform(40.0, 46.0)))
            largest = min(50, math.ceil(students / classes) + rng.randint(2, 5))
            teachers = round(students / rng.uniform(10.0, 11.5))

    thr = {rule: t[level] for rule, t in BAL_THRESHOLDS.items()}
    above = at_least(round(teachers * rng.uniform(0.84, 0.93)), students, thr["BAL-01"] * 1.04)
    key = at_least(round(students * rng.uniform(1.15, 1.9) / 100), students, 1.05)
    pe_art = at_least(round(students * rng.uniform(1.0, 1.45) / 100), students, 0.95)
    teachers = max(teachers, above + 1, key + 2, pe_art + 2)

    if level == "primary":
        aux = rng.uniform(4.8, 6.2) if town else rng.uniform(5.4, 7.6)
        sports = rng.uniform(7.9, 10.5) if town else rng.uniform(11.0, 17.5)
        equipment = rng.uniform(2300, 3600) if town else rng.uniform(2600, 4100)
    else:
        aux = rng.uniform(6.1, 7.6) if town else rng.uniform(6.6, 8.8)
        sports = rng.uniform(10.6, 13.0) if town else rng.uniform(13.0, 19.0)
        equipment = JUNIOR_EQUIPMENT[name] * rng.uniform(0.99, 1.01)
    if name == SMALL_SPORTS_SCHOOL:
        sports = 6.8
    multimedia = at_least(classes + rng.randint(2, 5), students, thr["BAL-07"] * 1.04)
    rooms = math.ceil(classes / 12)
    music = rooms + (rng.randint(0, 1) if classes > 12 else 0)
    art = rooms + (rng.randint(0, 1) if classes > 12 else 0)

    if name == BIG_CLASS_SCHOOL:
        largest = 52
    if name == NO_MUSIC_ROOM_SCHOOL:
        music = 0
    if name == KEY_TEACHERS_ERROR_SCHOOL:
        key = teachers + 1  # the central school's rotating key teachers were counted
    return {
        "students": students,
        "classes": classes,
        "largest_class_size": largest,
        "full_time_teachers": teachers,
        "teachers_above_required_degree": above,
        "key_teachers": key,
        "pe_art_teachers": pe_art,
        "certified_teachers": teachers,
        "teaching_aux_area_m2": round(aux * students, 1),
        "sports_area_m2": round(sports * students, 1),
        "equipment_value_yuan": round(equipment * students / 100) * 100.0,
        "multimedia_classrooms": multimedia,
        "music_rooms": music,
        "art_rooms": art,
    }


def make_schools(rng: random.Random) -> list[dict]:
    rows: list[dict] = []
    next_id = 2164000200
    for name, township, school_type, ownership, levels, profile in SCHOOL_SPECS:
        next_id += rng.randint(5, 60)
        for level, students in levels.items():
            row: dict[str, object] = {
                "school_id": str(next_id),
                "school_name": name,
                "county_code": COUNTY_CODE,
                "township": township,
                "level": level,
                "school_type": school_type,
                "ownership": ownership,
            }
            row.update(make_section(rng, name, level, students, profile))
            rows.append(row)
    return rows


def bal_indicators(row: dict) -> dict[str, float]:
    students = float(row["students"])
    return {rule: scale * float(row[field]) / students for rule, (field, scale) in BAL_FIELDS.items()}


def bal_in_scope(row: dict) -> bool:
    return not (row["school_type"] == "teaching_point" and int(row["students"]) < 50)


def weighted_cv(pairs: list[tuple[float, float]]) -> float:
    """Enrollment-weighted CV: pairs of (P_i, X_i)."""
    total = sum(p for p, _ in pairs)
    mean = sum(p * x for p, x in pairs) / total
    var = sum(p / total * (x - mean) ** 2 for p, x in pairs)
    return math.sqrt(var) / mean


def bal_cvs(schools: list[dict]) -> dict[tuple[str, str], float]:
    out = {}
    for level in ("primary", "junior"):
        rows = [r for r in schools if r["level"] == level and bal_in_scope(r)]
        for rule in BAL_FIELDS:
            pairs = [(float(r["students"]), bal_indicators(r)[rule]) for r in rows]
            out[(rule, level)] = weighted_cv(pairs)
    return out


# --------------------------------------------------------------------------- inspectors

INSPECTOR_NAMES = [
    ("马志刚", "full_time"),
    ("王淑芳", "full_time"),
    ("李建国", "full_time"),
    ("张海燕", "full_time"),
    ("杨文斌", "full_time"),
    ("丁学军", "part_time"),
    ("刘慧敏", "part_time"),
    ("赵永福", "part_time"),
    ("金晓梅", "part_time"),
    ("田国庆", "part_time"),
    ("纳红霞", "part_time"),
    ("孙立新", "part_time"),
    ("何玉兰", "part_time"),
    ("周继红", "part_time"),
    ("苏鹏", "part_time"),
]
ZERO_TRAINING_INSPECTOR = "HLDX15"  # INS-04: appointed in August 2024, no training yet
OVERLOADED_INSPECTOR = "HLDX01"  # INS-02: 7 schools
UNASSIGNED_SCHOOL = "常信乡四十里店教学点"  # INS-01: no responsible inspector
# INS-05: the overloaded inspector skipped April and June at this school.
THIN_VISITS = ("HLDX01", "贺兰县第六小学", (4, 6))
# INS-06: issues found in September not yet rectified at these schools.
OPEN_ISSUE_SCHOOLS = ("贺兰县第三中学", "金贵镇中心学校", "洪广镇欣荣小学")
# CON-06: one visit recorded more issues rectified than found.
OVER_RECTIFIED = ("立岗镇通昌小学", 5)

ASSIGNMENT_PLAN = {
    "HLDX01": [
        "贺兰县第一小学",
        "贺兰县第二小学",
        "贺兰县第三小学",
        "贺兰县第四小学",
        "贺兰县第五小学",
        "贺兰县第六小学",
        "习岗镇新平小学",
    ],
    "HLDX02": ["贺兰县第二中学", "贺兰县第三中学"],
    "HLDX03": ["贺兰县第四中学", "贺兰县第五中学"],
    "HLDX04": ["贺兰县景博学校", "贺兰县博文学校"],
    "HLDX05": ["金贵镇中心学校", "金贵镇银河小学"],
    "HLDX06": ["立岗镇中心学校", "立岗镇兰光小学"],
    "HLDX07": ["洪广镇中心学校", "洪广镇金山教学点"],
    "HLDX08": ["常信乡中心学校"],
    "HLDX09": ["金贵镇关渠小学"],
    "HLDX10": ["立岗镇通昌小学"],
    "HLDX11": ["洪广镇欣荣小学"],
    "HLDX12": ["常信乡丁北小学"],
    "HLDX13": ["暖泉农场学校"],
    "HLDX14": ["南梁台子学校"],
    "HLDX15": ["习岗镇桂文小学"],
}

HOLIDAYS = {
    dt.date(2024, 4, 4),
    dt.date(2024, 4, 5),
    dt.date(2024, 5, 1),
    dt.date(2024, 5, 2),
    dt.date(2024, 5, 3),
    dt.date(2024, 6, 10),
    dt.date(2024, 9, 16),
    dt.date(2024, 9, 17),
}


def workday(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    days = [
        first + dt.timedelta(days=i)
        for i in range((last - first).days + 1)
        if (first + dt.timedelta(days=i)).weekday() < 5 and first + dt.timedelta(days=i) not in HOLIDAYS
    ]
    return rng.choice(days)


def make_inspectors(rng: random.Random) -> list[dict]:
    rows = []
    for i, (name, role) in enumerate(INSPECTOR_NAMES, start=1):
        inspector_id = f"HLDX{i:02d}"
        if inspector_id == ZERO_TRAINING_INSPECTOR:
            hours = 0.0
        elif role == "full_time":
            hours = float(rng.choice([48, 56, 64, 72]))
        else:
            hours = float(rng.choice([16, 24, 24, 32, 40])) + rng.choice([0.0, 0.0, 4.5])
        rows.append(
            {
                "inspector_id": inspector_id,
                "inspector_name": name,
                "role": role,
                "training_hours": hours,
            }
        )
    return rows


def make_assignments(ids: dict[str, str]) -> list[dict]:
    return [
        {"inspector_id": insp, "school_id": ids[name]}
        for insp, names in ASSIGNMENT_PLAN.items()
        for name in names
    ]


VISIT_WINDOWS = {
    3: (dt.date(2024, 3, 11), dt.date(2024, 3, 29)),
    4: (dt.date(2024, 4, 1), dt.date(2024, 4, 26)),
    5: (dt.date(2024, 5, 6), dt.date(2024, 5, 31)),
    6: (dt.date(2024, 6, 3), dt.date(2024, 6, 28)),
    9: (dt.date(2024, 9, 9), dt.date(2024, 9, 27)),
}


def make_visits(rng: random.Random, ids: dict[str, str]) -> list[dict]:
    rows = []
    for insp, names in ASSIGNMENT_PLAN.items():
        for name in names:
            for month, (first, last) in VISIT_WINDOWS.items():
                if (insp, name) == THIN_VISITS[:2] and month in THIN_VISITS[2]:
                    continue
                found = rng.choice([0, 0, 1, 1, 1, 2, 2, 3])
                rectified = found
                if month == 9 and name in OPEN_ISSUE_SCHOOLS:
                    found = max(found, 2)
                    rectified = found - rng.randint(1, 2)
                if (name, month) == OVER_RECTIFIED:
                    found, rectified = 1, 2
                rows.append(
                    {
                        "inspector_id": insp,
                        "school_id": ids[name],
                        "visit_date": workday(rng, first, last),
                        "issues_found": found,
                        "issues_rectified": rectified,
                    }
                )
    rows.sort(key=lambda r: (r["visit_date"], r["inspector_id"], r["school_id"]))
    return rows


# --------------------------------------------------------------------------- dropout control

MISSING_AUTUMN_CHECK_SCHOOL = "暖泉农场学校"  # DRP-02

# (school, identified: "spring"/"autumn" check date or a date, reason, status,
#  days to resolution, responsible person or None, level)
DROPOUT_PLAN: list[tuple[str, object, str, str, int | None, str | None, str]] = [
    ("贺兰县第二中学", "spring", "厌学，长期旷课", "returned", 11, "王建军", "junior"),
    ("金贵镇中心学校", "spring", "随父母外出务工", "transferred", 16, "马玉梅", "junior"),
    ("洪广镇中心学校", "spring", "沉迷网络，拒绝返校", "returned", 34, "丁海龙", "junior"),
    ("常信乡中心学校", "spring", "重度肢体残疾", "home_schooling", 13, "李秀琴", "primary"),
    ("暖泉农场学校", "spring", "随迁子女返回原籍", "transferred", 6, "杨春花", "primary"),
    ("立岗镇中心学校", dt.date(2024, 4, 15), "家庭经济困难", "returned", 11, "田富贵", "junior"),
    ("贺兰县第三小学", dt.date(2024, 5, 10), "智力残疾", "home_schooling", 14, "张丽", "primary"),
    ("贺兰县第四中学", dt.date(2024, 6, 11), "白血病住院治疗", "exempt", 17, "刘刚", "junior"),
    ("洪广镇中心学校", dt.date(2024, 6, 17), "厌学，外出打工", "open", None, "海文军", "junior"),
    ("常信乡中心学校", "autumn", "厌学，未按时报到", "open", None, None, "junior"),
    ("贺兰县第二中学", "autumn", "父母离异，无人监护", "open", None, "周晓燕", "junior"),
    ("金贵镇中心学校", "autumn", "未按时报到", "returned", 6, "马玉梅", "junior"),
    ("立岗镇中心学校", "autumn", "家长不重视，在家务农", "returned", 9, "田富贵", "junior"),
]


def make_checks(rng: random.Random, schools: list[dict]) -> list[dict]:
    totals: dict[str, int] = {}
    for row in schools:
        totals[str(row["school_id"])] = totals.get(str(row["school_id"]), 0) + int(row["students"])
    names = {str(r["school_id"]): str(r["school_name"]) for r in schools}
    rows = []
    for school_id, students in totals.items():
        spring = workday(rng, dt.date(2024, 3, 1), dt.date(2024, 3, 8))
        drift = round(students * rng.uniform(-0.02, 0.01))
        rows.append(
            {
                "school_id": school_id,
                "term": "spring",
                "check_date": spring,
                "enrolled": students + drift,
                "present": students + drift,
            }
        )
        if names[school_id] == MISSING_AUTUMN_CHECK_SCHOOL:
            continue
        rows.append(
            {
                "school_id": school_id,
                "term": "autumn",
                "check_date": workday(rng, dt.date(2024, 9, 2), dt.date(2024, 9, 6)),
                "enrolled": students,
                "present": students,
            }
        )
    return rows


def make_cases(rng: random.Random, schools: list[dict], checks: list[dict]) -> list[dict]:
    by_name = {str(r["school_name"]): r for r in schools}
    check_of = {(c["school_id"], c["term"]): c for c in checks}
    rows = []
    for name, when, reason, status, days, person, level in DROPOUT_PLAN:
        school = by_name[name]
        school_id = str(school["school_id"])
        if isinstance(when, str):
            check = check_of[(school_id, when)]
            identified = check["check_date"]
            check["present"] = int(check["present"]) - 1  # 摸排 found the child missing
        else:
            identified = when
        # grades 7-9 in 2024: born 2009-09 .. 2012-08; grades 1-6: born 2011-09 .. 2018-08
        first, years = (dt.date(2009, 9, 1), 3) if level == "junior" else (dt.date(2011, 9, 1), 7)
        born = first + dt.timedelta(days=rng.randint(0, years * 365 - 1))
        student_id = f"G{COUNTY_CODE}{born:%Y%m%d}{rng.randint(0, 9999):04d}"
        rows.append(
            {
                "student_id": student_id,
                "school_id": school_id,
                "township": school["township"],
                "identified_date": identified,
                "reason": reason,
                "status": status,
                "resolved_date": None if days is None else identified + dt.timedelta(days=days),
                "responsible_person": person,
            }
        )
    rows.sort(key=lambda r: (r["identified_date"], r["student_id"]))
    return rows


VILLAGES = [
    "习岗镇新平村",
    "习岗镇桂文村",
    "金贵镇银河村",
    "金贵镇关渠村",
    "立岗镇通昌村",
    "立岗镇兰光村",
    "洪广镇金山村",
    "洪广镇欣荣村",
    "常信乡丁北村",
    "常信乡四十里店村",
]


def make_letters(rng: random.Random, schools: list[dict], cases: list[dict]) -> list[dict]:
    rows: list[dict] = []
    townships = list(dict.fromkeys(str(r["township"]) for r in schools))
    for town in townships:
        rows.append(
            {
                "party_type": "township",
                "party_id": town,
                "signed_date": workday(rng, dt.date(2024, 2, 26), dt.date(2024, 2, 29)),
            }
        )
    for school_id in dict.fromkeys(str(r["school_id"]) for r in schools):
        rows.append(
            {
                "party_type": "school",
                "party_id": school_id,
                "signed_date": workday(rng, dt.date(2024, 2, 28), dt.date(2024, 3, 1)),
            }
        )
    for village in VILLAGES:
        rows.append(
            {
                "party_type": "village",
                "party_id": village,
                "signed_date": workday(rng, dt.date(2024, 3, 4), dt.date(2024, 3, 15)),
            }
        )
    for case in cases:
        if case["status"] in ("open", "returned"):
            rows.append(
                {
                    "party_type": "parent",
                    "party_id": case["student_id"],
                    "signed_date": case["identified_date"] + dt.timedelta(days=rng.randint(1, 5)),
                }
            )
    return rows


# --------------------------------------------------------------------------- output

PRESCHOOL_README = """\
# 贺兰县 2024 — preschool-only example submission

Generated by `examples/make_helan_2024.py` (do not edit by hand; rerun the script).

Only `submission.yaml`, `county.csv` and `kindergartens.csv`: the same 60
kindergartens as in `../helan-2024/` (39 public, 21 private; 12 of the private ones
inclusive). It reproduces the seed figures of work point 7 of the 贺兰县 2024
教育督导工作要点 (spring 2024):

| figure | value | rule |
|---|---|---|
| children in kindergartens | 13,619 | |
| children in public kindergartens | 9,169 | |
| children in inclusive private kindergartens | 2,133 | |
| children in inclusive kindergartens | 11,302 | |
| population aged 3-5 (`county.population_age_3_5`) | 13,896 | |
| gross enrollment 13,619 / 13,896 | 98.01 % | PRE-01 pass, PRE-10 pass |
| inclusive coverage 11,302 / 13,619 | 82.99 % | PRE-02 pass (>= 80 %), **PRE-11 fail** (< 85 %) |
| public share 9,169 / 13,619 | 67.33 % | PRE-03 pass |

PRE-04 (children per full-time teacher), PRE-05 (certification), PRE-08 and PRE-09
pass for every kindergarten; PRE-06/07 need `kindergarten_classes`, which this
example leaves out (see the full example).
"""


def row_of(rows: list[dict], **match: object) -> int:
    """1-based data row (header excluded) of the first row matching ``match``."""
    for i, row in enumerate(rows, start=1):
        if all(row.get(k) == v for k, v in match.items()):
            return i
    raise LookupError(match)


def rows_of(rows: list[dict], **match: object) -> list[int]:
    return [i for i, row in enumerate(rows, start=1) if all(row.get(k) == v for k, v in match.items())]


def span(rows: list[int]) -> str:
    return ", ".join(str(r) for r in rows)


def full_readme(tables: dict[str, list[dict]]) -> str:
    schools = tables["schools"]
    kgs = tables["kindergartens"]
    visits = tables["visits"]
    assignments = tables["assignments"]
    cases = tables["dropout_cases"]
    checks = tables["enrollment_checks"]
    ids = {str(r["school_name"]): str(r["school_id"]) for r in schools}

    total = sum(int(k["children"]) for k in kgs)
    public = sum(int(k["children"]) for k in kgs if k["ownership"] == "public")
    inclusive = sum(int(k["children"]) for k in kgs if k["ownership"] == "public" or k["inclusive"])
    cvs = bal_cvs(schools)
    big = row_of(schools, school_name=BIG_CLASS_SCHOOL)
    music = row_of(schools, school_name=NO_MUSIC_ROOM_SCHOOL)
    sports = row_of(schools, school_name=SMALL_SPORTS_SCHOOL)
    sports_x = bal_indicators(schools[sports - 1])["BAL-05"]
    key_err = schools[row_of(schools, school_name=KEY_TEACHERS_ERROR_SCHOOL) - 1]
    junior_rows = rows_of(schools, level="junior")
    unassigned = row_of(schools, school_name=UNASSIGNED_SCHOOL)
    overloaded = rows_of(assignments, inspector_id=OVERLOADED_INSPECTOR)
    zero = row_of(tables["inspectors"], inspector_id=ZERO_TRAINING_INSPECTOR)
    thin = row_of(assignments, inspector_id=THIN_VISITS[0], school_id=ids[THIN_VISITS[1]])
    thin_visits = rows_of(visits, inspector_id=THIN_VISITS[0], school_id=ids[THIN_VISITS[1]])
    over = [i for i, v in enumerate(visits, start=1) if int(v["issues_rectified"]) > int(v["issues_found"])]
    warm = ids[MISSING_AUTUMN_CHECK_SCHOOL]
    warm_rows = rows_of(schools, school_id=warm)
    old_open = [
        (i, c)
        for i, c in enumerate(cases, start=1)
        if c["status"] == "open" and (AS_OF - c["identified_date"]).days > 30
    ]
    no_person = [
        i for i, c in enumerate(cases, start=1) if c["status"] == "open" and not c["responsible_person"]
    ]
    open_issue_lines = []
    for name in OPEN_ISSUE_SCHOOLS:
        vrows = rows_of(visits, school_id=ids[name])
        found = sum(int(visits[i - 1]["issues_found"]) for i in vrows)
        fixed = sum(int(visits[i - 1]["issues_rectified"]) for i in vrows)
        late = [i for i in vrows if visits[i - 1]["issues_rectified"] < visits[i - 1]["issues_found"]]
        open_issue_lines.append(
            f"| INS-06 | visits | {span(late)} | {name} ({ids[name]}): "
            f"{fixed} of {found} issues rectified (September visit not yet closed) |"
        )

    lines = [
        "# 贺兰县 2024 — full example submission",
        "",
        "Generated by `examples/make_helan_2024.py` from `random.Random(2024)`; do not edit",
        "by hand, rerun the script. Every table of the data contract is present, with",
        "English headers. Names of people and student numbers are fictitious; school and",
        "village names only sound like 贺兰县's.",
        "",
        f"* `schools.csv`: {len(schools)} sections of {len(ids)} schools "
        f"({sum(1 for r in schools if r['school_type'] == 'nine_year') // 2} nine-year schools "
        "as primary + junior rows, 2 teaching points, one of them under 50 students);",
        f"* `kindergartens.csv`: {len(kgs)} kindergartens "
        f"({sum(1 for k in kgs if k['ownership'] == 'public')} public), "
        f"`kindergarten_classes.csv`: {len(tables['kindergarten_classes'])} classes;",
        f"* `inspectors.csv` {len(tables['inspectors'])}, `assignments.csv` {len(assignments)}, "
        f"`visits.csv` {len(visits)}, `enrollment_checks.csv` {len(checks)}, "
        f"`dropout_cases.csv` {len(cases)}, "
        f"`responsibility_letters.csv` {len(tables['responsibility_letters'])} rows.",
        "",
        "Assumed county parameters (those of `rulesets/helan-2024.yaml`): DRP-06 N = 30 days;",
        "INS-04 minimum 1 hour; INS-05 period 2024-01-01 .. as_of with vacation months",
        "1, 2, 7, 8, i.e. one visit expected in each of March, April, May, June and",
        "September (every assignment has exactly those five visits except the one below).",
        "",
        "## Intended failures",
        "",
        "Row = 1-based data row of the CSV, header excluded.",
        "",
        "| rule | table | row(s) | what is wrong |",
        "|---|---|---|---|",
        f"| BAL-05 | schools | {sports} | {SMALL_SPORTS_SCHOOL} (primary): sports area "
        f"{sports_x:.2f} m²/student < 7.5; its only unmet indicator and ≥ 85 % of the "
        "threshold, so BAL-08 still passes |",
        f"| BAL-16 | schools | {span(junior_rows)} (all junior) | CV of equipment value per "
        f"student, junior = {cvs[('BAL-06', 'junior')]:.4f} > 0.45: the three old town "
        "junior schools sit just above 2,500 yuan, the new and rebuilt ones at 6,700-9,300 |",
        f"| BAL-21 | schools | {big} | {BIG_CLASS_SCHOOL} (primary): largest_class_size 52 > 45 |",
        f"| BAL-23 | schools | {music} | {NO_MUSIC_ROOM_SCHOOL}: music_rooms 0, needs "
        f"ceil({schools[music - 1]['classes']}/12) = 1 |",
        "| PRE-11 | kindergartens, county | all / 1 | inclusive coverage "
        f"{inclusive:,} / {total:,} = {inclusive / total:.4f} < 0.85 (2025 target; info) |",
        f"| INS-01 | schools | {unassigned} | {UNASSIGNED_SCHOOL} "
        f"({ids[UNASSIGNED_SCHOOL]}) has no row in assignments |",
        f"| INS-02 | assignments | {span(overloaded)} | {OVERLOADED_INSPECTOR} is responsible "
        f"for {len(overloaded)} schools > 5 |",
        f"| INS-04 | inspectors | {zero} | {ZERO_TRAINING_INSPECTOR} training_hours 0 |",
        f"| INS-05 | assignments | {thin} | {THIN_VISITS[0]} → {THIN_VISITS[1]}: only "
        f"{len(thin_visits)} visits (visits rows {span(thin_visits)}), none in April or June |",
        *open_issue_lines,
        f"| DRP-02 | schools | {span(warm_rows)} | {MISSING_AUTUMN_CHECK_SCHOOL} ({warm}): "
        "spring check only, no autumn 2024 check in enrollment_checks |",
        *[f"| DRP-05 | dropout_cases | {i} | open case without responsible_person |" for i in no_person],
        *[
            f"| DRP-06 | dropout_cases | {i} | open since {c['identified_date']}: "
            f"{(AS_OF - c['identified_date']).days} days before as_of > 30 |"
            for i, c in old_open
        ],
        f"| CON-02 | schools | {row_of(schools, school_name=KEY_TEACHERS_ERROR_SCHOOL)} | "
        f"{KEY_TEACHERS_ERROR_SCHOOL}: key_teachers {key_err['key_teachers']} > "
        f"full_time_teachers {key_err['full_time_teachers']} (the central school's "
        "rotating key teachers were counted); the section is a teaching point under 50 "
        "students, so BAL-01..17 do not use it |",
        *[
            f"| CON-06 | visits | {i} | issues_rectified {visits[i - 1]['issues_rectified']} "
            f"> issues_found {visits[i - 1]['issues_found']} |"
            for i in over
        ],
        "",
        "INS-06 is a 督办单 list rather than a defect: the three rows above are the schools",
        "it should name. Everything else is meant to pass: every family (BAL, PRE, INS,",
        "DRP, CON) has both passing rules and at least one failure.",
        "",
        "## Computed figures",
        "",
        f"* PRE-01 gross enrollment {total:,} / {POPULATION_AGE_3_5:,} = "
        f"{total / POPULATION_AGE_3_5:.4f}; PRE-02 coverage {inclusive / total:.4f}; "
        f"PRE-03 public share {public:,} / {total:,} = {public / total:.4f}; PRE-04 "
        f"{total / sum(int(k['full_time_teachers']) for k in kgs):.2f} children per teacher.",
        "* County: exchange 71 / 634 = 0.1120, key teachers 17 / 71 = 0.2394; teacher "
        "salary 121,480 ≥ 119,360; retention 2,716 / 2,787 = 0.9745 (3-year), "
        "2,716 / 2,829 = 0.9601 (9-year); social recognition 0.9372.",
        "",
        "BAL-01..07, enrollment-weighted coefficient of variation by level "
        "(X̄ = ΣPᵢXᵢ/P, S = √(Σ(Pᵢ/P)(Xᵢ−X̄)²), CV = S/X̄; the teaching point under 50 "
        "students excluded):",
        "",
        "| indicator | primary CV (≤ 0.50) | junior CV (≤ 0.45) |",
        "|---|---|---|",
    ]
    for rule in BAL_FIELDS:
        cv_p, cv_j = cvs[(rule, "primary")], cvs[(rule, "junior")]
        mark_p = "" if cv_p <= CV_LIMITS["primary"] else " **fail**"
        mark_j = "" if cv_j <= CV_LIMITS["junior"] else " **fail**"
        lines.append(
            f"| {rule} / BAL-1{rule[-1]} {BAL_FIELDS[rule][0]} | {cv_p:.4f}{mark_p} | {cv_j:.4f}{mark_j} |"
        )
    lines += [
        "",
        "Per-section indicators (BAL-01..07; threshold in the header, primary / junior):",
        "",
        "| row | school | level | students | BAL-01 (4.2/5.3) | BAL-02 (1.0) | BAL-03 (0.9) "
        "| BAL-04 (4.5/5.8) | BAL-05 (7.5/10.2) | BAL-06 (2000/2500) | BAL-07 (2.3/2.4) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, row in enumerate(schools, start=1):
        x = bal_indicators(row)
        lines.append(
            f"| {i} | {row['school_name']} | {row['level']} | {row['students']} | "
            + " | ".join(f"{x[r]:.0f}" if r == "BAL-06" else f"{x[r]:.2f}" for r in BAL_FIELDS)
            + " |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    rng = random.Random(2024)
    county = make_county()
    kgs, kg_classes = make_kindergartens(rng)

    write_manifest(PRESCHOOL_DIR)
    write_csv(PRESCHOOL_DIR, "county", [county])
    write_csv(PRESCHOOL_DIR, "kindergartens", kgs)
    (PRESCHOOL_DIR / "README.md").write_text(PRESCHOOL_README, encoding="utf-8")

    schools = make_schools(rng)
    ids = {str(r["school_name"]): str(r["school_id"]) for r in schools}
    inspectors = make_inspectors(rng)
    assignments = make_assignments(ids)
    visits = make_visits(rng, ids)
    checks = make_checks(rng, schools)
    cases = make_cases(rng, schools, checks)
    letters = make_letters(rng, schools, cases)
    tables = {
        "county": [county],
        "schools": schools,
        "kindergartens": kgs,
        "kindergarten_classes": kg_classes,
        "inspectors": inspectors,
        "assignments": assignments,
        "visits": visits,
        "enrollment_checks": checks,
        "dropout_cases": cases,
        "responsibility_letters": letters,
    }
    write_manifest(FULL_DIR)
    for table, rows in tables.items():
        write_csv(FULL_DIR, table, rows)
    (FULL_DIR / "README.md").write_text(full_readme(tables), encoding="utf-8")


if __name__ == "__main__":
    main()
