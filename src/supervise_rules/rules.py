"""Pydantic models of ruleset files (what a county officer writes in YAML).

Every model forbids unknown keys, so a typo is an error located at its line,
never a silently ignored setting. A validator's own parameters are validated
separately, against that validator's ``Params`` model, once ``extends`` and
``overrides`` have been applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .models import Certainty, LocalizedText, Severity

RULE_ID_PATTERN = r"^[A-Z][A-Z0-9]*-[A-Za-z0-9][A-Za-z0-9-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: a docs text: ``{zh: ..., en: ...}``, or one plain string shown in every language
DocText = LocalizedText | str

_BILINGUAL = " Either `{zh: ..., en: ...}` or one plain string, shown in every language."


class RuleDocs(_Strict):
    """The rule's own documentation, rendered by ``supervise-check explain`` in
    the run's language. Each section is ``{zh: ..., en: ...}``; a plain string
    (a third-party ruleset written in one language) is shown in both."""

    checks: DocText = Field(description="What it checks, in one or two sentences." + _BILINGUAL)
    why: DocText = Field(description="Why it matters: the policy it enforces." + _BILINGUAL)
    example: DocText = Field(description="A worked example with figures." + _BILINGUAL)
    notes: DocText | None = Field(default=None, description="Interpretation choices, caveats." + _BILINGUAL)

    def text(self, section: str, lang: str = "zh") -> str | None:
        """The section (``checks``, ``why``, ``example``, ``notes``) in ``lang``
        (``zh``, ``en``; ``both``: the Chinese, then the English paragraph);
        ``None`` for an absent ``notes``."""
        return doc_text(getattr(self, section), lang)

    def bilingual(self) -> bool:
        """Every section given is ``{zh, en}`` (not a plain string)."""
        return all(
            isinstance(getattr(self, k), LocalizedText)
            for k in ("checks", "why", "example", "notes")
            if getattr(self, k) is not None
        )


def doc_text(value: LocalizedText | Mapping[str, str] | str | None, lang: str = "zh") -> str | None:
    """A docs text or a validator's summary in ``lang``: a plain string is the
    same in every language; ``both`` gives the Chinese, then the English as a
    second paragraph."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        value = LocalizedText.model_validate(value)
    if lang == "en":
        return value.en
    if lang == "both":
        zh, en = value.zh.strip(), value.en.strip()
        return zh if zh == en else f"{zh}\n\n{en}"
    return value.zh


class MessageTemplates(_Strict):
    """Message templates. Placeholders: ``{observed}``, ``{required}``, ``{unit}``,
    ``{subject_id}``, ``{subject_name}``, ``{verdict}``, ``{op_text}`` and any
    extra value a validator documents; a format spec such as ``{observed:.2%}``
    is allowed. No attribute access or indexing: the templates are formatted by
    a restricted formatter, never by ``str.format`` on arbitrary objects."""

    zh: str
    en: str


class Rule(_Strict):
    """One rule of a ruleset file, as written (validated; ``params`` checked by its validator)."""

    id: str = Field(pattern=RULE_ID_PATTERN, description="Stable id, never reused (e.g. PRE-02).")
    title: LocalizedText
    work_point: str | None = Field(
        default=None, description="The work point of the county's 要点 this rule serves."
    )
    severity: Severity
    source: str = Field(description="The document the rule comes from.")
    certainty: Certainty = Field(
        description="V read in the document, S secondary sources agree, M unconfirmed."
    )
    validator: str = Field(description="Name of the registered validator that evaluates it.")
    params: dict[str, Any] = Field(default_factory=dict)
    message: MessageTemplates
    docs: RuleDocs
    tags: list[str] = Field(default_factory=list)
    requires_data: bool = Field(
        default=False,
        description="An absent table is an error (true) or not applicable (false); a column "
        "missing from a submitted table is an error either way.",
    )

    @field_validator("work_point", mode="before")
    @classmethod
    def _work_point_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class RuleOverride(_Strict):
    """Changes a child ruleset makes to an inherited rule (params are merged)."""

    title: LocalizedText | None = None
    work_point: str | None = None
    severity: Severity | None = None
    params: dict[str, Any] | None = None
    message: MessageTemplates | None = None
    docs: RuleDocs | None = None
    tags: list[str] | None = None
    requires_data: bool | None = None

    @field_validator("work_point", mode="before")
    @classmethod
    def _work_point_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class DisabledRule(_Strict):
    """A rule a county does not apply, and why."""

    reason: str = Field(min_length=1, description="Why the county does not apply this rule.")


class RulesetFile(_Strict):
    """One ruleset YAML file, before ``extends`` is resolved."""

    schema_: str | None = Field(default=None, alias="$schema")
    id: str
    version: str
    title: LocalizedText
    description: str | None = None
    extends: list[str] = Field(default_factory=list, description="Parent rulesets, by id or path.")
    rules: list[Rule] = Field(default_factory=list)
    overrides: dict[str, RuleOverride] = Field(default_factory=dict)
    disable: dict[str, DisabledRule] = Field(default_factory=dict)
    work_points: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Work point -> rule ids: tags inherited rules with the county's work points.",
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("work_points", mode="before")
    @classmethod
    def _work_point_keys_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value


def _is_table_key(key: str | None) -> bool:
    return key is not None and (key in ("table", "tables") or key.endswith(("_table", "_tables")))


def named_tables(params: Any, known: Any) -> set[str]:
    """The tables (among ``known`` names) a rule's parameters name, at any depth:
    the values of ``table``, ``tables``, ``*_table`` and ``*_tables`` keys."""
    if hasattr(params, "model_dump"):
        params = params.model_dump()
    out: set[str] = set()

    def walk(value: Any, key: str | None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and _is_table_key(key) and value in known:
            out.add(value)

    walk(params, None)
    return out
