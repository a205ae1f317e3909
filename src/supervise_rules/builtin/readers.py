"""Built-in readers, contributed through the ``register_readers`` hook."""

from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def register_readers() -> list:
    return []
