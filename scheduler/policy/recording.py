"""REC: does a call need the recording notice before anything is recorded (all-party consent)?

Decided like every rule: the profiles that could apply to the debtor (the address, each number's area
code, the national profile), and the strictest wins: one profile with a `recording_notice` rule is enough.
A debtor who cannot be located needs the notice (missing data never loosens a rule).
"""

from __future__ import annotations

import datetime as dt

from scheduler.policy.case import ContactInfo, DebtorInfo, DecisionCase
from scheduler.policy.geo import BadNumber, number_facts
from scheduler.policy.profiles import ProfileSet
from scheduler.policy.resolve import applicable_profiles

UNLOCATED = "REC (location unknown)"


def recording_notice_rules(
    profiles: ProfileSet, debtor: DebtorInfo, number: str, explicit: tuple[str, ...] | None = None
) -> tuple[str, ...]:
    """The `recording_notice` rules that apply, as "REC (US-MA@2026.2)"; empty: no notice needed."""
    try:
        facts = [number_facts(n) for n in (number, *debtor.numbers)]
    except BadNumber:
        return (UNLOCATED,)
    if not debtor.country and not any(f.region for f in facts):
        return (UNLOCATED,)
    case = DecisionCase(dt.datetime.now(dt.UTC), debtor, ContactInfo(number), "-", profiles=explicit)
    found: list[str] = []
    for profile in applicable_profiles(case, profiles, facts):
        found += [f"{r.id} ({profile.label})" for r in profile.rules if r.kind == "recording_notice"]
    return tuple(dict.fromkeys(found))
