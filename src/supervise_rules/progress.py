"""The progress line of a check on a terminal: reading, each rule, rendering.

A county's check takes a second and shows nothing; a national one shows what
it is doing all the way, so the screen is never blank for long (the table of a
large report used to render for many seconds after the bar had gone). The line
is drawn on stderr only when stderr is a terminal, and only once the run has
taken :data:`DELAY` seconds; rich is imported only then.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: seconds before the line appears (a quick run draws nothing)
DELAY = 0.5


class _Quiet:
    """No terminal: nothing is drawn."""

    rules = None

    def phase(self, name: str) -> None:
        pass

    def stop(self) -> None:
        pass


class _Line:
    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("", total=None)
        self.shown = False
        self.counting = False
        self.lock = threading.Lock()
        # a timer, not a check at each step: reading a national workbook is one
        # long step, and its spinner must appear while it runs
        self.timer = threading.Timer(DELAY, self._show)
        self.timer.daemon = True
        self.timer.start()

    def _show(self) -> None:
        with self.lock:
            if not self.shown and not self.stopped:
                self.progress.start()
                self.shown = True

    stopped = False

    def phase(self, name: str) -> None:
        """A step without a count (reading, rendering): a spinner and its name."""
        self._next(name, None)

    def _next(self, name: str, total: int | None) -> None:
        self.progress.update(self.task, visible=False)
        self.task = self.progress.add_task(name, total=total)
        self.counting = total is not None

    def rules(self, rule: Any, index: int, total: int) -> None:
        """The engine's progress callback: rule ``index`` of ``total`` starts."""
        if not self.counting:
            self._next("", total)
        self.progress.update(
            self.task, total=total, completed=index, description=f"{rule.id} {rule.title.zh}"
        )

    def stop(self) -> None:
        """Gone for good (before a report is drawn on the same terminal)."""
        self.timer.cancel()
        with self.lock:
            self.stopped = True
            if self.shown:
                self.progress.stop()


@contextmanager
def phases(enabled: bool | None = None) -> Iterator[Any]:
    """An object with ``phase(name)`` and ``rules`` (a progress callback for
    :func:`supervise_rules.check`, ``None`` without a terminal)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield _Quiet()
        return
    line = _Line()
    try:
        yield line
    finally:
        line.stop()
