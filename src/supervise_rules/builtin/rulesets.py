"""The shipped rulesets, contributed through the ``register_rulesets`` hook."""

from __future__ import annotations

from supervise_rules import RulesetSource, discover_rulesets, hookimpl

from ..rulesets import builtin_ruleset_dir


@hookimpl
def register_rulesets() -> list[RulesetSource]:
    return discover_rulesets(builtin_ruleset_dir())
