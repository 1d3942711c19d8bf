"""The calling hours a call may promise: when the callee asks to be called back at 4 a.m. or in an hour
at 8:30 p.m., the bot names a time the planner may dial, not one it will refuse.

The daily window is the strictest of the `window` rules of the profiles that could apply to the debtor
(latest start, earliest end; the same profiles REC and the planner consult). A debtor who cannot be located
gets the strictest window of every profile (missing data never loosens a rule). Days, holidays and stated
inconvenient times are left to the planner, which still decides every dial.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from scheduler.policy.case import DebtorInfo
from scheduler.policy.profiles import ComplianceProfile, ProfileSet
from scheduler.policy.resolve import located_profiles


def calling_hours(
    profiles: ProfileSet, debtor: DebtorInfo, number: str, explicit: tuple[str, ...] | None = None
) -> tuple[dt.time, dt.time] | None:
    """(start, end) of the debtor's local calling day; None when no profile names a window."""
    return daily_window(profiles, located_profiles(profiles, debtor, number, explicit))


def daily_window(
    profiles: ProfileSet, located: Iterable[ComplianceProfile] | None
) -> tuple[dt.time, dt.time] | None:
    """The strictest window of the located profiles, or of every profile when unlocated (None)."""
    chosen = profiles.profiles.values() if located is None else located
    windows = [
        (dt.time.fromisoformat(str(r.get("from"))), dt.time.fromisoformat(str(r.get("to"))))
        for profile in chosen
        for r in profile.rules
        if r.kind == "window"
    ]
    if not windows:
        return None
    start, end = max(s for s, _ in windows), min(e for _, e in windows)
    return (start, end) if start < end else None
