"""A provincial dashboard feed, written only against the public API of
supervise-rules (``import supervise_rules as sr``):

* the ``dashboard-csv`` output format (``register_reporters``): one line per
  rule that ran, with its counts by outcome — what a dashboard loads;
* a run hook (``run_started`` / ``run_finished``): with the environment variable
  ``SUPERVISE_DASHBOARD_SPOOL`` naming a folder, every finished check is dropped
  there as ``<county or region>-<as_of>-<ruleset>.json`` for the platform's
  uploader to pick up. The file is written atomically (a temporary file renamed
  over it), so the uploader never reads half a file. Without the variable the
  hook does nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

import supervise_rules as sr

SUPERVISE_RULES_API = "2"

#: the environment variable naming the spool folder
SPOOL = "SUPERVISE_DASHBOARD_SPOOL"
OUTCOMES = ("pass", "fail", "error", "not_applicable")


class DashboardOptions(BaseModel):
    """``--report-option delimiter=;`` for a dashboard that reads semicolons."""

    model_config = ConfigDict(extra="forbid")

    delimiter: Literal[",", ";", "\t", "|"] = Field(default=",", description="the field separator of the CSV")


class DashboardCsvReporter(sr.Reporter):
    """One CSV line per rule that ran: id, title, work point, severity,
    certainty, subjects checked and the count of each outcome."""

    name = "dashboard-csv"
    summary = "Per-rule counts as CSV, for a provincial dashboard."
    suffix = ".csv"
    binary = False
    human = False
    Options = DashboardOptions

    def render(self, report: sr.Report, options: sr.RenderOptions) -> str:
        chosen = options.extra if isinstance(options.extra, DashboardOptions) else DashboardOptions()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n", delimiter=chosen.delimiter)
        writer.writerow(["rule_id", "title", "work_point", "severity", "certainty", "subjects", *OUTCOMES])
        for rule in report.rules:
            title = rule.title.zh if options.lang == "zh" else rule.title.en
            writer.writerow(
                [
                    rule.rule_id,
                    _inert(title),
                    rule.work_point or "",
                    _code(rule.severity),
                    _code(rule.certainty),
                    rule.subjects,
                    *(rule.by_outcome.get(o, 0) for o in OUTCOMES),
                ]
            )
        return out.getvalue()


def _code(value: object) -> str:
    """An enum field as its code (``major``, ``V``), whichever way it is held."""
    return "" if value is None else str(getattr(value, "value", value))


def _inert(text: str) -> str:
    # a spreadsheet opening the CSV must not run a title as a formula
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _spool() -> Path | None:
    folder = os.environ.get(SPOOL)
    return Path(folder) if folder else None


@sr.hookimpl
def register_reporters() -> list[sr.Reporter]:
    return [DashboardCsvReporter()]


@sr.hookimpl
def run_started() -> None:
    # said before the rules run, not after: a wrong folder costs nothing
    folder = _spool()
    if folder is not None and not folder.is_dir():
        raise FileNotFoundError(f"{SPOOL}={folder} is not a folder")


@sr.hookimpl
def run_finished(report: sr.Report) -> None:
    folder = _spool()
    if folder is None:
        return
    sub = report.submission
    who = sub.county_code or getattr(sub, "region_code", None) or "unknown"
    name = "-".join(
        re.sub(r"[^0-9A-Za-z.-]+", "_", str(part))
        for part in (who, sub.as_of or "no-date", report.ruleset.id)
    )
    feed = {
        "ruleset": {"id": report.ruleset.id, "version": report.ruleset.version},
        "submission": {"county_code": sub.county_code, "as_of": str(sub.as_of or "")},
        "summary": report.summary.by_outcome,
        "rules": [{"rule_id": r.rule_id, "by_outcome": r.by_outcome} for r in report.rules],
    }
    data = json.dumps(feed, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8") + b"\n"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".dashboard-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, folder / f"{name}.json")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
