"""Prometheus metrics and the health endpoint of `dialer run`, served on 127.0.0.1 only.

GET /metrics   Prometheus text format (this daemon's own registry, no process-global state)
GET /healthz   200 {"status": "ok", ...} while claiming; 503 while starting or draining
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from dialer.session.report import SessionReport, turn_parts

log = logging.getLogger(__name__)

TURN_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._speech: _SpeechCollector | None = None
        r = self.registry
        self.calls_live = Gauge("dialer_calls_live", "calls dialled and not yet ended", registry=r)
        self.attempts = Counter(
            "dialer_attempts", "ended attempts by disposition", ["disposition"], registry=r
        )
        self.turn_latency = Histogram(
            "dialer_turn_latency_seconds",
            "end of the callee's speech to the bot's first reply audio, per bot turn",
            buckets=TURN_BUCKETS,
            registry=r,
        )
        self.turn_part = Histogram(
            "dialer_turn_part_seconds",
            "where a reply's latency went: end_of_turn (waiting for the callee to finish), hearing (the "
            "decode), deciding (the dialogue) and rendering (synthesis), per bot turn that answered speech",
            ["part"],
            buckets=TURN_BUCKETS,
            registry=r,
        )
        self.opening = Histogram(
            "dialer_opening_seconds",
            "answer to the first audio of the opening",
            buckets=TURN_BUCKETS,
            registry=r,
        )
        self.asr_errors = Counter("dialer_asr_errors", "recognizer errors in call sessions", registry=r)
        self.tts_fallbacks = Counter(
            "dialer_tts_fallbacks", "prompts rendered by a fallback TTS engine", registry=r
        )
        self.claims = Counter("dialer_claims", "attempts claimed", registry=r)
        self.denials = Counter(
            "dialer_denials", "attempts denied at claim time, by rule", ["rule"], registry=r
        )
        self.lost_leases = Counter(
            "dialer_lost_leases", "results not recorded: the lease was gone", registry=r
        )
        self.worker_restarts = Gauge("dialer_worker_restarts", "call workers restarted", registry=r)
        self.reloads = Counter("dialer_reloads", "SIGHUP reloads of scripts and profiles", registry=r)
        self.trunk_failures = Counter(
            "dialer_trunk_failures", "placed calls the trunk failed (408, 5xx, no response)", registry=r
        )
        self.paused = Gauge(
            "dialer_campaign_paused",
            "1 for a campaign this daemon paused, with the reason an operator reads",
            ["campaign", "reason"],
            registry=r,
        )

    def watch_speech(self, stats: Callable[[], dict[str, Any] | None]) -> None:
        """Show the host speech engine's figures (`WorkerPool.speech_stats`), read at each scrape; a
        new pool's engine replaces the previous one's."""
        if self._speech is None:
            self._speech = _SpeechCollector(stats)
            self.registry.register(self._speech)
        self._speech.stats = stats

    def campaign_paused(self, campaign: str, reason: str) -> None:
        self.paused.labels(campaign=campaign, reason=reason[:160]).set(1)

    def observe_report(self, report: SessionReport | None) -> None:
        if report is None:
            return
        for turn in report.turns:
            if turn.speaker == "bot" and turn.latency_ms is not None:
                self.turn_latency.observe(turn.latency_ms / 1000)
            for part, value in turn_parts(turn).items():
                self.turn_part.labels(part=part).observe(value / 1000)
        if report.opening_ms is not None:
            self.opening.observe(report.opening_ms / 1000)
        if report.asr_errors:
            self.asr_errors.inc(report.asr_errors)
        if report.tts_fallbacks:
            self.tts_fallbacks.inc(report.tts_fallbacks)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _SpeechCollector:
    """The speech engine's queue depth and decode counters, asked from the engine when scraped."""

    def __init__(self, stats: Callable[[], dict[str, Any] | None]) -> None:
        self.stats = stats

    def describe(self) -> list[Any]:
        return []  # figures appear only on a host that runs an engine

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        stats = self.stats()
        if stats is None:
            return
        up = GaugeMetricFamily("dialer_speech_engine_up", "1 while the host's speech engine answers")
        up.add_metric([], 0.0 if stats.get("up") is False else 1.0)
        yield up
        restarts = CounterMetricFamily("dialer_speech_engine_restarts", "speech engine restarts")
        restarts.add_metric([], float(stats.get("restarts", 0)))
        yield restarts
        if stats.get("up") is False:
            return
        queued = GaugeMetricFamily(
            "dialer_speech_queue_depth", "decode requests waiting in the speech engine", labels=["kind"]
        )
        queued.add_metric(["end_of_turn"], float(stats["queued_end_of_turn"]))
        queued.add_metric(["speculative"], float(stats["queued_speculative"]))
        yield queued
        for name, key, doc in (
            ("dialer_speech_decodes", "decoded", "utterances the speech engine decoded"),
            ("dialer_speech_batches", "batches", "decode batches (several calls' utterances at once)"),
            ("dialer_speech_decode_seconds", "decode_seconds", "time spent decoding"),
            ("dialer_speech_end_of_turn_wait_seconds", "end_of_turn_wait_seconds", "end-of-turn queue wait"),
        ):
            family = CounterMetricFamily(name, doc)
            family.add_metric([], float(stats[key]))
            yield family
        dropped = CounterMetricFamily(
            "dialer_speech_dropped", "speculative decodes dropped, by reason", labels=["reason"]
        )
        for reason, count in sorted(stats["dropped"].items()):
            dropped.add_metric([reason], float(count))
        yield dropped


class MetricsServer:
    """A tiny HTTP server on its own thread; `health()` gives the /healthz body and whether it is ok."""

    def __init__(
        self, metrics: Metrics, health: Callable[[], tuple[bool, dict[str, Any]]], host: str, port: int
    ) -> None:
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError(f"the metrics endpoint serves loopback only, not {host!r}")
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] == "/metrics":
                    self._send(200, outer.metrics.render(), CONTENT_TYPE_LATEST)
                elif self.path.split("?")[0] == "/healthz":
                    ok, body = outer.health()
                    self._send(200 if ok else 503, json.dumps(body).encode(), "application/json")
                else:
                    self._send(404, b"not found\n", "text/plain")

            def _send(self, code: int, body: bytes, ctype: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return  # scrapes are not worth a log line each

        self.metrics, self.health = metrics, health
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()
        log.info("metrics and health on http://127.0.0.1:%d/metrics and /healthz", self.port)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
