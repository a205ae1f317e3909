"""Time reading a submission alone, next to plain polars reading of the same CSV files.

    python benchmarks/read_only.py                    # benchmarks/.data/n100000-core, 3 runs
    python benchmarks/read_only.py FOLDER --runs 5

Each run is a fresh process; the time is of the read only (imports and the
plugin host, which imports every built-in plugin, excluded);
peak RSS is the child's ``ru_maxrss`` (imports included, so both modes carry
the interpreter and polars). Modes:

* ``library``: ``supervise_rules.load_submission(FOLDER)``;
* ``plain``: per CSV file ``pl.read_csv(path, infer_schema=False)`` plus one
  trimmed ``cast(strict=False)`` per contract column (Int64 or Float64; a
  ``replace_strict`` of true/false for bool, ``str.to_date`` for date), i.e.
  the least a typed read can do. Measurements, never unit tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / ".data" / "n100000-core"


def _library(folder: Path) -> float:
    from supervise_rules import get_plugin_host, load_submission

    host = get_plugin_host()  # imports the built-in plugins: not part of reading
    t0 = time.perf_counter()
    submission = load_submission(folder, host=host)
    elapsed = time.perf_counter() - t0
    rows = sum(t.frame.height for t in submission.tables.values())
    print(f"rows={rows} problems={len(submission.problems)}", file=sys.stderr)
    return elapsed


def _plain(folder: Path) -> float:
    import polars as pl

    from supervise_rules.tables import TABLES

    def cast(name: str, kind: str | None) -> pl.Expr:
        s = pl.col(name).str.strip_chars()
        match kind:
            case "int":
                return s.cast(pl.Int64, strict=False)
            case "float" | "ratio":
                return s.cast(pl.Float64, strict=False)
            case "bool":  # polars casts no string to Boolean
                return s.str.to_lowercase().replace_strict(
                    {"true": True, "false": False}, default=None, return_dtype=pl.Boolean
                )
            case "date":  # nor to Date
                return s.str.to_date("%Y-%m-%d", strict=False)
            case _:
                return pl.col(name)

    t0 = time.perf_counter()
    tables = []  # kept, as a submission keeps its tables
    for path in sorted(folder.glob("*.csv")):
        spec = TABLES.get(path.stem)
        frame = pl.read_csv(path, infer_schema=False)
        columns = spec.columns if spec else {}
        casts = [cast(n, columns[n].kind if n in columns else None) for n in frame.columns]
        tables.append(frame.select(casts))
    elapsed = time.perf_counter() - t0
    print(f"rows={sum(t.height for t in tables)}", file=sys.stderr)
    return elapsed


def _child(mode: str, folder: Path) -> None:
    elapsed = _library(folder) if mode == "library" else _plain(folder)
    print(f"{elapsed:.6f}")


def _run(mode: str, folder: Path) -> tuple[float, float]:
    cmd = [sys.executable, __file__, "--child", mode, str(folder)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status:
        raise SystemExit(f"{mode} failed ({status})")
    return float(out.strip()), usage.ru_maxrss / 1024  # KiB -> MiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", choices=("library", "plain"))
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.folder)
        return
    runs: dict[str, list[tuple[float, float]]] = {"plain": [], "library": []}
    for _ in range(args.runs):  # interleaved, so that a busy machine weighs on both alike
        for mode, done in runs.items():
            done.append(_run(mode, args.folder))
    results = {}
    for mode, done in runs.items():
        times, rss = [t for t, _ in done], [r for _, r in done]
        results[mode] = statistics.median(times)
        print(
            f"{mode:8} median {statistics.median(times):6.3f} s  "
            f"(min {min(times):.3f})  peak RSS {max(rss):7.1f} MiB"
        )
    print(f"library / plain = {results['library'] / results['plain']:.2f}x")


if __name__ == "__main__":
    main()
