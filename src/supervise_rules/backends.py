"""Backends: where the rules' column expressions run (polars, DuckDB, Spark …).

A backend is a plugin contribution (``register_backends``), like a validator or
a reporter: the built-ins ``polars`` (the default), ``duckdb`` and ``spark``
register through the same hook a third party uses. A backend turns the
submission's tables into narwhals LazyFrames on its engine and says what it
cannot do; the engine brings each rule's result into polars to build the
findings, so the findings — and the report's bytes — are the same on every
backend (the equality tests run every rule's YAML cases on each).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import narwhals as nw
import polars as pl

from .errors import SuperviseRulesError


class BackendUnavailable(SuperviseRulesError):
    """A backend that cannot run here (its library is not installed, no engine
    could be started); the message says how to get it."""


class Backend:
    """Base class of backends. Subclasses set ``name`` and ``summary`` and
    implement :meth:`lazy`.

    One instance serves one :func:`supervise_rules.check` (connections are
    opened lazily, on the first table, and live as long as the report: its
    passes are fetched from the backend again when they are listed).
    """

    #: the name ``--backend NAME`` and ``check(..., backend=NAME)`` use
    name: ClassVar[str]
    #: one line for ``supervise-check plugins``
    summary: ClassVar[str]
    #: validators (by name) this backend cannot run: a rule using one is an
    #: ``error`` finding naming the backend, never a crash
    unsupported: ClassVar[frozenset[str]] = frozenset()
    #: at most this many result frames go to one :meth:`collect`: an engine that
    #: pays a fixed cost per query gets many rules at once, while no more than
    #: a batch of results is held in polars at a time
    batch_frames: ClassVar[int] = 64

    def lazy(self, frame: Any) -> nw.LazyFrame[Any]:
        """``frame`` (a polars DataFrame of the submission, or a small frame a
        validator builds) as a narwhals LazyFrame on this backend."""
        raise NotImplementedError  # pragma: no cover - abstract

    def table(self, name: str, frame: Any) -> nw.LazyFrame[Any]:
        """The submission's table ``name`` (its polars frame ``frame``) as a
        LazyFrame on this backend; asked once per table and run. Every rule reads
        it, so a backend may keep it (Spark caches it) rather than :meth:`lazy`."""
        return self.lazy(frame)

    def collect(self, frames: Sequence[nw.LazyFrame[Any]]) -> list[pl.DataFrame]:
        """Many rules' result frames, computed on this backend and brought into
        polars, in order. The engine hands over a batch at a time (up to
        :attr:`batch_frames`); if the batch raises, it asks again rule by rule,
        so that the failing rule is the one ``error`` finding. The default
        collects one frame after another."""
        return [to_polars(f) for f in frames]

    def open(self) -> None:
        """Start what the backend needs (a connection, a session) before the first
        rule, so that one that cannot start is a clear error (exit 2 on the CLI),
        not an error in every rule. Raise :class:`BackendUnavailable` saying why."""

    def cannot_run(self, validator: str) -> str | None:
        """Why a rule of ``validator`` cannot run here, or ``None``."""
        if validator in self.unsupported:
            return f"the {self.name} backend cannot run validator {validator!r}"
        return None


class PolarsBackend(Backend):
    """polars, in this process: the default, for a county or a province on one machine."""

    name = "polars"
    summary = "polars in this process (the default)."

    def lazy(self, frame: Any) -> nw.LazyFrame[Any]:
        lazy: nw.LazyFrame[Any] = nw.from_native(frame).lazy()
        return lazy

    def collect(self, frames: Sequence[nw.LazyFrame[Any]]) -> list[pl.DataFrame]:
        natives = [nw.to_native(f) if isinstance(f, nw.LazyFrame | nw.DataFrame) else f for f in frames]
        if all(isinstance(n, pl.LazyFrame | pl.DataFrame) for n in natives):
            # one polars query plan: the frames' common parts are computed once
            return pl.collect_all([n.lazy() for n in natives])
        return super().collect(frames)


class DuckDBBackend(Backend):
    """DuckDB, in this process.

    A submission read with ``load_submission(..., backend="duckdb")`` (or checked
    from a path: ``check(path, ..., backend="duckdb")``, ``supervise-check PATH
    --backend duckdb``) is read by DuckDB itself where it can be: a folder's CSV
    and parquet files and a ``.duckdb`` database's tables become DuckDB views and
    tables (:mod:`supervise_rules.readers.duckdb_native`). Any other table (and a
    submission given in memory) is read by the polars readers and handed over
    as Arrow. Results are collected a batch at a time (:meth:`collect`).
    """

    name = "duckdb"
    summary = "DuckDB in this process (pip install duckdb); reads CSV, parquet and .duckdb files itself."
    #: result frames per :meth:`collect`: each is its own query anyway (see there), so a
    #: small batch costs no queries and holds few results in memory at once (a per-school
    #: result of a national batch is a million rows). Read by the engine's batching.
    batch_frames: ClassVar[int] = 8

    def __init__(self, connection: Any = None):
        self._connection = connection

    def _con(self) -> Any:
        if self._connection is None:
            try:
                import duckdb
            except ImportError as exc:
                raise BackendUnavailable("the duckdb backend needs DuckDB: pip install duckdb") from exc
            self._connection = duckdb.connect()
        return self._connection

    def open(self) -> None:
        self._con()

    def scanner(self) -> Any:
        """The reader of files where they are, on this backend's connection."""
        from .readers.duckdb_native import NativeScanner

        return NativeScanner(self._con())

    def lazy(self, frame: Any) -> nw.LazyFrame[Any]:
        # a relation read where it lives is on this connection already
        native = frame if _is_duckdb_relation(frame) else self._con().from_arrow(as_arrow(frame))
        lazy: nw.LazyFrame[Any] = nw.from_native(native)
        return lazy

    def collect(self, frames: Sequence[nw.LazyFrame[Any]]) -> list[pl.DataFrame]:
        """Every frame's rows as polars: one DuckDB query per result frame, its rows
        handed over as Arrow (no copy into Python objects).

        A rule's steps are one lazy plan, so a rule costs one query per result
        frame however many steps it has. Batching further does not pay on DuckDB:
        a query costs milliseconds to start, while the optimiser's time grows faster
        than the plan. Measured on examples/helan-2024 (2 cores): the 32 result
        frames of a batch take 0.5 s one query each, 2.7 s as the 32 columns of one
        ``SELECT`` (each a list of its rows), 9.7 s for the next 32 (larger plans);
        8 frames 0.05 s one by one, 0.09 s combined."""
        out = []
        for frame in frames:
            native = nw.to_native(frame) if isinstance(frame, nw.LazyFrame | nw.DataFrame) else frame
            if _is_duckdb_relation(native):
                # DuckDB 2.x calls it to_arrow_table (its arrow() is a stream), 1.x arrow()
                table = (getattr(native, "to_arrow_table", None) or native.arrow)()
                got = pl.from_arrow(table)
                assert isinstance(got, pl.DataFrame)
                out.append(got)
            else:
                out.append(_as_polars(native))
        return out


def _as_polars(frame: Any) -> pl.DataFrame:
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    native = nw.from_native(frame)
    if isinstance(native, nw.LazyFrame):
        native = native.collect(backend="polars")
    polars_frame: pl.DataFrame = native.to_polars()
    return polars_frame


def _is_duckdb_relation(frame: Any) -> bool:
    return type(frame).__name__ == "DuckDBPyRelation"


class SparkBackend(Backend):
    """Apache Spark through PySpark: a ``SparkSession`` passed in (a cluster's,
    configured by its owner), or a local one started for the run.

    The submission's tables become Spark DataFrames (through Arrow); every
    rule's narwhals expressions run on Spark, and only each rule's result comes
    back. Install with ``pip install "supervise-rules[spark]"`` (Java 17).
    """

    name = "spark"
    summary = "Apache Spark through PySpark (pip install 'supervise-rules[spark]')."

    def __init__(self, session: Any = None):
        self._session = session

    def session(self) -> Any:
        if self._session is None:
            import importlib.util

            if importlib.util.find_spec("pyspark") is None:
                raise BackendUnavailable(
                    "the spark backend needs PySpark: pip install 'supervise-rules[spark]' (and Java 17)"
                )
            try:
                self._session = local_spark_session()
            except Exception as exc:  # no Java, a port taken …: Spark's own words, briefly
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise BackendUnavailable(
                    f"the spark backend could not start a local Spark session ({first}); "
                    "Spark needs Java 17 (JAVA_HOME)"
                ) from exc
        return self._session

    def open(self) -> None:
        self.session()

    def lazy(self, frame: Any) -> nw.LazyFrame[Any]:
        lazy: nw.LazyFrame[Any] = nw.from_native(self.session().createDataFrame(as_arrow(frame)))
        return lazy

    def table(self, name: str, frame: Any) -> nw.LazyFrame[Any]:
        # every rule reads the table: cached once on the session (as Spark's
        # columnar blocks) rather than rebuilt from the Arrow batches by each job
        cached: nw.LazyFrame[Any] = nw.from_native(self.session().createDataFrame(as_arrow(frame)).cache())
        return cached

    def collect(self, frames: Sequence[nw.LazyFrame[Any]]) -> list[pl.DataFrame]:
        """The batch's frames one Spark job after another, each brought over with
        one ``toArrow()``. Two faster ways were measured and dropped: a union of
        the batch into one DataFrame (one job) took 210-470 s for a county's 184
        frames against 11 s (planning one plan of a hundred branches costs far more
        than the queries it saves; with adaptive execution Spark plans it again
        after each stage), and ``toArrow()`` from 4 threads (7.6 s) hung for good
        at 100k school rows on PySpark 4.3 (every thread waiting on its socket, the
        JVM idle)."""
        return [to_polars(f) for f in frames]


def to_polars(frame: Any) -> pl.DataFrame:
    """One frame narwhals reads (lazy or eager, any backend) as a polars DataFrame."""
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    native = nw.from_native(frame)
    if isinstance(native, nw.LazyFrame):
        native = native.collect(backend="polars")
    out = nw.to_native(native)
    return out if isinstance(out, pl.DataFrame) else native.to_polars()


def as_arrow(frame: Any) -> Any:
    """Any eager or lazy frame narwhals reads, as a pyarrow Table: how the
    submission's polars tables are handed to an engine in another process or
    library."""
    native = nw.from_native(frame)
    return native.to_arrow() if isinstance(native, nw.DataFrame) else native.collect().to_arrow()


def local_spark_session() -> Any:
    """A local SparkSession for one machine (``local[*]``), quiet and without a
    UI, shared by every run of the process (starting one costs seconds)."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[*]")
        .appName("supervise-rules")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        # A county's tables are small and each rule is a few queries: compiling
        # code for every query's plan, and re-planning it after each stage, cost
        # more than running it (measured on a county's 17 rules, first run:
        # 74 s with the defaults, 48 s without); a cluster's session is its own.
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .getOrCreate()
    )
    # a rule's failing query is its error finding; Spark's own log of it (a Java
    # stack trace on stderr) is not for the user of a local run
    session.sparkContext.setLogLevel("OFF")
    return session


def make_backend(backend: str | Backend, registry: Mapping[str, type[Backend]]) -> Backend:
    """The backend instance for ``backend``: an instance as it is, or a
    registered name (``ValueError`` naming the known ones otherwise)."""
    if isinstance(backend, Backend):
        return backend
    cls = registry.get(backend)
    if cls is None:
        raise ValueError(f"unknown backend {backend!r} (known: {', '.join(sorted(registry))})")
    return cls()


BUILTIN_BACKENDS: tuple[type[Backend], ...] = (PolarsBackend, DuckDBBackend, SparkBackend)

__all__ = [
    "BUILTIN_BACKENDS",
    "Backend",
    "BackendUnavailable",
    "DuckDBBackend",
    "PolarsBackend",
    "SparkBackend",
    "as_arrow",
    "local_spark_session",
    "make_backend",
    "to_polars",
]
