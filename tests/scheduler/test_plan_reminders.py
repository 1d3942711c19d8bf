"""A payment plan agreed on a call: the planner holds the account, plans one reminder call before each
part's date (from a day before, decided by the policy engine), and after that part's date the next one.
Conversation on Monday 2026-01-12; parts on Friday the 16th and Tuesday the 20th."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
import sqlalchemy as sa

from scheduler.db import create_engine
from scheduler.models import Attempt
from scheduler.outcomes import CallOutcome, PromiseOutcome
from scheduler.results import record_outcome
from scheduler.vocabulary import Disposition, NumberStatus
from tests.outcomes.ledger_setup import OWNER, dialing, plan
from tests.scheduler.seed import T0, migrated

END = T0 + dt.timedelta(minutes=2)
PARTS = (PromiseOutcome(dt.date(2026, 1, 16), Decimal("50")), PromiseOutcome(dt.date(2026, 1, 20), None))
UK = {"country": "GB"}  # no lock after a conversation: the reminder's time is the plan's


@pytest.fixture
def url(sqlite_url: str) -> Iterator[str]:
    migrated(sqlite_url)
    yield sqlite_url


def _agree_plan(url: str, number: str, where: dict[str, str] | None) -> int:
    ids = dialing(url, {"a": [number]}, where=where)
    outcome = CallOutcome(
        attempt_id=ids["a"], ended_at=END, disposition=Disposition.promise_to_pay,
        history_result="conversation",
        number_status=NumberStatus.valid, sip_code=200, answered_at=END - dt.timedelta(seconds=60),
        talk_seconds=60.0, machine="human", promise=PARTS[0], plan=PARTS,
    )  # fmt: skip
    engine = create_engine(url)
    try:
        assert record_outcome(engine, OWNER, outcome, END)
    finally:
        engine.dispose()
    return ids["a"]


def _queued(url: str) -> list[Attempt]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(Attempt.id, Attempt.scheduled_at).where(Attempt.state == "queued")
        ).all()
    engine.dispose()
    return rows  # type: ignore[return-value]


def _done(url: str, attempt_id: int, at: dt.datetime) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.update(Attempt).where(Attempt.id == attempt_id).values(
                state="done", dialing_at=at, ended_at=at + dt.timedelta(minutes=1), result="conversation",
                disposition="promise_to_pay",
            )
        )  # fmt: skip
    engine.dispose()


def test_one_reminder_before_each_part(url: str) -> None:
    _agree_plan(url, "+447911123456", UK)
    row = plan(url, END + dt.timedelta(hours=1))["a"]
    assert (row.rule, row.at) == ("PLAN", dt.datetime(2026, 1, 15, tzinfo=dt.UTC))  # type: ignore[attr-defined]
    assert "part 1 of 2 due 2026-01-16" in row.reason  # type: ignore[attr-defined]
    assert not _queued(url)
    # the day before: the reminder is planned at the first lawful time from midnight (08:00 London)
    row = plan(url, dt.datetime(2026, 1, 14, 12, tzinfo=dt.UTC))["a"]
    assert row.queued, row
    [(reminder_id, at)] = _queued(url)
    assert at == dt.datetime(2026, 1, 15, 8, tzinfo=dt.UTC)
    _done(url, reminder_id, at)
    row = plan(url, dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC))["a"]
    assert (row.rule, row.queued) == ("PLAN", False), row  # type: ignore[attr-defined]
    assert "reminder made" in row.reason  # type: ignore[attr-defined]
    # part 1's date has come: part 2's reminder, from the 19th
    row = plan(url, dt.datetime(2026, 1, 17, 12, tzinfo=dt.UTC))["a"]
    assert (row.rule, row.at) == ("PLAN", dt.datetime(2026, 1, 19, tzinfo=dt.UTC)), row  # type: ignore[attr-defined]
    assert "part 2 of 2 due 2026-01-20" in row.reason  # type: ignore[attr-defined]
    assert plan(url, dt.datetime(2026, 1, 18, 12, tzinfo=dt.UTC))["a"].queued  # type: ignore[attr-defined]


def test_the_reminder_respects_the_policy(url: str) -> None:
    """In the US a conversation locks calls about the debt for 7 days (U4): no reminder before the 19th."""
    _agree_plan(url, "+12125550100", None)
    row = plan(url, dt.datetime(2026, 1, 14, 12, tzinfo=dt.UTC))["a"]
    assert (row.rule, row.queued) == ("U4", False), row  # type: ignore[attr-defined]
    assert row.at == dt.datetime(2026, 1, 19, 13, tzinfo=dt.UTC)  # type: ignore[attr-defined]
