"""A plain (non-editable) install carries the rulesets: build the wheel, install
it into a scratch directory and run the CLI from outside the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_rulesets_and_cli_finds_them(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheels)],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = wheels.glob("supervise_rules-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n for n in names if n.startswith("supervise_rules/_rulesets/")}
    in_repo = {
        f"supervise_rules/_rulesets/{p.relative_to(ROOT / 'rulesets').as_posix()}"
        for p in (ROOT / "rulesets").rglob("*.yaml")
    }
    assert in_repo and in_repo <= shipped
    assert "supervise_rules/py.typed" in names  # PEP 561: type checkers read our annotations

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import supervise_rules.rulesets as r; print(r.builtin_ruleset_dir())"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    ).stdout.strip()
    assert where.startswith(str(target))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "supervise_rules",
            str(ROOT / "examples" / "helan-2024-preschool"),
            "--format",
            "json",
            "--ruleset",
            "national/preschool-2020",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert {r["rule_id"] for r in document["rules"]} >= {"PRE-01", "PRE-11"}
    assert "PRE-11" in {f["rule_id"] for f in document["findings"]}
