"""The plugin system: one test per hook (meta-test: test_hook_<name>), the
worked example of docs/plugins.md, isolation of broken plugins, API-version
refusal, the ``plugins`` command, and a real pip install/uninstall of
plugins/supervise-rules-double-reduction into a temporary virtual environment."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import sysconfig
import textwrap
import types
import venv
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

import supervise_rules as sr
from supervise_rules import plugins as plugins_module
from supervise_rules.cli import main
from supervise_rules.tables import CORE_TABLES, TABLES
from supervise_rules.testing import check_case, load_case_file

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "plugins.md"
DR_PLUGIN = ROOT / "plugins" / "supervise-rules-double-reduction"
DR_SRC = DR_PLUGIN / "src"
DR_EXAMPLE = DR_PLUGIN / "examples" / "xingqing-2024"
MANIFEST = {"county_code": "640122", "county_name": "贺兰县", "year": 2024, "as_of": "2024-09-30"}


# --- helpers ----------------------------------------------------------------------------


def docs_example_files() -> dict[str, str]:
    """The files of the worked example: fenced blocks whose first line is ``# file: X``."""
    files = {}
    for block in re.findall(r"```[a-z]*\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S):
        first, _, _ = block.partition("\n")
        if first.startswith("# file: "):
            files[first.removeprefix("# file: ").strip()] = block
    return files


@pytest.fixture
def ningxia(tmp_path, monkeypatch):
    """The docs' worked example written to disk and importable as ``supervise_rules_ningxia``."""
    for rel, text in docs_example_files().items():
        path = tmp_path / "ningxia" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "ningxia"))
    monkeypatch.delitem(sys.modules, "supervise_rules_ningxia", raising=False)
    importlib.invalidate_caches()
    yield tmp_path / "ningxia"
    sys.modules.pop("supervise_rules_ningxia", None)


@pytest.fixture
def double_reduction(monkeypatch):
    monkeypatch.syspath_prepend(str(DR_SRC))
    return "supervise_rules_double_reduction"


def plugin_module(name: str, api: str | None = None, **hooks) -> types.ModuleType:
    """A plugin module built in memory from hook functions."""
    module = types.ModuleType(name)
    if api is not None:
        module.SUPERVISE_RULES_API = api
    for hook_name, fn in hooks.items():
        fn.__name__ = hook_name
        setattr(module, hook_name, sr.hookimpl(fn))
    return module


def validator_class(name: str, check=None) -> type[sr.Validator]:
    class _V(sr.Validator):
        """A test validator."""

        summary = "test"

        def check(self, ctx):
            return check(ctx) if check else []

    _V.name = name
    return _V


@dataclass
class FakeEntryPoint:
    """Stands in for ``importlib.metadata.EntryPoint`` (name, dist, load)."""

    name: str
    target: object
    dist_name: str = "supervise-rules-fake"
    version: str = "9.9.9"

    @property
    def dist(self):
        return SimpleNamespace(metadata={"Name": self.dist_name}, version=self.version)

    def load(self):
        if isinstance(self.target, BaseException):
            raise self.target
        return self.target


@pytest.fixture
def entry_points(monkeypatch):
    """``entry_points(*fakes)`` makes the ``supervise_rules`` group hold exactly ``fakes``."""
    original = plugins_module.md.entry_points

    def install(*fakes):
        def fake(**kwargs):
            if kwargs.get("group") == plugins_module.ENTRY_POINT_GROUP:
                return list(fakes)
            return original(**kwargs)

        monkeypatch.setattr(plugins_module.md, "entry_points", fake)

    return install


def write_ruleset(path: Path, rules: list[tuple[str, str, dict]], rid: str = "test-rules") -> Path:
    body = [f"id: {rid}", "version: '1'", "title: {zh: 测试, en: test}", "rules:"]
    for rule_id, validator, params in rules:
        body.append(
            textwrap.indent(
                textwrap.dedent(f"""\
            - id: {rule_id}
              title: {{zh: 测试, en: test}}
              severity: major
              source: test
              certainty: V
              validator: {validator}
              params: {json.dumps(params, ensure_ascii=False)}
              message: {{zh: "{{observed}}", en: "{{observed}}"}}
              docs: {{checks: c, why: w, example: e}}
            """),
                "  ",
            )
        )
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return path


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- one test per hook (tests/test_meta.py checks they exist) --------------------------


def test_hook_register_validators(ningxia):
    host = sr.get_plugin_host(["supervise_rules_ningxia"], entry_points=False)
    assert host.plugin_of("validators", "row_count") == "supervise_rules_ningxia"
    report = sr.check(
        {"manifest": MANIFEST, "schools": [{"school_id": "1", "level": "primary"}]},
        "ningxia-platform-2024",
        host=host,
    )
    (finding,) = [f for f in report.findings if f.rule_id == "NX-01"]
    assert (finding.outcome.value, finding.observed) == ("pass", 1)


def test_hook_register_readers(ningxia, tmp_path, capsys):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "submission.yaml").write_text('county_code: "640122"\nas_of: 2024-09-30\n', "utf-8")
    (sub / "学校.psv").write_text(
        "学校标识码|学校名称|学段\n2164000001|一小|小学\n2164000002|二小|小学\n", "utf-8"
    )
    host = sr.get_plugin_host(["supervise_rules_ningxia"], entry_points=False)
    assert "ningxia-psv" in [r.name for r in host.readers]
    submission = sr.load_submission(sub, host=host)
    assert submission.table("schools").frame["level"].to_list() == ["primary", "primary"]
    code, out, _ = cli(
        capsys,
        str(sub),
        "--ruleset",
        "ningxia-platform-2024",
        "--plugin",
        "supervise_rules_ningxia",
        "--format",
        "json",
        "--include-passes",
    )
    assert code == 0
    (nx,) = [f for f in json.loads(out)["findings"] if f["rule_id"] == "NX-01"]
    assert nx["observed"] == 2


def test_hook_register_reporters(ningxia, double_reduction, capsys):
    # the example's table is the double-reduction plugin's: without it, exit 2 (no table)
    code, out, _ = cli(
        capsys,
        str(DR_EXAMPLE),
        "--ruleset",
        "ningxia-platform-2024",
        "--plugin",
        "supervise_rules_ningxia",
        "--plugin",
        double_reduction,
        "--format",
        "ningxia-counts",
    )
    assert code == 1  # NX-01 requires a schools table: an error finding
    lines = out.splitlines()
    assert lines[0] == "error\t1" and lines == sorted(lines)
    assert all(re.fullmatch(r"[a-z_]+\t\d+", line) for line in lines)


def test_hook_register_rulesets(ningxia, capsys):
    code, out, _ = cli(
        capsys,
        "list-rules",
        "--ruleset",
        "ningxia-platform-2024",
        "--plugin",
        "supervise_rules_ningxia",
        "--format",
        "json",
    )
    assert code == 0
    assert [(r["id"], r["plugin"]) for r in json.loads(out)] == [("NX-01", "supervise_rules_ningxia")]
    host = sr.get_plugin_host(["supervise_rules_ningxia"], entry_points=False)
    assert host.rulesets["ningxia-platform-2024"].path.name == "ningxia-platform-2024.yaml"


def test_hook_register_tables(double_reduction):
    host = sr.get_plugin_host([double_reduction], entry_points=False)
    assert "homework_surveys" in host.tables and "schools" in host.tables
    assert host.plugin_of("tables", "homework_surveys") == double_reduction
    rows = [{"学校标识码": "1", "班级名称": "一年级1班", "年级": "1", "日均书面作业时长(分钟)": "0"}]
    submission = sr.load_submission({"manifest": MANIFEST, "作业时长调查": rows}, host=host)
    assert submission.table("homework_surveys").frame["grade"].to_list() == [1]
    # outside a load or run, only the contract's tables are visible
    assert "homework_surveys" not in TABLES
    with host.activate():
        assert TABLES["homework_surveys"].zh == "作业时长调查"
    assert list(TABLES) == list(CORE_TABLES)


def test_plugin_table_cannot_replace_a_contract_table():
    clash = plugin_module("clash_tables", register_tables=lambda: [CORE_TABLES["schools"]])
    with pytest.raises(sr.PluginError, match="table 'schools' is already provided"):
        sr.get_plugin_host([clash], entry_points=False)


def test_docs_worked_example_cases_pass(ningxia):
    host = sr.get_plugin_host(["supervise_rules_ningxia"], entry_points=False)
    cases = load_case_file(ningxia / "tests" / "cases" / "NX-01.yaml")
    assert len(cases) == 2
    for case in cases:
        check_case(case, host)


# --- unknown hooks ------------------------------------------------------------------------


def test_unknown_hook_in_plugin_module_is_an_error(capsys):
    typo = plugin_module("typo_plugin", register_validator=lambda: [])
    with pytest.raises(sr.PluginError, match=r"typo_plugin.*'register_validator'.*not a supervise_rules"):
        sr.get_plugin_host([typo], entry_points=False)


def test_unknown_hook_via_plugin_option_exits_2(tmp_path, monkeypatch, capsys):
    (tmp_path / "typo_cli_plugin.py").write_text(
        "import supervise_rules as sr\n\n@sr.hookimpl\ndef register_reporter():\n    return []\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    code, _, err = cli(capsys, "plugins", "--plugin", "typo_cli_plugin")
    assert code == 2
    assert "register_reporter" in err and "typo_cli_plugin" in err


def test_unknown_hook_in_entry_point_is_a_load_error(entry_points):
    typo = plugin_module("typo_ep", register_ruleset=lambda: [])
    entry_points(FakeEntryPoint("typo_ep", typo))
    host = sr.get_plugin_host()
    (err,) = host.load_errors
    assert err.name == "typo_ep" and "register_ruleset" in err.reason
    assert "metric" in host.validators  # the rest still runs


# --- isolation ------------------------------------------------------------------------


def test_crashing_validator_gives_an_error_finding_and_the_run_goes_on(tmp_path):
    def boom(ctx):
        raise ZeroDivisionError("plugin bug")

    crashing = plugin_module("crashy_plugin", register_validators=lambda: [validator_class("crashy", boom)])
    ruleset = write_ruleset(
        tmp_path / "r.yaml",
        [
            ("T-01", "crashy", {}),
            ("T-02", "metric", {"table": "schools", "value": "students", "op": ">=", "threshold": 1}),
        ],
    )
    host = sr.get_plugin_host([crashing], entry_points=False)
    doc = {"manifest": MANIFEST, "schools": [{"school_id": "1", "level": "primary", "students": 5}]}
    report = sr.check(doc, ruleset, host=host)
    (crash,) = [f for f in report.findings if f.rule_id == "T-01"]
    assert crash.outcome.value == "error"
    assert "T-01" in crash.message.en and "crashy_plugin" in crash.message.en
    assert "ZeroDivisionError" in crash.message.en and crash.plugin == "crashy_plugin"
    assert [f.outcome.value for f in report.findings if f.rule_id == "T-02"] == ["pass"]


def test_unimportable_entry_point_is_reported_and_the_rest_runs(tmp_path, monkeypatch, capsys):
    """A real distribution on sys.path whose module raises on import."""
    site = tmp_path / "site"
    dist_info = site / "supervise_rules_broken-0.3.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: supervise-rules-broken\nVersion: 0.3\n", "utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        "[supervise_rules]\nbroken = supervise_rules_broken\n", "utf-8"
    )
    (site / "supervise_rules_broken.py").write_text("import no_such_module_here\n", "utf-8")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "supervise_rules_broken", raising=False)

    host = sr.get_plugin_host()
    (err,) = [e for e in host.load_errors if e.name == "broken"]
    assert err.distribution == "supervise-rules-broken"
    assert "ModuleNotFoundError" in err.reason and "no_such_module_here" in err.reason
    assert "metric" in host.validators

    code, out, _ = cli(capsys, "plugins", "--format", "json")
    assert code == 1  # the listing says which plugin failed, the status that one did
    assert {"name": "broken", "distribution": "supervise-rules-broken", "reason": err.reason} in json.loads(
        out
    )["failed"]
    code, out, _ = cli(capsys, "plugins")
    assert "failed broken (supervise-rules-broken): import failed: ModuleNotFoundError" in out
    code, out, err_text = cli(capsys, "list-rules", "--format", "json")
    assert code == 0 and json.loads(out)
    assert "plugin 'broken' (supervise-rules-broken) was not loaded" in err_text


def test_hook_that_raises_is_reported_and_the_plugins_other_hooks_count():
    def bad():
        raise RuntimeError("no rulesets today")

    half = plugin_module(
        "half_plugin", register_rulesets=bad, register_validators=lambda: [validator_class("half_ok")]
    )
    host = sr.get_plugin_host([half], entry_points=False)
    (err,) = host.load_errors
    assert err.name == "half_plugin" and "register_rulesets() raised RuntimeError" in err.reason
    assert host.plugin_of("validators", "half_ok") == "half_plugin"


def test_duplicate_validator_name_names_both_plugins(tmp_path, monkeypatch, capsys):
    first = plugin_module("first_plugin", register_validators=lambda: [validator_class("same")])
    second = plugin_module("second_plugin", register_validators=lambda: [validator_class("same")])
    with pytest.raises(sr.PluginError) as info:
        sr.get_plugin_host([first, second], entry_points=False)
    assert "second_plugin" in str(info.value) and "first_plugin" in str(info.value)
    assert "validator 'same'" in str(info.value)

    (tmp_path / "dup_metric.py").write_text(
        textwrap.dedent("""\
        import supervise_rules as sr

        class Metric(sr.Validator):
            name = "metric"
            summary = "clashes with the built-in"

        @sr.hookimpl
        def register_validators():
            return [Metric]
        """),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    code, _, err = cli(capsys, "list-rules", "--plugin", "dup_metric")
    assert code == 2
    assert "dup_metric" in err and "supervise_rules.builtin.validators" in err


def test_plugin_option_loads_a_local_module(tmp_path, monkeypatch, capsys, ningxia):
    code, out, _ = cli(capsys, "plugins", "--plugin", "supervise_rules_ningxia", "--format", "json")
    assert code == 0
    (info,) = json.loads(out)["plugins"]
    assert info["name"] == "supervise_rules_ningxia" and info["distribution"] is None
    assert info["contributes"] == {
        "validators": ["row_count"],
        "readers": ["ningxia-psv"],
        "reporters": ["ningxia-counts"],
        "rulesets": ["ningxia-platform-2024"],
    }
    code, _, err = cli(capsys, "plugins", "--plugin", "no_such_plugin_module")
    assert code == 2 and "no_such_plugin_module" in err and "cannot be imported" in err


def test_module_loaded_as_entry_point_and_plugin_option_registers_once(entry_points, double_reduction):
    module = importlib.import_module(double_reduction)
    entry_points(FakeEntryPoint("double_reduction", module, "supervise-rules-double-reduction"))
    host = sr.get_plugin_host([double_reduction])
    assert host.load_errors == []
    assert host.plugin_of("rulesets", "double-reduction-2021") == "double_reduction"


# --- API version --------------------------------------------------------------------------


def test_incompatible_entry_point_is_refused_naming_both_versions(entry_points):
    future = plugin_module("future_ep", api="3", register_validators=lambda: [validator_class("fut")])
    ok = plugin_module("ok_ep", api="2", register_validators=lambda: [validator_class("ok_one")])
    old = plugin_module("old_ep", api="1", register_validators=lambda: [validator_class("old_one")])
    entry_points(
        FakeEntryPoint("future_ep", future), FakeEntryPoint("ok_ep", ok), FakeEntryPoint("old_ep", old)
    )
    host = sr.get_plugin_host()
    (err,) = host.load_errors
    assert err.name == "future_ep"
    assert "API 3" in err.reason and f"API {sr.API_VERSION}" in err.reason
    assert "fut" not in host.validators
    # API 1 plugins (validators returning findings) still load
    assert "ok_one" in host.validators and "old_one" in host.validators


def test_incompatible_plugin_module_is_refused_and_the_rest_runs(tmp_path, monkeypatch, capsys):
    (tmp_path / "old_api_plugin.py").write_text(
        'SUPERVISE_RULES_API = "0"\nimport supervise_rules as sr\n\n'
        "@sr.hookimpl\ndef register_rulesets():\n    return []\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    host = sr.get_plugin_host(["old_api_plugin"], entry_points=False)
    (err,) = host.load_errors
    assert "API 0" in err.reason and f"API {sr.API_VERSION}" in err.reason
    assert "old_api_plugin" not in [p.name for p in host.plugins]
    code, out, err_text = cli(capsys, "list-rules", "--plugin", "old_api_plugin", "--format", "json")
    assert code == 0 and json.loads(out)
    assert "old_api_plugin" in err_text and "API 0" in err_text


# --- the plugins command ----------------------------------------------------------------


def test_plugins_command_lists_distribution_version_and_contributions(entry_points, double_reduction, capsys):
    module = importlib.import_module(double_reduction)
    entry_points(FakeEntryPoint("double_reduction", module, "supervise-rules-double-reduction", "0.1.0"))
    code, out, _ = cli(capsys, "plugins")
    assert code == 0
    assert out.splitlines() == [
        "double_reduction  supervise-rules-double-reduction 0.1.0",
        "  validators: homework_minutes",
        "  rulesets: double-reduction-2021",
        "  tables: homework_surveys",
    ]
    code, out, _ = cli(capsys, "plugins", "--all", "--format", "json")
    data = json.loads(out)
    assert data["api_version"] == sr.API_VERSION
    builtins = {p["name"] for p in data["plugins"] if p["builtin"]}
    assert set(plugins_module.BUILTIN_PLUGINS) <= builtins
    assert all(p["distribution"] == "supervise-rules" for p in data["plugins"] if p["builtin"])


def test_plugins_command_without_third_party_plugins(entry_points, capsys):
    entry_points()
    code, out, _ = cli(capsys, "plugins")
    assert code == 0 and "No third-party plugins loaded" in out


# --- a real install into a temporary virtual environment -------------------------------


def _run(*cmd, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"{cmd} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def test_pip_install_makes_rules_appear_and_uninstall_removes_them(tmp_path):
    """A fresh venv that sees this environment's packages (supervise-rules included)
    through a .pth file; the plugin is pip-installed into it (a real wheel build),
    then uninstalled."""
    env = tmp_path / "venv"
    venv.create(env, with_pip=False, symlinks=sys.platform != "win32")
    python = env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    purelib = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
        ).stdout.strip()
    )
    here = sysconfig.get_paths()["purelib"]
    (purelib / "_supervise_rules_under_test.pth").write_text(
        f"import site; site.addsitedir({here!r})\n", encoding="utf-8"
    )
    pip = [sys.executable, "-m", "pip", "--python", python, "--disable-pip-version-check"]
    offline = importlib.util.find_spec("hatchling") is not None
    flags = ["--no-build-isolation", "--no-index"] if offline else []
    sc = [python, "-m", "supervise_rules"]

    before = _run(*sc, "list-rules", "--ruleset", "double-reduction-2021", cwd=tmp_path, check=False)
    assert before.returncode == 2 and "unknown ruleset 'double-reduction-2021'" in before.stderr

    _run(*pip, "install", "--no-deps", "--quiet", *flags, DR_PLUGIN, cwd=tmp_path)
    listed = _run(*sc, "list-rules", "--ruleset", "double-reduction-2021", "--format", "json", cwd=tmp_path)
    assert [(r["id"], r["plugin"]) for r in json.loads(listed.stdout)] == [
        ("DR-01", "double_reduction"),
        ("DR-02", "double_reduction"),
        ("DR-03", "double_reduction"),
    ]
    plugins = json.loads(_run(*sc, "plugins", "--format", "json", cwd=tmp_path).stdout)
    (info,) = plugins["plugins"]
    assert (info["distribution"], info["version"]) == ("supervise-rules-double-reduction", "0.1.0")
    ran = _run(
        *sc, DR_EXAMPLE, "--ruleset", "double-reduction-2021", "--format", "json", cwd=tmp_path, check=False
    )
    assert ran.returncode == 1, ran.stderr
    failing = sorted(
        f["rule_id"] for f in json.loads(ran.stdout)["findings"] if f["outcome"] in ("fail", "error")
    )
    # READ-14 (info): the example folder's README.md is listed as not read
    assert failing == ["DR-01", "DR-02", "DR-02", "DR-03", "READ-14"]

    _run(*pip, "uninstall", "--yes", "--quiet", "supervise-rules-double-reduction", cwd=tmp_path)
    after = _run(*sc, "list-rules", "--ruleset", "double-reduction-2021", cwd=tmp_path, check=False)
    assert after.returncode == 2 and "unknown ruleset 'double-reduction-2021'" in after.stderr
    assert json.loads(_run(*sc, "plugins", "--format", "json", cwd=tmp_path).stdout)["plugins"] == []
