"""The installed version of supervise-rules, for the package's ``__version__``
and for the modules below it (the report's ``tool`` block, the plugin list),
which must not import the package ``__init__`` (that sits above them all)."""

from __future__ import annotations

import functools


@functools.cache  # read from the installed metadata once per process
def installed_version() -> str:
    # from the installed metadata, so there is no file to keep in sync
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("supervise-rules")
    except PackageNotFoundError:  # running from a source tree without install
        return "0.0.0+unknown"
