"""Hand-made reports for the closing-the-loop tests (waivers, baseline, self-check, notices).

``helan_bal_report()`` computes the BAL findings of ``examples/helan-2024`` in
plain Python, following ``rules-catalogue.md``, so the self-check and the
notices can be tested before (and independently of) the BAL ruleset.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

from supervise_rules import Report
from supervise_rules.models import (
    Evidence,
    Finding,
    LocalizedText,
    Outcome,
    Required,
    RulesetInfo,
    Severity,
    Subject,
    SubmissionInfo,
    ToolInfo,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "helan-2024"

RESOURCE = {
    "BAL-01": (
        "每百名学生拥有高于规定学历教师数",
        "teachers_above_required_degree",
        True,
        {"primary": 4.2, "junior": 5.3},
    ),
    "BAL-02": ("每百名学生拥有县级以上骨干教师数", "key_teachers", True, {"primary": 1.0, "junior": 1.0}),
    "BAL-03": (
        "每百名学生拥有体育、艺术专任教师数",
        "pe_art_teachers",
        True,
        {"primary": 0.9, "junior": 0.9},
    ),
    "BAL-04": ("生均教学及辅助用房面积", "teaching_aux_area_m2", False, {"primary": 4.5, "junior": 5.8}),
    "BAL-05": ("生均体育运动场馆面积", "sports_area_m2", False, {"primary": 7.5, "junior": 10.2}),
    "BAL-06": ("生均教学仪器设备值", "equipment_value_yuan", False, {"primary": 2000, "junior": 2500}),
    "BAL-07": (
        "每百名学生拥有网络多媒体教室数",
        "multimedia_classrooms",
        True,
        {"primary": 2.3, "junior": 2.4},
    ),
}


def finding(
    rule_id: str,
    subject: Subject | str,
    outcome: str = "fail",
    *,
    observed: float | int | str | None = None,
    op: str = ">=",
    value: float | None = None,
    unit: str | None = None,
    severity: str = "major",
    title: str | None = None,
    message: str | None = None,
    rows: list[int] | None = None,
    table: str = "schools",
    source: str = "《县域义务教育优质均衡发展督导评估办法》(教督〔2017〕6号)",
) -> Finding:
    if isinstance(subject, str):
        subject = Subject(type="county", id=subject, name="贺兰县")
    verdict = {"pass": "达标", "fail": "未达标"}.get(outcome, outcome)
    text = message or f"{subject.name or subject.id} {title or rule_id} {observed}，{verdict}"
    return Finding(
        rule_id=rule_id,
        title=LocalizedText(zh=title or rule_id, en=title or rule_id),
        work_point="11",
        severity=Severity(severity),
        outcome=Outcome(outcome),
        subject=subject,
        observed=observed,
        required=Required(op=op, value=value) if value is not None else None,
        unit=unit,
        message=LocalizedText(zh=text, en=text),
        evidence=[Evidence(table=table, rows=rows, columns=[])],
        source=source,
    )


def make_report(
    findings: list[Finding], *, as_of: dt.date | None = dt.date(2024, 9, 30), rules_run: int | None = None
) -> Report:
    return Report.build(
        tool=ToolInfo(version="0.1.0"),
        ruleset=RulesetInfo(id="helan-2024", version="2024.1", title="贺兰县 2024 年教育督导工作要点"),
        submission=SubmissionInfo(
            county_code="640122", county_name="贺兰县", year=2024, as_of=as_of, source="examples/helan-2024"
        ),
        rules_run=rules_run if rules_run is not None else len({f.rule_id for f in findings}),
        findings=findings,
    )


def _schools() -> list[dict[str, str]]:
    with open(EXAMPLE / "schools.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def helan_bal_findings() -> list[Finding]:
    rows = _schools()
    out: list[Finding] = []
    values: dict[tuple[str, str], list[tuple[float, float]]] = {}
    school_students: dict[str, int] = {}
    for r in rows:
        school_students[r["school_id"]] = school_students.get(r["school_id"], 0) + int(r["students"])
    for n, r in enumerate(rows, start=1):
        level = r["level"]
        students = int(r["students"])
        subject = Subject(type="school", id=f"{r['school_id']}/{level}", name=r["school_name"])
        excluded = r["school_type"] == "teaching_point" and students < 50
        met, near = 0, True
        for rule_id, (title, column, per100, thresholds) in RESOURCE.items():
            threshold = thresholds[level]
            if excluded:
                out.append(
                    finding(
                        rule_id,
                        subject,
                        "not_applicable",
                        title=title,
                        severity="minor",
                        rows=[n],
                        message=f"{r['school_name']} 不足 50 人的教学点，不纳入评估",
                    )
                )
                continue
            value = float(r[column]) / students * (100 if per100 else 1)
            ok = value >= threshold
            met += ok
            near = near and (ok or value >= 0.85 * threshold)
            values.setdefault((rule_id, level), []).append((students, value))
            out.append(
                finding(
                    rule_id,
                    subject,
                    "pass" if ok else "fail",
                    observed=value,
                    value=threshold,
                    title=title,
                    severity="minor",
                    rows=[n],
                )
            )
        if not excluded:
            ok8 = met >= 6 and near
            out.append(
                finding(
                    "BAL-08",
                    subject,
                    "pass" if ok8 else "fail",
                    observed=met,
                    value=6,
                    title="学校资源配置达标",
                    rows=[n],
                )
            )
        limit = {"primary": 45, "junior": 50}[level]
        size = int(r["largest_class_size"])
        out.append(
            finding(
                "BAL-21",
                subject,
                "pass" if size <= limit else "fail",
                observed=size,
                op="<=",
                value=limit,
                title="班额",
                rows=[n],
            )
        )
        need = math.ceil(int(r["classes"]) / 12)
        rooms = min(int(r["music_rooms"]), int(r["art_rooms"]))
        out.append(
            finding(
                "BAL-23",
                subject,
                "pass" if rooms >= need else "fail",
                observed=rooms,
                value=need,
                title="音乐、美术专用教室",
                rows=[n],
            )
        )
    for sid, students in sorted(school_students.items()):
        name = next(r["school_name"] for r in rows if r["school_id"] == sid)
        out.append(
            finding(
                "BAL-22",
                Subject(type="school", id=sid, name=name),
                "pass" if students <= 2500 else "fail",
                observed=students,
                op="<=",
                value=2500,
                title="学校规模",
            )
        )
    for i, rule_id in enumerate(RESOURCE, start=1):
        for level, limit in (("primary", 0.50), ("junior", 0.45)):
            pairs = values[(rule_id, level)]
            total = sum(p for p, _ in pairs)
            mean = sum(p * x for p, x in pairs) / total
            sd = math.sqrt(sum(p / total * (x - mean) ** 2 for p, x in pairs))
            cv = sd / mean
            out.append(
                finding(
                    f"BAL-1{i}",
                    Subject(type="county", id=f"640122/{level}", name="贺兰县"),
                    "pass" if cv <= limit else "fail",
                    observed=cv,
                    op="<=",
                    value=limit,
                    title=f"{RESOURCE[rule_id][0]}校际差异系数",
                )
            )
    with open(EXAMPLE / "county.csv", encoding="utf-8") as fh:
        c = next(csv.DictReader(fh))
    ratio = int(c["exchanged_teachers"]) / int(c["teachers_eligible_for_exchange"])
    key = int(c["exchanged_key_teachers"]) / int(c["exchanged_teachers"])
    retention = int(c["grade9_enrollment_now"]) / int(c["grade7_enrollment_of_cohort"])
    county = [
        ("BAL-24", "专任教师持证上岗率", 1.0, 1.0, "=="),
        ("BAL-25", "交流轮岗教师比例", ratio, 0.10, ">="),
        ("BAL-26", "骨干教师占交流轮岗比例", key, 0.20, ">="),
        ("BAL-31", "初中三年巩固率", retention, 0.95, ">="),
        ("BAL-41", "社会认可度", float(c["social_recognition_rate"]), 0.85, ">="),
    ]
    for rule_id, title, observed, threshold, op in county:
        ok = observed >= threshold if op == ">=" else observed == threshold
        out.append(
            finding(
                rule_id,
                "640122",
                "pass" if ok else "fail",
                observed=observed,
                op=op,
                value=threshold,
                unit="ratio",
                title=title,
                table="county",
            )
        )
    salary = float(c["avg_teacher_salary"])
    out.append(
        finding(
            "BAL-27",
            "640122",
            "pass" if salary >= float(c["avg_civil_servant_salary"]) else "fail",
            observed=salary,
            value=float(c["avg_civil_servant_salary"]),
            title="教师平均工资不低于公务员",
            table="county",
        )
    )
    return out


def helan_bal_report(extra: list[Finding] | None = None) -> Report:
    return make_report(helan_bal_findings() + (extra or []))


# --- a tiny ruleset over the schools table, for CLI runs on a real submission --------------

LOOP_RULESET = """\
id: loop-test
version: "1"
title: {zh: 闭环测试规则集, en: Closing-the-loop test ruleset}
rules:
  - id: TST-21
    title: {zh: 班额, en: Largest class}
    work_point: "9"
    severity: major
    source: 《县域义务教育优质均衡发展督导评估办法》(教督〔2017〕6号)
    certainty: S
    validator: metric
    params:
      table: schools
      value: largest_class_size
      op: "<="
      threshold: {by: level, values: {primary: 45, junior: 50}}
    message:
      zh: "{subject_name} 最大班额 {observed} 人，{verdict}（要求{op_text} {required}）"
      en: "{subject_name}: largest class {observed}, {verdict} (required {op_text} {required})"
    docs: {checks: c, why: w, example: e}
  - id: TST-05
    title: {zh: 生均体育运动场馆面积, en: Sports area per student}
    work_point: "9"
    severity: minor
    source: 《县域义务教育优质均衡发展督导评估办法》(教督〔2017〕6号)
    certainty: V
    validator: metric
    params:
      table: schools
      value: sports_area_m2 / students
      op: ">="
      threshold: {by: level, values: {primary: 7.5, junior: 10.2}}
      where: 'school_type != "teaching_point" or students >= 50'
    message:
      zh: "{subject_name} 生均体育运动场馆面积 {observed:.2f}，{verdict}"
      en: "{subject_name}: sports area per student {observed:.2f} {verdict}"
    docs: {checks: c, why: w, example: e}
"""


def write_ruleset(directory: Path) -> Path:
    path = Path(directory) / "loop-test.yaml"
    path.write_text(LOOP_RULESET, encoding="utf-8")
    return path


def copy_example(target: Path) -> Path:
    """A private copy of examples/helan-2024's submission that a test may edit:
    its data files, not the README.md that documents the example (which the
    reader would list as a file not read, READ-14)."""
    import shutil

    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("README.md"))
    return target


def edit_schools(
    folder: Path, *, reverse: bool = False, set_values: dict[tuple[str, str], dict[str, str]] | None = None
) -> None:
    """Rewrite schools.csv: reverse the data rows and/or set cells by (school_id, level)."""
    path = Path(folder) / "schools.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    for row in rows:
        for column, value in (set_values or {}).get((row["school_id"], row["level"]), {}).items():
            row[column] = value
    if reverse:
        rows.reverse()
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
