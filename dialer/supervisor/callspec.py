"""A claimed attempt -> the `CallRequest` a worker dials, carrying the `SessionSpec` its session needs.

Read from the ledger at dial time (one query), so a campaign's script or an account's amount changed
since the claim is what the callee hears. What the ledger does not hold (company, agent name, callback
number, transfer target) comes from `[run]` / `[run.campaigns.NAME]`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dialer.session.spec import SessionSpec
from dialer.supervisor.settings import RunSettings
from scheduler.models import Account, Attempt, Campaign, ContactNumber, Debtor
from scheduler.policy.geo import BadNumber, address_facts, number_facts
from scheduler.policy.profiles import ProfileSet
from scheduler.vocabulary import VoicemailPolicy
from sip_config.schema import Profile


class SpecError(ValueError):
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
        raise SpecError(f"attempt {attempt_id} is not in the ledger")
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
        recording_notice=bool(_recording_notice(debtor, number, tuple(campaign.profiles or ()), profiles)),
    )


def _recording_notice(
    debtor: Debtor, number: ContactNumber, explicit: tuple[str, ...], profiles: ProfileSet | None
) -> tuple[str, ...]:
    """The REC rules of the profiles that could apply to the debtor (see policy/recording.py)."""
    from scheduler.policy import load_profiles
    from scheduler.policy.case import DebtorInfo
    from scheduler.policy.recording import recording_notice_rules

    info = DebtorInfo(country=debtor.country, state=debtor.state, postal_code=debtor.postal_code)
    return recording_notice_rules(profiles or load_profiles(), info, number.e164, explicit or None)


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


def session_spec(facts: AttemptFacts, run: RunSettings, max_seconds: float) -> SessionSpec:
    call = run.for_campaign(facts.campaign)
    if facts.due_date is None:
        raise SpecError(f"attempt {facts.attempt_id}: the account has no due date (field 'due_date')")
    return SessionSpec(
        attempt_id=facts.attempt_id,
        script=facts.script,
        language=call.language or facts.language,
        company=call.company,
        agent_name=call.agent_name,
        first_name=facts.first_name,
        amount_due=facts.amount_due,
        currency=facts.currency,
        due_date=facts.due_date,
        callback_number=call.callback_number,
        time_zone=facts.time_zone,
        first_contact=facts.attempt_no <= 1,
        machine_action="hangup" if facts.voicemail_policy == VoicemailPolicy.hang_up.value else "voicemail",
        transfer_uri=call.transfer_uri,
        max_seconds=max_seconds,
        recording_notice=facts.recording_notice,
    )


def recording_path(data_dir: Path, facts: AttemptFacts, now: dt.datetime) -> Path:
    """data_dir/recordings/<campaign id-safe name>/<yyyy-mm-dd>/attempt-<id>.wav (no personal data)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in facts.campaign) or "campaign"
    return data_dir / "recordings" / safe / now.strftime("%Y-%m-%d") / f"attempt-{facts.attempt_id}.wav"


def caller_id_headers(profile: Profile, caller_id: str | None) -> tuple[tuple[str, str], ...]:
    """A pool number other than the profile's own goes out as P-Asserted-Identity (the From is the
    account's identity in the SIP engine), unless the profile pins its own asserted identity."""
    if not caller_id or caller_id == profile.caller_id or profile.p_asserted_identity:
        return ()
    return (("P-Asserted-Identity", f"<tel:{caller_id}>"),)
