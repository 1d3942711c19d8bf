"""The same session behaviour over the fake and the real engines behind each seam it uses.

Policies: the scripted fake and the embedded reminder-en engine. Recognizers: the scripted fake and
faster-whisper tiny.en (real decoding of espeak-ng speech, in virtual time on the fake line).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from dialer.sip.fake_engine import ScriptedCallee
from dialogue.interfaces import BotAction, DialoguePolicy, HangUp, Say, SetDisposition
from dialogue.scripted import ScriptedPolicy

from .fakes import DictationRecognizer, Timeline, run_call

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "reminder-en"
DEBT_WORDS = ("debt", "owe", "dollar", "amount", "balance", "payment")


def _scripted() -> DialoguePolicy:
    return ScriptedPolicy(phrases=())


def _embedded() -> DialoguePolicy:
    from dialogue.embedded.engine import EmbeddedEngine

    return EmbeddedEngine.load(SCRIPT).new_policy()  # type: ignore[no-any-return]


POLICIES: dict[str, Callable[[], DialoguePolicy]] = {"scripted": _scripted, "embedded": _embedded}


@pytest.mark.parametrize("policy", list(POLICIES))
def test_keypad_9_opts_out_on_every_policy(policy: str) -> None:
    callee = ScriptedCallee(audio=Timeline([], 15).pcm(), dtmf=((3.0, "9"),))
    r = run_call(callee, policy=POLICIES[policy]).report
    assert (r.disposition, r.opt_out, r.ended_by) == ("opt_out", "number", "bot")


@pytest.mark.parametrize("policy", list(POLICIES))
def test_a_machine_gets_only_the_limited_content_message_on_every_policy(policy: str) -> None:
    greeting = (
        "Hi, you have reached Sam. I can't take your call right now. Please leave a message after the tone."
    )
    callee = ScriptedCallee(audio=Timeline([(0.2, greeting)], 20).pcm())
    r = run_call(callee, replies=[greeting], policy=POLICIES[policy]).report
    assert r.machine == "machine" and r.disposition == "voicemail_left" and r.voicemail_left
    spoken = " ".join(t.text for t in r.turns if t.speaker == "bot" and not t.barged_in).lower()
    assert spoken and not any(word in spoken for word in DEBT_WORDS), spoken


def _whisper() -> object:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from voice.recognizers.whisper import WhisperRecognizer

    return WhisperRecognizer()


@pytest.mark.parametrize("recognizer", ["scripted", "whisper"])
def test_the_callee_is_heard_by_every_recognizer(recognizer: str) -> None:
    said = "I will pay on Friday."
    engine = DictationRecognizer([said]) if recognizer == "scripted" else _whisper()
    reply: list[list[BotAction]] = [
        [Say("Thank you.", "utter_thanks"), SetDisposition("promise_to_pay"), HangUp()]
    ]
    callee = ScriptedCallee(audio=Timeline([(3.5, said)], 12).pcm())
    r = run_call(callee, recognizer=engine, policy_replies=reply).report  # type: ignore[arg-type]
    heard = [t.text.lower() for t in r.turns if t.speaker == "callee"]
    assert len(heard) == 1 and "friday" in heard[0], heard
    assert r.disposition == "promise_to_pay"
