"""Turn latency on the wire, from a simulated callee's event log.

A turn is the gap between the callee's `speak_stop` (its last sample left) and the next `heard_bot_start`
(the bot's first loud frame arrived). It includes the network path, both jitter buffers, the dialer's
endpointing, ASR, policy and TTS: exactly what a person on the phone waits through.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def turn_latencies(events: Iterable[Mapping[str, Any]]) -> list[float]:
    """Seconds from each `speak_stop` to the following `heard_bot_start` (unanswered turns are skipped)."""
    latencies: list[float] = []
    stopped: float | None = None
    for event in events:
        kind = event.get("event")
        if kind == "speak_stop":
            stopped = float(event["wall"])
        elif kind == "heard_bot_start" and stopped is not None:
            latencies.append(float(event["wall"]) - stopped)
            stopped = None
        elif kind == "speak_start":
            stopped = None  # the callee spoke again before the bot answered
    return latencies


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
