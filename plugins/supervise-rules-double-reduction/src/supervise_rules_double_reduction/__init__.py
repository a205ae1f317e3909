"""supervise-rules plugin for 双减 (work point 9): homework time per class.

Contributes, through the ordinary hooks:

* the table ``homework_surveys`` (作业时长调查), one row per class;
* the validator ``homework_minutes`` (average daily written homework minutes
  of the classes of some grades against a limit);
* the ruleset ``double-reduction-2021`` (DR-01 … DR-03).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from supervise_rules import RulesetSource, TableSpec, Validator, hookimpl

from .tables import HOMEWORK_SURVEYS
from .validators import HomeworkMinutesValidator

#: The supervise-rules plugin API this plugin is written for.
SUPERVISE_RULES_API = "2"

RULESETS = Path(__file__).parent / "rulesets"


@hookimpl
def register_tables() -> list[TableSpec]:
    return [HOMEWORK_SURVEYS]


@hookimpl
def register_validators() -> list[type[Validator[Any]]]:
    return [HomeworkMinutesValidator]


@hookimpl
def register_rulesets() -> list[RulesetSource]:
    return [RulesetSource(id="double-reduction-2021", path=RULESETS / "double-reduction-2021.yaml")]
