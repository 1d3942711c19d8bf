"""The Synthesizer contract, run over the fake and every real engine available here."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from voice.audio import level_dbfs
from voice.errors import SynthesisError
from voice.interfaces import Synthesizer
from voice.synthesizers.espeak import EspeakSynthesizer
from voice.synthesizers.piper import PiperSynthesizer
from voice.synthesizers.silence import SilenceSynthesizer

ENGINES: dict[str, Callable[[], Synthesizer]] = {
    "silence": SilenceSynthesizer,
    "espeak": EspeakSynthesizer,
    "piper": PiperSynthesizer,
}


@pytest.fixture(params=sorted(ENGINES), scope="module")
def engine(request: pytest.FixtureRequest) -> Synthesizer:
    return ENGINES[request.param]()


@pytest.mark.parametrize("rate", [8000, 16000])
def test_renders_pcm16_of_plausible_length_at_the_requested_rate(engine: Synthesizer, rate: int) -> None:
    pcm = engine.synthesize("I will pay on Friday.", "en", rate)
    assert len(pcm) % 2 == 0
    seconds = len(pcm) / 2 / rate
    assert 0.5 < seconds < 5.0
    if engine.name != "silence":
        assert level_dbfs(pcm) > -40  # real speech, not silence


def test_longer_text_takes_longer(engine: Synthesizer) -> None:
    short = engine.synthesize("Yes.", "en", 8000)
    long = engine.synthesize("Yes, I can pay the full amount on the fifth of December.", "en", 8000)
    assert len(long) > 2 * len(short)


def test_voice_is_stable_per_language(engine: Synthesizer) -> None:
    for lang in engine.languages:
        assert engine.voice_for(lang) == engine.voice_for(lang) and engine.voice_for(lang)
    assert isinstance(engine.voice, str) and engine.voice


def test_unsupported_language_is_a_synthesis_error(engine: Synthesizer) -> None:
    if engine.supports("xx"):
        pytest.skip("engine speaks every language")
    with pytest.raises(SynthesisError):
        engine.voice_for("xx")


def test_mandarin_when_supported(engine: Synthesizer) -> None:
    if not engine.supports("zh"):
        pytest.skip(f"{engine.name} has no Chinese voice")
    pcm = engine.synthesize("您的还款日期是十二月五日。", "zh", 8000)
    assert len(pcm) / 2 / 8000 > 0.8
