"""What the doc generators share: write a generated file, or with ``--check``
say that the committed one is stale (exit 1), as the tests run them."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(doc: Path, fresh: str, argv: list[str], command: str) -> int:
    if "--check" in argv:
        current = doc.read_text(encoding="utf-8") if doc.is_file() else ""
        if fresh != current:
            print(f"{doc} is stale: run `{command}`", file=sys.stderr)
            return 1
        return 0
    doc.write_text(fresh, encoding="utf-8")
    print(f"wrote {doc}")
    return 0
