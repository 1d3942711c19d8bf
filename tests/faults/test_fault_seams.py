"""Fast checks of the seams the fault suite goes through: which ledger errors are worth waiting out, and a
call whose recording cannot be written still ending with its result."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from dialer.sip.callcore import CallCore
from scheduler.db import create_engine, ledger_unavailable
from scheduler.ledger import BackendError


class _Core(CallCore):
    def _command(self, name: str, *args: object) -> None:
        pass


def test_an_unreachable_server_is_waited_out_and_a_broken_schema_is_not(tmp_path: Path) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on: a server that is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    refused = sa.create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{port}/none")
    with pytest.raises(sa.exc.OperationalError) as caught:
        refused.connect()
    assert ledger_unavailable(caught.value)
    try:
        raise BackendError("recording the outcome failed: OperationalError") from caught.value
    except BackendError as wrapped:
        assert ledger_unavailable(wrapped)
    busy = sa.exc.OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
    assert ledger_unavailable(busy)
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(sa.exc.OperationalError) as missing, engine.connect() as conn:
        conn.execute(sa.text("SELECT * FROM no_such_table"))
    assert not ledger_unavailable(missing.value)  # fails again on every try: never retried forever
    assert not ledger_unavailable(RuntimeError("connection"))


def test_a_recording_that_cannot_be_written_does_not_hold_back_the_result(tmp_path: Path) -> None:
    (tmp_path / "full").write_text("a file where the recordings folder should be")
    core = _Core("c", "outbound", 8000, record_path=str(tmp_path / "full" / "r.wav"))
    core.rx_frame(b"\x07\x00" * 160)
    core.mark_answered()
    result = core.finish(200, "OK")
    assert result.answered and result.recording is None
    assert result.recording_error.startswith("recording not written:")
    assert core.wait(0) is result  # the call has ended: whoever waits for it is woken
