"""The built-in backends, registered through the same hook a third party uses."""

from __future__ import annotations

from supervise_rules import Backend, hookimpl

from ..backends import BUILTIN_BACKENDS


@hookimpl
def register_backends() -> list[type[Backend]]:
    return list(BUILTIN_BACKENDS)
