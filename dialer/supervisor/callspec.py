"""A claimed attempt -> the `CallRequest` a worker dials, carrying the `SessionSpec` its session needs.

The facts come from the ledger at dial time (`scheduler.call_facts`, one query), so a campaign's script or
an account's amount changed since the claim is what the callee hears. What the ledger does not hold
(company, agent name, callback number, transfer target) comes from `[run]` / `[run.campaigns.NAME]`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dialer.session.spec import SessionSpec
from dialer.sip.interfaces import CallRequest
from dialer.supervisor.settings import RunSettings
from scheduler.call_facts import AttemptFacts, FactsError, load_facts
from scheduler.vocabulary import VoicemailPolicy
from sip_config.schema import Profile

SpecError = FactsError  # the ledger's rows for an attempt cannot make a call

__all__ = [
    "AttemptFacts",
    "SpecError",
    "call_request",
    "caller_id_headers",
    "load_facts",
    "recording_path",
    "session_spec",
]


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
        calling_hours=facts.calling_hours,
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


def call_request(
    profile: Profile,
    facts: AttemptFacts,
    spec: SessionSpec,
    caller_id: str | None,
    record: Path,
    handler_options: Mapping[str, Any],
) -> CallRequest:
    """What the worker dials. Where the jurisdiction wants a recording notice (REC), the session starts
    the recorder once the notice has played; otherwise the engine records from the answer. The SIP
    limit is the session's own plus 15 s, so the session always ends the call first."""
    if spec.recording_notice:
        spec = dataclasses.replace(spec, recording_path=str(record))
    return CallRequest(
        call_id=str(facts.attempt_id),
        uri=profile.destination_uri(facts.e164),
        ring_timeout=profile.ring_timeout,
        max_duration=min(profile.max_call_duration, spec.max_seconds + 15),
        record_path=None if spec.recording_notice else str(record),
        headers=caller_id_headers(profile, caller_id),
        options={**handler_options, **spec.options()},
    )
