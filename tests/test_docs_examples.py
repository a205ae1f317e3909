"""The README's Python examples run as written (from the repository root), so
that what a county system's engineer copies works (issue 13, item 1)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_library_examples_run(monkeypatch, capsys):
    blocks = _blocks(ROOT / "README.md")
    assert len(blocks) >= 2  # the library tour and the submission forms
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    for block in blocks:  # in order: later blocks use what earlier ones built
        exec(compile(block, "README.md", "exec"), namespace)
    capsys.readouterr()
    report = namespace["report"]
    assert report.submission.county_code == "640122"
    assert namespace["submission"].table("kindergartens").frame["kindergarten_name"].to_list() == [
        "贺兰县第一幼儿园"
    ]
