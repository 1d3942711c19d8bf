"""The HTTP API's request and response bodies: they are what the OpenAPI document describes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")]


class CampaignOut(BaseModel):
    id: int
    name: str
    script: str
    profiles: list[str]
    window_from: str | None
    window_to: str | None
    max_attempts_per_day: int
    max_attempts_total: int
    retry_policy: dict[str, Any]
    trunk: str | None
    caller_id_pool: list[str]
    voicemail_policy: str
    state: str
    created_at: dt.datetime


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    script: str = Field("reminder-en", min_length=1, max_length=100)
    profiles: list[Annotated[str, Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]] = Field(
        default=[], max_length=10
    )
    window_from: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    window_to: str | None = Field(None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    max_attempts_per_day: int = Field(1, ge=1, le=50)
    max_attempts_total: int = Field(7, ge=1, le=500)
    retry_policy: dict[str, Annotated[float, Field(ge=0, le=1e6)]] = Field(default={}, max_length=20)
    trunk: str | None = Field(None, max_length=100)
    caller_id_pool: list[Annotated[str, Field(pattern=r"^\+[1-9]\d{6,14}$")]] = Field(
        default=[], max_length=100
    )
    voicemail_policy: Literal["message", "hang_up"] = "message"


class StateChange(BaseModel):
    action: Literal["start", "pause", "resume", "stop"]


class Counters(BaseModel):
    dialed: int
    answered: int
    conversations: int
    opt_outs: int
    promises: int
    live: int
    queued: int


class AccountOut(BaseModel):
    account_ref: str
    campaign: str
    first_name: str
    last_name: str
    amount_due: Decimal
    currency: str
    due_date: dt.date | None
    status: str
    promised_until: dt.date | None
    numbers: list[str]


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_ref: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    phones: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(min_length=1, max_length=5)
    amount: str = Field(min_length=1, max_length=30, description="amount due, e.g. 120.50")
    due_date: str = Field(min_length=1, max_length=30, description="ISO date, e.g. 2026-12-01")
    currency: str | None = Field(None, max_length=3)
    customer_id: str | None = Field(None, max_length=64)
    state: str | None = Field(None, max_length=64)
    postal_code: str | None = Field(None, max_length=20)
    country: str | None = Field(None, max_length=2)
    language: str | None = Field(None, max_length=8)
    consent_date: str | None = Field(None, max_length=30)


class AccountsPush(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign: Name
    region: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="default country for numbers")
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")
    dry_run: bool = False
    accounts: list[AccountIn] = Field(min_length=1, max_length=10_000)


class RejectOut(BaseModel):
    index: int = Field(description="0-based position in the pushed list")
    reason: str
    raw: str


class PushResult(BaseModel):
    batch: int
    rows: int
    imported: int
    updated: int
    rejected: int
    suppressed: int
    duplicates: int
    rejects: list[RejectOut]


class DispositionOut(BaseModel):
    id: int
    campaign: str
    account_ref: str
    number: str
    attempt_no: int
    disposition: str | None
    result: str | None
    number_status: str | None
    dialing_at: dt.datetime | None
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    talk_seconds: float | None


class PromiseOut(BaseModel):
    id: int
    account_ref: str
    campaign: str
    attempt_id: int | None
    promised_date: dt.date
    amount: Decimal
    currency: str
    status: str
    created_at: dt.datetime


class DncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=3, max_length=40)
    region: str | None = Field(None, pattern=r"^[A-Za-z]{2}$")
    reason: str = Field("", max_length=200)


class DncOut(BaseModel):
    id: int
    number: str
    reason: str
    source: str
    created_at: dt.datetime
    removed_at: dt.datetime | None
    removed_reason: str | None


class LiveOut(BaseModel):
    attempt_id: int
    campaign: str
    number: str
    state: str
    seconds: float
    turn: int | None
    intent: str | None


class AccountDetail(AccountOut):
    calls: list[DispositionOut]
    promises: list[PromiseOut]
