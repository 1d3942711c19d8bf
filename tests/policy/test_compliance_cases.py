"""Every COMPLIANCE.md test case, through `dialer policy decide` on the case files in cases/.

Cases 10, 11, 12, 14 and 17 concern the call itself (session, script lint); here they are tested for
their dial-decision part: what the next dial decision must be once the call has left its trace.
"""

from __future__ import annotations

import json

import pytest

from tests.policy.conftest import CASES, SITE_PROFILES, Decide

# case file -> (allow, rule, next_allowed_at)
EXPECTED: dict[str, tuple[bool, str, str | None]] = {
    # 1. 808 (Hawaii) at 08:05 EST = 03:05 HST: deny; next 08:00 HST
    "01-hawaii-0805-eastern": (False, "U1", "2026-01-12T18:00:00Z"),
    # 2. 212 number, ZIP 98101: 10:30 ET deny (07:30 PT); 20:30 ET allow; 21:00:00 ET deny
    "02a-212-seattle-1030-et": (False, "U2", "2026-01-12T16:00:00Z"),
    "02b-212-seattle-2030-et": (True, "ALLOW", "2026-01-13T01:30:00Z"),
    "02c-212-seattle-2100-et": (False, "U2", "2026-01-13T16:00:00Z"),
    # 3. 850 (Central/Eastern), no address: 08:30 ET deny; allowed 09:00-21:00 ET
    "03a-850-no-address-0830-et": (False, "U2", "2026-01-12T14:00:00Z"),
    "03b-850-no-address-2059-et": (True, "ALLOW", "2026-01-13T01:59:59Z"),
    "03c-850-no-address-2100-et": (False, "U2", "2026-01-13T14:00:00Z"),
    # 4. DST: spring forward (08:00 EDT = 12:00Z), a window opening at a non-existent 02:30 (opens at the
    #    jump, 03:00 EDT = 07:00Z), a naively mapped 02:30 (= 03:30 EDT), autumn fall back (08:00 EST)
    "04a-dst-spring-0100-est": (False, "U1", "2026-03-08T12:00:00Z"),
    "04b-dst-gap-window-start": (False, "SITE-NIGHT", "2026-03-08T07:00:00Z"),
    "04c-dst-nonexistent-0230-scheduled": (False, "U1", "2026-03-08T12:00:00Z"),
    "04d-dst-autumn-0130-edt": (False, "U1", "2026-11-01T13:00:00Z"),
    # 5. seven calls on days 1-7 to two numbers about debt A: the 8th deny; debt B allow; day 8 allow
    "05a-seven-in-seven-8th-debt-a": (False, "U3", "2026-01-12T13:00:00Z"),
    "05b-seven-in-seven-debt-b": (True, "ALLOW", "2026-01-11T18:00:00Z"),
    "05c-seven-in-seven-day-8": (True, "ALLOW", "2026-01-12T15:00:00Z"),
    # 6. conversation Monday (also consumer-started): Sunday deny, next Monday allow
    "06a-conversation-monday-sunday": (False, "U4", "2026-01-12T13:00:00Z"),
    "06b-consumer-started-monday-sunday": (False, "U4", "2026-01-12T13:00:00Z"),
    "06c-conversation-next-monday": (True, "ALLOW", "2026-01-12T15:00:00Z"),
    # 7. busy and failed do not count toward 7-in-7; voicemails do
    "07a-busy-failed-not-counted": (True, "ALLOW", "2026-01-11T18:00:00Z"),
    "07b-voicemails-counted": (False, "U3", "2026-01-12T13:00:00Z"),
    # 8. a third unanswered call to one number within 5 minutes
    "08-third-unanswered-within-5-min": (False, "U5", "2026-01-12T15:05:00Z"),
    # 9. Massachusetts personal number: the third call in 7 days
    "09-massachusetts-third-in-7-days": (False, "MA", "2026-01-12T13:00:00Z"),
    # 10. "stop calling" mid-call -> the number is opted out: tomorrow's call deny
    "10-stop-calling-dnc-tomorrow": (False, "U6", None),
    # 11. a wrong party answered: the number no longer reaches the consumer
    "11-wrong-party-number": (False, "U8", None),
    # 12. voicemails count as placed calls (the message text itself is the script lint's job)
    "12-voicemails-count-massachusetts": (False, "MA", "2026-01-12T13:00:00Z"),
    # 13. AI call to a US cell phone without consent
    "13-ai-call-us-cell-no-consent": (False, "T1", None),
    # 14. a keypress opt-out marked the number: the next dial deny
    "14-keypress-opt-out-next-call": (False, "U6", None),
    # 15. China: 21:59:59 allow, 22:00:00 deny, 4th connected call deny, 7th dial deny, emergency contact
    "15a-china-215959": (True, "ALLOW", "2026-01-12T13:59:59Z"),
    "15b-china-220000": (False, "C1", "2026-01-13T00:00:00Z"),
    "15c-china-4th-connected-call": (False, "C2", "2026-01-13T00:00:00Z"),
    "15d-china-7th-dial-one-number": (False, "C3", "2026-01-13T00:00:00Z"),
    "15e-china-emergency-contact-debtor-reachable": (False, "C4", None),
    "15f-china-emergency-contact-debtor-unreachable": (True, "ALLOW", "2026-01-12T03:00:00Z"),
    # 16. UK: abandoned rate > 3% pauses; redial at 71 h after an abandoned call, with and without agent
    "16a-uk-abandoned-rate-pauses": (False, "K2", None),
    "16b-uk-redial-at-71h": (False, "K2", "2026-01-12T11:00:00Z"),
    "16c-uk-redial-at-71h-live-agent": (True, "ALLOW", "2026-01-12T10:00:00Z"),
    # 17. EU (the AI disclosure is the script lint's job): hours and the right to object
    "17a-eu-within-hours": (True, "ALLOW", "2026-01-12T10:00:00Z"),
    "17b-eu-objection": (False, "E1", None),
    "17c-eu-2000-berlin": (False, "E-HOURS", "2026-01-13T07:00:00Z"),
}


def test_every_case_file_has_an_expectation() -> None:
    files = {p.stem for p in CASES.glob("*.json")}
    assert files == set(EXPECTED)
    assert {name[:2] for name in files} == {f"{n:02d}" for n in range(1, 18)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_compliance_case(decide_cli: Decide, name: str) -> None:
    result = decide_cli(CASES / f"{name}.json", profiles_dir=SITE_PROFILES)
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)
    allow, rule, next_at = EXPECTED[name]
    assert (decision["allow"], decision["rule"], decision["next_allowed_at"]) == (allow, rule, next_at)
    assert decision["reason"]
    assert decision["profiles"] and all("@" in p for p in decision["profiles"])
    assert set(decision) == {"allow", "rule", "reason", "next_allowed_at", "profiles"}


def test_massachusetts_number_brings_the_state_profile(decide_cli: Decide) -> None:
    """A 617 number applies US-MA even when the address is elsewhere."""
    case = json.loads((CASES / "09-massachusetts-third-in-7-days.json").read_text())
    case["debtor"] = {"country": "US", "state": "NY", "postal_code": "10001"}
    decision = json.loads(decide_cli(case).output)
    assert decision["profiles"] == ["US@2026.2", "US-MA@2026.2", "ACCOUNT@2026.1"]
    assert decision["rule"] == "MA"
