"""Fixtures every part of the suite shares: isolated settings, real databases, the shared SIP peers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dialer.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Built-in defaults with the data directory in a temporary folder; no dialer.toml, no DIALER_* leak."""
    return load_settings(None, environ={"DIALER_DATA_DIR": str(tmp_path / "data")})


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"the shared folder is missing: expected {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def render_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One render cache for the call workers of the real-SIP modules, as the workers of one host share
    theirs: the script's fixed sentences are rendered once per test run, not once per module. Entries are
    content-addressed and written atomically; a module that needs a cold cache keeps its own."""
    return tmp_path_factory.mktemp("render-cache")


def call_worker_settings(
    tmp: Path,
    cache: Path,
    *,
    sip_port: int,
    rtp_port: int,
    engines: tuple[str, ...] = ("piper", "espeak"),
    **extra: str,
) -> Settings:
    """Settings for the two real call workers (pjsua2, the session handler) of a real-SIP module: data
    in `tmp`, the shared render cache, the repository's scripts; `extra` adds DIALER_* variables."""
    env = {
        "DIALER_DATA_DIR": str(tmp / "data"),
        "DIALER_VOICE__CACHE_DIR": str(cache),
        "DIALER_VOICE__TTS_ENGINES": ",".join(engines),
        "DIALER_DIALOGUE__SCRIPTS_DIR": str(REPO / "scripts"),
        "DIALER_SIP__HANDLER": "dialer.session.handler:SessionHandler",
        "DIALER_SIP__WORKERS": "2",
        "DIALER_SIP__BASE_SIP_PORT": str(sip_port),
        "DIALER_SIP__BASE_RTP_PORT": str(rtp_port),
        **extra,
    }
    return load_settings(config=None, environ=env)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The PostgreSQL server the suite may create databases in (tools/postgres.sh prints it)."""
    url = os.environ.get("DIALER_TEST_POSTGRES_URL")
    if not url:
        pytest.fail("DIALER_TEST_POSTGRES_URL is not set: run `make test` (tools/postgres.sh prints the URL)")
    return url


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str) -> Iterator[str]:
    """A database at the schema's head, migrated once per run: each test's database is a copy of it
    (CREATE DATABASE ... TEMPLATE copies files; migrating every test's database took most of a
    PostgreSQL test's time)."""
    from scheduler import migrations

    name = f"dialer_tpl_{uuid.uuid4().hex[:12]}"
    _server_sql(postgres_server_url, f'CREATE DATABASE "{name}"')
    migrations.upgrade(_database_url(postgres_server_url, name))  # disposes its engine: no session stays
    try:
        yield name
    finally:
        _server_sql(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_server_url: str, postgres_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database at the schema's head for one test; dropped afterwards."""
    yield from _scratch_database(postgres_server_url, template=postgres_template)


@pytest.fixture
def empty_postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (the migrations' own tests); dropped afterwards."""
    yield from _scratch_database(postgres_server_url, template=None)


def _database_url(server_url: str, name: str) -> str:
    return server_url.rsplit("/", 1)[0] + "/" + name


def _server_sql(server_url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE and DROP DATABASE refuse to run inside one)."""
    import sqlalchemy as sa

    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        admin.dispose()


def _scratch_database(server_url: str, template: str | None) -> Iterator[str]:
    name = f"dialer_t_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    _server_sql(server_url, f'CREATE DATABASE "{name}"{copy}')
    try:
        yield _database_url(server_url, name)
    finally:
        _server_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite file at the newest schema, migrated once; `sqlite_ledger` copies it per test."""
    from scheduler import migrations

    path = tmp_path_factory.mktemp("migrated") / "ledger.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_ledger(migrated_sqlite_file: Path, tmp_path: Path) -> Iterator[Any]:
    """The real ledger on a fresh SQLite file of its own (for tests around the ledger seam)."""
    import shutil

    from scheduler.sql_ledger import SqlLedger

    path = tmp_path / "ledger.db"
    shutil.copyfile(migrated_sqlite_file, path)
    ledger = SqlLedger.open(f"sqlite:///{path}")
    yield ledger
    ledger.close()
