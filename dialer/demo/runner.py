"""Runs the demo: seed the folder, start the simulated callees, run the daemon until idle, collect results.

The callees and the daemon run as child processes (`dialer callee`, `dialer run --until-idle`): pjsua2 is
one library per process, and the demo then exercises exactly what an operator starts. Children get their
own process group and are stopped by it, so no worker outlives the demo.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dialer.callee.latency import barge_in_stops, opening_delay, turn_latencies
from dialer.callee.ports import port_free, wait_udp_bound
from dialer.demo.cast import CAST, PERSONAS_DIR, CastMember, account_ref, cast_for
from dialer.demo.regions import CANDIDATES, NoOpenRegion, Region, RegionChoice, choose_region
from dialer.demo.seed import CAMPAIGN, DemoError, Layout, Ports, seed

RUN_TIMEOUT = 900.0  # seconds the daemon may take before the demo gives up on it


@dataclass(frozen=True)
class PersonaResult:
    persona: str
    expected: str
    actual: str  # the disposition recorded ("" when the attempt never ended)
    attempts: int  # dialled (a retry the planner queued for later is not one)
    retries_queued: int = 0
    does: str = ""  # what the persona does, in words
    turn_latency_s: tuple[float, ...] = ()
    barge_in_stop_s: tuple[float, ...] = ()
    opening_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.actual == self.expected

    def as_json(self) -> dict[str, Any]:
        return {
            "does": self.does,
            "expected": self.expected,
            "actual": self.actual or None,
            "ok": self.ok,
            "attempts": self.attempts,
            "retries_queued": self.retries_queued,
            "turn_latency_ms": [round(x * 1000) for x in self.turn_latency_s],
            "barge_in_stop_ms": [round(x * 1000) for x in self.barge_in_stop_s],
            "opening_ms": round(self.opening_s * 1000) if self.opening_s is not None else None,
        }


@dataclass(frozen=True)
class DemoResult:
    layout: Layout
    choice: RegionChoice
    started: dt.datetime
    seconds: float
    personas: tuple[PersonaResult, ...]
    run_summary: dict[str, Any] = field(default_factory=dict)
    language: str = "en"

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.personas)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dir": str(self.layout.root),
            "campaign": CAMPAIGN,
            "language": self.language,
            "region": self.choice.region.label,
            "region_why": self.choice.explain(self.started),
            "seconds": round(self.seconds, 1),
            "personas": {p.persona: p.as_json() for p in self.personas},
            "run": self.run_summary,
        }


def child_env() -> dict[str, str]:
    """The demo's children read only the demo's dialer.toml: no DIALER_* from the caller, no model hub."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIALER_")}
    env["HF_HUB_OFFLINE"] = "1"
    return env


def dialer_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "dialer.cli.main", *args]


def check_ports(ports: Ports, workers: int = 1) -> None:
    wanted = [ports.callee, *range(ports.workers_sip, ports.workers_sip + workers)]
    taken = [p for p in wanted if not port_free(p)]
    if taken:
        raise DemoError(f"UDP port {taken[0]} is in use: pass --sip-port with another free base port")


@contextlib.contextmanager
def child(cmd: list[str], log: Path, out: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A child process in its own group, its log (stderr) in `log` and its output in `out` (else `log`);
    SIGTERM when the block ends, SIGKILL to the whole group 10 s later."""
    handle: IO[bytes] = log.open("wb")
    stdout: IO[bytes] = out.open("wb") if out is not None else handle
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=handle, env=child_env(), start_new_session=True)
    try:
        yield proc
    finally:
        for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # workers the daemon left behind
        handle.close()
        stdout.close()


def wait_bound(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 60.0) -> None:
    if wait_udp_bound(port, timeout, alive=lambda: proc.poll() is None):
        return
    if proc.poll() is not None:
        raise DemoError(f"the simulated callees did not start: {tail(log)}")
    raise DemoError(f"the simulated callees did not bind port {port} in {timeout:.0f} s: {tail(log)}")


def tail(path: Path, chars: int = 800) -> str:
    try:
        return path.read_text(errors="replace")[-chars:].strip()
    except OSError:
        return "(no log)"


def attempts_by_persona(
    layout: Layout, cast: tuple[CastMember, ...] = CAST
) -> dict[str, list[dict[str, Any]]]:
    """Each cast member's attempts, oldest first, from the ledger."""
    from dialer.settings import load_settings
    from scheduler.console_records import RecordQueries
    from scheduler.db import create_engine

    settings = load_settings(layout.config, environ={})
    engine = create_engine(settings.database_url)
    try:
        queries = RecordQueries(engine)
        calls = queries.calls(queries.campaign_id(CAMPAIGN), limit=10_000)
    finally:
        engine.dispose()
    refs = {account_ref(role): role.persona for role in cast}
    out: dict[str, list[dict[str, Any]]] = {role.persona: [] for role in cast}
    for call in sorted(calls, key=lambda c: c["id"]):
        persona = refs.get(call["account_ref"])
        if persona is not None:
            out[persona].append(call)
    return out


def count_done(layout: Layout, cast: tuple[CastMember, ...] = CAST) -> int:
    return sum(
        1 for calls in attempts_by_persona(layout, cast).values() if any(c["disposition"] for c in calls)
    )


def callee_events(layout: Layout, persona: str) -> list[list[dict[str, Any]]]:
    folder = layout.callee_logs / persona
    return [json.loads(p.read_text())["events"] for p in sorted(folder.glob("call-*-events.json"))]


def collect(layout: Layout, cast: tuple[CastMember, ...] = CAST) -> tuple[PersonaResult, ...]:
    attempts = attempts_by_persona(layout, cast)
    results = []
    for role in cast:
        mine = attempts[role.persona]
        ended = [a for a in mine if a["disposition"]]
        logs = callee_events(layout, role.persona)
        opening = [x for x in (opening_delay(e) for e in logs) if x is not None]
        results.append(
            PersonaResult(
                persona=role.persona,
                expected=role.expected,
                does=role.why,
                actual=str(ended[-1]["disposition"]) if ended else "",
                attempts=sum(1 for a in mine if a["dialing_at"] is not None or a["disposition"]),
                retries_queued=sum(1 for a in mine if a["state"] == "queued"),
                turn_latency_s=tuple(x for e in logs for x in turn_latencies(e)),
                barge_in_stop_s=tuple(x for e in logs for x in barge_in_stops(e)),
                opening_s=opening[0] if opening else None,
            )
        )
    return tuple(results)


def run_demo(
    root: Path,
    *,
    keep: bool = False,
    ports: Ports = Ports(),
    ring_timeout: int = 15,
    timeout: float = RUN_TIMEOUT,
    on_progress: Callable[[int, int], None] | None = None,
    on_seeded: Callable[[str], None] | None = None,
    now: dt.datetime | None = None,
    language: str = "en",
) -> DemoResult:
    """The whole demo; DemoError when it cannot run (the message says why), else the per-persona result.
    `language` "zh": the Chinese personas with the reminder-zh script (a Chinese region first)."""
    from scheduler.policy import load_profiles

    started = now or dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    cast = cast_for(language)
    try:
        choice = choose_region(load_profiles(), started, _regions(language))
    except NoOpenRegion as exc:
        raise DemoError(str(exc)) from exc
    check_ports(ports)
    layout = seed(
        root,
        choice.region,
        ports,
        started,
        keep=keep,
        ring_timeout=ring_timeout,
        cast=cast,
        language=language,
    )
    if on_seeded is not None:
        on_seeded(f"{choice.explain(started)}\n{len(cast)} debtors in campaign {CAMPAIGN!r} at {layout.root}")
    callee = dialer_cmd(
        "callee",
        *("--personas", str(PERSONAS_DIR), "--routes", str(layout.routes)),
        *("--listen", f"127.0.0.1:{ports.callee}", "--log-dir", str(layout.callee_logs)),
        *("--rtp-port", str(ports.rtp)),
    )
    daemon = dialer_cmd("--config", str(layout.config), "run", "--until-idle", "--json")
    run_log = layout.root / "run.log"
    summary: dict[str, Any] = {}
    with child(callee, layout.root / "callee.log") as callees:
        wait_bound(callees, ports.callee, layout.root / "callee.log")
        out_path = layout.root / "run-summary.json"
        with child(daemon, run_log, out_path) as proc:
            deadline = time.monotonic() + timeout
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    raise DemoError(f"the daemon did not finish in {timeout:.0f} s; see {run_log}")
                if on_progress is not None:
                    with contextlib.suppress(Exception):  # the database may be busy: next tick
                        on_progress(count_done(layout, cast), len(cast))
                time.sleep(1.0)
            if proc.returncode != 0:
                raise DemoError(f"`dialer run --until-idle` failed (exit {proc.returncode}): {tail(run_log)}")
        summary = _last_json(out_path)
    personas = collect(layout, cast)
    result = DemoResult(layout, choice, started, time.monotonic() - clock, personas, summary, language)
    layout.summary.write_text(json.dumps(result.as_json(), indent=1))
    return result


def _regions(language: str) -> tuple[Region, ...]:
    """Chinese debtors are looked for in China first, then wherever a window is open."""
    if language != "zh":
        return CANDIDATES
    return tuple(sorted(CANDIDATES, key=lambda region: region.country != "CN"))


def _last_json(log: Path) -> dict[str, Any]:
    """The daemon's --json summary: the last line of its output that parses as an object."""
    for line in reversed(log.read_text(errors="replace").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                value = json.loads(line)
                if isinstance(value, dict):
                    return value
    return {}
