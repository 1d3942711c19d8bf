"""`dialer run --until-idle`: a campaign planned, claimed, dialled once per number and recorded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.sip.peers import Procs

from .conftest import Daemon, make_daemon, next_ports, start_peer, summary
from .ledger_seed import attempt_rows, seed_campaign


@pytest.mark.sip
def test_until_idle_dials_each_number_once_and_records_every_attempt(
    ledger_url: str, tmp_path: Path, procs: Procs, shared_dir: Path, callee_ulaw: Path, daemons: list[Daemon]
) -> None:
    numbers = seed_campaign(ledger_url, 5)
    ports = next_ports()
    peer = start_peer(procs, shared_dir, tmp_path, ports, callee_ulaw)
    # the product's plain test-call handler: no session report, so each call counts as abandoned
    daemon = make_daemon(tmp_path, ledger_url, ports, DIALER_RUN__HANDLER="dialer.sip.handlers:PlayAndHangup")
    daemons.append(daemon)
    daemon.start("--until-idle", "--json", "--campaign", "sup")
    code, out = daemon.finish(timeout=90)
    assert code == 0, daemon.text()[-3000:]
    result = summary(out)
    assert result["recorded"] == 5 and result["dialled"] == 5 and result["lost_leases"] == 0
    assert result["stopped_by"] == "idle"
    rows = attempt_rows(ledger_url)
    done = [r for r in rows if r["state"] == "done"]
    later = [r for r in rows if r["state"] != "done"]
    assert sorted(r["e164"] for r in done) == sorted(numbers.values())  # each number once
    assert all(r["disposition"] and r["lease_owner"] == f"sup-{ports.peer_sip}" for r in done)
    # the planner queued the next tries under the retry policy: for later, so the campaign was idle
    now = dt.datetime.now(dt.UTC)
    assert all(r["state"] == "queued" and r["scheduled_at"] > now for r in later)  # type: ignore[operator]
    assert peer.invites() == {n: 1 for n in numbers.values()}
    assert list((tmp_path / "data" / "recordings" / "sup").glob("*/attempt-*.wav"))
    log = daemon.text()
    assert "event=call.dialled" in log and "event=call.ended" in log
    for number in numbers.values():  # personal data never reaches the log
        assert number not in log
