"""A trunk that never answers the INVITE, not even 100 Trying (a UDP port that swallows every packet).
Counted at that port: each call is one INVITE transaction, rung once; our ring timeout ends it as a trunk
failure that may have rung (so it counts as placed); the trunk backs off before the next call; the policy
re-decides each attempt; no number ever has two INVITEs out at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.supervisor.conftest import Daemon, make_daemon, summary
from tests.supervisor.ledger_seed import seed_campaign

from .conftest import (
    SilentTrunk,
    attempts,
    free_ports,
    placed_in_history,
    queued,
    run_until_idle,
    trunk_health,
)

pytestmark = [pytest.mark.sip, pytest.mark.slow]

RING_TIMEOUT = 1.5
BACKOFF = 3.0


def test_a_trunk_that_never_answers_times_out_backs_off_and_loses_nothing(
    ledger_url: str,
    tmp_path: Path,
    silent_trunk: Callable[[int], SilentTrunk],
    daemons: list[Daemon],
) -> None:
    numbers = seed_campaign(ledger_url, 2)
    ports = free_ports()
    trunk = silent_trunk(ports.peer_sip)
    profile = tmp_path / "silent.yaml"
    profile.write_text(
        f"name: silent\nmode: ip_auth\ndomain: 127.0.0.1:{ports.peer_sip}\ncodecs: [PCMU]\n"
        f'caller_id: "+15550100100"\nchannel_limit: 8\ncalls_per_second: 20\n'
        f"ring_timeout: {RING_TIMEOUT}\nmax_call_duration: 30\n"
    )
    daemon = make_daemon(
        tmp_path, ledger_url, ports,
        DIALER_SIP__PROFILE=str(profile),
        DIALER_SIP__WORKERS="1", DIALER_SIP__CALLS_PER_WORKER="1",  # one at a time: the back-off between
        DIALER_SCHEDULER__TRUNK_BACKOFF_SECONDS=str(BACKOFF),
    )  # fmt: skip
    started = dt.datetime.now(dt.UTC)
    out = run_until_idle(daemons, daemon)
    seen = trunk.transactions()
    assert {n: len(t) for n, t in seen.items()} == {n: 1 for n in numbers.values()}  # each rang once
    (first,), (second,) = sorted(seen.values())
    # the second call waited for the first to end (ring timeout) and then for the trunk's back-off
    assert second[0] - first[0] >= RING_TIMEOUT + BACKOFF - 0.5, (first, second)
    rows = attempts(ledger_url)
    assert not [a for a in rows if a["state"] in ("claimed", "dialing")]  # nothing lost in flight
    placed = [a for a in rows if a["dialing_at"] is not None]
    assert len(placed) == 2
    for a in placed:  # timed out with no answer at all: the trunk's failure, yet it may have rung
        assert a["state"] == "done" and a["disposition"] == "trunk_failure" and a["result"] == "no_answer"
        assert a["sip_code"] in (408, 487)
    assert placed_in_history(ledger_url) == {n: 1 for n in numbers.values()}
    (health,) = trunk_health(ledger_url)
    assert int(health["failure_streak"]) == 2  # type: ignore[call-overload]
    assert health["backoff_until"] is not None and health["backoff_until"] > started  # type: ignore[operator]
    later = queued(ledger_url)  # re-decided by the policy: one next try each, later, not dialled yet
    assert sorted(str(a["e164"]) for a in later) == sorted(numbers.values())
    assert all(a["dialing_at"] is None for a in later)
    result = summary(out)
    assert result["dialled"] == 2 and result["recorded"] == 2
    assert result["dispositions"] == {"trunk_failure": 2}
