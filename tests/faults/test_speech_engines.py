"""Speech engines that break mid-call: the product's own session conducts a real call to a sipp callee, and
its TTS or ASR engine raises once the call is under way. The call still ends with an outcome, counts as
placed (it rang once, at the peer), the failure is recorded, the campaign stops itself with the reason,
and the policy alone decides the next try."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.sip.peers import Procs
from tests.supervisor.conftest import Daemon, make_daemon, start_peer, summary
from tests.supervisor.ledger_seed import seed_campaign

from .conftest import (
    attempts,
    campaign_state,
    free_ports,
    outcome_audit,
    placed_in_history,
    queued,
    run_until_idle,
)

pytestmark = [pytest.mark.sip, pytest.mark.slow]


@pytest.mark.parametrize(
    ("engine", "pause_after", "ledger_url"),
    [("tts", 1, "sqlite"), pytest.param("asr", 2, "postgres", marks=pytest.mark.postgres)],
    indirect=["ledger_url"],
)  # one ledger each: the ledgers' part is the same as in every other fault test, a call costs ~15 s
def test_a_speech_engine_raising_mid_call_ends_it_with_an_outcome(
    engine: str,
    pause_after: int,
    ledger_url: str,
    tmp_path: Path,
    procs: Procs,
    shared_dir: Path,
    answering_wav: Path,
    daemons: list[Daemon],
) -> None:
    (number,) = seed_campaign(ledger_url, 1).values()
    ports = free_ports()
    peer = start_peer(procs, shared_dir, tmp_path, ports, answering_wav, seconds=60)
    handler = "TtsBreaksMidCall" if engine == "tts" else "AsrBreaksMidCall"
    daemon = make_daemon(
        tmp_path, ledger_url, ports,
        DIALER_RUN__HANDLER=f"tests.faults.engines:{handler}",
        DIALER_SIP__WORKERS="1",
        DIALER_VOICE__ASR_ENGINE="scripted",
        DIALER_VOICE__TTS_ENGINES="espeak",
        DIALER_SESSION__NO_INPUT_SECONDS="1",
        DIALER_SCHEDULER__PAUSE_AFTER_FAILURES=str(pause_after),
    )  # fmt: skip
    started = dt.datetime.now(dt.UTC)
    out = run_until_idle(daemons, daemon)
    assert "session failed (EngineCrashed)" in daemon.text()  # it broke mid-call, in the product's session
    assert peer.invites() == {number: 1}  # it rang once
    placed = [a for a in attempts(ledger_url) if a["dialing_at"] is not None]
    assert len(placed) == 1 and placed[0]["state"] == "done" and placed[0]["sip_code"] == 200
    assert placed[0]["disposition"] and placed[0]["result"] not in (None, "failed")
    assert placed_in_history(ledger_url) == {number: 1}  # counted as placed, once: the caps see it
    audit = outcome_audit(ledger_url, int(placed[0]["id"]))  # type: ignore[call-overload]
    assert f"EngineCrashed: {engine} engine crashed" in str(audit["error"])
    assert int(audit["turns"]) >= 1  # type: ignore[call-overload]  # mid-call: the call was under way
    state, reason, streak = campaign_state(ledger_url)
    assert streak == 1  # a local failure of the campaign: a broken engine would cut off every debtor
    later = queued(ledger_url)
    assert all(a["dialing_at"] is None for a in later)
    if pause_after == 1:  # it stopped itself, saying why; the pause holds any next try
        assert state == "paused" and reason is not None and "EngineCrashed" in reason
        assert summary(out)["paused"] == {"sup": reason}
        assert later == []
    else:  # backed off, still running; the policy re-decided: a next try, not straight back
        assert state == "running" and reason is None and summary(out)["paused"] == {}
        assert [a["e164"] for a in later] == [number]
        assert all(a["scheduled_at"] > started + dt.timedelta(hours=1) for a in later)  # type: ignore[operator]
