"""`dialer callee` against the engine and `dialer call`: outcomes, turns, DTMF, barge-in."""

from __future__ import annotations

import contextlib
import json
import queue
import sys
import time
import uuid
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dialer.callee.persona import PersonaError, load_persona
from dialer.callee.synth import speak
from dialer.sip.handlers import wait_answered
from dialer.sip.interfaces import CallRequest

from .conftest import Audio
from .peers import Procs, _wait_udp, best_correlation, port_block, segment_correlation
from .test_cli import dialer

PERSONAS = Path(__file__).resolve().parents[2] / "dialer" / "callee" / "personas"


def start_callee(procs: Procs, persona: Path, log_dir: Path, seconds: int = 60) -> int:
    port = port_block(1)
    rtp = port_block(12)
    procs.start(
        [
            sys.executable,
            "-m",
            "dialer.cli.main",
            "callee",
            "--listen",
            f"127.0.0.1:{port}",
            "--persona",
            str(persona),
            "--log-dir",
            str(log_dir),
            "--rtp-port",
            str(rtp),
        ],
        seconds=seconds,
        stderr=(log_dir.parent / f"callee-{port}.log").open("w"),
    )
    _wait_udp(port, timeout=20)
    return port


def events(log_dir: Path, n: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
    path = log_dir / f"call-{n:03d}-events.json"
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return list(json.loads(path.read_text())["events"])


def stereo(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)


def rms_frames(x: np.ndarray) -> np.ndarray:
    n = len(x) // 160
    return np.sqrt((x[: n * 160].astype(np.float64).reshape(n, 160) ** 2).mean(axis=1))


@pytest.mark.parametrize("name", sorted(p.name for p in PERSONAS.glob("*.yaml")))
def test_shipped_personas_load(name: str) -> None:
    persona = load_persona(PERSONAS / name)
    assert persona.name == name.removesuffix(".yaml")


def test_persona_errors_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("name: x\nreplies:\n  - {text: hi, wav: a.wav}\n")
    with pytest.raises(PersonaError, match=r"field 'replies.0'"):
        load_persona(bad)
    bad.write_text("name: x\nanswer: {reject: 200}\n")
    with pytest.raises(PersonaError, match=r"field 'answer.reject'"):
        load_persona(bad)


@pytest.mark.sip
def test_dialer_call_against_callee_records_both_sides(
    procs: Procs, tmp_path: Path, bot_audio: Audio
) -> None:
    logs = tmp_path / "callee"
    port = start_callee(procs, PERSONAS / "promises-friday.yaml", logs)
    profile = tmp_path / "p.yaml"
    profile.write_text(f"name: t\ndomain: 127.0.0.1:{port}\n")
    out_wav = tmp_path / "call.wav"
    out = dialer(
        "call",
        "+15551234567",
        "--profile",
        str(profile),
        "--play",
        str(bot_audio.wav),
        "--record",
        str(out_wav),
        "--seconds",
        "7",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["result"] == "answered"
    rec = stereo(out_wav)
    assert best_correlation(rec[:, 1], bot_audio.samples) > 0.95  # bot on the right
    reply = speak("Yes, speaking.", 8000)
    assert (
        segment_correlation(rec[:, 0], np.frombuffer(reply, dtype="<i2")) > 0.85
    )  # callee's reply on the left
    kinds = [e["event"] for e in events(logs)]
    assert kinds[:5] == ["incoming", "answered", "heard_bot_start", "heard_bot_pause", "speak_start"]
    heard = stereo(logs / "call-001-heard.wav")
    assert segment_correlation(heard[:, 0], bot_audio.samples) > 0.85  # the callee heard the bot


@pytest.mark.sip
@pytest.mark.parametrize(
    ("persona", "code", "disposition"),
    [("busy.yaml", 486, "busy"), ("vacant.yaml", 404, "vacant"), ("never-answers.yaml", 487, "no_answer")],
)
def test_callee_outcomes(
    pjsua_engine: Any, procs: Procs, tmp_path: Path, persona: str, code: int, disposition: str
) -> None:
    port = start_callee(procs, PERSONAS / persona, tmp_path / "logs")
    ring = 2.0 if disposition == "no_answer" else 20.0
    call = pjsua_engine.dial(CallRequest(uuid.uuid4().hex, f"sip:x@127.0.0.1:{port}", ring_timeout=ring))
    result = call.wait(25)
    assert result is not None
    assert (result.sip_code, result.result) == (code, disposition)
    if persona == "vacant.yaml":
        announcement = speak(load_persona(PERSONAS / persona).answer.early_media.say.text, 8000)  # type: ignore[union-attr]
        assert result.early_media_seconds > 3.0
        heard = np.frombuffer(result.early_media, dtype="<i2")
        assert segment_correlation(heard, np.frombuffer(announcement, dtype="<i2")) > 0.85


@pytest.mark.sip
def test_dtmf_both_ways_both_methods(pjsua_engine: Any, procs: Procs, tmp_path: Path) -> None:
    persona = tmp_path / "keys.yaml"
    persona.write_text(
        "name: keys\nanswer: {after: 0.2}\nhangup_after: 4\nhangup_at_end: false\n"
        "dtmf:\n  - {after: 0.6, digits: '4', method: rfc2833}\n  - {after: 1.4, digits: '*', method: info}\n"
    )
    logs = tmp_path / "logs"
    port = start_callee(procs, persona, logs)
    call = pjsua_engine.dial(CallRequest(uuid.uuid4().hex, f"sip:x@127.0.0.1:{port}"))
    assert wait_answered(call, 10)
    time.sleep(0.3)
    call.send_dtmf("12", "rfc2833")
    time.sleep(1.0)
    call.send_dtmf("#", "info")
    result = call.wait(15)
    assert result is not None and result.dtmf == "4*"
    heard = [e["digit"] for e in events(logs) if e["event"] == "dtmf_heard"]
    assert heard == ["1", "2", "#"]


@pytest.mark.sip
def test_barge_in_stops_bot_audio(pjsua_engine: Any, procs: Procs, tmp_path: Path, bot_audio: Audio) -> None:
    port = start_callee(procs, PERSONAS / "interrupts.yaml", tmp_path / "logs")
    record = tmp_path / "barge.wav"
    call = pjsua_engine.dial(
        CallRequest(uuid.uuid4().hex, f"sip:x@127.0.0.1:{port}", record_path=str(record))
    )
    assert wait_answered(call, 10)
    call.play(bot_audio.pcm * 3)
    cleared_with = 0.0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            frame = call.frames.get(timeout=0.2)
        except queue.Empty:
            continue
        if np.sqrt(np.mean(np.frombuffer(frame, dtype="<i2").astype(np.float64) ** 2)) > 300:
            cleared_with = call.playback_pending()
            call.clear_playback()
            break
    assert cleared_with > 2.0, "the callee never barged in while the bot was talking"
    assert call.playback_pending() == 0.0
    time.sleep(1.0)
    call.hangup()
    assert call.wait(10) is not None
    rec = stereo(record)
    left, right = rms_frames(rec[:, 0]), rms_frames(rec[:, 1])
    onset = int(np.argmax(left > 300))
    assert right[:onset].max() > 1000  # the bot was talking before the callee cut in
    assert right[onset + 10 :].max() < 50  # and silent within 200 ms of the callee's first word


@pytest.mark.sip
def test_wideband_g722_call_at_16khz(procs: Procs, tmp_path: Path, bot_audio: Audio) -> None:
    port = start_callee(procs, PERSONAS / "promises-friday.yaml", tmp_path / "logs")
    profile = tmp_path / "g722.yaml"
    profile.write_text(f"name: wb\ndomain: 127.0.0.1:{port}\ncodecs: [G722]\n")
    out_wav = tmp_path / "wb.wav"
    out = dialer(
        "call",
        f"sip:wb@127.0.0.1:{port}",
        "--profile",
        str(profile),
        "--play",
        str(bot_audio.wav),
        "--record",
        str(out_wav),
        "--seconds",
        "5",
        "--rate",
        "16000",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["answered"] is True
    with wave.open(str(out_wav)) as w:
        assert (w.getframerate(), w.getnchannels()) == (16000, 2)
    rec = stereo(out_wav)
    heard_8k = stereo(tmp_path / "logs" / "call-001-heard.wav")[:, 0]
    assert segment_correlation(heard_8k, bot_audio.samples) > 0.85  # bot audio survived G722 both ways
    assert np.abs(rec[:, 0]).max() > 1000  # the callee's reply came back
    answered = next(e for e in events(tmp_path / "logs") if e["event"] == "answered")
    assert answered["codec"] == "G722/16000"


def _tone_frames(x: np.ndarray, hz: float, rate: int = 8000) -> np.ndarray:
    """Per 20 ms frame: the share of energy at `hz` (a beep detector good enough for a test)."""
    n = len(x) // 160
    frames = x[: n * 160].astype(np.float64).reshape(n, 160)
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(160), axis=1)) ** 2
    k = round(hz * 160 / rate)
    return spectrum[:, k - 1 : k + 2].sum(axis=1) / (spectrum.sum(axis=1) + 1e-9)


@pytest.mark.sip
def test_voicemail_persona_greets_at_once_then_beeps(pjsua_engine: Any, procs: Procs, tmp_path: Path) -> None:
    port = start_callee(procs, PERSONAS / "voicemail.yaml", tmp_path / "logs")
    call = pjsua_engine.dial(CallRequest(uuid.uuid4().hex, f"sip:x@127.0.0.1:{port}"))
    assert wait_answered(call, 10)
    frames: list[bytes] = []
    deadline = time.monotonic() + 12
    while time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            frames.append(call.frames.get(timeout=0.2))
    call.hangup()
    assert call.wait(10) is not None
    x = np.frombuffer(b"".join(frames), dtype="<i2")
    speech = rms_frames(x) > 300
    beep = (_tone_frames(x, 1000) > 0.8) & speech
    first_speech, first_beep = int(np.argmax(speech)), int(np.argmax(beep))
    assert first_speech * 0.02 < 1.0  # the greeting starts at once, before the bot says anything
    assert beep.sum() >= 15  # a beep of about half a second
    assert first_beep * 0.02 > 4.0  # after the greeting
    assert not speech[first_beep + 30 :].any()  # then the machine listens in silence


@pytest.mark.sip
def test_says_stop_persona_speaks_presses_9_and_hangs_up(
    pjsua_engine: Any, procs: Procs, tmp_path: Path, bot_audio: Audio
) -> None:
    logs = tmp_path / "logs"
    port = start_callee(procs, PERSONAS / "says-stop.yaml", logs)
    call = pjsua_engine.dial(CallRequest(uuid.uuid4().hex, f"sip:x@127.0.0.1:{port}"))
    assert wait_answered(call, 10)
    call.play(bot_audio.pcm)
    result = call.wait(20)  # the callee hangs up at the end of its persona
    assert result is not None and result.answered
    assert result.dtmf == "9"
    kinds = [e["event"] for e in events(logs)]
    assert kinds.index("heard_bot_pause") < kinds.index("speak_start") < kinds.index("dtmf_sent")
    hangup = next(e for e in events(logs) if e["event"] == "hangup")
    assert hangup["why"] == "end_of_persona"


def test_turn_latency_from_the_event_log(tmp_path: Path) -> None:
    from dialer.callee.latency import summarize, turn_latencies

    events = [
        {"event": "answered", "wall": 100.0},
        {"event": "heard_bot_start", "wall": 100.4},  # the opening: not a turn
        {"event": "speak_start", "wall": 103.0},
        {"event": "speak_stop", "wall": 104.0},
        {"event": "heard_bot_start", "wall": 104.9},  # 0.9 s turn
        {"event": "speak_start", "wall": 107.0},
        {"event": "speak_stop", "wall": 108.0},
        {"event": "speak_start", "wall": 109.0},  # spoke again: the previous turn does not count
        {"event": "speak_stop", "wall": 110.0},
        {"event": "heard_bot_start", "wall": 111.5},  # 1.5 s turn
    ]
    assert [round(x, 3) for x in turn_latencies(events)] == [0.9, 1.5]
    (tmp_path / "call-001-events.json").write_text(json.dumps({"events": events}))
    assert summarize(tmp_path) == {"turns": 2, "median_s": 1.2, "p90_s": 1.5, "max_s": 1.5}


def test_a_reply_that_stops_mid_way_and_goes_on_is_a_stall() -> None:
    from dialer.callee.latency import reply_stalls

    events = [
        {"event": "answered", "wall": 100.0},
        {"event": "heard_bot_start", "wall": 100.4},
        {"event": "heard_bot_pause", "wall": 103.0, "last_loud": 102.4},  # the opening ends
        {"event": "speak_start", "wall": 103.2},
        {"event": "speak_stop", "wall": 104.0},
        {"event": "heard_bot_start", "wall": 104.5},  # the reply: an answer, not a stall
        {"event": "heard_bot_pause", "wall": 105.3, "last_loud": 104.7},  # its head ended ...
        {"event": "heard_bot_start", "wall": 105.6},  # ... and the rest came 0.9 s later: a stall
        {"event": "heard_bot_pause", "wall": 107.0, "last_loud": 106.4},
        {"event": "heard_bot_start", "wall": 112.0},  # a reprompt after 5.6 s of silence: not a stall
        {"event": "heard_bot_pause", "wall": 113.0, "last_loud": 112.4},
        {"event": "dtmf_sent", "wall": 113.1, "digits": "1"},
        {"event": "heard_bot_start", "wall": 113.5},  # answers the key press
        {"event": "speak_start", "wall": 114.0, "when": "barge_in"},
        {"event": "heard_bot_pause", "wall": 114.7, "last_loud": 114.1},  # paused for the callee ...
        {"event": "heard_bot_start", "wall": 115.0},  # ... and went on while they talked: no stall
        {"event": "speak_stop", "wall": 115.5},
    ]
    assert [round(x, 3) for x in reply_stalls(events)] == [0.9]
