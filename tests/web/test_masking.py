"""The one display-masking function: what each role sees of a number."""

from __future__ import annotations

import pytest

from dialer.web.masking import display_number, mask_display, mask_free_text


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+16175550100", "+1 617 ***-**00"),
        ("+8613800138000", "+86 138 **** **00"),
        ("+442079460958", "+44 20 **** **58"),
    ],
)
def test_mask_keeps_country_area_and_last_two(e164: str, masked: str) -> None:
    assert mask_display(e164) == masked


def test_unparseable_numbers_keep_only_the_last_two_digits() -> None:
    assert mask_display("12345678") == "******78"


@pytest.mark.parametrize("role", ["supervisor", "operator", "viewer", "nobody"])
def test_only_admins_see_full_numbers(role: str) -> None:
    assert display_number("+16175550100", "admin") == "+1 617-555-0100"
    shown = display_number("+16175550100", role)
    assert "555" not in shown and shown.endswith("00")


def test_free_text_is_masked_for_non_admins() -> None:
    raw = "A1,Ann,+1 617 555 0123,120"
    assert mask_free_text(raw, "admin") == raw
    assert "555" not in mask_free_text(raw, "viewer")


def test_secure_cookies_are_automatic_off_the_loopback(settings: object, tmp_path: object) -> None:
    from dialer.web.settings import ConsoleOptions, WebSettings

    key = b"k" * 40
    loopback = ConsoleOptions.from_settings(settings, secret_key=key)
    assert loopback.cookie_secure is False
    public = settings.model_copy(update={"web": WebSettings(host="0.0.0.0")})  # type: ignore[attr-defined]
    assert ConsoleOptions.from_settings(public, secret_key=key).cookie_secure is True
    forced = settings.model_copy(update={"web": WebSettings(cookie_secure=True)})  # type: ignore[attr-defined]
    assert ConsoleOptions.from_settings(forced, secret_key=key).cookie_secure is True
