"""Migration 0003 on a ledger with calls in it, on SQLite and PostgreSQL: the measures of calls recorded
before it move from their audit entries to the new columns, nothing else changes, and the way back keeps
every row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from scheduler import migrations
from scheduler.db import create_engine
from tests.scheduler.seed import T0, seed_queue

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
AUDIT = sa.table(
    "audit_log",
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("subject", sa.String),
    sa.column("profile_versions", sa.JSON),
    sa.column("detail", sa.JSON),
)
TURNS = sa.table(
    "call_turns",
    sa.column("attempt_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("speaker", sa.String),
    sa.column("text", sa.Text),
    sa.column("started_at", sa.DateTime(timezone=True)),
)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "empty_postgres_url"))


def _at(url: str) -> Any:
    """A naive UTC time on SQLite (what the models store there), an aware one on PostgreSQL."""
    return T0.replace(tzinfo=None) if url.startswith("sqlite") else T0


def _seed_0002(url: str) -> list[int]:
    """Five attempts at revision 0002, four with call-outcome audit entries as 0002's code wrote them."""
    migrations.upgrade(url, "0002")
    seed_queue(url, 5)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            ids = list(conn.execute(sa.text("SELECT id FROM attempts ORDER BY id")).scalars())
            a, b, c, d, _ = ids

            def outcome(subject: str, **detail: object) -> dict[str, object]:
                return {
                    "at": _at(url),
                    "actor": "h1",
                    "action": "call.outcome",
                    "subject": subject,
                    "profile_versions": {},
                    "detail": {"disposition": "refused", "turns": 1, **detail},
                }

            conn.execute(
                sa.insert(AUDIT),
                [
                    outcome(f"attempt:{a}", machine="human", opening_ms=380, evidence="sip 200 answered"),
                    outcome(f"attempt:{b}", machine="", opening_ms=None, evidence="SIT vacant"),
                    # values no 0003 column may take are dropped, never guessed
                    outcome(f"attempt:{c}", machine="human", opening_ms=200, evidence="sip 486"),
                    outcome(f"attempt:{c}", machine="machine", opening_ms=True, evidence=7),
                    outcome(f"attempt:{d}", machine="fax", opening_ms=-5, evidence="sip 486"),
                    outcome("attempt:x", machine="human", opening_ms=1),
                    {**outcome(f"attempt:{a}", machine="machine"), "action": "call.refused"},
                ],
            )
            conn.execute(
                sa.insert(TURNS),
                [
                    {"attempt_id": a, "seq": 0, "speaker": "bot", "text": "Hello", "started_at": _at(url)},
                    {"attempt_id": a, "seq": 1, "speaker": "callee", "text": "", "started_at": _at(url)},
                ],
            )
        return ids
    finally:
        engine.dispose()


def _read(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _counts(url: str) -> list[tuple[Any, ...]]:
    return _read(
        url,
        "SELECT (SELECT count(*) FROM attempts), (SELECT count(*) FROM call_turns), "
        "(SELECT count(*) FROM audit_log)",
    )


def test_upgrade_copies_the_measures_of_earlier_calls_from_the_audit(db_url: str) -> None:
    a, b, c, d, e = _seed_0002(db_url)
    before = _counts(db_url)
    migrations.upgrade(db_url)
    assert migrations.is_current(db_url)
    rows = _read(db_url, "SELECT id, machine, opening_ms, number_status_evidence FROM attempts ORDER BY id")
    assert rows == [
        (a, "human", 380, "sip 200 answered"),
        (b, None, None, "SIT vacant"),
        (c, "machine", None, None),  # the later entry wins; a boolean latency, a number as evidence: dropped
        (d, None, None, "sip 486"),  # not a machine-detection word, a negative latency: dropped
        (e, None, None, None),  # never called
    ]
    assert _read(db_url, "SELECT seq, text, keys FROM call_turns ORDER BY seq") == [
        (0, "Hello", None),
        (1, "", None),
    ]
    assert _counts(db_url) == before
    engine = create_engine(db_url)
    try:
        indexes = {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("audit_log")}
    finally:
        engine.dispose()
    assert indexes["ix_audit_log_subject"] == ["subject"]


def test_downgrade_to_0002_keeps_every_row_and_upgrades_again(db_url: str) -> None:
    _seed_0002(db_url)
    migrations.upgrade(db_url)
    before = _counts(db_url)
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            config = migrations.alembic_config(db_url)
            config.attributes["connection"] = conn
            command.downgrade(config, "0002")
        inspector = sa.inspect(engine)
        assert "machine" not in {col["name"] for col in inspector.get_columns("attempts")}
        assert "keys" not in {col["name"] for col in inspector.get_columns("call_turns")}
        assert "ix_audit_log_subject" not in {i["name"] for i in inspector.get_indexes("audit_log")}
    finally:
        engine.dispose()
    assert migrations.current(db_url) == ("0002",)
    assert _counts(db_url) == before  # no table was rebuilt: the turns did not cascade away
    migrations.upgrade(db_url)
    assert _read(db_url, "SELECT count(*) FROM attempts WHERE machine = 'human'") == [(1,)]


def test_the_audit_log_stays_append_only_through_the_upgrade(db_url: str) -> None:
    _seed_0002(db_url)
    migrations.upgrade(db_url)
    engine = create_engine(db_url)
    try:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_log SET actor = 'x'"))
        with engine.begin() as conn:  # and new entries still go in
            conn.execute(
                sa.insert(AUDIT).values(
                    at=_at(db_url) + dt.timedelta(seconds=1),
                    actor="h1",
                    action="call.outcome",
                    subject="attempt:1",
                    profile_versions={},
                    detail={},
                )
            )
    finally:
        engine.dispose()
