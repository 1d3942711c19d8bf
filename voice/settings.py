"""Speech settings (the `[voice]` table of dialer.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class VoiceSettings(BaseModel):
    """Which recognizer and synthesizers a call uses, and where models and rendered prompts live."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    asr_engine: str = Field(default="whisper", description="whisper | vosk")
    tts_engines: tuple[str, ...] = Field(
        default=("edge", "piper", "espeak"), description="fallback chain, first that works wins"
    )
    sample_rate: int = Field(default=8000, description="call audio rate: 8000 or 16000")
    models_dir: str = Field(default="", description="installed ASR models; empty: <data_dir>/models")
    cache_dir: str = Field(default="", description="TTS render cache; empty: <data_dir>/tts-cache")
    edge_connect_timeout_seconds: float = Field(default=2.0, gt=0)
