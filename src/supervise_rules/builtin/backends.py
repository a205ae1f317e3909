"""The built-in backends, registered through the same hook a third party uses."""

from __future__ import annotations

from ..backends import BUILTIN_BACKENDS, Backend
from ..hookspecs import hookimpl


@hookimpl
def register_backends() -> list[type[Backend]]:
    return list(BUILTIN_BACKENDS)
