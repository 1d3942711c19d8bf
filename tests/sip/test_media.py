"""Audio both ways against baresip (another SIP stack): each side hears what the other sent."""

from __future__ import annotations

import contextlib
import queue
import time
import uuid
import wave
from pathlib import Path

import numpy as np
import pytest

from dialer.sip.handlers import wait_answered
from dialer.sip.interfaces import CallRequest

from .conftest import Audio
from .peers import Procs, baresip_dir, best_correlation, port_block, segment_correlation

pytestmark = pytest.mark.sip


def _wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return data.reshape(-1, w.getnchannels())


def test_audio_both_ways_with_baresip(
    pjsua_engine: object,
    procs: Procs,
    shared_dir: Path,
    tmp_path: Path,
    callee_audio: Audio,
    bot_audio: Audio,
) -> None:
    port, rtp = port_block(1), port_block(42)
    cfg = baresip_dir(shared_dir, tmp_path, port, rtp, callee_audio.wav)
    procs.start(
        ["baresip", "-f", str(cfg), "-t", "30"],
        seconds=40,
        cwd=str(tmp_path),
        stdout=(tmp_path / "baresip.log").open("w"),
        stderr=-2,
    )
    deadline = time.monotonic() + 5
    while "baresip is ready" not in (tmp_path / "baresip.log").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    record = tmp_path / "call.wav"
    call = pjsua_engine.dial(  # type: ignore[attr-defined]
        CallRequest(uuid.uuid4().hex, f"sip:peer@127.0.0.1:{port}", record_path=str(record))
    )
    assert wait_answered(call, 10)
    call.play(bot_audio.pcm)
    heard: list[bytes] = []
    end = time.monotonic() + max(len(bot_audio.pcm), len(callee_audio.pcm)) / 16000 + 1.0
    while time.monotonic() < end and call.result is None:
        with contextlib.suppress(queue.Empty):
            heard.append(call.frames.get(timeout=0.1))
    call.hangup()
    result = call.wait(10)
    assert result is not None and result.answered
    # callee -> bot: through PCMU and pjmedia's jitter buffer
    assert segment_correlation(np.frombuffer(b"".join(heard), dtype="<i2"), callee_audio.samples) > 0.85
    # bot -> callee: baresip's decoder dump is what it heard
    time.sleep(0.5)
    dec = next((tmp_path / "rec").glob("*-dec.wav"))
    assert segment_correlation(_wav(dec)[:, 0], bot_audio.samples) > 0.85
    # the stereo recording holds both sides on their own channels
    stereo = _wav(record)
    assert stereo.shape[1] == 2
    assert segment_correlation(stereo[:, 0], callee_audio.samples) > 0.85
    assert best_correlation(stereo[:, 1], bot_audio.samples) > 0.95
