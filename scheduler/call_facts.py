"""The facts a call needs about one attempt, read from the ledger at dial time (one query): the campaign's
script (or the one in the debtor's language) and caller IDs, whether the recording notice applies and the
calling hours a callback may be promised in, the debtor's name, language and likely zone, the account's
amount and due date."""

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
from scheduler.policy.profiles import ProfileSet


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
    recording_notice: bool = False  # REC applies to this debtor (all-party consent): the notice first
    calling_hours: tuple[str, str] | None = None  # ("08:00", "21:00") local: callbacks are named inside


def load_facts(
    engine: Engine, attempt_id: int, default_zone: str, profiles: ProfileSet | None = None
) -> AttemptFacts:
    """The attempt's facts; `profiles` (default: the built-in ones) decide whether REC applies."""
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
        script=attempt.script or campaign.script,  # a script in the debtor's language (planner)
        voicemail_policy=campaign.voicemail_policy,
        caller_id_pool=tuple(campaign.caller_id_pool or ()),
        e164=number.e164,
        first_name=debtor.first_name or "",
        language=debtor.language or "en",
        amount_due=account.amount_due,
        currency=account.currency,
        due_date=account.due_date,
        time_zone=_zone(debtor, number, default_zone),
        **_policy_facts(debtor, number, tuple(campaign.profiles or ()), profiles),
    )


def _policy_facts(
    debtor: Debtor, number: ContactNumber, explicit: tuple[str, ...], profiles: ProfileSet | None
) -> dict[str, Any]:
    """What the profiles that could apply to the debtor ask of the call itself: the recording notice
    (policy/recording.py) and the calling hours a callback is named in (policy/calling_hours.py)."""
    from scheduler.policy import load_profiles
    from scheduler.policy.calling_hours import daily_window
    from scheduler.policy.case import DebtorInfo
    from scheduler.policy.recording import notice_rules
    from scheduler.policy.resolve import located_profiles

    info = DebtorInfo(country=debtor.country, state=debtor.state, postal_code=debtor.postal_code)
    chosen = profiles or load_profiles()
    located = located_profiles(chosen, info, number.e164, explicit or None)  # resolved once for both
    hours = daily_window(chosen, located)
    return {
        "recording_notice": bool(notice_rules(located)),
        "calling_hours": tuple(f"{t:%H:%M}" for t in hours) if hours else None,
    }


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
