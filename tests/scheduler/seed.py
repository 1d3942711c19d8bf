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
