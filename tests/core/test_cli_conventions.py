"""The command line as ruff and pytest users expect it (issue 14): rule selection,
output that scales, the usual conventions. Everything goes through ``main()`` or
a subprocess, as a user would."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from supervise_rules.cli import main
from supervise_rules.commandline import colour_wanted, default_lang, message_lang

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def rule_ids(out: str) -> set[str]:
    return {r["rule_id"] for r in json.loads(out)["rules"]}


@pytest.fixture
def helan(examples):
    return examples / "helan-2024"


@pytest.fixture
def no_config(tmp_path, monkeypatch):
    """Run from a folder with no project config above it."""
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    return here


# --- 1. rule selection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("select", "expected"),
    [
        (["BAL-05"], {"BAL-05"}),
        (["INS-0"], {f"INS-0{i}" for i in range(1, 7)}),
        (["wp:4"], {"INS-01", "INS-02", "INS-03"}),
        (["DRP", "--ignore", "DRP-0"], set()),
        (
            ["BAL-2", "--select", "wp:4"],
            {
                "BAL-21",
                "BAL-22",
                "BAL-23",
                "BAL-24",
                "BAL-25",
                "BAL-26",
                "BAL-27",
                "INS-01",
                "INS-02",
                "INS-03",
            },
        ),
    ],
)
def test_select_by_id_prefix_and_work_point(capsys, helan, no_config, select, expected):
    code, out, _ = run(capsys, helan, "--format", "json", "--select", *select)
    assert code in (0, 1)
    assert rule_ids(out) - {"READ-14"} == expected


def test_select_by_severity_and_ignore(capsys, helan, no_config):
    _, out, _ = run(capsys, helan, "--format", "json", "--select", "minor")
    report = json.loads(out)
    assert {r["severity"] for r in report["rules"]} == {"minor"}
    assert report["summary"]["rules_run"] == len(report["rules"]) > 5
    _, out, _ = run(capsys, helan, "--format", "json", "--ignore", "BAL,CON,READ")
    ids = rule_ids(out)
    assert ids and not any(i.startswith(("BAL", "CON", "READ")) for i in ids)


def test_a_selector_that_matches_nothing_is_exit_2_with_did_you_mean(capsys, helan, no_config):
    code, out, err = run(capsys, helan, "--select", "BLA")
    assert code == 2 and out == ""
    assert "'BLA'" in err and "did you mean 'BAL'" in err and "Traceback" not in err
    code, _, err = run(capsys, helan, "--ignore", "BAL-5", "--lang", "zh")
    assert code == 2 and "是不是要输入" in err and "BAL-05" in err


def test_project_config_and_pyproject_with_cli_winning(capsys, helan, tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "supervise-rules.toml").write_text('select = ["INS"]\nignore = ["INS-05"]\n', encoding="utf-8")
    monkeypatch.chdir(project / "sub")  # found in a parent folder, as ruff does
    _, out, _ = run(capsys, helan, "--format", "json")
    assert rule_ids(out) == {"INS-01", "INS-02", "INS-03", "INS-04", "INS-06"}
    _, out, _ = run(capsys, helan, "--format", "json", "--select", "BAL-05")  # CLI wins
    assert rule_ids(out) == {"BAL-05"}
    _, out, _ = run(capsys, helan, "--format", "json", "--no-config", "--select", "PRE-01")
    assert rule_ids(out) == {"PRE-01"}

    (project / "supervise-rules.toml").unlink()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.supervise-rules]\nselect = "DRP-01, wp:4"\n', encoding="utf-8"
    )
    _, out, _ = run(capsys, helan, "--format", "json")
    assert rule_ids(out) == {"DRP-01", "INS-01", "INS-02", "INS-03"}
    # list-rules and explain honour the config too
    _, out, _ = run(capsys, "list-rules", "--format", "json")
    assert [r["id"] for r in json.loads(out)] == ["DRP-01", "INS-01", "INS-02", "INS-03"]
    code, _, err = run(capsys, "explain", "BAL-05")
    assert code == 2 and "not selected" in err
    code, out, _ = run(capsys, "explain", "BAL-05", "--no-config")
    assert code == 0 and "BAL-05" in out

    (project / "pyproject.toml").write_text('[tool.supervise-rules]\nselct = ["BAL"]\n', encoding="utf-8")
    code, _, err = run(capsys, helan)
    assert code == 2 and "unknown setting 'selct'" in err and "'select'" in err


def test_manifest_selection_between_cli_and_config(capsys, helan, tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(helan, data)
    with (data / "submission.yaml").open("a", encoding="utf-8") as fh:
        fh.write("select: [BAL-05, BAL-21]\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "supervise-rules.toml").write_text('select = ["INS"]\n', encoding="utf-8")
    monkeypatch.chdir(project)
    _, out, _ = run(capsys, data, "--format", "json")
    assert rule_ids(out) == {"BAL-05", "BAL-21"}  # the manifest beats the project config
    _, out, _ = run(capsys, data, "--format", "json", "--select", "PRE-01")
    assert rule_ids(out) == {"PRE-01"}  # the command line beats the manifest


def test_library_check_takes_select_and_ignore(helan, no_config):
    import supervise_rules as sr

    report = sr.check(helan, "helan-2024", select=["BAL", "wp:4"], ignore="BAL-2")
    ids = {r.rule_id for r in report.rules}
    assert "INS-01" in ids and "BAL-05" in ids and "BAL-21" not in ids
    assert report.summary.rules_run == len(ids - {"READ-14"})
    with pytest.raises(sr.SuperviseRulesError, match="did you mean"):
        sr.check(helan, "helan-2024", select="INS-9")


def test_list_rules_selection_and_columns(capsys, no_config):
    code, out, _ = run(capsys, "list-rules", "--select", "BAL-0", "--format", "JSON")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [f"BAL-0{i}" for i in range(1, 9)]
    bal05 = rows[4]
    assert set(bal05) >= {"id", "title", "severity", "work_point", "threshold", "certainty"}
    assert bal05["threshold"] == {
        "zh": "≥ 7.5（小学） / 10.2（初中） 平方米/生",
        "en": "≥ 7.5 (primary) / 10.2 (junior) m2 per student",
    }
    assert bal05["title"]["zh"] == "生均体育运动场馆面积"


def test_list_rules_piped_shows_whole_titles_and_thresholds(capsys, no_config, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    _, out, _ = run(capsys, "list-rules", "--lang", "zh")
    assert "…" not in out  # wrapped at 80 columns, never cut
    monkeypatch.setenv("COLUMNS", "200")
    _, out, _ = run(capsys, "list-rules", "--lang", "zh")
    for header in ("规则编号", "规则名称", "严重程度", "工作要点", "标准", "可信度"):
        assert header in out
    flat = re.sub(r"\s+", "", out)
    # the four BAL titles that used to read "每百名学生拥 …"
    for title in (
        "每百名学生拥有高于规定学历教师数",
        "每百名学生拥有县级以上骨干教师数",
        "每百名学生拥有体育、艺术专任教师数",
        "每百名学生拥有网络多媒体教室数",
    ):
        assert title in flat
    assert "…" not in out and "≥85%" in flat
    _, out, _ = run(capsys, "list-rules", "--lang", "en")
    assert "Threshold" in out and "Severity" in out and "规则" not in out.split("\n", 2)[1]


# --- 2. output that scales --------------------------------------------------------------------


def test_default_view_ends_with_per_rule_summary_and_totals(capsys, helan, no_config):
    code, out, _ = run(capsys, helan)
    assert code == 1
    lines = out.rstrip("\n").split("\n")
    assert lines[-1] == "共 53 条规则：不通过 18 项，通过 1,307 项（重要 9，一般 7，提示 2）"
    summary = lines[lines.index("不通过的规则（不通过/已检查）") + 1 : -1]
    assert [line.split()[0] for line in summary][:3] == ["BAL-05", "BAL-16", "BAL-21"]
    assert re.match(r"INS-06\s+一般\s+3/27\s+问题整改（督办）$", summary[13])
    _, out, _ = run(capsys, helan, "--lang", "en")
    assert out.rstrip().split("\n")[-1] == ("53 rules: 18 failed, 1,307 passed (major 9, minor 7, info 2)")


@pytest.fixture(scope="module")
def batch10k(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gen") / "n10000"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "10000", str(folder)],
        check=True,
        capture_output=True,
    )
    return folder


def test_generated_10k_batch_ends_with_summary_and_caps(batch10k, tmp_path):
    env = {**os.environ, "COLUMNS": "120", "SUPERVISE_RULES_CACHE_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "supervise_rules", str(batch10k), "--lang", "en"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    lines = out.rstrip("\n").split("\n")
    assert re.match(r"^53 rules: [\d,]+ failed, [\d,]+ passed, [\d,]+ errors", lines[-1])
    head = lines.index("Failing rules (failed/checked)")
    summary = lines[head + 1 : -1]
    assert summary and all(re.match(r"^[A-Z]+-\d+\s", line) for line in summary)
    ins05 = next(line for line in summary if line.startswith("INS-05"))
    assert re.search(r"\s8,616/8,616\s", ins05)
    # 8,616 failures of INS-05: 20 listed, the rest said in one line
    assert "… and 8,596 more (see --format json, or --max-per-rule 0)" in out
    assert len(lines) < 5000  # was 82,382 lines
    # every cap line names a count that adds up with the listed rows
    quiet = subprocess.run(
        [sys.executable, "-m", "supervise_rules", str(batch10k), "-q", "--lang", "en"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert quiet.stdout == lines[-1] + "\n"


def test_max_per_rule(capsys, examples, no_config):
    bad = examples / "yinchuan-2024-batch"
    _, full, _ = run(capsys, bad, "--max-per-rule", "0", "--lang", "en")
    assert "more (see --format json" not in full
    _, capped, _ = run(capsys, bad, "--max-per-rule", "1", "--lang", "en")
    more = [int(m.replace(",", "")) for m in re.findall(r"… and ([\d,]+) more", capped)]
    assert more, "the batch has a rule with more than one failure"
    assert capped.rstrip().split("\n")[-1] == full.rstrip().split("\n")[-1]  # counts are whole
    code, _, err = run(capsys, bad, "--max-per-rule", "-1")
    assert code == 2 and "expected 0 or a positive whole number" in err


def test_statistics_and_quiet(capsys, helan, no_config):
    code, out, _ = run(capsys, helan, "--statistics", "--lang", "en")
    assert code == 1
    lines = out.rstrip("\n").split("\n")
    assert lines[0] == "Failing rules (failed/checked)"
    assert len(lines) == 1 + 16 + 1 and lines[-1].startswith("53 rules: 18 failed")
    code, out, _ = run(capsys, helan, "--quiet")
    assert code == 1 and out == "共 53 条规则：不通过 18 项，通过 1,307 项（重要 9，一般 7，提示 2）\n"
    _, out, _ = run(capsys, helan, "--format", "concise", "--statistics")
    assert out.split("\n")[0].split() == ["BAL-05", "1/35", "[minor]", "生均体育运动场馆面积"]
    code, _, err = run(capsys, helan, "--format", "json", "--quiet")
    assert code == 2 and "--quiet" in err and "table and concise" in err
    code, _, err = run(capsys, helan, "--quiet", "--statistics")
    assert code == 2 and "not allowed with" in err


CONCISE = re.compile(
    r"^(?P<where>[^ ]+): (?P<rule>[A-Z]+-\d+) \[(?P<sev>critical|major|minor|info)"
    r"(?: waived| error)?\] (?P<message>.+)$"
)


def test_concise_format(capsys, helan, examples, no_config):
    code, out, _ = run(capsys, helan, "--format", "concise")
    assert code == 1
    lines = out.rstrip("\n").split("\n")
    assert lines[-1].startswith("共 53 条规则")
    findings = [CONCISE.match(line) for line in lines[:-1]]
    assert all(findings) and len(findings) == 18
    first = findings[0]
    assert first["where"] == f"{helan}/schools.csv:2" and first["rule"] == "BAL-05"
    assert "6.80" in first["message"]
    _, out, _ = run(capsys, examples / "helan-2024-xlsx", "--format", "concise")
    assert f"{examples / 'helan-2024-xlsx' / 'helan-2024.xlsx'}:学校!Q3: BAL-05 [minor]" in out


def test_github_format(capsys, helan, no_config):
    code, out, _ = run(capsys, helan, "--format", "github", "--lang", "en")
    assert code == 1
    lines = out.rstrip("\n").split("\n")
    assert len(lines) == 19
    assert lines[0].startswith(f"::warning file={helan}/schools.csv,line=2,title=BAL-05 minor::")
    assert sum(line.startswith("::error ") for line in lines) == 9
    assert lines[-1].startswith("::notice title=supervise-rules::53 rules: 18 failed")
    # data cannot end an annotation or start another command
    assert all("\n" not in line and "\r" not in line for line in lines)


# --- 3. conventions ----------------------------------------------------------------------------


def test_version(capsys):
    import supervise_rules

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("supervise-check (supervise-rules) ")
    assert supervise_rules.__version__ in out


@pytest.mark.parametrize("args", [["--help"], ["help"]])
def test_help_lists_commands_examples_and_exit_codes(capsys, args):
    code, out, _ = run(capsys, *args, "--lang", "en")
    assert code == 0
    for command in ("list-rules", "explain", "plugins", "schema", "template", "report", "notices", "help"):
        assert re.search(rf"^  {command}\s+\S", out, re.M), command
    assert "examples:" in out and "supervise-check examples/helan-2024" in out
    assert "exit codes:" in out and re.search(r"^\s+2\s+usage", out, re.M)
    code, out, _ = run(capsys, *args, "--lang", "zh")
    assert code == 0 and "用法：" in out and "命令：" in out and "退出码：" in out
    assert "选项：" in out and "show this help" not in out


def test_help_of_a_command(capsys):
    code, out, _ = run(capsys, "help", "list-rules", "--lang", "en")
    assert code == 0 and "usage: supervise-check list-rules" in out
    code, _, err = run(capsys, "help", "lst-rules", "--lang", "en")
    assert code == 2 and "did you mean 'list-rules'" in err


@pytest.mark.parametrize(
    ("word", "meant"),
    [("list-rule", "list-rules"), ("explian", "explain"), ("plugin", "plugins"), ("notice", "notices")],
)
def test_mistyped_command_is_exit_2_with_did_you_mean(capsys, no_config, word, meant):
    code, out, err = run(capsys, word, "--lang", "en")
    assert code == 2 and out == ""
    assert f"unknown command {word!r}" in err and f"did you mean {meant!r}" in err


def test_a_folder_named_like_a_command_is_still_checked(capsys, helan, tmp_path, monkeypatch):
    shutil.copytree(helan, tmp_path / "list-rule")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "list-rule", "--quiet")
    assert code == 1 and out.startswith("共 53 条规则")


def test_format_is_case_insensitive_and_typos_suggest(capsys, helan, no_config):
    code, out, _ = run(capsys, helan, "--format", "JSON")
    assert code == 1 and json.loads(out)["schema_version"] == "2"
    code, out, err = run(capsys, helan, "--format", "jsn", "--lang", "en")
    assert code == 2 and out == ""
    assert "unknown format 'jsn'; did you mean 'json'" in err and "concise" in err
    code, out, _ = run(capsys, "--help", "--lang", "en")
    assert (
        "output format, any case: table, json, jsonl, sarif, junit, markdown, html, xlsx, pdf, "
        "concise, github"
    ) in re.sub(r"\s+", " ", out)


def test_mistyped_ruleset_and_rule_id(capsys, helan, no_config):
    code, _, err = run(capsys, helan, "--ruleset", "helan-2042", "--lang", "en")
    assert code == 2 and "unknown ruleset 'helan-2042'; did you mean 'helan-2024'" in err
    code, _, err = run(capsys, "list-rules", "--ruleset", "nationl/dropout", "--lang", "en")
    assert code == 2 and "did you mean 'national/dropout'" in err
    code, _, err = run(capsys, "explain", "BAL-5", "--lang", "en")
    assert code == 2 and "did you mean" in err and "'BAL-05'" in err
    code, _, err = run(capsys, helan, "--fail-on", "majr", "--lang", "en")
    assert code == 2 and "did you mean 'major'" in err
    code, _, err = run(capsys, helan, "--selcet", "BAL", "--lang", "en")
    assert code == 2 and "did you mean '--select'" in err


def test_colour_choice():
    class Tty:
        def isatty(self):
            return True

    class Pipe:
        def isatty(self):
            return False

    assert colour_wanted("auto", Tty(), {}) and not colour_wanted("auto", Pipe(), {})
    assert not colour_wanted("auto", Tty(), {"NO_COLOR": "1"})
    assert colour_wanted("auto", Pipe(), {"FORCE_COLOR": "1"})
    assert not colour_wanted("never", Tty(), {"FORCE_COLOR": "1"})
    assert colour_wanted("always", Pipe(), {"NO_COLOR": "1"})


def test_color_flag_and_environment(capsys, helan, no_config, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    _, out, _ = run(capsys, helan)
    assert "\x1b[" not in out
    _, out, _ = run(capsys, helan, "--color", "always")
    assert "\x1b[31m" in out
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, out, _ = run(capsys, helan)
    assert "\x1b[" in out
    _, out, _ = run(capsys, helan, "--color", "never")
    assert "\x1b[" not in out
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("NO_COLOR", "1")
    proc = (
        subprocess.run(
            ["script", "-qec", f"{sys.executable} -m supervise_rules {helan}", "/dev/null"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
        )
        if shutil.which("script")
        else None
    )
    if proc is not None:  # a real terminal: NO_COLOR still wins
        assert "共 53 条规则" in proc.stdout and "\x1b[31m" not in proc.stdout


def test_output_file_prints_one_line(capsys, helan, tmp_path, no_config):
    target = tmp_path / "r.json"
    code, out, err = run(capsys, helan, "--format", "json", "-o", target, "--lang", "en")
    assert code == 1 and out == ""
    assert err == f"wrote: json report to {target} (53 rules, 18 failures)\n"
    code, out, err = run(capsys, helan, "-o", tmp_path / "r.txt", "--lang", "zh")
    assert err == f"已写入：table 格式报告 → {tmp_path / 'r.txt'}（53 条规则，不通过 18 项）\n"
    code, out, err = run(capsys, helan, "-o", tmp_path / "missing" / "r.txt", "--lang", "en")
    assert code == 2 and "does not exist" in err and not (tmp_path / "missing").exists()


def test_cli_errors_and_help_in_chinese(capsys, helan, no_config):
    code, _, err = run(capsys, helan, "--fail-on", "bogus", "--lang", "zh")
    assert code == 2 and "用法：" in err and "错误：参数 --fail-on：无效的取值" in err
    code, _, err = run(capsys, helan, "--format", "jsn", "--lang", "zh")
    assert code == 2 and err.startswith("错误：未知的输出格式 'jsn'；是不是要输入 'json'")
    code, _, err = run(capsys, "--lang", "zh")
    assert code == 2 and "缺少必需的参数：path" in err
    code, out, _ = run(capsys, "explain", "BAL-05", "--lang", "zh")
    assert code == 0 and "严重程度：" in out and "标准：" in out and "Severity" not in out
    code, out, _ = run(capsys, "list-rules", "--help", "--lang", "zh")
    assert code == 0 and "用法：" in out and "列出规则集的规则" in out


@pytest.mark.parametrize(
    ("env", "report", "messages"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh", "zh"),
        ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh", "zh"),
        ({"LANG": "en_US.UTF-8"}, "en", "en"),
        ({"LC_MESSAGES": "de_DE.UTF-8"}, "en", "en"),
        ({"LANG": "C.UTF-8"}, "zh", "en"),
        ({}, "zh", "en"),
    ],
)
def test_default_language_follows_the_locale(env, report, messages):
    assert default_lang(env) == report and message_lang(env) == messages


def test_locale_reaches_the_cli(capsys, helan, no_config, monkeypatch):
    for var in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    _, out, _ = run(capsys, helan, "--quiet")
    assert out.startswith("53 rules:")
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    code, _, err = run(capsys, helan, "--format", "jsn")
    assert code == 2 and err.startswith("错误：")


# --- 4. the default view at 80 and 120 columns ------------------------------------------------

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("columns", [80, 120])
def test_default_view_snapshot_never_breaks_an_id(capsys, helan, no_config, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    _, out, _ = run(capsys, helan)
    from rich.cells import cell_len

    assert max(cell_len(line) for line in out.split("\n")) <= columns
    _, data, _ = run(capsys, helan, "--format", "json")
    report = json.loads(data)
    # every id, code, number and file name of a listed finding appears whole
    tokens = set()
    for f in report["findings"]:
        tokens.add(f["subject"]["id"])
        tokens.update(re.findall(r"[\x21-\x7e]{4,}", f["message"]["zh"]))
    tokens = {t.strip("（），。；：、") for t in tokens}
    lines = out.split("\n")
    missing = [t for t in tokens if t and t not in out]
    assert not missing, f"broken across lines at {columns} columns: {missing}"
    # a number cut in two leaves a line ending in a digit over one starting with one
    for above, below in itertools.pairwise(lines):
        cut = re.search(r"\d$", above) and re.match(r"\s+\d", below)
        assert not (cut and len(below) - len(below.lstrip()) >= len(above) - 4), (above, below)
    for r in report["rules"]:  # every rule of the overview, on a line of its own
        assert re.search(rf"^{r['rule_id']}\s", out, re.M)
    path = SNAPSHOTS / f"helan-2024.table.{columns}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")
