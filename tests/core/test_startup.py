"""Startup at county scale (issue 9, item 7): what a run imports, and the cache of
parsed ruleset files. Nothing here measures seconds; the benchmark does."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import supervise_rules.rulesets as rulesets_module
from supervise_rules import RulesetError, discover_rulesets, get_plugin_host, hookimpl, load_ruleset
from supervise_rules.reporters import LazyReporter

HEAVY = ("rich", "duckdb", "openpyxl", "xlsxwriter")


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("SUPERVISE_RULES_CACHE_DIR", str(directory))
    monkeypatch.delenv("SUPERVISE_RULES_NO_CACHE", raising=False)
    return directory / "rulesets"


# --- imports ------------------------------------------------------------------------------


def test_json_run_to_a_file_imports_no_unused_library(tmp_path, examples):
    script = textwrap.dedent(f"""
        import json, sys
        from supervise_rules.cli import main
        code = main([{str(examples / "helan-2024")!r}, "--format", "json",
                     "-o", {str(tmp_path / "r.json")!r}, "--fail-on", "never"])
        print(json.dumps([code, sorted(sys.modules)]))
    """)
    env = {**os.environ, "SUPERVISE_RULES_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    code, modules = json.loads(proc.stdout.splitlines()[-1])
    assert code == 0
    assert not [m for m in modules if m.split(".")[0] in HEAVY]
    formats = {
        m.rsplit(".", 1)[1] for m in modules if m.startswith("supervise_rules.builtin.report_formats.")
    }
    assert {f for f in formats if not f.startswith("_")} == {"json"}  # shared helpers may load
    assert (tmp_path / "r.json").is_file()


def test_builtin_reporters_are_lazy_and_complete():
    host = get_plugin_host(entry_points=False)
    names = [
        "table",
        "json",
        "jsonl",
        "sarif",
        "junit",
        "markdown",
        "html",
        "xlsx",
        "pdf",
        "concise",
        "github",
    ]
    assert list(host.reporters) == names
    assert all(isinstance(r, LazyReporter) for r in host.reporters.values())
    from supervise_rules.builtin.report_formats import BUILTIN_REPORTERS

    for cls in BUILTIN_REPORTERS:  # everything but the name comes from the real class
        lazy = host.reporters[cls.name]
        assert (lazy.summary, lazy.suffix, lazy.binary, lazy.human) == (
            cls.summary,
            cls.suffix,
            cls.binary,
            cls.human,
        )
        assert isinstance(lazy.load(), cls)


def test_lazy_reporter_refuses_a_target_of_another_name():
    lazy = LazyReporter("json", "supervise_rules.builtin.report_formats.table:TableReporter")
    with pytest.raises(TypeError, match="'table', not 'json'"):
        lazy.load()


def test_old_import_paths_still_work():
    from supervise_rules.builtin.report_formats import HtmlReporter
    from supervise_rules.builtin.reporters import TableReporter, format_value

    assert HtmlReporter.name == "html" and TableReporter.name == "table"
    assert callable(format_value)


# --- the ruleset file cache ------------------------------------------------------------------


def snapshot(ruleset):
    return (
        ruleset.id,
        ruleset.version,
        ruleset.title,
        ruleset.files,
        ruleset.disabled,
        [(r.rule, type(r.params), r.params, r.defined_in) for r in ruleset.rules],
    )


def uncached(ref, host, monkeypatch):
    with monkeypatch.context() as m:
        m.setenv("SUPERVISE_RULES_NO_CACHE", "1")
        return load_ruleset(ref, host=host)


def forbid_parsing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("parsed YAML although the cache has it")

    monkeypatch.setattr(rulesets_module, "_parse_yaml", refuse)


def test_second_load_uses_the_cache_and_gives_the_same_ruleset(cache, monkeypatch):
    host = get_plugin_host(entry_points=False)
    first = load_ruleset("helan-2024", host=host)
    assert len(list(cache.glob("*.json"))) == len(first.files)
    forbid_parsing(monkeypatch)
    second = load_ruleset("helan-2024", host=host)
    assert snapshot(second) == snapshot(first)


def test_every_shipped_ruleset_is_the_same_from_the_cache(cache, monkeypatch):
    host = get_plugin_host(entry_points=False)
    for ref in host.rulesets:
        load_ruleset(ref, host=host)
        assert snapshot(load_ruleset(ref, host=host)) == snapshot(uncached(ref, host, monkeypatch))


def test_no_cache_env_writes_nothing(cache, monkeypatch):
    monkeypatch.setenv("SUPERVISE_RULES_NO_CACHE", "1")
    load_ruleset("helan-2024", host=get_plugin_host(entry_points=False))
    assert not cache.exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "edited", "wrong shape", "writable"])
def test_a_damaged_entry_is_ignored_and_rebuilt(cache, monkeypatch, damage):
    host = get_plugin_host(entry_points=False)
    expected = snapshot(uncached("helan-2024", host, monkeypatch))
    load_ruleset("helan-2024", host=host)
    entries = sorted(cache.glob("*.json"))
    good = {p: p.read_bytes() for p in entries}
    for path in entries:
        header, _, payload = path.read_bytes().partition(b"\n")
        if damage == "garbage":
            path.write_bytes(b"\x00not json at all")
        elif damage == "truncated":
            path.write_bytes(header + b"\n" + payload[: len(payload) // 2])
        elif damage == "edited":  # valid JSON, the content changed, the digest not updated
            data = json.loads(payload)
            data["title"]["en"] = "TAMPERED"
            path.write_bytes(header + b"\n" + json.dumps(data).encode())
        elif damage == "wrong shape":  # valid JSON with a correct digest, but not a ruleset
            bogus = json.dumps({"rules": "nonsense", "id": 3}).encode()
            meta = {**json.loads(header), "sha256": hashlib.sha256(bogus).hexdigest()}
            path.write_bytes(json.dumps(meta).encode() + b"\n" + bogus)
        elif damage == "writable":  # anyone could have put it there
            path.chmod(0o666)
    assert snapshot(load_ruleset("helan-2024", host=host)) == expected
    # the good load wrote every entry again, private to the user
    assert {p: p.read_bytes() for p in entries} == good
    assert {p.stat().st_mode & 0o777 for p in entries} == {0o600}


def provider(directory: Path):
    class Provides:
        @hookimpl
        def register_rulesets(self):
            return discover_rulesets(directory, plugin="test-provider")

    return Provides()


RULESET = """\
id: mine
version: '1'
title: {zh: 我的, en: Mine}
extends: [helan-2024]
overrides:
  PRE-02:
    title: {zh: 改过, en: TITLE}
"""


def test_a_changed_file_invalidates_its_entry(cache, tmp_path, monkeypatch):
    folder = tmp_path / "provided"
    folder.mkdir()
    (folder / "mine.yaml").write_text(RULESET, encoding="utf-8")
    host = get_plugin_host([provider(folder)], entry_points=False)
    assert load_ruleset("mine", host=host).rule("PRE-02").title.en == "TITLE"
    (folder / "mine.yaml").write_text(RULESET.replace("TITLE", "CHANGED"), encoding="utf-8")
    assert load_ruleset("mine", host=host).rule("PRE-02").title.en == "CHANGED"
    forbid_parsing(monkeypatch)  # both versions are now cached under their own content
    assert load_ruleset("mine", host=host).rule("PRE-02").title.en == "CHANGED"


DUPLICATE = """\
rules:
  - id: PRE-02
    title: {zh: 重复, en: Duplicate}
    severity: major
    source: test
    certainty: V
    validator: aggregate
    params:
      numerator: {table: kindergartens, expr: sum(children)}
      op: ">="
      threshold: 1
    message: {zh: "{observed}", en: "{observed}"}
    docs: {checks: c, why: w, example: e}
"""


def test_errors_are_worded_as_without_the_cache_and_never_cached(cache, tmp_path, monkeypatch):
    host = get_plugin_host(entry_points=False)
    load_ruleset("helan-2024", host=host)  # the parents are cached now
    cached_before = sorted(cache.glob("*.json"))
    child = tmp_path / "county.yaml"
    child.write_text(RULESET.split("overrides:")[0] + DUPLICATE, encoding="utf-8")
    with pytest.raises(RulesetError) as warm:
        load_ruleset(child, host=host)
    with pytest.raises(RulesetError) as cold:
        uncached(child, host, monkeypatch)
    assert str(warm.value) == str(cold.value)
    assert "first defined at" in str(warm.value) and ".yaml:" in str(warm.value)
    assert sorted(cache.glob("*.json")) == cached_before


def test_a_provided_ruleset_with_an_error_leaves_no_entry(cache, tmp_path):
    folder = tmp_path / "provided"
    folder.mkdir()
    (folder / "bad.yaml").write_text(
        "id: bad\nversion: '1'\ntitle: {zh: 坏, en: Bad}\nnonsense: 1\n", encoding="utf-8"
    )
    host = get_plugin_host([provider(folder)], entry_points=False)
    with pytest.raises(RulesetError, match=r"bad\.yaml:4: nonsense: unknown key 'nonsense'"):
        load_ruleset("bad", host=host)
    assert not cache.exists() or not list(cache.glob("*.json"))


def test_unwritable_cache_directory_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("SUPERVISE_RULES_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("SUPERVISE_RULES_NO_CACHE", raising=False)
    host = get_plugin_host(entry_points=False)
    assert snapshot(load_ruleset("helan-2024", host=host)) == snapshot(
        uncached("helan-2024", host, monkeypatch)
    )


def test_cache_location_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("SUPERVISE_RULES_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert rulesets_module.cache_dir() == tmp_path / "xdg" / "supervise-rules"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert rulesets_module.cache_dir() == tmp_path / "home" / ".cache" / "supervise-rules"
    monkeypatch.setenv("SUPERVISE_RULES_CACHE_DIR", str(tmp_path / "explicit"))
    assert rulesets_module.cache_dir() == tmp_path / "explicit"


def test_old_entries_are_pruned_when_new_ones_are_written(cache):
    cache.mkdir(parents=True)
    old, recent = cache / ("0" * 64 + ".json"), cache / ("1" * 64 + ".json")
    for path in (old, recent):
        path.write_text("{}")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    load_ruleset("helan-2024", host=get_plugin_host(entry_points=False))
    assert not old.exists() and recent.exists()
