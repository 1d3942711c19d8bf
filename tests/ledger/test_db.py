"""Engine setup and the UTC column type, on a real SQLite file and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from scheduler import migrations
from scheduler.db import DatabaseURLError, create_engine, normalize_url, session_factory
from scheduler.models import Campaign, Debtor, ImportBatch, Promise

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    url = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))
    migrations.upgrade(url)
    return url


def test_urls() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(DatabaseURLError, match="unsupported database 'mysql'"):
        normalize_url("mysql://u@h/db")


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        engine.dispose()


def test_sqlite_enforces_foreign_keys(sqlite_url: str) -> None:
    migrations.upgrade(sqlite_url)
    engine = create_engine(sqlite_url)
    try:
        with pytest.raises(sa.exc.IntegrityError), session_factory(engine).begin() as session:
            session.add(ImportBatch(campaign_id=12345, filename="x.csv", sha256="0" * 64))
    finally:
        engine.dispose()


def test_timestamps_are_aware_utc_and_money_is_decimal(db_url: str) -> None:
    engine = create_engine(db_url)
    shanghai = dt.datetime(2026, 12, 5, 21, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    try:
        with session_factory(engine).begin() as session:
            campaign = Campaign(name="c", created_at=shanghai)
            debtor = Debtor(debtor_ref="D1")
            session.add_all([campaign, debtor])
        with session_factory(engine)() as session:
            created = session.scalars(sa.select(Campaign.created_at)).one()
            assert created == shanghai and created.utcoffset() == dt.timedelta(0)
            assert created.hour == 13
            stamp = session.scalars(sa.select(Debtor.created_at)).one()
            assert stamp.tzinfo is not None
        with (
            pytest.raises(sa.exc.StatementError, match="naive datetime"),
            session_factory(engine).begin() as s,
        ):
            s.add(Campaign(name="naive", created_at=dt.datetime(2026, 12, 5, 9, 0)))
        with engine.connect() as conn:
            amount = conn.execute(
                sa.select(sa.cast(sa.literal(Decimal("1234.56")), Promise.amount.type))
            ).scalar()
            assert amount == Decimal("1234.56") and isinstance(amount, Decimal)
    finally:
        engine.dispose()
