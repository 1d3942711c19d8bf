"""The facts a call needs about one attempt, read from the ledger at dial time (one query): the campaign's
script and caller IDs, the debtor's name, language and likely zone, the account's amount and due date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from scheduler.models import Account, Attempt, Campaign, ContactNumber, Debtor
from scheduler.policy.geo import BadNumber, address_facts, number_facts


class FactsError(ValueError):
    """The ledger's rows for an attempt cannot make a call (the attempt is gone or lacks a value)."""


@dataclass(frozen=True, slots=True)
class AttemptFacts:
    attempt_id: int
    attempt_no: int
    campaign: str
    script: str
    voicemail_policy: str
    caller_id_pool: tuple[str, ...]
    e164: str
    first_name: str
    language: str
    amount_due: Decimal
    currency: str
    due_date: dt.date | None
    time_zone: str


def load_facts(engine: Engine, attempt_id: int, default_zone: str) -> AttemptFacts:
    query = (
        sa.select(Attempt, Campaign, Account, Debtor, ContactNumber)
        .join(Campaign, Campaign.id == Attempt.campaign_id)
        .join(Account, Account.id == Attempt.account_id)
        .join(Debtor, Debtor.id == Account.debtor_id)
        .join(ContactNumber, ContactNumber.id == Attempt.contact_number_id)
        .where(Attempt.id == attempt_id)
    )
    with Session(engine) as session:
        row = session.execute(query).first()
    if row is None:
        raise FactsError(f"attempt {attempt_id} is not in the ledger")
    attempt: Any = row[0]
    campaign: Any = row[1]
    account: Any = row[2]
    debtor: Any = row[3]
    number: Any = row[4]
    return AttemptFacts(
        attempt_id=attempt.id,
        attempt_no=attempt.attempt_no,
        campaign=campaign.name,
        script=campaign.script,
        voicemail_policy=campaign.voicemail_policy,
        caller_id_pool=tuple(campaign.caller_id_pool or ()),
        e164=number.e164,
        first_name=debtor.first_name or "",
        language=debtor.language or "en",
        amount_due=account.amount_due,
        currency=account.currency,
        due_date=account.due_date,
        time_zone=_zone(debtor, number, default_zone),
    )


def _zone(debtor: Debtor, number: ContactNumber, default: str) -> str:
    """The debtor's likely zone: the address first, then the number's area code, then the default."""
    zones = address_facts(debtor.country, debtor.state, debtor.postal_code).zones
    if zones:
        return zones[0]
    if number.area_code_zones:
        return str(number.area_code_zones[0])
    try:
        facts = number_facts(number.e164)
    except BadNumber:
        return default
    return facts.zones[0] if facts.zones else default
