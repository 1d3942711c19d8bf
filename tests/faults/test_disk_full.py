"""The recordings disk fills up during a call (RLIMIT_FSIZE on the call worker: its writes past the
limit fail, as on a full disk): the call still ends with its outcome, it rang once, it is in the compliance
history, and the recording's failure is recorded rather than a short file passed off as the call."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sip.peers import Procs
from tests.supervisor.conftest import Daemon, make_daemon, start_peer, summary
from tests.supervisor.ledger_seed import seed_campaign

from .conftest import attempts, campaign_state, free_ports, outcome_audit, placed_in_history, run_until_idle

pytestmark = [pytest.mark.sip, pytest.mark.slow]


def test_a_recording_cut_short_by_a_full_disk_still_ends_the_call_with_an_outcome(
    tmp_path: Path, procs: Procs, shared_dir: Path, callee_wav: Path, daemons: list[Daemon]
) -> None:
    ledger_url = f"sqlite:///{tmp_path / 'ledger.db'}"  # the recording's path is the same on either ledger
    (number,) = seed_campaign(ledger_url, 1).values()
    ports = free_ports()
    peer = start_peer(procs, shared_dir, tmp_path, ports, callee_wav, seconds=60)
    daemon = make_daemon(
        tmp_path, ledger_url, ports,
        DIALER_RUN__HANDLER="tests.faults.handlers:DiskFullLine",
        DIALER_RUN__HANDLER_OPTIONS__SECONDS="3",  # ~48 KB of audio for a 16 KiB limit
        DIALER_SIP__WORKERS="1",
        DIALER_SCHEDULER__PAUSE_AFTER_FAILURES="1",
    )  # fmt: skip
    out = run_until_idle(daemons, daemon)
    assert "File too large" in daemon.text()  # the worker's write really failed
    assert peer.invites() == {number: 1}  # it rang once
    rows = attempts(ledger_url)
    assert not [a for a in rows if a["state"] in ("claimed", "dialing", "interrupted")]  # ended, not lost
    placed = [a for a in rows if a["dialing_at"] is not None]
    assert len(placed) == 1 and placed[0]["state"] == "done" and placed[0]["sip_code"] == 200
    assert placed[0]["disposition"] == "refused"  # the conversation's own outcome, kept
    assert placed_in_history(ledger_url) == {number: 1}
    audit = outcome_audit(ledger_url, int(placed[0]["id"]))  # type: ignore[call-overload]
    assert audit["recording"] is False and "recording not written" in str(audit["error"])
    assert "File too large" in str(audit["error"])
    assert not list((tmp_path / "data").rglob("*.wav"))  # no short file passes for the whole call
    state, reason, streak = campaign_state(ledger_url)  # a full disk would fail every call: it stops
    assert state == "paused" and streak == 1 and reason is not None and "recording not written" in reason
    result = summary(out)
    assert result["recorded"] == 1 and result["paused"] == {"sup": reason}
