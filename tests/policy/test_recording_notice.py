"""REC: which debtors need the recording notice before anything is recorded (all-party consent states),
from the profiles that could apply: the address, each of the debtor's numbers, a campaign's explicit list."""

from __future__ import annotations

import pytest

from scheduler.policy import load_profiles
from scheduler.policy.case import DebtorInfo
from scheduler.policy.recording import UNLOCATED, recording_notice_rules

PROFILES = load_profiles()
NY = DebtorInfo(country="US", state="NY", postal_code="10001")


@pytest.mark.parametrize(
    ("debtor", "number", "expected"),
    [
        (NY, "+12125550100", ()),  # New York: one-party consent
        (DebtorInfo(country="US", state="CA", postal_code="94103"), "+12125550100", ("REC (US-CA@2026.1)",)),
        (NY, "+16175550100", ("REC (US-MA@2026.2)",)),  # a Massachusetts number is enough
        (
            DebtorInfo(country="US", state="NY", numbers=("+12065550100",)),
            "+12125550100",
            ("REC (US-WA@2026.2)",),
        ),
        (DebtorInfo(country="US", state="PA", postal_code="19103"), "+12125550100", ("REC (US-PA@2026.1)",)),
        (DebtorInfo(country="CN"), "+8613800138000", ()),
        (DebtorInfo(), "+999", (UNLOCATED,)),  # cannot be located: the notice plays
    ],
)
def test_the_notice_follows_the_profiles(debtor: DebtorInfo, number: str, expected: tuple[str, ...]) -> None:
    assert recording_notice_rules(PROFILES, debtor, number) == expected


def test_an_explicit_profile_list_brings_its_rec_rule() -> None:
    assert recording_notice_rules(PROFILES, NY, "+12125550100", ("US", "US-MD")) == ("REC (US-MD@2026.1)",)


def test_every_all_party_state_of_the_compliance_table_has_a_rec_rule() -> None:
    """COMPLIANCE.md REC: CA, FL, IL, MD, MA, PA, WA ([verify]: marked so in the profiles)."""
    for state in ("CA", "FL", "IL", "MD", "MA", "PA", "WA"):
        profile = PROFILES.get(f"US-{state}")
        rec = [r for r in profile.rules if r.kind == "recording_notice"]
        assert [r.id for r in rec] == ["REC"] and rec[0].get("verify") is True and rec[0].source
