"""The session's logic on the fake SIP engine in virtual time (scripted recognizer and policy)."""

from __future__ import annotations

import datetime as dt

from dialer.sip.fake_engine import ScriptedCallee
from dialogue.interfaces import BotAction, HangUp, RecordPromise, Say, SetDisposition

from .fakes import Timeline, run_call

PROMISE: list[list[BotAction]] = [
    [Say("Thank you John. You owe $120.50, due 2026-11-15. When can you pay?", "utter_ask_payment")],
    [
        Say("Thank you. Goodbye.", "utter_close_promise"),
        SetDisposition("promise_to_pay"),
        RecordPromise(dt.date(2026, 12, 4), None),
        HangUp(),
    ],
]


def test_a_silent_pickup_hears_the_opening_then_the_dialogue_runs_turn_by_turn() -> None:
    # the opening (tone synthesizer, ~1.8 s) starts ~0.8 s after answer; replies come in the pauses
    callee = ScriptedCallee(audio=Timeline([(4.0, "yes speaking"), (8.5, "I will pay on Friday")]).pcm())
    run = run_call(callee, replies=["yes speaking", "I will pay on Friday"], policy_replies=PROMISE)
    r = run.report
    assert r.machine == "human"
    assert r.disposition == "promise_to_pay" and r.promise_date == dt.date(2026, 12, 4)
    assert r.ended_by == "bot" and not r.error
    assert r.opening_ms is not None and r.opening_ms < 2000
    speakers = [t.speaker for t in r.turns]
    assert speakers == ["bot", "callee", "bot", "callee", "bot"]
    callee_turns = [t for t in r.turns if t.speaker == "callee"]
    assert [t.text for t in callee_turns] == ["yes speaking", "I will pay on Friday"]
    assert abs(callee_turns[0].start_s - 4.0) < 0.15
    bot_replies = [t for t in r.turns if t.speaker == "bot"][1:]
    for turn in bot_replies:
        assert turn.latency_ms is not None and 0 < turn.latency_ms < 1000
    # amounts and dates are verbalized before synthesis
    assert "one hundred twenty dollars and fifty cents" in r.turns[2].text
    assert "November 15th" in r.turns[2].text
    # the bot was really heard by the callee while it spoke the opening
    assert run.bot_audio_at(r.turns[0].start_s + 0.05, r.turns[0].start_s + 0.5) > 5000
