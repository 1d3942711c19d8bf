"""Numbers spoken digit by digit are masked in transcripts like written ones. The probe: "six one seven
five five five ..." in a transcript was shown in full to every role."""

from __future__ import annotations

import datetime as dt

import pytest

from dialer.web.masking import mask_free_text
from scheduler.ledger import Turn
from scheduler.vocabulary import Speaker

from .conftest import ConsoleEnv

SPOKEN = "my number is six one seven, five five five, oh one two three"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (SPOKEN, "two three"),
        ("我的电话是一三八零零一三八零零零", "零零"),
        ("double five six one seven eight nine four four", "four four"),
        ("it is six one seven 555 0123", "0123"[-2:]),
    ],
)
def test_spoken_digit_runs_are_masked_but_the_last_two(text: str, kept: str) -> None:
    masked = mask_free_text(text, "viewer")
    assert masked != text and masked.rstrip(" .").endswith(kept) and "*" in masked
    assert "six one seven" not in masked and "一三八" not in masked
    assert mask_free_text(text, "admin") == text


@pytest.mark.parametrize(
    "text", ["I can pay two hundred on the fifth", "one two three", "两百块", "see you at 9:30 on 2026-12-05"]
)
def test_short_runs_amounts_and_dates_stay(text: str) -> None:
    assert mask_free_text(text, "viewer") == text


def test_the_call_page_masks_a_spoken_number_for_non_admins(sqlite_env: ConsoleEnv) -> None:
    env = sqlite_env
    attempt = env.seeded.answered_attempt
    env.ledger.add_turns(attempt, [Turn(3, Speaker.callee, SPOKEN, dt.datetime.now(dt.UTC))])
    for role in ("viewer", "operator", "supervisor"):
        page = env.client(role).get(f"/calls/{attempt}").text
        assert "six one seven, five five five" not in page and "two three" in page, role
    assert SPOKEN in env.client("admin").get(f"/calls/{attempt}").text
