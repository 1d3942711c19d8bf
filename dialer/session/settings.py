"""The `[session]` table of dialer.toml: how a call is conducted."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SessionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_call_seconds: float = Field(default=300.0, gt=5, le=3600, description="hard maximum per call")
