"""A campaign with known results, seeded the way the product writes them: a real call-list import, attempts
claimed through the claim store and started by the pacer, outcomes recorded by
`scheduler.results.record_outcome` (turns with latencies and a keypad answer, promises, real WAV
recordings). `EXPECTED` is what a report on it must say."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math
import struct
import wave
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from scheduler import migrations
from scheduler.db import create_engine
from scheduler.importing import ImportOptions, import_file
from scheduler.ledger import CampaignSpec
from scheduler.models import Account, ContactNumber
from scheduler.outcomes import CallOutcome, PromiseOutcome, TurnOutcome
from scheduler.sql_ledger import SqlLedger
from scheduler.vocabulary import Disposition, NumberStatus
from tests.ledger.lifecycle import Calls, queue_attempt

CAMPAIGN = "reminders-jan"
ZONE = "America/New_York"
T0 = dt.datetime(2026, 1, 12, 15, 0, tzinfo=dt.UTC)  # Monday 10:00 in New York
OWNER = "report-test"
ROWS = [  # account, name, phone, amount, due date, state
    ["A1", "Ann Lee", "(617) 555-0101", "120.50", "2026-01-20", "MA"],
    ["A2", "Bo Li", "(212) 555-0102", "80.00", "2026-01-20", "NY"],
    ["A3", "Cy Wu", "(415) 555-0103", "95.00", "2026-01-20", "CA"],
    ["A4", "Di Ho", "(312) 555-0104", "60.00", "2026-01-20", "IL"],
    ["A5", "Ed Ma", "(305) 555-0105", "45.00", "2026-01-20", "FL"],
    ["A6", "Fa Ng", "(206) 555-0106", "30.00", "2026-01-20", "WA"],
    ["A7", "Gu Ye", "555", "10.00", "2026-01-20", "NY"],  # invalid number: rejected by the import
]


@dataclass(frozen=True)
class Call:
    account: str
    hour: int  # hours after T0
    disposition: Disposition
    result: str
    answered: bool = False
    bot_latencies: tuple[int, ...] = ()
    opening_ms: int | None = None
    promise: bool = False
    number_status: NumberStatus | None = None
    sip_code: int = 200
    keys: str = ""  # keypad digits of the last callee turn


CALLS = [
    Call("A1", 0, Disposition.promise_to_pay, "conversation", True, (300, 500, 700), 800, True, keys="1"),
    Call("A2", 0, Disposition.already_paid, "conversation", True, (400, 600), 900),
    Call("A3", 1, Disposition.no_answer, "no_answer", sip_code=480),
    Call("A4", 1, Disposition.wrong_party, "wrong_party", True, (350,), 1000),
    Call("A5", 2, Disposition.busy, "busy", sip_code=486),
    Call("A6", 2, Disposition.vacant, "failed", number_status=NumberStatus.vacant, sip_code=404),
]
EXPECTED = {
    "funnel": [
        ("accounts", 6),
        ("dialed", 6),
        ("answered", 3),
        ("right party", 2),
        ("promise to pay", 1),
        ("paid", 1),
    ],
    "dispositions": {
        "promise_to_pay": 1,
        "already_paid": 1,
        "no_answer": 1,
        "wrong_party": 1,
        "busy": 1,
        "vacant": 1,
    },
    "hours": {10: (2, 2), 11: (2, 1), 12: (2, 0)},  # New York hour: (dialed, answered)
    "turn_latency": {"count": 6, "p50": 400.0, "p95": 700.0, "p99": 700.0, "max": 700},
    "opening_latency": {"count": 3, "p50": 900.0, "p95": 1000.0, "p99": 1000.0, "max": 1000},
    "attempts": 7,  # the six calls and one queued for tomorrow
    "recordings": 3,
    "transcripts": 3,
}


def write_wav(path: Path, seconds: float = 0.5, rate: int = 8000) -> None:
    """A stereo PCM16 WAV: a 440 Hz tone on the left (the callee), silence on the right (the bot)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for i in range(int(seconds * rate)):
        frames += struct.pack("<hh", int(8000 * math.sin(2 * math.pi * 440 * i / rate)), 0)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


def _turns(call: Call) -> tuple[TurnOutcome, ...]:
    turns, t, seq = [], 0.5, 1
    for latency in call.bot_latencies:
        turns.append(TurnOutcome(seq, "bot", f"bot line {seq}", t, t + 2.0, latency_ms=latency))
        turns.append(
            TurnOutcome(
                seq + 1,
                "callee",
                f"callee line {seq + 1}",
                t + 2.5,
                t + 4.0,
                "affirm",
                0.9,
                heard_by="whisper-tiny.en",
                asr_confidence=0.82,
                no_speech_prob=0.01,
            )
        )
        seq, t = seq + 2, t + 5.0
    if len(turns) > 3:  # the second callee turn: heard as Spanish (language spotting)
        turns[3] = dataclasses.replace(turns[3], heard_language="es", asr_confidence=0.31)
    if turns and call.keys:
        turns[-1] = dataclasses.replace(turns[-1], keys=call.keys, heard_by="", asr_confidence=None)
    return tuple(turns)


def new_campaign(url: str, name: str) -> None:
    migrations.upgrade(url)
    ledger = SqlLedger.open(url)
    try:
        ledger.create_campaign(CampaignSpec(name))
    finally:
        ledger.close()


def seed(url: str, data_dir: Path, work: Path) -> dict[str, Path]:
    """Seed `CAMPAIGN` on `url`; the recordings it wrote (relative path -> file)."""
    new_campaign(url, CAMPAIGN)
    source = work / "calls.csv"
    with source.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["account", "name", "phone", "amount", "due_date", "state"])
        writer.writerows(ROWS)
    ledger = SqlLedger.open(url)
    import_file(ledger, source, ImportOptions(CAMPAIGN, region="US"))
    engine = create_engine(url)
    calls = Calls(url, OWNER)
    recordings: dict[str, Path] = {}
    try:
        for call in CALLS:
            account_id, number_id, campaign_id = ledger_ids(engine, call.account)
            at = T0 + dt.timedelta(hours=call.hour)
            attempt = calls.dial(
                campaign_id=campaign_id, account_id=account_id, contact_number_id=number_id, at=at
            )
            relative = None
            if call.answered:
                relative = f"recordings/2026-01-12/attempt-{attempt}.wav"
                write_wav(data_dir / relative)
                recordings[relative] = data_dir / relative
            answered = at + dt.timedelta(seconds=8) if call.answered else None
            promise = PromiseOutcome(dt.date(2026, 1, 16), Decimal("120.50"), "USD")
            outcome = CallOutcome(
                attempt,
                at + dt.timedelta(seconds=40),
                call.disposition,
                call.result,
                call.number_status,
                f"sip {call.sip_code}",
                call.sip_code,
                answered_at=answered,
                talk_seconds=32.0 if call.answered else 0.0,
                machine="human" if call.answered else "",
                promise=promise if call.promise else None,
                turns=_turns(call),
                recording_path=relative,
                opening_ms=call.opening_ms,
            )
            calls.record(outcome, at + dt.timedelta(seconds=41), data_dir=data_dir)
        account_id, number_id, campaign_id = ledger_ids(engine, "A3")
        queue_attempt(
            engine,
            campaign_id=campaign_id,
            account_id=account_id,
            contact_number_id=number_id,
            scheduled_at=T0 + dt.timedelta(days=1),
            attempt_no=2,
        )
    finally:
        ledger.close()
        engine.dispose()
        calls.close()
    return recordings


def ledger_ids(engine: sa.Engine, account_ref: str) -> tuple[int, int, int]:
    with engine.connect() as conn:
        account_id, debtor_id, campaign_id = conn.execute(
            sa.select(Account.id, Account.debtor_id, Account.campaign_id).where(
                Account.account_ref == account_ref
            )
        ).one()
        number_id = conn.execute(
            sa.select(ContactNumber.id).where(ContactNumber.debtor_id == debtor_id)
        ).scalar_one()
    return int(account_id), int(number_id), int(campaign_id)
