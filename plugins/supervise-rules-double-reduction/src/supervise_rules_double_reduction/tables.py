"""The ``homework_surveys`` table: one row per class of a homework-time survey."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from supervise_rules import col, table_spec


class HomeworkSurveyRow(BaseModel):
    """作业时长调查: the average daily written homework time of one class."""

    model_config = ConfigDict(extra="allow", frozen=True)

    school_id: str = col("学校标识码", "str", key=True, description="10-digit national school code")
    class_name: str = col("班级名称", "str", key=True, description="the class, e.g. 三年级2班")
    grade: int = col("年级", "int", description="grade 1-9 of compulsory education")
    avg_written_homework_minutes: float = col(
        "日均书面作业时长(分钟)",
        "float",
        unit="minutes",
        description="average daily written homework time reported for the class, in minutes",
    )


# A finding on a class names the class and goes to its school's notice.
HOMEWORK_SURVEYS = table_spec(
    "homework_surveys",
    "作业时长调查",
    HomeworkSurveyRow,
    "school",
    name_column="class_name",
    unit_column="school_id",
)
