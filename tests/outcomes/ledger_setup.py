"""A campaign planned and claimed on a real ledger: attempts in `dialing`, held by host "h1"."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from scheduler.claims import ClaimStore, claims_engine
from scheduler.db import create_engine, session_factory
from scheduler.models import Account, Attempt, Campaign
from scheduler.planner import Planner, policy_gate
from scheduler.policy import load_profiles
from tests.ledger.lifecycle import unlimited_pacer
from tests.scheduler.seed import T0, seed_accounts

PROFILES = load_profiles()
NY = {"country": "US", "state": "NY", "postal_code": "10001"}
OWNER = "h1"
LEASE = dt.timedelta(minutes=5)


def plan(url: str, now: dt.datetime) -> dict[str, object]:
    engine = create_engine(url)
    try:
        with session_factory(engine).begin() as session:
            campaign = session.scalar(sa.select(Campaign).where(Campaign.name == "plan"))
            assert campaign is not None
            result = Planner(PROFILES).plan(session, campaign, now, write=True)
            return {row.account_ref: row for row in result.rows}
    finally:
        engine.dispose()


def store(url: str, owner: str = OWNER) -> ClaimStore:
    return ClaimStore(claims_engine(url), owner=owner, lease=LEASE, gate=policy_gate(PROFILES))


def dialing(
    url: str,
    numbers: dict[str, list[str]],
    now: dt.datetime = T0,
    where: dict[str, str] | None = None,
    *,
    dial: bool = True,
) -> dict[str, int]:
    """One account per ref with its numbers (debtors in New York unless `where`), planned, claimed and
    (with `dial`) dialling at `now`: ref -> attempt id."""
    place = where or NY
    seed_accounts(
        url,
        [
            {"ref": ref, **place, "numbers": [(n, "mobile", True) for n in nums]}
            for ref, nums in numbers.items()
        ],
    )
    plan(url, now)
    claims = store(url).claim(now, limit=len(numbers))
    assert len(claims) == len(numbers)
    ids: dict[str, int] = {}
    engine = create_engine(url)
    with engine.connect() as conn:
        refs = dict(conn.execute(sa.select(Account.id, Account.account_ref)).all())
    pacer = unlimited_pacer(engine)
    for claim in claims:
        assert not dial or pacer.start_call(claim.attempt_id, OWNER, now).started
        ids[refs[claim.account_id]] = claim.attempt_id
    engine.dispose()
    return ids


def attempts(url: str) -> list[Attempt]:
    engine = create_engine(url)
    with session_factory(engine)() as session:
        rows = list(session.scalars(sa.select(Attempt).order_by(Attempt.id)))
    engine.dispose()
    return rows
