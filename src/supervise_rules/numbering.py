"""The office's numbering state for 督办单: document numbers that stay, and the history of rounds.

An office numbers its documents (``贺教督办〔2024〕3号``) and a number, once
given, belongs to that document for good: the school that got 3号 in the spring
round still has 3号 when its problems are looked at again in the autumn, and a
school with problems for the first time gets the next free number, never one
already given. The state that makes this possible is a small JSON file the
office keeps with its reports (``notices --numbering FILE``; by default
``numbering.json`` in the output folder)::

    {"format": "supervise-rules notice numbering", "version": 1,
     "settings": {"issuer": "…", "pattern": "贺教督办〔{year}〕{n}号", "interview_after": 3},
     "next": {"2024": 4},
     "rounds": ["2024-03-31", "2024-09-30"],
     "notices": {"school:2164000303": {"number": "贺教督办〔2024〕3号", "year": 2024, "n": 3,
                                       "name": "贺兰县第三小学",
                                       "items": {"2024-03-31": ["BAL-21|2164000303/primary"], …}}}}

``items`` records which problems (rule + subject) each notice raised in each
round, so a problem raised in the previous round and still failing is a second
督办 (二次督办), and one raised ``interview_after`` rounds in a row is listed for
约谈. A round is named by the data's as_of date (or ``--round``); running the same
round again replaces that round's record instead of adding one, so the run is
repeatable and gives the same numbers and the same files.

The settings given once (issuing office, number pattern, rounds before 约谈) are
kept in the file, so later rounds use them without repeating the options.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import SuperviseRulesError

if TYPE_CHECKING:
    from .models import Finding
    from .notices import Notice
    from .report import Report

FORMAT: Final = "supervise-rules notice numbering"
DEFAULT_PATTERN = "贺教督办〔{year}〕{n}号"
DEFAULT_INTERVIEW_AFTER = 3
STATE_FILE = "numbering.json"


class NumberingError(SuperviseRulesError):
    """The numbering state or a numbering option cannot be used."""


def check_pattern(pattern: str) -> str:
    """A document number pattern: ``{n}`` (the sequence number, required) and
    ``{year}``, each with an optional format (``{n:03d}``); nothing else."""
    try:
        fields = [
            (name, spec, conv)
            for _, name, spec, conv in string.Formatter().parse(pattern)
            if name is not None
        ]
    except ValueError as exc:
        raise ValueError(
            f"{pattern!r} is not a number pattern: {exc} (write a literal brace as {{{{ or }}}})"
        ) from None
    names = {name for name, _, _ in fields}
    unknown = names - {"n", "year"}
    if unknown:
        raise ValueError(
            f"{pattern!r} uses {{{sorted(unknown)[0]}}}; a number pattern knows only {{year}} and {{n}}"
        )
    if "n" not in names:
        raise ValueError(f"{pattern!r} has no {{n}}, the notice's sequence number")
    if any(conv for _, _, conv in fields):
        raise ValueError(f"{pattern!r}: a conversion (!r, !s) is not allowed in a number pattern")
    try:
        pattern.format(n=1, year=2024)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"{pattern!r} is not a number pattern: {exc}") from None
    return pattern


class NoticeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: the issuing office printed in the masthead (default: the manifest's 填报单位,
    #: else ``<county>人民政府教育督导室``)
    issuer: str | None = None
    pattern: str = DEFAULT_PATTERN
    #: a problem raised this many rounds in a row puts the unit on the 约谈 list
    interview_after: int = Field(default=DEFAULT_INTERVIEW_AFTER, ge=2, le=99)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return check_pattern(value)


class NoticeRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: ``None`` for the office's internal list, which is not numbered
    number: str | None = None
    year: int | None = None
    n: int | None = Field(default=None, ge=1)
    name: str
    #: round -> the problems the notice raised in it (``rule_id|subject.id``)
    items: dict[str, list[str]] = Field(default_factory=dict)


class NumberingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["supervise-rules notice numbering"] = FORMAT
    version: Literal[1] = 1
    settings: NoticeSettings = Field(default_factory=NoticeSettings)
    #: year (as text; "" without a year) -> the next sequence number
    next: dict[str, int] = Field(default_factory=dict)
    rounds: list[str] = Field(default_factory=list)
    notices: dict[str, NoticeRecord] = Field(default_factory=dict)


def item_key(f: Finding) -> str:
    return f"{f.rule_id}|{f.subject.id}"


class Numbering:
    """The state of one office's notices, read from (and written back to) ``path``."""

    def __init__(self, data: NumberingFile, path: Path | None = None, round_label: str | None = None):
        self.data = data
        self.path = path
        self.round_label = round_label

    @property
    def settings(self) -> NoticeSettings:
        return self.data.settings

    @classmethod
    def fresh(cls, path: Path | None = None, round_label: str | None = None) -> Numbering:
        return cls(NumberingFile(), path, round_label)

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        round_label: str | None = None,
        pattern: str | None = None,
        issuer: str | None = None,
        interview_after: int | None = None,
    ) -> Numbering:
        """Read the state at ``path`` (a fresh one when there is no file yet) and
        apply the settings given (kept in the state from now on).

        :raises NumberingError: the file cannot be read or is not a numbering
            state (``file:line: message`` where a line is known), or a setting is invalid.
        """
        from .baseline import json_line
        from .limits import current_limits, exceeded

        path = Path(path)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            state = cls.fresh(path, round_label)
        except OSError as exc:
            raise NumberingError(f"{path}: cannot be read: {exc.strerror or exc}") from None
        else:
            if size > current_limits().max_json_bytes:
                raise NumberingError(
                    f"{path}: the file is {size:,} bytes, too large for a numbering "
                    f"state ({exceeded('max_json_bytes', size, unit='bytes')})"
                )
            try:
                text = path.read_text(encoding="utf-8")
                raw = json.loads(text)
            except UnicodeDecodeError:
                raise NumberingError(f"{path}: not UTF-8 text; it is not a numbering state") from None
            except OSError as exc:
                raise NumberingError(f"{path}: cannot be read: {exc.strerror or exc}") from None
            except json.JSONDecodeError as exc:
                raise NumberingError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
            except RecursionError:
                raise NumberingError(f"{path}: not valid JSON: nested too deeply") from None
            try:
                data = NumberingFile.model_validate(raw)
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = tuple(err["loc"])
                key = next((str(p) for p in reversed(loc) if isinstance(p, str)), None)
                line = json_line(text, key) if key else None
                where = f"{path}:{line}" if line else str(path)
                what = ".".join(str(p) for p in loc)
                msg = str(err["msg"]).removeprefix("Value error, ")
                raise NumberingError(
                    f"{where}: not a notice numbering state ({what}: {msg}); give "
                    "the numbering.json an earlier notices run wrote"
                ) from None
            state = cls(data, path, round_label)
        try:
            updates: dict[str, Any] = {}
            if pattern is not None:
                updates["pattern"] = check_pattern(pattern)
            if issuer is not None:
                updates["issuer"] = issuer.strip() or None
            if interview_after is not None:
                updates["interview_after"] = interview_after
            if updates:
                state.data.settings = NoticeSettings.model_validate(
                    {**state.data.settings.model_dump(), **updates}
                )
        except (ValueError, ValidationError) as exc:
            msg = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            raise NumberingError(str(msg).removeprefix("Value error, ")) from None
        return state

    def assign(self, report: Report, notices: list[Notice], office: Notice) -> None:
        """Give every notice its number (the one it had, else the next free one),
        record this round's problems, and count for each problem the rounds in a
        row it has been raised."""
        sub = report.submission
        data = self.data
        label = self.round_label or (
            sub.as_of.isoformat() if sub.as_of else str(sub.year) if sub.year else "round"
        )
        if label not in data.rounds:
            data.rounds.append(label)
        position = data.rounds.index(label)
        year = sub.year or (sub.as_of.year if sub.as_of else None)
        year_key = str(year) if year is not None else ""
        if year is None and "{year" in data.settings.pattern:
            raise NumberingError(
                "the document number pattern has {year}, but the submission gives "
                "no year (year, as_of): give --number-pattern without {year}"
            )
        used = [r.n for r in data.notices.values() if r.n is not None and r.year == year]
        next_n = max([data.next.get(year_key, 1), *(n + 1 for n in used)])
        present = set()
        for notice in [*notices, office]:
            record = data.notices.get(notice.key)
            if record is None:
                if notice is office:
                    record = NoticeRecord(name=notice.name)
                else:
                    record = NoticeRecord(
                        number=data.settings.pattern.format(n=next_n, year=year),
                        year=year,
                        n=next_n,
                        name=notice.name,
                    )
                    next_n += 1
                data.notices[notice.key] = record
            record.name = notice.name
            notice.number = record.number
            notice.interview_after = data.settings.interview_after
            present.add(notice.key)
            keys = sorted({item_key(f) for f in notice.findings})
            record.items[label] = keys
            for key in keys:
                times = 1
                for earlier in reversed(data.rounds[:position]):
                    if key not in data.notices[notice.key].items.get(earlier, ()):
                        break
                    times += 1
                notice.rounds[key] = times
        if year is not None or next_n > 1:
            data.next[year_key] = next_n
        for key, record in data.notices.items():
            if key not in present:  # this round run again without it: it got no notice this time
                record.items.pop(label, None)
        for f_notice in [*notices, office]:
            for f in f_notice.findings:
                if f.baseline == "persisting":  # the baseline knows a round the state may not
                    k = item_key(f)
                    f_notice.rounds[k] = max(f_notice.rounds.get(k, 1), 2)

    def dumps(self) -> str:
        """The state as JSON: the same state gives the same bytes."""
        data = self.data.model_dump(mode="json")
        data["notices"] = {k: data["notices"][k] for k in sorted(data["notices"])}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


__all__ = ["DEFAULT_PATTERN", "Numbering", "NumberingError", "NumberingFile", "check_pattern", "item_key"]
