from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture(scope="session")
def spark_session():
    """One local SparkSession for the whole test session (starting one costs
    seconds of a 2-core machine); the Spark tests are marked ``spark``."""
    pytest.importorskip("pyspark")
    from supervise_rules.backends import local_spark_session

    return local_spark_session()
