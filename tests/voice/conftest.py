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
