"""Trunk failures and a busy ledger: INVITEs counted at the peer, every attempt accounted for afterwards."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.sip.peers import Procs, scenario
from tests.supervisor.conftest import Daemon, Peer, Ports, make_daemon, start_peer, summary
from tests.supervisor.ledger_seed import seed_campaign

from .conftest import attempts, free_ports

pytestmark = [pytest.mark.sip]


def reject_peer(procs: Procs, shared: Path, tmp: Path, ports: Ports, code: int, reason: str) -> Peer:
    log_dir = tmp / f"peer-{ports.peer_sip}"
    log_dir.mkdir()
    sf = scenario(shared, "uas_reject.tmpl.xml", log_dir, CODE=str(code), REASON=reason)
    procs.sipp(sf, ports.peer_sip, calls=1000, seconds=60, extra=("-trace_msg",), log_dir=log_dir)
    return Peer(log_dir, ports.peer_sip)


def no_lost_attempt(url: str) -> list[dict[str, object]]:
    """After the daemon stopped: nothing left claimed or dialling, every dialled attempt has an outcome."""
    rows = attempts(url)
    assert not [a for a in rows if a["state"] in ("claimed", "dialing")]
    assert all(a["disposition"] for a in rows if a["dialing_at"] is not None)
    return rows


@pytest.mark.slow
@pytest.mark.parametrize(("code", "reason"), [(503, "Service Unavailable"), (408, "Request Timeout")])
def test_trunk_failures_back_off_the_trunk(
    code: int, reason: str, tmp_path: Path, procs: Procs, shared_dir: Path, daemons: list[Daemon]
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    numbers = seed_campaign(url, 3)
    ports = free_ports()
    peer = reject_peer(procs, shared_dir, tmp_path, ports, code, reason)
    daemon = make_daemon(
        tmp_path, url, ports,
        DIALER_SCHEDULER__TRUNK_BACKOFF_SECONDS="2",
        DIALER_SCHEDULER__PLANNER_INTERVAL_SECONDS="5",
    )  # fmt: skip
    daemons.append(daemon)
    daemon.start("--json")
    daemon.wait_log(r"event=call\.ended", count=3)
    time.sleep(6)  # long enough for retries at once: only the trunk's back-off spaces them
    daemon.signal(signal.SIGTERM)
    code_, out = daemon.finish(timeout=60)
    assert code_ == 0, daemon.text()[-3000:]
    invites = peer.invites()
    rows = no_lost_attempt(url)
    placed = [a for a in rows if a["dialing_at"] is not None]
    assert sum(invites.values()) == len(placed)  # every INVITE the peer saw is an attempt in the ledger
    assert all(a["disposition"] == "trunk_failure" for a in placed)
    if code == 408:  # no final answer from the callee's side: it may have rung, so it counts as placed
        assert invites == {n: 1 for n in numbers.values()}  # and the per-day cap holds the next try
        assert all(a["result"] == "no_answer" for a in placed)
    else:  # the trunk refused: not placed in the Reg F sense, retried after the trunk's back-off
        assert all(a["result"] == "failed" for a in placed)
        # 3 at once, then the back-off (2 s, 4 s, 8 s...) lets at most a few more through in ~6 s
        assert 3 <= sum(invites.values()) <= 6, invites
    assert "backing off after failures" not in summary(out)  # the summary holds no reasons, only counts


@pytest.mark.slow
def test_a_busy_sqlite_ledger_delays_calls_and_loses_none(
    tmp_path: Path, procs: Procs, shared_dir: Path, callee_wav: Path, daemons: list[Daemon]
) -> None:
    db = tmp_path / "ledger.db"
    url = f"sqlite:///{db}"
    numbers = seed_campaign(url, 3)
    ports = free_ports()
    peer = start_peer(procs, shared_dir, tmp_path, ports, callee_wav, seconds=60)
    daemon = make_daemon(tmp_path, url, ports)
    daemons.append(daemon)
    held = threading.Event()

    def hold_the_write_lock() -> None:  # another writer holds the database for longer than the busy timeout
        conn = sqlite3.connect(db, isolation_level=None, timeout=30)
        conn.execute("BEGIN EXCLUSIVE")
        held.set()
        time.sleep(7)
        conn.execute("ROLLBACK")
        conn.close()

    locker = threading.Thread(target=hold_the_write_lock)
    locker.start()
    held.wait(10)
    daemon.start("--until-idle", "--json", "--campaign", "sup")
    locker.join()
    code, out = daemon.finish(timeout=120)
    assert code == 0, daemon.text()[-3000:]
    assert peer.invites() == {n: 1 for n in numbers.values()}
    assert summary(out)["recorded"] == 3
    no_lost_attempt(url)
