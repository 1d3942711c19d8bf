"""A claiming worker process for the multi-process test: it claims, dials (logs the dial) and completes,
and crashes at random with os._exit, leaving its leases behind."""

from __future__ import annotations

import datetime as dt
import os
import random
import time

import sqlalchemy as sa

from scheduler.claims import ClaimStore, claims_engine
from scheduler.models import Attempt
from scheduler.outcomes import CallOutcome
from scheduler.results import record_outcome
from scheduler.vocabulary import Disposition
from tests.ledger.lifecycle import unlimited_pacer


def _log(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def run(url: str, seed: int, crash_rate: float, log_path: str, lease_seconds: float) -> None:
    engine = claims_engine(url)
    owner = f"w{seed}-{os.getpid()}"
    store = ClaimStore(engine, owner=owner, lease=dt.timedelta(seconds=lease_seconds))
    pacer = unlimited_pacer(engine)
    rng = random.Random(seed)
    while True:
        now = dt.datetime.now(dt.UTC)
        store.recover_expired(now)
        claims = store.claim(now, limit=25)
        if not claims:
            with engine.connect() as conn:
                open_count = conn.scalar(
                    sa.select(sa.func.count()).where(Attempt.state.in_(("queued", "claimed", "dialing")))
                )
            if not open_count:
                engine.dispose()
                return
            time.sleep(0.05)
            continue
        _log(log_path, " ".join(f"claim {c.attempt_id} {owner}" for c in claims).replace(" claim", "\nclaim"))
        for claim in claims:
            if rng.random() < crash_rate:
                os._exit(3)  # died holding claims: nothing dialled yet
            pace = pacer.start_call(claim.attempt_id, owner, dt.datetime.now(dt.UTC), "+12125550199")
            if not pace.started:
                _log(log_path, f"lost {claim.attempt_id} {owner}")
                continue
            _log(log_path, f"dial {claim.attempt_id} {owner}")
            if rng.random() < crash_rate:
                os._exit(4)  # died mid-call
            now = dt.datetime.now(dt.UTC)
            if record_outcome(
                engine, owner, CallOutcome(claim.attempt_id, now, Disposition.no_answer, "no_answer"), now
            ):
                _log(log_path, f"done {claim.attempt_id} {owner}")
            else:
                _log(log_path, f"late {claim.attempt_id} {owner}")
