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


def main() -> None:
    rng = random.Random(2024)
    county = make_county()
    kgs, kg_classes = make_kindergartens(rng)

    write_manifest(PRESCHOOL_DIR)
    write_csv(PRESCHOOL_DIR, "county", [county])
    write_csv(PRESCHOOL_DIR, "kindergartens", kgs)
    (PRESCHOOL_DIR / "README.md").write_text(PRESCHOOL_README, encoding="utf-8")

    write_manifest(FULL_DIR)
    write_csv(FULL_DIR, "county", [county])
    write_csv(FULL_DIR, "kindergartens", kgs)
    write_csv(FULL_DIR, "kindergarten_classes", kg_classes)


if __name__ == "__main__":
    main()
