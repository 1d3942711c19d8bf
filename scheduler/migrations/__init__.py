"""Alembic migrations, run from code: `upgrade(url)`, `current(url)`, `heads()`.

The script location is this package, so migrations work from an installed wheel with no alembic.ini on
disk. Exactly one head is allowed (a test checks it): a new migration's `down_revision` is the current head.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from scheduler.db import create_engine, normalize_url

HERE = Path(__file__).resolve().parent


def alembic_config(url: str | URL | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    if url is not None:
        rendered = normalize_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def heads() -> tuple[str, ...]:
    return tuple(script_directory().get_heads())


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (creating the tables on an empty database)."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current(url: str | URL) -> tuple[str, ...]:
    """The revision(s) the database is at; empty for a database never migrated."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return tuple(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def is_current(url: str | URL) -> bool:
    return set(current(url)) == set(heads())


def table_names(url: str | URL) -> list[str]:
    engine = create_engine(url)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
