"""Claims and leases: contract tests on SQLite and PostgreSQL, and 4 crashing processes on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler.claims import ClaimStore, GateVerdict, claims_engine
from scheduler.db import create_engine
from scheduler.models import Attempt, AuditEntry
from scheduler.outcomes import CallOutcome
from scheduler.results import record_outcome
from scheduler.vocabulary import Disposition
from tests.ledger.lifecycle import unlimited_pacer
from tests.scheduler import claim_worker
from tests.scheduler.seed import T0, migrated, seed_queue

LEASE = dt.timedelta(minutes=5)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    value = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))
    migrated(value)
    yield value


def _states(url: str) -> Counter[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Attempt.state, sa.func.count()).group_by(Attempt.state)).all()
    engine.dispose()
    return Counter({state: count for state, count in rows})


def test_two_hosts_never_share_an_attempt(url: str) -> None:
    seed_queue(url, 10)
    a = ClaimStore(claims_engine(url), owner="a", lease=LEASE)
    b = ClaimStore(claims_engine(url), owner="b", lease=LEASE)
    first = a.claim(T0, limit=6)
    second = b.claim(T0, limit=6)
    assert len(first) == 6 and len(second) == 4
    assert not {c.attempt_id for c in first} & {c.attempt_id for c in second}
    assert b.claim(T0, limit=6) == []
    assert not a.claim(T0 - dt.timedelta(seconds=1))  # nothing due earlier


def test_fencing_after_the_lease_is_lost(url: str) -> None:
    seed_queue(url, 2)
    a = ClaimStore(claims_engine(url), owner="a", lease=LEASE)
    b = ClaimStore(claims_engine(url), owner="b", lease=LEASE)
    pacer = unlimited_pacer(a.engine)
    one, two = a.claim(T0, limit=2)
    assert pacer.start_call(two.attempt_id, "a", T0 + dt.timedelta(seconds=1)).started
    later = T0 + LEASE + dt.timedelta(seconds=1)
    lost = pacer.start_call(one.attempt_id, "a", later)
    assert not lost.started and lost.retry_after is None  # expired: no dial
    recovery = b.recover_expired(later)
    assert (recovery.requeued, recovery.interrupted) == (1, 1)
    late = CallOutcome(two.attempt_id, later, Disposition.no_answer, "no_answer")
    assert not record_outcome(a.engine, "a", late, later)  # fenced: the attempt is interrupted
    again = b.claim(later, limit=5)
    assert [c.attempt_id for c in again] == [one.attempt_id]
    assert pacer.start_call(one.attempt_id, "b", later).started
    assert b.renew(one.attempt_id, later + dt.timedelta(minutes=4))
    ended = later + dt.timedelta(minutes=8)
    assert record_outcome(b.engine, "b", CallOutcome(one.attempt_id, ended, Disposition.busy, "busy"), ended)
    assert _states(url) == Counter({"done": 1, "interrupted": 1})


def test_release_puts_a_claim_back(url: str) -> None:
    seed_queue(url, 1)
    a = ClaimStore(claims_engine(url), owner="a", lease=LEASE)
    (claim,) = a.claim(T0)
    assert a.release(claim.attempt_id, T0)
    assert _states(url) == Counter({"queued": 1})


def test_gate_denials_are_rescheduled_or_cancelled_and_audited(url: str) -> None:
    seed_queue(url, 3)
    later = T0 + dt.timedelta(hours=3)
    verdicts = iter(
        [
            GateVerdict(True, "ALLOW", profiles=("US@2026.1",)),
            GateVerdict(False, "U1", "outside the window", later, ("US@2026.1",)),
            GateVerdict(False, "U6", "opted out", None, ("US@2026.1",)),
        ]
    )
    store = ClaimStore(claims_engine(url), owner="a", lease=LEASE, gate=lambda s, row, now: next(verdicts))
    claims = store.claim(T0, limit=3)
    assert len(claims) == 1
    assert _states(url) == Counter({"claimed": 1, "queued": 1, "cancelled": 1})
    engine = create_engine(url)
    with engine.connect() as conn:
        audit = conn.execute(sa.select(AuditEntry.action, AuditEntry.rule, AuditEntry.profile_versions)).all()
        rescheduled = conn.scalar(sa.select(Attempt.scheduled_at).where(Attempt.decision_rule == "U1"))
    engine.dispose()
    assert sorted((a, r) for a, r, _ in audit) == [
        ("policy.allow", "ALLOW"),
        ("policy.deny", "U1"),
        ("policy.deny", "U6"),
    ]
    assert all(v == {"US": "2026.1"} for _, _, v in audit)
    assert rescheduled == later


def _crash_run(url: str, log: Path, processes: int, total: int, crash_rate: float) -> None:
    """`processes` workers claim `total` attempts and die at random; the supervisor restarts them."""
    seed_queue(url, total, scheduled_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    ctx = multiprocessing.get_context("spawn")
    seed = 0
    crashes = Counter[int]()

    def start() -> multiprocessing.process.BaseProcess:
        nonlocal seed
        seed += 1
        proc = ctx.Process(target=claim_worker.run, args=(url, seed, crash_rate, str(log), 1.5))
        proc.start()
        return proc

    procs = [start() for _ in range(processes)]
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=4)
    while procs:
        assert dt.datetime.now(dt.UTC) < deadline, "workers did not finish"
        for proc in list(procs):
            proc.join(timeout=0.05)
            if proc.exitcode is None:
                continue
            procs.remove(proc)
            if proc.exitcode != 0:
                crashes[proc.exitcode] += 1
                procs.append(start())  # the supervisor restarts a crashed worker
    events = [line.split() for line in log.read_text().splitlines()]
    by_kind: dict[str, Counter[int]] = {k: Counter() for k in ("claim", "dial", "done", "lost", "late")}
    for kind, attempt_id, _owner in events:
        by_kind[kind][int(attempt_id)] += 1
    states = _states(url)
    assert sum(states.values()) == total
    assert set(states) <= {"done", "interrupted"}  # nothing lost, nothing left open
    assert crashes, "the test must actually crash workers"
    assert max(by_kind["dial"].values()) == 1  # nothing dialled twice
    assert set(by_kind["claim"]) == set(range(1, total + 1))  # every attempt claimed
    assert max(by_kind["done"].values()) == 1  # completed at most once ...
    assert len(by_kind["done"]) == states["done"]
    # ... and the rest were dialled by a worker that died mid-call (or stalled past its lease and was
    # fenced off when it tried to complete): interrupted, never redialled
    interrupted = set(by_kind["dial"]) - set(by_kind["done"])
    assert len(interrupted) == states["interrupted"] <= crashes[4] + len(by_kind["late"])
    assert set(by_kind["done"]) | interrupted == set(range(1, total + 1))
    reclaimed = sum(c > 1 for c in by_kind["claim"].values())
    print(f"crashes: {dict(crashes)}; states: {dict(states)}; reclaimed after a crash: {reclaimed}")


@pytest.mark.postgres
@pytest.mark.slow
def test_four_crashing_processes_claim_2000_attempts_exactly_once(postgres_url: str, tmp_path: Path) -> None:
    migrated(postgres_url)
    # as many crashes as 10,000 attempts at 0.15 % gave (about 15), in a fifth of the time: the crashes
    # and the reclaims after them are what is tested, not the count of attempts between them
    _crash_run(postgres_url, tmp_path / "events.log", processes=4, total=2_000, crash_rate=0.008)


@pytest.mark.slow
def test_crashing_processes_on_one_sqlite_file(sqlite_url: str, tmp_path: Path) -> None:
    migrated(sqlite_url)
    _crash_run(sqlite_url, tmp_path / "events.log", processes=2, total=500, crash_rate=0.012)
