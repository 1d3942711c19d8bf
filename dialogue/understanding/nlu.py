"""One utterance in, intent and entities out: the part both engines share for entities."""

from __future__ import annotations

import datetime as dt

from dialogue.interfaces import ParseResult
from dialogue.keywords import Keywords
from dialogue.understanding.amounts import find_amount, find_method
from dialogue.understanding.channels import widen_opt_out
from dialogue.understanding.classifier import IntentClassifier
from dialogue.understanding.dates import find_when
from dialogue.understanding.parts import find_parts, says_settlement
from dialogue.understanding.spoken import find_attorney_name, find_language, find_phone, spell_digits
from dialogue.understanding.tense import says_future

FALLBACK_INTENT = "nlu_fallback"


def extract_entities(
    text: str, language: str, now: dt.datetime, intent: str = ""
) -> tuple[tuple[str, str], ...]:
    """Dates as ISO dates, times as HH:MM, amounts as decimal strings, methods as ids; the parts of a
    multi-part promise as ``part`` = "date|amount" (amount "rest" for the remainder), ``settle`` when a
    settlement is offered; ``tense`` = "future" when the words say a payment is still to come;
    ``paid_date`` when the day read as one already gone differs ("on Friday" paid: last Friday); the
    attorney's name and number; the language heard (only with the intent language_barrier)."""
    found: list[tuple[str, str]] = []
    if not language.startswith("zh"):
        text = spell_digits(text)
    when = find_when(text, language, now)
    if when is not None:
        found.append(("date", when.date.isoformat()))
        if when.time is not None:
            found.append(("time", when.time.strftime("%H:%M")))
    paid_when = find_when(text, language, now, past=True)
    if paid_when is not None and (when is None or paid_when.date != when.date):
        found.append(("paid_date", paid_when.date.isoformat()))
    amount = find_amount(text, language)
    if amount is not None:
        found.append(("amount", str(amount)))
    method = find_method(text, language)
    if method is not None:
        found.append(("method", method))
    if says_future(text, language):
        found.append(("tense", "future"))
    for part in find_parts(text, language, now):
        found.append(("part", f"{part.date.isoformat()}|{part.amount}"))
    if says_settlement(text, language):
        found.append(("settle", "1"))
    phone = find_phone(text, language)
    if phone is not None:
        found.append(("attorney_phone", phone))
    name = find_attorney_name(text, language)
    if name is not None:
        found.append(("attorney_name", name))
    if intent == "language_barrier":
        spoken = find_language(text, language)
        if spoken is not None:
            found.append(("language", spoken))
    return tuple(found)


def classified_text(text: str, language: str) -> str:
    """The words the intent classifier reads: a number the recognizer spelled digit by digit ("five five
    five oh one two three") as the digits the script's examples are written with, so the number words are
    not taken for an amount or anything else."""
    return text if language.startswith("zh") else spell_digits(text)


class Understander:
    """The embedded NLU: a classifier trained from data/nlu.yml, the script's legal keywords
    (dialogue/keywords.py) and the shared entity rules."""

    def __init__(
        self,
        examples: dict[str, list[str]],
        language: str,
        fallback_threshold: float,
        keywords: Keywords | None = None,
    ) -> None:
        self.language = language
        self.threshold = fallback_threshold
        self.classifier = IntentClassifier(examples, language)
        self.keywords = keywords or Keywords(language)

    def parse(self, text: str, now: dt.datetime) -> ParseResult:
        ranking = self.classifier.rank(classified_text(text, self.language))
        intent, confidence = ranking[0]
        if confidence < self.threshold or not text.strip():
            intent = FALLBACK_INTENT
        intent, confidence = self.keywords.apply(intent, confidence, ranking, text)
        intent = widen_opt_out(intent, text, self.language)
        return ParseResult(
            intent, confidence, extract_entities(text, self.language, now, intent), top=ranking[0][0]
        )
