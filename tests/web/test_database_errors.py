"""A database that fails a request: busy or out of reach is a 503 with Retry-After (the same request
will likely succeed shortly), anything else a 500; both say the request did not complete, and neither
shows SQL, values or credentials. Before, any database error was a bare 500 "Internal Server Error"."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.db import create_engine
from scheduler.sql_ledger import SqlLedger

from .conftest import ConsoleEnv

SECRET_PASSWORD = "s3cret-pw"
CLOSED_PORT = 9  # discard: nothing listens on 127.0.0.1:9


def swap_ledger(env: ConsoleEnv, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setattr(env.app.state.console, "ledger", SqlLedger(create_engine(url)))


def test_a_database_out_of_reach_answers_503_with_retry_after(
    sqlite_env: ConsoleEnv, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = sqlite_env.client("viewer")  # signed in while the database answered
    swap_ledger(sqlite_env, monkeypatch, f"postgresql://dialer:{SECRET_PASSWORD}@127.0.0.1:{CLOSED_PORT}/x")
    page = client.get("/")
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    assert "did not complete" in page.text and "Try again" in page.text
    api = client.get("/api/campaigns")
    assert api.status_code == 503 and api.headers["retry-after"] == "5"
    assert "did not complete" in api.json()["detail"]
    assert "database error (OperationalError)" in caplog.text
    for text in (page.text, api.text, caplog.text):
        assert SECRET_PASSWORD not in text and "SELECT" not in text


def test_a_database_that_refuses_the_request_answers_500(
    sqlite_env: ConsoleEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client = sqlite_env.client("viewer")
    swap_ledger(sqlite_env, monkeypatch, f"sqlite:///{tmp_path / 'no-tables.db'}")  # "no such table"
    api = client.get("/api/campaigns")
    assert api.status_code == 500 and "retry-after" not in api.headers
    assert api.json()["detail"] == "The database refused the request; it did not complete."
    assert "campaigns" not in api.text  # no SQL, no table names
