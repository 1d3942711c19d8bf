"""A callback the consumer asked for (Reg F 1006.14(b)(3)(i)), through `dialer policy decide` on the case
files in callback_cases/: the exception lifts U3 and U4 near the requested time and nowhere else, never
the calling hours, the harassing-pattern caps, opt-outs, a state cap or a profile that does not grant it.

Every file: a conversation about debt A-1 on Monday 2026-01-12 10:00 New York; at 10:05 the consumer
asked for a call on Tuesday at 16:30 (21:30Z), unless the file says otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.policy.conftest import HERE, Decide

CALLBACK_CASES = HERE / "callback_cases"
CONSENT = "U3-U4-CONSENT"
DAY_8 = "2026-01-19T13:00:00Z"  # Monday 08:00 New York, the day the U4 lock ends

# case file -> (allow, rule, next_allowed_at)
EXPECTED: dict[str, tuple[bool, str, str | None]] = {
    "a-at-the-requested-time": (True, CONSENT, "2026-01-13T21:30:00Z"),
    "b-window-opens-30-min-before": (True, CONSENT, "2026-01-13T21:00:00Z"),
    "c-window-closed-30-min-after": (False, "U4", DAY_8),
    "d-before-the-window": (False, "U4", "2026-01-13T21:00:00Z"),  # the window is the next allowed time
    "e-no-request": (False, "U4", DAY_8),
    # 22:30 is outside U1: the window [22:00, 23:00) never opens, the lock runs its course
    "f-requested-2230-outside-hours": (False, "U1", DAY_8),
    # seven placed calls Jan 6-12: consent given Jan 5 lapsed on Jan 12 (day 8); given Jan 6 it holds (day 7)
    "g-consent-lapsed-day-8": (False, "U3", "2026-01-13T13:00:00Z"),
    "h-consent-day-7-lifts-7-in-7": (True, CONSENT, "2026-01-12T15:00:00Z"),
    "i-request-about-another-debt": (False, "U4", DAY_8),
    "j-request-on-another-number": (False, "U4", DAY_8),
    # Massachusetts grants no such exception: its cap of 2 per 7 days binds; under it the federal lock lifts
    "k-massachusetts-cap-still-binds": (False, "MA", DAY_8),
    "l-massachusetts-under-its-cap": (True, CONSENT, "2026-01-13T21:30:00Z"),
    # the calls placed under the exception count: U5 (not waived) sees two unanswered ones in 5 minutes
    "m-harassing-pattern-not-waived": (False, "U5", "2026-01-13T21:32:00Z"),
    # the consented call was a conversation: the lock starts again from Tuesday
    "n-consented-call-counts-later": (False, "U4", "2026-01-20T13:00:00Z"),
    "o-opt-out-not-waived": (False, "U6", None),
    "p-china-grants-no-exception": (False, "C2", "2026-01-13T00:00:00Z"),
}


def load(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((CALLBACK_CASES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_every_callback_case_file_has_an_expectation() -> None:
    assert {p.stem for p in CALLBACK_CASES.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_callback_case(decide_cli: Decide, name: str) -> None:
    result = decide_cli(CALLBACK_CASES / f"{name}.json")
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)
    allow, rule, next_at = EXPECTED[name]
    assert (decision["allow"], decision["rule"], decision["next_allowed_at"]) == (allow, rule, next_at)
    if rule == CONSENT:  # the audit says why: the rules lifted, the request, the source
        reason = decision["reason"]
        assert "1006.14(b)(3)(i)" in reason and "asked 2026-01-" in reason and "lifted: U" in reason


def test_the_exception_names_the_rule_it_lifted(decide_cli: Decide) -> None:
    lock = json.loads(decide_cli(load("a-at-the-requested-time")).output)["reason"]
    assert "lifted: U4: a conversation" in lock and "U3:" not in lock
    cap = json.loads(decide_cli(load("h-consent-day-7-lifts-7-in-7")).output)["reason"]
    assert "lifted: U3: 7 placed calls" in cap


def test_a_deny_says_when_the_next_allowed_call_is_the_one_asked_for(decide_cli: Decide) -> None:
    before = json.loads(decide_cli(load("d-before-the-window")).output)["reason"]
    assert before.endswith("; next: a call the consumer asked for (U3-U4-CONSENT)")
    after = json.loads(decide_cli(load("c-window-closed-30-min-after")).output)["reason"]
    assert "asked for" not in after


def test_a_request_asked_after_now_is_not_known_yet(decide_cli: Decide) -> None:
    case = load("a-at-the-requested-time")
    case["callbacks"] = [{"asked_at": "2026-01-13T21:40:00Z", "at": "2026-01-13T21:30:00Z"}]
    decision = json.loads(decide_cli(case).output)
    assert (decision["allow"], decision["rule"]) == (False, "U4")


@pytest.mark.parametrize(
    ("callbacks", "message"),
    [
        ([{"asked_at": "2026-01-12T15:05:00", "at": "2026-01-13T21:30:00Z"}], "callbacks[0].asked_at: naive"),
        ([{"asked_at": "2026-01-12T15:05:00Z"}], "callbacks[0].at: required field is missing"),
        ([{"asked_at": "2026-01-12T15:05:00Z", "at": "x"}], "callbacks[0].at: 'x' is not an ISO 8601"),
        (
            [{"asked_at": "2026-01-12T15:05:00Z", "at": "2026-01-13T21:30:00Z", "when": 1}],
            "callbacks[0].when",
        ),
        (
            [{"asked_at": "2026-01-12T15:05:00Z", "at": "2026-01-13T21:30:00Z", "number": "12"}],
            "callbacks[0].number",
        ),
        ({"at": "2026-01-13T21:30:00Z"}, "callbacks: expected a list"),
    ],
)
def test_bad_callback_requests_are_refused_naming_the_field(
    decide_cli: Decide, callbacks: object, message: str
) -> None:
    case = load("a-at-the-requested-time")
    case["callbacks"] = callbacks
    result = decide_cli(case)
    assert result.exit_code == 2
    assert message in result.output


SITE = """
id = "ACME"
version = "2026.1"
applies_to = ["US"]

[[rules]]
id = "ACME-CAP"
kind = "cap"
scope = "debt"
counts = "placed"
limit = 1
days = 7
source = "ACME compliance manual 4.2"
"""
SITE_CONSENT = """
[[rules]]
id = "ACME-CONSENT"
kind = "callback_consent"
waives = {waives}
tolerance = "{tolerance}"
consent_days = {days}
source = "ACME compliance manual 4.3"
"""


def _site(tmp_path: Path, extra: str = "") -> Path:
    folder = tmp_path / "site"
    folder.mkdir(exist_ok=True)
    (folder / "acme.toml").write_text(SITE + extra, encoding="utf-8")
    return folder


def test_a_site_profile_may_waive_its_own_cap_only_when_it_says_so(
    decide_cli: Decide, tmp_path: Path
) -> None:
    case = load("a-at-the-requested-time")
    decision = json.loads(decide_cli(case, profiles_dir=_site(tmp_path)).output)
    assert (decision["allow"], decision["rule"]) == (False, "ACME-CAP")  # US lifts U4; ACME's own cap binds
    granted = _site(tmp_path, SITE_CONSENT.format(waives='["ACME-CAP"]', tolerance="10m", days=2))
    decision = json.loads(decide_cli(case, profiles_dir=granted).output)
    assert (decision["allow"], decision["rule"]) == (True, CONSENT)
    case["now"] = "2026-01-13T21:15:00Z"  # inside the US window, outside ACME's 10 minutes
    decision = json.loads(decide_cli(case, profiles_dir=granted).output)
    assert (decision["allow"], decision["rule"], decision["next_allowed_at"]) == (
        False,
        "ACME-CAP",
        "2026-01-13T21:20:00Z",
    )


@pytest.mark.parametrize(
    ("waives", "tolerance", "days", "message"),
    [
        ('["U3"]', "30m", 7, "no rule 'U3' in this profile"),  # no file waives another profile's rule
        ('["ACME-HOURS"]', "30m", 7, "'ACME-HOURS' is a window rule"),
        ("[]", "30m", 7, "waives: expected a non-empty list"),
        ('["ACME-CAP"]', "soon", 7, "tolerance: 'soon' is not a span"),
        ('["ACME-CAP"]', "13h", 7, "more than 12 h"),
        ('["ACME-CAP"]', "30m", 0, "consent_days: expected a whole number"),
    ],
)
def test_a_malformed_exception_is_refused(
    decide_cli: Decide, tmp_path: Path, waives: str, tolerance: str, days: int, message: str
) -> None:
    hours = '\n[[rules]]\nid = "ACME-HOURS"\nkind = "window"\nfrom = "09:00"\nto = "20:00"\nsource = "m"\n'
    site = _site(tmp_path, hours + SITE_CONSENT.format(waives=waives, tolerance=tolerance, days=days))
    result = decide_cli(load("a-at-the-requested-time"), profiles_dir=site)
    assert result.exit_code == 2
    assert "acme.toml" in result.output and "ACME-CONSENT" in result.output and message in result.output
