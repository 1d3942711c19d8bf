"""A callback time the callee asked for, moved into the calling hours the call was given.

"Call me back in an hour" at 8:30 p.m. is 9:30 p.m., after the 9 p.m. end of the US calling day: the
planner would not dial then, and a bot that promised it would break its word (and the callee's consent to
that call, Reg F 1006.14(b)(3), would lapse unused). The callback is named at the next start of the
calling day instead, and that is the time recorded. The hours come from the compliance profiles
(`scheduler.policy.calling_hours`, through the call's context as ``calling_from`` / ``calling_until``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def within_calling_hours(at: dt.datetime, slots: dict[str, Any]) -> dt.datetime:
    """`at` if the calling day allows it, else the next start of the calling day (local, naive)."""
    start_text, end_text = slots.get("calling_from"), slots.get("calling_until")
    if not start_text or not end_text:
        return at
    start, end = dt.time.fromisoformat(str(start_text)), dt.time.fromisoformat(str(end_text))
    if at.time() < start:
        return dt.datetime.combine(at.date(), start)
    if at.time() >= end:
        return dt.datetime.combine(at.date() + dt.timedelta(days=1), start)
    return at
