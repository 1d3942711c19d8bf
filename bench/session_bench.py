"""Call session: turn latency, barge-in stop time and time to the opening, on a real SIP path.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/session_bench.py [--rounds N] [--tts espeak] [--asr whisper]

One call worker (pjsua2) runs `SessionHandler` with the configured recognizer and synthesizer and the
embedded reminder-en script; `dialer callee` plays the promises-friday and interrupts personas on
127.0.0.1 (one call of each per round, both at once). Figures come from two clocks:

* on the wire, from the callee's event log (`dialer.callee.latency`): end of the callee's speech (its
  `turn_latencies` already takes espeak-ng's trailing silence off, so it is not taken off here again) to
  the first loud frame of the bot's reply; callee's first word of a barge-in to the bot's last loud
  frame; answer to the first loud frame of the opening;
* in the session, from its report: end of speech to the reply's first frame out (`latency_ms`),
  callee speech start to `clear_playback()` (`barge_in_stop_ms`), answer to the opening (`opening_ms`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dialer.callee.latency import barge_in_stops, opening_delay, turn_latencies
from dialer.callee.ports import wait_udp_bound
from dialer.session.report import SessionReport
from dialer.session.spec import SessionSpec
from dialer.settings import load_settings
from dialer.sip.interfaces import CallRequest
from dialer.sip.workers import WorkerPool
from sip_config.loader import parse_profile

ROOT = Path(__file__).resolve().parents[1]
PERSONAS = ("promises-friday", "interrupts")
WORKER_SIP, WORKER_RTP = 15050, 31000
CALLEE_SIP, CALLEE_RTP = 15060, 31400


def _spec(n: int) -> SessionSpec:
    import datetime as dt
    from decimal import Decimal

    return SessionSpec(
        attempt_id=n,
        script="reminder-en",
        language="en",
        company="Northwind Services",
        agent_name="Maria Lopez",
        first_name="John",
        amount_due=Decimal("120.50"),
        currency="USD",
        due_date=dt.date(2026, 11, 15),
        callback_number="555-0100",
        time_zone="America/New_York",
        max_seconds=90,
    )


def _wait_udp(port: int, timeout: float = 20.0) -> None:
    if not wait_udp_bound(port, timeout):
        raise SystemExit(f"the callee did not bind UDP {port}")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _print_turns(console: Console, report: SessionReport) -> None:
    for t in report.turns:
        latency = "" if t.latency_ms is None else f"{t.latency_ms:5d} ms"
        console.print(f"  {t.start_s:7.2f} {t.speaker:6s} {latency:8s} {t.text[:60]}", markup=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tts", default="espeak", help="TTS chain, comma-separated (edge,piper,espeak)")
    parser.add_argument("--asr", default="whisper")
    parser.add_argument("--end-of-turn", default="adaptive", choices=("adaptive", "fixed"))
    parser.add_argument("--turns", action="store_true", help="print every call's turns and latencies")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tmp = Path(tempfile.mkdtemp(prefix="session-bench-"))
    settings = load_settings(
        config=None,
        environ={
            "DIALER_DATA_DIR": str(tmp / "data"),
            "DIALER_VOICE__TTS_ENGINES": args.tts,
            "DIALER_VOICE__ASR_ENGINE": args.asr,
            "DIALER_VOICE__END_OF_TURN": args.end_of_turn,
            "DIALER_DIALOGUE__SCRIPTS_DIR": str(ROOT / "scripts"),
            "DIALER_SIP__WORKERS": "1",
            "DIALER_SIP__BASE_SIP_PORT": str(WORKER_SIP),
            "DIALER_SIP__BASE_RTP_PORT": str(WORKER_RTP),
        },
    )
    procs: list[subprocess.Popen[bytes]] = []
    uris = {}
    for i, name in enumerate(PERSONAS):
        port = CALLEE_SIP + i
        cmd = [sys.executable, "-m", "dialer.cli.main", "callee", "--listen", f"127.0.0.1:{port}"]
        cmd += ["--persona", str(ROOT / "dialer" / "callee" / "personas" / f"{name}.yaml")]
        cmd += ["--log-dir", str(tmp / "callee" / name), "--rtp-port", str(CALLEE_RTP + 40 * i)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        uris[name] = f"sip:+1555010{i:04d}@127.0.0.1:{port}"
    reports: list[SessionReport] = []
    console = Console()
    try:
        for i in range(len(PERSONAS)):
            _wait_udp(CALLEE_SIP + i)
        profile = parse_profile((ROOT / "sip_config" / "examples" / "loopback.yaml").read_text())
        handler = "dialer.session.handler:SessionHandler"
        with WorkerPool.from_settings(settings.sip, profile, handler, settings) as pool:
            n = 0
            for r in range(args.rounds):
                futures = []
                for name in PERSONAS:
                    n += 1
                    request = CallRequest(f"b{n}", uris[name], ring_timeout=20, options=_spec(n).options())
                    futures.append(pool.submit(request))
                for future in futures:
                    result = future.result(timeout=180)
                    if isinstance(result.session, SessionReport):
                        reports.append(result.session)
                        if args.turns:
                            _print_turns(console, result.session)
                console.print(f"round {r + 1}/{args.rounds} done")
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
    wire_turns: list[float] = []
    wire_barge: list[float] = []
    wire_open: list[float] = []
    for path in sorted((tmp / "callee").rglob("call-*-events.json")):
        events = json.loads(path.read_text())["events"]
        wire_turns += turn_latencies(events)
        wire_barge += barge_in_stops(events)
        delay = opening_delay(events)
        if delay is not None:
            wire_open.append(delay)
    ms = 1000.0
    rows = {
        "turn latency, wire (end of speech)": [x * ms for x in wire_turns],
        "turn latency, session": [float(t.latency_ms) for r in reports for t in r.turns if t.latency_ms],
        "barge-in stop, wire": [x * ms for x in wire_barge],
        "barge-in stop, session": [float(x) for r in reports for x in r.barge_in_stop_ms],
        "answer to opening, wire": [x * ms for x in wire_open],
        "answer to opening, session": [float(r.opening_ms) for r in reports if r.opening_ms is not None],
    }
    table = Table(title=f"call session, {len(reports)} calls ({args.asr}, tts {args.tts})")
    for column in ("figure (ms)", "n", "p50", "p95", "max"):
        table.add_column(column, justify="right" if column != "figure (ms)" else "left")
    for label, values in rows.items():
        if values:
            cells = [f"{statistics.median(values):.0f}", f"{_pct(values, 0.95):.0f}", f"{max(values):.0f}"]
            table.add_row(label, str(len(values)), *cells)
        else:
            table.add_row(label, "0", "-", "-", "-")
    console.print(table)
    dispositions = [r.disposition for r in reports]
    console.print(f"dispositions: {dispositions}; TTS fallbacks: {sum(r.tts_fallbacks for r in reports)}")
    console.print(f"logs: {tmp}")


if __name__ == "__main__":
    main()
