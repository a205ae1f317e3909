"""Telling the user's Ctrl-C from a ``KeyboardInterrupt`` raised by plugin code.

A plugin may raise ``KeyboardInterrupt`` (or ``SystemExit``) itself; that must
not end a run, it is the plugin's error. A real Ctrl-C must end it. Python
raises both the same way, so while a run is watched (:func:`watch_sigint`) a
SIGINT handler notes that the signal came before raising ``KeyboardInterrupt``
as Python's own handler does: :func:`user_interrupted` then says whether an
interrupt is the user's. Signals are delivered to the main thread only; in
another thread nothing is installed and no interrupt can be the user's.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_state = {"depth": 0, "seen": False}


def user_interrupted() -> bool:
    """``True`` once the user pressed Ctrl-C (SIGINT) during the watched run."""
    return bool(_state["seen"])


def is_users(exc: BaseException) -> bool:
    """``True`` when ``exc`` must end the run: the user's Ctrl-C. Any other
    exception raised inside plugin code (``SystemExit``, a ``KeyboardInterrupt``
    the plugin raised, ``GeneratorExit`` …) is the plugin's error."""
    return isinstance(exc, KeyboardInterrupt) and user_interrupted()


def check_interrupted() -> None:
    """Raise ``KeyboardInterrupt`` if the user pressed Ctrl-C, even though plugin
    code caught the one raised inside it."""
    if user_interrupted():
        raise KeyboardInterrupt


@contextmanager
def watch_sigint() -> Iterator[None]:
    """Note every SIGINT while the block runs, then let the previous handler act
    (Python's default raises ``KeyboardInterrupt``). Nested blocks share one
    note; the outermost one clears it when it starts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        _state["seen"] = True
        if previous is signal.SIG_IGN:
            return
        if callable(previous):  # Python's default_int_handler raises KeyboardInterrupt
            previous(signum, frame)
            return
        raise KeyboardInterrupt  # SIG_DFL, or a handler set outside Python

    if _state["depth"] == 0:
        _state["seen"] = False
    try:
        signal.signal(signal.SIGINT, on_sigint)
    except (ValueError, OSError):  # no signals here (an embedded interpreter)
        yield
        return
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        signal.signal(signal.SIGINT, previous)


__all__ = ["check_interrupted", "is_users", "user_interrupted", "watch_sigint"]
