"""The reporter contract: how a :class:`Report` becomes an output format.

Built-in reporters (``supervise_rules.builtin.reporters``) and third-party ones
are contributed through the same ``register_reporters`` hook.
"""

from __future__ import annotations

import contextvars
import os
import stat
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Literal, TypeVar, cast

from pydantic import BaseModel

from .errors import SuperviseRulesError
from .report import Report

Lang = Literal["zh", "en", "both"]
View = Literal["full", "statistics", "quiet"]

#: failures listed per rule in a human view before "… and N more"
DEFAULT_MAX_PER_RULE = 20


@dataclass(frozen=True)
class RenderOptions:
    """Choices a user makes for human-facing formats."""

    lang: Lang = "zh"
    show_passes: bool = False
    color: bool = False
    width: int = 120
    #: failures listed per rule by the table view (``0``: all); the counts are always whole
    max_per_rule: int = DEFAULT_MAX_PER_RULE
    #: ``statistics``: only the per-rule counts and the totals line; ``quiet``: only
    #: the totals line (the table and concise formats)
    view: View = "full"
    #: the format's own options (an instance of its ``Options`` model, from
    #: ``--report-option KEY=VALUE``), or ``None`` for a format that takes none
    extra: Any = None


class Reporter(ABC):
    """Base class of output formats (``--format NAME``): ``name``, ``summary``,
    ``suffix``, ``binary``, ``human``, ``Options`` and ``render(report, options)``."""

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
    #: the options the format takes, a pydantic model (every field with a default
    #: and a ``description``): ``--report-option KEY=VALUE`` is validated against
    #: it before the run, and the instance reaches :meth:`render` as
    #: ``options.extra``; ``None``: no options
    Options: ClassVar[type[BaseModel] | None] = None

    def options_model(self) -> type[BaseModel] | None:
        """:attr:`Options` (a lazily imported format reads it from its class)."""
        return self.Options

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

    # the real reporter's class attributes, read when first asked for: a property
    # where the base class has a ClassVar (the same value to every caller)
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

    def options_model(self) -> type[BaseModel] | None:
        return self.load().options_model()

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):  # copy/pickle probe these before __init__ has run
            raise AttributeError(attr)
        return getattr(self.load(), attr)

    def __repr__(self) -> str:
        return f"LazyReporter({self.name!r}, {self.target!r})"


def write_atomically(path: str | os.PathLike[str], data: str | bytes | Callable[[BinaryIO], None]) -> None:
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
        # the temporary file goes on any exception: a full disk, a failing
        # reporter, Ctrl-C; what was at ``path`` is untouched until the rename
        with _open_output(fd) as out:
            write(out)
        # mkstemp creates the file 0600; keep the mode the report had, or give a new
        # one the mode a plain open() would
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot_write(shown, exc.strerror or str(exc)) from None
        raise


def _open_output(fd: int) -> BinaryIO:
    """The temporary file as a binary file object (tests put a full disk here)."""
    return os.fdopen(fd, "wb")


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
            raise _cannot_write(
                shown,
                f"{parent} is not a directory" if parent.exists() else f"directory {parent} does not exist",
            )
        _refuse_input(shown, target, None)
    elif stat.S_ISDIR(st.st_mode):
        raise _cannot_write(shown, "it is a directory")
    else:
        _refuse_input(shown, target, st)
        if stat.S_ISREG(st.st_mode) and not os.access(target, os.W_OK):
            # the rename would succeed in a writable directory, but the owner made the file
            # read-only
            raise _cannot_write(shown, "permission denied")
    return target, st


# --- the inputs of a run are never outputs ------------------------------------------------


@dataclass(frozen=True)
class _Input:
    what: str  # "the submission", "the waivers file" ...
    shown: str
    real: Path
    folder: bool
    #: (device, inode) of the file, or of every file in the folder: a hard link
    #: or a symlink to an input is that input
    ids: frozenset[tuple[int, int]]


_INPUTS: contextvars.ContextVar[tuple[_Input, ...]] = contextvars.ContextVar(
    "supervise_rules_inputs", default=()
)

#: files of a folder submission looked at to recognise a hard link to one of them
MAX_FOLDER_FILES = 10_000


@contextmanager
def output_scope() -> Iterator[None]:
    """A command's run: the inputs it declares with :func:`protect_inputs` are
    protected until the block ends."""
    token = _INPUTS.set(())
    try:
        yield
    finally:
        _INPUTS.reset(token)


def protect_inputs(*inputs: tuple[str, str | os.PathLike[str] | None]) -> None:
    """Declare the files a run reads — ``("the submission", path)``, ``("the
    waivers file", path)`` … — so that :func:`write_atomically` and
    :func:`check_output_path` refuse to write onto any of them: the same path,
    a symlink or a hard link to it, or any file inside a folder submission.
    Paths that do not exist (a ruleset id) are ignored."""
    found = []
    for what, path in inputs:
        if path is None or str(path) in ("", "-"):
            continue
        item = _input(what, Path(path))
        if item is not None:
            found.append(item)
    _INPUTS.set(_INPUTS.get() + tuple(found))


def _input(what: str, path: Path) -> _Input | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    real = Path(os.path.realpath(path))
    if not stat.S_ISDIR(st.st_mode):
        return _Input(what, str(path), real, False, frozenset({(st.st_dev, st.st_ino)}))
    ids: set[tuple[int, int]] = set()
    for folder, _dirs, files in os.walk(real):
        for name in files:
            try:
                fst = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            ids.add((fst.st_dev, fst.st_ino))
        if len(ids) >= MAX_FOLDER_FILES:
            break
    return _Input(what, str(path), real, True, frozenset(ids))


def _refuse_input(shown: Path, target: Path, st: os.stat_result | None) -> None:
    """Refuse an output onto an input of the run (see :func:`protect_inputs`), or
    into a folder submission: a report left among the data would be read as data
    by the next check."""
    ident = (st.st_dev, st.st_ino) if st is not None else None
    for item in _INPUTS.get():
        if item.folder and (target.is_relative_to(item.real) or ident in item.ids):
            where = "a file of" if st is not None else "inside"
            raise _cannot_write(
                shown,
                f"it is {where} {item.what} {item.shown}, which this run "
                "reads; write the output outside that folder",
            )
        if not item.folder and ident in item.ids:
            same = "" if target == item.real else f" ({item.shown})"
            raise _cannot_write(
                shown, f"it is {item.what}{same}, which this run reads; give another output file"
            )


# --- running a reporter ---------------------------------------------------------------------

T = TypeVar("T")


class ReporterError(SuperviseRulesError):
    """A plugin's reporter raised (or called ``sys.exit``): the run is not at
    fault, the plugin is; nothing is written."""


class _WatchedFile:
    """The output file as a reporter sees it, noting an error of the file itself
    (a full disk) so that it is not blamed on the reporter."""

    def __init__(self, fh: BinaryIO):
        self._fh = fh
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        try:
            return self._fh.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)


def run_reporter(fmt: str, plugin: str | None, call: Callable[[], T], out: _WatchedFile | None = None) -> T:
    """``call()`` — a reporter's ``render``, ``write`` or attribute — with the
    failure of a third-party plugin's reporter turned into a
    :class:`ReporterError` naming the format and the plugin. A built-in
    reporter's failure is a bug of ours and propagates; so does the user's
    Ctrl-C, and an error of the output file itself."""
    try:
        return call()
    except BaseException as exc:
        from .interrupts import is_users
        from .plugins import BUILTIN_PLUGINS

        if out is not None and out.error is not None:
            raise out.error from None  # the disk, not the reporter: "cannot write …"
        if plugin is None or plugin in BUILTIN_PLUGINS or is_users(exc) or isinstance(exc, ReporterError):
            raise
        text = str(exc).strip()
        first = f": {text.splitlines()[0]}" if text else ""
        raise ReporterError(
            f"the {fmt!r} reporter from plugin {plugin!r} failed: "
            f"{type(exc).__name__}{first}; no report was written"
        ) from exc


def write_report(
    path: str | Path,
    reporter: Reporter,
    report: Report,
    options: RenderOptions,
    *,
    fmt: str,
    plugin: str | None,
) -> None:
    """Stream ``reporter``'s output into ``path`` atomically (see
    :func:`write_atomically` and :func:`run_reporter`): if the reporter fails,
    what was at ``path`` is left as it was and no temporary file remains."""

    def write(fh: BinaryIO) -> None:
        watched = _WatchedFile(fh)
        # a BinaryIO in all but name: write() of its own, the rest through __getattr__
        out = cast(BinaryIO, watched)
        run_reporter(fmt, plugin, lambda: reporter.write(report, options, out), watched)

    write_atomically(path, write)


def ensure_directory(path: str | Path) -> Path:
    """Create the folder ``path`` (and its parents) for commands whose output is a
    folder of files (``notices --output-dir``), with a clear error instead of a
    traceback when it cannot be made."""
    path = Path(path)
    check_output_dir(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise _cannot_write(path, "it exists and is not a directory") from None
    except OSError as exc:
        raise _cannot_write(path, exc.strerror or str(exc)) from None
    return path


def check_output_dir(path: str | Path) -> None:
    """Raise now the error :func:`ensure_directory` would raise later: ``path``
    exists and is not a directory, or is a folder this run reads (a folder
    submission), or cannot be made (a file in the way, a read-only parent)."""
    shown = Path(path)
    real = Path(os.path.realpath(shown))
    if real.exists() and not real.is_dir():
        raise _cannot_write(shown, "it exists and is not a directory")
    for item in _INPUTS.get():
        if item.folder and real.is_relative_to(item.real):
            raise _cannot_write(
                shown,
                f"it is {item.what} {item.shown} (or inside it), which "
                "this run reads; give an output folder outside it",
            )
    existing = real
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise _cannot_write(shown, f"{existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise _cannot_write(shown, f"permission denied in {existing}")


def _cannot_write(path: Path, reason: str) -> SuperviseRulesError:
    import re

    reason = re.sub(r"^\[Errno \d+\] ", "", reason)  # an OSError raised without strerror
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
