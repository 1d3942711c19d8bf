"""The bench counts what the call would record: the shipped scripts' own policy judges each heard reply.

A scripted recognizer hands a transcript with a chosen confidence to `hear`, which must carry it to the
call's decision: a false "already paid" below dialer.yml's threshold is asked back, above it is acted on
(recorded silently); a false promise is read back; an opt-out heard as a weak stop is still caught.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest

from dialer.evaluation.hearing_eval import HearingScore, hear, read_as_text
from dialer.evaluation.reply_verdict import (
    ACTED_ON,
    ASKED_BACK,
    ASKED_FIRST,
    NOT_UNDERSTOOD,
    OPENING,
    PAYMENT,
    CallJudge,
)
from dialogue.embedded.engine import EmbeddedEngine
from dialogue.significance import settings
from dialogue.understanding.nlu import FALLBACK_INTENT
from voice.linesim import CONDITIONS
from voice.recognizers.scripted import ScriptedRecognizer
from voice.spoken_corpus import SpokenLine, critical_class

REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 11, 29, 10)
SILENCE = bytes(2 * 8000 // 2)  # half a second at 8 kHz: the scripted recognizer ignores the audio
# what the callee said: nothing the call should record
CANNOT_PAY = {
    "en": SpokenLine("I just don't have the money for this.", "cannot_pay"),
    "zh": SpokenLine("我失业了，没有收入。", "cannot_pay"),
}
# what the recognizer made of it: a payment, with its day
HEARD_PAID = {"en": "I already paid it last week", "zh": "我昨天已经还清了"}


@cache
def _engine(lang: str) -> EmbeddedEngine:
    return EmbeddedEngine.load(REPO / "scripts" / f"reminder-{lang}")


def _heard(lang: str, lines: list[SpokenLine], replies: list[str], confidence: float) -> HearingScore:
    """`lines` said, `replies` heard with `confidence`, judged at the payment question."""
    calls = CallJudge(_engine(lang), NOW)
    return hear(
        lines,
        lambda _line: SILENCE,
        CONDITIONS["ulaw"],
        ScriptedRecognizer(replies, confidence=confidence),
        _engine(lang).parse,
        language=lang,
        now=NOW,
        judge=lambda _line, text, sure, spoken_in: calls.judge(PAYMENT, text, sure, spoken_in),
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_false_payment_is_asked_back_below_the_threshold_and_acted_on_above(lang: str) -> None:
    threshold = settings(_engine(lang).script)[0]
    understood = _engine(lang).parse(HEARD_PAID[lang], NOW)
    assert understood.intent == "already_paid", "the heard reply must read as a payment"
    below = 0.5 * threshold / understood.confidence
    above = min(1.0, 1.5 * threshold / understood.confidence)

    asked = _heard(lang, [CANNOT_PAY[lang]], [HEARD_PAID[lang]], below)
    (trial,) = asked.trials
    assert trial.asr_confidence == pytest.approx(below)  # the recognizer's confidence reached the trial
    assert trial.false_critical and trial.verdict is not None
    assert trial.verdict.kind == ASKED_BACK and trial.verdict.readings == ("already_paid",)
    assert trial.verdict.combined == pytest.approx(below * understood.confidence)
    assert trial.checked_first and not trial.acted_on_unchecked
    assert (asked.false_critical_checked, asked.false_critical_acted_on) == (1, 0)
    assert asked.false_critical_by_call() == {ASKED_BACK: 1}

    acted = _heard(lang, [CANNOT_PAY[lang]], [HEARD_PAID[lang]], above)
    (trial,) = acted.trials
    assert trial.verdict is not None and trial.verdict.kind == ACTED_ON
    assert trial.acted_on_unchecked and not trial.checked_first
    assert (acted.false_critical_checked, acted.false_critical_acted_on) == (0, 1)
    assert acted.critical_errors == 1  # today's count is unchanged by the verdict


def test_a_false_promise_is_read_back_however_sure() -> None:
    score = _heard("en", [CANNOT_PAY["en"]], ["I'll pay on Friday"], 1.0)
    (trial,) = score.trials
    assert trial.critical_heard == "promise" and trial.false_critical
    assert trial.verdict is not None and trial.verdict.kind == ASKED_FIRST
    assert trial.verdict.readings == ("promise_to_pay",)
    assert trial.checked_first and score.false_critical_checked == 1 and score.false_critical_acted_on == 0


def test_a_missed_opt_out_heard_as_a_weak_stop_is_caught_by_its_check() -> None:
    weak = "quit it now"
    understood = _engine("en").parse(weak, NOW)
    floor = settings(_engine("en").script)[3]
    assert understood.intent == FALLBACK_INTENT and understood.top == "stop", "needs a weak stop reading"
    assert understood.confidence >= floor, "needs a stop reading above opt_out_floor"
    said = SpokenLine("Stop calling me at this number, okay?", "stop", critical=critical_class("stop"))
    score = _heard("en", [said], [weak], 0.9)
    (trial,) = score.trials
    assert trial.missed_critical and trial.verdict is not None
    assert trial.verdict.kind == ASKED_BACK and trial.verdict.check == "utter_check_stop"
    assert trial.caught_by_check and score.missed_critical_caught == 1
    # a stop asked about when the callee said nothing of the kind is no catch
    chat = _heard("en", [CANNOT_PAY["en"]], [weak], 0.9)
    assert chat.trials[0].verdict is not None and chat.trials[0].verdict.kind == ASKED_BACK
    assert chat.missed_critical_caught == 0 and chat.false_critical == 0


def test_a_significant_reading_below_the_floor_is_not_taken() -> None:
    unsure = "都够了"  # read as a weak "already paid" (the script's examples decide how weak)
    understood = _engine("zh").parse(unsure, NOW)
    floor = settings(_engine("zh").script)[4]
    assert understood.intent == "already_paid" and understood.confidence < floor, "needs a weak payment"
    score = _heard("zh", [CANNOT_PAY["zh"]], [unsure], 1.0)
    (trial,) = score.trials
    assert trial.false_critical and trial.verdict is not None and trial.verdict.kind == NOT_UNDERSTOOD
    assert (score.false_critical_acted_on, score.false_critical_checked) == (0, 0)
    assert score.false_critical_not_understood == 1


def test_the_point_of_the_call_decides() -> None:
    """A payment the opening has no rule for is not taken there; at the payment question it is."""
    calls = CallJudge(_engine("en"), NOW)
    assert calls.judge(OPENING, HEARD_PAID["en"], 1.0).kind == NOT_UNDERSTOOD
    assert calls.judge(PAYMENT, HEARD_PAID["en"], 1.0).kind == ACTED_ON
    assert calls.judge(PAYMENT, "", 0.0).kind == NOT_UNDERSTOOD  # the recognizer heard nothing
    with pytest.raises(ValueError, match="unknown point"):
        calls.judge("goodbye", HEARD_PAID["en"], 1.0)


def test_figures_need_a_verdict_on_every_line() -> None:
    unjudged = read_as_text([CANNOT_PAY["en"]], _engine("en").parse, language="en", now=NOW)
    assert not unjudged.judged and unjudged.false_critical_acted_on is None
    calls = CallJudge(_engine("en"), NOW)
    judged = read_as_text(
        [CANNOT_PAY["en"]],
        _engine("en").parse,
        language="en",
        now=NOW,
        judge=lambda _line, text, sure, spoken_in: calls.judge(PAYMENT, text, sure, spoken_in),
    )
    assert judged.judged and judged.trials[0].asr_confidence == 1.0
    assert judged.false_critical_acted_on == 0 and judged.missed_critical_caught == 0
