"""The session with the real embedded dialogue engine (scripts/reminder-en) on the fake line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from dialer.sip.fake_engine import ScriptedCallee
from dialogue.interfaces import DialoguePolicy

from .fakes import Timeline, run_call

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "reminder-en"
DEBT_WORDS = re.compile(r"debt|owe|payment|dollar|amount|balance|collect|overdue|due", re.IGNORECASE)


@pytest.fixture(scope="module")
def new_policy() -> Callable[[], DialoguePolicy]:
    from dialogue.embedded.engine import EmbeddedEngine

    return EmbeddedEngine.load(SCRIPT).new_policy  # type: ignore[return-value]


def test_a_promise_on_friday_is_recorded_with_its_date(new_policy: Callable[[], DialoguePolicy]) -> None:
    said = ["Yes, speaking.", "I can pay the full amount on Friday.", "Yes, that's right."]
    callee = ScriptedCallee(audio=Timeline([(5.0, said[0]), (13.5, said[1]), (22.0, said[2])], 40).pcm())
    r = run_call(callee, replies=said, policy=new_policy).report
    assert r.disposition == "promise_to_pay" and r.ended_by == "bot"
    assert r.promise_date is not None and r.promise_date.weekday() == 4  # a Friday
    assert r.promise_date > dt.date.today() - dt.timedelta(days=1)
    intents = [t.intent for t in r.turns if t.speaker == "callee"]
    assert intents == ["affirm", "promise_to_pay", "affirm"]
    bot = [t for t in r.turns if t.speaker == "bot"]
    assert "one hundred twenty dollars and fifty cents" in bot[1].text
    assert all(t.latency_ms is not None and t.latency_ms < 1000 for t in bot[1:])


def test_the_wrong_person_hears_nothing_about_the_debt(new_policy: Callable[[], DialoguePolicy]) -> None:
    said = ["No, you have the wrong number. There's no one here by that name."]
    callee = ScriptedCallee(audio=Timeline([(5.0, said[0])], 20).pcm())
    r = run_call(callee, replies=said, policy=new_policy).report
    assert r.disposition == "wrong_party"
    bot_words = " ".join(t.text for t in r.turns if t.speaker == "bot")
    assert bot_words and not DEBT_WORDS.search(bot_words), bot_words


def test_keypad_answers_work_like_speech(new_policy: Callable[[], DialoguePolicy]) -> None:
    callee = ScriptedCallee(audio=Timeline([], 20).pcm(), dtmf=((4.5, "2"),))
    r = run_call(callee, policy=new_policy).report
    assert r.disposition == "wrong_party"
    assert [t.keys for t in r.turns if t.keys] == ["2"]


def test_a_mandarin_call_speaks_amounts_and_dates_in_chinese() -> None:
    from decimal import Decimal

    from dialogue.embedded.engine import EmbeddedEngine

    from .fakes import spec

    engine = EmbeddedEngine.load(SCRIPT.parent / "reminder-zh")
    callee = ScriptedCallee(audio=Timeline([(3.5, "yes")], 12).pcm(), hangup_after=8)
    zh = spec(
        language="zh",
        script="reminder-zh",
        currency="CNY",
        amount_due=Decimal("1234.50"),
        time_zone="Asia/Shanghai",
    )
    r = run_call(callee, replies=["是的，我就是"], policy=engine.new_policy, session_spec=zh).report
    callee_turns = [t for t in r.turns if t.speaker == "callee"]
    assert [t.intent for t in callee_turns] == ["affirm"]
    reminder = r.turns[callee_turns[0].seq + 1]
    assert "一千二百三十四元五角" in reminder.text and "11月15日" in reminder.text


def test_an_answer_not_understood_is_reprompted(new_policy: Callable[[], DialoguePolicy]) -> None:
    said = ["purple monkey dishwasher", ""]  # nonsense, then speech the recognizer made nothing of
    callee = ScriptedCallee(
        audio=Timeline([(5.0, "purple monkey dishwasher"), (11.0, "mumble mumble")], 25).pcm()
    )
    r = run_call(callee, replies=said, policy=new_policy).report
    callee_turns = [t for t in r.turns if t.speaker == "callee"]
    assert [t.intent for t in callee_turns][:1] == ["nlu_fallback"]
    reprompt = r.turns[callee_turns[0].seq + 1]
    assert reprompt.speaker == "bot" and "didn't catch" in reprompt.text.lower(), reprompt
