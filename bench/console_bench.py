"""Operator console: page and API response times (p50/p95) on a ledger with many calls, measured in one run.

    .venv/bin/python bench/console_bench.py [--accounts N] [--requests M] [--postgres URL]

Seeds N accounts through the real importer, one finished attempt per account (a third answered, turns
with latencies), then times the dashboard, the campaign page (funnel, per-hour rates, latency
percentiles), the live page and the API lists through the ASGI app in-process (no network).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from dialer.settings import load_settings
from dialer.web import create_app
from dialer.web.security import API_TOKEN_PREFIX, digest, new_token
from scheduler import migrations
from scheduler.db import create_engine
from scheduler.importing import ImportOptions, import_file
from scheduler.ledger import CampaignSpec
from scheduler.models import Attempt, CallTurn, ContactNumber
from scheduler.operators import OperatorStore
from scheduler.sql_ledger import SqlLedger

PATHS = [
    "/",
    "/campaigns/bench",
    "/live",
    "/api/dispositions?limit=1000",
    "/api/promises?limit=1000",
    "/api/accounts?limit=1000",
    "/api/campaigns/bench/counters",
]


def seed(ledger: SqlLedger, folder: Path, accounts: int) -> None:
    ledger.create_campaign(CampaignSpec(name="bench"))
    listing = folder / "bench.csv"
    with listing.open("w", encoding="utf-8") as out:
        out.write("account,name,phone,amount,currency,due_date\n")
        for i in range(accounts):
            out.write(f"B{i},Person {i},+1617{5550000 + i % 10000:07d},{10 + i % 90}.00,USD,2026-12-01\n")
    import_file(ledger, listing, ImportOptions("bench", "US"))
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    with ledger.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT a.id, a.campaign_id, c.id FROM accounts a "
                "JOIN contact_numbers c ON c.debtor_id = a.debtor_id"
            )
        ).all()
        attempts = []
        for account_id, campaign_id, number_id in rows:
            start = now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 20))
            answered = rng.random() < 0.35
            attempts.append(
                {
                    "campaign_id": campaign_id,
                    "account_id": account_id,
                    "contact_number_id": number_id,
                    "attempt_no": 1,
                    "state": "done",
                    "scheduled_at": start,
                    "dialing_at": start,
                    "answered_at": start + dt.timedelta(seconds=6) if answered else None,
                    "ended_at": start + dt.timedelta(seconds=60),
                    "result": "conversation" if answered else "no_answer",
                    "disposition": rng.choice(["promise_to_pay", "refused", "dispute"])
                    if answered
                    else "no_answer",
                    "created_at": start,
                }
            )
        conn.execute(sa.insert(Attempt), attempts)
        answered_ids = (
            conn.execute(sa.select(Attempt.id).where(Attempt.answered_at.is_not(None))).scalars().all()
        )
        turns = [
            {
                "attempt_id": attempt_id,
                "seq": seq,
                "speaker": "bot",
                "text": "turn",
                "started_at": now,
                "latency_ms": int(rng.lognormvariate(6.5, 0.3)),
            }
            for attempt_id in answered_ids
            for seq in range(3)
        ]
        conn.execute(sa.insert(CallTurn), turns)
        assert conn.scalar(sa.select(sa.func.count()).select_from(ContactNumber)) == accounts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--postgres", help="a fresh PostgreSQL database URL instead of a SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.postgres or f"sqlite:///{folder / 'bench.db'}"
        migrations.upgrade(url)
        ledger = SqlLedger(create_engine(url))
        started = time.perf_counter()
        seed(ledger, folder, args.accounts)
        seeded = time.perf_counter() - started
        settings = load_settings(None, environ={"DIALER_DATA_DIR": str(folder / "data")})
        app = create_app(settings, ledger=ledger, secret_key=b"b" * 40, cookie_secure=False)
        token = new_token(API_TOKEN_PREFIX)
        OperatorStore(ledger.engine).create_token("bench", "admin", token[:10], digest(token), "bench")
        client = TestClient(app)
        headers = {"Authorization": f"Bearer {token}"}
        backend = url.split(":")[0]
        table = Table(
            title=f"console on {backend}: {args.accounts:,} accounts and attempts (seeded {seeded:.1f} s)"
        )
        for column in ("request", "p50 ms", "p95 ms", "bytes"):
            table.add_column(column, justify="right" if column != "request" else "left")
        for path in PATHS:
            client.get(path, headers=headers)  # warm-up
            times = []
            size = 0
            for _ in range(args.requests):
                t0 = time.perf_counter()
                response = client.get(path, headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (path, response.status_code)
                size = len(response.content)
            times.sort()
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            table.add_row(path, f"{statistics.median(times):.1f}", f"{p95:.1f}", f"{size:,}")
        ledger.close()
    Console().print(table)


if __name__ == "__main__":
    main()
