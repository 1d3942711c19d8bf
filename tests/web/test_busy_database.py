"""Long imports and a busy database: other requests keep being answered and sign-ins keep succeeding.
The probe: a 16 s import made a concurrent sign-in fail with 500 "database is locked". (The DNC import
probe needs one event loop, as in production: tests/security/test_busy_server.py.)"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable

from fastapi.testclient import TestClient

from dialer.web import create_app

from .conftest import SECRET, ConsoleEnv, csrf_from, password_of

MB = 1 << 20


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


def test_a_sign_in_waits_for_a_writer_that_commits_meanwhile(sqlite_env: ConsoleEnv) -> None:
    """The race behind the flaky probe: the sign-in read its user, another writer committed, then the
    sign-in wrote. A deferred SQLite transaction fails there at once (SQLITE_BUSY_SNAPSHOT); the store's
    writes take the lock up front and wait their turn instead."""
    import sqlite3

    path = str(sqlite_env.ledger.engine.url.database)
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
    threading.Timer(0.3, release.set).start()  # commits while the update below waits for the lock
    user = sqlite_env.store.update_user("operator", last_login_at=dt.datetime(2026, 12, 6, tzinfo=dt.UTC))
    writer.join()
    assert user.last_login_at is not None
    assert sqlite_env.store.get_user("operator").last_login_at is not None
