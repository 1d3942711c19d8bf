"""What the policy may say about one call, built from the supervisor's spec in the call's language.

Amounts and dates are verbalized here (the policy only fills templates), and the call's clock is the
debtor's local time, so "Friday" and "tomorrow morning" resolve where the debtor lives.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dialer.session.spec import SessionSpec
from dialogue.interfaces import CallContext
from voice.verbalize import say_amount, say_date


def local_now(spec: SessionSpec, now: dt.datetime | None = None) -> dt.datetime:
    """The debtor's wall-clock time, naive (the dialogue engines reason in local dates)."""
    moment = now or dt.datetime.now(dt.UTC)
    return moment.astimezone(ZoneInfo(spec.time_zone)).replace(tzinfo=None)


def call_context(spec: SessionSpec, now: dt.datetime | None = None) -> CallContext:
    return CallContext(
        company=spec.company,
        agent_name=spec.agent_name,
        first_name=spec.first_name,
        amount=say_amount(spec.amount_due, spec.currency, spec.language),
        currency=spec.currency,
        due_date=say_date(spec.due_date, spec.language, weekday=False),
        callback_number=spec.callback_number,
        language=spec.language,
        first_contact=spec.first_contact,
        leave_voicemail=spec.machine_action == "voicemail",
        can_transfer=bool(spec.transfer_uri),  # no agent to hand over to: the bot never offers a person
        calling_hours=spec.calling_hours,
        now=local_now(spec, now),
    )


def to_utc(moment: dt.datetime, spec: SessionSpec) -> dt.datetime:
    """A callback time the callee named (local, usually naive) as UTC for the ledger."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(spec.time_zone))
    return moment.astimezone(dt.UTC)
