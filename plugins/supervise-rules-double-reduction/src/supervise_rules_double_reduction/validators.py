"""The ``homework_minutes`` validator."""

from __future__ import annotations

import narwhals as nw
from pydantic import Field

from supervise_rules import ROW, LocalizedText, Params, RuleContext, RuleResult, Validator

TABLE = "homework_surveys"
MINUTES = "avg_written_homework_minutes"


class HomeworkMinutesParams(Params):
    grades: list[int] = Field(min_length=1, description="the grades (1-9) whose classes the limit applies to")
    max_minutes: float = Field(
        ge=0, description="the most average daily written homework allowed, in minutes"
    )


class HomeworkMinutesValidator(Validator[HomeworkMinutesParams]):
    """Average daily written homework of each class within the limit for its grade.

    What it checks
        For every row of ``homework_surveys`` whose ``grade`` is one of
        ``grades``, the class's ``avg_written_homework_minutes`` must be at most
        ``max_minutes``. One finding per class in scope; a class whose minutes
        are blank is an ``error`` finding naming its row, never a silent pass.
        Without the table the rule is not applicable (or an error when the rule
        says ``requires_data: true``).

    Parameters
        ``grades`` (list of grades 1-9, at least one) and ``max_minutes``
        (a number ≥ 0; ``0`` means no written homework at all).

    Example
        ``grades: [3, 4, 5, 6]``, ``max_minutes: 60``: a grade-4 class reporting
        75 minutes fails, one reporting 45 passes.
    """

    name = "homework_minutes"
    summary = LocalizedText(
        zh="每个班级的日均书面作业时长不超过其年级的上限。",
        en="Written homework minutes per class within the limit for its grade.",
    )
    Params = HomeworkMinutesParams
    message_values = ()  # the engine's own: {observed}, {required}, {subject_name} …

    def check(self, ctx: RuleContext[HomeworkMinutesParams]) -> list[RuleResult]:
        p = ctx.params
        missing = ctx.require(TABLE, ["grade", MINUTES])
        if missing:
            return missing
        lf = ctx.frame(TABLE)
        assert lf is not None
        minutes = nw.col(MINUTES).cast(nw.Float64)
        has_name = "class_name" in ctx.columns(TABLE)
        name = nw.col("class_name").cast(nw.String) if has_name else nw.lit(None, dtype=nw.String)
        result = lf.filter(nw.col("grade").is_in(p.grades)).select(
            subject_id=ctx.subject_id_expr(TABLE),
            subject_name=name,
            observed=minutes,
            required=nw.lit(float(p.max_minutes)),
            row=nw.col(ROW),
            error_column=nw.when(minutes.is_null())
            .then(nw.lit(MINUTES))
            .otherwise(nw.lit(None, dtype=nw.String)),
            error_kind=nw.when(minutes.is_null())
            .then(nw.lit("missing"))
            .otherwise(nw.lit(None, dtype=nw.String)),
            outcome=nw.when(minutes.is_null())
            .then(nw.lit("error"))
            .when(minutes <= p.max_minutes + 1e-9)
            .then(nw.lit("pass"))
            .otherwise(nw.lit("fail")),
        )
        return [
            RuleResult(
                frame=result,
                table=TABLE,
                op="<=",
                unit="minutes",
                columns=["grade", MINUTES],
                threshold=float(p.max_minutes),
            )
        ]
