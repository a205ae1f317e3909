"""``load_submission``: any container of the data contract -> :class:`Submission`."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .._yaml import YamlLimitError, dates_as_written, key_lines, load_bounded, read_yaml_text
from ..errors import SubmissionError
from ..limits import Limits, use_limits
from ..models import Finding, InputFile
from ..submission import Submission, Table
from ..tables import (
    MANIFEST,
    TABLES,
    Manifest,
    normalize_header,
    plugin_tables,
)
from .assemble import build_manifest, build_table
from .base import RawTable, Reader
from .duckdb_native import NATIVE
from .headers import resolve_table, table_name_findings, variant_key
from .problems import Place, read_finding
from .records import document_tables, mapping_table

MANIFEST_FILES = ("submission.yaml", "submission.yml")
MANIFEST_NAMES = {normalize_header(n) for n in ("manifest", MANIFEST.zh, "清单", "submission")}


def is_manifest(label: str) -> bool:
    """A sheet or key naming the manifest (``说明``, also in traditional characters: 說明)."""
    return variant_key(label) in {variant_key(n) for n in MANIFEST_NAMES}


def load_submission(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    host: Any,
    follow_symlinks: bool = False,
    limits: Limits | None = None,
    backend: Any = None,
) -> Submission:
    """Read a submission from a folder, a workbook, a JSON document, any single
    table file, or an in-memory mapping ``{"manifest": {...}, "schools": [...]}``
    whose tables are lists of records or data frames (polars, pandas ...).

    Every file read is listed in ``Submission.files`` with its SHA-256 (a
    submission given in memory has none).

    :param host: the :class:`~supervise_rules.PluginHost` whose readers and
        tables to use (:func:`supervise_rules.load_submission` makes the default one).
    :param follow_symlinks: read a folder's table file or manifest that is a
        symbolic link resolving outside the folder; without it such a file is
        refused (a link resolving inside the folder is always read).
    :param limits: the bounds on every file read (:class:`~supervise_rules.limits.Limits`;
        default: the limits in force, see ``docs/reliability.md``).
    :param backend: the backend the submission will be checked on (a name or a
        :class:`~supervise_rules.Backend`). A backend that reads tables where they
        live (``duckdb``: its ``scanner()``) reads the files it can itself; the
        submission then remembers that backend, and :func:`~supervise_rules.check`
        runs on it.
    :raises SubmissionError: a file cannot be read at all, the manifest is bad,
        a file is a link to outside the folder, or a file exceeds a limit.
    """
    # the host's plugin tables (register_tables hook) become known tables
    engine = backend
    if isinstance(backend, str):
        # a name: the host's backend of that name (an unknown one reads as polars
        # does; the check that follows says it is unknown)
        registered = (getattr(host, "backends", None) or {}).get(backend)
        engine = registered() if registered is not None else None
    with plugin_tables(getattr(host, "tables", {})), use_limits(limits):
        submission = _load_submission(source, host, follow_symlinks, engine)
    if engine is not None and getattr(engine, "scanner", None) is not None:
        submission._backend = engine  # its connection holds the tables' relations
    return submission


def _load_submission(
    source: str | os.PathLike[str] | Mapping[str, Any],
    host: Any,
    follow_symlinks: bool = False,
    engine: Any = None,
) -> Submission:
    if isinstance(source, Mapping):
        builder = _Builder(source=None)
        builder.add_document(source)
        return builder.finish()
    path = Path(source)
    readers = _readers_by_suffix(host)
    scanner = getattr(engine, "scanner", None)
    builder = _Builder(source=shown_name(str(source)), native=scanner() if scanner is not None else None)
    if path.is_dir():
        _load_folder(path, readers, builder, follow_symlinks)
    elif path.is_file():
        name = shown_name(path.name)
        builder.add_file(path, name, _reader_for(path, readers, name))
        builder.record(path, name)
        if path.suffix.lower() == ".duckdb" and builder.manifest is None:
            _manifest_beside(path, builder, follow_symlinks)
    else:
        raise SubmissionError(f"{source} does not exist.")
    if not builder.has_tables:  # files a clerk sent, none of them a table: a usage error
        raise SubmissionError(builder.nothing_recognised())
    return builder.finish()


def _load_folder(
    folder: Path, readers: dict[str, Reader], builder: _Builder, follow_symlinks: bool = False
) -> None:
    root = folder.resolve()
    manifest = None
    for name in MANIFEST_FILES:
        if (folder / name).is_file():
            _check_inside(folder / name, root, follow_symlinks)
            builder.add_manifest(_yaml_manifest(folder / name), Place(name, None, "record"))
            builder.record(folder / name, name)
            manifest = name
            break
    for path in sorted(folder.iterdir()):
        if path.name == manifest or _unseen(path):
            continue
        reader = readers.get(path.suffix.lower())
        if path.is_file() and reader is not None and path.name not in MANIFEST_FILES:
            _check_inside(path, root, follow_symlinks)
            builder.add_file(path, shown_name(path.name), reader)
            builder.record(path, shown_name(path.name))
        elif path.is_file() or path.is_dir():
            builder.not_read(shown_name(path.name), *_why_not_read(path, readers, manifest))


def _manifest_beside(path: Path, builder: _Builder, follow_symlinks: bool) -> None:
    """A database without a ``submission`` table: the ``submission.yaml`` in its
    folder is its manifest."""
    folder = path.parent
    for name in MANIFEST_FILES:
        if (folder / name).is_file():
            _check_inside(folder / name, folder.resolve(), follow_symlinks)
            builder.add_manifest(_yaml_manifest(folder / name), Place(name, None, "record"))
            builder.record(folder / name, name)
            return


def _check_inside(path: Path, root: Path, follow_symlinks: bool) -> None:
    """Refuse a file of the folder that is a symbolic link resolving
    outside the folder, unless links are to be followed: the report must be
    about the data the clerk put in the folder, not about a file elsewhere."""
    if follow_symlinks:
        return
    target = path.resolve()
    if target.is_relative_to(root):
        return
    raise SubmissionError(
        f"{shown_name(path.name)} is a symbolic link to {shown_name(str(target))}, outside the "
        f"submission folder {shown_name(str(root))}: it was not read. Copy the file into the "
        "folder, or give --follow-symlinks (library: follow_symlinks=True) to read it where it is."
    )


def shown_name(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (kept by the file system as
    surrogate escapes, which no output can encode) shown as U+FFFD."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return name


#: bytes read at a time to compute a file's digest
DIGEST_CHUNK = 1 << 20


def file_digest(path: Path, name: str) -> InputFile:
    """The SHA-256 and size of a file, read in 1 MiB chunks (never whole)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(DIGEST_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise SubmissionError(f"{name} cannot be read: {exc.strerror or exc}.") from exc
    return InputFile(path=name, sha256=digest.hexdigest(), bytes=size)


#: files the system, not the clerk, puts in a folder (hidden on Windows)
_SYSTEM_FILES = {"thumbs.db", "desktop.ini"}


def _unseen(path: Path) -> bool:
    """A file the clerk does not see and did not make: a dot-file, an Excel lock
    file ``~$…``, a Windows system file, a file with the Windows hidden attribute."""
    if path.name.startswith((".", "~$")) or path.name.casefold() in _SYSTEM_FILES:
        return True
    try:
        attributes = getattr(path.stat(), "st_file_attributes", 0)
    except OSError:  # a broken link: neither a file nor a folder, nothing to read
        return True
    return bool(attributes & stat.FILE_ATTRIBUTE_HIDDEN)


def _why_not_read(path: Path, readers: dict[str, Reader], manifest: str | None) -> tuple[str, str]:
    """Why a file of a submission folder is not read, (zh, en)."""
    if path.is_dir():
        return "是文件夹（子文件夹中的文件不读取）", "it is a folder (files in subfolders are not read)"
    if path.name in MANIFEST_FILES:
        return f"是第二份清单（已读取 {manifest}）", f"it is a second manifest ({manifest} was read)"
    known_zh, known_en = "、".join(sorted(readers)), ", ".join(sorted(readers))
    if not path.suffix:
        return (
            f"没有扩展名，无法判断格式（可读取：{known_zh}）",
            f"it has no suffix, so its format is unknown (readable: {known_en})",
        )
    return (
        f"没有读取 {path.suffix} 文件的读取器（可读取：{known_zh}）",
        f"no reader reads '{path.suffix}' files (readable: {known_en})",
    )


def _reader_for(path: Path, readers: dict[str, Reader], display: str) -> Reader:
    reader = readers.get(path.suffix.lower())
    if reader is None:
        known = ", ".join(sorted(readers))
        raise SubmissionError(
            f"{display}: no reader for '{path.suffix or path.name}' files (known: {known})."
        )
    return reader


def _yaml_manifest(path: Path) -> RawTable:
    try:
        text = read_yaml_text(path, encoding="utf-8-sig")
        # an impossible date (as_of: 2024-02-30) stays text: build_manifest reports it at its line
        data = load_bounded(dates_as_written(YAML(typ="safe")), text)
    except YamlLimitError as exc:  # size, nesting, alias expansion (limits.py)
        where = f"{path.name}:{exc.line}" if exc.line else path.name
        raise SubmissionError(f"{where}: {exc.message}") from None
    except (YAMLError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"{path.name} is not valid YAML: {exc}") from exc
    except OSError as exc:
        raise SubmissionError(f"{path.name} cannot be read: {exc.strerror or exc}") from None
    if data is None:
        raise SubmissionError(f"{path.name} is empty.")
    table = mapping_table(data, name=path.name, where=path.name)
    return dataclasses.replace(table, extra={**table.extra, "lines": key_lines(text)})


class _Builder:
    """Collects tables, the manifest, encodings and problems from readers."""

    def __init__(self, source: str | None, native: Any = None):
        self.source = source
        #: a backend's scanner (``duckdb``) that reads the files it can where they are
        self.native = native
        self.tables: dict[str, Table] = {}
        self.origin: dict[str, str] = {}
        self.manifest: Manifest | None = None
        self.manifest_origin: str | None = None
        self.encodings: dict[str, str] = {}
        self.problems: list[Finding] = []
        #: tables seen that are not of the contract, as the clerk knows them
        self.unrecognised: list[str] = []
        #: every file read, with its digest
        self.files: dict[str, InputFile] = {}
        #: tables met before any manifest, typed once its as_of is known
        self.pending: dict[str, tuple[RawTable, Place]] = {}

    def record(self, path: Path, name: str) -> None:
        """Note a file read (``name``: relative to the submission, POSIX form)."""
        if name not in self.files:
            self.files[name] = file_digest(path, name)

    def add_file(self, path: Path, display: str, reader: Reader) -> None:
        raws = self.native.read(path, display, reader) if self.native is not None else None
        if raws is None:
            raws = reader.read(path)
        if not raws:
            raise SubmissionError(f"{display} holds no table.")
        for raw in raws:
            if raw.encoding:
                self.encodings[display] = raw.encoding
        hidden = [raw for raw in raws if raw.hidden]
        raws = [raw for raw in raws if not raw.hidden]
        stem = resolve_table(shown_name(path.stem))
        if stem.table is not None and len(raws) == 1:
            place = Place(display, raws[0].name, raws[0].locator)
            self.problems += table_name_findings(stem, place)
            self.add_table(raws[0], stem.table, place)
        else:
            # the manifest first, wherever its sheet is: its as_of bounds the tables' dates
            raws.sort(key=lambda raw: not is_manifest(raw.name or ""))
            for raw in raws:
                label = raw.name if raw.name is not None else shown_name(path.stem)
                self.add_named(raw, label, Place(display, raw.name, raw.locator))
        for raw in hidden:
            self.add_hidden(raw, raw.name or shown_name(path.stem), Place(display, raw.name, raw.locator))

    def add_document(self, document: Mapping[str, Any]) -> None:
        doc = dict(document)
        if isinstance(doc.get("manifest"), Manifest):
            doc["manifest"] = doc["manifest"].model_dump(exclude_none=True)
        raws = document_tables(doc, where="submission", stem_table=False)
        for raw in sorted(raws, key=lambda raw: not is_manifest(raw.name or "")):
            self.add_named(raw, raw.name or "", Place(None, raw.name, raw.locator))

    def add_hidden(self, raw: RawTable, label: str, place: Place) -> None:
        """A hidden sheet: read when its name is a contract table or the manifest,
        reported (READ-13) either way."""
        zh, en = place.table()
        if raw.hidden == "veryhidden":
            kind_zh = "深度隐藏工作表（veryHidden，Excel 的“取消隐藏”中不列出）"
            kind_en = "a very hidden sheet (veryHidden: Excel's Unhide does not list it)"
        else:
            kind_zh, kind_en = "隐藏工作表", "a hidden sheet"
        if is_manifest(label):
            table: str | None = "manifest"
            read_zh, read_en = f"已作为清单（{MANIFEST.zh}）读取", "it was read as the manifest"
        else:
            table = resolve_table(label).table  # add_named says how it was matched
            if table is not None:
                read_zh = f"已作为「{TABLES[table].zh}」表读取并检查"
                read_en = f"it was read and checked as table {table}"
        if table is None:
            self.problems.append(
                read_finding(
                    "READ-13",
                    zh=f"{zh}是{kind_zh}，不是数据规范中的表，未读取"
                    f"（可用的表：{'、'.join(s.zh for s in TABLES.values())}）",
                    en=f"{en} is {kind_en} and not a table of the data contract; it was "
                    f"not read (tables: {', '.join(TABLES)})",
                    table=label,
                )
            )
            return
        self.problems.append(
            read_finding(
                "READ-13", zh=f"{zh}是{kind_zh}，{read_zh}", en=f"{en} is {kind_en}; {read_en}", table=table
            )
        )
        self.add_named(raw, label, place)

    def not_read(self, name: str, why_zh: str, why_en: str) -> None:
        """A file or folder of a submission folder that is not read (READ-14)."""
        self.problems.append(
            read_finding(
                "READ-14",
                zh=f"「{name}」未读取：{why_zh}",
                en=f"{name} was not read: {why_en}",
                table=name,
            )
        )

    def add_named(self, raw: RawTable, label: str, place: Place) -> None:
        if is_manifest(label):
            self.add_manifest(raw, place)
            return
        match = resolve_table(label)
        self.problems += table_name_findings(match, place)
        table = match.table
        if table is None:
            self.unrecognised.append(place.table()[1] + (" (empty)" if raw.frame.height == 0 else ""))
            if raw.frame.height == 0 or match.candidates:
                return  # nothing to ignore, or READ-10 said why
            zh, en = place.table()
            self.problems.append(
                read_finding(
                    "READ-05",
                    zh=f"{zh}：「{label}」不是数据规范中的表，已忽略"
                    f"（可用的表：{'、'.join(s.zh for s in TABLES.values())}）",
                    en=f"{en}: '{label}' is not a table of the data contract and was "
                    f"ignored (tables: {', '.join(TABLES)})",
                    table=label,
                )
            )
            return
        self.add_table(raw, table, place)

    def add_table(self, raw: RawTable, table: str, place: Place) -> None:
        en = place.table()[1]
        if table in self.origin:
            raise SubmissionError(
                f"table {table} ({TABLES[table].zh}) is given twice: in {self.origin[table]} and in {en}."
            )
        self.origin[table] = en
        if self.manifest is None:  # a manifest may still come (a later file or sheet)
            self.pending[table] = (raw, place)
            return
        self._build(raw, table, place)

    def _build(self, raw: RawTable, table: str, place: Place) -> None:
        as_of = self.manifest.as_of if self.manifest is not None else None
        scan = raw.extra.get(NATIVE)
        native = self.native.build(raw, TABLES[table], place, as_of) if scan is not None else None
        if native is not None:
            built, problems = native
        else:
            if scan is not None:  # a reader feature the native path has not: the polars readers
                raw = scan.fallback()  # type: ignore[attr-defined]
            built, problems = build_table(raw, TABLES[table], place, as_of)
        self.tables[table] = built
        self.problems += problems

    @property
    def has_tables(self) -> bool:
        return bool(self.origin)

    def add_manifest(self, raw: RawTable, place: Place) -> None:
        en = place.table()[1]
        if self.manifest is not None:
            raise SubmissionError(f"the manifest is given twice: in {self.manifest_origin} and in {en}.")
        self.manifest = build_manifest(raw, place)
        self.manifest_origin = en

    def finish(self) -> Submission:
        for table, (raw, place) in list(self.pending.items()):
            del self.pending[table]
            self._build(raw, table, place)
        problems = list(self.problems)
        if self.manifest is None:
            where = self.source or "the submission"
            problems.append(
                read_finding(
                    "READ-06",
                    zh=f"{where} 没有清单（submission.yaml 或「说明」工作表），区县、年度和统计截止日期未知",
                    en=f"{where} has no manifest (submission.yaml or a 'manifest' sheet); "
                    "county, year and as-of date are unknown",
                    table="manifest",
                )
            )
        return Submission(
            manifest=self.manifest or Manifest(),
            tables={name: self.tables[name] for name in TABLES if name in self.tables},
            source=self.source,
            encodings=dict(sorted(self.encodings.items())),
            files=[self.files[name] for name in sorted(self.files)],
            problems=problems,
        )

    def nothing_recognised(self) -> str:
        """The usage error of a folder or file in which no table of the contract
        is recognised: what was found, what was expected. (An in-memory mapping
        without tables is a program's choice, e.g. a rule case on absent tables.)"""
        where = self.source or "the submission"
        found = list(self.unrecognised)
        found += [
            f"{p.evidence[0].table} (not read)"
            for p in self.problems
            if p.rule_id in ("READ-13", "READ-14") and p.evidence
        ]
        if self.manifest_origin:
            found.insert(0, f"{self.manifest_origin} (the manifest)")
        if not found:
            seen = "nothing at all"
        elif self.manifest_origin and len(found) == 1:
            seen = f"only the manifest ({self.manifest_origin})"
        else:
            seen = "; ".join(found)
        expected = ", ".join(f"{s.name} ({s.zh})" for s in TABLES.values())
        return (
            f"{where}: no table of the data contract was recognised, so there is nothing to "
            f"check. Found: {seen}. Expected at least one of these tables, as a file name "
            f"(schools.csv, 学校.xlsx), a sheet name or a JSON key, in English or Chinese: "
            f"{expected}."
        )


def _readers_by_suffix(host: Any) -> dict[str, Reader]:
    by_suffix: dict[str, Reader] = {}
    for reader in _host_readers(host):
        for suffix in reader.suffixes:
            by_suffix.setdefault(suffix.lower(), reader)
    return by_suffix


def _host_readers(host: Any) -> Iterable[Reader]:
    readers: list[Reader] = host.readers
    return readers
