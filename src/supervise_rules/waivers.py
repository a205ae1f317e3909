"""Waivers: approved, dated exceptions to failing findings.

A waivers file is YAML, read safely (ruamel.yaml round-trip loader, no tags)
and validated strictly; every problem is reported as ``file:line: message``::

    waivers:
      - rule: BAL-21
        subject: 2164000303/primary
        reason: 新校舍 2025 年春季投入使用，届时拆分大班
        approved_by: 贺兰县教育体育局 张某
        expires: 2025-03-01

A waiver matches the findings of its ``rule`` whose ``subject.id`` equals its
``subject``. On a failing finding it attaches a :class:`~supervise_rules.models.Waiver`:
``active`` while ``today <= expires`` (the expiry day itself is still covered),
``expired`` afterwards. An active waiver keeps the finding's ``outcome`` as it
is (``fail``) but takes it out of the exit status; an expired one changes
nothing but says so in the message. A waiver that covers no failing finding is
listed in ``Report.waivers_unused``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ._yaml import YamlLimitError, dates_as_written, find_tag, load_bounded, plain, read_yaml_text
from .errors import SuperviseRulesError
from .models import LocalizedText, Outcome, UnusedWaiver, Waiver
from .report import Report


class WaiversError(SuperviseRulesError):
    """Problems in a waivers file, each located as ``file:line: message``."""

    def __init__(self, problems: list[tuple[str, int | None, str]]):
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{f}:{line}: {msg}" if line else f"{f}: {msg}" for f, line, msg in self.problems]


class WaiverEntry(BaseModel):
    """One entry of a waivers file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: rule id, e.g. ``BAL-21``
    rule: str
    #: the finding's ``subject.id``, e.g. ``2164000303/primary`` or ``640122``
    subject: str
    #: why the failure is accepted for now
    reason: str
    #: who approved the exception (person and office)
    approved_by: str
    #: last day the waiver applies (inclusive)
    expires: dt.date

    @field_validator("rule", "subject", "reason", "approved_by", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        # ids such as 640122 are read by YAML as numbers: accept them as text,
        # but only when the number reads back as written (0123, 0o17, 1_000 and
        # 1.50 do not: see _misread_numbers, which refuses them first)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise ValueError("must not be empty")
        elif value is None:
            raise ValueError("must not be empty")
        elif not isinstance(value, str):
            raise ValueError(f"must be a text, not {_kind(value)}")
        return value

    @field_validator("expires", mode="before")
    @classmethod
    def _date_only(cls, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            raise ValueError("give a date (YYYY-MM-DD), not a date and time")
        if isinstance(value, bool):
            raise ValueError("true/false is not a date (YYYY-MM-DD)")
        if isinstance(value, int | float):
            # pydantic would read a number as seconds since 1970 (86400 is 1970-01-02)
            raise ValueError(f"{value!r} is a number, not a date (YYYY-MM-DD)")
        if value is None:
            raise ValueError("must not be empty: give the last day the waiver applies (YYYY-MM-DD)")
        if not isinstance(value, str | dt.date):
            raise ValueError(f"must be a date (YYYY-MM-DD), not {_kind(value)}")
        return value


class WaiversFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    waivers: list[WaiverEntry]


@dataclass(frozen=True)
class LoadedWaiver:
    """A waiver with where it was written, for messages."""

    entry: WaiverEntry
    file: str
    line: int | None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def key(self) -> tuple[str, str]:
        return (self.entry.rule, self.entry.subject)

    def status(self, today: dt.date) -> str:
        return "active" if today <= self.entry.expires else "expired"


def load_waivers(path: str | Path) -> list[LoadedWaiver]:
    """Read and validate a waivers file.

    :raises WaiversError: every problem found, each as ``file:line: message``.
    """
    path = Path(path)
    name = str(path)
    try:
        text = read_yaml_text(path)
    except YamlLimitError as exc:
        raise WaiversError([(name, exc.line, exc.message)]) from None
    except FileNotFoundError:
        raise WaiversError([(name, None, "no such waivers file")]) from None
    except UnicodeDecodeError as exc:
        line = _byte_line(path, exc.start)
        raise WaiversError(
            [(name, line, f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); save the file as UTF-8")]
        ) from None
    except OSError as exc:
        raise WaiversError([(name, None, f"cannot be read: {exc.strerror or exc}")]) from None
    try:
        data = load_bounded(dates_as_written(YAML(typ="rt")), text)
    except YamlLimitError as exc:
        raise WaiversError([(name, exc.line, exc.message)]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise WaiversError([(name, line, f"YAML syntax error: {exc.problem or exc}")]) from None
    except YAMLError as exc:
        raise WaiversError([(name, None, f"YAML error: {exc}")]) from None
    if data is None:
        return []
    if isinstance(data, CommentedSeq):  # a bare list of entries is accepted too
        wrapped = CommentedMap()
        wrapped["waivers"] = data
        wrapped.lc.line = 0
        data = wrapped
        prefix: tuple[Any, ...] = ()
    elif isinstance(data, CommentedMap):
        prefix = ()
    else:
        raise WaiversError([(name, 1, "a waivers file is a mapping with a 'waivers:' list")])
    tagged = find_tag(data)
    if tagged:
        raise WaiversError([(name, *tagged)])
    misread = _misread_numbers(data)
    if misread:
        raise WaiversError([(name, line, msg) for line, msg in misread])
    try:
        parsed = WaiversFile.model_validate(plain(data))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = prefix + tuple(err["loc"])
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r} (allowed: rule, subject, reason, approved_by, expires)"
            elif err["type"] == "missing":
                msg = f"missing required key {loc[-1]!r}"
            elif err["type"].startswith("date") and isinstance(err.get("input"), str):
                # an impossible date (2024-13-01) is kept as written by the loader
                why = msg.partition(", ")[2]
                msg = f"{err['input']!r} is not a date (YYYY-MM-DD)" + (f": {why}" if why else "")
            elif err["type"] in ("model_type", "dict_type"):
                msg = (
                    "each waiver is a mapping with the keys rule, subject, reason, "
                    f"approved_by, expires, not {_kind(err.get('input'))}"
                )
                if len(loc) == 1:
                    msg = f"a list of waivers, not {_kind(err.get('input'))}"
            elif err["type"] == "list_type":
                msg = f"a list of waivers, not {_kind(err.get('input'))}"
            msg = msg.removeprefix("Value error, ")
            where = ".".join(str(p) for p in loc)
            problems.append((name, _line(data, loc), f"{where}: {msg}"))
        raise WaiversError(problems) from None

    loaded: list[LoadedWaiver] = []
    seen: dict[tuple[str, str], LoadedWaiver] = {}
    problems = []
    for i, entry in enumerate(parsed.waivers):
        waiver = LoadedWaiver(entry, name, _line(data, ("waivers", i)))
        if waiver.key in seen:
            problems.append(
                (
                    name,
                    waiver.line,
                    f"duplicate waiver for {entry.rule} {entry.subject} "
                    f"(first at line {seen[waiver.key].line})",
                )
            )
            continue
        seen[waiver.key] = waiver
        loaded.append(waiver)
    if problems:
        raise WaiversError(problems)
    return loaded


def apply_waivers(report: Report, waivers: list[LoadedWaiver], today: dt.date | None = None) -> Report:
    """Attach waivers to the matching failing findings and count them.

    Matching is a join of the waivers with the listed findings on rule and
    subject, so a province's report is annotated column-wise.

    :param today: the day waivers are judged on; default the submission's
        ``as_of``, else the calendar date. A waiver is active through its
        ``expires`` day.
    :returns: a new report with ``finding.waiver`` set on matching failures,
        ``summary.waived`` / ``summary.waivers_expired`` and ``waivers_unused``.
    """
    import polars as pl

    from .store import message_json

    if today is None:
        today = report.submission.as_of or dt.date.today()
    table = pl.DataFrame(
        {
            "rule_id": [w.entry.rule for w in waivers],
            "subject_id": [w.entry.subject for w in waivers],
            "_status": [w.status(today) for w in waivers],
            "_waiver": [
                Waiver(
                    reason=w.entry.reason,
                    approved_by=w.entry.approved_by,
                    expires=w.entry.expires,
                    status=w.status(today),
                ).model_dump_json()
                for w in waivers
            ],
            "_note_zh": [_expired_message(LocalizedText(zh="", en=""), w).zh for w in waivers],
            "_note_en": [_expired_message(LocalizedText(zh="", en=""), w).en for w in waivers],
        },
        schema={
            "rule_id": pl.String,
            "subject_id": pl.String,
            "_status": pl.String,
            "_waiver": pl.String,
            "_note_zh": pl.String,
            "_note_en": pl.String,
        },
    )
    listed = report.store.listed(False).join(
        table, on=["rule_id", "subject_id"], how="left", maintain_order="left"
    )
    waived_row = (pl.col("outcome") == Outcome.fail.value) & pl.col("_status").is_not_null()
    expired_row = waived_row & (pl.col("_status") == "expired")
    annotated = listed.with_columns(
        waiver_status=pl.when(waived_row).then("_status").otherwise("waiver_status"),
        waiver_json=pl.when(waived_row).then("_waiver").otherwise("waiver_json"),
        _old=message_json().struct.json_encode(),
        message_zh=pl.when(expired_row).then(pl.concat_str("message_zh", "_note_zh")).otherwise("message_zh"),
        message_en=pl.when(expired_row).then(pl.concat_str("message_en", "_note_en")).otherwise("message_en"),
    )
    expired_at = annotated.select(expired_row.arg_true()).to_series()
    if len(expired_at):
        # The finding's JSON carries its message: swap in the one with the note.
        # Only the findings of expired waivers, a handful (polars has no
        # per-row literal replace).
        rows = annotated[expired_at].with_columns(_new=message_json().struct.json_encode())
        texts = [
            text.replace(old, new, 1) for text, old, new in rows.select("json", "_old", "_new").iter_rows()
        ]
        annotated = annotated.with_columns(
            annotated["json"].scatter(expired_at, pl.Series(texts, dtype=pl.String))
        )
    annotated = annotated.drop("_old")
    counts = annotated.select(
        waived=(waived_row & (pl.col("_status") == "active")).sum(), expired=expired_row.sum()
    )
    used = set(annotated.filter(waived_row).select("rule_id", "subject_id").iter_rows())
    present = set(
        report.store.lookup(table.select("rule_id", "subject_id")).select("rule_id", "subject_id").iter_rows()
    )
    annotated = annotated.drop("_status", "_waiver", "_note_zh", "_note_en")

    unused = [
        UnusedWaiver(
            rule=w.entry.rule,
            subject=w.entry.subject,
            reason=w.entry.reason,
            approved_by=w.entry.approved_by,
            expires=w.entry.expires,
            status=w.status(today),
            why="not_failing" if w.key in present else "no_finding",
            where=w.where,
        )
        for w in waivers
        if w.key not in used
    ]
    summary = report.summary.model_copy(
        update={"waived": int(counts["waived"][0]), "waivers_expired": int(counts["expired"][0])}
    )
    return report.replace(store=report.store.annotate(annotated), summary=summary, waivers_unused=unused)


def _expired_message(message: LocalizedText, w: LoadedWaiver) -> LocalizedText:
    day = w.entry.expires.isoformat()
    return LocalizedText(
        zh=f"{message.zh}（豁免已于 {day} 到期，不再适用）",
        en=f"{message.en} (waiver expired on {day}; it no longer applies)",
    )


# --- YAML helpers ---------------------------------------------------------------


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    return f"{value!r}"


def _misread_numbers(data: Any) -> list[tuple[int | None, str]]:
    """A ``rule`` or ``subject`` that YAML read as a number other than the one
    written: ``subject: 0123`` is 123 (0o123 in YAML 1.1), ``1_000`` is 1000,
    ``1.50`` is 1.5. Matching such an id would silently miss its finding, so it
    is refused with the fix (quote it)."""
    from ruamel.yaml.scalarfloat import ScalarFloat
    from ruamel.yaml.scalarint import ScalarInt

    found: list[tuple[int | None, str]] = []
    entries = data.get("waivers") if isinstance(data, CommentedMap) else None
    if not isinstance(entries, CommentedSeq):
        return found
    for i, entry in enumerate(entries):
        if not isinstance(entry, CommentedMap):
            continue
        for key in ("rule", "subject"):
            value = entry.get(key)
            if isinstance(value, ScalarInt | ScalarFloat | float):
                found.append(
                    (
                        _line(data, ("waivers", i, key)),
                        f"waivers.{i}.{key}: YAML reads this as the number {value!r}, not "
                        "the id as written; write the id in quotes (e.g. subject: "
                        '"0123")',
                    )
                )
    return found


def _byte_line(path: Path, offset: int) -> int | None:
    """The 1-based line of byte ``offset`` of ``path``."""
    try:
        with open(path, "rb") as fh:
            return fh.read(offset).count(b"\n") + 1
    except OSError:
        return None


def _line(data: Any, loc: tuple[Any, ...]) -> int | None:
    node = data
    lc = getattr(node, "lc", None)
    line = lc.line + 1 if lc is not None and lc.line is not None else None
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            pos = node.lc.key(key)
            line = pos[0] + 1 if pos else line
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            pos = node.lc.item(key)
            line = pos[0] + 1 if pos else line
            node = node[key]
        else:
            break
    return line


__all__ = ["LoadedWaiver", "WaiverEntry", "WaiversError", "apply_waivers", "load_waivers"]
