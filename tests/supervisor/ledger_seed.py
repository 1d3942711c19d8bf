"""A running campaign whose debtors may be called right now (whatever the hour), on a real ledger."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from scheduler import migrations
from scheduler.db import create_engine, session_factory
from scheduler.models import Account, Attempt, Campaign, ContactNumber, Debtor
from scheduler.policy.geo import number_facts


@dataclass(frozen=True)
class Place:
    country: str
    state: str | None
    postal_code: str | None
    zone: str
    prefix: str  # E.164 prefix of test numbers there; 4 digits are appended


PLACES = (
    Place("US", "NY", "10001", "America/New_York", "+1212555"),
    Place("US", "HI", "96813", "Pacific/Honolulu", "+1808555"),
    Place("GB", None, None, "Europe/London", "+44207946"),
    Place("CN", "BJ", None, "Asia/Shanghai", "+861380013"),
)


def place_open_now(now: dt.datetime | None = None) -> Place:
    """A place whose local time sits well inside every profile's calling window (09:00-19:30)."""
    now = now or dt.datetime.now(dt.UTC)
    for place in PLACES:
        local = now.astimezone(ZoneInfo(place.zone)).time()
        if dt.time(9, 0) <= local <= dt.time(19, 30):
            return place
    raise AssertionError(f"no test place is inside calling hours at {now}")


def seed_campaign(
    url: str,
    accounts: int,
    *,
    name: str = "sup",
    place: Place | None = None,
    start: int = 100,
    per_day: int = 1,
) -> dict[str, str]:
    """Migrate, then one running campaign with `accounts` debtors (one number each): account ref -> e164."""
    migrations.upgrade(url)
    place = place or place_open_now()
    now = dt.datetime.now(dt.UTC)
    engine = create_engine(url)
    refs: dict[str, str] = {}
    try:
        with session_factory(engine).begin() as session:
            campaign = Campaign(
                name=name, state="running", script="reminder-en", max_attempts_per_day=per_day
            )
            session.add(campaign)
            session.flush()
            for i in range(accounts):
                ref = f"{name}-{i:03d}"
                e164 = f"{place.prefix}{start + i:04d}"
                facts = number_facts(e164)
                debtor = Debtor(
                    debtor_ref=f"D-{ref}",
                    first_name="Sam",
                    country=place.country,
                    state=place.state,
                    postal_code=place.postal_code,
                )
                session.add(debtor)
                session.flush()
                session.add(
                    Account(
                        account_ref=ref,
                        debtor_id=debtor.id,
                        campaign_id=campaign.id,
                        amount_due=Decimal("120.50"),
                        currency="USD",
                        due_date=now.date() - dt.timedelta(days=3),
                    )
                )
                session.add(
                    ContactNumber(
                        debtor_id=debtor.id,
                        e164=e164,
                        line_type=facts.line_type,
                        region=facts.region,
                        area_code_zones=list(facts.zones),
                        consent_at=now - dt.timedelta(days=400),
                    )
                )
                refs[ref] = e164
    finally:
        engine.dispose()
    return refs


def attempt_rows(url: str) -> list[dict[str, object]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    Attempt.id,
                    Attempt.state,
                    Attempt.disposition,
                    Attempt.lease_owner,
                    Attempt.scheduled_at,
                    Account.account_ref,
                    ContactNumber.e164,
                )
                .join(Account, Account.id == Attempt.account_id)
                .join(ContactNumber, ContactNumber.id == Attempt.contact_number_id)
                .order_by(Attempt.id)
            ).all()
        return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()
