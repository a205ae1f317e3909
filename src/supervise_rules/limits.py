"""Limits on what one input may cost: bytes, rows, columns, cells, nesting.

Every file a run reads (table files, workbooks, JSON documents, the manifest,
rulesets, waivers, baselines) is checked against these limits *before* the
expensive part: a workbook's used range before calamine allocates its grid, a
YAML file's alias expansion while it is composed, a file's size before it is
read. Exceeding one is a clear error naming the file (and sheet or line), the
limit and how to raise it; the CLI exits 2. Never an abort, a MemoryError or a
hang. The defaults let through anything a county or a province submits, and
anything Excel itself can save; they are documented in ``docs/reliability.md``.

The limits of a run are set with ``supervise-check --limit NAME=VALUE``
(repeatable), or in the library with ``load_submission(..., limits=Limits(...))``
and ``check(..., limits=...)``. Readers (plugins' too) read the limits in force
with :func:`current_limits`.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    import argparse

KIB, MIB, GIB = 1024, 1024**2, 1024**3


class Limits(BaseModel):
    """The bounds one run puts on its inputs (all positive integers)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_file_bytes: int = Field(
        2 * GIB,
        gt=0,
        description="size of one table file (CSV, workbook, Parquet); bounds memory and time",
    )
    max_json_bytes: int = Field(
        256 * MIB,
        gt=0,
        description="size of one JSON document (a submission or a baseline report): it is "
        "held in memory as Python objects, about ten times its size",
    )
    max_json_depth: int = Field(
        100,
        gt=0,
        description="nesting of arrays and objects in a JSON document",
    )
    max_yaml_bytes: int = Field(
        10 * MIB,
        gt=0,
        description="size of one YAML file (manifest, ruleset, waivers)",
    )
    max_yaml_nodes: int = Field(
        1_000_000,
        gt=0,
        description="values in one YAML document once its aliases are expanded (a 1 KB "
        "'billion laughs' file expands to 10^9)",
    )
    max_yaml_aliases: int = Field(
        100,
        gt=0,
        description="aliases (*name) in one YAML document",
    )
    max_yaml_depth: int = Field(
        50,
        gt=0,
        description="nesting of mappings and lists in one YAML document",
    )
    max_sheet_rows: int = Field(
        1_100_000,
        gt=0,
        description="rows of a sheet's used range (Excel itself stops at 1,048,576)",
    )
    max_columns: int = Field(
        1_000,
        gt=0,
        description="columns of a sheet's used range, and cells of a CSV line (a stray "
        "value in XFD1 makes a sheet 16,384 columns wide)",
    )
    max_cells: int = Field(
        50_000_000,
        gt=0,
        description="rows × columns of a sheet's used range, or of a CSV file read as wide "
        "as its widest line: the grid is held in memory whole (calamine: 32 bytes a cell)",
    )
    max_cell_chars: int = Field(
        32_767,
        gt=0,
        description="characters in one cell (Excel's own limit)",
    )
    max_line_chars: int = Field(
        1 * MIB,
        gt=0,
        description="characters in one CSV line (one record)",
    )
    max_shared_strings_bytes: int = Field(
        512 * MIB,
        gt=0,
        description="size of a workbook's shared strings (xl/sharedStrings.xml, unpacked), "
        "held in memory whole",
    )
    max_unpacked_bytes: int = Field(
        8 * GIB,
        gt=0,
        description="size of a workbook's parts once unpacked (a 'zip bomb' unpacks a few KB into many GB)",
    )
    max_reader_memory_bytes: int = Field(
        4 * GIB,
        gt=0,
        description="address space of the child process that reads an .xls, .xlsb or .ods "
        "workbook (their cells cannot be checked before reading: a stray value far out in "
        "a sheet would make the reader allocate hundreds of GB)",
    )
    max_reader_seconds: int = Field(
        600,
        gt=0,
        description="time that child process may take",
    )

    @classmethod
    def names(cls) -> list[str]:
        return list(cls.model_fields)

    def with_flags(self, flags: Iterable[str]) -> Limits:
        """These limits with ``NAME=VALUE`` settings applied (``--limit`` flags).

        :raises LimitFlagError: an unknown name or a value that is not a positive
            integer (``1000000``, ``1_000_000``, ``1,000,000``, ``10M``, ``2G``)."""
        changes: dict[str, int] = {}
        for flag in flags:
            name, value = parse_flag(flag)
            changes[name] = value
        if not changes:
            return self
        try:
            return self.model_validate({**self.model_dump(), **changes})
        except ValidationError as exc:  # pragma: no cover - parse_flag checks first
            raise LimitFlagError(str(exc)) from None


class LimitFlagError(ValueError):
    """A ``--limit`` flag that names no limit or gives no positive integer."""


_SUFFIXES = {"": 1, "k": KIB, "m": MIB, "g": GIB}


def parse_flag(flag: str) -> tuple[str, int]:
    """``max_sheet_rows=2000000`` -> ``("max_sheet_rows", 2000000)``."""
    name, sep, text = flag.partition("=")
    name = name.strip().replace("-", "_")
    if not sep:
        raise LimitFlagError(f"--limit takes NAME=VALUE, not {flag!r}")
    if name not in Limits.model_fields:
        raise LimitFlagError(f"--limit: no limit named {name!r} (limits: {', '.join(Limits.names())})")
    match = re.fullmatch(r"\s*(\d[\d_,]*)\s*([kmgKMG]?)(?:i?[bB])?\s*", text)
    if not match:
        raise LimitFlagError(f"--limit {name}: {text!r} is not a positive whole number (e.g. 2000000 or 20M)")
    value = int(match.group(1).replace("_", "").replace(",", "")) * _SUFFIXES[match.group(2).lower()]
    if value <= 0:
        raise LimitFlagError(f"--limit {name}: the value must be at least 1")
    return name, value


DEFAULT_LIMITS = Limits()
_CURRENT: contextvars.ContextVar[Limits] = contextvars.ContextVar(
    "supervise_rules_limits", default=DEFAULT_LIMITS
)


def current_limits() -> Limits:
    """The limits in force: set by :func:`use_limits` (``load_submission``,
    ``check``, the CLI's ``--limit``), else the defaults."""
    return _CURRENT.get()


@contextlib.contextmanager
def use_limits(limits: Limits | None) -> Iterator[Limits]:
    """Run a block under ``limits`` (``None``: keep the limits in force)."""
    if limits is None:
        yield _CURRENT.get()
        return
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def command_scope() -> Iterator[None]:
    """One CLI command: limits set by its ``--limit`` flags end with it."""
    token = _CURRENT.set(_CURRENT.get())
    try:
        yield
    finally:
        _CURRENT.reset(token)


def set_command_limits(flags: Iterable[str] | None) -> Limits:
    """Apply ``--limit`` flags for the rest of the command (inside
    :func:`command_scope`); returns the limits in force."""
    limits = DEFAULT_LIMITS.with_flags(flags or [])
    _CURRENT.set(limits)
    return limits


def flag_type(text: str) -> str:
    """argparse ``type=`` for ``--limit``: checks the flag as it is parsed."""
    import argparse

    try:
        parse_flag(text)
    except LimitFlagError as exc:  # argparse says "argument --limit:" itself
        message = re.sub(r"^--limit:? ", "", str(exc))
        raise argparse.ArgumentTypeError(message) from None
    return text


def add_limit_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--limit NAME=VALUE`` (repeatable) to an argparse parser."""
    parser.add_argument(
        "--limit",
        action="append",
        default=[],
        type=flag_type,
        metavar="NAME=VALUE",
        help="raise or lower a limit on the inputs, e.g. --limit max_sheet_rows=2000000 "
        f"(repeatable; limits: {', '.join(Limits.names())}; see docs/reliability.md)",
    )


def exceeded(name: str, actual: int | None = None, *, unit: str = "") -> str:
    """The end of every limit message: ``the limit is max_columns=1,000; raise it
    with --limit max_columns=N`` (``actual`` suggests a value that would pass)."""
    limit = getattr(current_limits(), name)
    suggest = "N"
    if actual is not None and actual > limit:
        suggest = f"{_round_up(actual)}"
    unit = f" {unit}" if unit else ""
    return (
        f"the limit is {name}={limit:,}{unit}; if the file is right, raise it with --limit {name}={suggest}"
    )


def exceeded_zh(name: str) -> str:
    """The Chinese of :func:`exceeded`: the limit and the flag that raises it."""
    limit = getattr(current_limits(), name)
    return f"上限 {name}={limit:,}，可用 --limit {name}=… 调整"


def _round_up(n: int) -> int:
    """A round number at least ``n`` (2 significant digits)."""
    digits = len(str(n))
    step: int = 10 ** max(digits - 2, 0)
    return -(-n // step) * step


__all__ = [
    "DEFAULT_LIMITS",
    "LimitFlagError",
    "Limits",
    "add_limit_option",
    "command_scope",
    "current_limits",
    "exceeded",
    "exceeded_zh",
    "parse_flag",
    "set_command_limits",
    "use_limits",
]
