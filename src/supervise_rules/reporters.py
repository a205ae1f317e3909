"""The reporter contract: how a :class:`Report` becomes an output format.

Built-in reporters (``supervise_rules.builtin.reporters``) and third-party ones
are contributed through the same ``register_reporters`` hook.
"""

from __future__ import annotations

import os
import stat
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar, Literal

from .errors import SuperviseRulesError
from .models import Report

Lang = Literal["zh", "en", "both"]


@dataclass(frozen=True)
class RenderOptions:
    """Choices a user makes for human-facing formats."""

    lang: Lang = "zh"
    show_passes: bool = False
    color: bool = False
    width: int = 120


class Reporter(ABC):
    #: the ``--format`` name
    name: ClassVar[str]
    #: one line for ``supervise-check plugins``
    summary: ClassVar[str] = ""
    #: suggested file suffix
    suffix: ClassVar[str] = ".txt"
    #: ``True`` when :meth:`render` returns bytes (xlsx …)
    binary: ClassVar[bool] = False
    #: ``True`` when the output is for people (``--lang`` applies; passes may hide)
    human: ClassVar[bool] = True

    @abstractmethod
    def render(self, report: Report, options: RenderOptions) -> str | bytes:
        """Return the whole output. Must be deterministic for a given report.

        Text formats return ``str`` or UTF-8 ``bytes``; binary formats (``binary
        = True``) return bytes and need ``--output``."""

    def write(self, report: Report, options: RenderOptions, out: BinaryIO) -> None:
        """Write the output to a binary file. By default the :meth:`render`
        result; a format for large reports overrides it to stream (``json``
        writes a national report without holding it twice)."""
        data = self.render(report, options)
        out.write(data.encode("utf-8") if isinstance(data, str) else data)


class LazyReporter(Reporter):
    """A reporter whose module is imported the first time it is used.

    Registering every format eagerly would import all of them (rich for the
    table, xlsxwriter …) on every run, though a run uses one. Only the ``--format``
    name is known up front; every other attribute (``summary``, ``suffix``,
    ``binary``, ``human``, ``render`` and anything the format adds) comes from the
    real reporter, so nothing is written down twice.

    :param target: ``"package.module:ClassName"`` of a :class:`Reporter` whose
        ``name`` is ``name``.
    """

    def __init__(self, name: str, target: str):
        self.name = name  # type: ignore[misc]  # per instance, the ClassVar of a real reporter
        self.target = target
        self._reporter: Reporter | None = None

    def load(self) -> Reporter:
        if self._reporter is None:
            import importlib

            module, _, attr = self.target.partition(":")
            reporter = getattr(importlib.import_module(module), attr)()
            if reporter.name != self.name:
                raise TypeError(f"{self.target} is the reporter {reporter.name!r}, not {self.name!r}")
            self._reporter = reporter
        return self._reporter

    def render(self, report: Report, options: RenderOptions) -> str | bytes:
        return self.load().render(report, options)

    def write(self, report: Report, options: RenderOptions, out: BinaryIO) -> None:
        self.load().write(report, options, out)

    @property
    def summary(self) -> str:  # type: ignore[override]
        return self.load().summary

    @property
    def suffix(self) -> str:  # type: ignore[override]
        return self.load().suffix

    @property
    def binary(self) -> bool:  # type: ignore[override]
        return self.load().binary

    @property
    def human(self) -> bool:  # type: ignore[override]
        return self.load().human

    def __getattr__(self, attr: str):
        if attr.startswith("_"):  # copy/pickle probe these before __init__ has run
            raise AttributeError(attr)
        return getattr(self.load(), attr)

    def __repr__(self) -> str:
        return f"LazyReporter({self.name!r}, {self.target!r})"


def write_atomically(path: str | Path, data: str | bytes | Callable[[BinaryIO], None]) -> None:
    """Write ``data`` to ``path`` without ever damaging what is there.

    A regular file (or a path that does not exist yet) is replaced atomically:
    a temporary file in the same directory is renamed over it, so a reader never
    sees half a report and a crash never leaves a truncated file. A symlink to a
    regular file is written through: its target is replaced, the link stays.
    Anything else that already exists (a device, a FIFO, a terminal) is opened
    and written in place, never replaced: renaming over ``/dev/null`` as root
    would turn it into a regular file for every program on the machine.

    ``data`` may be a function that writes into the open binary file, so that a
    large report is streamed instead of held in memory first.

    :raises SuperviseRulesError: ``path`` is a directory, its directory does not
        exist (it is not created), is not a directory, or cannot be written.
    """
    shown = Path(path)
    if callable(data):
        write = data
    else:
        payload = data.encode("utf-8") if isinstance(data, str) else data

        def write(fh: BinaryIO) -> None:
            fh.write(payload)
    target, st = _destination(shown)
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            with open(target, "wb") as fh:
                write(fh)
        except OSError as exc:
            raise _cannot_write(shown, exc.strerror or str(exc)) from None
        return
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _cannot_write(shown, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        # mkstemp creates the file 0600; keep the mode the report had, or give a new
        # one the mode a plain open() would
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot_write(shown, exc.strerror or str(exc)) from None
        raise


def check_output_path(path: str | Path) -> None:
    """Raise now the error :func:`write_atomically` would raise later, so that a
    long run with a mistyped ``--output`` fails before the work, not after it."""
    shown = Path(path)
    target, st = _destination(shown)
    if st is not None and not stat.S_ISREG(st.st_mode):
        return  # a device or FIFO: opening it may block until a reader comes
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise _cannot_write(shown, f"permission denied in {target.parent}")


def _destination(shown: Path) -> tuple[Path, os.stat_result | None]:
    """Where the bytes go (symlinks resolved) and what is there now (``None``: nothing)."""
    target = Path(os.path.realpath(shown))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise _cannot_write(shown, f"{_first_non_directory(target)} is not a directory") from None
    except OSError as exc:
        raise _cannot_write(shown, exc.strerror or str(exc)) from None
    if st is None:
        parent = target.parent
        if not parent.is_dir():
            raise _cannot_write(shown, f"{parent} is not a directory" if parent.exists()
                                else f"directory {parent} does not exist")
    elif stat.S_ISDIR(st.st_mode):
        raise _cannot_write(shown, "it is a directory")
    elif stat.S_ISREG(st.st_mode) and not os.access(target, os.W_OK):
        # the rename would succeed in a writable directory, but the owner made the file read-only
        raise _cannot_write(shown, "permission denied")
    return target, st


def ensure_directory(path: str | Path) -> Path:
    """Create the folder ``path`` (and its parents) for commands whose output is a
    folder of files (``notices --output-dir``), with a clear error instead of a
    traceback when it cannot be made."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise _cannot_write(path, "it exists and is not a directory") from None
    except OSError as exc:
        raise _cannot_write(path, exc.strerror or str(exc)) from None
    return path


def _cannot_write(path: Path, reason: str) -> SuperviseRulesError:
    return SuperviseRulesError(f"cannot write {path}: {reason}")


def _first_non_directory(path: Path) -> Path:
    """The ancestor of ``path`` that exists but is not a directory (for the message)."""
    for ancestor in reversed(path.parents):
        if ancestor.exists() and not ancestor.is_dir():
            return ancestor
    return path.parent


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
