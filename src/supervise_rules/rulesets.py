"""Load ruleset YAML files, resolve ``extends``, and validate every rule.

Files are read with ruamel.yaml's round-trip loader, which keeps the line of
every key and item and never constructs arbitrary Python objects. Every problem
(YAML syntax, unknown key, wrong type, unknown validator, a bad parameter for
that validator, duplicate id, extends cycle) is collected and raised together
as a :class:`~supervise_rules.errors.RulesetError` of ``file:line: message``.

Parsing the shipped rulesets with ruamel costs more than checking a county's
submission, so the plain data of each file that a plugin provides (the shipped
ones included) is cached as JSON, keyed on the file's content; see
:class:`_FileCache`. Only the YAML parse is cached: every run still validates
the data through the same models, and a load that finds any problem is redone
from the YAML so that every message and line is exactly what it always was.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .errors import RulesetError
from .models import LocalizedText, Severity
from .rules import DisabledRule, MessageTemplates, Rule, RuleDocs, RulesetFile

if TYPE_CHECKING:
    from .plugins import PluginHost


@dataclass(frozen=True)
class RulesetSource:
    """A ruleset a plugin makes available by id (``--ruleset ID``)."""

    id: str
    path: Path
    plugin: str | None = None


@dataclass(frozen=True)
class ResolvedRule:
    """A rule after inheritance, with its validator's parameters validated."""

    rule: Rule
    params: BaseModel
    defined_in: str

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def title(self) -> LocalizedText:
        return self.rule.title

    @property
    def severity(self) -> Severity:
        return self.rule.severity


@dataclass(frozen=True)
class Ruleset:
    """A loaded, validated ruleset: its rules (``extends`` resolved) and those it disables."""

    id: str
    version: str
    title: LocalizedText
    rules: list[ResolvedRule]
    disabled: dict[str, DisabledRule] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def rule(self, rule_id: str) -> ResolvedRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def builtin_ruleset_dir() -> Path:
    """Where the shipped rulesets are: inside the wheel, or the repository's
    ``rulesets/`` folder when running from a source checkout (editable install)."""
    packaged = Path(__file__).with_name("_rulesets")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rulesets"


def discover_rulesets(directory: Path, plugin: str | None = None) -> list[RulesetSource]:
    """Every ``*.yaml`` under ``directory``; its id is its path without suffix."""
    sources = []
    for path in sorted(directory.rglob("*.yaml")):
        rel = path.relative_to(directory).with_suffix("")
        sources.append(RulesetSource(id=rel.as_posix(), path=path, plugin=plugin))
    return sources


# --- reading YAML with positions -----------------------------------------------------


@dataclass
class _Doc:
    path: str
    #: the round-trip nodes (CommentedMap), or ``None`` for a file read from the cache
    data: Any
    #: the same document as plain dicts, lists and scalars
    plain: dict[str, Any]

    def line(self, loc: tuple[Any, ...]) -> int | None:
        """1-based line of the node at ``loc`` (a pydantic error location); ``None``
        for a cached file, whose problems are reported by loading again from YAML."""
        if self.data is None:
            return None
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        node = self.data
        line = _start_line(node)
        for key in loc:
            if isinstance(node, CommentedMap) and key in node:
                line = node.lc.key(key)[0] + 1
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
                line = node.lc.item(key)[0] + 1
                node = node[key]
            else:
                break
        return line


def _start_line(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else None


def _read_yaml(path: Path) -> _Doc:
    from ._yaml import YamlLimitError, read_yaml_text

    text_path = str(path)
    try:
        text = read_yaml_text(path)
    except YamlLimitError as exc:
        raise RulesetError([(text_path, exc.line, exc.message)]) from None
    except FileNotFoundError:
        raise RulesetError([(text_path, None, "no such ruleset file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesetError([(text_path, None, f"cannot be read: {exc}")]) from None
    return _parse_yaml(text_path, text)


def _parse_yaml(text_path: str, text: str) -> _Doc:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from ._yaml import YamlLimitError, dates_as_written, find_tag, load_bounded, plain

    # round-trip keeps positions; it builds no Python objects from tags; an impossible
    # date stays text, reported at its line by the schema that reads it
    yaml = dates_as_written(YAML(typ="rt"))
    try:
        data = load_bounded(yaml, text)  # size, nesting and alias expansion bounded
    except YamlLimitError as exc:
        raise RulesetError([(text_path, exc.line, exc.message)]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RulesetError([(text_path, line, f"YAML syntax error: {exc.problem or exc}")]) from None
    except YAMLError as exc:
        raise RulesetError([(text_path, None, f"YAML error: {exc}")]) from None
    if not isinstance(data, CommentedMap):
        raise RulesetError([(text_path, 1, "a ruleset must be a mapping with id, version, rules …")])
    tagged = find_tag(data)
    if tagged:
        raise RulesetError([(text_path, *tagged)])
    return _Doc(text_path, data, plain(data))


def _format_loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _validation_problems(
    doc: _Doc, exc: ValidationError, prefix: tuple[Any, ...] = ()
) -> list[tuple[str, int | None, str]]:
    problems = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}"
        elif err["type"] == "missing":
            message = f"missing required key {loc[-1]!r}"
        where = _format_loc(loc)
        problems.append((doc.path, doc.line(loc), f"{where}: {message}" if where else message))
    return problems


# --- resolution ------------------------------------------------------------------------


@dataclass
class _Entry:
    """A rule being resolved, with where each part came from (for error lines)."""

    data: dict[str, Any]
    doc: _Doc
    loc: tuple[Any, ...]
    params_doc: _Doc
    params_loc: tuple[Any, ...]
    #: where the message was last written (the rule, or an override of it)
    message_doc: _Doc | None = None
    message_loc: tuple[Any, ...] = ()

    def message_line(self, lang: str) -> tuple[str, int | None]:
        doc, loc = (
            (self.message_doc, self.message_loc) if self.message_doc else (self.doc, (*self.loc, "message"))
        )
        return doc.path, doc.line((*loc, lang))


def load_ruleset(ref: str | Path, *, host: PluginHost) -> Ruleset:
    """Load a ruleset by id (``helan-2024``) or by path to a YAML file, with the
    validators and rulesets of ``host`` (:func:`supervise_rules.load_ruleset`
    makes the default host).

    :raises RulesetError: every problem found, each as ``file:line: message``.
    """
    cache = _FileCache.from_environment()
    loader = _Loader(host, cache)
    top = loader.resolve_ref(str(ref), base=None, origin=None)
    try:
        ruleset = loader.load(top)
    except Exception:
        if not loader.cache_hits:
            raise
        # A cached file has no line numbers: find and word the problems from the YAML.
        # If the YAML is fine after all, the cache was wrong and is written again.
        loader = _Loader(host, cache, read_cache=False)
        ruleset = loader.load(top)
    loader.save_to_cache()
    return ruleset


class _Loader:
    def __init__(self, host: PluginHost, cache: _FileCache | None = None, *, read_cache: bool = True):
        self.host = host
        self.problems: list[tuple[str, int | None, str]] = []
        self.files: list[str] = []
        self.cache = cache
        self.read_cache = read_cache
        self.cache_hits = 0
        self._to_cache: dict[str, bytes] = {}
        self._provided: set[Path] | None = None

    def resolve_ref(self, ref: str, base: Path | None, origin: tuple[str, int | None] | None) -> Path:
        if ref.endswith((".yaml", ".yml")) or Path(ref).is_file():
            path = Path(ref)
            if not path.is_absolute() and base is not None:
                path = base.parent / path
            return path
        source = self.host.rulesets.get(ref)
        if source is None:
            known = ", ".join(sorted(self.host.rulesets)) or "none"
            where = origin or (ref, None)
            raise RulesetError([(where[0], where[1], f"unknown ruleset {ref!r} (known: {known})")])
        return Path(source.path)

    def load(self, path: Path) -> Ruleset:
        entries, order, disabled, head = self._load_file(path, stack=())
        rules = self._validate(entries, order)
        if self.problems:
            raise RulesetError(self.problems)
        return Ruleset(
            id=head.id,
            version=head.version,
            title=head.title,
            rules=rules,
            disabled=disabled,
            files=self.files,
        )

    def save_to_cache(self) -> None:
        """Keep the files parsed by a load that succeeded (never a failed one's)."""
        if self.cache is not None and self._to_cache:
            for key, payload in self._to_cache.items():
                self.cache.put(key, payload)
            self.cache.prune()

    def _read(self, path: Path) -> _Doc:
        if self.cache is None or not self._is_provided(path):
            return _read_yaml(path)
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return _read_yaml(path)  # which words the error as it always has
        key = self.cache.key(text)
        cached = self.cache.get(key) if self.read_cache else None
        if cached is not None:
            self.cache_hits += 1
            return _Doc(str(path), None, cached)
        # as read_text() would: universal newlines
        doc = _parse_yaml(str(path), text.replace("\r\n", "\n").replace("\r", "\n"))
        payload = _FileCache.serialize(doc.plain)  # now, before validation could touch the data
        if payload is not None:
            self._to_cache[key] = payload
        return doc

    def _is_provided(self, path: Path) -> bool:
        """A file of a ruleset a plugin provides (the shipped ones): installed,
        rarely changed, worth caching. A file a user points at is parsed each time."""
        if self._provided is None:
            self._provided = {Path(s.path).resolve() for s in self.host.rulesets.values()}
        return path.resolve() in self._provided

    def _load_file(
        self, path: Path, stack: tuple[Path, ...]
    ) -> tuple[dict[str, _Entry], list[str], dict[str, DisabledRule], RulesetFile]:
        doc = self._read(path)
        self.files.append(doc.path)
        try:
            head = RulesetFile.model_validate(doc.plain)
        except ValidationError as exc:
            raise RulesetError(_validation_problems(doc, exc)) from None

        entries: dict[str, _Entry] = {}
        order: list[str] = []
        disabled: dict[str, DisabledRule] = {}
        for i, parent_ref in enumerate(head.extends):
            origin = (doc.path, doc.line(("extends", i)))
            parent_path = self.resolve_ref(parent_ref, base=path, origin=origin)
            if parent_path.resolve() in {p.resolve() for p in (*stack, path)}:
                chain = " -> ".join(str(p) for p in (*stack, path, parent_path))
                raise RulesetError([(origin[0], origin[1], f"extends cycle: {chain}")])
            p_entries, p_order, p_disabled, _ = self._load_file(parent_path, (*stack, path))
            for rule_id in p_order:
                if rule_id in entries:
                    self.problems.append(
                        (
                            origin[0],
                            origin[1],
                            f"rule {rule_id} comes from two parents; extend only one of them",
                        )
                    )
                    continue
                entries[rule_id] = p_entries[rule_id]
                order.append(rule_id)
            disabled.update(p_disabled)

        raw_rules = doc.plain.get("rules") or []
        for i, rule in enumerate(head.rules):
            loc: tuple[Any, ...] = ("rules", i)
            if rule.id in entries:
                first = entries[rule.id]
                self.problems.append(
                    (
                        doc.path,
                        doc.line((*loc, "id")),
                        f"duplicate rule id {rule.id} (first defined at "
                        f"{first.doc.path}:{first.doc.line(first.loc)}); "
                        "to change an inherited rule use 'overrides'",
                    )
                )
                continue
            entries[rule.id] = _Entry(
                data=raw_rules[i],
                doc=doc,
                loc=loc,
                params_doc=doc,
                params_loc=(*loc, "params"),
            )
            order.append(rule.id)

        for rule_id, override in head.overrides.items():
            loc = ("overrides", rule_id)
            entry = entries.get(rule_id)
            if entry is None:
                self.problems.append((doc.path, doc.line(loc), f"override of unknown rule {rule_id}"))
                continue
            changes = override.model_dump(exclude_none=True, mode="json")
            data = copy.deepcopy(entry.data)
            params_doc, params_loc = entry.params_doc, entry.params_loc
            message_doc, message_loc = entry.message_doc, entry.message_loc
            for key, value in changes.items():
                if key == "params":
                    data["params"] = deep_merge(data.get("params") or {}, value)
                    params_doc, params_loc = doc, (*loc, "params")
                else:
                    data[key] = value
                    if key == "message":
                        message_doc, message_loc = doc, (*loc, "message")
            entries[rule_id] = _Entry(
                data, entry.doc, entry.loc, params_doc, params_loc, message_doc, message_loc
            )

        for point, rule_ids in head.work_points.items():
            for i, rule_id in enumerate(rule_ids):
                entry = entries.get(rule_id)
                if entry is None:
                    self.problems.append(
                        (
                            doc.path,
                            doc.line(("work_points", point, i)),
                            f"work point {point}: unknown rule {rule_id}",
                        )
                    )
                    continue
                entry.data = {**entry.data, "work_point": point}

        for rule_id, reason in head.disable.items():
            if rule_id not in entries:
                self.problems.append(
                    (doc.path, doc.line(("disable", rule_id)), f"cannot disable unknown rule {rule_id}")
                )
                continue
            disabled[rule_id] = reason
            order.remove(rule_id)
            del entries[rule_id]
        return entries, order, disabled, head

    def _validate(self, entries: dict[str, _Entry], order: list[str]) -> list[ResolvedRule]:
        resolved = []
        for rule_id in order:
            entry = entries[rule_id]
            try:
                rule = Rule.model_validate(entry.data)
            except ValidationError as exc:
                self.problems.extend(_validation_problems(entry.doc, exc, entry.loc))
                continue
            validator = self.host.validators.get(rule.validator)
            if validator is None:
                known = ", ".join(sorted(self.host.validators)) or "none"
                self.problems.append(
                    (
                        entry.doc.path,
                        entry.doc.line((*entry.loc, "validator")),
                        f"rule {rule.id}: unknown validator {rule.validator!r} (known: {known})",
                    )
                )
                continue
            try:
                params = validator.Params.model_validate(rule.params)
            except ValidationError as exc:
                for err in exc.errors():
                    loc = (*entry.params_loc, *err["loc"])
                    message = err["msg"]
                    if err["type"] == "extra_forbidden":
                        message = f"unknown parameter {err['loc'][-1]!r}"
                    elif err["type"] == "missing":
                        message = f"missing parameter {err['loc'][-1]!r}"
                    self.problems.append(
                        (
                            entry.params_doc.path,
                            entry.params_doc.line(loc),
                            f"rule {rule.id}: validator {rule.validator!r}: "
                            f"params.{_format_loc(err['loc'])}: {message}",
                        )
                    )
                continue
            except ValueError as exc:  # a validator's own semantic check of its params
                self.problems.append(
                    (
                        entry.params_doc.path,
                        entry.params_doc.line(entry.params_loc),
                        f"rule {rule.id}: validator {rule.validator!r}: {exc}",
                    )
                )
                continue
            unknown = _unknown_placeholders(rule, validator, params)
            if unknown:
                for lang, message in unknown:
                    path, line = entry.message_line(lang)
                    self.problems.append((path, line, f"rule {rule.id}: message.{lang}: {message}"))
                continue
            resolved.append(ResolvedRule(rule=rule, params=params, defined_in=entry.doc.path))
        return resolved


def _unknown_placeholders(rule: Rule, validator: Any, params: Any) -> list[tuple[str, str]]:
    """``(lang, problem)`` for each placeholder of the rule's messages that its
    validator does not provide (a validator that declares nothing: none)."""
    import difflib

    from .messages import parse_template

    try:
        known = validator.placeholders(params)
    except Exception:  # a plugin's declaration that fails: its rules are not checked
        return []
    if known is None:
        return []
    out = []
    for lang in ("zh", "en"):
        try:
            names = parse_template(getattr(rule.message, lang)).names
        except ValueError:
            continue  # the template's own syntax is checked with the rule model
        for name in dict.fromkeys(names):
            if name in known:
                continue
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            hint = f"; did you mean {{{close[0]}}}?" if close else ""
            out.append(
                (
                    lang,
                    f"placeholder {{{name}}} is not a value of validator "
                    f"{rule.validator!r} (its values: "
                    f"{', '.join('{' + k + '}' for k in sorted(known))}){hint}",
                )
            )
    return out


# --- the parsed-file cache -------------------------------------------------------------

#: raise when the cache file layout changes
_CACHE_FORMAT = 1
_DATE = "$date"


class _Uncacheable(Exception):
    """A value the JSON cache cannot carry exactly; the file is then parsed every time."""


class _FileCache:
    """Plain data of parsed ruleset files, one JSON file per file content.

    The entry's name is the SHA-256 of the YAML text together with what decides
    how it is parsed (this module's and ``_yaml``'s source, the versions of
    supervise-rules, ruamel.yaml and Python), so an edited file, an upgrade or a
    changed parser never meets an old entry. An entry is JSON, never pickle (a
    pickle would run code when read), carries the SHA-256 of its own payload, and
    is used only when it is a regular file of the current user that nobody else
    may write; anything else (unreadable, truncated, edited, foreign, the wrong
    shape) is ignored, and the entry is written again after the next good load.
    Everything read from it is validated by the ruleset models like fresh YAML.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self._salt: bytes | None = None

    @classmethod
    def from_environment(cls) -> _FileCache | None:
        if os.environ.get("SUPERVISE_RULES_NO_CACHE", "") not in ("", "0"):
            return None
        try:
            return cls(cache_dir() / "rulesets")
        except RuntimeError:  # no home directory to put it in
            return None

    def key(self, text: str) -> str:
        if self._salt is None:
            self._salt = _cache_salt()
        return hashlib.sha256(self._salt + text.encode("utf-8")).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            with open(self.directory / f"{key}.json", "rb") as fh:
                if not _trusted(os.fstat(fh.fileno())):
                    return None
                header, _, payload = fh.read().partition(b"\n")
            meta = json.loads(header)
            if (
                meta.get("format") != _CACHE_FORMAT
                or meta.get("key") != key
                or meta.get("sha256") != hashlib.sha256(payload).hexdigest()
            ):
                return None
            data = json.loads(payload, object_hook=_decode)
        except (OSError, ValueError, TypeError, AttributeError, RecursionError):
            return None
        return data if isinstance(data, dict) else None

    @staticmethod
    def serialize(data: dict[str, Any]) -> bytes | None:
        """The entry's payload, or ``None`` when JSON cannot carry ``data`` exactly."""
        try:
            return json.dumps(
                _encode(data), ensure_ascii=False, separators=(",", ":"), allow_nan=True
            ).encode("utf-8")
        except (_Uncacheable, RecursionError):
            return None

    def put(self, key: str, payload: bytes) -> None:
        header = json.dumps(
            {"format": _CACHE_FORMAT, "key": key, "sha256": hashlib.sha256(payload).hexdigest()}
        ).encode()
        tmp = None
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}.", suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "wb") as fh:
                fh.write(header + b"\n" + payload)
            os.replace(tmp, self.directory / f"{key}.json")
        except OSError:  # a read-only home or a full disk only costs the next run a parse
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def prune(self, max_age_days: int = 90) -> None:
        """Forget entries not written for ``max_age_days`` (old versions, edited files)."""
        import time

        cutoff = time.time() - max_age_days * 86400
        try:
            for entry in os.scandir(self.directory):
                if entry.name.endswith((".json", ".tmp")) and entry.stat().st_mtime < cutoff:
                    Path(entry.path).unlink(missing_ok=True)
        except OSError:
            pass


def cache_dir() -> Path:
    """Where supervise-rules keeps its caches: ``$SUPERVISE_RULES_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/supervise-rules``, else ``~/.cache/supervise-rules``.
    ``SUPERVISE_RULES_NO_CACHE=1`` turns caching off."""
    explicit = os.environ.get("SUPERVISE_RULES_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "supervise-rules"


def _cache_salt() -> bytes:
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "?"

    parts = [str(_CACHE_FORMAT), installed("supervise-rules"), installed("ruamel.yaml"), sys.version]
    # an editable install keeps its version while the parser changes under it
    for module in (Path(__file__), Path(__file__).with_name("_yaml.py")):
        try:
            parts.append(hashlib.sha256(module.read_bytes()).hexdigest())
        except OSError:
            parts.append("?")
    return ("\0".join(parts) + "\0").encode("utf-8")


def _trusted(st: os.stat_result) -> bool:
    import stat

    # written by someone else, it could say anything that passes validation
    ours = not hasattr(os, "geteuid") or (st.st_uid == os.geteuid() and not st.st_mode & 0o022)
    return stat.S_ISREG(st.st_mode) and ours


def _encode(node: Any) -> Any:
    """Plain YAML data as JSON data, dates tagged; :class:`_Uncacheable` for
    anything JSON would not give back exactly."""
    kind = type(node)
    if node is None or kind in (str, bool, int, float):
        return node
    if kind is dict:
        if node.keys() == {_DATE}:
            raise _Uncacheable  # would read back as a date
        return {k: _encode(v) for k, v in node.items()}
    if kind is list:
        return [_encode(v) for v in node]
    if kind is dt.date:
        return {_DATE: node.isoformat()}
    from ruamel.yaml.scalarfloat import ScalarFloat
    from ruamel.yaml.scalarint import ScalarInt

    if isinstance(node, ScalarFloat):  # a float that remembers its YAML spelling
        return float(node)
    if isinstance(node, ScalarInt):
        return int(node)
    raise _Uncacheable(kind.__name__)  # datetimes with zones, anchored booleans …


def _decode(obj: dict[str, Any]) -> Any:
    if obj.keys() == {_DATE}:
        return dt.date.fromisoformat(obj[_DATE])
    return obj


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` merged in, nested mappings key by key (how an
    override or a test case changes a rule's params); ``base`` is not modified."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


__all__ = [
    "MessageTemplates",
    "ResolvedRule",
    "RuleDocs",
    "Ruleset",
    "RulesetSource",
    "builtin_ruleset_dir",
    "cache_dir",
    "discover_rulesets",
    "load_ruleset",
]
