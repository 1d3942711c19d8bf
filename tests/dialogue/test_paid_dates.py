"""A payment said to be made after today is not a payment: it is a promise or it is asked about."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogue.embedded.engine import EmbeddedEngine
from dialogue.interfaces import (
    BotAction,
    KeyPressed,
    RecordPaid,
    RecordPromise,
    SetDisposition,
    UserSaid,
)
from dialogue.turns import paid_check
from dialogue.understanding.dates import find_when
from dialogue.understanding.tense import says_future

from .chat import NOW, after_rpc, said

FUTURE_PAID = {"en": "I already paid next Friday", "zh": "我下周五已经还了"}
NEXT_FRIDAY = dt.date(2026, 12, 4)


def _never_paid(*turns: list[BotAction]) -> bool:
    return not any(
        isinstance(a, RecordPaid) or (isinstance(a, SetDisposition) and a.disposition == "already_paid")
        for actions in turns
        for a in actions
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_paid_on_a_future_date_is_asked_about_then_paid(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    policy = after_rpc(embedded[lang], lang)
    asked = policy.handle(UserSaid(FUTURE_PAID[lang]))
    assert said(asked) == ["utter_check_paid_date"]
    spoken = asked[0].text  # type: ignore[union-attr]
    assert ("Friday, December 4" if lang == "en" else "12月4日") in spoken
    assert _never_paid(asked)
    paid = policy.handle(UserSaid({"en": "I already paid yesterday", "zh": "我昨天已经还了"}[lang]))
    assert RecordPaid(dt.date(2026, 11, 28), None) in paid


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_paid_on_a_future_date_then_a_promise_is_recorded_as_a_promise(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    policy = after_rpc(embedded[lang], lang)
    asked = policy.handle(UserSaid(FUTURE_PAID[lang]))
    read_back = policy.handle(UserSaid({"en": "I'll pay on Friday", "zh": "我下周五会还"}[lang]))
    assert said(read_back) == ["utter_confirm_promise"]
    closing = policy.handle(KeyPressed("1"))
    assert RecordPromise(NEXT_FRIDAY, None) in closing
    assert _never_paid(asked, read_back, closing)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_paid_on_a_future_date_and_no_answer_is_never_recorded_as_paid(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    policy = after_rpc(embedded[lang], lang)
    turns = [policy.handle(UserSaid(FUTURE_PAID[lang]))]
    turns += [policy.handle(UserSaid({"en": "no", "zh": "不是"}[lang])) for _ in range(2)]
    assert [said(t) for t in turns] == [
        ["utter_check_paid_date"],
        ["utter_reprompt_check_paid_date"],
        ["utter_close_no_response"],
    ]
    assert _never_paid(*turns) and policy.ended


def test_a_future_paid_date_in_the_details_is_asked_about(embedded: dict[str, EmbeddedEngine]) -> None:
    policy = after_rpc(embedded["en"], "en")
    assert said(policy.handle(UserSaid("I already paid"))) == ["utter_ask_paid_details"]
    details = policy.handle(UserSaid("next friday by card"))
    assert said(details) == ["utter_check_paid_date"] and _never_paid(details)


def test_paid_words_that_say_the_payment_is_still_to_come_are_a_promise(
    embedded: dict[str, EmbeddedEngine],
) -> None:
    policy = after_rpc(embedded["en"], "en")
    read_back = policy.handle(UserSaid("it will be paid next friday"))
    assert said(read_back) == ["utter_confirm_promise"] and _never_paid(read_back)
    assert RecordPromise(NEXT_FRIDAY, None) in policy.handle(KeyPressed("1"))


@pytest.mark.parametrize(
    ("lang", "reply", "day"),
    [
        ("en", "I already paid on the 3rd", dt.date(2026, 11, 3)),
        ("en", "I already paid Friday", dt.date(2026, 11, 27)),
        ("en", "I paid last Tuesday", dt.date(2026, 11, 24)),
        ("en", "I already paid today", NOW.date()),
        ("zh", "我3号已经还了", dt.date(2026, 11, 3)),
        ("zh", "我上周二已经还了", dt.date(2026, 11, 17)),
        ("zh", "我周五已经还了", dt.date(2026, 11, 27)),
    ],
)
def test_a_past_or_ambiguous_day_stays_paid_on_the_day_gone(
    embedded: dict[str, EmbeddedEngine], lang: str, reply: str, day: dt.date
) -> None:
    actions = after_rpc(embedded[lang], lang).handle(UserSaid(reply))
    assert RecordPaid(day, None) in actions, actions


def test_paid_check_and_the_words_of_a_payment_to_come() -> None:
    today = NOW.date()
    assert paid_check(today, today, False) == "ok"
    assert paid_check(today - dt.timedelta(days=3), today, True) == "ok"
    assert paid_check(NEXT_FRIDAY, today, False) == "future"
    assert paid_check(NEXT_FRIDAY, today, True) == "promise"
    assert says_future("I'll have it paid by Friday", "en")
    assert not says_future("I already paid, I'll send the receipt", "en")
    assert says_future("我下周五会还", "zh") and not says_future("我下周五已经还了", "zh")
    # an ambiguous day read as one already gone; "next" stays ahead
    assert find_when("on the 3rd", "en", NOW, past=True).date == dt.date(2026, 11, 3)  # type: ignore[union-attr]
    assert find_when("next friday", "en", NOW, past=True).date == NEXT_FRIDAY  # type: ignore[union-attr]
    assert find_when("12月3号", "zh", NOW, past=True).date == dt.date(2025, 12, 3)  # type: ignore[union-attr]


WILL_PAY_THEN = {
    "en": ["I will pay then", "I'll pay on that day", "oh okay, I'm going to pay that day then"],
    "zh": ["到时候还", "那天还", "哦，那就到时候再还吧"],
}


@pytest.mark.parametrize(
    ("lang", "reply"), [(lang, reply) for lang, replies in WILL_PAY_THEN.items() for reply in replies]
)
def test_will_pay_then_after_the_paid_date_check_is_a_promise_for_that_date(
    embedded: dict[str, EmbeddedEngine], lang: str, reply: str
) -> None:
    policy = after_rpc(embedded[lang], lang)
    asked = policy.handle(UserSaid(FUTURE_PAID[lang]))
    assert said(asked) == ["utter_check_paid_date"]
    read_back = policy.handle(UserSaid(reply))
    assert said(read_back) == ["utter_confirm_promise"]  # not "when will you pay?" again
    spoken = read_back[0].text  # type: ignore[union-attr]
    assert ("Friday, December 4" if lang == "en" else "12月4日") in spoken
    assert not any(isinstance(a, RecordPromise) for a in read_back)  # the read-back needs its yes
    closing = policy.handle(UserSaid({"en": "yes that's right", "zh": "对"}[lang]))
    assert RecordPromise(NEXT_FRIDAY, None) in closing
    assert _never_paid(asked, read_back, closing)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_will_pay_then_on_a_date_too_far_out_gets_the_counter_offer(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    policy = after_rpc(embedded[lang], lang)
    far = {"en": "I already paid in three weeks", "zh": "我下个月二十号已经还了"}[lang]
    assert said(policy.handle(UserSaid(far))) == ["utter_check_paid_date"]
    countered = policy.handle(UserSaid(WILL_PAY_THEN[lang][0]))
    assert said(countered) == ["utter_counter_offer"]
    assert not any(isinstance(a, RecordPromise) for a in countered)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_promise_naming_its_own_day_after_the_check_keeps_that_day(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    policy = after_rpc(embedded[lang], lang)
    policy.handle(UserSaid(FUTURE_PAID[lang]))
    read_back = policy.handle(UserSaid({"en": "I'll pay on Wednesday", "zh": "我周三还"}[lang]))
    assert said(read_back) == ["utter_confirm_promise"]
    assert policy.slots["date"] == "2026-12-02"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_promise_without_a_day_elsewhere_still_asks_the_day(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    policy = after_rpc(embedded[lang], lang)
    policy.handle(UserSaid({"en": "I'll pay on Friday", "zh": "我周五还"}[lang]))  # a date in the slots
    policy.handle(UserSaid({"en": "no", "zh": "不对"}[lang]))  # not that day after all
    asked = policy.handle(UserSaid({"en": "I will pay then", "zh": "到时候还"}[lang]))
    assert "utter_confirm_promise" not in said(asked)
    assert not any(isinstance(a, RecordPromise) for a in asked)
