"""The plugin host: builds a pluggy manager and collects what plugins contribute.

Nothing happens at import time. :func:`get_plugin_host` makes a fresh host
each time it is called (tests get isolation for free); the CLI calls it once.
Built-in plugins are registered exactly like third-party ones, then the
``supervise_rules`` entry-point group is loaded one entry at a time so that a
plugin that fails to import is reported and the others still run.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs
from .errors import PluginError
from .interrupts import is_users, watch_sigint
from .runhooks import RUN_HOOKS

if TYPE_CHECKING:
    from .backends import Backend
    from .validators import Validator

ENTRY_POINT_GROUP = "supervise_rules"

#: The API version plugins declare as ``SUPERVISE_RULES_API`` (module attribute).
#: A minor release may add hooks, validators and optional finding keys; changing
#: a hook's arguments or the meaning of a field raises this number. A plugin
#: that declares another version is refused (``load_errors``), the rest run; a
#: plugin that declares none is assumed to be written for this version.
API_VERSION = "2"
#: API versions whose plugins still load: an API-1 validator returns findings
#: instead of result frames, and the engine still takes them.
SUPPORTED_API_VERSIONS = ("1", "2")

BUILTIN_PLUGINS: tuple[str, ...] = (
    "supervise_rules.builtin.validators",
    "supervise_rules.builtin.readers",
    "supervise_rules.builtin.reporters",
    "supervise_rules.builtin.rulesets",
    "supervise_rules.builtin.backends",
)

_CONTRIBUTION_HOOKS = {
    "validators": "register_validators",
    "readers": "register_readers",
    "reporters": "register_reporters",
    "rulesets": "register_rulesets",
    "backends": "register_backends",
    "tables": "register_tables",
    # after tables: aliases may name a plugin's table
    "aliases": "register_aliases",
}


@dataclass(frozen=True)
class PluginInfo:
    """One loaded plugin and what it contributes (for ``supervise-check plugins``)."""

    name: str
    distribution: str | None
    version: str | None
    builtin: bool
    contributes: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class PluginLoadError:
    """A plugin that could not be loaded, and why; the run goes on without it."""

    name: str
    distribution: str | None
    reason: str


@dataclass
class PluginHost:
    """A plugin manager plus the registries built from its hooks."""

    pm: pluggy.PluginManager
    validators: dict[str, type[Validator[Any]]] = field(default_factory=dict)
    readers: list[Any] = field(default_factory=list)
    reporters: dict[str, Any] = field(default_factory=dict)
    rulesets: dict[str, Any] = field(default_factory=dict)
    #: backend name -> Backend subclass
    backends: dict[str, type[Backend]] = field(default_factory=dict)
    #: every table readers recognise: the data contract's, then plugins'
    #: (with the aliases of ``register_aliases`` added)
    tables: dict[str, Any] = field(default_factory=dict)
    #: the ``TableAliases`` plugins contributed, in registration order
    aliases: list[Any] = field(default_factory=list)
    plugins: list[PluginInfo] = field(default_factory=list)
    load_errors: list[PluginLoadError] = field(default_factory=list)
    #: contribution name -> plugin name, per kind, for error messages and provenance
    provided_by: dict[str, dict[str, str]] = field(default_factory=dict)

    def plugin_of(self, kind: str, name: str) -> str | None:
        """The plugin that contributed ``name`` of ``kind`` (``validators`` …)."""
        return self.provided_by.get(kind, {}).get(name)

    @contextmanager
    def activate(self) -> Iterator[PluginHost]:
        """Make this host's plugin tables visible through
        ``supervise_rules.tables.TABLES`` inside the ``with`` block.

        ``load_submission`` and ``check`` do this themselves; call it when
        using readers or validators directly with plugin tables.
        """
        from .tables import plugin_tables

        with plugin_tables(self.tables):
            yield self


def plugins_used(host: Any, ruleset: Any, tables: Iterable[str]) -> list[Any]:
    """The third-party plugins a run of ``ruleset`` on ``tables`` used — their
    validators, rulesets (the one run and those it extends) and tables — for the
    report's ``tool.plugins``, in name order. Built-ins are supervise-rules itself."""
    from pathlib import Path

    from .models import PluginRef

    provided = getattr(host, "provided_by", {})
    files = {str(Path(f).resolve()) for f in getattr(ruleset, "files", [])}
    used: dict[str, dict[str, set[str]]] = {}

    def note(kind: str, name: str) -> None:
        plugin = provided.get(kind, {}).get(name)
        if plugin is not None:
            used.setdefault(plugin, {}).setdefault(kind, set()).add(name)

    for rule in ruleset.rules:
        note("validators", rule.rule.validator)
    for rid, source in getattr(host, "rulesets", {}).items():
        if rid == ruleset.id or str(Path(source.path).resolve()) in files:
            note("rulesets", rid)
    for table in tables:
        note("tables", table)
    infos = {p.name: p for p in getattr(host, "plugins", [])}
    return [
        PluginRef(
            name=name,
            distribution=infos[name].distribution if name in infos else None,
            version=infos[name].version if name in infos else None,
            used={kind: sorted(names) for kind, names in sorted(kinds.items())},
        )
        for name, kinds in sorted(used.items())
        if not (name in infos and infos[name].builtin)
    ]


def new_plugin_manager() -> pluggy.PluginManager:
    """A pluggy manager with supervise-rules' hook specifications and no plugin."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return pm


def get_plugin_host(
    modules: Iterable[str | ModuleType | object] = (),
    *,
    entry_points: bool = True,
    builtins: bool = True,
) -> PluginHost:
    """Build a host: built-ins, then installed entry points, then ``modules``.

    :param modules: extra plugins (dotted module names as given to ``--plugin``,
        modules or objects with hookimpls), registered after the others.
    :param entry_points: load the ``supervise_rules`` entry-point group.
    :param builtins: register the built-in plugins (tests may turn this off).
    :raises PluginError: a module given in ``modules`` cannot be imported, or a
        contribution's name collides with another plugin's.
    """
    with watch_sigint():  # a plugin's KeyboardInterrupt is a load error, the user's Ctrl-C is not
        return _build_host(modules, entry_points, builtins)


def _build_host(
    modules: Iterable[str | ModuleType | object], entry_points: bool, builtins: bool
) -> PluginHost:
    pm = new_plugin_manager()
    host = PluginHost(pm=pm)
    builtin_names: set[str] = set()
    distributions: dict[str, tuple[str | None, str | None]] = {}
    if builtins:
        for dotted in BUILTIN_PLUGINS:
            pm.register(importlib.import_module(dotted), name=dotted)
            builtin_names.add(dotted)
    if entry_points:
        _load_entry_points(host, distributions)
    for item in modules:
        plugin = _import_plugin(item) if isinstance(item, str) else item
        name = item if isinstance(item, str) else _plugin_name(item)
        if pm.is_registered(plugin):
            continue  # e.g. ``--plugin`` naming a module already loaded as an entry point
        refusal = _api_refusal(plugin)
        if refusal:
            host.load_errors.append(PluginLoadError(name or repr(plugin), None, refusal))
            continue
        _register(host, plugin, name, None)
    _collect(host, builtin_names, distributions)
    return host


def _plugin_name(plugin: object) -> str:
    """A readable name for a plugin given as an object: a module's dotted name,
    else the class name of the object (pluggy would use an opaque id)."""
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    return getattr(plugin, "__name__", None) or type(plugin).__qualname__


def _import_plugin(dotted: str) -> ModuleType:
    try:
        return importlib.import_module(dotted)
    except BaseException as exc:  # any import failure is the user's plugin's problem
        if is_users(exc):  # the user's Ctrl-C ends the run
            raise
        # SystemExit or KeyboardInterrupt at import ends nothing either
        raise PluginError(dotted, f"cannot be imported: {_describe(exc)}") from exc


def _load_entry_points(host: PluginHost, distributions: dict[str, tuple[str | None, str | None]]) -> None:
    for ep in sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else None
        dist_version = dist.version if dist is not None else None
        if host.pm.get_plugin(ep.name) is not None or host.pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
        except BaseException as exc:  # a broken plugin must not take the others down
            if is_users(exc):
                raise
            host.load_errors.append(PluginLoadError(ep.name, dist_name, f"import failed: {_describe(exc)}"))
            continue
        refusal = _api_refusal(plugin)
        if refusal:
            host.load_errors.append(PluginLoadError(ep.name, dist_name, refusal))
            continue
        try:
            _register(host, plugin, ep.name, dist_name)
        except PluginError as exc:
            host.load_errors.append(PluginLoadError(ep.name, dist_name, str(exc)))
            continue
        distributions[ep.name] = (dist_name, dist_version)


def _api_refusal(plugin: object) -> str | None:
    """Why a plugin written for another API version is refused, or ``None``."""
    declared = getattr(plugin, "SUPERVISE_RULES_API", API_VERSION)
    if str(declared) in SUPPORTED_API_VERSIONS:
        return None
    return (
        f"written for supervise-rules API {declared}, but this supervise-rules "
        f"({_own_version()}) provides API {API_VERSION}; install a version of the "
        "plugin made for this API"
    )


def _register(host: PluginHost, plugin: object, name: str | None, dist: str | None) -> None:
    try:
        registered = host.pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginError(name or repr(plugin), str(exc)) from exc
    _note_code(plugin, registered or name or repr(plugin))
    # A hookimpl whose name matches no spec would otherwise be silently ignored.
    for hook_name in _unknown_hooks(host.pm, plugin):
        host.pm.unregister(plugin)
        raise PluginError(
            registered or repr(plugin),
            f"implements {hook_name!r}, which is not a supervise_rules hook "
            f"(known: {', '.join(sorted([*_CONTRIBUTION_HOOKS.values(), *RUN_HOOKS]))})",
        )


def _unknown_hooks(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    unknown = []
    for hook_name in dir(pm.hook):
        if hook_name.startswith("_"):
            continue
        caller = getattr(pm.hook, hook_name)
        if caller.spec is None and any(i.plugin is plugin for i in caller.get_hookimpls()):
            unknown.append(hook_name)
    return unknown


def _collect(
    host: PluginHost, builtin_names: set[str], distributions: dict[str, tuple[str | None, str | None]]
) -> None:
    """Call each contribution hook plugin by plugin.

    The hookimpls are called one at a time (rather than through ``pm.hook``)
    so that each contribution is attributed to its plugin, and a plugin whose
    hook raises is reported without losing the other plugins' contributions.
    """
    from .tables import CORE_TABLES

    host.tables.update(CORE_TABLES)
    contributions: dict[str, dict[str, list[str]]] = {}
    for kind, hook_name in _CONTRIBUTION_HOOKS.items():
        host.provided_by[kind] = {}
        for impl in getattr(host.pm.hook, hook_name).get_hookimpls():
            plugin_name = impl.plugin_name
            dist = distributions.get(plugin_name, (None, None))[0]
            try:
                items = list(impl.function() or [])
            except BaseException as exc:  # a crashing plugin is reported, not fatal
                if is_users(exc):  # ... unless it is the user's Ctrl-C
                    raise
                host.load_errors.append(
                    PluginLoadError(plugin_name, dist, f"{hook_name}() raised {_describe(exc)}")
                )
                continue
            for item in items:
                try:
                    key = _add(host, kind, item, plugin_name)
                except PluginError:
                    raise
                except Exception as exc:  # not a contribution at all: skip it, say so
                    host.load_errors.append(
                        PluginLoadError(
                            plugin_name,
                            dist,
                            f"{hook_name}() returned {_shown(item)}, which is "
                            f"not a {kind[:-1]} ({_describe(exc)}); it was skipped",
                        )
                    )
                    continue
                if plugin_name not in builtin_names:
                    _note_code(item, plugin_name)
                contributions.setdefault(plugin_name, {}).setdefault(kind, []).append(key)
    _apply_aliases(host)
    for plugin_name, _plugin in host.pm.list_name_plugin():
        dist, version = distributions.get(plugin_name, (None, None))
        builtin = plugin_name in builtin_names
        if builtin:
            dist, version = "supervise-rules", _own_version()
        host.plugins.append(
            PluginInfo(
                name=plugin_name,
                distribution=dist,
                version=version,
                builtin=builtin,
                contributes=contributions.get(plugin_name, {}),
            )
        )


def _add(host: PluginHost, kind: str, item: Any, plugin_name: str) -> str:
    registry_owner = host.provided_by[kind]
    key: str
    if kind == "readers":
        key = item.name
        if key in registry_owner:
            raise PluginError(
                plugin_name, f"reader {key!r} is already provided by plugin {registry_owner[key]!r}"
            )
        host.readers.append(item)
    elif kind == "aliases":
        table = getattr(item, "table", None)
        if table not in host.tables:
            raise PluginError(
                plugin_name,
                f"aliases for table {table!r}, which is not a known table (tables: {', '.join(host.tables)})",
            )
        key = table
        unknown = [c for c in item.columns if c not in host.tables[key].columns]
        if unknown:
            raise PluginError(
                plugin_name,
                f"aliases for column(s) {', '.join(map(repr, unknown))} of "
                f"table {key!r}, which has no such column",
            )
        host.aliases.append(item)
        registry_owner.setdefault(key, plugin_name)  # the first; several plugins may add more
        return key
    elif kind == "tables":
        from .tables import TableSpec, spec_problems

        if not isinstance(item, TableSpec):
            raise TypeError("build one with supervise_rules.table_spec()")
        key = item.name
        problems = spec_problems(item)  # a spec changed after it was built
        if problems:
            raise PluginError(plugin_name, f"table {key!r}: {'; '.join(problems)}")
        if key in host.tables:
            owner = registry_owner.get(key, "supervise-rules (data contract)")
            raise PluginError(plugin_name, f"table {key!r} is already provided by {owner!r}")
        host.tables[key] = item
    else:
        key = item.name if kind != "rulesets" else item.id
        registry: dict[str, Any] = getattr(host, kind)
        if key in registry:
            raise PluginError(
                plugin_name,
                f"{kind[:-1]} {key!r} is already provided by plugin {registry_owner[key]!r}",
            )
        registry[key] = item
    registry_owner[key] = plugin_name
    return key


def _apply_aliases(host: PluginHost) -> None:
    """Each table with the aliases plugins gave it (a copy of the spec: the
    contract's own specs are never changed)."""
    from .tables import with_aliases

    by_table: dict[str, list[Any]] = {}
    for item in host.aliases:
        by_table.setdefault(item.table, []).append(item)
    for name, items in by_table.items():
        host.tables[name] = with_aliases(host.tables[name], items)


def _describe(exc: BaseException) -> str:
    """``SystemExit: 0``, ``ValueError: bad`` (the first line of the message)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _shown(item: object) -> str:
    text = repr(item)
    return text if len(text) <= 60 else text[:57] + "..."


#: module -> plugin, for the code of every third-party plugin registered in this
#: process: its module and the modules of the classes it contributed
_PLUGIN_CODE: dict[str, str] = {}


def _note_code(item: object, plugin_name: str) -> None:
    module = (
        item.__name__
        if isinstance(item, ModuleType)
        else getattr(item if isinstance(item, type) else type(item), "__module__", None)
    )
    if (
        isinstance(module, str)
        and not module.startswith(("supervise_rules.", "builtins"))
        and module != "supervise_rules"
    ):
        _PLUGIN_CODE.setdefault(module, plugin_name)


def plugin_in_traceback(exc: BaseException) -> tuple[str, str] | None:
    """``(plugin, "file.py:12")`` when ``exc`` was raised in (or passed through) the
    code of a third-party plugin — the innermost such frame — else ``None``. How
    the CLI tells a plugin's failure (exit 2, naming it) from a bug of its own."""
    import os

    found = None
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        owner = _PLUGIN_CODE.get(module) or next(
            (p for m, p in _PLUGIN_CODE.items() if module.startswith(m + ".")), None
        )
        if owner is not None:
            found = (owner, f"{os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}")
        tb = tb.tb_next
    return found


def _own_version() -> str:
    from ._version import installed_version

    return installed_version()
