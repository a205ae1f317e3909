"""Write the 贺兰县 2024 submission in the other containers of the data contract.

Run from the repository root, after ``examples/make_helan_2024.py``::

    python examples/make_variants.py

From ``examples/helan-2024/`` (English headers, UTF-8 CSV) it (re)writes the same
data the way county platforms and clerks actually hand it in:

* ``examples/helan-2024-xlsx/helan-2024.xlsx``: one workbook, a ``说明`` sheet of
  key/value rows, one sheet per table named in Chinese, a merged title row above
  Chinese headers, numbers and dates as real Excel cells, ratios formatted as
  percentages, enum values as Chinese labels (公办, 小学 …), booleans as 是/否;
* ``examples/helan-2024-gb18030/``: ``submission.yaml`` with Chinese keys and one
  GB18030-encoded CSV per table named in Chinese (``学校.csv``), Chinese headers,
  ``1,862``-style numbers, ``93.72%`` ratios, ``2024/3/1`` dates;
* ``examples/helan-2024-json/helan-2024.json``: one JSON document with native
  JSON numbers and booleans.

All three load into exactly the same typed tables as the CSV folder (see
``tests/readers/test_read_examples.py``). Output is deterministic.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "helan-2024"
sys.path.insert(0, str(HERE.parent / "src"))

from supervise_rules.tables import MANIFEST, TABLES, TableSpec  # noqa: E402

XLSX_DIR = HERE / "helan-2024-xlsx"
GB_DIR = HERE / "helan-2024-gb18030"
JSON_DIR = HERE / "helan-2024-json"
#: xlsxwriter stamps the creation time into docProps/core.xml; pin it
FIXED_TIME = dt.datetime(2024, 9, 30, 12, 0, 0)


def read_manifest() -> dict[str, str]:
    """The flat ``key: value`` lines of submission.yaml (no YAML library needed)."""
    manifest = {}
    for line in (SOURCE / "submission.yaml").read_text(encoding="utf-8").splitlines():
        if ":" in line and not line.startswith("#"):
            key, value = line.split(":", 1)
            manifest[key.strip()] = value.strip().strip('"')
    return manifest


def read_table(name: str) -> list[dict[str, str]] | None:
    path = SOURCE / f"{name}.csv"
    if not path.exists():
        return None
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def typed(spec: TableSpec, column: str, text: str):
    """The CSV text as a Python value of the column's kind (None if blank)."""
    if text == "":
        return None
    kind = spec.columns[column].kind
    if kind == "int":
        return int(text)
    if kind in ("float", "ratio"):
        return float(text)
    if kind == "bool":
        return text == "true"
    if kind == "date":
        return dt.date.fromisoformat(text)
    return text


def label(spec: TableSpec, column: str, value):
    """Chinese label of an enum code, 是/否 for a boolean; else the value."""
    c = spec.columns[column]
    if value is None:
        return None
    if c.kind == "enum":
        return c.labels[value]
    if c.kind == "bool":
        return "是" if value else "否"
    return value


def tables() -> list[tuple[TableSpec, list[str], list[dict]]]:
    out = []
    for spec in TABLES.values():
        rows = read_table(spec.name)
        if rows is None:
            continue
        columns = list(rows[0]) if rows else list(spec.columns)
        values = [{c: typed(spec, c, r[c]) for c in columns} for r in rows]
        out.append((spec, columns, values))
    return out


def write_xlsx(manifest: dict[str, str], data) -> None:
    import xlsxwriter

    XLSX_DIR.mkdir(exist_ok=True)
    book = xlsxwriter.Workbook(XLSX_DIR / "helan-2024.xlsx")
    book.set_properties({"created": FIXED_TIME, "author": "贺兰县教育督导室"})
    title = book.add_format({"bold": True, "align": "center", "font_size": 14})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    percent = book.add_format({"num_format": "0.00%"})

    sheet = book.add_worksheet(MANIFEST.zh)
    sheet.write_row(0, 0, ["项目", "内容"], head)
    for i, (key, value) in enumerate(manifest.items(), start=1):
        column = MANIFEST.columns[key]
        sheet.write_string(i, 0, column.zh)
        if column.kind == "date":
            sheet.write_datetime(i, 1, dt.datetime.fromisoformat(value), date)
        elif column.kind == "int":
            sheet.write_number(i, 1, int(value))
        else:
            sheet.write_string(i, 1, value)
    sheet.set_column(0, 1, 16)

    for spec, columns, rows in data:
        sheet = book.add_worksheet(spec.zh)
        sheet.merge_range(
            0, 0, 0, len(columns) - 1, f"{manifest['county_name']}{manifest['year']}年{spec.zh}", title
        )
        sheet.write_row(1, 0, [spec.columns[c].zh for c in columns], head)
        for r, row in enumerate(rows, start=2):
            for j, c in enumerate(columns):
                kind = spec.columns[c].kind
                value = label(spec, c, row[c])
                if value is None:
                    continue
                if kind == "date":
                    sheet.write_datetime(r, j, dt.datetime.combine(value, dt.time()), date)
                elif kind == "ratio":
                    sheet.write_number(r, j, value, percent)
                elif kind in ("int", "float"):
                    sheet.write_number(r, j, value)
                else:
                    sheet.write_string(r, j, value)
        sheet.set_column(0, len(columns) - 1, 14)
        sheet.freeze_panes(2, 0)
    book.close()


def gb_cell(spec: TableSpec, column: str, value) -> str:
    kind = spec.columns[column].kind
    value = label(spec, column, value)
    if value is None:
        return ""
    if kind == "date":
        return f"{value.year}/{value.month}/{value.day}"
    if kind == "ratio":
        return f"{round(value * 100, 8)!r}%"
    if kind == "int":
        return f"{value:,}"
    if kind == "float":
        return f"{value:,}" if value != int(value) else f"{int(value):,}"
    return str(value)


def write_gb18030(manifest: dict[str, str], data) -> None:
    GB_DIR.mkdir(exist_ok=True)
    lines = [f"# {manifest['county_name']} {manifest['year']} 年督导数据清单（中文键）"]
    for key, value in manifest.items():
        shown = f'"{value}"' if MANIFEST.columns[key].kind == "str" else value
        lines.append(f"{MANIFEST.columns[key].zh}: {shown}")
    (GB_DIR / "submission.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for spec, columns, rows in data:
        with (GB_DIR / f"{spec.zh}.csv").open("w", encoding="gb18030", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow([spec.columns[c].zh for c in columns])
            for row in rows:
                writer.writerow([gb_cell(spec, c, row[c]) for c in columns])


def write_json(manifest: dict[str, str], data) -> None:
    JSON_DIR.mkdir(exist_ok=True)
    document: dict = {"manifest": {**manifest, "year": int(manifest["year"])}}
    for spec, _columns, rows in data:
        document[spec.name] = [
            {c: v.isoformat() if isinstance(v, dt.date) else v for c, v in row.items()} for row in rows
        ]
    text = json.dumps(document, ensure_ascii=False, indent=1)
    (JSON_DIR / "helan-2024.json").write_text(text + "\n", encoding="utf-8")


README = """# 贺兰县 2024 — {what}

Generated by `examples/make_variants.py` from `examples/helan-2024/`; do not edit
by hand, rerun the script. Same data, same intended findings as
`examples/helan-2024/README.md` (rows are the same data rows); only the
container differs: {how}
"""


def write_readmes() -> None:
    notes = {
        XLSX_DIR: (
            "one Excel workbook",
            "`helan-2024.xlsx` has a `说明` sheet (manifest) and one sheet per table "
            "named in Chinese, a merged title row above Chinese headers (so data row 1 "
            "is sheet row 3), real number/date cells, percentages, Chinese enum labels "
            "and 是/否.",
        ),
        GB_DIR: (
            "GB18030 CSV files",
            "one GB18030-encoded CSV per table named in Chinese (`学校.csv` …) with "
            "Chinese headers, `1,862`-style numbers, `93.72%` ratios, `2024/3/1` dates, "
            "Chinese enum labels and 是/否; `submission.yaml` uses Chinese keys.",
        ),
        JSON_DIR: (
            "one JSON document",
            '`helan-2024.json` is `{"manifest": {...}, "schools": [...], ...}` with '
            "native JSON numbers and booleans.",
        ),
    }
    for folder, (what, how) in notes.items():
        (folder / "README.md").write_text(README.format(what=what, how=how), encoding="utf-8")


def main() -> None:
    manifest = read_manifest()
    data = tables()
    write_xlsx(manifest, data)
    write_gb18030(manifest, data)
    write_json(manifest, data)
    write_readmes()
    for folder in (XLSX_DIR, GB_DIR, JSON_DIR):
        print(f"wrote {folder.relative_to(HERE.parent)}/")


if __name__ == "__main__":
    main()
