"""Hook specifications: the whole plugin API of supervise-rules.

Every built-in validator, reader, reporter and ruleset is contributed through
these same hooks (see ``supervise_rules.builtin``), exactly as a third-party
plugin contributes its own. A plugin is a module (or any object) with
functions decorated with ``supervise_rules.hookimpl`` whose names are hook
names below; it implements any subset of them. A decorated function whose
name is not a hook below is a load error, never silently ignored.

How the hooks are called: each ``register_*`` hook takes no arguments and is
called once per plugin when a plugin host is built
(:func:`supervise_rules.get_plugin_host`), built-in plugins first, then
installed entry points in name order, then ``--plugin`` modules. The run hooks
(``run_started``, ``run_finished``) are called by every
:func:`supervise_rules.check` with what the run is about; a plugin's run hook
that raises is one ``error`` finding (RUN-01) naming it. None of these hooks is
``firstresult``: every plugin's list is collected, and each contribution is
attributed to the plugin that returned it (shown by ``supervise-check
plugins``). Names are unique across all plugins: a validator, reader, reporter,
table or ruleset whose name is already taken is a
:class:`supervise_rules.PluginError` naming both plugins; a plugin cannot
silently replace another's contribution. A hook that raises is reported in
``host.load_errors`` and that plugin's other hooks still count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .backends import Backend
    from .readers import Reader
    from .report import Report
    from .reporters import Reporter
    from .rulesets import Ruleset, RulesetSource
    from .submission import Submission
    from .tables import TableAliases, TableSpec
    from .validators import Validator

PROJECT_NAME = "supervise_rules"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_validators() -> list[type[Validator[Any]]]:
    """Contribute validator classes, the code that evaluates rules.

    A validator is a subclass of :class:`supervise_rules.Validator` with a
    unique ``name`` (what a rule's ``validator:`` key refers to), a one-line
    ``summary`` in Chinese and English (a :class:`supervise_rules.LocalizedText`;
    a plain string is shown in both languages), a ``Params`` model (subclass
    of :class:`supervise_rules.Params`, every field with a ``description``)
    that validates the rule's ``params:`` when the ruleset is loaded, and a
    ``check(ctx)`` method that evaluates one rule on the submission's tables
    through the :class:`supervise_rules.RuleContext`.
    API 2: ``check`` returns a :class:`supervise_rules.RuleResult` (or a list of
    them): a lazy result frame with the outcome decided in the frame, which the
    engine collects together with every other rule's and turns into findings.
    API 1 (a list of :class:`supervise_rules.Finding`) is still accepted. The
    class docstring has the sections ``What it checks``, ``Parameters`` and
    ``Example``. ``Validator`` is generic in its ``Params`` for type checkers
    (``class V(Validator[MyParams])`` types ``ctx.params`` as ``MyParams``); a
    subclass without the type argument runs the same.

    Arguments: none.

    :returns: a list of ``Validator`` subclasses (classes, not instances). The
        engine makes one instance per rule run.
    :result: all plugins' lists are collected (not first-result-wins). A name
        already registered by another plugin is a ``PluginError`` naming both.
        An exception raised by ``check``, a frame that fails to collect or does
        not follow the result-frame contract, and a return value that is neither
        become one ``error`` finding naming the rule and the plugin; the run goes on.
    """


@hookspec
def register_readers() -> list[Reader]:
    """Contribute readers, which turn one file format into raw tables.

    A reader is an instance of a :class:`supervise_rules.Reader` subclass with
    a unique ``name``, the lower-case ``suffixes`` it handles (``(".csv",)``)
    and ``read(path)`` returning a list of :class:`supervise_rules.RawTable`
    (text cells with their positions). The host then finds the header row,
    matches Chinese or English headers to the columns of a known table
    (including tables from ``register_tables``), normalizes values and locates
    every problem to its cell, identically for every format.

    Arguments: none.

    :returns: a list of ``Reader`` instances.
    :result: all plugins' lists are collected (not first-result-wins). A reader
        name already taken is a ``PluginError``. When two readers claim the same
        suffix, the one registered first handles it (built-ins register first).
    """


@hookspec
def register_reporters() -> list[Reporter]:
    """Contribute reporters, the output formats selected with ``--format NAME``.

    A reporter is an instance of a :class:`supervise_rules.Reporter` subclass
    with a unique ``name``, a one-line ``summary``, a file ``suffix``, ``binary``
    and ``human`` flags, and ``render(report, options)`` returning the whole
    output (``str``, or ``bytes`` when ``binary``) for a
    :class:`supervise_rules.Report` and :class:`supervise_rules.RenderOptions`.
    ``render`` must be deterministic.

    Arguments: none.

    :returns: a list of ``Reporter`` instances.
    :result: all plugins' lists are collected (not first-result-wins). A name
        already registered by another plugin is a ``PluginError`` naming both.
    """


@hookspec
def register_rulesets() -> list[RulesetSource]:
    """Contribute rulesets that ``--ruleset ID`` and ``extends: [ID]`` find by id.

    A :class:`supervise_rules.RulesetSource` is an ``id`` and the ``path`` of
    its YAML file, usually inside the plugin's package (use
    ``Path(__file__).parent / "rulesets"``, or :func:`supervise_rules.discover_rulesets`
    for a whole folder). The file is only read when the ruleset is used, and is
    validated then like any ruleset (``file:line`` errors).

    Arguments: none.

    :returns: a list of ``RulesetSource``.
    :result: all plugins' lists are collected (not first-result-wins). An id
        already registered by another plugin is a ``PluginError`` naming both.
    """


@hookspec
def register_tables() -> list[TableSpec]:
    """Contribute submission tables beyond those of the data contract.

    A :class:`supervise_rules.TableSpec` names a table (English and Chinese,
    either accepted as file stem, sheet name or JSON key), its columns with
    their Chinese headers, kinds, units and enum labels, its key columns (the
    finding's ``subject.id``) and the ``subject_type`` of its findings. Build
    one from a pydantic model whose fields are declared with
    :func:`supervise_rules.col`, using :func:`supervise_rules.table_spec`.
    Readers then recognise the table and its headers in every format, and
    rules and expressions may refer to its columns.

    Arguments: none.

    :returns: a list of ``TableSpec``.
    :result: all plugins' lists are collected (not first-result-wins). A name
        of a data-contract table or of another plugin's table is a
        ``PluginError``.
    """


@hookspec
def register_aliases() -> list[TableAliases]:
    """Contribute other names for tables and their columns, as real exports write them.

    A :class:`supervise_rules.TableAliases` names a table (any table: the data
    contract's or a plugin's), other sheet, file or JSON key names for it
    (``names``), and other headers for its columns (``columns``: column ->
    headers), e.g. ``TableAliases("schools", names=["中小学基本情况"],
    columns={"students": ["在籍学生数"]})``. Readers match them like the table
    spec's own aliases: silently, with the same folding (spaces, full-width
    forms, a trailing unit); headers written differently still go through the
    variant and close-match steps (READ-09, READ-10). A plugin's own tables
    declare their aliases in the spec (``col(..., aliases=[...])``,
    ``table_spec(..., aliases=[...])``) and need not use this hook.

    Arguments: none.

    :returns: a list of ``TableAliases``.
    :result: all plugins' lists are collected (not first-result-wins) and added
        to each table's aliases, after every plugin's tables are known. A table
        or column that does not exist is a ``PluginError`` naming the plugin.
        An alias that is already another column's header is ignored (the
        header keeps naming its own column).
    """


@hookspec
def register_backends() -> list[type[Backend]]:
    """Contribute backends: engines the rules' column expressions run on.

    A backend is a subclass of :class:`supervise_rules.Backend` with a unique
    ``name`` (what ``--backend NAME`` and ``check(..., backend=NAME)`` select),
    a one-line ``summary``, ``lazy(frame)`` turning one of the submission's
    polars tables into a narwhals LazyFrame on its engine, and optionally
    ``unsupported`` (validators it cannot run: their rules are
    ``error`` findings naming the backend). The built-ins ``polars``, ``duckdb``
    and ``spark`` register through this hook. A third party adds, e.g., Ibis or
    a database by returning its LazyFrames through narwhals.

    Arguments: none.

    :returns: a list of ``Backend`` subclasses (classes, not instances); the
        engine makes one instance per run, or uses an instance passed to
        ``check(..., backend=...)`` (a Spark backend with the user's session).
    :result: all plugins' lists are collected (not first-result-wins). A name
        already registered by another plugin is a ``PluginError`` naming both.
    """


@hookspec
def run_started(submission: Submission, ruleset: Ruleset) -> None:
    """Be told that a check begins: the submission is read, no rule has run yet.

    For a plugin that keeps state across a run (a timer, a connection it opens
    once) or records what is checked. It must not change the submission.

    Arguments: ``submission`` (the :class:`supervise_rules.Submission` about to
    be checked) and ``ruleset`` (the :class:`supervise_rules.Ruleset`); an
    implementation may take either or both, by name.

    :returns: nothing (a returned value is ignored).
    :result: every plugin's implementation is called (not first-result-wins),
        once per :func:`supervise_rules.check`, before the first rule. One that
        raises (``SystemExit`` and a ``KeyboardInterrupt`` of its own included)
        is one ``error`` finding RUN-01 naming the plugin; the run goes on. Only
        the user's Ctrl-C ends it.
    """


@hookspec
def run_finished(submission: Submission, ruleset: Ruleset, report: Report) -> None:
    """See the finished report of a check, e.g. to post it to a platform or a
    dashboard, or to keep a copy in an archive.

    Arguments: ``submission``, ``ruleset`` and ``report`` (the
    :class:`supervise_rules.Report` that :func:`supervise_rules.check` is about
    to return; read it — ``report.summary``, ``report.frame()``,
    ``report.failures()`` — but do not change it); an implementation may take
    any of them, by name.

    :returns: nothing (a returned value is ignored).
    :result: every plugin's implementation is called (not first-result-wins),
        once per check, after the last rule. One that raises is one ``error``
        finding RUN-01 naming the plugin, added to the report that ``check``
        returns (the other findings are unchanged); the run goes on.
    """
