"""Ledger and scheduling settings (the `[database]` and `[scheduler]` tables of dialer.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DatabaseSettings(BaseModel):
    """Where the ledger lives. Empty `url` means the SQLite file under the data directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(default="", description="SQLAlchemy URL; empty: sqlite file <data_dir>/dialer.db")
    echo: bool = False


class SchedulerSettings(BaseModel):
    """Planner and claim settings shared by every campaign on this host."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    planner_interval_seconds: int = Field(default=60, ge=5)
    lease_seconds: int = Field(default=300, ge=30)
    profiles_dir: str = Field(default="", description="extra jurisdiction profiles (a site's own rules)")
    host_id: str = Field(default="", description="claim owner name; empty: hostname-pid")
    plan_horizon_hours: int = Field(default=24, ge=1, le=24 * 14, description="queue attempts due within")
    trunk_channels: int = Field(default=30, ge=1, description="default concurrent calls per trunk")
    trunk_calls_per_second: float = Field(default=5.0, gt=0, description="default call starts per second")
    retention_days: int = Field(default=1826, ge=1, description="keep recordings, transcripts (CN C6: 5 y)")
    daily_summary_hour_utc: int = Field(default=6, ge=0, le=23)
