"""Real SIP on loopback: a call worker (pjsua2) dials sipp peers that play a carrier's special information
tone and announcement as early media, then reject; the outcome lands in a real ledger and the dead number
is suppressed, while a busy number stays in use."""

from __future__ import annotations

import datetime as dt
import wave
from pathlib import Path

import pytest
import sqlalchemy as sa

from dialer.results import to_outcome
from dialer.sip.interfaces import CallRequest
from dialer.sip.worker import WorkerSpec
from dialer.sip.workers import WorkerPool
from scheduler.db import create_engine
from scheduler.models import Attempt, ContactNumber
from scheduler.results import record_outcome
from sip_config.loader import parse_profile
from tests.outcomes.ledger_setup import OWNER, dialing, plan
from tests.outcomes.sounds import RATE, sit
from tests.scheduler.seed import T0, migrated
from tests.sip.conftest import LOOPBACK
from tests.sip.peers import Procs, scenario, ulaw
from tests.voice.speech import speech
from voice import audio

SIP_PORT, RTP_BASE = 15100, 32000  # this part's ranges (workers 15100+, peers 15150+)
PEER_PORTS = (15150, 15151)
PEER_MEDIA = (33000, 33200)


def _wav(path: Path, pcm: bytes) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return path


@pytest.mark.sip
def test_a_sit_and_announcement_on_the_wire_suppress_the_number(
    shared_dir: Path, tmp_path: Path, sqlite_url: str
) -> None:
    early = (
        audio.silence(0.3, RATE)
        + sit("VC")
        + audio.silence(0.1, RATE)
        + speech("The number you have dialed is not in service.")
        + audio.silence(0.3, RATE)
    )
    announcement = ulaw(_wav(tmp_path / "ann.wav", early), tmp_path / "ann-ulaw.wav")
    ms = str(int(len(early) / 2 / RATE * 1000) + 300)
    procs = Procs()
    try:
        vacant = scenario(shared_dir, "uas_early183.tmpl.xml", tmp_path, CODE="480",
                          REASON="Temporarily Unavailable", ANNFILE=str(announcement), ANNMS=ms)  # fmt: skip
        procs.sipp(vacant, PEER_PORTS[0], media_port=PEER_MEDIA[0], log_dir=tmp_path)
        procs.sipp(scenario(shared_dir, "uas_486.xml", tmp_path), PEER_PORTS[1], media_port=PEER_MEDIA[1],
                   log_dir=tmp_path)  # fmt: skip
        spec = WorkerSpec(profile=parse_profile(LOOPBACK), base_sip_port=SIP_PORT, base_rtp_port=RTP_BASE)
        with WorkerPool(spec, 1) as pool:
            dead = pool.submit(CallRequest("dead", f"sip:callee@127.0.0.1:{PEER_PORTS[0]}", ring_timeout=20))
            busy = pool.submit(CallRequest("busy", f"sip:callee@127.0.0.1:{PEER_PORTS[1]}", ring_timeout=20))
            dead_result, busy_result = dead.result(timeout=40), busy.result(timeout=40)
    finally:
        procs.close()
    assert (dead_result.sip_code, dead_result.result) == (480, "unreachable")  # what SIP alone would say
    assert dead_result.early_media_seconds > 1.5

    migrated(sqlite_url)
    ids = dialing(sqlite_url, {"dead": ["+12125550100"], "busy": ["+12125550101"]})
    ended = T0 + dt.timedelta(seconds=30)
    outcomes = {
        "dead": to_outcome(ids["dead"], dead_result, None, ended_at=ended, data_dir=tmp_path),
        "busy": to_outcome(ids["busy"], busy_result, None, ended_at=ended, data_dir=tmp_path),
    }
    assert (outcomes["dead"].disposition, outcomes["dead"].number_status) == ("vacant", "vacant")
    assert outcomes["dead"].number_status_evidence == "SIT VC"  # the tone outranks the vague 480
    assert (outcomes["busy"].disposition, outcomes["busy"].number_status) == ("busy", "valid")
    engine = create_engine(sqlite_url)
    try:
        for outcome in outcomes.values():
            assert record_outcome(engine, OWNER, outcome, ended)
        with engine.connect() as conn:
            rows = dict(
                conn.execute(sa.select(ContactNumber.e164, ContactNumber.suppressed_at.is_not(None))).all()
            )
            evidence = dict(conn.execute(sa.select(Attempt.id, Attempt.number_status_evidence)).all())
    finally:
        engine.dispose()
    assert rows == {"+12125550100": True, "+12125550101": False}
    assert evidence[ids["dead"]] == "SIT VC"  # what the suppression rests on, kept with the attempt
    assert evidence[ids["busy"]] == (outcomes["busy"].number_status_evidence or None)
    later = plan(sqlite_url, ended + dt.timedelta(minutes=20))
    assert later["dead"].rule == "NUMBERS"  # type: ignore[attr-defined]
    assert later["busy"].queued  # type: ignore[attr-defined]
