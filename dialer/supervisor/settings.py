"""The `[run]` table of dialer.toml: the daemon's loop and shutdown."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RunSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    drain_seconds: float = Field(default=330.0, gt=0, description="SIGTERM: how long live calls may finish")
