"""REC: does a call need the recording notice before anything is recorded (all-party consent)?

Decided like every rule: the profiles that could apply to the debtor (the address, each number's area
code, the national profile), and the strictest wins: one profile with a `recording_notice` rule is enough.
A debtor who cannot be located needs the notice (missing data never loosens a rule).
"""

from __future__ import annotations

from collections.abc import Sequence

from scheduler.policy.case import DebtorInfo
from scheduler.policy.profiles import ComplianceProfile, ProfileSet
from scheduler.policy.resolve import located_profiles

UNLOCATED = "REC (location unknown)"


def recording_notice_rules(
    profiles: ProfileSet, debtor: DebtorInfo, number: str, explicit: tuple[str, ...] | None = None
) -> tuple[str, ...]:
    """The `recording_notice` rules that apply, as "REC (US-MA@2026.2)"; empty: no notice needed."""
    return notice_rules(located_profiles(profiles, debtor, number, explicit))


def notice_rules(located: Sequence[ComplianceProfile] | None) -> tuple[str, ...]:
    """The `recording_notice` rules of the located profiles; an unlocated debtor (None) needs the notice."""
    if located is None:
        return (UNLOCATED,)
    found = [
        f"{rule.id} ({profile.label})"
        for profile in located
        for rule in profile.rules
        if rule.kind == "recording_notice"
    ]
    return tuple(dict.fromkeys(found))
