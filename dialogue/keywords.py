"""Words that name a legal case, for replies the classifier reads as something else.

A recognizer often mangles the words around a legal word and keeps the word: "i'm in bankruptcy
proceedings" comes back as "I'm in bankrupt people, I see them right now", which the classifier, seeing
mostly noise, calls a callback. dialer.yml ``keywords`` lists, per intent, patterns for such words
(bankrupt, chapter 7, 破产, lawyer, 律师, passed away, 去世, a language named). When one is heard and the
classifier's reading is not itself one of these cases (nor one listed under ``keep``: a complaint that
names "the attorney general" stays a complaint), the keyword's intent is the reading, with the
confidence ``keywords.confidence`` (or the classifier's own for that intent, if higher). That confidence
is meant to be modest: multiplied by the recognizer's, it usually falls below ``significant.threshold``,
so the bot asks its check question ("did you say you have filed for bankruptcy?") before acting on a
word it may have half-heard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dialogue.understanding.classifier import normalize

DEFAULT_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Keywords:
    language: str = "en"
    confidence: float = DEFAULT_CONFIDENCE
    patterns: tuple[tuple[str, re.Pattern[str]], ...] = field(default_factory=tuple)
    keep: frozenset[str] = frozenset()

    @property
    def intents(self) -> frozenset[str]:
        return frozenset(intent for intent, _ in self.patterns)

    @property
    def kept(self) -> frozenset[str]:
        """The readings a keyword never overrides: its own cases and those listed under ``keep``."""
        return self.intents | self.keep

    def heard(self, text: str) -> str | None:
        """The first intent (in dialer.yml order) one of whose patterns the reply contains."""
        said = normalize(text, self.language)
        if self.language.startswith("zh"):
            said = said.replace(" ", "")
        return next((intent for intent, pattern in self.patterns if pattern.search(said)), None)

    def apply(
        self, intent: str, confidence: float, ranking: list[tuple[str, float]], text: str
    ) -> tuple[str, float]:
        """The reading after the keywords: unchanged unless a keyword names another case."""
        if intent in self.kept:
            return intent, confidence
        named = self.heard(text)
        if named is None:
            return intent, confidence
        own = next((p for name, p in ranking if name == named), 0.0)
        return named, max(own, self.confidence)


class KeywordError(ValueError):
    """dialer.yml keywords is malformed; the message says which entry and why."""


def load_keywords(raw: Any, language: str) -> Keywords:
    """dialer.yml ``keywords`` ({confidence, keep: [intent], intents: {intent: [pattern]}}); none when
    absent."""
    if raw is None:
        return Keywords(language)
    if not isinstance(raw, dict):
        raise KeywordError("keywords: expected a mapping with confidence and intents")
    confidence = raw.get("confidence", DEFAULT_CONFIDENCE)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise KeywordError(f"keywords.confidence {confidence!r}: expected 0..1")
    intents = raw.get("intents") or {}
    if not isinstance(intents, dict):
        raise KeywordError("keywords.intents: expected intent: [pattern, ...]")
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for intent, listed in intents.items():
        for source in listed if isinstance(listed, list) else [listed]:
            try:
                patterns.append((str(intent), re.compile(str(source))))
            except re.error as exc:
                raise KeywordError(f"keywords.intents.{intent}: {source!r} is not a pattern: {exc}") from None
    keep = raw.get("keep") or []
    if not isinstance(keep, list):
        raise KeywordError("keywords.keep: expected a list of intents")
    return Keywords(language, float(confidence), tuple(patterns), frozenset(str(i) for i in keep))
