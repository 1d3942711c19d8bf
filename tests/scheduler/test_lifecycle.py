"""Not placed, backed off, paused with a reason; trunks backed off for every host. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from scheduler.claims import ClaimStore, claims_engine
from scheduler.lifecycle import Lifecycle
from scheduler.models import Attempt, AuditEntry, Campaign
from scheduler.outcomes import CallOutcome
from scheduler.pacing import Pacer, TrunkLimits
from scheduler.planner import RetryPolicy
from scheduler.policy.ledger_cases import history_entry
from scheduler.results import record_outcome
from scheduler.settings import Backoff
from scheduler.vocabulary import Disposition
from scheduler.webhooks import WebhookOutbox
from tests.scheduler.seed import T0, migrated, seed_queue

LEASE = dt.timedelta(minutes=5)
S = dt.timedelta(seconds=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    value = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))
    migrated(value)
    yield value


def _campaign(url: str) -> Campaign:
    engine = claims_engine(url)
    with Session(engine) as session:
        row = session.scalars(sa.select(Campaign)).one()
        session.expunge(row)
    engine.dispose()
    return row


def _trunk_failure(attempt_id: int, at: dt.datetime) -> CallOutcome:
    return CallOutcome(attempt_id, at, Disposition.trunk_failure, "no_answer")


def test_not_placed_backs_off_then_pauses_with_a_reason(url: str) -> None:
    seed_queue(url, 5)
    engine = claims_engine(url)
    store = ClaimStore(engine, owner="h1", lease=LEASE)
    life = Lifecycle(engine, "h1", Backoff(pause_after=3, local_seconds=10, max_seconds=15))
    outbox = WebhookOutbox(engine, clock=lambda: T0 - S, allow_networks=("127.0.0.0/8",))  # the test's hook
    outbox.subscribe("http://127.0.0.1:9/hook", ("campaign_paused",), created_by="test")
    now = T0
    (first,) = store.claim(now)
    failure = life.not_placed(first.attempt_id, "FileNotFoundError: model missing", now)
    assert failure.recorded and failure.streak == 1 and failure.backoff_until == now + 10 * S
    assert store.claim(now + 9 * S) == []  # the campaign waits out its back-off
    (second,) = store.claim(now + 10 * S)
    failure = life.not_placed(second.attempt_id, "x", now + 10 * S)
    assert failure.streak == 2 and not failure.paused_reason
    assert life.not_placed(second.attempt_id, "again", now + 11 * S).recorded is False  # fenced: done
    now += 40 * S
    (third,) = store.claim(now)
    failure = life.not_placed(third.attempt_id, "FileNotFoundError: model missing", now)
    assert failure.backoff_until == now + 15 * S  # doubled, capped
    assert failure.paused_reason.startswith("paused after 3 local failures in a row")
    campaign = _campaign(url)
    assert campaign.state == "paused" and campaign.state_reason == failure.paused_reason
    with engine.connect() as conn:
        audit = conn.execute(sa.select(AuditEntry.action).where(AuditEntry.action == "campaign.paused")).all()
    with Session(engine) as session:
        rows = list(session.scalars(sa.select(Attempt).where(Attempt.disposition == "not_placed")))
    assert len(rows) == 3 and len(audit) == 1
    for row in rows:  # never in the compliance history
        assert row.result is None and row.dialing_at is None and row.cause
        assert history_entry(row, "+12125550100", "A-1") is None
    assert outbox.collect() == 1
    (delivery,) = outbox.deliveries()
    assert delivery.event == "campaign_paused"
    engine.dispose()


def test_a_conducted_call_ends_the_streak_and_trunk_failures_back_off_the_trunk(url: str) -> None:
    seed_queue(url, 4)
    engine = claims_engine(url)
    store = ClaimStore(engine, owner="h1", lease=LEASE)
    pacer = Pacer(engine, lambda trunk: TrunkLimits(channels=10, calls_per_second=100))
    life = Lifecycle(engine, "h1", Backoff(pause_after=5, local_seconds=1, trunk_seconds=4))
    a, b, c, d = store.claim(T0, limit=4)
    assert life.not_placed(a.attempt_id, "x", T0).streak == 1
    assert pacer.start_call(b.attempt_id, "h1", T0).started
    assert record_outcome(engine, "h1", _trunk_failure(b.attempt_id, T0 + S), T0 + S)
    life.placed(b.attempt_id, conducted=True, trunk_failure="sip 503", now=T0 + S)
    campaign = _campaign(url)
    assert campaign.failure_streak == 0 and campaign.backoff_until is None
    held = pacer.start_call(c.attempt_id, "h1", T0 + 2 * S)
    assert not held.started and held.retry_after == T0 + 5 * S and "sip 503" in held.reason
    assert pacer.start_call(c.attempt_id, "h1", T0 + 5 * S).started
    assert record_outcome(engine, "h1", _trunk_failure(c.attempt_id, T0 + 6 * S), T0 + 6 * S)
    life.placed(c.attempt_id, conducted=True, trunk_failure="no response", now=T0 + 6 * S)
    held = pacer.start_call(d.attempt_id, "h1", T0 + 7 * S)
    assert held.retry_after == T0 + 14 * S  # the second failure in a row doubles it
    engine.dispose()


def test_not_placed_is_never_retried_sooner_than_a_normal_retry() -> None:
    retry = RetryPolicy(no_answer_hours=4)
    last = Attempt(disposition="not_placed", ended_at=T0, scheduled_at=T0)
    normal = Attempt(disposition="no_answer", ended_at=T0, scheduled_at=T0)
    assert retry.not_before(last, (), None, 1) == retry.not_before(normal, (), None) == T0 + 4 * 3600 * S
    assert retry.not_before(last, (), None, 3) == T0 + 16 * 3600 * S
