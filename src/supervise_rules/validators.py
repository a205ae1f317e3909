"""The validator contract and the context a validator runs in.

A validator evaluates one rule on whole columns: it builds narwhals
expressions over the submission's tables (polars by default, DuckDB or any
narwhals backend alike), collects a small *result frame* with one row per
subject, and hands it to :meth:`RuleContext.findings_from` which turns it into
findings with the rule's messages. No built-in validator loops over data rows
in Python.
"""

from __future__ import annotations

import datetime as dt
import functools
import string
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, get_args

import narwhals as nw
from pydantic import BaseModel, ConfigDict

from .expressions import Compiled, compile_expression
from .models import (
    Evidence,
    Finding,
    LocalizedText,
    Outcome,
    Required,
    Subject,
    SubjectType,
)
from .submission import ROW, Submission, Table
from .tables import TABLES, subject_id_columns

if TYPE_CHECKING:
    from .rulesets import ResolvedRule


class Params(BaseModel):
    """Base for validator parameter models: unknown parameters are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Validator:
    """Base class of validators. Subclasses set the class attributes and ``check``.

    The class docstring is the validator's documentation, in sections
    ``What it checks``, ``Parameters`` and ``Example`` (a meta-test enforces it).
    """

    #: the name rules refer to in ``validator:``
    name: ClassVar[str]
    #: one line for ``list`` views
    summary: ClassVar[str]
    #: pydantic model of the rule's ``params``
    Params: ClassVar[type[BaseModel]] = Params

    def check(self, ctx: RuleContext) -> list[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError


# --- result frames -----------------------------------------------------------------

#: Columns of a result frame. ``outcome`` and ``subject_id`` are required.
RESULT_COLUMNS = (
    "subject_id",  # str
    "subject_name",  # str | null
    "observed",  # number | str | null
    "required",  # number | null (a per-row threshold)
    "outcome",  # "pass" | "fail" | "error"
    "row",  # int | null: the evidence row (1-based, header excluded)
    "error_column",  # str | null: for errors, the column whose value is missing/zero
    "error_kind",  # "missing" | "zero" | null
    "op",  # str | null (optional): the comparison of this row, overriding the rule's
)

_OP_TEXT = {
    ">=": ("不低于", "at least"),
    ">": ("高于", "above"),
    "<=": ("不高于", "at most"),
    "<": ("低于", "below"),
    "==": ("等于", "equal to"),
    "!=": ("不等于", "not equal to"),
    "in": ("属于", "one of"),
    "exists": ("存在", "present"),
    "within_days": ("在规定天数内", "within the days allowed"),
}
_VERDICT = {
    Outcome.passed: ("达标", "meets the requirement"),
    Outcome.fail: ("未达标", "does not meet the requirement"),
}


class _Template:
    """A message template parsed once: literal text and ``{name:spec}`` fields.

    Only plain names are allowed: attribute access, indexing and conversions
    (``{x.__class__}``, ``{x[0]}``, ``{x!r}``) are rejected, so a ruleset cannot
    reach into Python objects through its messages. Rendering is a join, not a
    ``str.format`` call, because a large report renders millions of messages.
    """

    def __init__(self, template: str):
        self.template = template
        self.parts: list[tuple[str, str | None, str]] = []
        for literal, name, spec, conversion in string.Formatter().parse(template):
            if name is not None:
                if conversion:
                    raise ValueError("conversions such as !r are not allowed in messages")
                if not name.isidentifier() or name.startswith("_"):
                    raise ValueError(f"placeholder {{{name}}} is not allowed")
                if "{" in (spec or ""):
                    raise ValueError(f"nested placeholders in {{{name}:{spec}}} are not allowed")
            self.parts.append((literal, name, spec or ""))

    def render(self, values: dict[str, Any]) -> str:
        out = []
        for literal, name, spec in self.parts:
            out.append(literal)
            if name is None:
                continue
            if name not in values:
                raise KeyError(name)
            value = values[name]
            if value is None:
                out.append("—")
                continue
            try:
                out.append(format(value, spec))
            except (TypeError, ValueError):
                out.append(str(value))
        return "".join(out)


@functools.lru_cache(maxsize=4096)
def _parse_template(template: str) -> _Template:
    return _Template(template)


def render_message(template: str, values: dict[str, Any]) -> str:
    """Render a rule's message template; a bad placeholder never crashes a run."""
    try:
        return _parse_template(template).render(values)
    except (KeyError, ValueError, IndexError) as exc:
        return f"{template} [message template error: {exc}]"


class RuleContext:
    """Everything a validator may use to evaluate one rule."""

    def __init__(
        self,
        rule: ResolvedRule,
        submission: Submission,
        frames: FrameProvider,
        *,
        plugin: str | None = None,
    ):
        self.rule = rule
        self.params = rule.params
        self.submission = submission
        self._frames = frames
        self.plugin = plugin

    # -- data access -------------------------------------------------------------

    @property
    def as_of(self) -> dt.date | None:
        return self.submission.manifest.as_of

    def table(self, name: str) -> Table | None:
        return self.submission.table(name)

    def frame(self, name: str) -> nw.LazyFrame | None:
        """The table as a narwhals LazyFrame on the run's backend, or ``None``."""
        return self._frames.get(name)

    def columns(self, name: str) -> list[str]:
        table = self.table(name)
        return [] if table is None else list(table.frame.columns)

    def resolver(self, table: str):
        """Maps a name in an expression (English or Chinese header) to a column."""
        spec = TABLES.get(table)
        present = set(self.columns(table))

        def resolve(name: str) -> str | None:
            if name in present:
                return name
            if spec is not None:
                matched = spec.match_column(name)
                if matched is not None:
                    return matched
            return name  # unknown here; ``require`` reports it as a missing column

        return resolve

    def compile(self, text: str, table: str) -> Compiled:
        return compile_expression(text, self.resolver(table))

    def require(self, table: str, columns: Iterable[str] = ()) -> list[Finding]:
        """Findings for a missing table or columns (not_applicable, or error if the
        rule says the data is required); an empty list when all are present."""
        return self.require_all([(table, columns)])

    def require_all(self, needs: Iterable[tuple[str, Iterable[str]]]) -> list[Finding]:
        """As :meth:`require` for several tables at once: one finding naming
        everything that is missing, or an empty list."""
        gaps: dict[str, list[str] | None] = {}
        for table, columns in needs:
            tbl = self.table(table)
            if tbl is None:
                gaps[table] = None
                continue
            missing = [c for c in dict.fromkeys(columns) if c not in tbl.frame.columns]
            if missing and gaps.get(table, []) is not None:
                gaps[table] = list(dict.fromkeys([*(gaps.get(table) or []), *missing]))
        if not gaps:
            return []
        zh_parts, en_parts, evidence = [], [], []
        for table, columns in gaps.items():
            spec = TABLES.get(table)
            zh_table = spec.zh if spec else table
            if columns is None:
                zh_parts.append(f"提交数据中没有「{zh_table}」表（{table}）")
                en_parts.append(f"the submission has no {table} table")
            else:
                zh_cols = "、".join(
                    f"{spec.columns[c].zh}（{c}）" if spec and c in spec.columns else c for c in columns
                )
                zh_parts.append(f"「{zh_table}」表缺少列：{zh_cols}")
                en_parts.append(f"the {table} table lacks column(s) {', '.join(columns)}")
            evidence.append(Evidence(table=table, rows=None, columns=columns or []))
        en = "; ".join(en_parts)
        outcome = Outcome.error if self.rule.rule.requires_data else Outcome.not_applicable
        return [self.finding(
            outcome=outcome,
            subject=self.submission_subject(),
            message=LocalizedText(zh="；".join(zh_parts) + "，无法检查本规则",
                                  en=en[0].upper() + en[1:] + ", so this rule cannot be checked"),
            evidence=evidence,
        )]

    # -- subjects ----------------------------------------------------------------

    def county_subject(self) -> Subject:
        m = self.submission.manifest
        return Subject(type="county", id=m.county_code or "unknown", name=m.county_name)

    def submission_subject(self) -> Subject:
        m = self.submission.manifest
        # Not the file path: the same submission in another container must give
        # the same report.
        return Subject(type="submission", id=m.county_code or "submission", name=m.county_name)

    @staticmethod
    def subject_id_expr(table: str) -> nw.Expr:
        cols = subject_id_columns(table)
        if not cols:
            return nw.col(ROW).cast(nw.String)
        exprs = [nw.col(c).cast(nw.String).fill_null("?") for c in cols]
        return exprs[0] if len(exprs) == 1 else nw.concat_str(exprs, separator="/")

    @staticmethod
    def subject_name_expr(table: str, available: Iterable[str]) -> nw.Expr:
        name_col = {
            "schools": "school_name",
            "kindergartens": "kindergarten_name",
            "inspectors": "inspector_name",
            "kindergarten_classes": "class_name",
        }.get(table)
        if name_col and name_col in set(available):
            return nw.col(name_col).cast(nw.String)
        return nw.lit(None, dtype=nw.String)

    # -- findings ----------------------------------------------------------------

    def finding(
        self,
        *,
        outcome: Outcome,
        subject: Subject,
        message: LocalizedText | None = None,
        observed: Any = None,
        required: Required | None = None,
        unit: str | None = None,
        evidence: list[Evidence] | None = None,
        values: dict[str, Any] | None = None,
    ) -> Finding:
        """A finding for this rule. Without ``message`` the rule's templates are
        rendered with ``observed``, ``required``, the subject and ``values``."""
        if message is None:
            message = self.render(outcome, subject, observed, required, unit, values or {})
        evidence = evidence or []
        # What a validator hands in is checked: already-built models of the right
        # types skip a second validation, anything else goes through pydantic.
        trusted = (
            isinstance(outcome, Outcome)
            and isinstance(subject, Subject)
            and isinstance(message, LocalizedText)
            and (required is None or isinstance(required, Required))
            and all(isinstance(e, Evidence) for e in evidence)
            and (unit is None or isinstance(unit, str))
            and (observed is None or isinstance(observed, int | float | str | dt.date))
        )
        return self._new_finding(
            _construct_finding if trusted else Finding,
            outcome=outcome,
            subject=subject,
            observed=observed,
            required=required,
            unit=unit,
            message=message,
            evidence=evidence or [],
        )

    def _new_finding(self, make: Any, **fields: Any) -> Finding:
        """``make`` is ``Finding`` (validated) or :func:`_construct_finding` for
        findings whose parts are known to be well typed, where validating each
        of millions would dominate the run."""
        return make(
            rule_id=self.rule.id,
            title=self.rule.title,
            work_point=self.rule.rule.work_point,
            severity=self.rule.severity,
            source=self.rule.rule.source,
            **{**fields, "observed": _clean_number(fields.get("observed"))},
        )

    def render(
        self,
        outcome: Outcome,
        subject: Subject,
        observed: Any,
        required: Required | None,
        unit: str | None,
        values: dict[str, Any],
    ) -> LocalizedText:
        op = required.op if required else None
        op_zh, op_en = _OP_TEXT.get(op or "", ("", ""))
        verdict_zh, verdict_en = _VERDICT.get(outcome, ("", ""))
        base = {
            "observed": observed,
            "required": required.value if required else None,
            "unit": unit or "",
            "subject_id": subject.id,
            "subject_name": subject.name or subject.id,
            **values,
        }
        templates = self.rule.rule.message
        return _new_text(
            zh=render_message(templates.zh, {**base, "verdict": verdict_zh, "op_text": op_zh}),
            en=render_message(templates.en, {**base, "verdict": verdict_en, "op_text": op_en}),
        )

    def findings_from(
        self,
        result: nw.DataFrame,
        *,
        table: str,
        op: str,
        unit: str | None,
        columns: list[str],
        subject_type: str | None = None,
        threshold: Any = None,
        extra_evidence: list[Evidence] | None = None,
        aggregate: bool = False,
        values: Sequence[str] = (),
    ) -> list[Finding]:
        """Turn a collected result frame (see :data:`RESULT_COLUMNS`) into findings.

        An optional ``op`` column overrides ``op`` per row; the result columns
        named in ``values`` are handed to the message templates as placeholders.

        This is the one place that walks result rows in Python: one iteration per
        finding, which a report has to materialize anyway.
        """
        spec = TABLES.get(table)
        stype = subject_type or (spec.subject_type if spec else "submission")
        if stype not in get_args(SubjectType):
            raise ValueError(f"unknown subject type {stype!r}")
        tbl = self.table(table)
        county = self.county_subject() if aggregate and stype == "county" else None
        # Everything below was produced by this module from typed frames, so the
        # models are constructed without re-validation (see ``_new_finding``).
        new_subject = _constructor(Subject)
        new_required = _constructor(Required)
        new_evidence = _constructor(Evidence)
        # Frozen parts shared by the findings of this rule: one requirement per
        # distinct threshold, one list of evidence columns.
        columns = list(columns)
        requirements: dict[tuple[Any, ...], Required] = {}
        out = []
        for rec in result.iter_rows(named=True):
            outcome = Outcome(rec["outcome"])
            required_value = rec.get("required", threshold)
            if required_value is None:
                required_value = threshold
            req_op, req_value = rec.get("op") or op, _clean_number(required_value)
            key = (req_op, type(req_value), req_value)  # 1 and 1.0 print differently
            required = requirements.get(key)
            if required is None:
                required = requirements[key] = new_required(op=req_op, value=req_value)
            subject = county or new_subject(
                type=stype, id=str(rec["subject_id"]), name=rec.get("subject_name"))
            row = rec.get("row")
            evidence = [new_evidence(table=table, rows=[int(row)] if row is not None else None,
                                     columns=columns)]
            evidence += extra_evidence or []
            observed = rec.get("observed")
            if outcome is Outcome.error:
                message = self.data_error_message(
                    table, tbl, row, rec.get("error_column"), rec.get("error_kind"))
            else:
                message = self.render(outcome, subject, observed, required, unit,
                                      {k: rec.get(k) for k in values})
            out.append(self._new_finding(
                _construct_finding, outcome=outcome, subject=subject, observed=observed,
                required=required, unit=unit, evidence=evidence, message=message,
                plugin=None, waiver=None, baseline=None,
            ))
        return out

    def data_error_message(
        self, table: str, tbl: Table | None, row: int | None, column: str | None, kind: str | None
    ) -> LocalizedText:
        """Why a value could not be computed: which table, row and column."""
        spec = TABLES.get(table)
        # Contract names, not the headers as written: the same data in another
        # container (English or Chinese headers) must give the same report.
        en_col = column or "?"
        zh_col = spec.columns[column].zh if spec and column in spec.columns else en_col
        zh_table = spec.zh if spec else table
        where_zh = f"「{zh_table}」表" + (f"第 {row} 行" if row is not None else "")
        where_en = f"table {table}" + (f", row {row}" if row is not None else "")
        if kind == "zero":
            return LocalizedText(
                zh=f"{where_zh}「{zh_col}」为 0，作为分母无法计算本指标",
                en=f"{where_en}, column {en_col}: the value is 0 and is a denominator; "
                "the indicator cannot be computed",
            )
        return LocalizedText(
            zh=f"{where_zh}「{zh_col}」缺失，无法计算本指标",
            en=f"{where_en}, column {en_col}: the value is missing; the indicator cannot be computed",
        )


class FrameProvider:
    """Gives validators each table as a narwhals LazyFrame on one backend,
    converting (and caching) the submission's polars frames when needed."""

    BACKENDS = ("polars", "duckdb")

    def __init__(self, submission: Submission, backend: str = "polars"):
        if backend not in self.BACKENDS:
            raise ValueError(f"unknown backend {backend!r} (known: {', '.join(self.BACKENDS)})")
        self.submission = submission
        self.backend = backend
        self._cache: dict[str, nw.LazyFrame] = {}
        self._duckdb: Any = None

    def get(self, name: str) -> nw.LazyFrame | None:
        table = self.submission.table(name)
        if table is None:
            return None
        if name not in self._cache:
            self._cache[name] = self._convert(table.frame)
        return self._cache[name]

    def _convert(self, frame: Any) -> nw.LazyFrame:
        native = nw.from_native(frame)
        if self.backend == "polars":
            return native.lazy()
        import duckdb  # optional: only for the DuckDB backend

        if self._duckdb is None:
            self._duckdb = duckdb.connect()
        arrow = native.to_arrow() if isinstance(native, nw.DataFrame) else native.collect().to_arrow()
        return nw.from_native(self._duckdb.from_arrow(arrow))


def _constructor(cls: type[BaseModel]) -> Any:
    """A constructor for ``cls`` that skips validation, for values known to be valid.

    pydantic's ``model_construct`` does the same with alias handling that costs
    ~10 µs a call; a report of a province holds millions of these small models.
    Missing fields get their defaults; the dict keeps the fields' order, which
    serialization follows.
    """
    fields = dict(cls.model_fields)
    names = tuple(fields)
    factories = {n: f.default_factory for n, f in fields.items() if f.default_factory is not None}
    defaults = {n: f.default for n, f in fields.items() if not f.is_required()}
    new, set_attr = cls.__new__, object.__setattr__
    all_fields = set(names)

    def make(**values: Any) -> Any:
        data = {}
        for name in names:
            if name in values:
                data[name] = values[name]
            elif name in factories:
                data[name] = factories[name]()  # type: ignore[call-arg]
            else:
                data[name] = defaults[name]
        obj = new(cls)
        set_attr(obj, "__dict__", data)
        # Shared: pydantic copies this set before changing it (model_copy).
        set_attr(obj, "__pydantic_fields_set__", all_fields)
        set_attr(obj, "__pydantic_extra__", None)
        set_attr(obj, "__pydantic_private__", None)
        return obj

    return make


_new_text = _constructor(LocalizedText)
_construct_finding = _constructor(Finding)


def _clean_number(value: Any) -> Any:
    """JSON-friendly numbers: Decimal → float, integral floats from int columns kept."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "is_finite") and not isinstance(value, float | int):  # Decimal
        return float(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        # Parallel float sums may differ in the last bits from run to run; 12
        # significant digits keep full practical precision and make the same
        # input give the same bytes.
        return float(f"{value:.12g}")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
