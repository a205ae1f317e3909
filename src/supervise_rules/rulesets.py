"""Load ruleset YAML files, resolve ``extends``, and validate every rule.

Files are read with ruamel.yaml's round-trip loader, which keeps the line of
every key and item and never constructs arbitrary Python objects. Every problem
(YAML syntax, unknown key, wrong type, unknown validator, a bad parameter for
that validator, duplicate id, extends cycle) is collected and raised together
as a :class:`~supervise_rules.errors.RulesetError` of ``file:line: message``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ._yaml import find_tag, plain
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
    data: Any  # CommentedMap

    def line(self, loc: tuple[Any, ...]) -> int | None:
        """1-based line of the node at ``loc`` (a pydantic error location)."""
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
    text_path = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesetError([(text_path, None, "no such ruleset file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesetError([(text_path, None, f"cannot be read: {exc}")]) from None
    yaml = YAML(typ="rt")  # round-trip keeps positions; it builds no Python objects from tags
    try:
        data = yaml.load(text)
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
    return _Doc(text_path, data)


def _format_loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _validation_problems(doc: _Doc, exc: ValidationError, prefix: tuple = ()) -> list:
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


def load_ruleset(ref: str | Path, *, host: PluginHost | None = None) -> Ruleset:
    """Load a ruleset by id (``helan-2024``) or by path to a YAML file.

    :raises RulesetError: every problem found, each as ``file:line: message``.
    """
    if host is None:
        from .plugins import get_plugin_host

        host = get_plugin_host()
    loader = _Loader(host)
    top = loader.resolve_ref(str(ref), base=None, origin=None)
    return loader.load(top)


class _Loader:
    def __init__(self, host: PluginHost):
        self.host = host
        self.problems: list[tuple[str, int | None, str]] = []
        self.files: list[str] = []

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

    def _load_file(self, path: Path, stack: tuple[Path, ...]):
        doc = _read_yaml(path)
        self.files.append(doc.path)
        try:
            head = RulesetFile.model_validate(plain(doc.data))
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
                        (origin[0], origin[1],
                         f"rule {rule_id} comes from two parents; extend only one of them")
                    )
                    continue
                entries[rule_id] = p_entries[rule_id]
                order.append(rule_id)
            disabled.update(p_disabled)

        raw_rules = doc.data.get("rules") or []
        for i, rule in enumerate(head.rules):
            loc = ("rules", i)
            if rule.id in entries:
                first = entries[rule.id]
                self.problems.append(
                    (doc.path, doc.line((*loc, "id")),
                     f"duplicate rule id {rule.id} (first defined at "
                     f"{first.doc.path}:{first.doc.line(first.loc)}); "
                     "to change an inherited rule use 'overrides'")
                )
                continue
            entries[rule.id] = _Entry(
                data=plain(raw_rules[i]), doc=doc, loc=loc,
                params_doc=doc, params_loc=(*loc, "params"),
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
            for key, value in changes.items():
                if key == "params":
                    data["params"] = _deep_merge(data.get("params") or {}, value)
                    params_doc, params_loc = doc, (*loc, "params")
                else:
                    data[key] = value
            entries[rule_id] = _Entry(data, entry.doc, entry.loc, params_doc, params_loc)

        for point, rule_ids in head.work_points.items():
            for i, rule_id in enumerate(rule_ids):
                entry = entries.get(rule_id)
                if entry is None:
                    self.problems.append((doc.path, doc.line(("work_points", point, i)),
                                          f"work point {point}: unknown rule {rule_id}"))
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
                    (entry.doc.path, entry.doc.line((*entry.loc, "validator")),
                     f"rule {rule.id}: unknown validator {rule.validator!r} (known: {known})")
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
                        (entry.params_doc.path, entry.params_doc.line(loc),
                         f"rule {rule.id}: validator {rule.validator!r}: "
                         f"params.{_format_loc(err['loc'])}: {message}")
                    )
                continue
            except ValueError as exc:  # a validator's own semantic check of its params
                self.problems.append(
                    (entry.params_doc.path, entry.params_doc.line(entry.params_loc),
                     f"rule {rule.id}: validator {rule.validator!r}: {exc}")
                )
                continue
            resolved.append(ResolvedRule(rule=rule, params=params, defined_in=entry.doc.path))
        return resolved


def _deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
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
    "discover_rulesets",
    "load_ruleset",
]
