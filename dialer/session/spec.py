"""What the supervisor tells a session about one call: `CallRequest.options["session"]` holds a `SessionSpec`.

Raw values (Decimal, date, zone name): the session verbalizes amounts and dates in the call's language, so the
supervisor never needs the speech packages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

OPTION_KEY = "session"


@dataclass(frozen=True)
class SessionSpec:
    attempt_id: int
    script: str  # a script name under the scripts directory, or a path (dialogue.engines.resolve_script)
    language: str  # "en", "zh"
    company: str
    agent_name: str
    first_name: str
    amount_due: Decimal
    currency: str
    due_date: dt.date
    callback_number: str
    time_zone: str  # the debtor's zone: "Friday" and callback times resolve in it
    first_contact: bool = True
    machine_action: str = "voicemail"  # what a machine gets: "voicemail" (limited content) or "hangup"
    transfer_uri: str = ""  # a human agent; empty: transfer requests end with a callback offer
    max_seconds: float = 300.0
    # REC (all-party consent): the request is dialled without a recording; the session starts it at
    # `recording_path` once the recording notice has played to its end (never: nothing is recorded)
    recording_notice: bool = False
    recording_path: str = ""
    # the debtor's local calling day ("08:00", "21:00"): a callback asked for outside it is named at the
    # next start (the planner would not dial at the hour asked); None: no profile names one
    calling_hours: tuple[str, str] | None = None

    def options(self) -> dict[str, Any]:
        return {OPTION_KEY: self}

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> SessionSpec:
        spec = options.get(OPTION_KEY)
        if not isinstance(spec, cls):
            raise ValueError("the call request carries no session spec")
        return spec
