"""Engines and sessions for the ledger database, SQLite (embedded, one host) or PostgreSQL (scale-out).

SQLite gets a file only its owner can read (created 0600), WAL (readers never block the writer), foreign
keys ON (off by default in SQLite!) and a busy timeout so that the supervisor, the workers and an import
can share one file. The pysqlite driver's own
transaction handling is switched off and SQLAlchemy emits BEGIN itself, the recipe from the SQLAlchemy
docs, so that a transaction really starts where the session says it does. Parameters are hidden from SQL
error messages and echo output: they are personal data.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000  # writers wait for one another; imports keep their write lock short


class DatabaseURLError(ValueError):
    """The database URL names a backend the ledger does not support."""


def normalize_url(url: str | URL) -> URL:
    """`postgresql://` and `postgres://` mean psycopg 3; SQLite and PostgreSQL are the only backends."""
    parsed = make_url(url) if isinstance(url, str) else url
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed
    raise DatabaseURLError(f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://...")


def create_engine(url: str | URL, *, echo: bool = False, sqlite_begin: str = "BEGIN") -> Engine:
    """An engine configured for the ledger. `sqlite_begin="BEGIN IMMEDIATE"` takes the write lock at
    the start of each transaction (for read-then-write claims that must not deadlock on lock upgrade)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo, begin=sqlite_begin)
    return sa.create_engine(parsed, echo=echo, pool_pre_ping=True, hide_parameters=True)


def for_writes(engine: Engine) -> Engine:
    """The same engine (same pool) whose SQLite transactions take the write lock at BEGIN.

    A deferred SQLite transaction that reads and then writes fails at once with "database is locked"
    (SQLITE_BUSY_SNAPSHOT) when another writer committed in between, as a long import does; no busy
    timeout helps. Taking the lock first makes the transaction wait its turn instead. PostgreSQL ignores it.
    """
    return engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")


def for_reads(engine: Engine) -> Engine:
    """The same engine (same pool) whose SQLite transactions start deferred, so a reader never queues for
    the write lock: for a store given the daemon's claims engine (BEGIN IMMEDIATE at every transaction)
    that writes only through `for_writes`. PostgreSQL ignores it."""
    return engine.execution_options(sqlite_begin="BEGIN")


def create_private_file(path: Path) -> None:
    """Create `path` readable by its owner only, if it does not exist yet. SQLite creates its -wal and
    -shm files with the database file's permissions, so they are private too."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_engine(url: URL, *, echo: bool, begin: str) -> Engine:
    memory = url.database in (None, "", ":memory:")
    if not memory and not str(url.database).startswith("file:") and Path(str(url.database)).parent.is_dir():
        create_private_file(Path(str(url.database)))  # the ledger holds personal data: never 0644
    engine = sa.create_engine(
        url,
        echo=echo,
        hide_parameters=True,  # SQL errors and echo never show values (phone numbers, names)
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **({"poolclass": sa.pool.StaticPool} if memory else {}),
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN below
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", begin))

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (values are plain data once loaded)."""
    return sessionmaker(engine, expire_on_commit=False)


_UNREACHABLE = (
    "connection",  # refused, failed, closed, reset: the server is down or restarting
    "server closed",
    "terminating",
    "the database system is",  # starting up, shutting down, in recovery
    "database is locked",  # SQLite: another writer outlasted the busy timeout
)


def ledger_unavailable(exc: BaseException) -> bool:
    """The ledger cannot be reached just now (server restarting, connection cut, SQLite busy), so the same
    work may be retried shortly. Schema errors, constraints and bad values are not: they fail again.
    Looks through wrapping errors (`BackendError` from ... an OperationalError)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sa.exc.DBAPIError):
            if seen.connection_invalidated:
                return True
            if isinstance(seen, (sa.exc.OperationalError, sa.exc.InterfaceError)):
                text = str(seen.orig).lower()
                return any(word in text for word in _UNREACHABLE)
            return False
        seen = seen.__cause__
    return False
