"""The report of a run: header models plus the columnar findings store.

``Report`` is what :func:`supervise_rules.check` returns and every reporter
reads. Its findings live in a :class:`~supervise_rules.store.FindingStore`;
``Finding`` objects are made only when iterated (``report.findings``,
``report.failures()``), and the JSON document is written from the store's
frames. Report contract v2 (docs/formats.md): ``findings`` lists every finding
that is not a pass; ``include_passes=True`` lists the passes too; the summary
and the ``rules`` entries count every finding either way.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import polars as pl

from .models import (
    SCHEMA_VERSION,
    BaselineDiff,
    Finding,
    ObservedRange,
    Outcome,
    RuleEntry,
    RulesetInfo,
    Severity,
    SubmissionInfo,
    Summary,
    ToolInfo,
    UnusedWaiver,
)
from .store import FindingStore, Part, RuleMeta, parts_from_findings, with_optional_keys

_FAILING = ("fail", "error")
#: findings written per slice of the JSON document (a few MB of text at a time)
WRITE_LINES = 16_384


class Report:
    """A finished check: who ran what on which submission, and the findings."""

    schema_version: str = SCHEMA_VERSION

    def __init__(
        self,
        *,
        tool: ToolInfo,
        ruleset: RulesetInfo,
        submission: SubmissionInfo,
        summary: Summary,
        rules: Sequence[RuleEntry],
        store: FindingStore,
        waivers_unused: list[UnusedWaiver] | None = None,
        baseline: BaselineDiff | None = None,
        context: Any = None,
        include_passes: bool = False,
    ):
        self.tool = tool
        self.ruleset = ruleset
        self.submission = submission
        self.summary = summary
        self.rules = list(rules)
        self.store = store
        self.waivers_unused = waivers_unused
        self.baseline = baseline
        #: townships, enrollment and rule shapes for the charts
        #: (:class:`~supervise_rules.context.ReportContext`); ``None`` when read from JSON
        self.context = context
        #: whether the JSON forms and :meth:`iter_findings` list the passes by
        #: default (``check(..., include_passes=True)``, ``--include-passes``)
        self.include_passes = include_passes
        self._all: tuple[Finding, ...] | None = None

    # -- building -----------------------------------------------------------------

    @classmethod
    def from_store(
        cls,
        *,
        tool: ToolInfo,
        ruleset: RulesetInfo,
        submission: SubmissionInfo,
        rules_run: int,
        store: FindingStore,
    ) -> Report:
        """Count the store's findings into the summary and the ``rules`` entries.

        ``by_severity`` counts the *failing* findings (``fail``) per severity, so
        it answers "how bad is it" at a glance.
        """
        stats = store.rule_stats()
        outcomes = dict.fromkeys((o.value for o in Outcome), 0)
        severities = dict.fromkeys((s.value for s in Severity), 0)
        entries = []
        for rule_id in sorted(stats):
            entry = stats[rule_id]
            meta: RuleMeta = entry["meta"]
            for outcome, n in entry["by_outcome"].items():
                outcomes[outcome] = outcomes.get(outcome, 0) + n
            severities[meta.severity.value] += entry["by_outcome"].get("fail", 0)
            entries.append(
                RuleEntry(
                    rule_id=rule_id,
                    title=meta.title,
                    work_point=meta.work_point,
                    severity=meta.severity,
                    certainty=meta.certainty,
                    source=meta.source,
                    unit=entry["unit"] if entry["numeric"] else None,
                    subjects=entry["n_subjects"],
                    by_outcome=entry["by_outcome"],
                    observed=ObservedRange(min=entry["min"], max=entry["max"]) if entry["numeric"] else None,
                )
            )
        return cls(
            tool=tool,
            ruleset=ruleset,
            submission=submission,
            summary=Summary(rules_run=rules_run, by_outcome=outcomes, by_severity=severities),
            rules=entries,
            store=store,
        )

    @classmethod
    def build(
        cls,
        *,
        tool: ToolInfo,
        ruleset: RulesetInfo,
        submission: SubmissionInfo,
        rules_run: int,
        findings: Sequence[Finding],
    ) -> Report:
        """A report of findings made as objects (tests, imported documents)."""
        return cls.from_store(
            tool=tool,
            ruleset=ruleset,
            submission=submission,
            rules_run=rules_run,
            store=FindingStore(parts_from_findings(findings)),
        )

    @classmethod
    def model_validate(cls, data: dict[str, Any]) -> Report:
        """Read a report document (contract v1 or v2) back into a report."""
        findings = [Finding.model_validate(f) for f in data.get("findings") or []]
        report = cls.build(
            tool=ToolInfo.model_validate(data["tool"]),
            ruleset=RulesetInfo.model_validate(data["ruleset"]),
            submission=SubmissionInfo.model_validate(data["submission"]),
            rules_run=int(data["summary"]["rules_run"]),
            findings=findings,
        )
        summary = Summary.model_validate(data["summary"])
        # a v2 document lists no passes: its rules entries hold their counts
        rules = (
            [RuleEntry.model_validate(r) for r in data["rules"]]
            if data.get("rules") is not None
            else report.rules
        )
        return report.replace(
            summary=summary,
            rules=rules,
            waivers_unused=[UnusedWaiver.model_validate(w) for w in data["waivers_unused"]]
            if data.get("waivers_unused") is not None
            else None,
            baseline=BaselineDiff.model_validate(data["baseline"])
            if data.get("baseline") is not None
            else None,
        )

    @classmethod
    def model_validate_json(cls, text: str | bytes) -> Report:
        return cls.model_validate(json.loads(text))

    def replace(self, **changes: Any) -> Report:
        """A copy with some header fields (or the store) replaced."""
        fields = {
            k: getattr(self, k)
            for k in (
                "tool",
                "ruleset",
                "submission",
                "summary",
                "rules",
                "store",
                "waivers_unused",
                "baseline",
                "context",
                "include_passes",
            )
        }
        fields.update(changes)
        return Report(**fields)

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Report:
        return self.replace(**(update or {}))

    # -- findings -----------------------------------------------------------------

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding, passes included, as objects (made once, on first use).

        A national run holds tens of millions of passes: systems at that scale
        read :meth:`frame` or :meth:`iter_findings` instead."""
        if self._all is None:
            self._all = tuple(self.store.findings(include_passes=True))
        return self._all

    def iter_findings(self, include_passes: bool | None = None) -> Iterator[Finding]:
        """The listed findings in report order: every finding that is not a pass,
        and the passes too with ``include_passes`` (default: :attr:`include_passes`)."""
        return self.store.findings(self._passes(include_passes))

    def _passes(self, include_passes: bool | None) -> bool:
        return self.include_passes if include_passes is None else include_passes

    def frame(self, include_passes: bool = True, rules: Sequence[str] | None = None) -> pl.DataFrame:
        """One row per finding as a polars DataFrame (see ``store.FRAME_COLUMNS``),
        for county systems that join findings with their own data. ``rules``
        keeps only those rules (their passes alone are made)."""
        return self.store.frame(include_passes, rules)

    def _failing(self, at_least: Severity, new_only: bool) -> pl.DataFrame:
        ranks = [s.value for s in Severity if s.rank >= at_least.rank]
        listed = self.store.listed(False)
        cond = (
            pl.col("outcome").is_in(_FAILING)
            & pl.col("severity").is_in(ranks)
            & (pl.col("waiver_status").fill_null("") != "active")
        )
        if new_only:
            cond = cond & (pl.col("baseline") == "new")
        return listed.filter(cond)

    def failures(self, at_least: Severity, *, new_only: bool = False) -> list[Finding]:
        """Failures that decide the exit status: at or above ``at_least``, not covered
        by an active waiver, and (with ``new_only``) marked ``new`` by a baseline diff."""
        lines = with_optional_keys(self._failing(at_least, new_only))["json"]
        return [Finding.model_validate_json(line) for line in lines]

    def count_failures(self, at_least: Severity, *, new_only: bool = False) -> int:
        """``len(failures(...))``, counted in the frame (on the store's parts when
        nothing is rendered yet: the exit status of a run whose report was
        written rule by rule does not render every finding again)."""
        if not new_only and not self.store.is_listed():
            ranks = [s.value for s in Severity if s.rank >= at_least.rank]
            return self.store.count_failing(ranks)
        return self._failing(at_least, new_only).height

    # -- the document ----------------------------------------------------------------

    def _header(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "tool": self.tool.model_dump(mode="json"),
            "ruleset": self.ruleset.model_dump(mode="json"),
            "submission": self.submission.model_dump(mode="json"),
            "summary": self.summary.model_dump(mode="json"),
            "rules": [r.model_dump(mode="json") for r in self.rules],
        }

    def _tail(self) -> dict[str, Any]:
        tail: dict[str, Any] = {}
        if self.waivers_unused is not None:
            tail["waivers_unused"] = [w.model_dump(mode="json") for w in self.waivers_unused]
        if self.baseline is not None:
            tail["baseline"] = self.baseline.model_dump(mode="json")
        return tail

    def to_json_dict(self, include_passes: bool | None = None) -> dict[str, Any]:
        """The JSON document as Python data."""
        findings = [json.loads(line) for line in self.store.json_lines(self._passes(include_passes))]
        return {**self._header(), "findings": findings, **self._tail()}

    def model_dump(self, *, mode: str = "json", include_passes: bool | None = None) -> dict[str, Any]:
        return self.to_json_dict(include_passes)

    def to_json(self, include_passes: bool | None = None) -> str:
        return self.to_json_bytes(include_passes).decode("utf-8")

    def to_json_bytes(self, include_passes: bool | None = None) -> bytes:
        """The JSON document as UTF-8 (see :meth:`write_json`)."""
        out = io.BytesIO()
        self.write_json(out, include_passes)
        return out.getvalue()

    def write_json(self, out: BinaryIO, include_passes: bool | None = None) -> None:
        """Write the JSON document to a binary file: the header indented, then one
        finding per line, written by polars from the store (no object per
        finding, and the findings are not held a second time as one text)."""
        head = json.dumps(self._header(), ensure_ascii=False, indent=2)
        out.write(head[:-2].encode("utf-8"))
        out.write(b',\n  "findings": [')
        # rule by rule, a slice at a time: the findings' text is never held whole
        # (nor twice). Every line but the last is "    {line},\n": polars ends each
        # line with ",\n    ", the next line's indent included, so that the lines
        # are written as they are, without a copy that adds the indent and comma.
        held: str | None = None
        for lines in self.store.json_groups(self._passes(include_passes)):
            if not len(lines):
                continue
            out.write(b"\n    " if held is None else f"{held},\n    ".encode())
            last = len(lines) - 1
            for start in range(0, last, WRITE_LINES):
                pl.DataFrame({"line": lines.slice(start, min(WRITE_LINES, last - start))}).write_csv(
                    out, include_header=False, quote_style="never", line_terminator=",\n    "
                )
            held = lines[-1]
        out.write(b"]" if held is None else f"{held}\n  ]".encode())
        for key, value in self._tail().items():
            text = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            out.write(f',\n  "{key}": {text}'.encode())
        out.write(b"\n}\n")

    def __repr__(self) -> str:
        return (
            f"Report(ruleset={self.ruleset.id!r}, rules_run={self.summary.rules_run}, "
            f"by_outcome={self.summary.by_outcome})"
        )


__all__ = ["Part", "Report"]
