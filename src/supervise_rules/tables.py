"""The submission tables of the data contract: tables, columns, Chinese headers, units, enums.

One pydantic model per table documents every field: English name, Chinese
header, type, unit and the Chinese labels of enum values. The models are the
single source of truth; :data:`TABLES` derives from them the column specs that
readers use to match headers and normalize values column-wise (whole tables are
never validated row by row through these models: that is far too slow for a
province's data).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["str", "int", "float", "ratio", "bool", "date", "enum"]


#: the dates any date column may hold unless it declares its own ``min``/``max``:
#: from the founding of the People's Republic to the readers' last year
DATE_WINDOW: tuple[dt.date, dt.date] = (dt.date(1949, 10, 1), dt.date(2100, 12, 31))

_NUMBER_KINDS = ("int", "float", "ratio")


def col(
    zh: str,
    kind: Kind,
    *,
    unit: str | None = None,
    labels: dict[str, str] | None = None,
    key: bool = False,
    required: bool | None = None,
    aliases: tuple[str, ...] | list[str] = (),
    description: str | None = None,
    min: float | dt.date | str | None = None,
    max: float | dt.date | str | None = None,
    percent: bool = False,
    not_after_as_of: bool = False,
) -> Any:
    """Declare one column: its Chinese header, value kind, unit and enum labels,
    and the values it can plausibly hold.

    ``aliases`` are other headers that name the column in real exports
    (``专任教师人数``); ``required`` (default: the key columns) says the table
    is unusable without it.

    ``min`` and ``max`` (inclusive) bound a number (``int``, ``float``,
    ``ratio``: a ratio after percent normalisation, ``98%`` is 0.98) or a date
    (a :class:`datetime.date` or ``"YYYY-MM-DD"``; a date column without them
    holds dates of :data:`DATE_WINDOW`). A value outside is implausible: the
    readers report it (READ-16) and leave it out of every indicator.
    ``percent`` says a ``ratio`` column's bare numbers are percentages
    (``93.72`` is 0.9372); without it a bare ``93.72`` is implausible unless the
    header says ``（%）``. An ``int`` column holds whole numbers by its kind.
    ``not_after_as_of`` says a date column records something that has happened
    by the manifest's ``as_of`` (a visit, a signature): a later date is
    implausible like one outside the window.

    :raises ValueError: a bound on a column that is not a number or a date,
        ``min`` above ``max``, ``percent`` on a column that is not a ratio,
        ``not_after_as_of`` on a column that is not a date.
    """
    extra: dict[str, Any] = {"zh": zh, "kind": kind}
    if unit:
        extra["unit"] = unit
    if labels:
        extra["labels"] = labels
    if key:
        extra["key"] = True
    if required is not None:
        extra["required"] = required
    if aliases:
        extra["aliases"] = list(aliases)
    lo, hi = _bound(zh, kind, "min", min), _bound(zh, kind, "max", max)
    # both numbers or both dates: _bound checked them against the one kind
    if lo is not None and hi is not None and lo > hi:  # type: ignore[operator]
        raise ValueError(f"column {zh}: min {lo} is above max {hi}")
    # kept JSON-serialisable (dates as ISO text), like the rest of the schema extra
    if lo is not None:
        extra["min"] = lo.isoformat() if isinstance(lo, dt.date) else lo
    if hi is not None:
        extra["max"] = hi.isoformat() if isinstance(hi, dt.date) else hi
    if percent:
        if kind != "ratio":
            raise ValueError(f"column {zh}: percent=True needs kind 'ratio', not {kind!r}")
        extra["percent"] = True
    if not_after_as_of:
        if kind != "date":
            raise ValueError(f"column {zh}: not_after_as_of=True needs kind 'date', not {kind!r}")
        extra["not_after_as_of"] = True
    return Field(default=None, description=description or zh, json_schema_extra=extra)


def _bound(zh: str, kind: str, which: str, value: Any) -> float | dt.date | None:
    """A ``min``/``max`` of :func:`col` checked against the column's kind."""
    if value is None:
        return None
    if kind == "date":
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"column {zh}: {which} {value!r} is not a date YYYY-MM-DD") from None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        raise ValueError(f"column {zh}: {which} of a date column must be a date, not {value!r}")
    if kind in _NUMBER_KINDS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"column {zh}: {which} of a {kind} column must be a number, not {value!r}")
        return value
    raise ValueError(
        f"column {zh}: {which} applies to numbers and dates, not to a {kind} column (its domain is its kind)"
    )


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


OWNERSHIP = {"public": "公办", "private": "民办"}
LEVEL = {"primary": "小学", "junior": "初中"}
SCHOOL_TYPE = {
    "standalone": "独立设置",
    "nine_year": "九年一贯制",
    "twelve_year": "十二年一贯制",
    "teaching_point": "教学点",
}
KG_GRADE = {"small": "小班", "middle": "中班", "large": "大班", "mixed": "混龄班"}
ROLE = {"full_time": "专职", "part_time": "兼职"}
TERM = {"spring": "春季", "autumn": "秋季"}
CASE_STATUS = {
    "open": "未返校",
    "returned": "已劝返",
    "home_schooling": "送教上门",
    "transferred": "转学",
    "exempt": "依法延缓/免予入学",
}
PARTY_TYPE = {"township": "乡镇", "school": "学校", "village": "村", "parent": "家长"}


class Manifest(BaseModel):
    """清单 / 说明: who submitted what, and the "today" of every deadline rule."""

    model_config = ConfigDict(extra="allow", frozen=True)

    county_code: str | None = col(
        "区县代码",
        "str",
        aliases=["县区代码", "区县行政区划代码"],
        description="6-digit county code, e.g. 640122",
    )
    county_name: str | None = col("区县名称", "str")
    region_code: str | None = col(
        "区划代码",
        "str",
        description="a batch of counties instead of one: a GB/T 2260 province (xx0000), "
        "prefecture (xxxx00) or 000000 for the whole country",
    )
    region_name: str | None = col("区划名称", "str")
    year: int | None = col(
        "年度", "int", aliases=["统计年度", "报告年度", "年份"], description="reporting year"
    )
    as_of: dt.date | None = col(
        "统计截止日期", "date", aliases=["截止日期", "统计时点"], description="the 'today' of deadline rules"
    )
    submitted_by: str | None = col("填报单位", "str", aliases=["报送单位", "填表单位"])

    @property
    def is_batch(self) -> bool:
        """Many counties in one submission (a province, a prefecture, the nation)."""
        return self.region_code is not None

    @property
    def region_prefix(self) -> str | None:
        """The leading digits every county code of the batch shares: ``64`` for
        640000, ``6401`` for 640100, ``""`` for 000000; ``None`` for one county."""
        code = self.region_code
        if code is None:
            return None
        if code == "000000":
            return ""
        return code[:2] if code.endswith("0000") else code[:4]

    @property
    def subject_code(self) -> str | None:
        """The code that names the submission: the county's, else the region's."""
        return self.county_code or self.region_code

    @property
    def subject_name(self) -> str | None:
        return self.county_name if self.county_code else self.region_name


class CountyRow(_Row):
    """县域概况: one row per county."""

    county_code: str = col("区县代码", "str", key=True, aliases=["县区代码", "行政区划代码"])
    county_name: str = col("区县名称", "str", aliases=["县区名称", "区县"])
    population_age_3_5: int = col(
        "3-5岁适龄人口数",
        "int",
        min=0,
        unit="persons",
        aliases=["3-5周岁适龄人口数", "3至5岁适龄人口数", "学前教育适龄人口数"],
    )
    teachers_eligible_for_exchange: int = col(
        "符合交流条件教师数", "int", min=0, unit="persons", aliases=["符合交流轮岗条件教师数", "应交流教师数"]
    )
    exchanged_teachers: int = col(
        "交流轮岗教师数", "int", min=0, unit="persons", aliases=["交流教师数", "实际交流轮岗教师数"]
    )
    exchanged_key_teachers: int = col(
        "交流轮岗骨干教师数", "int", min=0, unit="persons", aliases=["交流骨干教师数", "交流轮岗的骨干教师数"]
    )
    avg_teacher_salary: float = col(
        "教师年平均工资收入",
        "float",
        min=0,
        unit="yuan",
        aliases=["教师平均工资收入", "义务教育教师年平均工资收入"],
    )
    avg_civil_servant_salary: float = col(
        "当地公务员年平均工资收入",
        "float",
        min=0,
        unit="yuan",
        aliases=["公务员年平均工资收入", "当地公务员平均工资收入"],
    )
    grade9_enrollment_now: int = col(
        "当前初三在校人数", "int", min=0, unit="persons", aliases=["初三在校人数", "九年级在校生数"]
    )
    grade7_enrollment_of_cohort: int = col(
        "该届初三学生初一入学人数", "int", min=0, unit="persons", aliases=["初一入学人数", "七年级入学人数"]
    )
    grade1_enrollment_of_cohort: int = col(
        "该届初三学生小学一年级入学人数",
        "int",
        min=0,
        unit="persons",
        aliases=["小学一年级入学人数", "一年级入学人数"],
    )
    social_recognition_rate: float = col(
        "社会认可度", "ratio", min=0, max=1, unit="ratio", aliases=["社会认可度调查结果", "社会认可率"]
    )


class SchoolRow(_Row):
    """学校: one row per school **and** section; a nine-year school has two rows."""

    school_id: str = col(
        "学校标识码",
        "str",
        key=True,
        aliases=["学校（机构）标识码", "学校代码", "学校识别码", "学校编码"],
        description="10-digit national school code",
    )
    school_name: str = col("学校名称", "str", aliases=["学校（机构）名称", "学校全称", "校名"])
    county_code: str = col("区县代码", "str", aliases=["所属区县代码", "县区代码"])
    township: str = col("乡镇", "str", aliases=["所在乡镇", "所属乡镇", "乡镇（街道）", "乡镇街道"])
    level: str = col("学段", "enum", labels=LEVEL, key=True, aliases=["办学层次"])
    school_type: str = col("学校类型", "enum", labels=SCHOOL_TYPE, aliases=["办学类型"])
    ownership: str = col("办学性质", "enum", labels=OWNERSHIP, aliases=["办别", "学校办别", "学校性质"])
    students: int = col(
        "在校生数", "int", min=0, unit="persons", aliases=["学生数", "在校学生数", "在籍学生数"]
    )
    classes: int = col("班级数", "int", min=0, aliases=["班数", "教学班数"])
    largest_class_size: int = col("最大班额", "int", min=0, unit="persons", aliases=["最大班级人数"])
    full_time_teachers: int = col("专任教师数", "int", min=0, unit="persons", aliases=["专任教师"])
    teachers_above_required_degree: int = col(
        "高于规定学历教师数",
        "int",
        min=0,
        unit="persons",
        aliases=["高于规定学历专任教师数", "学历高于规定教师数"],
    )
    key_teachers: int = col(
        "县级以上骨干教师数", "int", min=0, unit="persons", aliases=["县级及以上骨干教师数", "骨干教师数"]
    )
    pe_art_teachers: int = col(
        "体育艺术专任教师数", "int", min=0, unit="persons", aliases=["体艺专任教师数", "体育艺术教师数"]
    )
    certified_teachers: int = col(
        "持证专任教师数", "int", min=0, unit="persons", aliases=["持有教师资格证专任教师数", "持证教师数"]
    )
    teaching_aux_area_m2: float = col(
        "教学及辅助用房面积",
        "float",
        min=0,
        unit="m2",
        aliases=["教学及辅助用房建筑面积", "教学辅助用房面积"],
    )
    sports_area_m2: float = col(
        "体育运动场馆面积",
        "float",
        min=0,
        unit="m2",
        aliases=["体育运动场（馆）面积", "体育场馆面积", "运动场馆面积"],
    )
    equipment_value_yuan: float = col(
        "教学仪器设备值",
        "float",
        min=0,
        unit="yuan",
        aliases=["教学仪器设备总值", "教学仪器设备资产值", "教学仪器设备资产总值"],
    )
    multimedia_classrooms: int = col(
        "网络多媒体教室数", "int", min=0, unit="rooms", aliases=["多媒体教室数", "网络多媒体教室"]
    )
    music_rooms: int = col(
        "音乐专用教室数", "int", min=0, unit="rooms", aliases=["音乐教室数", "音乐专用教室"]
    )
    art_rooms: int = col("美术专用教室数", "int", min=0, unit="rooms", aliases=["美术教室数", "美术专用教室"])


class KindergartenRow(_Row):
    """幼儿园. Public kindergartens count as inclusive whatever ``inclusive`` says."""

    kindergarten_id: str = col(
        "幼儿园标识码", "str", key=True, aliases=["学校（机构）标识码", "幼儿园代码", "学校标识码"]
    )
    kindergarten_name: str = col("幼儿园名称", "str", aliases=["学校（机构）名称", "幼儿园全称", "园名"])
    county_code: str = col("区县代码", "str", aliases=["所属区县代码", "县区代码"])
    ownership: str = col("办学性质", "enum", labels=OWNERSHIP, aliases=["办别", "学校办别", "幼儿园性质"])
    inclusive: bool = col("是否普惠性", "bool", aliases=["是否普惠", "是否普惠性幼儿园", "普惠性"])
    children: int = col("在园幼儿数", "int", min=0, unit="persons", aliases=["幼儿数", "在园儿童数"])
    classes: int = col("班级数", "int", min=0, aliases=["班数"])
    largest_class_size: int = col("最大班额", "int", min=0, unit="persons", aliases=["最大班级人数"])
    staff: int = col("教职工数", "int", min=0, unit="persons", aliases=["教职工"])
    full_time_teachers: int = col("专任教师数", "int", min=0, unit="persons", aliases=["专任教师"])
    caregivers: int = col("保育员数", "int", min=0, unit="persons", aliases=["保育员"])
    certified_teachers: int = col(
        "持证专任教师数", "int", min=0, unit="persons", aliases=["持有教师资格证专任教师数", "持证教师数"]
    )


class KindergartenClassRow(_Row):
    """幼儿园班级 (optional): one row per class."""

    kindergarten_id: str = col("幼儿园标识码", "str", key=True, aliases=["幼儿园代码"])
    class_name: str = col("班级名称", "str", key=True, aliases=["班级", "班名"])
    grade: str = col("年龄班", "enum", labels=KG_GRADE, aliases=["年龄段", "班级类型"])
    children: int = col("幼儿数", "int", min=0, unit="persons", aliases=["班级幼儿数", "在班幼儿数"])


class InspectorRow(_Row):
    """督学."""

    inspector_id: str = col("督学编号", "str", key=True, aliases=["督学证号", "督学证编号"])
    inspector_name: str = col("姓名", "str", aliases=["督学姓名"])
    role: str = col("类别", "enum", labels=ROLE, aliases=["督学类别", "专兼职"])
    training_hours: float = col(
        "年度培训学时", "float", min=0, unit="hours", aliases=["培训学时", "年培训学时"]
    )


class AssignmentRow(_Row):
    """挂牌督导: which inspector is responsible for which school."""

    inspector_id: str = col("督学编号", "str", aliases=["督学证号"])
    school_id: str = col("学校标识码", "str", aliases=["学校（机构）标识码", "学校代码"])


class VisitRow(_Row):
    """督导记录: one row per supervision visit."""

    inspector_id: str = col("督学编号", "str", aliases=["督学证号"])
    school_id: str = col("学校标识码", "str", aliases=["学校（机构）标识码", "学校代码"])
    visit_date: dt.date = col("督导日期", "date", not_after_as_of=True, aliases=["督导时间", "检查日期"])
    issues_found: int = col("发现问题数", "int", min=0, aliases=["问题数", "发现问题"])
    issues_rectified: int = col("已整改问题数", "int", min=0, aliases=["整改问题数", "已整改数"])


class EnrollmentCheckRow(_Row):
    """开学摸排: the spring / autumn term-start dropout sweep."""

    school_id: str = col("学校标识码", "str", aliases=["学校（机构）标识码", "学校代码"])
    term: str = col("学期", "enum", labels=TERM)
    check_date: dt.date = col("摸排日期", "date", not_after_as_of=True, aliases=["摸排时间"])
    enrolled: int = col("应在校人数", "int", min=0, unit="persons", aliases=["应在校生数", "应到人数"])
    present: int = col("实际在校人数", "int", min=0, unit="persons", aliases=["实际在校生数", "实到人数"])


class DropoutCaseRow(_Row):
    """控辍保学台账: one row per student at risk or out of school."""

    student_id: str = col("学籍号", "str", key=True, aliases=["全国学籍号", "学生学籍号"])
    school_id: str = col("学校标识码", "str", aliases=["学校（机构）标识码", "学校代码"])
    township: str = col("乡镇", "str", aliases=["所在乡镇", "乡镇（街道）"])
    identified_date: dt.date = col("发现日期", "date", not_after_as_of=True, aliases=["发现时间"])
    reason: str = col("原因", "str", aliases=["辍学原因", "失学辍学原因"])
    status: str = col("状态", "enum", labels=CASE_STATUS, aliases=["劝返状态", "处置状态"])
    resolved_date: dt.date = col(
        "办结日期", "date", not_after_as_of=True, aliases=["办结时间"], description="blank while open"
    )
    responsible_person: str = col("包保责任人", "str", aliases=["责任人", "包保人"])


class ResponsibilityLetterRow(_Row):
    """控辍保学责任书."""

    party_type: str = col("签订层级", "enum", labels=PARTY_TYPE, aliases=["层级", "签订对象类型"])
    party_id: str = col(
        "单位或人员编号", "str", aliases=["签订对象编号"], description="school_id for schools"
    )
    signed_date: dt.date = col("签订日期", "date", not_after_as_of=True, aliases=["签订时间"])


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a table: names (English, Chinese, aliases), kind, unit, codes
    and the values it can plausibly hold."""

    name: str
    zh: str
    kind: Kind
    unit: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    key: bool = False
    description: str = ""
    #: other headers naming this column in real exports (matched like ``zh``)
    aliases: tuple[str, ...] = ()
    #: the table cannot be used without it (the key columns, by default)
    required: bool = False
    #: the smallest and largest plausible value (inclusive): numbers (a ratio
    #: after percent normalisation) or dates; see :attr:`bounds`
    min: float | dt.date | None = None
    max: float | dt.date | None = None
    #: a ratio whose bare numbers are percentages (``93.72`` is 0.9372)
    percent: bool = False
    #: a date that cannot lie after the manifest's ``as_of`` (an event that has happened)
    not_after_as_of: bool = False

    @property
    def bounds(self) -> tuple[float | dt.date | None, float | dt.date | None]:
        """``(min, max)`` a value must lie within: the declared bounds, and for
        a date column without any, :data:`DATE_WINDOW`. ``(None, None)``: the
        column's domain is its kind (text, codes, yes/no)."""
        if self.kind == "date" and self.min is None and self.max is None:
            return DATE_WINDOW
        return self.min, self.max


@dataclass(frozen=True)
class TableSpec:
    """What readers and validators need to know of one table."""

    name: str
    zh: str
    model: type[BaseModel]
    subject_type: str
    columns: dict[str, ColumnSpec]
    #: other names of the table as a sheet, file stem or JSON key
    aliases: tuple[str, ...] = ()
    #: the columns whose values, joined by ``/``, are a row's ``subject.id``
    #: (default: the key columns)
    subject_columns: tuple[str, ...] | None = None
    #: the column naming a row's subject (``school_name``), for messages and notices
    name_column: str | None = None
    #: the column naming the school or unit a row's subject belongs to, to which
    #: its notices go (``school_id`` of a class survey)
    unit_column: str | None = None

    def __post_init__(self) -> None:
        problems = spec_problems(self)
        if problems:
            raise ValueError(f"table {self.name!r}: {'; '.join(problems)}")

    @property
    def subject_id_columns(self) -> tuple[str, ...]:
        return self.key if self.subject_columns is None else self.subject_columns

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns.values() if c.key)

    def match_column(self, header: str) -> str | None:
        """The contract column a header names (English or Chinese), or ``None``.

        Surrounding spaces and full-width/half-width differences are ignored.
        """
        return self._header_index().get(normalize_header(header))

    def _header_index(self) -> dict[str, str]:
        index = {}
        for c in self.columns.values():
            index[normalize_header(c.name)] = c.name
            index[normalize_header(c.zh)] = c.name
        return index


def spec_problems(spec: TableSpec) -> list[str]:
    """What is wrong with a table spec: an unknown subject type, or a key,
    subject, name or unit column that the table does not have."""
    from .models import SUBJECT_TYPES

    problems = []
    if spec.subject_type not in SUBJECT_TYPES:
        problems.append(f"subject_type {spec.subject_type!r} is not one of {', '.join(SUBJECT_TYPES)}")
    named = [("subject column", c) for c in spec.subject_columns or ()]
    named += [
        (what, c)
        for what, c in (("name_column", spec.name_column), ("unit_column", spec.unit_column))
        if c is not None
    ]
    for what, column in named:
        if column not in spec.columns:
            problems.append(
                f"{what} {column!r} is not a column of the table (columns: {', '.join(spec.columns)})"
            )
    return problems


def normalize_header(text: str) -> str:
    """Fold a header for matching: NFKC (full-width → half-width), trim, casefold."""
    return unicodedata.normalize("NFKC", str(text)).strip().casefold().replace(" ", "")


def _spec_bound(value: Any, kind: Any) -> float | dt.date | None:
    if value is None:
        return None
    return dt.date.fromisoformat(value) if kind == "date" else value


def _spec_from_model(
    name: str,
    zh: str,
    model: type[BaseModel],
    subject_type: str,
    aliases: tuple[str, ...] = (),
    *,
    subject_columns: tuple[str, ...] | None = None,
    name_column: str | None = None,
    unit_column: str | None = None,
) -> TableSpec:
    columns = {}
    for fname, finfo in model.model_fields.items():
        extra = finfo.json_schema_extra or {}
        assert isinstance(extra, dict)
        # json_schema_extra is typed as any JSON; these are the values col() wrote
        columns[fname] = ColumnSpec(
            name=fname,
            zh=str(extra["zh"]),
            kind=extra["kind"],  # type: ignore[arg-type]
            unit=extra.get("unit"),  # type: ignore[arg-type]
            labels=dict(extra.get("labels") or {}),  # type: ignore[arg-type]
            key=bool(extra.get("key")),
            description=finfo.description or "",
            aliases=tuple(extra.get("aliases") or ()),  # type: ignore[arg-type]
            required=bool(extra.get("required", extra.get("key", False))),
            min=_spec_bound(extra.get("min"), extra["kind"]),
            max=_spec_bound(extra.get("max"), extra["kind"]),
            percent=bool(extra.get("percent")),
            not_after_as_of=bool(extra.get("not_after_as_of")),
        )
    return TableSpec(
        name=name,
        zh=zh,
        model=model,
        subject_type=subject_type,
        columns=columns,
        aliases=tuple(aliases),
        subject_columns=subject_columns,
        name_column=name_column,
        unit_column=unit_column,
    )


_CORE_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        _spec_from_model(
            "county",
            "县域概况",
            CountyRow,
            "county",
            ("县域", "区县概况", "县区概况"),
            subject_columns=("county_code",),
            name_column="county_name",
        ),
        _spec_from_model(
            "schools",
            "学校",
            SchoolRow,
            "school",
            ("中小学校", "中小学", "义务教育学校"),
            subject_columns=("school_id", "level"),
            name_column="school_name",
            unit_column="school_id",
        ),
        _spec_from_model(
            "kindergartens",
            "幼儿园",
            KindergartenRow,
            "kindergarten",
            subject_columns=("kindergarten_id",),
            name_column="kindergarten_name",
            unit_column="kindergarten_id",
        ),
        _spec_from_model(
            "kindergarten_classes",
            "幼儿园班级",
            KindergartenClassRow,
            "kindergarten",
            subject_columns=("kindergarten_id", "class_name"),
            name_column="class_name",
            unit_column="kindergarten_id",
        ),
        _spec_from_model(
            "inspectors",
            "督学",
            InspectorRow,
            "inspector",
            ("责任督学",),
            subject_columns=("inspector_id",),
            name_column="inspector_name",
        ),
        _spec_from_model(
            "assignments", "挂牌督导", AssignmentRow, "inspector", ("挂牌督导关系", "责任督学挂牌督导")
        ),
        _spec_from_model(
            "visits", "督导记录", VisitRow, "inspector", ("督导检查记录", "挂牌督导记录", "督导日志")
        ),
        _spec_from_model(
            "enrollment_checks", "开学摸排", EnrollmentCheckRow, "school", ("开学摸排记录", "入学摸排")
        ),
        _spec_from_model(
            "dropout_cases",
            "控辍保学台账",
            DropoutCaseRow,
            "case",
            ("控辍保学", "辍学台账", "失学辍学台账"),
            subject_columns=("student_id",),
            unit_column="school_id",
        ),
        _spec_from_model(
            "responsibility_letters", "控辍保学责任书", ResponsibilityLetterRow, "submission", ("责任书",)
        ),
    )
}

#: The data contract's own tables, whatever plugins are loaded.
CORE_TABLES: Mapping[str, TableSpec] = MappingProxyType(_CORE_TABLES)

# Tables contributed by plugins (``register_tables`` hook) of the active host.
_PLUGIN_TABLES: ContextVar[Mapping[str, TableSpec]] = ContextVar(
    "supervise_rules_plugin_tables", default=MappingProxyType({})
)


class _Tables(Mapping[str, TableSpec]):
    """The contract's tables followed by those of the active plugin host.

    Readers and validators look tables up here; a host makes its plugins'
    tables visible for the duration of a load or run with
    :func:`plugin_tables` (``PluginHost.activate()``), so two hosts in one
    process (tests) never see each other's tables.
    """

    def __getitem__(self, name: str) -> TableSpec:
        spec = _CORE_TABLES.get(name)
        active = _PLUGIN_TABLES.get()
        if spec is not None:
            # the active host's copy of a contract table, with plugins' aliases
            extended = active.get(name)
            return extended if extended is not None and extended.model is spec.model else spec
        return active[name]

    def __iter__(self) -> Iterator[str]:
        yield from _CORE_TABLES
        yield from (n for n in _PLUGIN_TABLES.get() if n not in _CORE_TABLES)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"TABLES({', '.join(self)})"


#: Every table known in the current context: the contract's, then plugins'.
TABLES: Mapping[str, TableSpec] = _Tables()


@contextmanager
def plugin_tables(tables: Mapping[str, TableSpec]) -> Iterator[None]:
    """Make ``tables`` (contributed by plugins) visible through :data:`TABLES`
    inside the ``with`` block. Core tables always win a name clash."""
    token = _PLUGIN_TABLES.set(MappingProxyType(dict(tables)))
    try:
        yield
    finally:
        _PLUGIN_TABLES.reset(token)


def table_spec(
    name: str,
    zh: str,
    model: type[BaseModel],
    subject_type: str,
    *,
    aliases: tuple[str, ...] | list[str] = (),
    subject_columns: tuple[str, ...] | list[str] | None = None,
    name_column: str | None = None,
    unit_column: str | None = None,
) -> TableSpec:
    """Build a :class:`TableSpec` from a pydantic model whose fields are declared
    with :func:`col` -- how a plugin defines a table for ``register_tables``.

    :param name: the table's English name (file stem, sheet or JSON key).
    :param zh: its Chinese name, also accepted as file stem or sheet name.
    :param model: the row model; each field's :func:`col` gives the Chinese
        header, kind, unit and enum labels.
    :param subject_type: what a finding on one row is about: one of
        ``county``, ``school``, ``kindergarten``, ``inspector``, ``case``,
        ``submission``.
    :param aliases: other sheet, file or key names of the table.
    :param subject_columns: the columns joined by ``/`` into a row's
        ``subject.id`` (default: the key columns).
    :param name_column: the column that names a row's subject in messages and
        notices (``class_name``).
    :param unit_column: the column naming the school or unit a row's subject
        belongs to (``school_id``), to which its notices go.
    :raises ValueError: an unknown subject type, or a subject, name or unit
        column the model does not have (a plugin that builds such a spec fails
        to load, with an error naming it).
    """
    return _spec_from_model(
        name,
        zh,
        model,
        subject_type,
        tuple(aliases),
        subject_columns=tuple(subject_columns) if subject_columns is not None else None,
        name_column=name_column,
        unit_column=unit_column,
    )


MANIFEST = _spec_from_model("manifest", "说明", Manifest, "submission")


def resolve_table_name(name: str) -> str | None:
    """The table a file or sheet name is (English or Chinese name, or an alias);
    readers also take names written differently, see
    :func:`supervise_rules.readers.headers.resolve_table`."""
    folded = normalize_header(name)
    for spec in TABLES.values():
        if folded in (normalize_header(spec.name), normalize_header(spec.zh)):
            return spec.name
    for spec in TABLES.values():
        if folded in {normalize_header(a) for a in spec.aliases}:
            return spec.name
    return None


@dataclass(frozen=True)
class TableAliases:
    """More names for a table and its columns, from a plugin (``register_aliases``).

    Any table may be extended, the data contract's included: ``names`` are
    other sheet, file or key names of ``table``; ``columns`` maps a column to
    other headers for it. They are matched like the spec's own aliases.
    """

    table: str
    names: tuple[str, ...] | list[str] = ()
    columns: Mapping[str, tuple[str, ...] | list[str]] = field(default_factory=dict)


def with_aliases(spec: TableSpec, extra: Iterable[TableAliases]) -> TableSpec:
    """``spec`` with the aliases of ``extra`` added (same model, same columns).

    :raises ValueError: an entry names another table or a column ``spec`` lacks.
    """
    names = list(spec.aliases)
    columns = {n: list(c.aliases) for n, c in spec.columns.items()}
    for item in extra:
        if item.table != spec.name:
            raise ValueError(f"aliases for table {item.table!r} given to {spec.name!r}")
        names += [n for n in item.names if n not in names]
        for column, aliases in item.columns.items():
            if column not in columns:
                raise ValueError(
                    f"table {spec.name!r} has no column {column!r} (columns: {', '.join(spec.columns)})"
                )
            columns[column] += [a for a in aliases if a not in columns[column]]
    return replace(
        spec,
        aliases=tuple(names),
        columns={n: replace(c, aliases=tuple(columns[n])) for n, c in spec.columns.items()},
    )


def subject_id_columns(table: str) -> tuple[str, ...]:
    """Columns whose values, joined by ``/``, form a finding's ``subject.id``
    (:attr:`TableSpec.subject_columns`, else the key)."""
    return TABLES[table].subject_id_columns if table in TABLES else ()


__all__ = [
    "CORE_TABLES",
    "DATE_WINDOW",
    "MANIFEST",
    "TABLES",
    "ColumnSpec",
    "Manifest",
    "TableAliases",
    "TableSpec",
    "col",
    "plugin_tables",
    "table_spec",
]
