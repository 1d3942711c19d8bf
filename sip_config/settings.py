"""SIP settings (the `[sip]` table of dialer.toml): which trunk profile, how many workers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SipSettings(BaseModel):
    """Where the trunk profile is and how the call workers are laid out on this host."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: str = Field(default="sip_config/examples/loopback.yaml", description="SIP trunk profile file")
    secrets_file: str = Field(default="", description="KEY=VALUE file for SIP passwords (else environment)")
    workers: int = Field(default=2, ge=1, le=64)
    calls_per_worker: int = Field(
        default=4, ge=1, le=64, description="4 is the pjsua2-python wheel cap; more needs a custom build"
    )
    base_sip_port: int = Field(default=5080, ge=1024, le=65000)
    base_rtp_port: int = Field(default=40000, ge=1024, le=65000, description="worker i uses base + 20*i")
    bind: str = Field(default="127.0.0.1", description="local address for SIP and RTP")
    rate: Literal[8000, 16000] = Field(default=8000, description="PCM rate handlers see (the ASR rate)")
    handler: str = Field(
        default="dialer.sip.handlers:PlayAndHangup", description="module:attr of the call handler in workers"
    )
