"""`dialer run` delivers webhooks on its own: an opt-out recorded by the daemon reaches a receiver on
127.0.0.1, signed, without anyone pressing "Deliver now" in the console (which was the only way)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from scheduler.db import create_engine
from scheduler.webhooks import WebhookOutbox, verify
from tests.sip.peers import Procs
from tests.webhook_receiver import Receiver

from .conftest import REPO, Daemon, make_daemon, next_ports, start_peer
from .ledger_seed import seed_campaign

LOOPBACK = ("127.0.0.0/8",)


@pytest.mark.sip
def test_the_daemon_delivers_an_opt_out_webhook(
    ledger_url: str, tmp_path: Path, procs: Procs, shared_dir: Path, callee_ulaw: Path, daemons: list[Daemon]
) -> None:
    numbers = seed_campaign(ledger_url, 2)
    receiver = Receiver()
    engine = create_engine(ledger_url)
    try:
        _, secret = WebhookOutbox(engine, allow_networks=LOOPBACK).subscribe(
            receiver.url, ("opt_out",), created_by="admin"
        )
    finally:
        engine.dispose()
    config = tmp_path / "dialer.toml"
    scripts = REPO / "scripts"  # a config file's relative paths are its site's: name the repo's scripts
    config.write_text(
        f'[dialogue]\nscripts_dir = "{scripts}"\n[web]\nwebhook_allow_networks = ["127.0.0.0/8"]\n'
    )
    ports = next_ports()
    start_peer(procs, shared_dir, tmp_path, ports, callee_ulaw)
    daemon = make_daemon(
        tmp_path,
        ledger_url,
        ports,
        DIALER_CONFIG=str(config),
        DIALER_RUN__HANDLER_OPTIONS__DISPOSITION="opt_out",  # each callee asks not to be called again
        DIALER_SCHEDULER__WEBHOOK_INTERVAL_SECONDS="1",
    )
    daemons.append(daemon)
    daemon.start("--campaign", "sup")
    try:
        deadline = time.monotonic() + 60
        while len(receiver.received) < 2 and time.monotonic() < deadline and daemon.proc.poll() is None:
            time.sleep(0.2)
    finally:
        daemon.signal(signal.SIGTERM)
        code, _ = daemon.finish(timeout=60)
        receiver.close()
    assert code == 0, daemon.text()[-3000:]
    assert len(receiver.received) == 2, daemon.text()[-3000:]
    refs = set()
    for headers, body in receiver.received:
        assert verify(secret, headers["X-Dialer-Signature"], body, now=time.time())
        payload = json.loads(body)
        assert payload["type"] == "opt_out" and payload["id"] == headers["X-Dialer-Delivery"]
        refs.add(payload["data"]["account_ref"])
        assert not any(n in body.decode() for n in numbers.values())  # no phone numbers in payloads
    assert refs == set(numbers)
    assert "event=webhooks.pass" in daemon.text()
