"""Words that come back from the decoder after the callee went on talking are answered with what follows:
"No." and a pause, then "He passed away in October.", is one reply to the bot, not a "no" answered over
the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from dialer.sip.fake_engine import ScriptedCallee
from dialogue.interfaces import BotAction, HangUp, Say, SetDisposition, UserSaid
from voice.background import InlineRunner, Pending, Ready, Runner

from .fakes import Timeline, run_call

T = TypeVar("T")


class _Late:
    """Each decode back `seconds` of call time after it was asked for (a busy recognizer)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def submit(self, work: Callable[[], T], now: float) -> Pending[T]:
        return Ready(work(), now + self.seconds)

    def close(self) -> None:
        pass


def _background(job: str) -> Runner:
    return _Late(0.8) if job == "heard" else InlineRunner()


DECEASED: list[list[BotAction]] = [
    [Say("I am sorry for your loss.", "utter_deceased"), SetDisposition("deceased"), HangUp()]
]


def test_words_back_after_the_callee_went_on_are_answered_with_the_rest() -> None:
    # the opening (~1.8 s from ~0.8 s); "No." then 0.5 s, longer than the endpointer's 300 ms, then the rest
    callee = ScriptedCallee(audio=Timeline([(4.0, "No."), (4.9, "He passed away in October.")], 12).pcm())
    run = run_call(
        callee,
        replies=["No.", "He passed away in October."],
        policy_replies=DECEASED,
        background=_background,
    )
    said = [e.text for p in run.policies for e in p.handled if isinstance(e, UserSaid)]
    assert said == ["No. He passed away in October."], run.report
    assert run.report.disposition == "deceased"
    callee_turns = [t for t in run.report.turns if t.speaker == "callee"]
    assert [t.text for t in callee_turns] == ["No. He passed away in October."]
    assert abs(callee_turns[0].start_s - 4.0) < 0.2  # the turn starts with its first words
