"""Speech settings (the `[voice]` table of dialer.toml)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_EDGE_VOICES = {"en": "en-US-AriaNeural", "zh": "zh-CN-XiaoxiaoNeural"}
DEFAULT_ESPEAK_VOICES = {"en": "en-us", "zh": "cmn-latn-pinyin"}
# per language: which engine hears a call in that language (languages not listed use `asr_engine`)
DEFAULT_ASR_ENGINES = {"zh": "whisper"}
# per language: the Whisper model ("whisper-base": joined from its wheels into models_dir; or a directory)
DEFAULT_WHISPER_MODELS = {"zh": "whisper-base"}
DEFAULT_VOSK_MODELS = {"zh": "vosk-model-small-cn-0.22"}


class VoiceSettings(BaseModel):
    """Which recognizer and synthesizers a call uses, and where models and rendered prompts live."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    asr_engine: str = Field(default="whisper", description="whisper | vosk (English and unlisted languages)")
    asr_engines: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_ASR_ENGINES), description="language -> engine, per call"
    )
    asr_preload: tuple[str, ...] = Field(
        default=("en",), description="languages whose recognizer loads at worker start; others on first call"
    )
    tts_engines: tuple[str, ...] = Field(
        default=("edge", "piper", "espeak"), description="fallback chain, first that works wins"
    )
    sample_rate: int = Field(default=8000, description="call audio rate: 8000 or 16000")
    models_dir: str = Field(default="", description="installed ASR models; empty: <data_dir>/models")
    cache_dir: str = Field(default="", description="TTS render cache; empty: <data_dir>/tts-cache")
    edge_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    edge_voices: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_EDGE_VOICES))
    edge_service_url: str = Field(
        default="", description="websocket URL of the edge TTS service; empty: Microsoft's public endpoint"
    )
    espeak_voices: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ESPEAK_VOICES))
    espeak_speed: int = Field(default=160, ge=80, le=400, description="words per minute")
    tts_retry_after_seconds: float = Field(
        default=300.0, gt=0, description="how long an unreachable TTS engine is skipped before a retry"
    )
    vad_aggressiveness: int = Field(default=2, ge=0, le=3, description="webrtcvad mode, 3 = most aggressive")
    end_of_speech_ms: int = Field(default=300, ge=60, description="trailing silence that ends an utterance")
    end_of_turn: Literal["adaptive", "fixed"] = Field(
        default="adaptive",
        description="adaptive: the silence that ends a callee's turn follows the partial transcript (short "
        "after a complete clause, long after 'No.', 'um', 'because'; voice/turn_end.py, measured by "
        "bench/turn_end_bench.py); fixed: always end_of_speech_ms",
    )
    end_of_turn_complete_ms: int = Field(default=250, ge=60, le=3000, description="adaptive: complete clause")
    end_of_turn_brief_ms: int = Field(
        default=600, ge=60, le=3000, description="adaptive: a complete clause of at most 3 words / 4 hanzi"
    )
    end_of_turn_pending_ms: int = Field(
        default=800, ge=60, le=3000, description="adaptive: no transcript of the pause yet"
    )
    end_of_turn_short_ms: int = Field(
        default=1000, ge=60, le=3000, description="adaptive: a bare word ('No.', 'Yeah', '不是')"
    )
    end_of_turn_incomplete_ms: int = Field(
        default=1200, ge=60, le=3000, description="adaptive: ends in a filler or conjunction ('um', 'and')"
    )
    start_of_speech_ms: int = Field(default=60, ge=20, description="speech needed to open an utterance")
    barge_in_ms: int = Field(default=300, ge=20, description="callee speech over the bot that interrupts it")
    whisper_model_path: str = Field(default="", description="CTranslate2 model dir; empty: the tiny.en wheel")
    whisper_models: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_WHISPER_MODELS),
        description="language -> whisper-base or a model dir (English: whisper_model_path)",
    )
    whisper_threads: int = Field(default=1, ge=1)
    whisper_incremental: bool = Field(default=True, description="decode while the callee speaks")
    language_spotting: bool = Field(
        default=True,
        description="name another language in weak decodes (by Whisper base; English calls load it too)",
    )
    vosk_model: str = Field(default="", description="installed model name or a model directory")
    vosk_models: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_VOSK_MODELS), description="language -> Vosk model (not English)"
    )
    vosk_grammar: bool = Field(default=True, description="restrict Vosk to the dialogue's expected phrases")
    speech_engine: str = Field(
        default="auto",
        pattern="^(auto|host|local)$",
        description=(
            "who decodes Whisper: host = one speech engine process per host for every call worker, "
            "local = each worker its own model; auto = host when more than one call worker runs"
        ),
    )
    speech_engine_threads: int = Field(default=0, ge=0, description="decode threads; 0: one per core")
    speech_engine_batch: int = Field(default=8, ge=1, description="end-of-turn requests decoded together")
    speech_engine_speculative_batch: int = Field(
        default=2, ge=1, description="speculative requests decoded together (an end of turn waits for them)"
    )
    speech_engine_speculative_queue: int = Field(
        default=4, ge=0, description="a speculative request is dropped when this many requests wait already"
    )
    speech_engine_speculative_age_ms: int = Field(
        default=1500, ge=0, description="a speculative request that waited this long is dropped"
    )

    def engine_for(self, language: str) -> str:
        return self.asr_engines.get(language, self.asr_engine)

    @field_validator("tts_engines", "asr_preload", mode="before")
    @classmethod
    def _engine_list(cls, value: Any) -> Any:
        """From the environment: DIALER_VOICE__TTS_ENGINES="piper,espeak" (or a JSON list)."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return tuple(json.loads(text))
            return tuple(part.strip() for part in text.split(",") if part.strip())
        return value

    @field_validator(
        "edge_voices", "espeak_voices", "asr_engines", "whisper_models", "vosk_models", mode="before"
    )
    @classmethod
    def _voice_map(cls, value: Any) -> Any:
        """From the environment: DIALER_VOICE__EDGE_VOICES='{"en": "en-US-GuyNeural"}'."""
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"expected a JSON object of language -> voice: {exc}") from exc
        return value
