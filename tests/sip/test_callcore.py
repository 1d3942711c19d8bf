"""Frame bookkeeping shared by every engine, and the fake engine in virtual time (no threads, no sockets)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from dialer.sip.callcore import CallCore
from dialer.sip.fake_engine import FakeSipEngine, ScriptedCallee
from dialer.sip.interfaces import CallRequest, CapacityError, EventKind


class _Core(CallCore):
    def _command(self, name: str, *args: object) -> None:
        self.sent = (name, args)


def test_clear_playback_silences_the_very_next_frame() -> None:
    core = _Core("c", "outbound", 8000)
    core.play(b"\x10\x00" * 8000)  # one second
    assert core.tx_frame() == b"\x10\x00" * 160
    core.clear_playback()
    assert core.tx_frame() == bytes(320)
    assert core.playback_pending() == 0.0


def test_partial_frames_are_padded_and_kept_in_order() -> None:
    core = _Core("c", "outbound", 16000)
    core.play(b"\x01\x00" * 100)
    core.play(b"\x02\x00" * 300)
    first, second = core.tx_frame(), core.tx_frame()
    assert len(first) == len(second) == 640
    assert first == b"\x01\x00" * 100 + b"\x02\x00" * 220
    assert second == b"\x02\x00" * 80 + bytes(480)


def test_recording_keeps_channels_aligned_when_receives_are_missed(tmp_path: Path) -> None:
    core = _Core("c", "outbound", 8000, record_path=str(tmp_path / "r.wav"))
    core.play(b"\x05\x00" * 160 * 10)
    for i in range(10):
        core.tx_frame()
        if i % 3 == 0:
            core.rx_frame(b"\x07\x00" * 160)
    core.mark_answered()
    result = core.finish(200, "OK")
    with wave.open(str(result.recording)) as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    assert len(data) == 1600
    assert (data[:, 1] == 5).all()


def test_send_dtmf_rejects_non_digits() -> None:
    core = _Core("c", "outbound", 8000)
    with pytest.raises(ValueError):
        core.send_dtmf("12x")
    core.send_dtmf("12#", "info")
    assert core.sent == ("dtmf", ("12#", "info"))


def test_fake_engine_runs_in_virtual_time() -> None:
    speech = (np.sin(np.arange(8000) / 3) * 8000).astype("<i2").tobytes()
    engine = FakeSipEngine(
        {"sip:a@t": ScriptedCallee(ring_seconds=2.0, audio=speech, dtmf=((1.0, "5"),), hangup_after=3.0)},
        max_calls=1,
    )
    engine.start()
    call = engine.dial(CallRequest("v1", "sip:a@t"))
    with pytest.raises(CapacityError):
        engine.dial(CallRequest("v2", "sip:a@t"))
    engine.advance(1.0)
    assert not call.answered and call.result is None
    engine.advance(1.1)
    assert call.answered
    call.play(b"\x03\x00" * 4000)
    engine.advance(5.0)
    result = call.result
    assert result is not None
    assert result.timings.answered == pytest.approx(2.0, abs=0.05)
    assert result.talk_seconds == pytest.approx(3.0, abs=0.05)
    assert result.dtmf == "5"
    kinds = [call.events.get_nowait().kind for _ in range(call.events.qsize())]
    assert kinds == [EventKind.RINGING, EventKind.ANSWERED, EventKind.DTMF, EventKind.ENDED]
    heard = bytes(engine.leg("v1").heard)
    assert heard.index(b"\x03\x00" * 4000) == 320 * 5  # 100 ms of silence between answer and play()
    assert b"".join(call.frames.get_nowait() for _ in range(50)) == speech[: 50 * 320]


def test_a_silent_trunk_is_a_trunk_failure_in_the_fake() -> None:
    engine = FakeSipEngine({"sip:s@t": ScriptedCallee(never_answer=True, ringing=False)})
    engine.start()
    call = engine.dial(CallRequest("s1", "sip:s@t", ring_timeout=1.5))
    engine.advance(2.0)
    assert call.result is not None and call.result.result == "trunk_failure"
