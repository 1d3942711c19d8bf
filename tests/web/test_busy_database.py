"""Long imports and a busy database: other requests keep being answered and sign-ins keep succeeding.
The probe: a 16 s import made a concurrent sign-in fail with 500 "database is locked". (The DNC import
probe needs one event loop, as in production: tests/security/test_busy_server.py.)"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import sqlalchemy as sa
from fastapi.testclient import TestClient

from dialer.web import create_app
from scheduler.account_flags import resolve_flag
from scheduler.claims import claims_engine
from scheduler.db import for_reads
from scheduler.ledger import ImportChunk, ImportHeader
from scheduler.models import Account, AccountFlagEntry
from scheduler.webhooks import WebhookOutbox
from tests.ledger.test_contract import row as contract_row

from .conftest import LOOPBACK, SECRET, ConsoleEnv, csrf_from, password_of

MB = 1 << 20
NOW = dt.datetime(2026, 12, 6, 15, tzinfo=dt.UTC)
T = TypeVar("T")


def big_app_client(env: ConsoleEnv, role: str) -> TestClient:
    app = create_app(
        env.settings, ledger=env.ledger, cookie_secure=False, secret_key=SECRET, max_upload_bytes=8 * MB
    )
    client = TestClient(app, follow_redirects=False)
    page = client.get("/login")
    form = {"username": role, "password": password_of(role), "csrf_token": csrf_from(page.text), "next": "/"}
    assert client.post("/login", data=form).status_code == 303
    return client


def while_running(work: Callable[[], object], probe: Callable[[], None]) -> tuple[object, float, int]:
    """Run `work` in a thread and `probe` repeatedly meanwhile: (work's result, slowest probe, probes)."""
    result: dict[str, object] = {}
    thread = threading.Thread(target=lambda: result.setdefault("r", work()))
    thread.start()
    slowest, probes = 0.0, 0
    while thread.is_alive():
        started = time.monotonic()
        probe()
        slowest = max(slowest, time.monotonic() - started)
        probes += 1
        time.sleep(0.05)
    thread.join()
    return result.get("r"), slowest, probes


def test_sign_ins_succeed_during_a_long_call_list_import(sqlite_env: ConsoleEnv) -> None:
    client = big_app_client(sqlite_env, "operator")
    token = csrf_from(client.get("/campaigns/june/upload").text)
    rows = "".join(f"L{i},Ann Lee,+1 617 555 {i % 10000:04d},12.50,USD,2026-12-05,MA\n" for i in range(15000))
    body = ("account,name,phone,amount,currency,due_date,state\n" + rows).encode()
    preview = client.post(
        "/campaigns/june/upload", data={"csrf_token": token}, files={"file": ("big.csv", body, "text/csv")}
    )
    assert preview.status_code == 200, preview.text[-500:]
    upload = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)  # type: ignore[union-attr]
    failures: list[int] = []

    def work() -> object:
        data = {"csrf_token": token, "token": upload, "filename": "big.csv", "region": "US"}
        return client.post("/campaigns/june/import", data=data)

    def probe() -> None:
        other = TestClient(sqlite_env.app, follow_redirects=False)
        page = other.get("/login")
        form = {"username": "viewer", "password": password_of("viewer"), "csrf_token": csrf_from(page.text)}
        answer = other.post("/login", data=form)
        if answer.status_code != 303 or answer.headers["location"] != "/":
            failures.append(answer.status_code)

    response, _, probes = while_running(work, probe)
    assert response.status_code == 303, getattr(response, "text", "")[-300:]  # type: ignore[union-attr]
    assert probes >= 2 and failures == [], (probes, failures)
    assert sqlite_env.ledger.get_account("L14999").amount_due == 12.5


def committing_meanwhile(path: str, work: Callable[[], T]) -> T:
    """Run `work` while another connection holds SQLite's write lock and commits 0.3 s later, after
    `work` has read. A deferred transaction that reads and then writes fails there at once
    (SQLITE_BUSY_SNAPSHOT: no busy timeout helps); one that takes the lock up front waits its turn."""
    import sqlite3

    locked, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE operator_users SET active = active WHERE name = 'viewer'")
        locked.set()
        release.wait(5)
        conn.execute("COMMIT")
        conn.close()

    writer = threading.Thread(target=other_writer)
    writer.start()
    assert locked.wait(5)
    threading.Timer(0.3, release.set).start()  # commits while `work` waits for the lock
    try:
        return work()
    finally:
        writer.join()


def test_a_sign_in_waits_for_a_writer_that_commits_meanwhile(sqlite_env: ConsoleEnv) -> None:
    """The race behind the flaky probe: the sign-in read its user, another writer committed, then the
    sign-in wrote."""
    path = str(sqlite_env.ledger.engine.url.database)
    when = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    user = committing_meanwhile(path, lambda: sqlite_env.store.update_user("operator", last_login_at=when))
    assert user.last_login_at is not None
    assert sqlite_env.store.get_user("operator").last_login_at is not None


def test_an_import_waits_for_a_sign_in_that_commits_meanwhile(sqlite_env: ConsoleEnv) -> None:
    """The same race from the import's side: it read its campaign, a sign-in committed, and the whole
    import failed with "database is locked" (seen once in a full test run)."""
    path = str(sqlite_env.ledger.engine.url.database)
    rows = [contract_row(f"W{i}", f"+1617555{i:04d}") for i in range(3)]
    header = ImportHeader("june", "f.csv", "0" * 64)
    counts = committing_meanwhile(path, lambda: sqlite_env.ledger.import_batch(header, [ImportChunk(rows)]))
    assert counts.imported == 3
    assert sqlite_env.ledger.get_account("W2").amount_due == Decimal("10.00")


def test_resolving_a_dispute_waits_for_a_writer_that_commits_meanwhile(sqlite_env: ConsoleEnv) -> None:
    """An operator resolving a dispute reads the account, then writes, while the daemon writes too."""
    path = str(sqlite_env.ledger.engine.url.database)
    sqlite_env.ledger.import_batch(
        ImportHeader("june", "f.csv", "1" * 64), [ImportChunk([contract_row("D1", "+16175559876")])]
    )
    engine = sqlite_env.ledger.engine
    with engine.begin() as conn:
        account, debtor = conn.execute(
            sa.select(Account.id, Account.debtor_id).where(Account.account_ref == "D1")
        ).one()
        conn.execute(
            sa.insert(AccountFlagEntry).values(
                account_id=account, debtor_id=debtor, kind="dispute", created_at=NOW
            )
        )
    closed = committing_meanwhile(
        path,
        lambda: resolve_flag(engine, "june", "D1", "dispute", actor="op", reason="validation sent", now=NOW),
    )
    assert closed == 1


def test_collecting_webhooks_waits_for_a_writer_that_commits_meanwhile(sqlite_env: ConsoleEnv) -> None:
    """The outbox reads the new promises and opt-outs, then queues their deliveries."""
    now = dt.datetime.now(dt.UTC)
    clock = iter([now - dt.timedelta(hours=1), now, now])  # subscribed before the seeded calls
    outbox = WebhookOutbox(sqlite_env.ledger.engine, lambda: next(clock), LOOPBACK)
    outbox.subscribe("http://127.0.0.1:9/h", ("promise_to_pay", "opt_out"), created_by="admin")
    path = str(sqlite_env.ledger.engine.url.database)
    assert committing_meanwhile(path, outbox.collect) == 2


def test_a_webhook_pass_with_nothing_subscribed_reads_past_a_held_write_lock(sqlite_env: ConsoleEnv) -> None:
    """The daemon hands the outbox its claims engine (BEGIN IMMEDIATE at every transaction) through
    `for_reads`: with nothing subscribed a pass only reads, so it goes on while another writer holds
    the lock, where it would have waited the whole busy timeout and failed."""
    import sqlite3

    path = str(sqlite_env.ledger.engine.url.database)
    engine = for_reads(claims_engine(f"sqlite:///{path}"))
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert WebhookOutbox(engine).collect() == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()
