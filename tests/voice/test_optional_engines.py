"""Optional engines that are not installed fail with an install hint, and the chain goes on."""

from __future__ import annotations

import sys

import pytest

from voice.errors import EngineUnavailable
from voice.synthesizers.espeak import EspeakSynthesizer
from voice.synthesizers.fallback import FallbackSynthesizer
from voice.synthesizers.piper import PiperSynthesizer


def test_piper_missing_gives_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)
    with pytest.raises(EngineUnavailable, match=r"reminder-dialer\[piper\]"):
        PiperSynthesizer().synthesize("hello", "en", 8000)
    chain = FallbackSynthesizer([PiperSynthesizer(), EspeakSynthesizer()])
    assert chain.synthesize("hello", "en", 8000) and chain.last_engine == "espeak"


def test_vosk_missing_gives_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from voice.recognizers.vosk import import_vosk

    monkeypatch.setitem(sys.modules, "vosk", None)
    with pytest.raises(EngineUnavailable, match=r"reminder-dialer\[vosk\]"):
        import_vosk()


def test_espeak_binary_missing_is_unavailable() -> None:
    with pytest.raises(EngineUnavailable, match="apt install espeak-ng"):
        EspeakSynthesizer(binary="espeak-ng-not-here").synthesize("hello", "en", 8000)
