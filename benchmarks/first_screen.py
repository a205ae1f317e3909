"""How soon a clerk sees the table view: the default CLI run on a terminal
(a pseudo-terminal here), timed from the moment the rules are done — the
progress line switches to "rendering" — to the first line of the report, and
to its end (issue 14: the first screen at 10k in under 1 s after the rules).

Usage::

    python benchmarks/first_screen.py                      # a generated 10k batch (cached)
    python benchmarks/first_screen.py PATH [--runs 3]

A measurement, not a test: nothing asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: what the progress line prints when rendering starts, in either language
RENDERING = (b"rendering", "生成报告".encode())
#: the report's first line names the ruleset's title
FIRST_LINE = "教育督导".encode()


def _one(path: Path) -> tuple[float, float, float]:
    """(rules done, first report line, end), seconds from the start."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI on the terminal, as a clerk runs it
        os.execvp(
            sys.executable,
            [sys.executable, "-m", "supervise_rules", str(path), "--fail-on", "never", "--color", "never"],
        )
    start = time.monotonic()
    seen = b""
    rendering = first = None
    while True:
        ready, _, _ = select.select([fd], [], [], 300)
        if not ready:
            break
        try:
            data = os.read(fd, 1 << 16)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        now = time.monotonic() - start
        seen += data
        if rendering is None and any(m in seen for m in RENDERING):
            rendering = now
            seen = seen[-64:]
        elif rendering is not None and first is None and FIRST_LINE in seen:
            first = now
        if len(seen) > 1 << 16:
            seen = seen[-64:]
    os.waitpid(pid, 0)
    end = time.monotonic() - start
    return rendering or end, first or end, end


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", type=Path, default=HERE / ".data" / "n10000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.path.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "10000", str(args.path)], check=True)
    runs = [_one(args.path) for _ in range(args.runs)]
    after = statistics.median(first - done for done, first, _ in runs)
    total = statistics.median(end for _, _, end in runs)
    print(
        f"{args.path}: first report line {after:.2f} s after the rules are done "
        f"(target < 1 s), whole run {total:.2f} s; median of {args.runs}; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
