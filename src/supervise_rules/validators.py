"""The validator contract and the context a validator runs in.

API version 2: a validator evaluates one rule on whole columns and returns
its result as a frame — a :class:`RuleResult` whose ``frame`` (a narwhals or
polars LazyFrame or DataFrame on the run's backend) has one row per finding
with the outcome decided in the frame (see :data:`RESULT_COLUMNS`), plus the
rule-level metadata the report needs. The engine collects the frames of many
rules at once and turns them into findings; validators never build findings
one by one nor loop over rows in Python.

API version 1 (``check`` returning a list of :class:`Finding`) still runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, cast

import narwhals as nw
import polars as pl
from pydantic import BaseModel, ConfigDict
from typing_extensions import TypeVar

from .expressions import Compiled, compile_expression
from .messages import OP_TEXT, VERDICT, render_message
from .models import (
    Evidence,
    Finding,
    LocalizedText,
    Outcome,
    Required,
    Subject,
)
from .submission import ROW, Submission, Table
from .tables import TABLES, subject_id_columns

if TYPE_CHECKING:
    from .rulesets import ResolvedRule


class Params(BaseModel):
    """Base for validator parameter models: unknown parameters are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: The ``Params`` model of a validator, as a type parameter: ``Validator[MyParams]``
#: gives ``RuleContext[MyParams]``, whose ``params`` a type checker knows as
#: ``MyParams``. The default (a bare ``Validator``) is :class:`Params`.
P = TypeVar("P", bound=Params, default=Params)
#: the same for :class:`RuleContext`, covariant (``params`` is read-only), so that a
#: helper taking a plain ``RuleContext`` accepts every validator's context
P_co = TypeVar("P_co", bound=Params, default=Params, covariant=True)


class Validator(Generic[P]):
    """Base class of validators. Subclasses set the class attributes and ``check``.

    Generic in its parameter model: ``class MyValidator(Validator[MyParams])``
    with ``Params = MyParams`` types ``ctx.params`` in ``check(self, ctx:
    RuleContext[MyParams])`` as ``MyParams``. The type argument is for type
    checkers only; a subclass written without one (``class V(Validator):``, as
    API-version-1 validators are) runs the same.

    The class docstring is the validator's documentation, in sections
    ``What it checks``, ``Parameters`` and ``Example`` (a meta-test enforces it).
    """

    #: the name rules refer to in ``validator:``
    name: ClassVar[str]
    #: one line for ``explain`` and ``list`` views, in Chinese and English
    #: (:class:`LocalizedText` or ``{"zh": ..., "en": ...}``); a plain string
    #: (an API-1 or older validator) is shown in every language
    summary: ClassVar[LocalizedText | Mapping[str, str] | str]
    #: pydantic model of the rule's ``params`` (a class attribute cannot be typed
    #: with ``P``; set it to the type argument)
    Params: ClassVar[type[BaseModel]] = Params

    #: the placeholders a rule's message may use besides :data:`ENGINE_VALUES`
    #: (the ``values`` of its results); ``None``: not declared, so the messages
    #: of this validator's rules are not checked when a ruleset loads
    message_values: ClassVar[tuple[str, ...] | None] = None

    def check(self, ctx: RuleContext[P]) -> RuleResult | Iterable[RuleResult | Finding]:
        """Evaluate the rule: one or more :class:`RuleResult` (API 2), or a list
        of :class:`Finding` (API 1, still accepted)."""
        raise NotImplementedError  # pragma: no cover - abstract

    @classmethod
    def summary_text(cls, lang: str = "zh") -> str:
        """:attr:`summary` in ``lang`` (``zh``, ``en``, ``both``)."""
        from .rules import doc_text

        return doc_text(getattr(cls, "summary", None), lang) or ""

    @classmethod
    def placeholders(cls, params: P) -> frozenset[str] | None:
        """Every placeholder a message of a rule with these ``params`` may use:
        :data:`ENGINE_VALUES` and :attr:`message_values`. A validator whose
        values depend on its params (a column named in them) overrides this.
        ``None``: undeclared, not checked. A ruleset whose message uses any
        other name is refused when it loads (``file:line``), so a typo such as
        ``{participatng}`` never reaches a report."""
        if cls.message_values is None:
            return None
        return ENGINE_VALUES | frozenset(cls.message_values)


#: the values the engine gives every message: the finding's own fields
ENGINE_VALUES = frozenset(
    {"observed", "required", "unit", "subject", "subject_id", "subject_name", "verdict", "op_text"}
)


# --- result frames -----------------------------------------------------------------

#: Columns of a result frame. ``outcome`` and ``subject_id`` are required; the
#: others are optional.
RESULT_COLUMNS = (
    "subject_id",  # str
    "subject_name",  # str | null
    "subject_type",  # str (optional): overrides the result's subject type per row
    "observed",  # number | str | date | null
    "required",  # number | null (a per-row threshold; else the result's threshold)
    "op",  # str | null: the comparison of this row, overriding the result's
    "outcome",  # "pass" | "fail" | "error" | "not_applicable"
    "row",  # int | null: the evidence row (1-based, header excluded)
    "rows",  # list[int] | null: several evidence rows (polars frames)
    "error_column",  # str | null: for errors, the column whose value is missing/zero
    "error_kind",  # "missing" | "zero" | null: the engine writes the message
    "message_zh",  # str | null: a message written in the frame, used as it is
    "message_en",  # str | null
)


@dataclass(frozen=True)
class Rows:
    """Evidence rows in long form: one row of ``frame`` per (finding, evidence row),
    linked to the result frame by the ``on`` columns. The engine gathers them into
    each finding's sorted row list (narwhals has no list aggregation)."""

    frame: Any
    on: tuple[str, ...] = ("subject_id",)
    row: str = ROW


@dataclass(frozen=True)
class EvidenceSpec:
    """One ``evidence`` entry of every finding of a result: a table, its columns,
    and where the rows come from — a result-frame column (``row`` or ``rows``),
    a :class:`Rows` frame, or ``None`` for a whole-table aggregate."""

    table: str
    columns: Sequence[str] = ()
    rows: str | Rows | None = "row"
    #: a result-frame column holding one more column name per finding, put first
    #: (e.g. ``error_column``: each error names the column to blame)
    lead: str | None = None


@dataclass(frozen=True)
class RuleResult:
    """What a validator returns (API 2): a result frame and its metadata.

    :param frame: one row per finding, columns of :data:`RESULT_COLUMNS` plus the
        columns named in ``values``.
    :param table: the table the findings are about (evidence, error messages,
        default subject type).
    :param subject_type: ``subject.type`` of the findings (default: the table's).
    :param op: the comparison (``required.op``) unless the frame has ``op``.
    :param unit: the unit of ``observed``.
    :param columns: evidence columns of ``table``.
    :param threshold: ``required.value`` where the frame has no ``required``.
    :param values: frame columns handed to the message templates as placeholders.
    :param evidence: the evidence entries (default: ``table``, ``columns`` and the
        ``rows``/``row`` column), followed by ``extra_evidence``.
    :param messages: templates that replace the rule's own for this result.
    :param aggregate: county-level findings: the subject is the manifest's county.
    """

    frame: Any
    table: str
    subject_type: str | None = None
    op: str | None = None
    unit: str | None = None
    columns: Sequence[str] = ()
    threshold: Any = None
    values: Sequence[str] = ()
    evidence: Sequence[EvidenceSpec] | None = None
    extra_evidence: Sequence[Evidence] = field(default_factory=tuple)
    messages: LocalizedText | None = None
    aggregate: bool = False


class RuleContext(Generic[P_co]):
    """Everything a validator may use to evaluate one rule.

    Attributes: ``rule`` (the :class:`~supervise_rules.ResolvedRule`), ``params``
    (its validated ``Params`` model, typed as the validator's type argument:
    ``RuleContext[MyParams]``), ``submission`` and ``plugin`` (the name of the
    plugin the validator comes from).
    """

    def __init__(
        self,
        rule: ResolvedRule,
        submission: Submission,
        frames: FrameProvider,
        *,
        plugin: str | None = None,
        materialize: Callable[[RuleContext, RuleResult], list[Finding]] | None = None,
    ):
        self.rule = rule
        self.submission = submission
        self._frames = frames
        self.plugin = plugin
        # the engine's way from a result to findings, for API 1's findings_from: handed
        # in by the engine, which this module sits below
        self._materialize = materialize

    @property
    def params(self) -> P_co:
        """The rule's ``params``, validated by the validator's ``Params`` model."""
        # the ruleset loader built them with that model (rulesets.py)
        return cast(P_co, self.rule.params)

    # -- data access -------------------------------------------------------------

    @property
    def as_of(self) -> dt.date | None:
        """The manifest's statistics date (the "today" of every deadline), or ``None``."""
        return self.submission.manifest.as_of

    def table(self, name: str) -> Table | None:
        """The submission's table as read (polars frame, headers, locations), or ``None``."""
        return self.submission.table(name)

    def frame(self, name: str) -> nw.LazyFrame[Any] | None:
        """The table as a narwhals LazyFrame on the run's backend, or ``None``."""
        return self._frames.get(name)

    def unreadable(self, name: str, column: str) -> nw.LazyFrame[Any] | None:
        """``__row__, raw, why_zh, why_en``: the cells of ``column`` that held a
        value that could not be read, or an implausible one (``why_*``: what it
        should have been; null for an unreadable cell) — they are null in
        :meth:`frame` — on the run's backend, or ``None`` when there are none, so
        a message can say what a cell held instead of calling it missing."""
        table = self.table(name)
        cells = (getattr(table, "unreadable", None) or {}).get(column) if table else None
        if cells is None or cells.height == 0:
            return None
        whys = [
            pl.col(w).cast(pl.String) if w in cells.columns else pl.lit(None, dtype=pl.String).alias(w)
            for w in ("why_zh", "why_en")
        ]
        return self._frames.convert(cells.select(pl.col(ROW), pl.col("raw").cast(pl.String), *whys))

    def columns(self, name: str) -> list[str]:
        """The columns the table has (contract names; ``[]`` when it is absent)."""
        table = self.table(name)
        return [] if table is None else list(table.frame.columns)

    def resolver(self, table: str) -> Callable[[str], str | None]:
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
        """A rule expression compiled for ``table``: a narwhals expression with
        the columns it uses, its denominators and aggregates (see ``Compiled``)."""
        return compile_expression(text, self.resolver(table))

    def require(self, table: str, columns: Iterable[str] = ()) -> list[RuleResult]:
        """A result for a missing table or columns; an empty list when all are
        present. An absent table is not_applicable (error if the rule says the
        data is required); a column missing from a table that is there is an
        error: the rule cannot be checked on data that was submitted."""
        return self.require_all([(table, columns)])

    def require_all(self, needs: Iterable[tuple[str, Iterable[str]]]) -> list[RuleResult]:
        """As :meth:`require` for several tables at once: one finding naming
        everything that is missing (as a result), or an empty list."""
        gaps: dict[str, list[str] | None] = {}
        for table, columns in needs:
            tbl = self.table(table)
            if tbl is None:
                gaps[table] = None
                continue
            # the columns naming a row's subject are needed by every rule on the table
            needed = dict.fromkeys([*subject_id_columns(table), *columns])
            missing = [c for c in needed if c not in tbl.frame.columns]
            if missing and gaps.get(table, []) is not None:
                gaps[table] = list(dict.fromkeys([*(gaps.get(table) or []), *missing]))
        if not gaps:
            return []
        zh_parts: list[str] = []
        en_parts: list[str] = []
        evidence: list[Evidence] = []
        for table, absent in gaps.items():
            spec = TABLES.get(table)
            zh_table = spec.zh if spec else table
            if absent is None:
                zh_parts.append(f"提交数据中没有「{zh_table}」表")
                en_parts.append(f"the submission has no {table} table")
            else:
                hints = {c: h for c in absent if (h := self.nearest_header(table, c))}
                zh_cols = "、".join(
                    (f"「{spec.columns[c].zh}」" if spec and c in spec.columns else f"「{c}」")
                    + (f"（最接近的表头是「{hints[c]}」，是否就是它？）" if c in hints else "")
                    for c in absent
                )
                en_cols = ", ".join(
                    c + (f" (did you mean '{hints[c]}'?)" if c in hints else "") for c in absent
                )
                zh_parts.append(f"「{zh_table}」表缺少列：{zh_cols}")
                en_parts.append(f"the {table} table lacks column(s) {en_cols}")
            evidence.append(Evidence(table=table, rows=None, columns=absent or []))
        en = "; ".join(en_parts)
        # a column missing from a submitted table is an error: the rule would
        # otherwise vanish from the report because a header was written differently
        missing_columns = any(c is not None for c in gaps.values())
        outcome = Outcome.error if self.rule.rule.requires_data or missing_columns else Outcome.not_applicable
        return [
            self.note(
                outcome,
                LocalizedText(
                    zh="；".join(zh_parts) + "，无法检查本规则",
                    en=en[0].upper() + en[1:] + ", so this rule cannot be checked",
                ),
                evidence=evidence,
            )
        ]

    def nearest_header(self, table: str, column: str) -> str | None:
        """Among the headers of ``table`` that name no column (kept as text),
        the one nearest to the missing ``column``, as written: for a "did you
        mean" when a rule needs the column."""
        from .readers.headers import nearest_header

        tbl = self.table(table)
        spec = TABLES.get(table)
        if tbl is None or spec is None:
            return None
        unknown = [tbl.header(c) for c in tbl.frame.columns if c != ROW and c not in spec.columns]
        return nearest_header(spec, column, unknown) if unknown else None

    def note(
        self,
        outcome: Outcome | str,
        message: LocalizedText,
        *,
        subject: Subject | None = None,
        evidence: Sequence[Evidence] = (),
        observed: Any = None,
        required: Required | None = None,
        unit: str | None = None,
    ) -> RuleResult:
        """One finding with a written message, as a result: for what a rule says
        about the submission as a whole (a table is absent, the manifest lacks
        a date …), not about rows."""
        subject = subject or self.submission_subject()
        columns: dict[str, Any] = {
            "outcome": [Outcome(outcome).value],
            "subject_type": [subject.type],
            "subject_id": [subject.id],
            "subject_name": pl.Series([subject.name], dtype=pl.String),
            "message_zh": [message.zh],
            "message_en": [message.en],
            "op": pl.Series([required.op if required else None], dtype=pl.String),
            "required": [required.value if required else None],
            "observed": [observed],
        }
        specs = []
        for i, e in enumerate(evidence):
            if e.rows is not None:
                columns[f"_rows{i}"] = pl.Series([list(e.rows)], dtype=pl.List(pl.Int64))
            specs.append(EvidenceSpec(e.table, list(e.columns), f"_rows{i}" if e.rows is not None else None))
        first = evidence[0].table if evidence else "submission"
        return RuleResult(frame=pl.DataFrame(columns), table=first, unit=unit, evidence=specs)

    # -- subjects ----------------------------------------------------------------

    def county_subject(self) -> Subject:
        """The manifest's county; for a batch of counties, the batch itself (a
        county-level rule then has one finding per county_code instead)."""
        m = self.submission.manifest
        if m.is_batch:
            return self.submission_subject()
        return Subject(type="county", id=m.county_code or "unknown", name=m.county_name)

    def submission_subject(self) -> Subject:
        """The subject of a finding about the submission as a whole."""
        m = self.submission.manifest
        # Not the file path: the same submission in another container must give
        # the same report.
        return Subject(type="submission", id=m.subject_code or "submission", name=m.subject_name)

    @staticmethod
    def subject_id_expr(table: str) -> nw.Expr:
        """A row's ``subject.id``: the table's subject columns joined by ``/``
        (the row number for a table without any)."""
        cols = subject_id_columns(table)
        if not cols:
            return nw.col(ROW).cast(nw.String)
        exprs = [nw.col(c).cast(nw.String).fill_null("?") for c in cols]
        return exprs[0] if len(exprs) == 1 else nw.concat_str(exprs, separator="/")

    @staticmethod
    def subject_name_expr(table: str, available: Iterable[str]) -> nw.Expr:
        """A row's subject name: the table's ``name_column`` where the data has it."""
        name_col = TABLES[table].name_column if table in TABLES else None
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

    def _new_finding(self, make: Callable[..., Finding], **fields: Any) -> Finding:
        """``make`` is ``Finding`` (validated) or :func:`_construct_finding` for
        findings whose parts are known to be well typed, where validating each
        of millions would dominate the run."""
        return make(
            rule_id=self.rule.id,
            title=self.rule.title,
            work_point=self.rule.rule.work_point,
            severity=self.rule.severity,
            certainty=self.rule.rule.certainty,
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
        """The rule's message templates rendered for one finding (API 1)."""
        op = required.op if required else None
        op_zh, op_en = OP_TEXT.get(op or "", ("", ""))
        verdict_zh, verdict_en = VERDICT.get(outcome, ("", ""))
        base = {
            "observed": observed,
            "required": required.value if required else None,
            "unit": unit or "",
            "subject_id": subject.id,
            "subject_name": subject.name or subject.id,
            **values,
        }
        templates = self.rule.rule.message
        named = subject.name and subject.name != subject.id
        # "name（id）", or the id alone: the same text the columnar path writes (store.py)
        subject_zh = f"{subject.name}（{subject.id}）" if named else subject.id
        subject_en = f"{subject.name} ({subject.id})" if named else subject.id
        return _new_text(
            zh=render_message(
                templates.zh, {**base, "verdict": verdict_zh, "op_text": op_zh, "subject": subject_zh}
            ),
            en=render_message(
                templates.en, {**base, "verdict": verdict_en, "op_text": op_en, "subject": subject_en}
            ),
        )

    def findings_from(
        self,
        result: Any,
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
        """API 1: the findings of a collected result frame, as objects.

        Kept for validators written for API version 1; an API-2 validator returns
        the :class:`RuleResult` instead and lets the engine do this."""
        if self._materialize is None:
            raise RuntimeError("findings_from needs a RuleContext made by the engine")
        return self._materialize(
            self,
            RuleResult(
                frame=result,
                table=table,
                subject_type=subject_type,
                op=op,
                unit=unit,
                columns=columns,
                threshold=threshold,
                values=values,
                extra_evidence=tuple(extra_evidence or ()),
                aggregate=aggregate,
            ),
        )

    def data_error_message(
        self, table: str, tbl: Table | None, row: int | None, column: str | None, kind: str | None
    ) -> LocalizedText:
        """Why a value could not be computed: where the clerk finds it, which
        column, and what it held — the wording of the engine's own data errors."""
        from .locations import places_of, value_wording

        spec = TABLES.get(table)
        # Contract names, not the headers as written: the rule's own vocabulary.
        en_col = column or "?"
        zh_col = spec.columns[column].zh if spec and column in spec.columns else en_col
        place = places_of(self.submission).get(table)
        raw, why_zh, why_en = place.cell_problem(row, column) if place is not None else (None, None, None)
        whys = {"zh": why_zh, "en": why_en}
        what = {
            lang: pl.select(
                value_wording(
                    pl.lit(kind, dtype=pl.String),
                    pl.lit(raw, dtype=pl.String),
                    lang,
                    pl.lit(whys[lang], dtype=pl.String),
                )
            ).item()
            for lang in ("zh", "en")
        }
        if place is not None:
            where_zh, where_en = (place.where_text(row, column, lang) for lang in ("zh", "en"))
        else:
            zh_table = spec.zh if spec else table
            where_zh = f"「{zh_table}」表" + (f"第 {row} 行" if row is not None else "")
            where_en = f"table {table}" + (f", row {row}" if row is not None else "")
        return LocalizedText(
            zh=f"{where_zh}「{zh_col}」{what['zh']}", en=f"{where_en}, column {en_col}{what['en']}"
        )


_M = TypeVar("_M", bound=BaseModel)


class FrameProvider:
    """Gives validators each table as a narwhals LazyFrame on one backend,
    converting (and caching) the submission's polars frames when needed."""

    def __init__(
        self, submission: Submission, backend: Any = "polars", registry: Mapping[str, type] | None = None
    ):
        from .backends import BUILTIN_BACKENDS, make_backend

        known = registry if registry else {b.name: b for b in BUILTIN_BACKENDS}
        self.submission = submission
        #: the :class:`~supervise_rules.Backend` the run uses
        self.engine = make_backend(backend, known)
        #: its name (``polars``, ``duckdb``, ``spark`` …)
        self.backend = self.engine.name
        self._cache: dict[str, nw.LazyFrame[Any]] = {}

    def get(self, name: str) -> nw.LazyFrame[Any] | None:
        table = self.submission.table(name)
        if table is None:
            return None
        if name not in self._cache:
            self._cache[name] = self.engine.table(name, table.frame)
        return self._cache[name]

    def convert(self, frame: Any) -> nw.LazyFrame[Any]:
        """Any frame (polars, pandas …) as a LazyFrame on this provider's backend."""
        return self._convert(frame)

    def _convert(self, frame: Any) -> nw.LazyFrame[Any]:
        return self.engine.lazy(frame)


def _constructor(cls: type[_M]) -> Callable[..., _M]:
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

    def make(**values: Any) -> _M:
        data = {}
        for name in names:
            if name in values:
                data[name] = values[name]
            elif name in factories:
                # our models' factories take no argument (pydantic's type allows one)
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
