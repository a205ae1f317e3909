"""Reading submissions: every container of the data contract into typed tables.

* :class:`Reader` / :class:`RawTable` — the plugin interface (one file format
  in, raw text cells with their positions out), see :mod:`.base`;
* :func:`load_submission` — folder, workbook, JSON document, single table file
  or in-memory mapping -> :class:`~supervise_rules.submission.Submission`.

Problems are READ-xx findings (see ``docs/readers.md``).
"""

from __future__ import annotations

from .base import RawTable, Reader
from .load import load_submission

__all__ = ["RawTable", "Reader", "load_submission"]
