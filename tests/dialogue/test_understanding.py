"""Entity extraction and normalization: the spoken forms people use for dates, times and amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dialogue.understanding.amounts import find_amount, find_method
from dialogue.understanding.classifier import normalize
from dialogue.understanding.dates import find_when
from dialogue.understanding.numbers import replace_number_words

NOW = dt.datetime(2026, 11, 29, 10, 0)  # a Sunday


@pytest.mark.parametrize(
    ("text", "date", "time"),
    [
        ("next friday", "2026-12-04", None),
        ("i can pay on the 15th", "2026-12-15", None),
        ("by the twentieth", "2026-12-20", None),
        ("end of the month", "2026-11-30", None),
        ("in two weeks", "2026-12-13", None),
        ("tomorrow at 5 pm", "2026-11-30", "17:00"),
        ("december fifth", "2026-12-05", None),
        ("12/24", "2026-12-24", None),
        ("i paid last monday", "2026-11-23", None),
        ("yesterday", "2026-11-28", None),
        ("call me back in an hour", "2026-11-29", "11:00"),
        ("after 6", "2026-11-29", "18:00"),
        # an hour without am/pm takes the part of the day said with it
        ("call me tomorrow at 7 in the morning", "2026-11-30", "07:00"),
        ("try me at 9 tonight", "2026-11-29", "21:00"),
        ("tomorrow evening at 8 o'clock", "2026-11-30", "20:00"),
        ("at 11 tomorrow morning", "2026-11-30", "11:00"),
        ("monday at 10", "2026-11-30", "10:00"),
        ("the 3rd", "2026-12-03", None),
        ("i'll pay on the 20th of next month", "2026-12-20", None),  # not the 1st of next month
        ("next month on the fifth", "2026-12-05", None),
        ("next month", "2026-12-01", None),
    ],
)
def test_english_dates(text: str, date: str, time: str | None) -> None:
    when = find_when(text, "en", NOW)
    assert when is not None
    assert when.date.isoformat() == date
    assert (when.time.strftime("%H:%M") if when.time else None) == time


@pytest.mark.parametrize(
    ("text", "date", "time"),
    [
        ("下周五", "2026-12-04", None),
        ("月底", "2026-11-30", None),
        ("15号", "2026-12-15", None),
        ("三天后", "2026-12-02", None),
        ("明天下午三点", "2026-11-30", "15:00"),
        ("下个月五号", "2026-12-05", None),
        ("十二月五号", "2026-12-05", None),
        ("过两天", "2026-12-01", None),
        ("星期天", "2026-12-06", None),
        ("昨天已经还了", "2026-11-28", None),
        ("上周五转账了", "2026-11-20", None),
        ("一个小时后再打", "2026-11-29", "11:00"),
    ],
)
def test_chinese_dates(text: str, date: str, time: str | None) -> None:
    when = find_when(text, "zh", NOW)
    assert when is not None
    assert when.date.isoformat() == date
    assert (when.time.strftime("%H:%M") if when.time else None) == time


@pytest.mark.parametrize("text", ["yeah", "no thanks", "who is this", "i don't owe that"])
def test_no_date_in_plain_replies(text: str) -> None:
    assert find_when(text, "en", NOW) is None


@pytest.mark.parametrize(
    ("text", "language", "amount"),
    [
        ("i can pay fifty dollars friday", "en", Decimal("50")),
        ("$75.50 on the 5th", "en", Decimal("75.50")),
        ("i can do two hundred", "en", Decimal("200")),
        ("i'll pay on the 15th", "en", None),
        ("我先还五百块", "zh", Decimal("500")),
        ("还一千二", "zh", Decimal("1200")),
        ("15号还", "zh", None),
    ],
)
def test_amounts(text: str, language: str, amount: Decimal | None) -> None:
    assert find_amount(text, language) == amount


def test_payment_methods() -> None:
    assert find_method("i paid by card last week", "en") == "card"
    assert find_method("我用支付宝还了", "zh") == "alipay"
    assert find_method("yes", "en") is None


def test_number_words_keep_ordinary_words() -> None:
    assert replace_number_words("pay fifty dollars on the twenty fifth") == "pay 50 dollars on the 25th"
    assert replace_number_words("wait a second") == "wait a second"


def test_normalize_strips_fillers_and_punctuation() -> None:
    assert normalize("Uh, YES... that's me!", "en") == "yes that's me"
    assert normalize("嗯，是我。", "zh") == "是我"
    assert normalize("嗯", "zh") == "嗯"


@pytest.mark.parametrize(
    ("text", "spelled"),
    [
        ("I cannot pay", "i can not pay"),
        ("I can't pay", "i can not pay"),
        ("I cant pay", "i can not pay"),
        ("he isn't home", "he is not home"),
        ("I won't", "i will not"),
        ("I don't owe it", "i do not owe it"),
    ],
)
def test_one_spelling_of_a_negation(text: str, spelled: str) -> None:
    assert normalize(text, "en") == spelled


def test_cannot_pay_is_not_a_promise() -> None:
    """Whisper writes "cannot" where people type "can't": both are the same refusal."""
    from pathlib import Path

    from dialogue.embedded.engine import EmbeddedEngine

    nlu = EmbeddedEngine.load(Path(__file__).resolve().parents[2] / "scripts" / "reminder-en")
    now = dt.datetime(2026, 12, 6, 12)
    for text in ("I cannot pay the price.", "I can't pay the price."):
        assert nlu.parse(text, now).intent == "cannot_pay", text


def test_derived_slots_per_turn() -> None:
    from dialogue.interfaces import CallContext
    from dialogue.turns import derive_slots, initial_slots

    context = CallContext("Acme", "Ann", "John", "$120", "USD", "May 1", "555", promise_max_days=14)
    slots = initial_slots(context, NOW)
    slots.update(derive_slots((("date", "2026-12-04"), ("time", "17:00"), ("amount", "50")), slots, NOW))
    assert slots["date_check"] == "ok" and slots["callback_at"] == "2026-12-04T17:00"
    assert slots["promise_amount"] == "$50" and slots["amount_said"] == "50"
    slots.update(derive_slots((), slots, NOW))  # "yes": no date in this reply
    assert slots["date_check"] == "missing" and slots["callback_at"] is None
    assert slots["date"] == "2026-12-04" and slots["promise_amount"] == "$50"
    slots.update(derive_slots((("date", "2026-12-20"),), slots, NOW))
    assert slots["date_check"] == "too_far"
    slots.update(derive_slots((("date", "2026-11-20"),), slots, NOW))
    assert slots["date_check"] == "past"


@pytest.mark.parametrize(
    ("text", "language", "reading"),
    [
        ("don't phone me or write to me, ever", "en", "cease"),
        ("no calls, no texts, no letters", "en", "cease"),
        ("stop calling me", "en", "stop"),
        ("don't call me, send me a letter instead", "en", "stop"),  # writing is still welcome
        ("no more calls, email is fine", "en", "stop"),
        ("电话和信都别再来了", "zh", "cease"),
        ("别再打电话了", "zh", "stop"),
        ("电话就别打了，可以寄信给我", "zh", "stop"),
    ],
)
def test_an_opt_out_refusing_phone_and_writing_is_a_cease(text: str, language: str, reading: str) -> None:
    from dialogue.understanding.channels import widen_opt_out

    assert widen_opt_out("stop", text, language) == reading


def test_the_channel_rule_only_widens_an_opt_out() -> None:
    from dialogue.understanding.channels import widen_opt_out

    assert widen_opt_out("cease", "stop contacting me by phone", "en") == "cease"
    assert widen_opt_out("dispute", "don't call or write, i owe nothing", "en") == "dispute"


def test_a_number_spelled_digit_by_digit_is_classified_as_digits() -> None:
    """The examples write phone numbers as digits; a recognizer spells them out, and the number words
    ("five", "oh") then look like an amount to the classifier."""
    from dialogue.understanding.nlu import classified_text

    spelled = "my lawyer is at five five five oh one two three"
    assert classified_text(spelled, "en") == "my lawyer is at 5550123"
    assert classified_text("seventy five", "en") == "seventy five"
    assert classified_text("一三九一二三四五六七八", "zh") == "一三九一二三四五六七八"
