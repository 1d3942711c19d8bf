"""Hearing that the callee speaks another language than the call's, from the audio.

A recognizer decodes in the script's language, so speech in another language comes out as confident-
looking nonsense in that language ("hablo español solamente" -> "Hello?" from tiny.en, or 再加一点点油
from Whisper base told to write Mandarin), and the dialogue acts on it. Whisper's multilingual models
also identify the language. The spotter asks only about a weak decode of enough speech, and names
another language only when two things agree: Whisper's language identification puts it first with a
clear probability, and a decode of the audio in that language comes out with some confidence.

Measured on the held-out spoken sets with the call's hints (tiny.en for English, base for Chinese;
G.711 and pink noise 20 dB down; `bench/understanding_bench.py` voices): English calls, 840 utterances,
none named falsely; Chinese calls, 650 utterances, 30 named falsely with the English rules (4.6 %, all
from espeak-ng pinyin voices, which Whisper takes for English, Thai or French), 9 (1.4 %) with the
stricter Chinese rules below, while English speech on a Chinese call was still named. Every naming is
confirmed with the callee before it ends a call (dialer.yml `significant.checks.language_barrier`).
Short replies (a "喂") are never asked about: identification needs about a second of speech.

A multilingual decoder (Whisper base on Chinese calls) identifies the language of every utterance as it
decodes it, on the same encoder output (one decoder step more), so asking costs only the check decode.
English calls use tiny.en, which is English only: the spotter then loads Whisper base beside it (the
same model Chinese calls use; about 125 MB) and runs it only on weak decodes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from voice.errors import RecognitionError
from voice.recognizers.whisper_decoder import WEAK_DECODE, Decoded, WhisperDecoder, voiced_seconds

log = logging.getLogger(__name__)


# Languages a callee may speak, by Whisper's codes: the most spoken ones and national languages.
# Whisper also names Latin, Sanskrit, Welsh or Nynorsk for unclear English (measured: "I'll pay on
# January 5th" from a flite voice was named Latin); a language outside the list is never named.
# fmt: off
CALLEE_LANGUAGES = frozenset((
    "en", "zh", "es", "fr", "de", "pt", "it", "ru", "uk", "pl", "ar", "fa", "tr", "ur", "hi", "bn", "pa",
    "ta", "te", "mr", "gu", "vi", "th", "id", "ms", "tl", "ko", "ja", "nl", "el", "ro", "hu", "cs", "he",
    "sv", "so", "sw", "am", "ha", "yo", "my", "km", "lo", "ne", "si", "fi", "da", "no", "sk", "bg", "hr",
    "sr", "sl", "lt", "lv", "et", "ca", "hy", "ka", "az", "kk", "uz", "mn", "ps", "ht",
))
# fmt: on


@dataclass(frozen=True, slots=True)
class SpottingRules:
    min_voiced_seconds: float = 1.0  # less speech than this is never asked about
    weak_below: float = WEAK_DECODE  # the script-language decode's confidence under which it is asked
    min_probability: float = 0.5  # Whisper's language identification: the other language's share
    min_confidence: float = 0.3  # the decode in the other language must reach this
    languages: frozenset[str] = CALLEE_LANGUAGES  # the languages that may be named


# Whisper base on Mandarin hears half of the replies weakly, and poor voices mislead its identification:
# a Chinese call asks for clearer evidence (measured above).
RULES = {"zh": SpottingRules(min_probability=0.7, min_confidence=0.4)}


def rules_for(language: str) -> SpottingRules:
    return RULES.get(language.split("-")[0], SpottingRules())


class LanguageSpotter:
    """Names another language in weak decodes, with a multilingual Whisper decoder (may be the one that
    decodes the call's language: identification and the check decode reuse its loaded model)."""

    def __init__(self, identifier: WhisperDecoder, rules: SpottingRules | None = None) -> None:
        if not identifier.multilingual:
            raise ValueError("language spotting needs a multilingual Whisper model")
        self.identifier = identifier
        self.rules = rules or SpottingRules()

    def spot(self, samples: np.ndarray, heard: Decoded, language: str) -> Decoded:
        """`heard` (decoded in `language`), with `.language` set when the speech was another one."""
        rules = self.rules
        if heard.text and heard.confidence >= rules.weak_below:
            return heard
        if voiced_seconds(samples) < rules.min_voiced_seconds:
            return heard
        other = self.other_language(samples, language, heard.identified)
        return replace(heard, language=other) if other else heard

    def other_language(
        self, samples: np.ndarray, language: str, identified: tuple[tuple[str, float], ...] = ()
    ) -> str:
        """The language of the speech when it is clearly not `language`, else "". `identified`: Whisper's
        identification already run on the same audio (a multilingual decoder does it as it decodes)."""
        try:
            ranked = list(identified) or self.identifier.detect_language(samples)
            if not ranked:
                return ""
            top, probability = ranked[0]
            if top == language or top not in self.rules.languages or probability < self.rules.min_probability:
                return ""
            check = self.identifier.decode_as(samples, top)
        except RecognitionError as exc:  # identification is a second opinion: never fails a turn
            log.warning("language spotting failed: %s", exc)
            return ""
        return top if check.text and check.confidence >= self.rules.min_confidence else ""
