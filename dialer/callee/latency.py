"""Turn latency on the wire, from a simulated callee's event log.

A turn is the gap between the end of the callee's speech and the next `heard_bot_start` (the bot's first
loud frame arrived). The speech ends at `speak_stop` (its last sample left) less the utterance's trailing
silence (`trailing_s` of its `speak_start`: espeak-ng ends every utterance with ~0.4 s of it). It
includes the network path, both jitter buffers, the dialer's endpointing, ASR, policy and TTS: exactly what
a person on the phone waits through.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def turn_latencies(events: Iterable[Mapping[str, Any]]) -> list[float]:
    """Seconds from the end of each callee utterance's speech to the following `heard_bot_start`
    (unanswered turns are skipped)."""
    latencies: list[float] = []
    stopped: float | None = None
    tail = 0.0
    for event in events:
        kind = event.get("event")
        if kind == "speak_stop":
            stopped = float(event["wall"]) - tail
        elif kind == "heard_bot_start" and stopped is not None:
            latencies.append(float(event["wall"]) - stopped)
            stopped = None
        elif kind == "speak_start":
            stopped = None  # the callee spoke again before the bot answered
            tail = float(event.get("trailing_s") or 0.0)
    return latencies


def barge_in_stops(events: Iterable[Mapping[str, Any]]) -> list[float]:
    """Seconds from each barge-in (`speak_start` with when=barge_in) to the bot's last loud frame before
    the pause that followed: how long the bot kept talking over the callee, as the callee heard it."""
    stops: list[float] = []
    started: float | None = None
    for event in events:
        kind = event.get("event")
        if kind == "speak_start" and event.get("when") == "barge_in":
            started = float(event["wall"])
        elif kind == "heard_bot_pause" and started is not None:
            stops.append(max(0.0, float(event.get("last_loud") or event["wall"]) - started))
            started = None
    return stops


STALL_SECONDS = 2.0  # a longer silence of the bot's, with the callee silent too, is a prompt for input


def reply_stalls(events: Iterable[Mapping[str, Any]]) -> list[float]:
    """Silences inside the bot's speech that the callee heard as a pause (`heard_bot_pause`, its pause_ms
    of quiet) and that the bot then broke itself within STALL_SECONDS while the callee said nothing: a
    reply that stopped mid-way and went on (a sentence still rendering). Seconds of each, from the last
    loud frame before the pause to the next `heard_bot_start`."""
    stalls: list[float] = []
    paused: float | None = None
    speaking = False  # the callee is talking: the bot's pauses and restarts then answer it
    for event in events:
        kind = event.get("event")
        if kind == "heard_bot_pause" and not speaking:
            paused = float(event.get("last_loud") or event["wall"])
        elif kind in ("speak_start", "speak_stop", "dtmf_sent"):
            paused = None  # the callee took its turn: what follows answers it
            speaking = kind == "speak_start"
        elif kind == "heard_bot_start" and paused is not None:
            gap = float(event["wall"]) - paused
            if gap < STALL_SECONDS:
                stalls.append(gap)
            paused = None
    return stalls


def opening_delay(events: Iterable[Mapping[str, Any]]) -> float | None:
    """Seconds from the answer to the first loud frame of the bot's opening (None: the bot never spoke)."""
    answered: float | None = None
    for event in events:
        kind = event.get("event")
        if kind == "answered":
            answered = float(event["wall"])
        elif kind == "heard_bot_start" and answered is not None:
            return float(event["wall"]) - answered
    return None


def summarize(log_dir: Path) -> dict[str, float | int]:
    """Turn latency figures over every `call-*-events.json` in `log_dir` and its persona folders."""
    values: list[float] = []
    for path in sorted(log_dir.rglob("call-*-events.json")):
        values += turn_latencies(json.loads(path.read_text())["events"])
    if not values:
        return {"turns": 0}
    ordered = sorted(values)
    return {
        "turns": len(values),
        "median_s": round(statistics.median(values), 3),
        "p90_s": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))], 3),
        "max_s": round(ordered[-1], 3),
    }
