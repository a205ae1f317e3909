"""Write ``examples/yinchuan-2024-batch/``: two counties of 银川市 in one submission.

Run from the repository root, after ``examples/make_helan_2024.py``::

    python examples/make_batch.py

A prefecture (or a province, or the nation) sends its counties together: the
manifest gives ``region_code`` (GB/T 2260, here 640100 银川市) instead of one
county's code, and every county-level rule is judged per ``county_code``.

The folder holds 贺兰县 (640122) exactly as ``examples/helan-2024`` and a second
county, 灵武市 (640181), made from the same rows with its own codes and names
and a larger preschool-age population, so that its preschool enrollment rate
(PRE-01) falls below 85 % while 贺兰县's does not. Output is deterministic.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "helan-2024"
TARGET = HERE / "yinchuan-2024-batch"

#: second county: code, name, inspector id prefix, preschool-age population
SECOND = {"code": "640181", "name": "灵武市", "inspectors": "LWDX", "population_age_3_5": "17500"}


def _second(table: str, row: dict[str, str]) -> dict[str, str]:
    """One row of 贺兰县 as a row of the second county."""
    out = dict(row)
    for key in ("school_id", "kindergarten_id", "party_id"):
        value = out.get(key) or ""
        if value[:4] in ("2164", "3164"):
            out[key] = value[0] + "181" + value[4:]
    for key in ("inspector_id",):
        if out.get(key, "").startswith("HLDX"):
            out[key] = SECOND["inspectors"] + out[key][4:]
    if out.get("student_id", "").startswith("G640122"):
        out["student_id"] = "G" + SECOND["code"] + out["student_id"][7:]
    if "county_code" in out:
        out["county_code"] = SECOND["code"]
    for key in ("school_name", "kindergarten_name"):
        if key in out:
            out[key] = out[key].replace("贺兰县", SECOND["name"])
    if table == "county":
        out["population_age_3_5"] = SECOND["population_age_3_5"]
    return out


def main() -> int:
    TARGET.mkdir(exist_ok=True)
    for path in sorted(SOURCE.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        header = list(rows[0]) if rows else []
        if path.stem == "county":
            header = ["county_code", "county_name", *header[1:]]
            rows = [
                {
                    "county_code": r["county_code"],
                    "county_name": "贺兰县",
                    **{k: v for k, v in r.items() if k != "county_code"},
                }
                for r in rows
            ]
        second = [_second(path.stem, r) for r in rows]
        if path.stem == "county":
            for r in second:
                r["county_name"] = SECOND["name"]
        with (TARGET / path.name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows + second)
    (TARGET / "submission.yaml").write_text(
        "# a prefecture's batch: two counties, judged county by county\n"
        'region_code: "640100"\n'
        "region_name: 银川市\n"
        "year: 2024\n"
        "as_of: 2024-09-30\n"
        "submitted_by: 银川市教育督导室\n",
        encoding="utf-8",
    )
    print(f"wrote {TARGET.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
