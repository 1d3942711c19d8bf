"""Trunk pacing across hosts (channels, calls per second) and local-presence caller ID."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from scheduler.caller_id import choose_caller_id
from scheduler.claims import ClaimStore, claims_engine
from scheduler.db import create_engine
from scheduler.models import Attempt
from scheduler.outcomes import CallOutcome
from scheduler.pacing import Pacer, TrunkLimits
from scheduler.results import record_outcome
from scheduler.vocabulary import Disposition
from tests.scheduler.seed import T0, migrated, seed_queue

LEASE = dt.timedelta(minutes=5)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    value = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))
    migrated(value)
    yield value


def test_channel_limit(url: str) -> None:
    seed_queue(url, 3)
    engine = claims_engine(url)
    store = ClaimStore(engine, owner="h1", lease=LEASE)
    pacer = Pacer(engine, lambda trunk: TrunkLimits(channels=2, calls_per_second=100))
    a, b, c = store.claim(T0, limit=3)
    assert pacer.start_call(a.attempt_id, "h1", T0).started
    assert pacer.start_call(b.attempt_id, "h1", T0).started
    full = pacer.start_call(c.attempt_id, "h1", T0)
    assert not full.started and "channels busy" in full.reason and full.retry_after is not None
    ended = T0 + dt.timedelta(seconds=30)
    assert record_outcome(engine, "h1", CallOutcome(a.attempt_id, ended, Disposition.busy, "busy"), ended)
    assert pacer.start_call(c.attempt_id, "h1", T0 + dt.timedelta(seconds=31)).started
    lost = pacer.start_call(c.attempt_id, "h2", T0 + dt.timedelta(seconds=32))
    assert not lost.started and lost.retry_after is None  # not the owner: never dial


def test_calls_per_second(url: str) -> None:
    seed_queue(url, 3)
    engine = claims_engine(url)
    store = ClaimStore(engine, owner="h1", lease=LEASE)
    pacer = Pacer(engine, lambda trunk: TrunkLimits(channels=10, calls_per_second=0.5))
    a, b, _ = store.claim(T0, limit=3)
    assert pacer.start_call(a.attempt_id, "h1", T0).started
    wait = pacer.start_call(b.attempt_id, "h1", T0 + dt.timedelta(seconds=1))
    assert not wait.started and wait.retry_after == T0 + dt.timedelta(seconds=2)
    assert pacer.start_call(b.attempt_id, "h1", T0 + dt.timedelta(seconds=2)).started


@pytest.mark.postgres
def test_channel_limit_holds_across_hosts(postgres_url: str) -> None:
    migrated(postgres_url)
    seed_queue(postgres_url, 40)
    hosts = []
    for name in ("h1", "h2", "h3", "h4"):
        engine = claims_engine(postgres_url)
        store = ClaimStore(engine, owner=name, lease=LEASE)
        hosts.append(
            (name, store, Pacer(engine, lambda trunk: TrunkLimits(channels=5, calls_per_second=1000)))
        )
    barrier = threading.Barrier(len(hosts))
    started: list[int] = []

    def run(name: str, store: ClaimStore, pacer: Pacer) -> None:
        claims = store.claim(T0, limit=10)
        barrier.wait()
        for claim in claims:
            if pacer.start_call(claim.attempt_id, name, T0).started:
                started.append(claim.attempt_id)

    threads = [threading.Thread(target=run, args=host) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        dialing = conn.scalar(sa.select(sa.func.count()).where(Attempt.state == "dialing"))
    engine.dispose()
    assert dialing == len(started) == 5


def test_caller_id_prefers_local_presence() -> None:
    pool = ["+12125550199", "+16175550199", "+15085550199", "+13125550199", "+442071234599"]
    assert choose_caller_id(pool, "+16175550100") == "+16175550199"  # same area code
    assert choose_caller_id(pool, "+17815550100") in {"+16175550199", "+15085550199"}  # same state (MA)
    assert choose_caller_id(pool, "+14155550100") in {
        "+12125550199",
        "+13125550199",
        "+15085550199",
        "+16175550199",
    }
    assert choose_caller_id(pool, "+447911123456") == "+442071234599"
    assert choose_caller_id(pool, "+16175550100") == choose_caller_id(pool, "+16175550100")  # stable
    assert choose_caller_id([], "+16175550100") is None
    assert choose_caller_id(["not a number"], "+16175550100") is None
