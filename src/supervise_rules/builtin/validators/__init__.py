"""Built-in validators, contributed through the same ``register_validators`` hook
as any third-party plugin. One module per family of checks."""

from __future__ import annotations

from supervise_rules import hookimpl

from .aggregate import AggregateValidator
from .consistency import KeyChecksValidator, RowChecksValidator
from .counts import CountRatioValidator, GroupCompareValidator
from .coverage import CoverageValidator, ReferencesValidator
from .cv import WeightedCVValidator
from .dates import MatchedCountValidator, OverdueValidator, PeriodicValidator, TermChecksValidator
from .grouped import GroupAggregateValidator
from .k_of_n import KOfNValidator
from .metric import MetricValidator
from .share import RowShareValidator


@hookimpl
def register_validators() -> list[type]:
    return [
        MetricValidator,
        AggregateValidator,
        WeightedCVValidator,
        GroupAggregateValidator,
        KOfNValidator,
        RowShareValidator,
        # INS, DRP and CON families
        CoverageValidator,
        ReferencesValidator,
        KeyChecksValidator,
        RowChecksValidator,
        GroupCompareValidator,
        CountRatioValidator,
        TermChecksValidator,
        OverdueValidator,
        PeriodicValidator,
        MatchedCountValidator,
    ]
