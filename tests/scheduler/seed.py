"""Ledger rows for scheduler tests: a migrated database with one campaign, debtors, accounts, numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from scheduler import migrations
from scheduler.db import create_engine
from scheduler.models import Account, Attempt, Campaign, ContactNumber, Debtor

T0 = dt.datetime(2026, 1, 12, 15, 0, tzinfo=dt.UTC)  # Monday 10:00 in New York


def migrated(url: str) -> None:
    migrations.upgrade(url)


def seed_queue(url: str, attempts: int, scheduled_at: dt.datetime = T0) -> int:
    """One campaign, one debtor, one account, one number and `attempts` queued attempts; the campaign id."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            campaign_id = conn.execute(
                sa.insert(Campaign)
                .values(name="stress", state="running", created_at=T0)
                .returning(Campaign.id)
            ).scalar_one()
            debtor_id = conn.execute(
                sa.insert(Debtor)
                .values(
                    debtor_ref="D-1",
                    country="US",
                    state="NY",
                    postal_code="10001",
                    created_at=T0,
                    updated_at=T0,
                )
                .returning(Debtor.id)
            ).scalar_one()
            account_id = conn.execute(
                sa.insert(Account)
                .values(
                    account_ref="A-1",
                    debtor_id=debtor_id,
                    campaign_id=campaign_id,
                    amount_due=Decimal("10"),
                    currency="USD",
                    created_at=T0,
                    updated_at=T0,
                )
                .returning(Account.id)
            ).scalar_one()
            number_id = conn.execute(
                sa.insert(ContactNumber)
                .values(debtor_id=debtor_id, e164="+12125550100", line_type="mobile", consent_at=T0)
                .returning(ContactNumber.id)
            ).scalar_one()
            rows = [
                {
                    "campaign_id": campaign_id,
                    "account_id": account_id,
                    "contact_number_id": number_id,
                    "attempt_no": 1,
                    "state": "queued",
                    "scheduled_at": scheduled_at,
                    "created_at": T0,
                }
                for _ in range(attempts)
            ]
            for start in range(0, len(rows), 2000):
                conn.execute(sa.insert(Attempt), rows[start : start + 2000])
        return int(campaign_id)
    finally:
        engine.dispose()


def seed_accounts(
    url: str, specs: list[dict[str, object]], campaign: dict[str, object] | None = None
) -> dict[str, int]:
    """A running campaign with one account per spec: {ref, country, state, postal_code, numbers: [(e164,
    line_type, consent)], status, promised_until}; returns account ref -> account id (and 'campaign')."""
    from scheduler.db import session_factory

    engine = create_engine(url)
    ids: dict[str, int] = {}
    try:
        with session_factory(engine).begin() as session:
            camp = Campaign(
                name="plan", state="running", created_at=T0, max_attempts_per_day=3, **(campaign or {})
            )
            session.add(camp)
            session.flush()
            ids["campaign"] = camp.id
            for spec in specs:
                ref = str(spec["ref"])
                debtor = Debtor(
                    debtor_ref=f"D-{ref}",
                    country=spec.get("country", "US"),
                    state=spec.get("state"),
                    postal_code=spec.get("postal_code"),
                    created_at=T0,
                    updated_at=T0,
                )
                session.add(debtor)
                session.flush()
                account = Account(
                    account_ref=ref,
                    debtor_id=debtor.id,
                    campaign_id=camp.id,
                    amount_due=Decimal("120.50"),
                    currency="USD",
                    status=str(spec.get("status", "open")),
                    promised_until=spec.get("promised_until"),
                    created_at=T0,
                    updated_at=T0,
                )
                session.add(account)
                for priority, (e164, line_type, consent) in enumerate(spec["numbers"]):  # type: ignore[attr-defined]
                    from scheduler.policy.geo import number_facts

                    session.add(
                        ContactNumber(
                            debtor_id=debtor.id,
                            e164=e164,
                            line_type=line_type,
                            region=number_facts(e164).region,
                            area_code_zones=list(number_facts(e164).zones),
                            consent_at=T0 - dt.timedelta(days=400) if consent else None,
                            priority=priority,
                        )
                    )
                session.flush()
                ids[ref] = account.id
        return ids
    finally:
        engine.dispose()
