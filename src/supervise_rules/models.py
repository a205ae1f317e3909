"""Pydantic models of what a check produces: findings and the report's parts
(the report itself, which holds the columnar store, is :mod:`supervise_rules.report`).

These models are the public JSON contract (docs/formats.md, schema version 2):
keys may be added, never renamed or dropped without raising ``SCHEMA_VERSION``.
They are frozen so that a finding cannot change after the engine has counted it.
A run keeps its findings as columns (:mod:`supervise_rules.store`); a
:class:`Finding` is the per-object view, made on demand.
"""

from __future__ import annotations

import datetime as _dt
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "2"


class Severity(StrEnum):
    """How much a failure matters; ``--fail-on`` sets the lowest that fails a run."""

    critical = "critical"
    major = "major"
    minor = "minor"
    info = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe: critical 3 … info 0."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.critical: 3, Severity.major: 2, Severity.minor: 1, Severity.info: 0}


class Outcome(StrEnum):
    """The outcome of one finding: ``pass``, ``fail``, ``error`` (the value could not
    be computed: a data problem, never a silent pass) or ``not_applicable``."""

    passed = "pass"
    fail = "fail"
    not_applicable = "not_applicable"
    error = "error"


Op = Literal[">=", ">", "<=", "<", "==", "!=", "in", "exists", "within_days"]
SubjectType = Literal["county", "school", "kindergarten", "inspector", "case", "submission"]
#: every subject type, in the order of :data:`SubjectType`
SUBJECT_TYPES: tuple[str, ...] = get_args(SubjectType)
Certainty = Literal["V", "S", "M", "seed"]


def _is_none(value: Any) -> bool:
    return value is None


def _optional() -> Any:
    """A key added after schema v1: omitted from the JSON while unset, so a plain
    report is exactly the findings.md document."""
    return Field(default=None, exclude_if=_is_none)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LocalizedText(_Frozen):
    """A text in Chinese and English; every human-facing string has both."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        if lang == "en":
            return self.en
        if lang == "both":
            return self.zh if self.zh == self.en else f"{self.zh} / {self.en}"
        return self.zh


class Subject(_Frozen):
    """What a finding is about: the county, one school section, one case …"""

    type: SubjectType
    id: str
    name: str | None = None


class Required(_Frozen):
    """What a finding was judged against: the comparison (``op``) and its value."""

    op: Op
    value: Any = None


class Evidence(_Frozen):
    """Where the evidence lies: 1-based data rows (header excluded) or ``None``
    for a whole-table aggregate."""

    table: str
    rows: list[int] | None = None
    columns: list[str] = Field(default_factory=list)
    #: where the clerk finds it: the file, the sheet, each row's file line or
    #: sheet row (parallel to ``rows``), each column's header as written
    #: (parallel to ``columns``) and, for one row, its cells (``H32``)
    file: str | None = _optional()
    sheet: str | None = _optional()
    lines: list[int] | None = _optional()
    headers: list[str] | None = _optional()
    cells: list[str] | None = _optional()


class Waiver(_Frozen):
    """An approved exception attached to a failing finding (see waivers)."""

    reason: str
    approved_by: str
    expires: _dt.date
    status: Literal["active", "expired"] = "active"


class Finding(_Frozen):
    """One outcome of one rule for one subject."""

    rule_id: str
    title: LocalizedText
    work_point: str | None = None
    severity: Severity
    #: how sure the rule's figure is: V read in the document, S secondary sources
    #: agree, M unconfirmed, seed from the county's work points
    certainty: Certainty | None = None
    outcome: Outcome
    subject: Subject
    observed: float | int | str | None = None
    required: Required | None = None
    unit: str | None = None
    message: LocalizedText
    evidence: list[Evidence] = Field(default_factory=list)
    source: str | None = None
    # Optional keys added by later features; absent keys are left out of JSON.
    # Keys added after v1 appear only when a feature sets them, so a plain report
    # stays exactly the findings.md document.
    plugin: str | None = _optional()
    waiver: Waiver | None = _optional()
    baseline: Literal["new", "persisting", "fixed"] | None = _optional()

    def sort_key(self) -> tuple[str, ...]:
        return (
            self.rule_id,
            self.subject.id,
            self.outcome.value,
            self.message.en,
            self.message.zh,
        )

    @property
    def is_waived(self) -> bool:
        """A failure covered by an active waiver: reported, but not counted for the exit status."""
        return self.waiver is not None and self.waiver.status == "active" and self.is_failure

    @property
    def is_failure(self) -> bool:
        """A failure for exit-status purposes: a ``fail``, or an ``error`` that
        left the rule unchecked (an error is never a silent pass)."""
        return self.outcome in (Outcome.fail, Outcome.error)


class PluginRef(_Frozen):
    """A third-party plugin that took part in a run, and what of it was used."""

    name: str
    distribution: str | None = None
    version: str | None = None
    #: kind -> names used in this run: ``validators``, ``rulesets``, ``tables``
    used: dict[str, list[str]] = Field(default_factory=dict)


class ToolInfo(_Frozen):
    """The program that wrote the report, and the plugins that contributed to it."""

    name: str = "supervise-rules"
    version: str
    #: third-party plugins whose validators, rulesets or tables the run used
    #: (omitted when none did)
    plugins: list[PluginRef] | None = _optional()


class RulesetInfo(_Frozen):
    """The ruleset a report was checked with."""

    id: str
    version: str
    title: str


class InputFile(_Frozen):
    """A file a submission was read from, so that a sealed report can be tied to
    the exact data it checked."""

    #: relative to the submission folder, POSIX form (``schools.csv``); for a
    #: single-file submission, the file's name
    path: str
    #: SHA-256 of the file's bytes, lowercase hex
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    #: the file's size in bytes
    bytes: int = Field(ge=0)


class SubmissionInfo(_Frozen):
    """What a report checked: county (or region), year, as_of, the source and its files."""

    county_code: str | None = None
    county_name: str | None = None
    #: a batch of counties: GB/T 2260 province (xx0000), prefecture (xxxx00) or 000000
    region_code: str | None = _optional()
    region_name: str | None = _optional()
    year: int | None = None
    as_of: _dt.date | None = None
    source: str | None = None
    encoding: dict[str, str] | None = _optional()
    #: every file read (the manifest included), by path; none for data given in memory
    files: list[InputFile] | None = _optional()


class Summary(_Frozen):
    """The report's counts: rules run, findings by outcome and failures by severity
    (exact whether or not the passes are listed)."""

    rules_run: int
    by_outcome: dict[str, int]
    by_severity: dict[str, int]
    #: failing findings covered by an active waiver (present only when waivers were applied);
    #: they still count in ``by_outcome.fail``, whose meaning the contract fixes
    waived: int | None = _optional()
    #: failing findings whose waiver has expired (present only when waivers were applied)
    waivers_expired: int | None = _optional()


class UnusedWaiver(_Frozen):
    """A waiver of the waivers file that covers no failing finding of this run."""

    rule: str
    subject: str
    reason: str
    approved_by: str
    expires: _dt.date
    status: Literal["active", "expired"]
    #: ``no_finding``: the rule gave no finding for that subject; ``not_failing``: it
    #: did, but the finding does not fail (the problem is fixed: drop the waiver)
    why: Literal["no_finding", "not_failing"]
    #: ``file:line`` of the entry in the waivers file
    where: str | None = None


class FixedFinding(_Frozen):
    """A failure of the baseline report that is not a failure in this run."""

    rule_id: str
    subject: Subject
    title: LocalizedText | None = None
    #: this run's outcome for the same rule and subject, ``None`` when there is no finding
    now: str | None = None


class BaselineDiff(_Frozen):
    """The comparison with a previous report (回头看), keyed on rule_id + subject.id."""

    source: str | None = None
    #: the baseline's county, given only when it is not this run's (allowed with
    #: ``--baseline-allow-ruleset-change``)
    county_code: str | None = _optional()
    new: int
    persisting: int
    fixed: int
    fixed_findings: list[FixedFinding] = Field(default_factory=list)
    #: the baseline's ruleset (id, version, title), which may differ from this run's only
    #: with ``--baseline-allow-ruleset-change``
    ruleset: RulesetInfo | None = _optional()
    #: failures of the baseline whose rule did not run this time (未检查): neither fixed
    #: nor persisting, because nothing was checked
    not_checked: int | None = _optional()
    not_checked_findings: list[FixedFinding] | None = _optional()
    #: rule ids that ran this time and not in the baseline, and the other way round
    #: (``rules_added`` is absent for a schema-1 baseline, which lists no passes)
    rules_added: list[str] | None = _optional()
    rules_removed: list[str] | None = _optional()


class ObservedRange(_Frozen):
    """The smallest and largest observed value of a numeric rule."""

    min: float | int | str | None = None
    max: float | int | str | None = None


class RuleEntry(_Frozen):
    """One rule that ran: what a director or a dashboard reads first."""

    rule_id: str
    title: LocalizedText
    work_point: str | None = None
    severity: Severity
    certainty: Certainty | None = None
    source: str | None = None
    #: unit of the observed values (numeric rules)
    unit: str | None = _optional()
    #: distinct subjects the rule gave a finding for
    subjects: int
    by_outcome: dict[str, int]
    #: numeric rules only: the smallest and largest observed value
    observed: ObservedRange | None = _optional()
