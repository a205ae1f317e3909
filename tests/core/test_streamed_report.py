"""The report written rule by rule (issue 9, item 8): the same bytes as the
report rendered whole, the exit status counted without rendering, and the
listed findings sorted rule by rule in the order of one global sort."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest

from supervise_rules import check, get_plugin_host, load_ruleset
from supervise_rules.models import Severity
from supervise_rules.store import FRAME_COLUMNS, SORT_KEYS, _sorted

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def county():
    host = get_plugin_host(entry_points=False)
    return EXAMPLES / "helan-2024", host, load_ruleset("helan-2024", host=host)


def fresh(county):
    folder, host, ruleset = county
    return check(folder, ruleset, host=host)


@pytest.mark.parametrize("include_passes", [False, True])
def test_streamed_json_is_the_json_of_the_listed_frame(county, include_passes):
    streamed = fresh(county)
    first = streamed.to_json_bytes(include_passes)
    assert not streamed.store.is_listed()  # written rule by rule, nothing kept
    whole = fresh(county)
    whole.store.listed(include_passes)  # rendered and held: written from the frame
    assert whole.store.is_listed()
    assert whole.to_json_bytes(include_passes) == first
    # and the lines are the listed frame's, in its order
    lines = pl.concat(list(streamed.store.json_groups(include_passes)))
    assert lines.to_list() == whole.store.json_lines(include_passes).to_list()


def test_jsonl_streamed_is_the_listed_lines(county):
    report = fresh(county)
    reporter = get_plugin_host(entry_points=False).reporters["jsonl"].load()
    from supervise_rules.reporters import RenderOptions

    out = io.BytesIO()
    reporter.write(report, RenderOptions(show_passes=True), out)
    expected = "".join(f"{line}\n" for line in fresh(county).store.json_lines(True))
    assert out.getvalue().decode("utf-8") == expected


@pytest.mark.parametrize("severity", list(Severity))
def test_failures_counted_without_rendering_match_the_rendered_count(county, severity):
    report = fresh(county)
    counted = report.count_failures(severity)
    assert not report.store.is_listed()
    assert counted == len(report.failures(severity))
    assert report.store.is_listed()
    assert report.count_failures(severity) == counted


def test_count_of_the_example_is_not_trivial(county):
    report = fresh(county)
    assert 0 < report.count_failures(Severity("major")) < report.count_failures(Severity("info"))


def test_rule_by_rule_sort_is_the_global_sort(county):
    report = fresh(county)
    listed = report.store.listed(True)
    columns = [*FRAME_COLUMNS, "waiver_json", "json"]
    # shuffled pieces: several rules per piece, rules split over pieces, unsorted
    shuffled = listed.sample(fraction=1.0, shuffle=True, seed=7)
    pieces = [shuffled.slice(i, 97) for i in range(0, shuffled.height, 97)]
    got = _sorted(pieces)
    assert pieces == []  # consumed
    expected = (
        listed.select(columns)
        .with_columns(_tie=pl.col("json").hash(seed=0))
        .sort([*SORT_KEYS, "_tie"])
        .drop("_tie")
    )
    assert got.equals(expected)
    assert got["rule_id"].n_unique() > 20
