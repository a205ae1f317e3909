"""The reporter contract: how a :class:`Report` becomes an output format.

Built-in reporters (``supervise_rules.builtin.reporters``) and third-party ones
are contributed through the same ``register_reporters`` hook.
"""

from __future__ import annotations

import os
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

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


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename, so a reader
    never sees half a report and a crash never leaves a truncated file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        # mkstemp creates the file 0600; give the report the mode a plain open() would
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
