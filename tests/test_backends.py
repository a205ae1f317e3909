"""Backends are plugins (register_backends): the built-ins polars, duckdb and
spark register through the hook a third party uses; a backend is selected by
name or passed as an instance; a rule it cannot run is an error finding naming
it; one that cannot start is a clear error (issue 12, item 1)."""

from __future__ import annotations

import types
from pathlib import Path
from typing import ClassVar

import narwhals as nw
import pytest

import supervise_rules as sr
from supervise_rules.backends import Backend, BackendUnavailable, SparkBackend

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "helan-2024"


class CopyingBackend(Backend):
    """A third party's backend: polars, through a copy of every table."""

    name = "polars-copy"
    summary = "polars on a copy of every table."
    unsupported = frozenset({"weighted_cv"})
    tables: ClassVar[list[int]] = []

    def lazy(self, frame):
        type(self).tables.append(1)
        return nw.from_native(frame.clone()).lazy()


def _plugin() -> types.ModuleType:
    module = types.ModuleType("copying_backend")
    module.register_backends = sr.hookimpl(lambda: [CopyingBackend])
    return module


@pytest.fixture(scope="module")
def plain():
    return sr.check(EXAMPLE, "helan-2024", host=sr.get_plugin_host(entry_points=False))


def test_the_builtins_register_through_the_hook():
    host = sr.get_plugin_host(entry_points=False)
    assert list(host.backends) == ["polars", "duckdb", "spark"]
    assert {host.plugin_of("backends", b) for b in host.backends} == {"supervise_rules.builtin.backends"}


def test_hook_register_backends(plain):
    host = sr.get_plugin_host([_plugin()], entry_points=False)
    assert host.plugin_of("backends", "polars-copy") == "copying_backend"
    CopyingBackend.tables.clear()
    report = sr.check(EXAMPLE, "helan-2024", host=host, backend="polars-copy")
    assert CopyingBackend.tables  # the rules' tables came from the plugin's backend
    errors = {
        f.rule_id for f in report.findings if f.outcome is sr.Outcome.error and "polars-copy" in f.message.en
    }
    cv_rules = {
        r.id for r in sr.load_ruleset("helan-2024", host=host).rules if r.rule.validator == "weighted_cv"
    }
    assert errors == cv_rules and cv_rules
    (one,) = [f for f in report.findings if f.rule_id == sorted(cv_rules)[0]]
    assert one.message.en.endswith(
        "cannot run on the polars-copy backend: the polars-copy backend cannot run validator 'weighted_cv'"
    )
    # every other rule's findings are those of the default backend
    same = [
        (f.rule_id, f.subject.id, f.outcome, f.message.zh)
        for f in report.findings
        if f.rule_id not in cv_rules
    ]
    assert same == [
        (f.rule_id, f.subject.id, f.outcome, f.message.zh)
        for f in plain.findings
        if f.rule_id not in cv_rules
    ]


def test_a_backend_instance_is_used_as_given(plain):
    backend = CopyingBackend()
    report = sr.check(EXAMPLE, "helan-2024", host=sr.get_plugin_host(entry_points=False), backend=backend)
    assert report.summary.by_outcome["error"] > plain.summary.by_outcome.get("error", 0)


def test_duckdb_gives_the_same_bytes(plain):
    host = sr.get_plugin_host(entry_points=False)
    assert (
        sr.check(EXAMPLE, "helan-2024", host=host, backend="duckdb").to_json_bytes() == plain.to_json_bytes()
    )


def test_an_unknown_backend_names_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown backend 'sparky' \(known: duckdb, polars, spark\)"):
        sr.check(EXAMPLE, "helan-2024", host=sr.get_plugin_host(entry_points=False), backend="sparky")


def test_spark_without_pyspark_says_how_to_install_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a)
    )
    with pytest.raises(BackendUnavailable, match=r"pip install 'supervise-rules\[spark\]'"):
        SparkBackend().session()
    # through the CLI: one sentence and exit 2, before any rule runs
    from supervise_rules.cli import main

    assert main([str(EXAMPLE), "--backend", "spark"]) == 2


def test_collect_brings_a_batch_into_polars_in_order():
    import polars as pl

    from supervise_rules.backends import PolarsBackend

    a = pl.LazyFrame({"x": [1, 2, 3]}).filter(pl.col("x") > 1)
    b = pl.LazyFrame({"y": ["p"]})
    out = PolarsBackend().collect([nw.from_native(a), b])
    assert [d.to_dicts() for d in out] == [[{"x": 2}, {"x": 3}], [{"y": "p"}]]
    # the base class's default: one frame after another, whatever narwhals reads
    assert Backend.collect(PolarsBackend(), [b, pl.DataFrame({"z": [0]})])[1].to_dicts() == [{"z": 0}]


class _BrokenCollect(CopyingBackend):
    """A backend whose frames are not polars and whose batch collect fails once
    a batch holds more than one rule's frames."""

    name = "broken-collect"
    summary = "DuckDB frames, a collect that fails for a batch."

    def __init__(self):
        import duckdb

        self.con = duckdb.connect()
        self.calls: list[int] = []

    def lazy(self, frame):
        return nw.from_native(self.con.from_arrow(frame.to_arrow()))

    def collect(self, frames):
        self.calls.append(len(frames))
        if len(frames) > 2:
            raise RuntimeError("the batch is too big")
        return super().collect(frames)


def test_a_failing_batch_is_collected_again_rule_by_rule(plain):
    pytest.importorskip("duckdb")
    backend = _BrokenCollect()
    report = sr.check(EXAMPLE, "helan-2024", host=sr.get_plugin_host(entry_points=False), backend=backend)
    assert max(backend.calls) > 2 and min(backend.calls) <= 2  # a batch, then rule by rule
    errors = [f for f in report.findings if f.outcome is sr.Outcome.error and "too big" in f.message.en]
    rules = {f.rule_id for f in errors}
    # only a rule whose own frames are more than two fails, each once, naming its plugin
    assert len(errors) == len(rules) and all(f.plugin for f in errors)
    ok = (
        {r for r in {f.rule_id for f in plain.findings}}
        - rules
        - {r.id for r in sr.load_ruleset("helan-2024").rules if r.rule.validator == "weighted_cv"}
    )
    mine = {(f.rule_id, f.subject.id, f.outcome) for f in report.findings if f.rule_id in ok}
    assert mine == {(f.rule_id, f.subject.id, f.outcome) for f in plain.findings if f.rule_id in ok}
