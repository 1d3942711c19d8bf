"""Dialogue settings (the `[dialogue]` table of dialer.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DialogueSettings(BaseModel):
    """Which dialogue engine conducts calls and where the call scripts are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    engine: str = Field(default="embedded", description="embedded | rasa")
    scripts_dir: str = Field(default="scripts", description="Rasa-format call script projects")
    rasa_url: str = Field(default="http://127.0.0.1:5005", description="used with rasa_token_file")
    rasa_token_file: str = Field(
        default="", description="connect to a running `dialer rasa serve` (its token file); empty: start one"
    )
    rasa_venv: str = Field(
        default="", description="Rasa 3.6 environment; empty: ~/.cache/reminder-dialer/rasa-3.6.21"
    )
    rasa_python: str = Field(
        default="", description="Python 3.10 for `dialer rasa setup`; empty: pyenv 3.10.13"
    )
    rasa_start_timeout: float = Field(default=180.0, gt=0, description="seconds to wait for a Rasa server")
    min_asr_confidence: float = Field(
        default=0.0, ge=0, le=1, description="a transcript below this recognizer confidence is not understood"
    )
    fallback_threshold: float = Field(
        default=0.3, ge=0, le=1, description="below this intent confidence a reply is not understood"
    )
