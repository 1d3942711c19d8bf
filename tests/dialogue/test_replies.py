"""Legally significant replies, payment plans and unsure readings, at the seam the call session uses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from dialogue.embedded.engine import EmbeddedEngine
from dialogue.interfaces import (
    BotAction,
    HangUp,
    KeyPressed,
    NoInput,
    OptOut,
    RecordPaid,
    RecordPromise,
    RecordSettlement,
    Say,
    SetDisposition,
    UserSaid,
)
from dialogue.plan import PlanLimits, Share, check_plan, load_limits
from dialogue.script import load_script
from dialogue.storytest import context_for
from dialogue.understanding.parts import REST, Part, find_parts
from dialogue.understanding.spoken import find_attorney_name, find_language, find_phone, spell_digits

from .chat import NOW, after_rpc, said


def _disposition(actions: list[BotAction]) -> str | None:
    found = [a.disposition for a in actions if isinstance(a, SetDisposition)]
    return found[-1] if found else None


def test_multi_part_promises_are_split_into_parts() -> None:
    parts = find_parts("I can pay 50 dollars on Friday and the rest on the 20th.", "en", NOW)
    assert parts == (Part(dt.date(2026, 12, 4), Decimal(50)), Part(dt.date(2026, 12, 20), REST))
    assert find_parts("fifty now and seventy next friday", "en", NOW) == (
        Part(dt.date(2026, 11, 29), Decimal(50)),
        Part(dt.date(2026, 12, 4), Decimal(70)),
    )
    assert find_parts("我现在先还五十剩下的下个月还", "zh", NOW) == (
        Part(dt.date(2026, 11, 29), Decimal(50)),
        Part(dt.date(2026, 12, 1), REST),
    )
    assert find_parts("i can pay fifty dollars on friday", "en", NOW) == ()
    assert find_parts("fifty on friday and the rest sometime", "en", NOW) == ()  # a part without a date


def test_plan_limits() -> None:
    limits = PlanLimits(min_first_part=Share(Decimal(20)), max_parts=2, latest_days=30)
    today = NOW.date()
    day = dt.date(2026, 12, 4)
    ok = check_plan(
        (Part(day, Decimal(50)), Part(dt.date(2026, 12, 20), REST)), Decimal("120.50"), False, limits, today
    )
    assert ok.problem is None and ok.parts[-1] == (dt.date(2026, 12, 20), Decimal("70.50"))
    three = (Part(day, Decimal(20)), Part(day, Decimal(20)), Part(day, REST))
    assert check_plan(three, Decimal(120), False, limits, today).problem == "parts"
    small = (Part(day, Decimal(10)), Part(day, REST))
    assert check_plan(small, Decimal(120), False, limits, today).problem == "first_part"
    late = (Part(day, Decimal(50)), Part(dt.date(2027, 2, 1), REST))
    assert check_plan(late, Decimal(120), False, limits, today).problem == "late"
    short = (Part(day, Decimal(50)), Part(day, Decimal(30)))
    assert check_plan(short, Decimal(120), False, limits, today).problem == "total"
    settle = (Part(day, Decimal(100)),)
    assert check_plan(settle, Decimal(120), True, limits, today).problem == "settlement"
    allowed = PlanLimits(settlement_allowed=True, settlement_floor_pct=Decimal(80))
    assert check_plan(settle, Decimal(120), True, allowed, today).settlement
    assert check_plan((Part(day, Decimal(90)),), Decimal(120), True, allowed, today).limit == "96.00"


def test_limits_load_with_reasons() -> None:
    limits, problems = load_limits({"min_first_part": "25%", "max_parts": 4, "settlement_allowed": True})
    assert limits.min_first_part.of(Decimal(200)) == Decimal(50) and limits.max_parts == 4
    assert problems == []
    _, problems = load_limits({"max_parts": 0, "min_total": "lots", "settlement_floor_pct": 120})
    assert [key for key, _ in problems] == ["max_parts", "min_total", "settlement_floor_pct"]


@pytest.mark.parametrize(
    ("lang", "reply", "expected"),
    [
        (
            "en",
            "I can pay 50 dollars on Friday and the rest on the 20th.",
            [
                RecordPromise(dt.date(2026, 12, 4), Decimal(50)),
                RecordPromise(dt.date(2026, 12, 20), Decimal("70.50")),
            ],
        ),
        (
            "zh",
            "我现在先还五十剩下的下个月还",
            [
                RecordPromise(dt.date(2026, 11, 29), Decimal(50)),
                RecordPromise(dt.date(2026, 12, 1), Decimal(1150)),
            ],
        ),
    ],
)
def test_a_plan_is_recorded_part_by_part_after_the_read_back(
    embedded: dict[str, EmbeddedEngine], lang: str, reply: str, expected: list[RecordPromise]
) -> None:
    policy = after_rpc(embedded[lang], lang)
    read_back = policy.handle(UserSaid(reply))
    assert said(read_back) == ["utter_confirm_plan"]
    assert not any(isinstance(a, RecordPromise) for a in read_back)
    closing = policy.handle(KeyPressed("1"))
    assert [a for a in closing if isinstance(a, RecordPromise)] == expected
    assert _disposition(closing) == "promise_to_pay"


def test_a_settlement_within_the_floor_is_recorded_with_its_total(
    embedded: dict[str, EmbeddedEngine],
) -> None:
    policy = after_rpc(embedded["zh"], "zh")
    assert said(policy.handle(UserSaid("我下周五一次性还一千，结清"))) == ["utter_confirm_plan"]
    closing = policy.handle(KeyPressed("1"))
    records = [a for a in closing if isinstance(a, RecordSettlement | RecordPromise)]
    assert records == [RecordSettlement(Decimal(1000)), RecordPromise(dt.date(2026, 12, 4), Decimal(1000))]


def test_an_offer_outside_the_limits_is_never_recorded(embedded: dict[str, EmbeddedEngine]) -> None:
    policy = after_rpc(embedded["en"], "en")
    actions = policy.handle(UserSaid("i can pay 5 dollars now, 5 on friday and the rest on the 20th"))
    assert said(actions) == ["utter_plan_counter_offer"]
    assert "at most 3 payments" not in actions[0].text  # type: ignore[union-attr]
    assert "first payment must be at least $20" in actions[0].text  # type: ignore[union-attr]
    assert not any(isinstance(a, RecordPromise) for a in actions)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_unsure_paid_is_confirmed_and_a_sure_one_is_not(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    reply = {"en": "i already paid it yesterday", "zh": "我昨天已经还了"}[lang]
    unsure = after_rpc(embedded[lang], lang)
    asked = unsure.handle(UserSaid(reply, 0.2))
    assert said(asked) == ["utter_check_paid"]
    assert not any(isinstance(a, RecordPaid | SetDisposition) for a in asked)
    confirmed = unsure.handle(KeyPressed("1"))
    assert any(isinstance(a, RecordPaid) for a in confirmed) and _disposition(confirmed) == "already_paid"
    sure = after_rpc(embedded[lang], lang)
    assert _disposition(sure.handle(UserSaid(reply, 0.95))) == "already_paid"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_unsure_paid_is_confirmed_by_saying_it_again_or_by_its_details(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    reply = {"en": "i already paid it", "zh": "我已经还了"}[lang]
    details = {"en": "by card last tuesday", "zh": "上周二用银行卡还的"}[lang]
    again = after_rpc(embedded[lang], lang)
    assert said(again.handle(UserSaid(reply, 0.2))) == ["utter_check_paid"]
    # heard the same twice: the reading stands and the paid flow goes on (it asks how and when)
    assert said(again.handle(UserSaid(reply, 0.2))) == ["utter_ask_paid_details"]
    detailed = after_rpc(embedded[lang], lang)
    assert said(detailed.handle(UserSaid(reply, 0.2))) == ["utter_check_paid"]
    actions = detailed.handle(UserSaid(details, 0.3))
    assert _disposition(actions) == "already_paid", actions
    paid = next(a for a in actions if isinstance(a, RecordPaid))
    assert paid.date is not None and paid.date < NOW.date()  # the details' date was kept
    other = after_rpc(embedded[lang], lang)
    other.handle(UserSaid(reply, 0.2))
    answer = {"en": "what is this about", "zh": "这是什么事"}[lang]
    assert _disposition(other.handle(UserSaid(answer, 0.9))) is None  # anything else: not confirmed


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_unsure_third_party_is_asked_before_the_call_ends(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    # a half-heard "he's not here" must not end the call with the right person on the line
    reply = {"en": "he's not here right now, this is his son", "zh": "他现在不在，我是他儿子"}[lang]
    engine = embedded[lang]
    unsure = engine.new_policy()
    unsure.start(context_for(engine.script, {"now": NOW.isoformat()}))
    asked = unsure.handle(UserSaid(reply, 0.1))
    assert said(asked) == ["utter_check_third_party"]
    assert _disposition(asked) is None and not any(isinstance(a, HangUp) for a in asked)
    check = next(a for a in asked if isinstance(a, Say)).text
    assert not any(word in check.lower() for word in ("debt", "payment", "owe", "欠", "还款", "债"))
    confirmed = unsure.handle(KeyPressed("1"))
    assert _disposition(confirmed) == "third_party"
    denied = engine.new_policy()
    denied.start(context_for(engine.script, {"now": NOW.isoformat()}))
    denied.handle(UserSaid(reply, 0.1))
    assert _disposition(denied.handle(KeyPressed("2"))) is None  # a no: the call goes on
    sure = engine.new_policy()
    sure.start(context_for(engine.script, {"now": NOW.isoformat()}))
    assert _disposition(sure.handle(UserSaid(reply, 0.95))) == "third_party"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_possible_opt_out_is_honoured_on_silence(embedded: dict[str, EmbeddedEngine], lang: str) -> None:
    engine = embedded[lang]
    policy = engine.new_policy()
    policy.start(context_for(engine.script, {"now": NOW.isoformat()}))
    reply = {"en": "stop", "zh": "停止"}[lang]
    assert said(policy.handle(UserSaid(reply, 0.2))) == ["utter_check_stop"]
    assert policy.hints().phrases  # the recognizer is told to expect a yes or no
    actions = policy.handle(NoInput())
    assert OptOut("number") in actions and HangUp() in actions


def test_the_same_question_six_times_ends(embedded: dict[str, EmbeddedEngine]) -> None:
    policy = after_rpc(embedded["en"], "en", can_transfer=False)
    answers = [said(policy.handle(UserSaid("who is this"))) for _ in range(3)]
    assert answers[:2] == [["utter_who_after", "utter_ask_payment"]] * 2
    assert answers[2] == ["utter_repeat_limit"] and policy.ended


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_attorney_is_recorded_when_the_bot_asks_for_the_lawyers_details(
    embedded: dict[str, EmbeddedEngine], lang: str
) -> None:
    """A callee who hangs up at "what is your attorney's name?" is still represented: the disposition is
    set with the question, not only with the goodbye."""
    policy = after_rpc(embedded[lang], lang)
    reply = {"en": "I have a lawyer handling this", "zh": "这事你找我律师"}[lang]
    actions = policy.handle(UserSaid(reply, 0.95))
    assert said(actions) == ["utter_attorney"] and not policy.ended
    assert _disposition(actions) == "attorney" and HangUp() not in actions


def test_attorney_details_and_the_language_heard() -> None:
    assert spell_digits("call five five five oh one two three please") == "call 5550123 please"
    assert find_phone("his number is five five five, oh one two three", "en") == "5550123"
    assert find_phone("电话一三八零零一三八零零零", "zh") == "13800138000"
    assert find_attorney_name("my attorney is sarah cole call her at 555 0188", "en") == "Sarah Cole"
    assert find_attorney_name("i have a lawyer handling this", "en") is None
    assert find_attorney_name("我律师叫王强电话13800138000", "zh") == "王强"
    assert find_language("no hablo inglés", "en") == "es"
    assert find_language("我只会说粤语", "zh") == "yue"
    assert find_language("I don't speak Chinese", "zh") == "en"


def test_shipped_scripts_have_every_new_intent(script_dirs: dict[str, Path]) -> None:
    new = {
        "attorney",
        "bankruptcy",
        "cease",
        "deceased",
        "third_party",
        "language_barrier",
        "complaint",
        "off_topic",
    }
    for path in script_dirs.values():
        script = load_script(path)
        assert new <= set(script.intents)
        assert new <= {e.intent for e in script.examples}


@pytest.mark.parametrize(
    ("lang", "text", "entities"),
    [
        ("en", "i'll pay on the fifteenth", {"date": "2026-12-15"}),
        ("en", "by the 15th", {"date": "2026-12-15"}),
        ("en", "twenty five dollars on december third", {"date": "2026-12-03", "amount": "25"}),
        ("en", "my lawyer is at five five five oh one nine nine", {"attorney_phone": "5550199"}),
        ("zh", "十五号还", {"date": "2026-12-15"}),
        ("zh", "下个月三号先还两百", {"date": "2026-12-03", "amount": "200"}),
    ],
)
def test_asr_numbers_and_dates_are_normalised(
    embedded: dict[str, EmbeddedEngine], lang: str, text: str, entities: dict[str, str]
) -> None:
    found = dict(embedded[lang].parse(text, NOW).entities)
    assert {k: found.get(k) for k in entities} == entities


# Where the callee asks how the collector came by the number: a question about who calls, not an opt-out.
HOW_WE_GOT_THE_NUMBER = [
    ("en", "where'd you people get my number from"),
    ("en", "who told you to call this number"),
    ("en", "how'd you find this number"),
    ("zh", "你们哪来的我的电话号码"),
    ("zh", "你们怎么会有我这个号"),
    ("zh", "谁把我手机号给你们的"),
]


@pytest.mark.parametrize(("lang", "reply"), HOW_WE_GOT_THE_NUMBER)
def test_asking_how_we_got_the_number_is_answered_not_an_opt_out(
    embedded: dict[str, EmbeddedEngine], lang: str, reply: str
) -> None:
    """Before the right party is confirmed the bot says who calls and for whom (no debt words) and asks
    again; the number stays callable."""
    engine = embedded[lang]
    policy = engine.new_policy()
    policy.start(context_for(engine.script, {"now": NOW.isoformat()}))
    actions = policy.handle(UserSaid(reply, 0.95))
    assert said(actions) == ["utter_who_before_rpc", "utter_ask_right_party"]
    assert not any(isinstance(a, OptOut) for a in actions) and not policy.ended


# Complaints about how the collector behaves (telling others about the account, threats, unlawful calls).
CONDUCT_COMPLAINTS = [
    ("en", "you discussed my account with my boss, that's against the law"),
    ("en", "you called my mother and told her what i owe"),
    ("en", "you threatened me last time"),
    ("en", "telling my employer about my account is illegal"),
    ("zh", "你们怎么能跟我妈说我欠钱的事"),
    ("zh", "你们的人打电话到我单位，把我的事都说了"),
    ("zh", "凭什么跟我家里人说我的账"),
]


@pytest.mark.parametrize(("lang", "reply"), CONDUCT_COMPLAINTS)
def test_a_complaint_about_the_collectors_conduct_is_a_complaint_not_a_dispute(
    embedded: dict[str, EmbeddedEngine], lang: str, reply: str
) -> None:
    policy = after_rpc(embedded[lang], lang, can_transfer=False)
    assert _disposition(policy.handle(UserSaid(reply, 0.95))) == "complaint"


@pytest.mark.parametrize(
    ("lang", "reply", "intent"),
    [
        ("en", "it's just not possible for me to pay this", "cannot_pay"),
        ("en", "no way can i find that kind of cash", "cannot_pay"),
        ("en", "don't ring me and don't mail me anything either", "cease"),
        ("en", "i've got the receipt, it's already done", "already_paid"),
        ("zh", "明天中午我就把钱转了", "promise_to_pay"),  # a day to come with 就……了: still to be paid
        ("zh", "晚上我就去还了", "promise_to_pay"),
        ("zh", "我请了 lawyer，有事找他", "attorney"),
    ],
)
def test_legal_replies_once_read_as_another_case(
    embedded: dict[str, EmbeddedEngine], lang: str, reply: str, intent: str
) -> None:
    assert embedded[lang].parse(reply, NOW).intent == intent
