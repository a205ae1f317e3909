"""Which rules a run checks: ``--select`` / ``--ignore``, as ruff does it.

A selector is a rule id (``BAL-05``), an id prefix (``BAL``, ``INS-0``), a work
point (``wp:7``), a severity (``major``) or ``ALL``. A rule is checked when a
``select`` selector matches it (or ``select`` is empty) and no ``ignore``
selector does. The selectors come from, in order of precedence: the command
line, the submission's manifest (``select:`` / ``ignore:``), then the project
config (``supervise-rules.toml``, or ``[tool.supervise-rules]`` in
``pyproject.toml``) found in the current folder or the nearest parent that has
one. Each key is taken whole from the first place that sets it: ``--select``
replaces the config's ``select``, it does not add to it.

Everything here is a pure function of its arguments except
:func:`project_config`, which reads the config file; the CLI and
:func:`supervise_rules.check` share them, so both select the same rules.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .errors import SuperviseRulesError

SEVERITIES = ("critical", "major", "minor", "info")
#: the project config files looked for, in order, in each folder
CONFIG_FILES = ("supervise-rules.toml", "pyproject.toml")
#: a config file larger than this is refused: it is a few lines of selectors
MAX_CONFIG_BYTES = 1 << 20


class _RuleLike(Protocol):
    @property
    def id(self) -> str: ...


@dataclass(frozen=True)
class RuleKey:
    """What a selector looks at: a rule's id, severity and work point."""

    id: str
    severity: str
    work_point: str | None = None


@dataclass(frozen=True)
class Selection:
    """``select`` and ``ignore`` selectors; ``None``: not set here (a lower
    source decides), ``()``: set to nothing."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    #: where the selectors came from, for error messages ("--select", a file …)
    origin: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.select and not self.ignore


def parse_selectors(value: str | Iterable[str] | None, where: str = "") -> tuple[str, ...] | None:
    """``"BAL, wp:7"`` or ``["BAL", "wp:7"]`` -> ``("BAL", "WP:7")`` (normalised);
    ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, str):
        # a manifest's cells are text: "[BAL-05, BAL-21]" or '["BAL"]' is a list too
        text = value.strip()
        items: list[Any] = [text[1:-1] if text[:1] == "[" and text[-1:] == "]" else text]
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        raise SuperviseRulesError(
            f"{where}: selectors must be a list of rule ids or prefixes, not {type(value).__name__}"
        )
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise SuperviseRulesError(f"{where}: selector {item!r} is not text")
        out += [_normal(part.strip().strip("'\"")) for part in item.split(",") if part.strip().strip("'\"")]
    return tuple(out)


def _normal(selector: str) -> str:
    s = selector.strip()
    if s.lower() in SEVERITIES:
        return s.lower()
    if s.lower().startswith("wp:"):
        return "wp:" + s[3:].strip()
    return s.upper()


def matches(selector: str, rule: RuleKey) -> bool:
    if selector == "ALL":
        return True
    if selector in SEVERITIES:
        return rule.severity == selector
    if selector.startswith("wp:"):
        return rule.work_point == selector[3:]
    return rule.id == selector or rule.id.startswith(selector)


def merge(*sources: Selection) -> Selection:
    """The selection in force: each key from the first source that sets it."""
    select = next((s for s in sources if s.select is not None), None)
    ignore = next((s for s in sources if s.ignore is not None), None)
    return Selection(
        select=select.select if select else None,
        ignore=ignore.ignore if ignore else None,
        origin=", ".join(dict.fromkeys(s.origin for s in (select, ignore) if s is not None and s.origin)),
    )


def is_selected(rule: RuleKey, selection: Selection) -> bool:
    if selection.select and not any(matches(s, rule) for s in selection.select):
        return False
    return not (selection.ignore and any(matches(s, rule) for s in selection.ignore))


def check_selectors(selection: Selection, known: Sequence[RuleKey]) -> None:
    """Refuse a selector that matches no known rule (a typo would otherwise
    silently check nothing, or everything), with the nearest ids offered."""
    ids = sorted({k.id for k in known})
    for selector in (*(selection.select or ()), *(selection.ignore or ())):
        if selector == "ALL" or selector in SEVERITIES:
            continue
        if any(matches(selector, k) for k in known):
            continue
        if selector.startswith("wp:"):
            points = ", ".join(
                sorted({k.work_point for k in known if k.work_point}, key=lambda p: (len(p), p))
            )
            hint, hint_zh = f"work points: {points}", f"已有的工作要点：{points}"
        else:
            prefixes = sorted({i.split("-")[0] for i in ids})
            near = [*ids, *prefixes]
            hint = did_you_mean(selector, near) or f"prefixes: {', '.join(prefixes)}"
            hint_zh = did_you_mean(selector, near, lang="zh") or f"已有的前缀：{'、'.join(prefixes)}"
        where = f" ({selection.origin})" if selection.origin else ""
        exc = SuperviseRulesError(f"selector {selector!r}{where} matches no rule; {hint}")
        exc.zh = f"选择条件 {selector!r}{where}不对应任何规则；{hint_zh}"
        raise exc


def did_you_mean(word: str, choices: Iterable[str], *, lang: str = "en") -> str:
    """``"did you mean 'list-rules'?"`` for the closest choices, else ``""``."""
    choices = list(dict.fromkeys(choices))
    folded = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(folded), n=3, cutoff=0.6)
    if not close:
        return ""
    shown = " / ".join(repr(folded[c]) for c in close)
    return f"是不是要输入 {shown}？" if lang == "zh" else f"did you mean {shown}?"


def select_rules(
    rules: Sequence[Any], selection: Selection, extra_known: Sequence[RuleKey] = ()
) -> list[Any]:
    """The rules of ``rules`` (resolved rules or anything with ``rule_key``-able
    fields) that ``selection`` checks, in their order. Selectors are checked
    against ``rules`` and ``extra_known`` (the READ-xx codes)."""
    if selection.is_empty:
        return list(rules)
    keys = [rule_key(r) for r in rules]
    check_selectors(selection, [*keys, *extra_known])
    return [r for r, k in zip(rules, keys, strict=True) if is_selected(k, selection)]


def rule_key(rule: Any) -> RuleKey:
    """The :class:`RuleKey` of a resolved rule, a ``Rule`` or a finding."""
    inner = getattr(rule, "rule", rule)
    severity = getattr(inner, "severity", None)
    return RuleKey(
        id=getattr(rule, "id", None) or rule.rule_id,
        severity=getattr(severity, "value", severity) or "",
        work_point=getattr(inner, "work_point", None),
    )


def read_codes() -> list[RuleKey]:
    """The READ-xx findings of the readers, selectable like rules."""
    from .readers.problems import CODES

    return [RuleKey(code, sev.value) for code, (_zh, _en, sev, _o) in CODES.items()]


# --- where selectors come from -------------------------------------------------------------


def from_mapping(data: Any, origin: str) -> Selection:
    """``select`` / ``ignore`` of a manifest or a config table."""
    if data is None:
        return Selection(origin=origin)
    get: Callable[[str], Any] = data.get if isinstance(data, dict) else (lambda k: getattr(data, k, None))
    return Selection(
        select=parse_selectors(get("select"), origin),
        ignore=parse_selectors(get("ignore"), origin),
        origin=origin,
    )


def from_manifest(manifest: Any) -> Selection:
    extra = getattr(manifest, "model_extra", None) or {}
    return from_mapping({k: extra.get(k) for k in ("select", "ignore")}, "the manifest")


def find_config(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest ``supervise-rules.toml``, or ``pyproject.toml`` with a
    ``[tool.supervise-rules]`` table, in ``start`` (default: the current
    folder) or a parent."""
    folder = Path(start or os.getcwd()).resolve()
    for where in (folder, *folder.parents):
        for name in CONFIG_FILES:
            path = where / name
            if not path.is_file():
                continue
            if name == "supervise-rules.toml" or "supervise-rules" in _tool_tables(path):
                return path
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise SuperviseRulesError(
                f"{path}: larger than {MAX_CONFIG_BYTES:,} bytes; a config file is a few lines"
            )
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SuperviseRulesError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SuperviseRulesError(f"{path}: cannot be read: {exc}") from None


def _tool_tables(path: Path) -> dict[str, Any]:
    tool = _read_toml(path).get("tool")
    return tool if isinstance(tool, dict) else {}


def project_config(start: str | os.PathLike[str] | None = None) -> Selection:
    """The selectors of the project config (nothing set when there is none)."""
    path = find_config(start)
    if path is None:
        return Selection()
    if path.name == "pyproject.toml":
        data = _tool_tables(path)["supervise-rules"]
        origin = f"{path} [tool.supervise-rules]"
    else:
        data = _read_toml(path)
        origin = str(path)
    if not isinstance(data, dict):
        raise SuperviseRulesError(f"{origin}: must be a table of settings")
    unknown = sorted(set(data) - {"select", "ignore"})
    if unknown:
        hint = did_you_mean(unknown[0], ["select", "ignore"])
        raise SuperviseRulesError(
            f"{origin}: unknown setting {unknown[0]!r} (known: select, ignore){'; ' + hint if hint else ''}"
        )
    return from_mapping(data, origin)


def chosen_rules(
    submission: Any,
    select: str | Sequence[str] | None = None,
    ignore: str | Sequence[str] | None = None,
    config: bool | str | os.PathLike[str] | None = None,
    origin: tuple[str, str] = ("select", "ignore"),
) -> Selection:
    """The selection in force for ``submission``: ``select``/``ignore`` given by
    the caller, then its manifest's, then the project config's (only when
    ``config`` is true or a folder)."""
    given = merge(
        Selection(select=parse_selectors(select, origin[0]), origin=origin[0]),
        Selection(ignore=parse_selectors(ignore, origin[1]), origin=origin[1]),
    )
    manifest = from_manifest(getattr(submission, "manifest", None))
    project = Selection()
    if config:
        project = project_config(None if config is True else config)
    return merge(given, manifest, project)
