"""Ledger and scheduling settings (the `[database]` and `[scheduler]` tables of dialer.toml)."""

from __future__ import annotations

from typing import NamedTuple

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
    pause_after_failures: int = Field(
        default=5, ge=1, description="consecutive local failures after which a campaign pauses itself"
    )
    failure_backoff_seconds: float = Field(
        default=30.0, gt=0, description="first back-off after a local failure (doubles per failure)"
    )
    trunk_backoff_seconds: float = Field(
        default=2.0, gt=0, description="first back-off after a trunk failure (doubles per failure)"
    )
    backoff_max_seconds: float = Field(default=1800.0, gt=0, description="longest back-off")
    webhook_interval_seconds: float = Field(
        default=15.0, gt=0, le=3600, description="how often `dialer run` queues and delivers webhooks"
    )

    def backoff(self) -> Backoff:
        return Backoff(
            self.pause_after_failures,
            self.failure_backoff_seconds,
            self.trunk_backoff_seconds,
            self.backoff_max_seconds,
        )


class Backoff(NamedTuple):
    """How local and trunk failures slow a campaign down and when it stops (scheduler.lifecycle)."""

    pause_after: int = 5
    local_seconds: float = 30.0
    trunk_seconds: float = 2.0
    max_seconds: float = 1800.0

    def delay(self, first: float, streak: int) -> float:
        """first, 2 first, 4 first ... for the 1st, 2nd, 3rd failure in a row, at most max_seconds."""
        return min(self.max_seconds, first * 2 ** max(0, min(streak, 30) - 1))
