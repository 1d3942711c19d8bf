"""The product's headline figures, measured on the wire at the simulated callee.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/e2e_bench.py [--levels 2,4,8] [--calls 8] [--out DIR]
        [--speech-engine auto|host|local] [--end-of-turn adaptive|fixed] [--mix reminders|barge-in] [--quick]

For each concurrency level N, N reminder calls run at once: real call workers (pjsua2, `SessionHandler`:
VAD -> faster-whisper tiny.en -> the embedded reminder-en dialogue -> piper/espeak-ng TTS) dial simulated
callees (`dialer callee --personas --routes`, one process per 4 calls: the pjsua2 wheel's cap) over loopback
SIP/RTP. The callees' event logs give, per level:

- turn latency: end of the callee's speech -> first loud frame of the bot's reply (p50, p95);
- barge-in stop: the callee starts talking over the bot -> the bot's last loud frame (p50, p95); the
  session's own share (first voiced frame -> outbound queue cleared, its audio clock) next to it;
- false barge-ins: prompts cut for good by a cough, a click or the bot's own echo (`--mix barge-in`);
- opening: answer -> first loud frame of the opening (p50, p95);
- stalls: replies that stopped mid-way long enough for the callee to hear a pause (600 ms) and went on
  by themselves (a sentence still rendering behind the one that played);
- replies cut by a stall: bot turns cut by the callee beyond the barge-ins the personas make on purpose.
  A calm callee answers after 600 ms of the bot's silence, so a reply that stalled that long mid-way is
  taken for finished and cut (the debt-collector notice is then said again); the stall count above
  cannot see these, as the callee spoke into the silence;
- the bot side of each turn on the session's clock, split into its parts (waiting for the end of the
  turn, hearing, deciding, rendering), and what the slowest tenth of the turns is made of; per call and
  reply in `calls.json`;
- media: the largest gap between received 20 ms frames on either side; a gap over 100 ms (five frame
  times) counts as dropped frames: the media clock thread was starved.

`--speech-engine host` has every worker's Whisper decodes done by the host's one speech engine
(`voice.speech_engine`), `local` gives each worker its own model (as before there was an engine); the
engine's queue and decode figures are printed per level. `--quick` runs one round of N calls per level.
`--mix barge-in` dials the barge-in callees of `bench/barge_personas.py` instead of the reminder mix: one
talks over every prompt, three only cough, click or echo the bot (`--calls 4 --levels 2` hears each once).

The headline is the largest N whose p95 turn latency is under 1 s with no dropped frame (every level asked
for is run). One warm-up call first (not counted) loads the models and renders the script's fixed
prompts into the shared render cache, as on a running host; names and amounts differ per call, so their
sentences are rendered during the calls. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.barge_personas import BARGE_MIX, NOISY, noise_bursts, write_personas  # noqa: E402
from dialer.callee.latency import barge_in_stops, opening_delay, reply_stalls, turn_latencies  # noqa: E402
from dialer.callee.ports import wait_udp_bound  # noqa: E402
from dialer.callee.routes import dump_routes  # noqa: E402
from dialer.demo.cast import PERSONAS_DIR  # noqa: E402
from dialer.demo.seed import SCRIPTS_DIR  # noqa: E402
from dialer.session.report import TURN_PARTS, turn_parts  # noqa: E402

MIX = ("promises-friday", "interrupts", "already-paid", "callback")  # conversations, one with barge-in
CALLS_PER_PROCESS = 4
GAP_LIMIT_MS = 100.0  # five frame times without a frame: counted as dropped (a late frame is not)
P95_LIMIT_S = 1.0


@dataclass
class Level:
    n: int
    seconds: float = 0.0
    turns: list[float] = field(default_factory=list)
    barge: list[float] = field(default_factory=list)
    barge_session_ms: list[int] = field(default_factory=list)  # first voiced frame -> queue cleared
    false_barge: int = 0  # barge-ins confirmed on calls where the callee never spoke over the bot
    noises: int = 0  # coughs, clicks, echoes played over the bot
    opening: list[float] = field(default_factory=list)
    stalls: list[float] = field(default_factory=list)  # replies that stopped mid-way, as the callee heard
    cut: int = 0  # bot turns the callees cut (calls without noises)
    barged: int = 0  # the callees' deliberate barge-ins (calls without noises)
    bot_turns_ms: list[int] = field(default_factory=list)  # as the session measured them (its own clock)
    # the same turns split where the time went (TurnReport.end_of_turn_ms...): (total, parts by name)
    bot_parts: list[tuple[int, dict[str, int]]] = field(default_factory=list)
    gap_callee_ms: float = 0.0
    gap_dialer_ms: float = 0.0
    dispositions: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    speech: dict[str, Any] | None = None  # the speech engine's figures at the end of the level

    @property
    def cut_by_stalls(self) -> int:
        """Bot turns cut beyond the deliberate barge-ins: a calm callee answered into a stalled reply."""
        return max(0, self.cut - self.barged)

    @property
    def dropped(self) -> bool:
        return max(self.gap_callee_ms, self.gap_dialer_ms) > GAP_LIMIT_MS

    @property
    def passes(self) -> bool:
        return bool(self.turns) and pct(self.turns, 95) < P95_LIMIT_S and not self.dropped and not self.failed


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ms(values: list[float], p: float) -> str:
    return "-" if not values else f"{pct(values, p) * 1000:.0f}"


def ms_of(values: list[int], p: float) -> str:
    return "-" if not values else f"{pct([v / 1000 for v in values], p) * 1000:.0f}"


def write_config(
    root: Path,
    sip_base: int,
    rtp_base: int,
    workers: int,
    cache: Path,
    speech_engine: str = "auto",
    end_of_turn: str = "adaptive",
) -> Path:
    config = root / "dialer.toml"
    profile = root / "loopback.yaml"
    profile.write_text(
        "name: bench\nmode: ip_auth\ndomain: 127.0.0.1:5060\ncodecs: [PCMU, PCMA]\n"
        'caller_id: "+15550100100"\nchannel_limit: 64\ncalls_per_second: 20\nring_timeout: 15\n'
    )
    config.write_text(
        f'data_dir = "."\n[sip]\nprofile = "{profile}"\nworkers = {workers}\ncalls_per_worker = 4\n'
        f"base_sip_port = {sip_base}\nbase_rtp_port = {rtp_base}\n"
        'handler = "dialer.session.handler:SessionHandler"\n'
        f'[voice]\nasr_engine = "whisper"\ntts_engines = ["piper", "espeak"]\ncache_dir = "{cache}"\n'
        f'speech_engine = "{speech_engine}"\nend_of_turn = "{end_of_turn}"\n'
        f'[dialogue]\nengine = "embedded"\nscripts_dir = "{SCRIPTS_DIR}"\n[metrics]\nport = 0\n'
    )
    return config


def start_callee(
    root: Path, index: int, port: int, rtp: int, numbers: dict[str, str], personas: Path = PERSONAS_DIR
) -> subprocess.Popen[bytes]:
    routes = root / f"routes-{index}.yaml"
    routes.write_text(dump_routes(numbers))
    log = (root / f"callee-{index}.log").open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIALER_")}
    cmd = [sys.executable, "-m", "dialer.cli.main", "callee", "--personas", str(personas)]
    cmd += ["--routes", str(routes), "--listen", f"127.0.0.1:{port}", "--rtp-port", str(rtp)]
    cmd += ["--log-dir", str(root / "callee" / str(index))]
    return subprocess.Popen(cmd, stdout=log, stderr=log, env=env, start_new_session=True)


def wait_bound(port: int, timeout: float = 60.0) -> None:
    if not wait_udp_bound(port, timeout):
        raise RuntimeError(f"callee on {port} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


NAMES = (
    "John",
    "Mary",
    "Robert",
    "Linda",
    "James",
    "Susan",
    "David",
    "Karen",
    "Paul",
    "Nancy",
    "Mark",
    "Lisa",
)


def spec(attempt: int) -> Any:
    """Each call its own name and amount, so the sentences that carry them are rendered during the call
    (the render cache only holds the script's fixed prompts after the warm-up)."""
    from dialer.session.spec import SessionSpec

    return SessionSpec(
        attempt_id=attempt,
        script="reminder-en",
        language="en",
        company="Northwind Services",
        agent_name="Maria",
        first_name=NAMES[attempt % len(NAMES)],
        amount_due=Decimal("100.00") + Decimal("7.35") * attempt,
        currency="USD",
        due_date=dt.date.today() - dt.timedelta(days=14),
        callback_number="+15550100100",
        time_zone="America/New_York",
        max_seconds=120,
    )


def run_level(
    n: int,
    root: Path,
    sip_base: int,
    rtp_base: int,
    cache: Path,
    first: int = 0,
    rounds: int = 1,
    speech_engine: str = "auto",
    end_of_turn: str = "adaptive",
    mix: tuple[str, ...] = MIX,
    personas: Path = PERSONAS_DIR,
) -> Level:
    from dialer.settings import load_settings
    from dialer.sip.interfaces import CallRequest
    from dialer.sip.workers import WorkerPool
    from sip_config.loader import load_profile

    level = Level(n)
    root.mkdir(parents=True)
    processes = math.ceil(n / CALLS_PER_PROCESS)
    config = write_config(root, sip_base + 20, rtp_base + 1000, processes, cache, speech_engine, end_of_turn)
    settings = load_settings(config, environ={"HF_HUB_OFFLINE": "1"})
    profile = load_profile(Path(settings.sip.profile))
    # slot i (a call of each round) goes to callee process i // 4; each slot has a number per persona, and
    # round r gives slot i the persona MIX[(r * n + i) % len(MIX)], so every level hears the whole mix
    slots = [{persona: f"+1212555{i:02d}{m:02d}" for m, persona in enumerate(mix)} for i in range(n)]
    callees = []
    results: list[tuple[str, Any]] = []
    try:
        for j in range(processes):
            mine = {
                number: persona
                for i, numbers in enumerate(slots)
                if i // CALLS_PER_PROCESS == j
                for persona, number in numbers.items()
            }
            callees.append(start_callee(root, j, sip_base + j, rtp_base + 200 * j, mine, personas))
        for j in range(processes):
            wait_bound(sip_base + j)
        pool = WorkerPool.from_settings(settings.sip, profile, settings.sip.handler, settings)
        pool.start(timeout=180)
        try:
            started = time.monotonic()
            for r in range(rounds):  # N at once, round after round
                who = [mix[(r * n + i) % len(mix)] for i in range(n)]
                futures = [
                    pool.submit(
                        CallRequest(
                            uuid.uuid4().hex,
                            f"sip:{slots[i][who[i]]}@127.0.0.1:{sip_base + i // CALLS_PER_PROCESS}",
                            ring_timeout=15,
                            max_duration=150,
                            options=spec(first + r * n + i + 1).options(),
                        )
                    )
                    for i in range(n)
                ]
                results += [(who[i], f.result(timeout=300)) for i, f in enumerate(futures)]
            level.seconds = time.monotonic() - started
            level.speech = pool.speech_stats()
        finally:
            pool.stop(timeout=30)
    finally:
        for proc in callees:
            stop(proc)
    calls = []
    for persona, result in results:
        turns = getattr(result.session, "turns", ())
        calls.append(
            {
                "persona": persona,
                "disposition": getattr(result.session, "disposition", "") or result.result,
                "barge_in_stop_ms": list(getattr(result.session, "barge_in_stop_ms", ())),
                "bot_turns_cut": sum(1 for t in turns if t.speaker == "bot" and t.barged_in),
                "replies": [  # each reply to speech: its latency on the session clock, and where it went
                    {"text": t.text, "latency_ms": t.latency_ms, **turn_parts(t)}
                    for t in turns
                    if t.speaker == "bot" and turn_parts(t)
                ],
            }
        )
    (root / "calls.json").write_text(json.dumps(calls, indent=1))  # per call: who, how it ended
    for persona, result in results:
        level.gap_dialer_ms = max(level.gap_dialer_ms, result.frame_gap_max_ms)
        report = result.session
        disposition = getattr(report, "disposition", "") or result.result
        level.dispositions[disposition] = level.dispositions.get(disposition, 0) + 1
        if not result.answered:
            level.failed += 1
        for turn in getattr(report, "turns", ()):
            if turn.speaker == "bot" and turn.latency_ms is not None:
                level.bot_turns_ms.append(turn.latency_ms)
                parts = turn_parts(turn)
                if parts:
                    level.bot_parts.append((turn.latency_ms, parts))
        stops = list(getattr(report, "barge_in_stop_ms", ()))
        if persona in NOISY:
            level.false_barge += len(stops)
        else:
            level.barge_session_ms += stops
            level.cut += sum(1 for t in getattr(report, "turns", ()) if t.speaker == "bot" and t.barged_in)
    for path in sorted((root / "callee").rglob("call-*-events.json")):
        events = json.loads(path.read_text())["events"]
        level.noises += noise_bursts(events)
        level.turns += turn_latencies(events)
        level.stalls += reply_stalls(events)
        if path.parent.name not in NOISY:  # a cough's "barge-in" is not one: their count is below
            level.barge += barge_in_stops(events)
            level.barged += sum(
                1 for e in events if e.get("event") == "speak_start" and e.get("when") == "barge_in"
            )
        opening = opening_delay(events)
        if opening is not None:
            level.opening.append(opening)
        for event in events:
            if event.get("event") == "ended":
                level.gap_callee_ms = max(level.gap_callee_ms, float(event.get("frame_gap_max_ms") or 0.0))
    return level


def print_parts(levels: list[Level]) -> None:
    """Where the bot side of a turn went, per level: each part's p50/p95 over all turns, and the parts of
    the slowest tenth of the turns (what the p95 is made of)."""
    print("bot side of a turn (session clock, ms): part p50/p95 over all turns | mean over the slowest 10 %")
    for lv in levels:
        if not lv.bot_parts:
            continue
        slow = sorted(lv.bot_parts, key=lambda item: item[0])[-max(1, len(lv.bot_parts) // 10) :]
        cells = []
        for part in TURN_PARTS:
            values = [parts[part] for _, parts in lv.bot_parts]
            tail = statistics.mean(parts[part] for _, parts in slow)
            cells.append(f"{part} {ms_of(values, 50)}/{ms_of(values, 95)} | {tail:.0f}")
        print(f"  N={lv.n:>3} ({len(lv.bot_parts)} turns): " + "; ".join(cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--levels", default="2,4,8", help="concurrent conversations to try, in order")
    parser.add_argument("--out", type=Path, default=None, help="keep logs here (default: a temp folder)")
    parser.add_argument(
        "--calls", type=int, default=8, help="at least this many calls per level (rounds of N)"
    )
    parser.add_argument("--sip-port", type=int, default=15440)
    parser.add_argument("--rtp-port", type=int, default=38000)
    parser.add_argument(
        "--speech-engine",
        choices=("auto", "host", "local"),
        default="auto",
        help="host: one speech engine decodes for all workers; local: a model per worker",
    )
    parser.add_argument(
        "--end-of-turn",
        choices=("adaptive", "fixed"),
        default="adaptive",
        help="the callee's turn ends by the adaptive rule or after a fixed 300 ms of silence",
    )
    parser.add_argument(
        "--mix",
        choices=("reminders", "barge-in"),
        default="reminders",
        help="barge-in: callees that talk over every prompt, cough, click or echo the bot",
    )
    parser.add_argument("--quick", action="store_true", help="one round of N calls per level")
    args = parser.parse_args(argv)
    if args.quick:
        args.calls = 1
    os.environ["HF_HUB_OFFLINE"] = "1"
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    out = args.out or Path(tempfile.mkdtemp(prefix="e2e-bench-"))
    done: list[Level] = []
    out.mkdir(parents=True, exist_ok=True)
    # figures to this terminal; the worker processes' pjsip start-up lines (fds 1 and 2) to workers.log
    sys.stdout.flush()
    sys.stderr.flush()
    report = os.fdopen(os.dup(1), "w", buffering=1)
    errors = os.fdopen(os.dup(2), "w", buffering=1)
    noise = (out / "workers.log").open("wb")
    os.dup2(noise.fileno(), 1)
    os.dup2(noise.fileno(), 2)
    sys.stdout, sys.stderr = report, errors
    mix = BARGE_MIX if args.mix == "barge-in" else MIX
    print(
        f"e2e bench: levels {levels}, mix {', '.join(mix)}, speech engine {args.speech_engine}, "
        f"end of turn {args.end_of_turn}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, logs in {out}"
    )
    cache = out / "tts-cache"
    engine = args.speech_engine
    eot = args.end_of_turn
    warm = run_level(1, out / "warm-up", args.sip_port, args.rtp_port, cache, 1000, 1, engine, eot, MIX[:1])
    print(f"warm-up call (models loaded, the script's fixed prompts rendered): {warm.dispositions}")
    personas = PERSONAS_DIR
    if args.mix == "barge-in":  # the echo callee plays back the opening the warm-up call heard
        heard = next((out / "warm-up" / "callee").rglob("call-*-heard.wav"))
        personas = write_personas(out / "personas", PERSONAS_DIR, heard)
    calls = 0
    for n in levels:
        rounds = max(1, math.ceil(args.calls / n))
        level = run_level(
            n, out / f"n{n}", args.sip_port, args.rtp_port, cache, calls, rounds, engine, eot, mix, personas
        )
        calls += n * rounds
        done.append(level)
        print(
            f"N={n:>3}: {n * rounds} calls, {len(level.turns)} turns, "
            f"turn p50/p95 {ms(level.turns, 50)}/{ms(level.turns, 95)} ms, "
            f"barge-in stop p50/p95 {ms(level.barge, 50)}/{ms(level.barge, 95)} ms "
            f"(n={len(level.barge)}, session share p50 {ms_of(level.barge_session_ms, 50)} ms), "
            f"false barge-ins {level.false_barge} of {level.noises} noises, "
            f"opening p50/p95 {ms(level.opening, 50)}/{ms(level.opening, 95)} ms, "
            f"{len(level.stalls)} replies stalled mid-way (longest {ms(level.stalls, 100)} ms), "
            f"{level.cut_by_stalls} replies cut by a stall, "
            f"max frame gap callee/dialer {level.gap_callee_ms:.0f}/{level.gap_dialer_ms:.0f} ms, "
            f"{level.seconds:.0f} s, load average {os.getloadavg()[0]:.1f}, "
            f"{'ok' if level.passes else 'MISSES'}",
            flush=True,
        )
        if level.speech:
            sp = level.speech
            batches = max(1, sp.get("batches", 0))
            ends = sp.get("end_of_turn_decoded", 0)
            wait_ms = 1000 * sp.get("end_of_turn_wait_seconds", 0.0) / max(1, ends)
            print(
                f"       speech engine: {sp.get('decoded', 0)} decodes in {sp.get('batches', 0)} batches, "
                f"{1000 * sp.get('decode_seconds', 0.0) / batches:.0f} ms per batch, "
                f"{ends} end-of-turn decodes waited {wait_ms:.0f} ms on average, "
                f"dropped {sp.get('dropped', {})}",
                flush=True,
            )
    print()
    print_parts(done)
    print()
    header = (
        "N",
        "turns",
        "turn p50",
        "turn p95",
        "bot-side p50",
        "barge p50",
        "barge p95",
        "open p50",
        "open p95",
        "gap ms",
        "dispositions",
    )
    print(" | ".join(header))
    for lv in done:
        bot = statistics.median(lv.bot_turns_ms) if lv.bot_turns_ms else math.nan
        row = (
            lv.n,
            len(lv.turns),
            ms(lv.turns, 50),
            ms(lv.turns, 95),
            f"{bot:.0f}",
            ms(lv.barge, 50),
            ms(lv.barge, 95),
            ms(lv.opening, 50),
            ms(lv.opening, 95),
            f"{max(lv.gap_callee_ms, lv.gap_dialer_ms):.0f}",
            ", ".join(f"{k} {v}" for k, v in sorted(lv.dispositions.items())),
        )
        print(" | ".join(str(x) for x in row))
    best = max((lv.n for lv in done if lv.passes), default=0)
    print(
        f"\nlargest concurrency with p95 turn latency < {P95_LIMIT_S:.0f} s and no dropped frame: {best}"
        + (" (the highest level tried)" if done and best == done[-1].n else "")
    )
    all_turns = [x for lv in done for x in lv.turns]
    all_barge = [x for lv in done for x in lv.barge]
    if done:
        first = done[0]
        print(
            f"headline (N={first.n}): "
            f"turn latency p50 {ms(first.turns, 50)} ms, p95 {ms(first.turns, 95)} ms; "
            f"barge-in stop p50 {ms(first.barge, 50)} ms, p95 {ms(first.barge, 95)} ms; "
            f"answer to opening p50 {ms(first.opening, 50)} ms, p95 {ms(first.opening, 95)} ms"
        )
        print(
            f"all levels: {len(all_turns)} turns p50 {ms(all_turns, 50)} ms; {len(all_barge)} barge-ins "
            f"p50 {ms(all_barge, 50)} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
