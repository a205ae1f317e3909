"""Plugins cannot end or fake a run (issue 11, item 6), through the CLI.

A validator's ``sys.exit()``, ``KeyboardInterrupt`` or any other exception, a
malformed finding or result frame: one ``error`` finding naming the plugin and
the rule, the run goes on and the report is written. A reporter that raises: a
clear error naming the plugin and the format (exit 2), no output file. A hook
that raises at load time: the plugin is reported and skipped. The user's real
Ctrl-C: one line, exit 130, no partial output. Plugins are local modules
written by the test and loaded with ``--plugin``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from supervise_rules.cli import main

MANIFEST = 'county_code: "640122"\ncounty_name: 贺兰县\nyear: 2024\nas_of: 2024-09-30\n'
SCHOOLS = "学校标识码,学校名称,学段,在校生数\n6401220001,贺兰一小,小学,500\n"

PLUGIN = """\
import os
import signal
import sys
import time

import polars as pl

import supervise_rules as sr
from supervise_rules.models import Finding, LocalizedText, Outcome, Waiver


def behave(ctx):
    mode = MODE
    if mode == "exit0":
        sys.exit(0)
    if mode == "exit3":
        raise SystemExit(3)
    if mode == "keyboard":
        raise KeyboardInterrupt
    if mode == "generator_exit":
        raise GeneratorExit
    if mode == "base":
        class Odd(BaseException):
            pass
        raise Odd("an odd one")
    if mode == "construct":
        return [Finding.model_construct(rule_id="T-02", outcome="pass", subject=None)]
    if mode == "waived":
        import datetime
        f = ctx.finding(outcome=Outcome.fail, subject=ctx.submission_subject(),
                        message=LocalizedText(zh="不合格", en="fails"))
        return [f.model_copy(update={"waiver": Waiver(
            reason="faked", approved_by="the plugin", expires=datetime.date(2099, 1, 1),
            status="active")})]
    if mode == "not_a_finding":
        return [{"outcome": "pass"}]
    frames = {
        "list_observed": {"outcome": ["fail"], "subject_id": ["1"], "observed": [[1, 2]]},
        "struct_observed": {"outcome": ["fail"], "subject_id": ["1"], "observed": [{"a": 1}]},
        "object_column": {"outcome": ["fail"], "subject_id": ["1"],
                          "observed": pl.Series([object()], dtype=pl.Object)},
        "no_subject": {"outcome": ["fail"], "subject_id": pl.Series([None], dtype=pl.String)},
        "bad_outcome": {"outcome": ["great"], "subject_id": ["1"]},
        "no_outcome": {"subject_id": ["1"]},
    }
    if mode in frames:
        return sr.RuleResult(frame=pl.DataFrame(frames[mode]), table="schools")
    if mode == "slow":
        open(os.environ["READY_FILE"], "w").close()
        time.sleep(60)
    if mode == "self_sigint":  # the user's Ctrl-C arriving while plugin code runs
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    if mode == "swallow_sigint":  # ... even when the plugin swallows it
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            pass
    return []


class Misbehaves(sr.Validator):
    name = "misbehaves"
    summary = "misbehaves as MODE says"

    def check(self, ctx):
        return behave(ctx)


class Broken(sr.Reporter):
    name = "broken"
    summary = "fails as REPORTER says"
    suffix = ".txt"

    def render(self, report, options):
        if REPORTER == "exit":
            sys.exit(0)
        if REPORTER == "keyboard":
            raise KeyboardInterrupt
        raise RuntimeError("the reporter broke [/] [bold]here[/]")

    def write(self, report, options, out):
        out.write(b"half a report")
        self.render(report, options)


@sr.hookimpl
def register_validators():
    return [Misbehaves]


@sr.hookimpl
def register_reporters():
    return [Broken()]
"""

RULESET = """\
id: isolation
version: '1'
title: {zh: 测试, en: test}
rules:
  - id: T-01
    title: {zh: 插件, en: plugin}
    severity: major
    source: test
    certainty: V
    validator: misbehaves
    params: {}
    message: {zh: "{observed}", en: "{observed}"}
    docs: {checks: c, why: w, example: e}
  - id: T-02
    title: {zh: 在校生, en: students}
    severity: major
    source: test
    certainty: V
    validator: metric
    params: {table: schools, value: students, op: ">=", threshold: 1}
    message: {zh: "{observed}", en: "{observed}"}
    docs: {checks: c, why: w, example: e}
"""


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A submission, a ruleset and ``world.plugin(mode, reporter)``: a plugin
    module on sys.path behaving as asked; returns its module name."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "submission.yaml").write_text(MANIFEST, encoding="utf-8")
    (sub / "schools.csv").write_text(SCHOOLS, encoding="utf-8")
    ruleset = tmp_path / "rules.yaml"
    ruleset.write_text(RULESET, encoding="utf-8")
    code_dir = tmp_path / "plugins"
    code_dir.mkdir()
    monkeypatch.syspath_prepend(str(code_dir))
    made: list[str] = []

    def plugin(mode: str = "ok", reporter: str = "raise", extra: str = "") -> str:
        name = f"isolation_plugin_{len(made)}_{os.getpid()}"
        (code_dir / f"{name}.py").write_text(
            f"MODE = {mode!r}\nREPORTER = {reporter!r}\n" + PLUGIN + extra, encoding="utf-8"
        )
        made.append(name)
        return name

    class World:
        pass

    w = World()
    w.sub, w.ruleset, w.dir, w.plugin, w.code_dir = sub, ruleset, tmp_path, plugin, code_dir
    yield w
    for name in made:
        sys.modules.pop(name, None)


def check(capsys, world, plugin, *args) -> tuple[int, str, str]:
    code = main([str(world.sub), "--ruleset", str(world.ruleset), "--plugin", plugin, *map(str, args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def findings(path: Path) -> dict[str, dict]:
    return {
        f["rule_id"]: f
        for f in json.loads(path.read_text(encoding="utf-8"))["findings"]
        if f["rule_id"].startswith("T-")
    }


# --- validators ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "raised"),
    [
        ("exit0", "SystemExit: 0"),
        ("exit3", "SystemExit: 3"),
        ("keyboard", "KeyboardInterrupt"),
        ("generator_exit", "GeneratorExit"),
        ("base", "Odd: an odd one"),
    ],
)
def test_a_validator_cannot_end_the_run(world, capsys, mode, raised):
    plugin = world.plugin(mode)
    out = world.dir / "r.json"
    code, _, _ = check(capsys, world, plugin, "--format", "json", "-o", out, "--include-passes")
    assert code == 1  # the error finding fails at --fail-on major
    found = findings(out)
    error = found["T-01"]
    assert error["outcome"] == "error" and error["plugin"] == plugin
    assert f"Rule T-01: validator 'misbehaves' from plugin {plugin} raised {raised}" in error["message"]["en"]
    assert found["T-02"]["outcome"] == "pass"  # the run went on
    # the exit status follows --fail-on as for any error finding
    assert check(capsys, world, plugin, "--format", "json", "-o", out, "--fail-on", "never")[0] == 0
    assert check(capsys, world, plugin, "--format", "json", "-o", out, "--fail-on", "critical")[0] == 0


@pytest.mark.parametrize(
    ("mode", "why"),
    [
        ("construct", "returned a malformed finding: ValidationError: "),
        ("not_a_finding", "returned dict, not RuleResult or Finding"),
        ("list_observed", "column 'observed' is List(Int64)"),
        ("struct_observed", "column 'observed' is Struct"),
        ("object_column", "column 'observed' is Object"),
        ("no_subject", "1 row(s) of the result frame have no subject_id"),
        ("bad_outcome", "the result frame has outcome 'great'"),
        ("no_outcome", "the result frame has no outcome column"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "table", "sarif", "html", "xlsx"])
def test_a_malformed_finding_or_frame_is_an_error_finding(world, capsys, mode, why, fmt):
    plugin = world.plugin(mode)
    out = world.dir / f"r.{fmt}"
    code, _, err = check(capsys, world, plugin, "--format", fmt, "-o", out)
    assert code == 1, err
    assert out.is_file()  # every format writes the report
    if fmt == "json":
        error = findings(out)["T-01"]
        assert error["outcome"] == "error" and error["plugin"] == plugin
        assert plugin in error["message"]["en"] and "T-01" in error["message"]["en"]
        assert why in error["message"]["en"]


def test_a_validator_cannot_waive_its_own_failure(world, capsys):
    plugin = world.plugin("waived")
    out = world.dir / "r.json"
    code, _, _ = check(capsys, world, plugin, "--format", "json", "-o", out)
    assert code == 1  # the failure counts: only --waivers waives
    finding = findings(out)["T-01"]
    assert finding["outcome"] == "fail" and "waiver" not in finding
    assert json.loads(out.read_text(encoding="utf-8"))["summary"].get("waived", 0) == 0


# --- reporters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reporter", "raised"),
    [
        ("raise", "RuntimeError: the reporter broke [/] [bold]here[/]"),
        ("exit", "SystemExit: 0"),
        ("keyboard", "KeyboardInterrupt"),
    ],
)
def test_a_failing_reporter_is_a_clear_error_and_writes_nothing(world, capsys, reporter, raised):
    plugin = world.plugin("ok", reporter)
    target = world.dir / "report.txt"
    code, _, err = check(capsys, world, plugin, "--format", "broken", "-o", target)
    assert code == 2
    assert err.strip() == (
        f"error: the 'broken' reporter from plugin {plugin!r} failed: {raised}; no report was written"
    )
    assert sorted(p.name for p in world.dir.iterdir()) == ["plugins", "rules.yaml", "sub"]
    # an earlier report is left as it was
    target.write_text("yesterday's report", encoding="utf-8")
    assert check(capsys, world, plugin, "--format", "broken", "-o", target)[0] == 2
    assert target.read_text(encoding="utf-8") == "yesterday's report"
    # to standard output: nothing printed
    code, out, err = check(capsys, world, plugin, "--format", "broken")
    assert code == 2 and out == "" and "reporter from plugin" in err


# --- loading --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hook", "body", "reason"),
    [
        ("register_rulesets", "sys.exit(0)", "register_rulesets() raised SystemExit: 0"),
        ("register_tables", "raise KeyboardInterrupt", "register_tables() raised KeyboardInterrupt"),
        (
            "register_aliases",
            "raise ValueError('no aliases')",
            "register_aliases() raised ValueError: no aliases",
        ),
        ("register_readers", "return [42]", "register_readers() returned 42, which is not a reader"),
    ],
)
def test_a_hook_that_fails_at_load_time_is_reported_and_skipped(world, capsys, hook, body, reason):
    extra = f"\n\n@sr.hookimpl\ndef {hook}():\n    {body}\n"
    plugin = world.plugin("ok", extra=extra)
    out = world.dir / "r.json"
    code, _, err = check(capsys, world, plugin, "--format", "json", "-o", out, "--include-passes")
    assert code == 0, err
    assert f"warning: plugin {plugin!r} was not loaded: {reason}" in err
    assert findings(out)["T-02"]["outcome"] == "pass"


@pytest.mark.parametrize(
    ("statement", "raised"),
    [("sys.exit(0)", "SystemExit: 0"), ("raise KeyboardInterrupt", "KeyboardInterrupt")],
)
def test_a_plugin_that_exits_on_import_is_a_usage_error(world, capsys, statement, raised):
    (world.code_dir / "exits_on_import.py").write_text(f"import sys\n{statement}\n", encoding="utf-8")
    code = main([str(world.sub), "--plugin", "exits_on_import"])
    err = capsys.readouterr().err
    sys.modules.pop("exits_on_import", None)
    assert code == 2
    assert err.strip() == (f"error: plugin 'exits_on_import': cannot be imported: {raised}")


def test_a_reader_that_exits_is_a_plugin_error_not_exit_0(world, capsys):
    extra = textwrap.dedent("""

        class Exits(sr.Reader):
            name = "exits"
            suffixes = (".exit",)

            def read(self, path):
                sys.exit(0)


        @sr.hookimpl
        def register_readers():
            return [Exits()]
        """)
    plugin = world.plugin("ok", extra=extra)
    (world.sub / "more.exit").write_text("x", encoding="utf-8")
    code, out, err = check(capsys, world, plugin, "--format", "json")
    assert code == 2 and out == ""
    line = err.strip()
    assert line.startswith(f"error: plugin {plugin!r} failed ({plugin}.py:") and line.endswith(
        "): SystemExit: 0; the run was stopped"
    )


# --- the user's Ctrl-C ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["self_sigint", "swallow_sigint"])
def test_ctrl_c_inside_plugin_code_ends_the_run(world, capsys, mode):
    plugin = world.plugin(mode)
    target = world.dir / "r.json"
    started = time.monotonic()
    code = main(
        [
            str(world.sub),
            "--ruleset",
            str(world.ruleset),
            "--plugin",
            plugin,
            "--format",
            "json",
            "-o",
            str(target),
        ]
    )
    err = capsys.readouterr().err
    assert code == 130
    assert err == "interrupted: 已中断 (Ctrl-C)\n"
    assert not target.exists()
    assert sorted(p.name for p in world.dir.iterdir()) == ["plugins", "rules.yaml", "sub"]
    assert time.monotonic() - started < 4 or mode == "swallow_sigint"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_from_the_user_exits_130_without_output(world):
    plugin = world.plugin("slow")
    ready = world.dir / "ready"
    target = world.dir / "r.json"
    env = {
        **os.environ,
        "READY_FILE": str(ready),
        "PYTHONPATH": os.pathsep.join([str(world.code_dir), *sys.path]),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "supervise_rules",
            str(world.sub),
            "--ruleset",
            str(world.ruleset),
            "--plugin",
            plugin,
            "--format",
            "json",
            "-o",
            str(target),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert out == "" and err == "interrupted: 已中断 (Ctrl-C)\n"
    assert not target.exists()
    assert not [p for p in world.dir.iterdir() if p.name.endswith(".tmp")]
