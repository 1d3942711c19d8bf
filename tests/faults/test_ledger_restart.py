"""The PostgreSQL server restarts mid-campaign, while a call is live (a private throwaway server: the
suite's shared one is never touched). The call's outcome waits for the ledger to come back and is written
then; the next calls follow; no attempt is lost and no number rings twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sip.peers import Procs
from tests.supervisor.conftest import Daemon, make_daemon, start_peer, summary
from tests.supervisor.ledger_seed import seed_campaign

from .conftest import attempts, campaign_state, free_ports, placed_in_history
from .private_postgres import PrivatePostgres

pytestmark = [pytest.mark.sip, pytest.mark.slow, pytest.mark.postgres]

OUTAGE = 4.0  # seconds the server is down: the live call ends meanwhile


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    try:
        server = PrivatePostgres()
    except (RuntimeError, OSError) as exc:
        pytest.skip(f"no private PostgreSQL server here: {exc}")
    yield server
    server.close()


def test_a_postgres_restart_mid_call_loses_no_outcome(
    private_postgres: PrivatePostgres,
    tmp_path: Path,
    procs: Procs,
    shared_dir: Path,
    callee_wav: Path,
    daemons: list[Daemon],
) -> None:
    url = private_postgres.url()
    numbers = seed_campaign(url, 3)
    ports = free_ports()
    peer = start_peer(procs, shared_dir, tmp_path, ports, callee_wav, seconds=90)
    daemon = make_daemon(
        tmp_path, url, ports,
        DIALER_SIP__WORKERS="1", DIALER_SIP__CALLS_PER_WORKER="1",  # one call at a time
        DIALER_RUN__HANDLER_OPTIONS__SECONDS="2",
    )  # fmt: skip
    daemons.append(daemon)
    daemon.start("--until-idle", "--json", "--campaign", "sup")
    daemon.wait_log(r"event=call\.dialled", timeout=60)
    private_postgres.stop("fast")  # every connection is cut; new ones are refused
    time.sleep(OUTAGE)
    private_postgres.start()
    code, out = daemon.finish(timeout=120)
    assert code == 0, daemon.text()[-4000:]
    text = daemon.text()  # the live call ended while the server was down: its outcome waited for it
    down, back = text.find("event=ledger.unavailable"), text.find("event=ledger.back")
    assert 0 <= down < text.find("event=call.ended attempt=1 ") < back, text[-4000:]
    assert peer.invites() == {n: 1 for n in numbers.values()}  # each rang once: none twice, none skipped
    rows = attempts(url)
    assert not [a for a in rows if a["state"] in ("claimed", "dialing", "interrupted")]
    placed = [a for a in rows if a["dialing_at"] is not None]
    assert len(placed) == 3 and all(a["disposition"] == "refused" for a in placed)  # the calls' outcomes
    assert placed_in_history(url) == {n: 1 for n in numbers.values()}
    assert campaign_state(url)[0] == "running"
    result = summary(out)
    assert result["recorded"] == 3 and result["lost_leases"] == 0
