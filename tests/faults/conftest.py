"""The fault suite: `dialer run` as a real process, real ledgers (SQLite file, PostgreSQL), sipp peers on
loopback that log every INVITE they receive. Ports are taken where the loopback helper finds them free."""

from __future__ import annotations

import collections
import itertools
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dialer.callee.ports import UDP_AND_TCP, port_free
from scheduler.db import create_engine
from scheduler.models import Attempt, AuditEntry, Campaign, ContactNumber, TrunkHealth
from scheduler.policy.ledger_cases import history_entry
from tests.sip.peers import Procs, speech, ulaw
from tests.supervisor.conftest import Daemon, Ports

_cursor = itertools.count()


def free_ports() -> Ports:
    """A block of SIP and RTP ports nobody holds now (SIP 16000-16990, RTP 36000-45800)."""
    for _ in range(100):
        i = (next(_cursor) + os.getpid()) % 100
        sip, rtp = 16000 + 10 * i, 36000 + 200 * i
        ports = Ports(sip, sip + 6, sip + 8, rtp, rtp + 120)
        sips = [*range(sip, sip + 6), ports.peer_sip]
        rtps = [rtp + k for k in range(0, 200, 20)]
        if all(port_free(p) for p in [*sips, *rtps]) and port_free(ports.metrics, UDP_AND_TCP):
            return ports
    raise RuntimeError("no free loopback port block for a fault test")


@pytest.fixture(scope="session")
def callee_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fault-audio")
    speech(d / "hello.wav", "Hello?")
    return ulaw(d / "hello.wav", d / "hello-ulaw.wav")


@pytest.fixture(scope="session")
def answering_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A callee who greets, lets the bot speak, then answers it: "Hello?" ... "Yes, this is Sam."."""
    d = tmp_path_factory.mktemp("fault-dialogue")
    speech(d / "hello.wav", "Hello?")
    speech(d / "answer.wav", "Yes, this is Sam.")
    subprocess.run(
        ["sox", str(d / "hello.wav"), "-p", "pad", "0", "5"],
        check=True,
        timeout=30,
        stdout=(d / "a.sox").open("wb"),
    )
    subprocess.run(
        ["sox", str(d / "a.sox"), str(d / "answer.wav"), str(d / "dialogue.wav")], check=True, timeout=30
    )
    return ulaw(d / "dialogue.wav", d / "dialogue-ulaw.wav")


@pytest.fixture
def procs() -> Iterator[Procs]:
    p = Procs()
    yield p
    p.close()


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    made: list[Daemon] = []
    yield made
    for d in made:
        d.kill_all()


def run_until_idle(daemons: list[Daemon], daemon: Daemon) -> str:
    """`dialer run --until-idle` on the campaign "sup", which must exit 0; its JSON summary."""
    daemons.append(daemon)
    daemon.start("--until-idle", "--json", "--campaign", "sup")
    code, out = daemon.finish(timeout=90)
    assert code == 0, daemon.text()[-3000:]
    return out


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("postgres_url"))


def attempts(url: str) -> list[dict[str, object]]:
    """Every attempt with what the fault checks read (the number, to compare with the peer's INVITEs)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    Attempt.id,
                    Attempt.state,
                    Attempt.disposition,
                    Attempt.result,
                    Attempt.cause,
                    Attempt.dialing_at,
                    Attempt.sip_code,
                    ContactNumber.e164,
                )
                .join(ContactNumber, ContactNumber.id == Attempt.contact_number_id)
                .order_by(Attempt.id)
            ).all()
        return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


def set_campaign(url: str, name: str = "sup", **values: object) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.update(Campaign).where(Campaign.name == name).values(**values))
    finally:
        engine.dispose()


def campaign_state(url: str, name: str = "sup") -> tuple[str, str | None, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(Campaign.state, Campaign.state_reason, Campaign.failure_streak).where(
                    Campaign.name == name
                )
            ).one()
            return str(row[0]), row[1], int(row[2])
    finally:
        engine.dispose()


def placed_in_history(url: str) -> collections.Counter[str]:
    """Calls per number as the compliance policy counts them (its own reading of the attempts): what the
    frequency caps see, so a placed call missing here could be placed again too soon."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                sa.select(Attempt, ContactNumber.e164).join(
                    ContactNumber, ContactNumber.id == Attempt.contact_number_id
                )
            ).all()
            entries = [history_entry(a, e164, "") for a, e164 in rows]
        return collections.Counter(e.number for e in entries if e is not None and e.result != "failed")
    finally:
        engine.dispose()


def outcome_audit(url: str, attempt_id: int) -> dict[str, object]:
    """The audit entry the ledger wrote for a call's outcome (codes and measures, its `error`)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            detail = conn.execute(
                sa.select(AuditEntry.detail).where(
                    AuditEntry.subject == f"attempt:{attempt_id}", AuditEntry.action == "call.outcome"
                )
            ).scalar_one()
        return dict(detail)
    finally:
        engine.dispose()


def queued(url: str) -> list[dict[str, object]]:
    """Attempts waiting in the queue, with when they are due."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(Attempt.id, Attempt.scheduled_at, Attempt.dialing_at, ContactNumber.e164)
                .join(ContactNumber, ContactNumber.id == Attempt.contact_number_id)
                .where(Attempt.state == "queued")
            ).all()
        return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


class SilentTrunk:
    """A trunk that takes every datagram and answers none (not even 100 Trying): a UDP socket on the
    peer's port, logging what arrives. `invites()` counts INVITE transactions per number (distinct
    Call-IDs; retransmissions are the same transaction) with the times the first and last copy came."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.seen: list[tuple[float, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._swallow, name="silent-trunk", daemon=True)
        self._thread.start()

    def _swallow(self) -> None:
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            self.seen.append((time.monotonic(), data))

    def transactions(self) -> dict[str, list[tuple[float, float]]]:
        """number -> [(first, last) arrival of each INVITE transaction], in order."""
        spans: dict[tuple[str, str], list[float]] = {}
        for at, data in list(self.seen):
            text = data.decode(errors="replace")
            match = re.match(r"INVITE sip:([^@;> ]+)@", text)
            call_id = re.search(r"^Call-ID:\s*(\S+)", text, re.MULTILINE | re.IGNORECASE)
            if match and call_id:
                spans.setdefault((match.group(1), call_id.group(1)), []).append(at)
        out: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
        for (number, _), times in sorted(spans.items(), key=lambda kv: kv[1][0]):
            out[number].append((times[0], times[-1]))
        return dict(out)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def silent_trunk(request: pytest.FixtureRequest) -> Iterator[Callable[[int], SilentTrunk]]:
    made: list[SilentTrunk] = []

    def start(port: int) -> SilentTrunk:
        made.append(SilentTrunk(port))
        return made[-1]

    yield start
    for trunk in made:
        trunk.close()


def trunk_health(url: str) -> list[dict[str, object]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(TrunkHealth.__table__)).all()
        return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()
