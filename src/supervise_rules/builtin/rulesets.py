"""The shipped rulesets, contributed through the ``register_rulesets`` hook."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..rulesets import RulesetSource, builtin_ruleset_dir, discover_rulesets


@hookimpl(trylast=True)
def register_rulesets() -> list[RulesetSource]:
    return discover_rulesets(builtin_ruleset_dir())
