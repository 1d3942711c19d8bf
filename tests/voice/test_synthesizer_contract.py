"""The Synthesizer contract, run over the fake and every real engine (edge-tts against a local fake
of its service, which speaks the requested text with espeak-ng and answers in MP3)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator

import pytest

from voice.audio import level_dbfs
from voice.errors import SynthesisError
from voice.interfaces import Synthesizer
from voice.synthesizers.edge import EdgeSynthesizer
from voice.synthesizers.espeak import EspeakSynthesizer
from voice.synthesizers.piper import PiperSynthesizer
from voice.synthesizers.silence import SilenceSynthesizer

from .fake_edge import FakeEdge

ENGINES: dict[str, Callable[[], Synthesizer]] = {
    "silence": SilenceSynthesizer,
    "espeak": EspeakSynthesizer,
    "piper": PiperSynthesizer,
}


def espeak_mp3(text: str, lang: str) -> bytes:
    """What the fake service answers: the text spoken by espeak-ng, as the 24 kHz MP3 edge sends."""
    pcm = EspeakSynthesizer().synthesize(text, lang, 24000)
    command = [
        "ffmpeg",
        "-loglevel",
        "error",
        "-f",
        "s16le",
        "-ar",
        "24000",
        "-ac",
        "1",
        "-i",
        "-",
        "-f",
        "mp3",
        "-",
    ]
    return subprocess.run(command, input=pcm, capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def edge_service() -> Iterator[str]:
    import edge_tts.communicate as communicate

    original = communicate.WSS_URL
    server = FakeEdge(render=espeak_mp3).start()
    try:
        yield server.url
    finally:
        server.stop()
        communicate.WSS_URL = original  # type: ignore[attr-defined]


@pytest.fixture(params=[*sorted(ENGINES), "edge"], scope="module")
def engine(request: pytest.FixtureRequest) -> Synthesizer:
    if request.param == "edge":
        # the real adapter and edge-tts client, against a local fake of the service
        return EdgeSynthesizer(service_url=request.getfixturevalue("edge_service"), connect_timeout=1)
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
