"""Ledger rows -> decision cases. The engine stays pure; this module is the only bridge to the tables.

Loading is done in bulk per batch of accounts (one query per table, not per account), so planning a
day for tens of thousands of accounts stays a handful of round trips.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from scheduler.models import (
    Account,
    AccountFlagEntry,
    Attempt,
    Callback,
    Campaign,
    Consent,
    ContactNumber,
    Debtor,
    DncEntry,
)
from scheduler.policy.case import (
    AccountFlag,
    CallbackRequest,
    CampaignLimits,
    ContactInfo,
    DebtorInfo,
    DecisionCase,
    HistoryEntry,
    StatedTime,
)
from scheduler.policy.geo import remember
from scheduler.policy.wallclock import parse_days

HISTORY_DAYS = 35  # longer than every rolling or calendar period in the profiles (30 days)
_COUNTED_STATES = ("done", "interrupted", "dialing", "claimed")


@dataclass
class DebtorBundle:
    """What the ledger knows about one debtor, for every account of theirs in the batch."""

    debtor: Debtor
    numbers: list[ContactNumber] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    dnc_numbers: set[str] = field(default_factory=set)
    dnc_person: bool = False
    consents: dict[int | None, dt.datetime] = field(default_factory=dict)  # number id (None: any) -> granted
    callbacks: list[CallbackRequest] = field(default_factory=list)  # the consumer's, for every account
    flags: list[AccountFlag] = field(default_factory=list)  # open replies on record, every account


def campaign_limits(campaign: Campaign, abandoned_rate: float | None) -> CampaignLimits:
    def clock(value: str | None) -> dt.time | None:
        return dt.time.fromisoformat(value) if value else None

    return CampaignLimits(
        name=campaign.name,
        window_from=clock(campaign.window_from),
        window_to=clock(campaign.window_to),
        max_attempts_per_day=campaign.max_attempts_per_day,
        abandoned_rate_24h=abandoned_rate,
        live_agent=bool(campaign.retry_policy.get("live_agent", False)),
        languages=frozenset(campaign.scripts_by_language or {}),
    )


def abandoned_rate(session: Session, campaign_id: int, now: dt.datetime) -> float | None:
    """Abandoned calls over answered calls of the campaign in the last 24 h (None: nothing answered)."""
    since = now - dt.timedelta(hours=24)
    row = session.execute(
        sa.select(
            sa.func.count().filter(Attempt.result == "abandoned"),
            sa.func.count().filter(Attempt.answered_at.is_not(None)),
        ).where(Attempt.campaign_id == campaign_id, Attempt.ended_at > since, Attempt.ended_at <= now)
    ).one()
    abandoned, answered = int(row[0]), int(row[1])
    return abandoned / answered if answered else None


def _stated(raw: Iterable[dict[str, str]]) -> tuple[StatedTime, ...]:
    out = []
    for item in raw or ():
        out.append(
            StatedTime(
                parse_days(item.get("days")),
                dt.time.fromisoformat(item["from"]),
                dt.time.fromisoformat(item["to"]),
            )
        )
    return tuple(out)


def history_entry(attempt: Attempt, e164: str, account_ref: str) -> HistoryEntry | None:
    """An attempt as the policy counts it. A dialled attempt whose host died counts as placed."""
    result = attempt.result
    if result is None:
        if attempt.state not in ("interrupted", "dialing") or attempt.dialing_at is None:
            return None
        result = "no_answer"  # unknown outcome of a placed call: count it
    at = attempt.dialing_at or attempt.ended_at or attempt.scheduled_at
    return HistoryEntry(at, e164, account_ref, result)


def load_bundles(session: Session, debtor_ids: Sequence[int], now: dt.datetime) -> dict[int, DebtorBundle]:
    bundles = {
        d.id: DebtorBundle(d) for d in session.scalars(sa.select(Debtor).where(Debtor.id.in_(debtor_ids)))
    }
    by_number: dict[int, ContactNumber] = {}
    for number in session.scalars(
        sa.select(ContactNumber)
        .where(ContactNumber.debtor_id.in_(debtor_ids))
        .order_by(ContactNumber.priority, ContactNumber.id)
    ):
        bundles[number.debtor_id].numbers.append(number)
        by_number[number.id] = number
    since = now - dt.timedelta(days=HISTORY_DAYS)
    rows = session.execute(
        sa.select(Attempt, Account.account_ref, Account.debtor_id)
        .join(Account, Account.id == Attempt.account_id)
        .where(
            Account.debtor_id.in_(debtor_ids),
            Attempt.state.in_(_COUNTED_STATES),
            sa.or_(Attempt.dialing_at > since, Attempt.ended_at > since),
        )
    ).all()
    for attempt, account_ref, debtor_id in rows:
        dialled = by_number.get(attempt.contact_number_id)
        entry = history_entry(attempt, dialled.e164 if dialled else "", account_ref)
        if entry is not None and dialled is not None:
            bundles[debtor_id].history.append(entry)
    e164s = list({n.e164 for n in by_number.values()})
    for dnc in session.scalars(
        sa.select(DncEntry).where(
            DncEntry.removed_at.is_(None),
            sa.or_(DncEntry.e164.in_(e164s), DncEntry.debtor_id.in_(debtor_ids)),
        )
    ):
        for bundle in bundles.values():
            if dnc.scope == "person" and dnc.debtor_id == bundle.debtor.id:
                bundle.dnc_person = True
            elif dnc.scope == "number" and dnc.e164 and any(n.e164 == dnc.e164 for n in bundle.numbers):
                bundle.dnc_numbers.add(dnc.e164)
    for consent in session.scalars(
        sa.select(Consent).where(
            Consent.debtor_id.in_(debtor_ids),
            Consent.revoked_at.is_(None),
            Consent.kind.in_(("call", "ai_voice")),
        )
    ):
        known = bundles[consent.debtor_id].consents.get(consent.contact_number_id)
        if known is None or consent.granted_at < known:
            bundles[consent.debtor_id].consents[consent.contact_number_id] = consent.granted_at
    _load_callbacks(session, bundles, by_number, since)
    _load_flags(session, bundles, by_number)
    return bundles


def _load_flags(
    session: Session, bundles: dict[int, DebtorBundle], by_number: dict[int, ContactNumber]
) -> None:
    """Every open flag of the debtors (never only recent ones: a bankruptcy does not expire)."""
    rows = session.execute(
        sa.select(AccountFlagEntry, Account.account_ref)
        .join(Account, Account.id == AccountFlagEntry.account_id)
        .where(AccountFlagEntry.debtor_id.in_(list(bundles)), AccountFlagEntry.resolved_at.is_(None))
        .order_by(AccountFlagEntry.id)
    ).all()
    for flag, account_ref in rows:
        number = by_number.get(flag.contact_number_id) if flag.contact_number_id is not None else None
        bundles[flag.debtor_id].flags.append(
            AccountFlag(flag.kind, account_ref, number.e164 if number else None, flag.language)
        )


def _load_callbacks(
    session: Session,
    bundles: dict[int, DebtorBundle],
    by_number: dict[int, ContactNumber],
    since: dt.datetime,
) -> None:
    """Callback requests asked since `since`: when asked (the row's creation, at the end of the call that
    recorded it), for when, about which account, on the number of the attempt they were asked on."""
    rows = session.execute(
        sa.select(Callback, Account.account_ref, Account.debtor_id, Attempt.contact_number_id)
        .join(Account, Account.id == Callback.account_id)
        .outerjoin(Attempt, Attempt.id == Callback.attempt_id)
        .where(Account.debtor_id.in_(list(bundles)), Callback.created_at > since)
        .order_by(Callback.id)
    ).all()
    for callback, account_ref, debtor_id, number_id in rows:
        asked = by_number.get(number_id) if number_id is not None else None
        bundles[debtor_id].callbacks.append(
            CallbackRequest(
                asked_at=callback.created_at,
                at=callback.requested_at,
                debt=account_ref,
                number=asked.e164 if asked is not None else None,
            )
        )


def build_case(
    now: dt.datetime,
    bundle: DebtorBundle,
    number: ContactNumber,
    account_ref: str,
    limits: CampaignLimits,
    profiles: tuple[str, ...] | None,
) -> DecisionCase:
    d = bundle.debtor
    for known in bundle.numbers:  # validated at import: no need to parse them again
        if known.region and known.line_type:
            remember(known.e164, known.region, tuple(known.area_code_zones or ()), known.line_type)
    consents = [
        c for c in (number.consent_at, bundle.consents.get(number.id), bundle.consents.get(None)) if c
    ]
    debtor = DebtorInfo(
        country=d.country,
        state=d.state,
        postal_code=d.postal_code,
        inconvenient_times=_stated(d.inconvenient_times),
        attorney=d.attorney,
        cease_requested=d.cease_requested or bundle.dnc_person,
        numbers=tuple(n.e164 for n in bundle.numbers if n.id != number.id),
        flags=tuple(bundle.flags),
    )
    contact = ContactInfo(
        number=number.e164,
        line_type=number.line_type if number.line_type != "unknown" else None,
        personal=number.personal,
        consent_at=min(consents) if consents else None,
        opted_out=number.e164 in bundle.dnc_numbers,
        zones=tuple(number.area_code_zones or ()),
    )
    callbacks = tuple(c for c in bundle.callbacks if c.debt == account_ref)
    return DecisionCase(
        now, debtor, contact, account_ref, tuple(bundle.history), limits, profiles or None, callbacks
    )


def grouped(items: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for key, value in items:
        out[key].append(value)
    return out
