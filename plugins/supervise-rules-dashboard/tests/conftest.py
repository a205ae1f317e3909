"""The plugin's tests use supervise-rules' own test kit: ``supervise_host``
gets this plugin added."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Run from a source checkout without installing: make the package importable.
SRC = Path(__file__).resolve().parents[1] / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))


@pytest.fixture
def supervise_plugins():
    return ["supervise_rules_dashboard"]
