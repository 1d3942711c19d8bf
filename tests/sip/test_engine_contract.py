"""The SipEngine/Call contract, run over the loopback fake and over pjsua2 against real sipp peers."""

from __future__ import annotations

import queue
import time
import uuid
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from dialer.sip.fake_engine import FakeSipEngine, ScriptedCallee
from dialer.sip.interfaces import Call, CallRequest, EventKind, SipEngine

from .conftest import Audio
from .peers import Procs, best_correlation, port_block, scenario, segment_correlation


class Peers:
    """Makes a far end that behaves a given way and returns the URI to dial."""

    def __init__(self, kind: str, engine: SipEngine, procs: Procs, shared: Path, tmp: Path) -> None:
        self.kind, self.engine, self.procs, self.shared, self.tmp = kind, engine, procs, shared, tmp

    def _fake(self, callee: ScriptedCallee) -> str:
        assert isinstance(self.engine, FakeSipEngine)
        uri = f"sip:{uuid.uuid4().hex[:8]}@fake"
        self.engine.callees[uri] = callee
        return uri

    def _sipp(self, name: str, **replace: str) -> str:
        port = port_block(1)
        self.procs.sipp(scenario(self.shared, name, self.tmp, **replace), port, log_dir=self.tmp)
        return f"sip:callee@127.0.0.1:{port}"

    def reject(self, code: int, reason: str) -> str:
        if self.kind == "fake":
            return self._fake(ScriptedCallee(final_code=code, reason=reason))
        return self._sipp("uas_reject.tmpl.xml", CODE=str(code), REASON=reason)

    def no_answer(self) -> str:
        if self.kind == "fake":
            return self._fake(ScriptedCallee(never_answer=True))
        return self._sipp("uas_noanswer.xml")

    def early_then(self, audio: Audio, code: int, reason: str) -> str:
        if self.kind == "fake":
            return self._fake(ScriptedCallee(final_code=code, reason=reason, early_media=audio.pcm))
        ms = str(int(len(audio.pcm) / 16) + 300)
        return self._sipp(
            "uas_early183.tmpl.xml", CODE=str(code), REASON=reason, ANNFILE=str(audio.ulaw), ANNMS=ms
        )

    def talker(self, audio: Audio) -> str:
        if self.kind == "fake":
            return self._fake(ScriptedCallee(audio=audio.pcm))
        return self._sipp("uas_talk.xml", CALLEE_ULAW_WAV=str(audio.ulaw))

    def dtmf(self) -> str:
        if self.kind == "fake":
            return self._fake(ScriptedCallee(dtmf=((0.5, "1"), (1.2, "#"), (1.9, "7"))))
        return self._sipp("uas_dtmf.xml", SIP_PEERS_DIR=str(self.shared / "sip-peers"))


@pytest.fixture(params=["fake", pytest.param("pjsua", marks=pytest.mark.sip)])
def peers(request: pytest.FixtureRequest, procs: Procs, shared_dir: Path, tmp_path: Path) -> Iterator[Peers]:
    if request.param == "fake":
        engine: SipEngine = FakeSipEngine(autorun=True, speed=4.0)
        engine.start()
        yield Peers("fake", engine, procs, shared_dir, tmp_path)
        engine.shutdown()
    else:
        yield Peers("pjsua", request.getfixturevalue("pjsua_engine"), procs, shared_dir, tmp_path)


def _dial(peers: Peers, uri: str, **kw: object) -> Call:
    return peers.engine.dial(CallRequest(call_id=uuid.uuid4().hex, uri=uri, **kw))  # type: ignore[arg-type]


def _events_until(call: Call, kind: EventKind, timeout: float = 10.0) -> list[EventKind]:
    seen: list[EventKind] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = call.events.get(timeout=0.1)
        except queue.Empty:
            continue
        seen.append(event.kind)
        if event.kind in (kind, EventKind.ENDED):
            return seen
    raise AssertionError(f"no {kind} within {timeout} s (saw {seen})")


def _collect(call: Call, seconds: float, rate: int = 8000) -> np.ndarray:
    """Inbound audio for `seconds` of call time (frames are 20 ms each)."""
    out: list[bytes] = []
    need = int(seconds / 0.02)
    deadline = time.monotonic() + seconds * 3 + 5
    while len(out) < need and time.monotonic() < deadline:
        try:
            out.append(call.frames.get(timeout=0.2))
        except queue.Empty:
            if call.result is not None:
                break
    return np.frombuffer(b"".join(out), dtype="<i2")


@pytest.mark.parametrize(
    ("code", "reason", "disposition"),
    [
        (486, "Busy Here", "busy"),
        (404, "Not Found", "vacant"),
        (480, "Temporarily Unavailable", "unreachable"),
        (603, "Decline", "rejected"),
        (410, "Gone", "out_of_service"),
        (503, "Service Unavailable", "trunk_failure"),
    ],
)
def test_final_codes_map_to_dispositions(peers: Peers, code: int, reason: str, disposition: str) -> None:
    call = _dial(peers, peers.reject(code, reason))
    result = call.wait(10)
    assert result is not None
    assert (result.sip_code, result.result, result.answered) == (code, disposition, False)
    assert result.talk_seconds == 0.0
    assert call.ended


def test_ring_timeout_sends_cancel_and_reports_no_answer(peers: Peers) -> None:
    call = _dial(peers, peers.no_answer(), ring_timeout=1.5)
    result = call.wait(15)
    assert result is not None
    assert result.result == "no_answer"
    assert result.sip_code == 487
    assert result.timings.ringing is not None
    assert result.timings.ended >= 1.5


def test_early_media_is_captured_before_the_final_code(peers: Peers, callee_audio: Audio) -> None:
    call = _dial(peers, peers.early_then(callee_audio, 404, "Not Found"))
    result = call.wait(20)
    assert result is not None
    assert (result.sip_code, result.result) == (404, "vacant")
    assert result.timings.early_media is not None
    source_seconds = len(callee_audio.pcm) / 16000
    assert result.early_media_seconds >= source_seconds * 0.8
    heard = np.frombuffer(result.early_media, dtype="<i2")
    assert segment_correlation(heard, callee_audio.samples) > 0.85


def test_answered_call_streams_the_callee_audio(peers: Peers, callee_audio: Audio) -> None:
    call = _dial(peers, peers.talker(callee_audio))
    assert _events_until(call, EventKind.ANSWERED)[-1] is EventKind.ANSWERED
    heard = _collect(call, len(callee_audio.pcm) / 16000 + 1.0)
    call.hangup()
    result = call.wait(10)
    assert result is not None and result.answered and result.result == "answered"
    assert result.sip_code == 200
    assert result.talk_seconds > 1.0
    assert segment_correlation(heard, callee_audio.samples) > 0.85


def test_dtmf_digits_arrive_as_events_and_in_the_result(peers: Peers) -> None:
    call = _dial(peers, peers.dtmf())
    digits = ""
    deadline = time.monotonic() + 15
    while len(digits) < 3 and time.monotonic() < deadline:
        try:
            event = call.events.get(timeout=0.2)
        except queue.Empty:
            continue
        if event.kind is EventKind.DTMF:
            digits += event.digit
    call.hangup()
    result = call.wait(10)
    assert digits == "1#7"  # RFC 2833 "1", "#" then SIP INFO "7" from the real peer
    assert result is not None and result.dtmf == "1#7"


def test_recording_is_stereo_callee_left_bot_right(
    peers: Peers, callee_audio: Audio, bot_audio: Audio, tmp_path: Path
) -> None:
    out = tmp_path / "rec.wav"
    call = _dial(peers, peers.talker(callee_audio), record_path=str(out))
    _events_until(call, EventKind.ANSWERED)
    call.play(bot_audio.pcm)
    _collect(call, max(len(bot_audio.pcm), len(callee_audio.pcm)) / 16000 + 0.5)
    call.hangup()
    result = call.wait(10)
    assert result is not None and result.recording == str(out)
    with wave.open(str(out)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (2, 8000, 2)
        stereo = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    assert segment_correlation(stereo[:, 0], callee_audio.samples) > 0.85
    assert best_correlation(stereo[:, 1], bot_audio.samples) > 0.95
    assert best_correlation(stereo[:, 0], bot_audio.samples) < 0.3
    assert abs(len(stereo) / 8000 - result.talk_seconds) < 0.5


def test_clear_playback_stops_bot_audio_within_a_frame(peers: Peers, bot_audio: Audio) -> None:
    call = _dial(peers, peers.talker(bot_audio))
    _events_until(call, EventKind.ANSWERED)
    call.play(bot_audio.pcm)
    assert call.playback_pending() > 1.0
    call.clear_playback()
    assert call.playback_pending() == 0.0
    call.hangup()
    assert call.wait(10) is not None


def test_max_call_duration_hangs_up(peers: Peers, callee_audio: Audio) -> None:
    call = _dial(peers, peers.talker(callee_audio), max_duration=1.0)
    result = call.wait(15)
    assert result is not None and result.answered
    assert 0.9 <= result.talk_seconds < 3.0
