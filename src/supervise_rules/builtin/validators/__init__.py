"""Built-in validators, contributed through the same ``register_validators`` hook
as any third-party plugin. One module per family of checks."""

from __future__ import annotations

from ...hookspecs import hookimpl
from .aggregate import AggregateValidator
from .metric import MetricValidator


@hookimpl(trylast=True)
def register_validators() -> list[type]:
    return [MetricValidator, AggregateValidator]
