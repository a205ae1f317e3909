"""Hook specifications: the whole plugin API of supervise-rules.

Every built-in validator, reader, reporter and ruleset is contributed through
these same hooks (see ``supervise_rules.builtin``), exactly as a third-party
plugin contributes its own. A plugin module or object implements any subset of
them, decorated with ``supervise_rules.hookimpl``.

Each hook is called once per plugin; the host collects every plugin's list, so
none of these hooks is ``firstresult``. Names must be unique across plugins: a
second validator, reader, reporter or ruleset with a name already taken is a
load error naming both plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .readers import Reader
    from .reporters import Reporter
    from .rulesets import RulesetSource
    from .validators import Validator

PROJECT_NAME = "supervise_rules"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_validators() -> list[type[Validator]]:
    """Contribute validator classes.

    A validator is a subclass of :class:`supervise_rules.Validator` with a
    unique ``name`` (what a rule's ``validator:`` key refers to), a pydantic
    ``Params`` model describing the parameters a rule passes to it, and a
    ``check(ctx)`` method that evaluates one rule column-wise on the
    submission's tables and returns findings.

    :returns: a list of ``Validator`` subclasses (not instances).
    All plugins' lists are collected; the first result does not win.
    """


@hookspec
def register_readers() -> list[Reader]:
    """Contribute readers that turn a file into a table of the submission.

    A reader declares the file suffixes it handles (``.csv``, ``.xlsx`` …) and
    returns raw string cells with their positions; the host normalizes values
    and locates every problem to its cell.

    :returns: a list of :class:`supervise_rules.Reader` instances.
    All plugins' lists are collected; a suffix claimed twice is a load error.
    """


@hookspec
def register_reporters() -> list[Reporter]:
    """Contribute reporters, the output formats of ``--format``.

    :returns: a list of :class:`supervise_rules.Reporter` instances, each with a
        unique ``name`` (``json``, ``table``, ``sarif`` …).
    All plugins' lists are collected; the first result does not win.
    """


@hookspec
def register_rulesets() -> list[RulesetSource]:
    """Contribute rulesets that ``--ruleset ID`` can find by id.

    :returns: a list of :class:`supervise_rules.RulesetSource` (an id and the
        path of its YAML file, usually inside the plugin's package).
    All plugins' lists are collected; an id claimed twice is a load error.
    """
