"""The speech engine's figures on /metrics: read from the engine at each scrape."""

from __future__ import annotations

from typing import Any

from dialer.supervisor.metrics import Metrics

STATS: dict[str, Any] = {
    "queued_end_of_turn": 2,
    "queued_speculative": 1,
    "decoded": 40,
    "batches": 31,
    "decode_seconds": 3.5,
    "end_of_turn_wait_seconds": 0.75,
    "dropped": {"busy": 3, "superseded": 5},
    "restarts": 1,
}


def test_the_engine_figures_are_scraped() -> None:
    metrics = Metrics()
    answers: list[dict[str, Any] | None] = [dict(STATS)]
    metrics.watch_speech(lambda: answers[-1])
    text = metrics.render().decode()
    assert 'dialer_speech_queue_depth{kind="end_of_turn"} 2.0' in text
    assert "dialer_speech_decode_seconds_total 3.5" in text
    assert 'dialer_speech_dropped_total{reason="busy"} 3.0' in text
    assert "dialer_speech_engine_restarts_total 1.0" in text
    assert "dialer_speech_engine_up 1.0" in text
    answers.append({"up": False, "restarts": 2})  # the engine does not answer (restarting)
    metrics.watch_speech(lambda: answers[-1])  # a new pool: still one set of figures
    text = metrics.render().decode()
    assert "dialer_speech_engine_up 0.0" in text and "dialer_speech_queue_depth" not in text
    assert text.count("# TYPE dialer_speech_engine_up gauge") == 1


def test_no_engine_no_figures() -> None:
    metrics = Metrics()
    metrics.watch_speech(lambda: None)
    assert "dialer_speech" not in metrics.render().decode()
