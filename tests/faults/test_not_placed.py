"""A campaign that cannot conduct a call never rings a phone for nothing, and stops itself with a reason.

INVITEs are counted at the sipp peer, never in our ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sip.peers import Procs
from tests.supervisor.conftest import Daemon, make_daemon, start_peer, summary
from tests.supervisor.ledger_seed import seed_campaign

from .conftest import attempts, campaign_state, free_ports, run_until_idle, set_campaign

pytestmark = [pytest.mark.sip]


def test_missing_script_is_refused_at_start_and_rings_nothing(
    ledger_url: str, tmp_path: Path, procs: Procs, shared_dir: Path, callee_wav: Path, daemons: list[Daemon]
) -> None:
    seed_campaign(ledger_url, 2)
    set_campaign(ledger_url, script="no-such-script")
    ports = free_ports()
    peer = start_peer(procs, shared_dir, tmp_path, ports, callee_wav, seconds=60)
    daemon = make_daemon(tmp_path, ledger_url, ports)
    daemons.append(daemon)
    daemon.start("--until-idle", "--json", "--campaign", "sup")
    code, _ = daemon.finish(timeout=60)
    assert code != 0
    assert "'no-such-script' not found" in daemon.text()
    assert peer.invites() == {}
    state, reason, _ = campaign_state(ledger_url)
    assert state == "paused" and reason is not None and "no-such-script" in reason
    assert all(a["dialing_at"] is None for a in attempts(ledger_url))


def test_failure_before_the_invite_is_not_placed_and_pauses_the_campaign(
    ledger_url: str, tmp_path: Path, procs: Procs, shared_dir: Path, callee_wav: Path, daemons: list[Daemon]
) -> None:
    seed_campaign(ledger_url, 5)
    ports = free_ports()
    peer = start_peer(procs, shared_dir, tmp_path, ports, callee_wav, seconds=60)
    daemon = make_daemon(
        tmp_path, ledger_url, ports,
        DIALER_RUN__HANDLER="tests.faults.handlers:MissingModel",
        DIALER_SIP__WORKERS="1", DIALER_SIP__CALLS_PER_WORKER="1",  # one at a time: back-off between
        DIALER_SCHEDULER__PAUSE_AFTER_FAILURES="3",
        DIALER_SCHEDULER__FAILURE_BACKOFF_SECONDS="0.2",
    )  # fmt: skip
    out = run_until_idle(daemons, daemon)
    assert peer.invites() == {}  # not one phone rang
    result = summary(out)
    assert result["not_placed"] == 3 and result["dialled"] == 3
    state, reason, streak = campaign_state(ledger_url)
    assert state == "paused" and streak == 3
    assert reason is not None and "3 local failures in a row" in reason and "FileNotFoundError" in reason
    rows = attempts(ledger_url)
    failed = [a for a in rows if a["disposition"] == "not_placed"]
    assert len(failed) == 3
    for a in failed:  # not placed: no result in the compliance history, a cause, no dialling time
        assert a["result"] is None and a["dialing_at"] is None and "speech model" in str(a["cause"])
    assert result["paused"] == {"sup": reason}
    waiting = [a for a in rows if a["state"] == "queued"]
    assert len(waiting) == 2 and all(a["dialing_at"] is None for a in waiting)  # held by the pause


def test_session_failing_after_the_invite_rings_once_and_counts(
    ledger_url: str, tmp_path: Path, procs: Procs, shared_dir: Path, callee_wav: Path, daemons: list[Daemon]
) -> None:
    """The reported repro: the session could not start once the phone rang. It rang once, it is in the
    history as a placed call, the per-day cap holds the next try, and the campaign stops itself."""
    numbers = seed_campaign(ledger_url, 1)
    ports = free_ports()
    peer = start_peer(procs, shared_dir, tmp_path, ports, callee_wav, seconds=60)
    daemon = make_daemon(
        tmp_path, ledger_url, ports,
        DIALER_RUN__HANDLER="tests.faults.handlers:SessionCannotStart",
        DIALER_SCHEDULER__PAUSE_AFTER_FAILURES="1",
    )  # fmt: skip
    out = run_until_idle(daemons, daemon)
    assert peer.invites() == {n: 1 for n in numbers.values()}
    rows = attempts(ledger_url)
    placed = [a for a in rows if a["dialing_at"] is not None]
    assert len(placed) == 1 and placed[0]["result"] in ("no_answer", "abandoned")  # counted
    later = [a for a in rows if a["state"] == "queued"]
    assert all(a["dialing_at"] is None for a in later)
    state, reason, _ = campaign_state(ledger_url)
    assert state == "paused" and reason is not None and "ScriptError" in reason
    assert summary(out)["paused"] == {"sup": reason}


def test_unusable_recordings_directory_places_no_call(
    tmp_path: Path, procs: Procs, shared_dir: Path, callee_wav: Path, daemons: list[Daemon]
) -> None:
    """The recordings folder cannot be made (here: a file stands in its way, as a full or read-only disk
    would refuse it): no call without its recording, not_placed with the cause, the campaign paused."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    seed_campaign(url, 2)
    (tmp_path / "data" / "recordings").mkdir(parents=True)
    (tmp_path / "data" / "recordings" / "sup").write_text("in the way")
    ports = free_ports()
    peer = start_peer(procs, shared_dir, tmp_path, ports, callee_wav, seconds=60)
    daemon = make_daemon(tmp_path, url, ports, DIALER_SCHEDULER__PAUSE_AFTER_FAILURES="2")
    out = run_until_idle(daemons, daemon)
    assert peer.invites() == {}
    rows = attempts(url)
    assert [a["disposition"] for a in rows if a["disposition"]] == ["not_placed", "not_placed"]
    assert all("recordings directory" in str(a["cause"]) for a in rows if a["disposition"])
    state, reason, _ = campaign_state(url)
    assert state == "paused" and reason is not None and "recordings directory" in reason
    assert summary(out)["not_placed"] == 2


def test_a_paused_campaign_shows_in_the_metrics() -> None:
    from dialer.supervisor.metrics import Metrics

    metrics = Metrics()
    metrics.campaign_paused("sup", "paused after 5 local failures in a row; last: FileNotFoundError")
    text = metrics.render().decode()
    assert 'dialer_campaign_paused{campaign="sup",reason="paused after 5 local failures' in text
