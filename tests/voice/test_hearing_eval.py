"""How the understanding bench scores a trial: numbers normalised, critical errors both ways, entities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dialer.evaluation.hearing_eval import HearingScore, normalise_en, normalise_zh, read_as_text, understand
from dialogue.interfaces import ParseResult
from voice.spoken_corpus import SpokenLine

NOW = dt.datetime(2026, 11, 29, 10)


def _parse_as(intent: str, **entities: str):  # type: ignore[no-untyped-def]
    return lambda text, now: ParseResult(intent, 0.9, tuple(entities.items()))


def test_numbers_compare_however_they_are_written() -> None:
    assert normalise_en("I can pay $75 on the 5th") == normalise_en(
        "I can pay seventy-five dollars on the fifth"
    )
    assert normalise_en("um, a hundred and twenty") == normalise_en("120")
    assert normalise_zh("我下个月 15 号还，嗯。") == normalise_zh("我下个月十五号还")
    assert normalise_zh("OK 我还") == ["ok", "我", "还"]


def test_critical_errors_count_false_and_missed_readings() -> None:
    paid = SpokenLine("I paid it already.", "already_paid", critical="paid")
    promise = SpokenLine("I'll pay Friday.", "promise_to_pay", date="2026-12-04", critical="promise")
    chat = SpokenLine("Is it raining there?", "off_topic")
    misheard = understand(paid, "I'll pay it already", "en", _parse_as("promise_to_pay"), NOW)
    assert misheard.false_critical and misheard.missed_critical  # promise recorded, payment missed
    invented = understand(chat, "is it raining there", "en", _parse_as("dispute"), NOW)
    assert invented.false_critical and not invented.missed_critical
    right = understand(promise, "I'll pay Friday", "en", _parse_as("promise_to_pay", date="2026-12-04"), NOW)
    assert not right.false_critical and not right.missed_critical and right.edits == 0
    score = HearingScore([misheard, invented, right])
    assert score.critical_errors == 2
    assert (score.false_critical, score.missed_critical) == (2, 1)
    assert score.intent_accuracy == 1 / 3
    assert score.entity_accuracy == 1.0


def test_entity_accuracy_over_labelled_dates_and_amounts() -> None:
    line = SpokenLine("fifty on tuesday", "promise_to_pay", "2026-12-01", Decimal("50"), "promise")
    score = read_as_text(
        [line], _parse_as("promise_to_pay", date="2026-12-01", amount="50.00"), language="en", now=NOW
    )
    assert score.entity_accuracy == 1.0
    score = read_as_text([line], _parse_as("promise_to_pay", date="2026-12-02"), language="en", now=NOW)
    assert score.entity_accuracy == 0.0
    assert (
        read_as_text(
            [SpokenLine("hello", "greet")], _parse_as("greet"), language="en", now=NOW
        ).entity_accuracy
        is None
    )


def test_a_spotted_language_is_read_as_a_call_reads_it_and_counted() -> None:
    spanish = SpokenLine("hablo español solamente", "language_barrier", spoken_in="es")
    promise = SpokenLine("I'll pay Friday.", "promise_to_pay", critical="promise")
    heard = understand(spanish, "No, no, I'm in this.", "en", _parse_as("deny"), NOW, spoken_in="es")
    assert heard.intent == "language_barrier" and heard.intent_right
    heard.heard_language = "es"
    misnamed = understand(promise, "I'll pay Friday", "en", _parse_as("promise_to_pay"), NOW, spoken_in="la")
    misnamed.heard_language = "la"
    assert misnamed.intent == "language_barrier" and misnamed.missed_critical
    own = understand(promise, "I'll pay Friday", "en", _parse_as("promise_to_pay"), NOW, spoken_in="en")
    assert own.intent == "promise_to_pay"  # the call's own language is no barrier
    score = HearingScore([heard, misnamed, own])
    assert (score.other_language_named, score.other_language_named_falsely) == (2, 1)
