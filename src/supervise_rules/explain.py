"""Render a rule's documentation for ``supervise-check explain``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .errors import SuperviseRulesError
from .rulesets import ResolvedRule, load_ruleset

if TYPE_CHECKING:
    from .plugins import PluginHost

_CERTAINTY = {
    "V": "V — read in the official document",
    "S": "S — several secondary sources agree; the official text was not read",
    "M": "M — widely cited but UNCONFIRMED; the figure is a parameter",
    "seed": "seed — from the county's 2024 work points",
}


def find_rule(rule_id: str, ruleset: str, host: PluginHost) -> ResolvedRule:
    rs = load_ruleset(ruleset, host=host)
    rule = rs.rule(rule_id.upper())
    if rule is not None:
        return rule
    if rule_id.upper() in rs.disabled:
        raise SuperviseRulesError(
            f"rule {rule_id} is disabled in {rs.id}: {rs.disabled[rule_id.upper()].reason}")
    raise SuperviseRulesError(f"no rule {rule_id!r} in ruleset {rs.id} (see list-rules)")


def explain_rule(rule_id: str, ruleset: str, *, host: PluginHost, lang: str = "zh") -> str:
    r = find_rule(rule_id, ruleset, host)
    rule = r.rule
    validator = host.validators[rule.validator]
    params = json.dumps(r.params.model_dump(mode="json", exclude_none=True), ensure_ascii=False)
    lines = [
        f"{rule.id}  {rule.title.zh} / {rule.title.en}",
        "",
        f"Work point:  {rule.work_point or '—'}",
        f"Severity:    {rule.severity.value}",
        f"Source:      {rule.source}",
        f"Certainty:   {_CERTAINTY.get(rule.certainty, rule.certainty)}",
        f"Validator:   {rule.validator} ({validator.summary})",
        f"Parameters:  {params}",
        f"Defined in:  {r.defined_in}",
        "",
        "What it checks",
        _indent(rule.docs.checks),
        "",
        "Why",
        _indent(rule.docs.why),
        "",
        "Example",
        _indent(rule.docs.example),
    ]
    if rule.docs.notes:
        lines += ["", "Notes", _indent(rule.docs.notes)]
    lines += ["", "Message", _indent(rule.message.zh if lang == "zh" else rule.message.en)]
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else "" for line in text.strip().splitlines())
