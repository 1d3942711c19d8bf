"""The calling day a callback may be named in: the strictest window of the profiles that could apply, and
a callback time asked for outside it moved to the next start."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogue.calling_hours import within_calling_hours
from scheduler.policy import load_profiles
from scheduler.policy.calling_hours import calling_hours
from scheduler.policy.case import DebtorInfo
from scheduler.policy.profiles import ProfileSet

PROFILES = load_profiles()
NY = DebtorInfo(country="US", state="NY", postal_code="10001")
EIGHT, NINE_PM = dt.time(8), dt.time(21)


@pytest.mark.parametrize(
    ("debtor", "number", "expected"),
    [
        (NY, "+12125550100", (EIGHT, NINE_PM)),  # federal 08:00-21:00
        (DebtorInfo(country="US", state="WA"), "+12065550100", (EIGHT, NINE_PM)),  # WA's 07:30 is looser
        (DebtorInfo(country="CN"), "+8613800138000", (EIGHT, dt.time(22))),
        (DebtorInfo(country="GB"), "+442079460000", (EIGHT, NINE_PM)),
        (DebtorInfo(), "+999", (EIGHT, dt.time(20))),  # cannot be located: every profile's, strictest
    ],
)
def test_the_calling_day_is_the_strictest_that_could_apply(
    debtor: DebtorInfo, number: str, expected: tuple[dt.time, dt.time]
) -> None:
    assert calling_hours(PROFILES, debtor, number) == expected


def test_a_campaigns_explicit_profiles_bring_their_windows() -> None:
    assert calling_hours(PROFILES, NY, "+12125550100", ("US", "EU")) == (EIGHT, dt.time(20))


def test_no_window_rule_names_no_hours() -> None:
    accounts_only = ProfileSet({"ACCOUNT": PROFILES.get("ACCOUNT")})
    assert calling_hours(accounts_only, NY, "+12125550100") is None


DAY = {"calling_from": "08:00", "calling_until": "21:00"}


@pytest.mark.parametrize(
    ("asked", "named"),
    [
        ("2026-11-29T21:30", "2026-11-30T08:00"),  # in an hour, at 20:30: after the calling day
        ("2026-11-29T21:00", "2026-11-30T08:00"),  # the end itself is outside
        ("2026-11-30T06:00", "2026-11-30T08:00"),  # before it starts: the same day's start
        ("2026-11-29T20:59", "2026-11-29T20:59"),
        ("2026-11-30T08:00", "2026-11-30T08:00"),
    ],
)
def test_a_callback_outside_the_calling_day_moves_to_its_next_start(asked: str, named: str) -> None:
    assert within_calling_hours(dt.datetime.fromisoformat(asked), DAY) == dt.datetime.fromisoformat(named)


def test_without_calling_hours_the_time_asked_stands() -> None:
    late = dt.datetime(2026, 11, 29, 23, 0)
    assert within_calling_hours(late, {}) == late
    assert within_calling_hours(late, {"calling_from": None, "calling_until": None}) == late
