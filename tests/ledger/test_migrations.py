"""The Alembic migrations and the models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from scheduler import migrations
from scheduler.db import create_engine
from scheduler.models import Base

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "empty_postgres_url"
    return str(request.getfixturevalue(name))


def _table_modules() -> None:
    """Import what env.py imports, so Base.metadata holds every part's tables (as it does in env.py)."""
    tree = ast.parse((Path(migrations.__file__).parent / "env.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("scheduler."):
                    importlib.import_module(alias.name)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("scheduler."):
            importlib.import_module(str(node.module))


def test_exactly_one_head() -> None:
    assert len(migrations.heads()) == 1


def test_migrated_schema_matches_models(db_url: str) -> None:
    migrations.upgrade(db_url)
    _table_modules()
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"
    assert migrations.current(db_url) == migrations.heads()
    assert migrations.is_current(db_url)


def test_upgrade_twice_is_a_no_op_and_downgrade_works(db_url: str) -> None:
    migrations.upgrade(db_url)
    migrations.upgrade(db_url)
    assert "attempts" in migrations.table_names(db_url)
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            config = migrations.alembic_config(db_url)
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
    finally:
        engine.dispose()
    assert [t for t in migrations.table_names(db_url) if t != "alembic_version"] == []


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_audit_log_refuses_update_and_delete(db_url: str, statement: str) -> None:
    migrations.upgrade(db_url)
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO audit_log (at, actor, action, subject, profile_versions, detail) "
                    "VALUES (:at, 'planner', 'decide', 'attempt:1', '{}', '{}')"
                ),
                {"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
            )
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT actor FROM audit_log")).scalar_one() == "planner"
    finally:
        engine.dispose()
