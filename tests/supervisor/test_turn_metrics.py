"""Turn latency on /metrics, and where it went: one histogram per part of a reply's latency."""

from __future__ import annotations

from dialer.session.report import SessionReport, TurnReport
from dialer.supervisor.metrics import Metrics


def test_the_parts_of_a_reply_latency_are_observed_per_part() -> None:
    report = SessionReport(
        "promise_to_pay",
        turns=(
            TurnReport(0, "bot", "Hello.", 0.8, 2.0),  # the opening: no latency, no parts
            TurnReport(1, "callee", "yes", 2.5, 3.0),
            TurnReport(
                2,
                "bot",
                "Thanks.",
                3.45,
                4.0,
                latency_ms=450,
                end_of_turn_ms=300,
                hearing_ms=90,
                deciding_ms=20,
                rendering_ms=40,
            ),
            TurnReport(3, "bot", "Pressed.", 5.0, 5.5, latency_ms=40),  # a key press: no parts
        ),
    )
    metrics = Metrics()
    metrics.observe_report(report)
    text = metrics.render().decode()
    assert "dialer_turn_latency_seconds_count 2.0" in text
    assert 'dialer_turn_part_seconds_count{part="end_of_turn"} 1.0' in text
    assert 'dialer_turn_part_seconds_bucket{le="0.3",part="end_of_turn"} 1.0' in text
    assert 'dialer_turn_part_seconds_bucket{le="0.2",part="end_of_turn"} 0.0' in text
    assert 'dialer_turn_part_seconds_bucket{le="0.1",part="hearing"} 1.0' in text
    assert 'dialer_turn_part_seconds_sum{part="deciding"} 0.02' in text
    assert 'dialer_turn_part_seconds_sum{part="rendering"} 0.04' in text
