"""One utterance in, intent and entities out: the part both engines share for entities."""

from __future__ import annotations

import datetime as dt

from dialogue.interfaces import ParseResult
from dialogue.understanding.amounts import find_amount, find_method
from dialogue.understanding.classifier import IntentClassifier
from dialogue.understanding.dates import find_when

FALLBACK_INTENT = "nlu_fallback"


def extract_entities(text: str, language: str, now: dt.datetime) -> tuple[tuple[str, str], ...]:
    """Dates as ISO dates, times as HH:MM, amounts as decimal strings, methods as ids."""
    found: list[tuple[str, str]] = []
    when = find_when(text, language, now)
    if when is not None:
        found.append(("date", when.date.isoformat()))
        if when.time is not None:
            found.append(("time", when.time.strftime("%H:%M")))
    amount = find_amount(text, language)
    if amount is not None:
        found.append(("amount", str(amount)))
    method = find_method(text, language)
    if method is not None:
        found.append(("method", method))
    return tuple(found)


class Understander:
    """The embedded NLU: a classifier trained from data/nlu.yml plus the shared entity rules."""

    def __init__(self, examples: dict[str, list[str]], language: str, fallback_threshold: float) -> None:
        self.language = language
        self.threshold = fallback_threshold
        self.classifier = IntentClassifier(examples, language)

    def parse(self, text: str, now: dt.datetime) -> ParseResult:
        ranking = self.classifier.rank(text)
        intent, confidence = ranking[0]
        if confidence < self.threshold or not text.strip():
            intent = FALLBACK_INTENT
        return ParseResult(intent, confidence, extract_entities(text, self.language, now))
