"""Pre-dial number checks agree with phonenumbers' own public API (the importer takes shortcuts for speed)."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import timezone as pn_timezone

from scheduler.importing.phones import CheckedNumber, NumberProblem, check_number


def test_shortcuts_match_the_public_api_on_random_numbers() -> None:
    rng = random.Random(20261205)
    checked = 0
    for _ in range(3000):
        cc = rng.choice(["1", "86", "44", "49", "852", "61", "39", "7"])
        text = "+" + cc + "".join(str(rng.randrange(10)) for _ in range(rng.randrange(6, 12)))
        number = phonenumbers.parse(text, None)
        got = check_number(text, None)
        if not phonenumbers.is_valid_number(number):
            assert isinstance(got, NumberProblem), text
            continue
        checked += 1
        assert isinstance(got, CheckedNumber)
        assert got.e164 == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert got.region == phonenumbers.region_code_for_number(number)
        expected_zones = tuple(z for z in pn_timezone.time_zones_for_number(number) if z != "Etc/Unknown")
        assert got.zones == expected_zones, text
    assert checked > 100


@pytest.mark.parametrize(
    ("text", "region", "e164", "line_type", "zones"),
    [
        ("(617) 555-0100", "US", "+16175550100", "fixed_line_or_mobile", ("America/New_York",)),
        ("1-808-555-0100", "US", "+18085550100", "fixed_line_or_mobile", ("Pacific/Honolulu",)),
        ("+1 800 555 0100", None, "+18005550100", "toll_free", None),
        ("138 0013 8000", "CN", "+8613800138000", "mobile", ("Asia/Shanghai",)),
        ("010-12345678", "CN", "+861012345678", "fixed_line", ("Asia/Shanghai",)),
        ("008613800138000", None, "+8613800138000", "mobile", ("Asia/Shanghai",)),
        ("6175550100.0", "US", "+16175550100", "fixed_line_or_mobile", ("America/New_York",)),
    ],
)
def test_known_numbers(
    text: str, region: str | None, e164: str, line_type: str, zones: tuple[str, ...] | None
) -> None:
    got = check_number(text, region)
    assert isinstance(got, CheckedNumber)
    assert (got.e164, got.line_type) == (e164, line_type)
    if zones is not None:
        assert got.zones == zones
    else:
        assert len(got.zones) > 5  # a toll-free number could be anywhere in the NANP


@pytest.mark.parametrize(
    ("text", "region", "reason"),
    [
        ("12", "US", "not a valid number"),
        ("6175550100", None, "no country code"),
        ("hello", "US", "not a phone"),
    ],
)
def test_bad_numbers_say_why(text: str, region: str | None, reason: str) -> None:
    got = check_number(text, region)
    assert isinstance(got, NumberProblem) and reason in got.reason


def test_north_american_shortcut_matches_the_general_parser() -> None:
    rng = random.Random(7)
    forms = [
        "({a}) {b}-{c}",
        "{a}-{b}-{c}",
        "+1 {a} {b} {c}",
        "1{a}{b}{c}",
        "{a}.{b}.{c}",
        "+1({a}){b}-{c}",
        "{a}{b}{c}",
    ]
    valid = 0
    for _ in range(4000):
        a, b, c = f"{rng.randrange(100, 1000)}", f"{rng.randrange(100, 1000)}", f"{rng.randrange(10000):04d}"
        text = rng.choice(forms).format(a=a, b=b, c=c)
        region = rng.choice(["US", "CA", "PR", "CN", None])
        got = check_number(text, region)
        try:
            number = phonenumbers.parse(text, region)
            ok = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            ok = False
        if not ok:
            assert isinstance(got, NumberProblem), (text, region)
            continue
        valid += 1
        assert isinstance(got, CheckedNumber), (text, region)
        zones = tuple(z for z in pn_timezone.time_zones_for_number(number) if z != "Etc/Unknown")
        expected = (phonenumbers.format_number(number, 0), phonenumbers.region_code_for_number(number), zones)
        assert (got.e164, got.region, got.zones) == expected, (text, region)
    assert valid > 500
