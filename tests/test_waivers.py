"""Waivers: file validation with file:line, expiry on both sides of the date, unused
waivers, and a waived failure that does not fail the run but shows in the summary."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from loop_fixtures import EXAMPLE, finding, make_report, write_ruleset

from supervise_rules.cli import main
from supervise_rules.models import Severity, Subject
from supervise_rules.waivers import WaiversError, apply_waivers, load_waivers

SECTION = Subject(type="school", id="2164000303/primary", name="贺兰县第三小学")


def _waivers(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def _one(tmp_path: Path, expires: str, rule: str = "BAL-21", subject: str = "2164000303/primary"):
    return load_waivers(
        _waivers(
            tmp_path,
            f"""\
waivers:
  - rule: {rule}
    subject: {subject}
    reason: 新校舍 2025 年春季投入使用
    approved_by: 县教育体育局 张某
    expires: {expires}
""",
        )
    )


def _report(as_of=dt.date(2024, 9, 30)):
    return make_report(
        [
            finding("BAL-21", SECTION, "fail", observed=52, op="<=", value=45, title="班额"),
            finding(
                "BAL-21",
                Subject(type="school", id="2164000232/primary", name="贺兰县第一小学"),
                "pass",
                observed=45,
                op="<=",
                value=45,
                title="班额",
            ),
        ],
        as_of=as_of,
    )


# --- the file ------------------------------------------------------------------------------


def test_load_accepts_dates_and_numeric_ids(tmp_path):
    [w] = _one(tmp_path, "2024-12-31", subject="640122")
    assert w.entry.subject == "640122"
    assert w.entry.expires == dt.date(2024, 12, 31)
    assert w.where.endswith("waivers.yaml:2")


@pytest.mark.parametrize(
    ("body", "line", "text"),
    [
        (
            "waivers:\n  - rule: BAL-21\n    subject: x\n    reason: r\n    approved_by: a\n"
            "    expires: 2024-12-31\n    note: extra\n",
            7,
            "unknown key 'note'",
        ),
        (
            "waivers:\n  - rule: BAL-21\n    subject: x\n    reason: r\n    expires: 2024-12-31\n",
            2,
            "missing required key 'approved_by'",
        ),
        (
            "waivers:\n  - rule: BAL-21\n    subject: x\n    reason: r\n    approved_by: a\n"
            "    expires: next spring\n",
            6,
            "expires",
        ),
        (
            "waivers:\n  - rule: BAL-21\n    subject: x\n    reason: r\n    approved_by: a\n"
            "    expires: 2024-12-31\n  - rule: BAL-21\n    subject: x\n    reason: r2\n"
            "    approved_by: b\n    expires: 2025-01-31\n",
            7,
            "duplicate waiver",
        ),
        ("waivers:\n  - rule: BAL-21\n    subject: !!python/object:os.system x\n", 3, "not allowed"),
        ("waivers: [\n", 2, "YAML syntax error"),
    ],
    ids=["unknown-key", "missing-key", "bad-date", "duplicate", "yaml-tag", "syntax"],
)
def test_bad_file_is_located(tmp_path, body, line, text):
    path = _waivers(tmp_path, body)
    with pytest.raises(WaiversError) as err:
        load_waivers(path)
    message = str(err.value)
    assert f"{path}:{line}:" in message
    assert text in message


def test_missing_file_is_a_usage_error(tmp_path, capsys):
    ruleset = write_ruleset(tmp_path)
    code = main([str(EXAMPLE), "--ruleset", str(ruleset), "--waivers", str(tmp_path / "nope.yaml")])
    assert code == 2
    assert "no such waivers file" in capsys.readouterr().err


# --- expiry ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires", "status"),
    [("2024-09-29", "expired"), ("2024-09-30", "active"), ("2024-10-01", "active")],
    ids=["day-before", "the-day-itself", "day-after"],
)
def test_expiry_is_judged_on_as_of(tmp_path, expires, status):
    report = apply_waivers(_report(), _one(tmp_path, expires))
    [failing] = [f for f in report.findings if f.outcome.value == "fail"]
    assert failing.waiver is not None
    assert failing.waiver.status == status
    assert failing.outcome.value == "fail"  # the contract's outcome is kept
    if status == "active":
        assert failing.is_waived
        assert report.summary.waived == 1 and report.summary.waivers_expired == 0
        assert report.failures(Severity.major) == []
        assert "到期" not in failing.message.zh
    else:
        assert not failing.is_waived
        assert report.summary.waived == 0 and report.summary.waivers_expired == 1
        assert report.failures(Severity.major) == [failing]
        assert f"豁免已于 {expires} 到期" in failing.message.zh
        assert "expired" in failing.message.en


def test_explicit_today_overrides_as_of(tmp_path):
    waivers = _one(tmp_path, "2024-09-30")
    assert apply_waivers(_report(), waivers, today=dt.date(2024, 10, 1)).summary.waivers_expired == 1
    assert apply_waivers(_report(as_of=None), waivers, today=dt.date(2024, 9, 30)).summary.waived == 1


def test_unused_waivers_are_reported(tmp_path):
    waivers = load_waivers(
        _waivers(
            tmp_path,
            """\
waivers:
  - {rule: BAL-21, subject: 2164000232/primary, reason: r, approved_by: a, expires: 2025-01-01}
  - {rule: BAL-99, subject: "640122", reason: r, approved_by: a, expires: 2024-01-01}
""",
        )
    )
    report = apply_waivers(_report(), waivers)
    unused = {(u.rule, u.subject): u for u in report.waivers_unused}
    assert unused[("BAL-21", "2164000232/primary")].why == "not_failing"
    assert unused[("BAL-21", "2164000232/primary")].status == "active"
    assert unused[("BAL-99", "640122")].why == "no_finding"
    assert unused[("BAL-99", "640122")].status == "expired"
    assert unused[("BAL-99", "640122")].where.endswith(":3")
    assert report.summary.waived == 0


def test_json_without_waivers_is_unchanged():
    data = _report().to_json_dict()
    assert "waivers_unused" not in data
    assert "waived" not in data["summary"]
    assert all("waiver" not in f for f in data["findings"])


# --- the command ------------------------------------------------------------------------------


def test_waived_failure_does_not_fail_the_run(tmp_path, capsys):
    ruleset = write_ruleset(tmp_path)
    base = [str(EXAMPLE), "--ruleset", str(ruleset), "--format", "json"]
    assert main(base) == 1  # 贺兰县第三小学: largest class 52 > 45 (major)
    capsys.readouterr()

    waivers = _waivers(
        tmp_path,
        """\
waivers:
  - rule: TST-21
    subject: 2164000303/primary
    reason: 新校舍 2025 年春季投入使用，届时拆分大班
    approved_by: 贺兰县教育体育局
    expires: 2025-03-01
  - rule: TST-21
    subject: 2164000232/primary
    reason: 已整改
    approved_by: 贺兰县教育体育局
    expires: 2025-03-01
""",
    )
    assert main([*base, "--waivers", str(waivers)]) == 0
    data = json.loads(capsys.readouterr().out)
    [waived] = [f for f in data["findings"] if f.get("waiver")]
    assert waived["outcome"] == "fail"
    assert waived["subject"]["id"] == "2164000303/primary"
    assert waived["waiver"] == {
        "reason": "新校舍 2025 年春季投入使用，届时拆分大班",
        "approved_by": "贺兰县教育体育局",
        "expires": "2025-03-01",
        "status": "active",
    }
    assert data["summary"]["waived"] == 1
    assert data["summary"]["by_outcome"]["fail"] >= 1
    assert [(u["subject"], u["why"]) for u in data["waivers_unused"]] == [
        ("2164000232/primary", "not_failing")
    ]

    # the day after expiry the same waiver no longer applies
    assert main([*base, "--waivers", str(waivers), "--today", "2025-03-02"]) == 1
    data = json.loads(capsys.readouterr().out)
    [expired] = [f for f in data["findings"] if f.get("waiver")]
    assert expired["waiver"]["status"] == "expired"
    assert "豁免已于 2025-03-01 到期" in expired["message"]["zh"]


def test_waived_shows_in_the_table(tmp_path, capsys):
    ruleset = write_ruleset(tmp_path)
    waivers = _waivers(
        tmp_path,
        """\
waivers:
  - {rule: TST-21, subject: 2164000303/primary, reason: 新校舍, approved_by: 教体局, expires: 2025-03-01}
""",
    )
    assert main([str(EXAMPLE), "--ruleset", str(ruleset), "--waivers", str(waivers)]) == 0
    out = capsys.readouterr().out
    assert "已豁免" in out


# --- every problem of the file through the command: file:line: message, exit 2 --------------

_ENTRY = (
    "waivers:\n  - rule: {rule}\n    subject: {subject}\n    reason: r\n    approved_by: a\n"
    "    expires: {expires}\n"
)


@pytest.mark.parametrize(
    ("body", "line", "text"),
    [
        (
            _ENTRY.format(rule="TST-21", subject="x", expires="2025-02-30"),
            6,
            "waivers.0.expires: '2025-02-30' is not a date (YYYY-MM-DD): day value is outside",
        ),
        (_ENTRY.format(rule="TST-21", subject="x", expires="'2025-02-30'"), 6, "'2025-02-30' is not a date"),
        (_ENTRY.format(rule="TST-21", subject="x", expires="2024-13-01"), 6, "'2024-13-01' is not a date"),
        (_ENTRY.format(rule="TST-21", subject="x", expires="2025-02-30 10:00"), 6, "is not a date"),
        (_ENTRY.format(rule="TST-21", subject="x", expires="2025-02-28T10:00:00"), 6, "not a date and time"),
        (_ENTRY.format(rule="TST-21", subject="x", expires="0000-01-01"), 6, "year 0 is out of range"),
        # pydantic alone would take a number as seconds since 1970: 86400 is 1970-01-02
        (_ENTRY.format(rule="TST-21", subject="x", expires="86400"), 6, "86400 is a number, not a date"),
        (_ENTRY.format(rule="TST-21", subject="x", expires="true"), 6, "true/false is not a date"),
        (_ENTRY.format(rule="TST-21", subject="x", expires=""), 6, "expires: must not be empty"),
        (_ENTRY.format(rule="TST-21", subject="x", expires="[2025-01-01]"), 6, "not a list"),
        # 0123 is the number 123 to YAML: the waiver would silently match nothing
        (
            _ENTRY.format(rule="TST-21", subject="0123", expires="2025-01-01"),
            3,
            "YAML reads this as the number 123",
        ),
        (_ENTRY.format(rule="TST-21", subject="1.50", expires="2025-01-01"), 3, "write the id in quotes"),
        (_ENTRY.format(rule="TST-21", subject="null", expires="2025-01-01"), 3, "subject: must not be empty"),
        (_ENTRY.format(rule="[TST-21]", subject="x", expires="2025-01-01"), 2, "must be a text, not a list"),
        ("waivers: 5\n", 1, "waivers: a list of waivers, not the number 5"),
        ("waivers:\n  - 1\n", 2, "each waiver is a mapping with the keys rule, subject"),
        (
            "waivers:\n  - {rule: TST-21, subject: x, reason: r, approved_by: a, expires: 2025-01-01, "
            "expires: 2025-01-02}\n",
            2,
            "duplicate key",
        ),
        ("# 豁免\nwaivers:\n  - rule: TST-21\n    reason: \xff\n", 4, "not UTF-8 text (byte 0xff)"),
    ],
    ids=[
        "feb-30",
        "feb-30-quoted",
        "month-13",
        "feb-30-time",
        "datetime",
        "year-0",
        "number",
        "bool",
        "empty-date",
        "date-list",
        "zero-id",
        "float-id",
        "null-id",
        "list-rule",
        "not-a-list",
        "entry-not-mapping",
        "duplicate-key",
        "not-utf8",
    ],
)
def test_cli_reports_every_waiver_file_error_at_its_line(tmp_path, capsys, body, line, text):
    ruleset = write_ruleset(tmp_path)
    path = tmp_path / "waivers.yaml"
    path.write_bytes(body.encode("utf-8").replace("\xff".encode(), b"\xff"))
    before = path.read_bytes()
    code = main([str(EXAMPLE), "--ruleset", str(ruleset), "--waivers", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    first = err.splitlines()[0].removeprefix("error: ")
    assert first.startswith(f"{path}:{line}: "), err
    assert text in err
    assert path.read_bytes() == before  # never modified
    for command in (
        ["notices", str(EXAMPLE), "--output-dir", str(tmp_path / "n")],
        ["report", "selfcheck", str(EXAMPLE), "-o", str(tmp_path / "s.html")],
    ):
        assert main([*command, "--ruleset", str(ruleset), "--waivers", str(path)]) == 2
        assert f"{path}:{line}: " in capsys.readouterr().err
    assert not (tmp_path / "n").exists() and not (tmp_path / "s.html").exists()


def test_a_quoted_id_with_a_leading_zero_is_kept(tmp_path):
    [w] = _one(tmp_path, "2025-01-01", subject='"0123"')
    assert w.entry.subject == "0123"
