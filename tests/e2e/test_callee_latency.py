"""Figures from a simulated callee's event log: turn latency, barge-in stop time, opening delay."""

from __future__ import annotations

import json
from pathlib import Path

from dialer.callee.latency import barge_in_stops, opening_delay, summarize, turn_latencies
from dialer.callee.runner import trailing_silence
from dialer.callee.synth import speak, tone

LOG = [
    {"event": "incoming", "wall": 100.0},
    {"event": "answered", "wall": 101.0},
    {"event": "heard_bot_start", "wall": 101.9},
    {"event": "speak_start", "wall": 102.9, "when": "barge_in"},
    {"event": "heard_bot_pause", "wall": 103.8, "last_loud": 103.05},
    {"event": "speak_stop", "wall": 104.0},
    {"event": "heard_bot_start", "wall": 104.45},
    {"event": "heard_bot_pause", "wall": 107.0, "last_loud": 106.4},
    {"event": "speak_start", "wall": 107.1, "when": "pause", "trailing_s": 0.35},
    {"event": "speak_stop", "wall": 108.0},
    {"event": "heard_bot_start", "wall": 108.6},
    {"event": "speak_start", "wall": 109.0, "when": "pause"},
    {"event": "speak_stop", "wall": 110.0},  # the bot never answered this one
]


def test_turns_barge_ins_and_opening() -> None:
    assert [round(x, 3) for x in turn_latencies(LOG)] == [0.45, 0.95]  # the second less 0.35 s of silence
    assert [round(x, 3) for x in barge_in_stops(LOG)] == [0.15]
    assert opening_delay(LOG) is not None and round(opening_delay(LOG) or 0, 3) == 0.9
    assert opening_delay(LOG[:2]) is None


def test_summary_reads_persona_folders(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "call-001-events.json").write_text(json.dumps({"events": LOG}))
    (tmp_path / "call-001-events.json").write_text(json.dumps({"events": LOG[:7]}))
    assert summarize(tmp_path)["turns"] == 3
    assert summarize(tmp_path / "empty") == {"turns": 0}


def test_trailing_silence_of_speech_and_tone() -> None:
    speech = speak("Yes, speaking.", 8000)
    tail = trailing_silence(speech, 8000, 300.0)
    assert 0.1 < tail < 0.8  # espeak-ng pads its audio after the last word
    assert trailing_silence(speech + bytes(1600), 8000, 300.0) - tail > 0.09  # 0.1 s more of silence
    assert trailing_silence(tone(1000, 0.5, 8000), 8000, 300.0) == 0.0
    assert trailing_silence(bytes(8000), 8000, 300.0) == 0.5  # nothing loud at all
