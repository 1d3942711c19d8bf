"""A claimed attempt -> the `CallRequest` a worker dials, carrying the `SessionSpec` its session needs.

The facts come from the ledger at dial time (`scheduler.call_facts`, one query), so a campaign's script or
an account's amount changed since the claim is what the callee hears. What the ledger does not hold
(company, agent name, callback number, transfer target) comes from `[run]` / `[run.campaigns.NAME]`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dialer.session.spec import SessionSpec
from dialer.supervisor.settings import RunSettings
from scheduler.call_facts import AttemptFacts, FactsError, load_facts
from scheduler.vocabulary import VoicemailPolicy
from sip_config.schema import Profile

SpecError = FactsError  # the ledger's rows for an attempt cannot make a call

__all__ = ["AttemptFacts", "SpecError", "caller_id_headers", "load_facts", "recording_path", "session_spec"]


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
